"""Per-incident checklist state: the row types and their SQL (the tables are
created by the "incident checklists" migration in migrations.py).

When an incident is opened, the store asks an injected planner (built by
secmon.playbooks.checklist from the loaded playbooks) for a ChecklistPlan
and writes it here in the same transaction: the playbook id and, for each
step, its id, phase and deadline expression. The checklist is then a fact
of the incident: a later edit of the playbook files changes how steps are
worded, never which steps the incident had or their deadlines.

Step state is done / undone with who, when and a note. The incidents
layer never imports playbooks: plans come in as plain data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .correlate import parse_utc, utc_text
from .model import Incident, IncidentError

CHECKLIST_NOTE_LIMIT = 2000  # characters of one step note kept
_IN_LIMIT = 500  # incident ids per "IN (...)" lookup


@dataclass(frozen=True, slots=True)
class PlannedStep:
    id: str
    phase: str
    deadline: str | None = None  # a deadline expression of secmon.playbooks.model


@dataclass(frozen=True, slots=True)
class ChecklistPlan:
    """What an incident's checklist will hold: a playbook id and its steps."""

    playbook: str
    steps: tuple[PlannedStep, ...]


# Given a new incident (not stored yet), the plan of its checklist.
ChecklistPlanner = Callable[[Incident], ChecklistPlan]


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step of one incident's checklist, as stored."""

    incident_id: int
    position: int
    step_id: str
    phase: str
    deadline: str | None
    done: bool = False
    by: str | None = None
    at: datetime | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistRecord:
    incident_id: int
    playbook: str
    created_at: datetime
    steps: tuple[StepRecord, ...]

    @property
    def done_count(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)

    def step(self, step_id: str) -> StepRecord | None:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        return None


def insert_checklist(
    conn: sqlite3.Connection, incident_id: int, plan: ChecklistPlan, now: datetime
) -> None:
    """Write a plan as the incident's checklist (inside the caller's transaction)."""
    if not plan.steps:
        raise ValueError(f"checklist plan for playbook {plan.playbook!r} has no steps")
    conn.execute(
        "INSERT INTO checklists (incident_id, playbook, created_at) VALUES (?, ?, ?)",
        [incident_id, plan.playbook, utc_text(now)],
    )
    conn.executemany(
        "INSERT INTO checklist_steps (incident_id, position, step_id, phase, deadline) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            (incident_id, position, step.id, step.phase, step.deadline)
            for position, step in enumerate(plan.steps, start=1)
        ],
    )


def select_checklists(
    conn: sqlite3.Connection, incident_ids: Sequence[int] | None = None
) -> dict[int, ChecklistRecord]:
    """The checklists of `incident_ids` (all when None), by incident id."""
    params: list[Any] = []
    where = ""
    if incident_ids is not None:
        ids = sorted(set(incident_ids))
        if not ids:
            return {}
        if len(ids) > _IN_LIMIT:  # past SQLite's parameter limit: read all, keep the wanted
            everything = select_checklists(conn)
            return {i: everything[i] for i in ids if i in everything}
        where = f"WHERE c.incident_id IN ({', '.join('?' * len(ids))})"
        params = list(ids)
    heads = {
        row[0]: (row[1], parse_utc(row[2]))
        for row in conn.execute(
            f"SELECT c.incident_id, c.playbook, c.created_at FROM checklists c {where}", params
        )
    }
    steps: dict[int, list[StepRecord]] = {incident_id: [] for incident_id in heads}
    rows = conn.execute(
        "SELECT s.incident_id, s.position, s.step_id, s.phase, s.deadline, s.done, s.done_by, "
        f"s.done_at, s.note FROM checklist_steps s JOIN checklists c USING (incident_id) {where} "
        "ORDER BY s.incident_id, s.position",
        params,
    )
    for row in rows:
        steps[row[0]].append(_step(row))
    return {
        incident_id: ChecklistRecord(incident_id, playbook, created, tuple(steps[incident_id]))
        for incident_id, (playbook, created) in sorted(heads.items())
    }


def update_step(
    conn: sqlite3.Connection,
    incident_id: int,
    step_id: str,
    *,
    done: bool,
    by: str,
    note: str,
    now: datetime,
) -> StepRecord:
    """Tick or untick one step (inside the caller's transaction); IncidentError
    when the incident has no checklist, the step is unknown, or nothing changes."""
    record = select_checklists(conn, [incident_id]).get(incident_id)
    if record is None:
        raise IncidentError(
            f"sự cố #{incident_id} chưa có danh sách kiểm tra; "
            f"hãy chạy 'secmon playbook show {incident_id}' để tạo",
            f"incident #{incident_id} has no checklist yet; "
            f"run 'secmon playbook show {incident_id}' to create it",
        )
    step = record.step(step_id)
    if step is None:
        known = ", ".join(s.step_id for s in record.steps)
        raise IncidentError(
            f"sự cố #{incident_id} (kịch bản {record.playbook}) không có bước '{step_id}'; "
            f"các bước: {known}",
            f"incident #{incident_id} (playbook {record.playbook}) has no step '{step_id}'; "
            f"its steps are: {known}",
        )
    if step.done and done:
        when = utc_text(step.at) if step.at else "?"
        raise IncidentError(
            f"bước '{step_id}' của sự cố #{incident_id} đã xong ({step.by}, {when}); "
            "dùng 'secmon playbook undo' trước nếu muốn ghi lại",
            f"step '{step_id}' of incident #{incident_id} is already done ({step.by}, {when}); "
            "use 'secmon playbook undo' first to record it again",
        )
    if not step.done and not done:
        raise IncidentError(
            f"bước '{step_id}' của sự cố #{incident_id} chưa được đánh dấu xong; không có gì "
            "để bỏ",
            f"step '{step_id}' of incident #{incident_id} is not done; there is nothing to undo",
        )
    conn.execute(
        "UPDATE checklist_steps SET done = ?, done_by = ?, done_at = ?, note = ? "
        "WHERE incident_id = ? AND step_id = ?",
        [int(done), by, utc_text(now), note, incident_id, step_id],
    )
    return StepRecord(
        incident_id, step.position, step_id, step.phase, step.deadline, done, by, now, note
    )


def plan_text(plan: ChecklistPlan) -> str:
    """The timeline text of a new checklist (no attacker text in it)."""
    n = len(plan.steps)
    return (
        f"Danh sách kiểm tra theo kịch bản «{plan.playbook}» ({n} bước) / "
        f"Checklist from playbook '{plan.playbook}' ({n} steps)"
    )


def step_text(step_id: str, done: bool, note: str) -> str:
    """The timeline text of a step change; the note (the person's words) last."""
    if done:
        text = f"Đã xong bước «{step_id}» / Step '{step_id}' done"
    else:
        text = f"Bỏ đánh dấu bước «{step_id}» / Step '{step_id}' marked not done"
    return f"{text}: {note}" if note else text


def _step(row: Sequence[Any]) -> StepRecord:
    return StepRecord(
        incident_id=row[0],
        position=row[1],
        step_id=row[2],
        phase=row[3],
        deadline=row[4],
        done=bool(row[5]),
        by=row[6],
        at=None if row[7] is None else parse_utc(row[7]),
        note=row[8],
    )
