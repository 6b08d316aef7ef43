"""`secmon playbook ...`: each incident's checklist, and the playbooks themselves.

Thin like the rest of the CLI: parse, call secmon.playbooks.checklist and
the incident store, print. Also the checklist columns and lines that
`secmon incidents list|show` print.

The commands register themselves on the main group; secmon/cli.py imports
this module at its end (after `main` and `common_options` exist), so either
module may be imported first.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import click

from .cli import common_options, fail, main
from .errors import InputError
from .i18n import pick
from .incidents.model import Incident
from .incidents.store import IncidentStore
from .playbooks.checklist import (
    ChecklistStatus,
    StepDue,
    checklist_status,
    ensure_checklist,
    render_incident_checklist,
)
from .playbooks.loader import load_playbooks
from .playbooks.render import FORMATS
from .runtime import Runtime
from .tables import render_table

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "done": {"vi": "Sự cố #{id}: đã xong bước «{step}» ({progress}).",
             "en": "Incident #{id}: step '{step}' done ({progress})."},
    "undone": {"vi": "Sự cố #{id}: bỏ đánh dấu bước «{step}» ({progress}).",
               "en": "Incident #{id}: step '{step}' marked not done ({progress})."},
    "written": {"vi": "Đã ghi {path}.", "en": "Wrote {path}."},
    "check_ok": {"vi": "{count} kịch bản: hợp lệ.", "en": "{count} playbooks: valid."},
    "check_failed": {"vi": "{count} lỗi trong kịch bản.",
                     "en": "{count} problems in the playbooks."},
    "col_playbook": {"vi": "Kịch bản", "en": "Playbook"},
    "col_title": {"vi": "Tên", "en": "Title"},
    "col_applies": {"vi": "Áp dụng cho", "en": "Applies to"},
    "col_steps": {"vi": "Số bước", "en": "Steps"},
    "fallback": {"vi": "(mặc định)", "en": "(fallback)"},
    "col_progress": {"vi": "Tiến độ", "en": "Progress"},
    "col_deadline": {"vi": "Hạn", "en": "Deadline"},
    "overdue": {"vi": "QUÁ HẠN", "en": "OVERDUE"},
    "due_soon": {"vi": "sắp đến hạn", "en": "due soon"},
    "urgent": {"vi": "khẩn", "en": "urgent"},
    "show_playbook": {"vi": "Kịch bản", "en": "Playbook"},
    "show_progress": {"vi": "Tiến độ", "en": "Progress"},
    "show_steps": {"vi": "{done}/{total} bước đã xong", "en": "{done} of {total} steps done"},
    "show_overdue": {"vi": "Quá hạn", "en": "Overdue"},
    "show_next": {"vi": "Hạn tiếp theo", "en": "Next deadline"},
    "show_urgent": {"vi": "Cần làm ngay (nếu áp dụng)", "en": "Do at once (if it applies)"},
    "no_checklist": {"vi": "chưa có (secmon playbook show {id})",
                     "en": "none yet (secmon playbook show {id})"},
}


def say(runtime: Runtime, key: str, **values: object) -> str:
    return pick(runtime.lang, MESSAGES[key]).format(**values)


def actor(by: str | None) -> str:
    return by or os.environ.get("SUDO_USER") or os.environ.get("USER") or "unknown"


@main.group("playbook")
def playbook_group() -> None:
    """Danh sách kiểm tra ứng cứu theo sự cố. / Per-incident response checklists."""


@playbook_group.command("show")
@click.argument("incident_id", type=int)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file instead of the terminal.")
@common_options
def playbook_show(runtime: Runtime, incident_id: int, fmt: str, output: Path | None) -> None:
    """Danh sách kiểm tra của một sự cố. / Show an incident's checklist."""
    deadlines = runtime.load_regime().step_deadlines()
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        store.get(incident_id)  # a wrong id fails before the playbooks load (~1 s)
        text = render_incident_checklist(
            store, incident_id, runtime.load_playbooks(), lang=runtime.lang, fmt=fmt,
            now=runtime.clock.now(),
            tz=runtime.tz, org=runtime.settings.organisation.name or None, deadlines=deadlines,
        )
    emit(runtime, text, output)


def emit(runtime: Runtime, text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    output.write_text(text, encoding="utf-8")
    click.echo(say(runtime, "written", path=output))


def _tick(runtime: Runtime, incident_id: int, step: str, done: bool, note: str,
          by: str | None) -> None:
    with IncidentStore.open(runtime.db_path, runtime.clock) as store:
        if store.checklist(incident_id) is None:
            ensure_checklist(store, incident_id, runtime.load_playbooks(),
                             runtime.load_regime().step_deadlines(), by=actor(by))
        store.set_step(incident_id, step, done, by=actor(by), note=note)
        record = store.checklist(incident_id)
    assert record is not None
    progress = f"{record.done_count}/{record.total}"
    click.echo(say(runtime, "done" if done else "undone", id=incident_id, step=step,
                   progress=progress))


@playbook_group.command("done")
@click.argument("incident_id", type=int)
@click.argument("step")
@click.option("--note", default="", help="What was done or found.")
@click.option("--by", help="Who (default: the logged-in user).")
@common_options
def playbook_done(runtime: Runtime, incident_id: int, step: str, note: str,
                  by: str | None) -> None:
    """Đánh dấu một bước đã xong. / Mark a checklist step done."""
    _tick(runtime, incident_id, step, True, note, by)


@playbook_group.command("undo")
@click.argument("incident_id", type=int)
@click.argument("step")
@click.option("--note", default="", help="Why.")
@click.option("--by", help="Who (default: the logged-in user).")
@common_options
def playbook_undo(runtime: Runtime, incident_id: int, step: str, note: str,
                  by: str | None) -> None:
    """Bỏ đánh dấu một bước. / Mark a checklist step not done again."""
    _tick(runtime, incident_id, step, False, note, by)


@playbook_group.command("list")
@common_options
def playbook_list(runtime: Runtime) -> None:
    """Các kịch bản đã nạp. / List the loaded playbooks."""
    books = runtime.load_playbooks()
    rows = []
    for book in books:
        applies = [*book.applies_to.categories, *book.applies_to.rules]
        if book.applies_to.fallback:
            applies.append(say(runtime, "fallback"))
        rows.append((book.id, book.title.get(runtime.lang), ", ".join(applies),
                     len(book.steps)))
    headers = [say(runtime, k) for k in ("col_playbook", "col_title", "col_applies", "col_steps")]
    click.echo(render_table(headers, rows, max_cell=80))


@playbook_group.command("check")
@click.option("--playbooks", "dirs", multiple=True,
              type=click.Path(path_type=Path, exists=True),
              help="Extra playbook folder or file (loaded after the configured ones).")
@click.option("--no-builtin", is_flag=True, help="Check only the given playbooks.")
@common_options
def playbook_check(runtime: Runtime, dirs: tuple[Path, ...], no_builtin: bool) -> None:
    """Kiểm tra các tệp kịch bản. / Validate playbook files."""
    paths = list(dirs) if no_builtin else runtime.playbook_paths(dirs)
    try:
        books = load_playbooks(paths)
    except InputError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(say(runtime, "check_failed", count=len(exc.problems)), runtime.lang)
    click.echo(say(runtime, "check_ok", count=len(books)))


# ----------------------------------------------- for `secmon incidents ...`
def deadline_cell(status: ChecklistStatus | None, runtime: Runtime) -> str:
    """The 'Deadline' column of `incidents list`: what is late, else what is next."""
    if status is None:
        return ""
    if status.overdue:
        names = ", ".join(d.step_id for d in status.overdue)
        return f"{say(runtime, 'overdue')}: {names}"
    if status.due_soon:
        first = status.due_soon[0]
        return f"{say(runtime, 'due_soon')}: {first.step_id} {_when(first, runtime)}"
    upcoming = status.next_due
    if upcoming is not None:
        return f"{upcoming.step_id} {_when(upcoming, runtime)}"
    return ""


def _when(due: StepDue, runtime: Runtime) -> str:
    assert due.due is not None
    return due.due.astimezone(runtime.tz).strftime("%Y-%m-%d %H:%M")


def checklist_lines(store: IncidentStore, incident: Incident, runtime: Runtime) -> list[str]:
    """The checklist lines of `incidents show`."""
    record = store.checklist(incident.id)
    if record is None:
        return [f"  {say(runtime, 'show_playbook')}: "
                f"{say(runtime, 'no_checklist', id=incident.id)}"]
    status = checklist_status(record, incident, runtime.clock.now())
    lines = [
        f"  {say(runtime, 'show_playbook')}: {record.playbook}",
        f"  {say(runtime, 'show_progress')}: "
        f"{say(runtime, 'show_steps', done=status.done, total=status.total)}",
    ]
    for due in status.overdue:
        lines.append(f"  {say(runtime, 'show_overdue')}: {due.step_id} ({_when(due, runtime)})")
    upcoming = status.next_due
    if upcoming is not None and upcoming.state != "overdue":
        lines.append(f"  {say(runtime, 'show_next')}: {upcoming.step_id} "
                     f"({_when(upcoming, runtime)})")
    if status.urgent:
        names = ", ".join(d.step_id for d in status.urgent)
        lines.append(f"  {say(runtime, 'show_urgent')}: {names}")
    return lines
