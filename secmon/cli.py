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
from typing import Any, Callable, Sequence

import click

from . import __version__
from .builtin import demo_data_dir
from .clock import SystemClock
from .errors import InputError, SecmonError
from .i18n import LANGUAGES, pick
from .incidents.store import IncidentStore
from .parsers.registry import PARSER_TYPES
from .pipeline import Progress, detection_record, scan_paths
from .rules.engine import DetectionEngine
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


rules_option = click.option(
    "--rules", "rule_dirs", multiple=True, type=click.Path(path_type=Path, exists=True),
    help="Extra rule folder or file (after the shipped rules; may hold overrides).",
)


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
@rules_option
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
    from .cli_incidents import format_incident_table

    click.echo(format_incident_table(found, runtime))
    if not keep_db:
        for leftover in workdir.iterdir():
            leftover.unlink()
        workdir.rmdir()


# Command groups kept in their own modules register themselves on `main`.
from . import (  # noqa: E402,F401
    cli_daemon,
    cli_fim,
    cli_incidents,
    cli_notify,
    cli_playbook,
    cli_report,
    cli_rules,
)


if __name__ == "__main__":  # pragma: no cover
    # Run as `python -m secmon.cli`, this file is `__main__`; the groups above
    # registered on `secmon.cli.main`, so run that one.
    from secmon.cli import main as _main

    _main()
