"""`secmon incidents list|show|ack|contain|resolve|reopen|note`.

Registers itself on the main group; secmon/cli.py imports this module at its end.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any, Mapping, Sequence

import click

from .cli import common_options, fmt_key, fmt_time, main, open_store
from .events import SEVERITIES
from .i18n import pick
from .incidents.model import STATUSES
from .incidents.store import IncidentStore
from .runtime import Runtime
from .tables import render_table
from .textsafe import terminal_safe


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


