"""`secmon report ...`: incident reports (notification, Form 03, Form 04), the
period summary, and the reporting regime in force.

Registers itself on the main group (see cli_playbook.py for why this works
whichever module is imported first).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path

import click

from .cli import common_options, fail, main
from .errors import InputError
from .i18n import pick
from .incidents.store import IncidentStore
from .reports.data import build_incident_report
from .reports.facts import gather_incident
from .reports.regime import REPORT_KINDS
from .reports.regime_loader import BUILTIN_REGIME, load_regime
from .reports.render import FORMATS, render_incident_report, render_summary
from .reports.summary import build_summary, in_period
from .runtime import Runtime

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "need_period": {
        "vi": "hãy cho biết kỳ báo cáo: --from NGÀY --to NGÀY, hoặc --period {periods} "
              "[--year NĂM]",
        "en": "say which period: --from DATE --to DATE, or --period {periods} [--year YEAR]",
    },
    "both_period": {
        "vi": "dùng --from/--to hoặc --period, không dùng cả hai",
        "en": "use --from/--to or --period, not both",
    },
    "half_range": {
        "vi": "cần cả --from và --to",
        "en": "give both --from and --to",
    },
    "year_alone": {
        "vi": "--year chỉ dùng cùng --period",
        "en": "--year goes with --period",
    },
    "bad_period": {
        "vi": "không có kỳ báo cáo '{period}' trong quy định báo cáo {path}; các kỳ: {periods}",
        "en": "the reporting regime {path} has no period '{period}'; its periods are {periods}",
    },
    "backwards": {
        "vi": "--to ({end}) trước --from ({start})",
        "en": "--to ({end}) is before --from ({start})",
    },
    "regime_ok": {
        "vi": "{path}: quy định báo cáo '{id}' hợp lệ ({reports} loại báo cáo, {periods} kỳ).",
        "en": "{path}: reporting regime '{id}' is valid ({reports} report kinds, {periods} "
              "periods).",
    },
    "written": {"vi": "Đã ghi {path}.", "en": "Wrote {path}."},
    "regime_bad": {
        "vi": "{count} lỗi trong quy định báo cáo.",
        "en": "{count} problems in the reporting regime.",
    },
}


def say(runtime: Runtime, key: str, **values: object) -> str:
    return pick(runtime.lang, MESSAGES[key]).format(**values)


def emit(runtime: Runtime, text: str, output: Path | None) -> None:
    """Print `text`, or write it to `output` and say so."""
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    click.echo(say(runtime, "written", path=output))


@main.group("report")
def report_group() -> None:
    """Báo cáo sự cố và báo cáo định kỳ. / Incident and period reports."""


@report_group.command("incident")
@click.argument("incident_id", type=int)
@click.option("--kind", type=click.Choice(REPORT_KINDS), required=True,
              help="notification: incident notification; initial: Form 03; final: Form 04.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of the terminal.")
@common_options
def report_incident(runtime: Runtime, incident_id: int, kind: str, fmt: str,
                    output: Path | None) -> None:
    """Thông báo sự cố, Mẫu 03, Mẫu 04. / Incident notification, Form 03, Form 04."""
    regime = runtime.load_regime()
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        store.get(incident_id)  # a wrong id fails before the playbooks load (~1 s)
        facts = gather_incident(store, incident_id, runtime.load_playbooks(),
                                runtime.settings.systems, regime.step_deadlines())
    report = build_incident_report(facts, regime, kind, runtime.settings, lang=runtime.lang,
                                   tz=runtime.tz, now=runtime.clock.now())
    emit(runtime, render_incident_report(report, fmt), output)


@report_group.command("summary")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First day (YYYY-MM-DD).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last day (YYYY-MM-DD).")
@click.option("--period", help="A period of the reporting regime: h1, h2 or year.")
@click.option("--year", type=click.IntRange(2000, 2100),
              help="Year of --period (default: this year).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of the terminal.")
@common_options
def report_summary(runtime: Runtime, start: datetime | None, end: datetime | None,
                   period: str | None, year: int | None, fmt: str,
                   output: Path | None) -> None:
    """Báo cáo tổng hợp theo kỳ. / Period summary for management."""
    regime = runtime.load_regime()
    chosen = None
    if period is not None:
        if start is not None or end is not None:
            fail(say(runtime, "both_period"), runtime.lang)
        chosen = regime.periods.get(period)
        if chosen is None:
            fail(say(runtime, "bad_period", period=period, path=regime.path,
                     periods=", ".join(regime.periods)), runtime.lang)
        assert chosen is not None
        first, last, _ = chosen.dates(year or runtime.clock.now().astimezone(runtime.tz).year)
    else:
        if year is not None:
            fail(say(runtime, "year_alone"), runtime.lang)
        if start is None and end is None:
            fail(say(runtime, "need_period", periods="|".join(regime.periods)), runtime.lang)
        if start is None or end is None:
            fail(say(runtime, "half_range"), runtime.lang)
        assert start is not None and end is not None
        first, last = start.date(), end.date()
        if last < first:
            fail(say(runtime, "backwards", start=_iso(first), end=_iso(last)), runtime.lang)
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        incidents = store.list_incidents()
        checklists = store.checklists()
        evidence = {i.id: store.evidence(i.id) for i in incidents
                    if in_period(i, first, last, runtime.tz)}
    summary = build_summary(incidents, checklists, evidence, regime, runtime.settings,
                            start=first, end=last, lang=runtime.lang, tz=runtime.tz,
                            now=runtime.clock.now(), period=chosen)
    emit(runtime, render_summary(summary, fmt), output)


def _iso(day: date) -> str:
    return day.isoformat()


@report_group.command("regime")
@click.option("--show", is_flag=True, help="Print the regime file in force (to copy and edit).")
@click.option("--check", "check_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Validate this regime file instead of the one in force.")
@common_options
def report_regime(runtime: Runtime, show: bool, check_path: Path | None) -> None:
    """Quy định báo cáo đang áp dụng. / The reporting regime in force."""
    path = check_path or runtime.settings.reporting.regime or BUILTIN_REGIME
    try:
        regime = load_regime(path) if check_path else runtime.load_regime()
    except InputError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(say(runtime, "regime_bad", count=len(exc.problems)), runtime.lang)
        return
    if show:
        click.echo(Path(path).read_text(encoding="utf-8"), nl=False)
        return
    click.echo(say(runtime, "regime_ok", path=path, id=regime.id, reports=len(regime.reports),
                   periods=len(regime.periods)))
