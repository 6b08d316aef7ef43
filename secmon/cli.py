"""The `secmon` command line: parse arguments, call the library, print.

Commands stay thin; the work happens in pipeline, rules, incidents.
User errors print `Error: ...` (Vietnamese or English) and exit 1.
"""

from __future__ import annotations

import functools
import glob
import json
import os
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import click

from . import __version__
from .builtin import demo_data_dir
from .clock import SystemClock
from .errors import InputError, SecmonError
from .events import SEVERITIES
from .i18n import LANGUAGES, pick
from .incidents.model import STATUSES
from .incidents.store import IncidentStore
from .parsers.registry import PARSER_TYPES
from .pipeline import Progress, detection_record, scan_paths
from .rules.engine import DetectionEngine
from .rulecheck import check_rule_tests
from .runtime import Runtime, make_runtime
from .tables import render_table
from .textsafe import terminal_safe

TYPE_CHOICES = ["auto", *sorted(PARSER_TYPES)]


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """-c/--config, --lang, --db and --tz on every command; builds the Runtime."""

    @click.option(
        "-c",
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        help="secmon.yaml (default: $SECMON_CONFIG).",
    )
    @click.option("--lang", type=click.Choice(LANGUAGES), help="Output language (vi, en).")
    @click.option(
        "--db",
        type=click.Path(path_type=Path, dir_okay=False),
        help="Incident database (default: from config, else the XDG data dir).",
    )
    @click.option("--tz", "tz_name", help="Time zone for logs without one (default: the system's).")
    @functools.wraps(command)
    def wrapper(
        config: Path | None, lang: str | None, db: Path | None, tz_name: str | None, **kwargs: Any
    ) -> Any:
        chosen = lang
        try:
            runtime = make_runtime(
                config=config,
                lang=lang,
                db=db,
                tz_name=tz_name,
                clock=SystemClock(),
                env=os.environ,
            )
            chosen = runtime.lang
            return command(runtime, **kwargs)
        except InputError as exc:
            fail(str(exc), chosen)
        except SecmonError as exc:
            texts = getattr(exc, "text", None)
            fail(pick(chosen or "vi", texts) if isinstance(texts, dict) else str(exc), chosen)

    return wrapper


def fail(message: str, lang: str | None = None) -> None:
    prefix = "Lỗi" if (lang or "vi") == "vi" else "Error"
    click.echo(f"{prefix}: {message}" if "\n" not in message else f"{prefix}:\n{message}", err=True)
    sys.exit(1)


def expand_inputs(patterns: Sequence[str], runtime: Runtime) -> list[Path]:
    paths: list[Path] = []
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise SecmonError(runtime.t("scan.no_files", pattern=pattern))
            paths.extend(Path(m) for m in matches)
        else:
            path = Path(pattern)
            if not path.is_file():
                raise SecmonError(f"{pattern}: no such file")
            paths.append(path)
    return paths


def open_store(runtime: Runtime, *, new_incidents: bool = False) -> IncidentStore:
    """The incident store, queueing alerts for the configured routes in the same
    transaction and, when it may open incidents, giving each its checklist."""
    from .notify.service import alert_writer

    hook = alert_writer(runtime.settings.notify, runtime.clock)
    planner = runtime.checklist_planner() if new_incidents else None
    return IncidentStore.open(runtime.db_path, runtime.clock, on_change=hook,
                              plan_checklist=planner)


def fmt_time(moment: datetime, runtime: Runtime) -> str:
    return moment.astimezone(runtime.tz).strftime("%Y-%m-%d %H:%M:%S")


def fmt_key(key: dict[str, str] | Any) -> str:
    return " ".join(f"{k}={v}" for k, v in dict(key).items())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secmon")
def main() -> None:
    """secmon: giám sát nhật ký an ninh và hỗ trợ ứng cứu sự cố.
    Security log monitor and incident-response kit."""


# --------------------------------------------------------------------- scan
@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Extra rule folder or file.",
)
@click.option("--no-builtin-rules", is_flag=True, help="Do not load the shipped rules.")
@click.option(
    "--type",
    "type_name",
    type=click.Choice(TYPE_CHOICES),
    default="auto",
    show_default=True,
    help="Log format of the inputs.",
)
@click.option("--no-db", is_flag=True, help="Dry run: do not record incidents.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True
)
@common_options
def scan(
    runtime: Runtime,
    paths: tuple[str, ...],
    rule_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
    type_name: str,
    no_db: bool,
    fmt: str,
) -> None:
    """Quét một lần các tệp nhật ký (cả .gz). / Scan log files once (plain or .gz)."""
    inputs = expand_inputs(paths, runtime)
    ruleset = runtime.load_rules(rule_dirs, builtin=False if no_builtin_rules else None)
    show_progress = fmt == "table" and sys.stderr.isatty()
    result = scan_paths(
        inputs,
        DetectionEngine(ruleset),
        type_name=type_name,
        tz=runtime.tz,
        clock=runtime.clock,
        json_mapping=runtime.settings.json_mapping,
        on_progress=_progress_printer() if show_progress else None,
    )
    changes = None
    if not no_db:
        with open_store(runtime, new_incidents=bool(result.detections)) as store:
            changes = store.record(result.detections)
    if fmt == "jsonl":
        for det in result.detections:
            click.echo(json.dumps(detection_record(det), ensure_ascii=False, sort_keys=False))
        return
    t = runtime.t
    rows = [
        (
            d.rule_id,
            pick(runtime.lang, d.title),
            d.category,
            t(f"severity.{d.severity}"),
            fmt_key(d.key_dict),
            d.count,
            fmt_time(d.first_seen, runtime),
            fmt_time(d.last_seen, runtime),
        )
        for d in result.detections
    ]
    if rows:
        click.echo(t("scan.header", count=len(rows)))
        click.echo(
            render_table(
                [
                    t("col.rule"),
                    t("col.title"),
                    t("col.category"),
                    t("col.severity"),
                    t("col.key"),
                    t("col.count"),
                    t("col.first"),
                    t("col.last"),
                ],
                rows,
            )
        )
    else:
        click.echo(t("scan.none"))
    click.echo("")
    rate = int(result.lines / result.elapsed) if result.elapsed > 0 else result.lines
    click.echo(
        t(
            "scan.totals",
            lines=result.lines,
            files=len(result.sources),
            rate=rate,
            skipped=result.malformed,
        )
    )
    for stats in result.sources:
        click.echo(
            t(
                "scan.source",
                source=terminal_safe(stats.source),
                type=stats.type_name,
                lines=stats.lines,
                skipped=stats.malformed,
            )
        )
    if changes is None:
        click.echo(t("scan.no_db"))
    else:
        kinds = Counter(change.kind for change in changes)
        click.echo(
            t(
                "scan.stored",
                opened=kinds["opened"],
                updated=kinds["updated"] + kinds["escalated"],
                reopened=kinds["reopened"],
                db=runtime.db_path,
            )
        )


def _progress_printer() -> Callable[[Progress], None]:
    def show(progress: Progress) -> None:
        share = progress.bytes_done / progress.bytes_total if progress.bytes_total else 1.0
        rate = progress.lines / progress.elapsed if progress.elapsed > 0 else 0
        bar = "#" * int(share * 30)
        end = "\n" if share >= 1.0 else ""
        click.echo(
            f"\r[{bar:<30}] {share:6.1%} {progress.lines:,} lines {rate:,.0f} lines/s{end}",
            err=True,
            nl=False,
        )

    return show


# ------------------------------------------------------------------ rules
@main.group()
def rules() -> None:
    """Kiểm tra và thử luật phát hiện. / Check and try detection rules."""


@rules.command("check")
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Extra rule folder or file.",
)
@click.option("--no-builtin-rules", is_flag=True, help="Check only the given rules.")
@common_options
def rules_check(runtime: Runtime, rule_dirs: tuple[Path, ...], no_builtin_rules: bool) -> None:
    """Kiểm tra cú pháp và phép thử của luật. / Validate rules and run their tests."""
    ruleset = runtime.load_rules(rule_dirs, builtin=False if no_builtin_rules else None)
    failures = check_rule_tests(ruleset, runtime.settings.json_mapping)
    t = runtime.t
    if failures:
        for failure in failures:
            click.echo(f"{failure.location}: [{failure.rule_id}] {failure.message}", err=True)
        fail(t("rules.selftest_failed", count=len(failures)), runtime.lang)
    click.echo(t("rules.ok", rules=len(ruleset.rules), files=len(ruleset.files)))


@rules.command("list")
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Extra rule folder or file.",
)
@common_options
def rules_list(runtime: Runtime, rule_dirs: tuple[Path, ...]) -> None:
    """Liệt kê các luật đã nạp. / List the loaded rules."""
    ruleset = runtime.load_rules(rule_dirs)
    t = runtime.t
    rows = [
        (r.id, pick(runtime.lang, r.title), r.category, t(f"severity.{r.severity}"))
        for r in ruleset.rules
    ]
    click.echo(
        render_table(
            [t("col.rule"), t("col.title"), t("col.category"), t("col.severity")], rows, max_cell=70
        )
    )


@rules.command("test")
@click.argument("path", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--rules",
    "rule_dirs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Extra rule folder or file.",
)
@click.option("--no-builtin-rules", is_flag=True, help="Use only the given rules.")
@click.option(
    "--type", "type_name", type=click.Choice(TYPE_CHOICES), default="auto", show_default=True
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True
)
@click.option(
    "--show-unmatched", default=20, show_default=True, help="How many unmatched lines to list."
)
@common_options
def rules_test(
    runtime: Runtime,
    path: Path,
    rule_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
    type_name: str,
    fmt: str,
    show_unmatched: int,
) -> None:
    """Thử luật trên một tệp: dòng nào khớp luật nào. / Show which rules match which lines."""
    from .explain import explain_file

    ruleset = runtime.load_rules(rule_dirs, builtin=False if no_builtin_rules else None)
    report = explain_file(
        path,
        DetectionEngine(ruleset),
        type_name=type_name,
        tz=runtime.tz,
        json_mapping=runtime.settings.json_mapping,
        keep_unmatched=show_unmatched,
        on_match=_jsonl_match_printer() if fmt == "jsonl" else None,
    )
    if fmt == "jsonl":
        return
    t = runtime.t
    click.echo(
        t(
            "rulestest.summary",
            lines=report.lines,
            parsed=report.parsed,
            skipped=report.malformed,
            matched=report.matched,
            allowlisted=report.allowlisted,
            unmatched=report.parsed - report.matched - report.allowlisted,
        )
    )
    if report.per_rule:
        click.echo("")
        click.echo(t("rulestest.per_rule"))
        rows = [(rule_id, count) for rule_id, count in report.per_rule.most_common()]
        click.echo(render_table([t("col.rule"), t("col.count")], rows))
    for title_key, samples in (
        ("rulestest.unmatched", report.unmatched_samples),
        ("rulestest.malformed", report.malformed_samples),
    ):
        if samples:
            click.echo("")
            click.echo(t(title_key, limit=show_unmatched))
            for line_no, text in samples:
                click.echo(f"  {line_no}: {terminal_safe(text, 200)}")


def _jsonl_match_printer() -> Callable[[int, str, str, dict[str, Any]], None]:
    def emit(line_no: int, rule_id: str, category: str, fields: dict[str, Any]) -> None:
        record = {"line": line_no, "rule": rule_id, "category": category, "fields": fields}
        click.echo(json.dumps(record, ensure_ascii=False, default=str))

    return emit


# -------------------------------------------------------------- incidents
@main.group()
def incidents() -> None:
    """Xem và xử lý sự cố. / View and handle incidents."""


@incidents.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(STATUSES))
@click.option("--open", "only_open", is_flag=True, help="Only new, acknowledged, contained.")
@click.option("--severity", type=click.Choice(SEVERITIES), help="Minimum severity.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only incidents seen since this date.",
)
@click.option("--overdue", is_flag=True,
              help="Only incidents with a checklist deadline (report) passed or due in 24 h.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table")
@common_options
def incidents_list(
    runtime: Runtime,
    statuses: tuple[str, ...],
    only_open: bool,
    severity: str | None,
    since: datetime | None,
    overdue: bool,
    fmt: str,
) -> None:
    """Liệt kê sự cố. / List incidents."""
    from .playbooks.checklist import statuses as checklist_statuses

    wanted = list(statuses) or (["new", "acknowledged", "contained"] if only_open else None)
    since_aware = since.replace(tzinfo=runtime.tz) if since else None
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        found = store.list_incidents(status=wanted, min_severity=severity, since=since_aware)
        lists = store.checklists([i.id for i in found])
    progress = checklist_statuses(lists, found, runtime.clock.now())
    if overdue:
        found = [i for i in found
                 if i.id in progress and (progress[i.id].overdue or progress[i.id].due_soon)]
    if fmt == "jsonl":
        for inc in found:
            record = _incident_record(inc)
            status = progress.get(inc.id)
            if status is not None:
                record.update(playbook=status.playbook, steps_done=status.done,
                              steps_total=status.total,
                              overdue=[d.step_id for d in status.overdue],
                              due_soon=[d.step_id for d in status.due_soon])
            click.echo(json.dumps(record, ensure_ascii=False))
        return
    click.echo(format_incident_table(found, runtime, progress))


def format_incident_table(
    found: Sequence[Any], runtime: Runtime, checklists: Mapping[int, Any] | None = None
) -> str:
    """The incidents table; with `checklists` (ChecklistStatus by incident id) it
    adds the checklist progress and the most pressing deadline."""
    from .cli_playbook import deadline_cell, say

    t = runtime.t
    if not found:
        return t("incidents.none")
    rows: list[tuple[Any, ...]] = [
        (
            f"#{i.id}",
            t(f"status.{i.status}"),
            t(f"severity.{i.severity}"),
            i.category,
            pick(runtime.lang, i.title),
            fmt_key(i.key),
            i.count,
            fmt_time(i.last_seen, runtime),
        )
        for i in found
    ]
    headers = [
        t("col.id"),
        t("col.status"),
        t("col.severity"),
        t("col.category"),
        t("col.title"),
        t("col.key"),
        t("col.count"),
        t("col.last"),
    ]
    if checklists is not None:
        rows = [
            (*row, checklists[i.id].progress if i.id in checklists else "",
             deadline_cell(checklists.get(i.id), runtime))
            for row, i in zip(rows, found, strict=True)
        ]
        headers += [say(runtime, "col_progress"), say(runtime, "col_deadline")]
    return render_table(headers, rows)


def _incident_record(inc: Any) -> dict[str, Any]:
    return {
        "id": inc.id,
        "status": inc.status,
        "severity": inc.severity,
        "category": inc.category,
        "title": dict(inc.title),
        "key": dict(inc.key),
        "rules": list(inc.rule_ids),
        "count": inc.count,
        "first_seen": inc.first_seen.isoformat(),
        "last_seen": inc.last_seen.isoformat(),
    }


@incidents.command("show")
@click.argument("incident_id", type=int)
@common_options
def incidents_show(runtime: Runtime, incident_id: int) -> None:
    """Chi tiết một sự cố. / Show one incident."""
    t = runtime.t
    from .cli_playbook import checklist_lines

    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        inc = store.get(incident_id)
        timeline = store.timeline(incident_id)
        evidence = store.evidence(incident_id)
        total = store.evidence_total(incident_id)
        checklist = checklist_lines(store, inc, runtime)
    lines = [
        f"#{inc.id} {terminal_safe(pick(runtime.lang, inc.title))}",
        f"  {t('col.status')}: {t(f'status.{inc.status}')}",
        f"  {t('col.severity')}: {t(f'severity.{inc.severity}')}",
        f"  {t('col.category')}: {inc.category}",
        f"  {t('col.key')}: {terminal_safe(fmt_key(inc.key))}",
        f"  {t('col.rule')}: {', '.join(inc.rule_ids)}",
        f"  {t('col.count')}: {inc.count}",
        f"  {t('col.first')}: {fmt_time(inc.first_seen, runtime)}",
        f"  {t('col.last')}: {fmt_time(inc.last_seen, runtime)}",
        *checklist,
        "",
        t("incident.timeline") + ":",
    ]
    for entry in timeline:
        change = f" {entry.old_status} → {entry.new_status}" if entry.new_status else ""
        text = f" {terminal_safe(entry.text)}" if entry.text else ""
        lines.append(f"  {fmt_time(entry.at, runtime)}  {entry.actor}: {entry.kind}{change}{text}")
    lines += ["", t("incident.evidence", shown=len(evidence), total=total) + ":"]
    for ev in evidence:
        lines.append(f"  {terminal_safe(ev.source)}:{ev.line_no}: {terminal_safe(ev.raw, 300)}")
    click.echo("\n".join(lines))


def _actor(by: str | None) -> str:
    return by or os.environ.get("SUDO_USER") or os.environ.get("USER") or "unknown"


def _lifecycle_command(name: str, help_text: str, method: str, **extra: Any) -> None:
    @incidents.command(name, help=help_text)
    @click.argument("incident_id", type=int)
    @click.option("--note", default="", help="Why / what was done.")
    @click.option("--by", help="Who (default: the logged-in user).")
    @common_options
    def command(
        runtime: Runtime, incident_id: int, note: str, by: str | None, **flags: Any
    ) -> None:
        with open_store(runtime) as store:
            before = store.get(incident_id).status
            getattr(store, method)(incident_id, by=_actor(by), note=note, **flags)
            after = store.get(incident_id).status
        t = runtime.t
        click.echo(
            t(
                "incidents.changed",
                id=incident_id,
                old=t(f"status.{before}"),
                new=t(f"status.{after}"),
            )
        )

    if extra.get("false_positive_flag"):
        click.option(
            "--false-positive",
            "false_positive",
            is_flag=True,
            help="Mark as a false positive instead.",
        )(command)


_lifecycle_command("ack", "Tiếp nhận sự cố. / Acknowledge an incident.", "acknowledge")
_lifecycle_command("contain", "Đánh dấu đã ngăn chặn. / Mark as contained.", "contain")
_lifecycle_command(
    "resolve", "Đánh dấu đã khắc phục. / Mark as resolved.", "resolve", false_positive_flag=True
)
_lifecycle_command("reopen", "Mở lại sự cố. / Reopen an incident.", "reopen")


@incidents.command("note")
@click.argument("incident_id", type=int)
@click.argument("text")
@click.option("--by", help="Who (default: the logged-in user).")
@common_options
def incidents_note(runtime: Runtime, incident_id: int, text: str, by: str | None) -> None:
    """Ghi chú vào diễn biến sự cố. / Add a note to the incident's timeline."""
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        store.add_note(incident_id, text, by=_actor(by))
    click.echo(runtime.t("incidents.noted", id=incident_id))


# ------------------------------------------------------------------- demo
@main.command()
@click.option("--keep-db", is_flag=True, help="Keep the scratch database and print its path.")
@common_options
def demo(runtime: Runtime, keep_db: bool) -> None:
    """Phát lại nhật ký mẫu qua toàn bộ quy trình. / Replay bundled sample logs end to end."""
    logs = sorted(p for p in demo_data_dir().iterdir() if p.suffix == ".log")
    workdir = Path(tempfile.mkdtemp(prefix="secmon-demo-"))
    db_path = workdir / "secmon.db"
    t = runtime.t
    click.echo(t("demo.intro", files=", ".join(p.name for p in logs), db=db_path))
    ruleset = runtime.load_rules()
    result = scan_paths(
        logs,
        DetectionEngine(ruleset),
        type_name="auto",
        tz=runtime.tz,
        clock=runtime.clock,
        json_mapping=runtime.settings.json_mapping,
    )
    with IncidentStore.open(db_path, runtime.clock) as store:
        store.record(result.detections)
        found = store.list_incidents()
    click.echo(
        t(
            "scan.totals",
            lines=result.lines,
            files=len(result.sources),
            rate=int(result.lines / result.elapsed) if result.elapsed else result.lines,
            skipped=result.malformed,
        )
    )
    click.echo("")
    click.echo(t("demo.incidents", count=len(found)))
    click.echo(format_incident_table(found, runtime))
    if not keep_db:
        for leftover in workdir.iterdir():
            leftover.unlink()
        workdir.rmdir()


# ------------------------------------------------------------------ notify
@main.group()
def notify() -> None:
    """Cảnh báo qua chat và email. / Alerts by chat and email."""


def _notify_call(runtime: Runtime, call: Callable[[], Any]) -> Any:
    """Run `call`; a NotifyError is printed in the user's language."""
    from .notify.service import NotifyError

    try:
        return call()
    except NotifyError as exc:
        fail(exc.text[runtime.lang], runtime.lang)


@notify.command("test")
@click.option("--route", "route_name", help="Only this route (default: every route).")
@common_options
def notify_test(runtime: Runtime, route_name: str | None) -> None:
    """Gửi tin thử trên từng tuyến, báo kết quả từng địa chỉ. /
    Send a test message on each route and show each URL's result."""
    from .notify.service import send_test
    from .notify.texts import CLI, say

    lang = runtime.lang
    results = _notify_call(runtime, lambda: send_test(
        runtime.settings.notify, runtime.env, runtime.clock, runtime.tz, route_name))
    total = failed = 0
    for test in results:
        click.echo(say(CLI, "route", lang, name=test.route.name, language=test.route.language,
                       fmt=test.route.format))
        for target, result in test.results:
            total += 1
            shown = terminal_safe(target.display)
            if result.ok:
                click.echo(f"  ✓ {shown}: {say(CLI, 'ok', lang)}")
            else:
                failed += 1
                error = terminal_safe(result.error, 500)
                click.echo(f"  ✗ {shown}: {say(CLI, 'error', lang, error=error)}")
    if failed:
        fail(say(CLI, "test_failed", lang, failed=failed, total=total), lang)


@notify.command("outbox")
@click.option("--all", "show_all", is_flag=True, help="Also alerts already sent.")
@click.option("--limit", default=200, show_default=True, help="At most this many rows.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table",
              show_default=True)
@common_options
def notify_outbox(runtime: Runtime, show_all: bool, limit: int, fmt: str) -> None:
    """Các cảnh báo đang chờ gửi và bị lỗi. / List pending and failed alerts."""
    from .notify.service import outbox_counts, outbox_rows
    from .notify.texts import CLI, KINDS, STATUS_NAMES, say

    lang = runtime.lang
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        found = outbox_rows(store, include_done=show_all, limit=limit)
        totals = outbox_counts(store)
    if fmt == "jsonl":
        for row in found:
            click.echo(json.dumps({
                "id": row.id, "route": row.route, "kind": row.kind,
                "incident": row.incident_id, "status": row.status, "attempts": row.attempts,
                "due": row.due_at.isoformat(), "last_error": row.last_error,
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            }, ensure_ascii=False))
        return
    if not found:
        click.echo(say(CLI, "outbox_empty", lang))
        return
    rows = [(row.id, row.route, say(KINDS, row.kind, lang),
             f"#{row.incident_id}" if row.incident_id else "",
             say(STATUS_NAMES, row.status, lang), row.attempts, fmt_time(row.due_at, runtime),
             row.last_error or "") for row in found]
    headers = [runtime.t("col.id")] + [say(CLI, key, lang) for key in (
        "col_route", "col_kind", "col_incident", "col_status", "col_attempts", "col_due",
        "col_error")]
    click.echo(render_table(headers, rows, max_cell=80))
    click.echo("")
    click.echo(say(CLI, "outbox_totals", lang, pending=totals.pending, failed=totals.failed,
                   waiting=totals.waiting))


@notify.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--no-send", is_flag=True, help="Only queue them again; the daemon sends them.")
@common_options
def notify_retry(runtime: Runtime, ids: tuple[int, ...], no_send: bool) -> None:
    """Gửi lại các cảnh báo bị lỗi (tất cả, hoặc theo mã). /
    Retry failed alerts (all, or those given by id), then deliver what is due."""
    from .notify.service import make_dispatcher, requeue_failed
    from .notify.texts import CLI, say

    lang = runtime.lang
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        count = requeue_failed(store, runtime.clock, ids)
        click.echo(say(CLI, "retried" if count else "nothing_to_retry", lang, count=count))
        if not count or no_send:
            return
        dispatcher = make_dispatcher(store, runtime.settings.notify, runtime.env,
                                     runtime.clock, runtime.tz)
        report = dispatcher.step()
    click.echo(say(CLI, "delivered", lang, sent=report.count("sent"),
                   retrying=report.count("retry"), failed=report.count("failed")))
    for attempt in report.attempts:
        if attempt.error:
            click.echo(f"  #{attempt.row_id} {attempt.route}: "
                       f"{terminal_safe(attempt.error, 500)}")


# Command groups kept in their own modules register themselves on `main`.
from . import cli_daemon, cli_fim, cli_playbook, cli_report  # noqa: E402,F401


if __name__ == "__main__":  # pragma: no cover
    # Run as `python -m secmon.cli`, this file is `__main__`; the groups above
    # registered on `secmon.cli.main`, so run that one.
    from secmon.cli import main as _main

    _main()
