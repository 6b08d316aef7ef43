"""Each incident's checklist: planned from its playbook, kept in the database.

The incident store holds the state (secmon.incidents.checklists); this
module decides what goes in (`plan_checklist`: the playbook chosen by the
incident's rules and category, its steps and deadlines, report deadlines
taken from the reporting regime), says where a checklist stands
(`checklist_status`: done/total, overdue and next deadlines), and renders it
with the playbook's texts (`render_incident_checklist`).

Everything here is pure except the three functions taking a store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from ..errors import SecmonError
from ..incidents.checklists import (
    ChecklistPlan,
    ChecklistPlanner,
    ChecklistRecord,
    PlannedStep,
    StepRecord,
)
from ..incidents.model import Incident
from .model import Deadline, Playbook, PlaybookSet, StepState, parse_deadline
from .render import render_checklist
from .variables import DEFAULT_EVIDENCE_ROOT

if TYPE_CHECKING:  # pragma: no cover - the store is passed in, never built here
    from ..incidents.store import IncidentStore

DUE_SOON = timedelta(hours=24)  # "due" in lists: a deadline within this from now

NO_DEADLINES: Mapping[str, Deadline] = {}


def plan_checklist(
    playbooks: PlaybookSet, incident: Incident, deadlines: Mapping[str, Deadline] = NO_DEADLINES
) -> ChecklistPlan:
    """The checklist a new incident gets: its playbook (a rule's preferred one,
    else by rule, else by category, else the fallback) and that playbook's
    steps. `deadlines` (step id -> deadline, from the reporting regime)
    replace the playbook's own for those steps."""
    playbook = playbooks.for_incident(
        incident.category, incident.rule_ids, preferred=incident.playbook
    )
    steps = []
    for step in playbook.steps:
        deadline = deadlines.get(step.id, step.deadline)
        steps.append(PlannedStep(step.id, step.phase, deadline.expression if deadline else None))
    return ChecklistPlan(playbook.id, tuple(steps))


def checklist_planner(
    playbooks: PlaybookSet, deadlines: Mapping[str, Deadline] = NO_DEADLINES
) -> ChecklistPlanner:
    """The `plan_checklist` hook for IncidentStore."""

    def plan(incident: Incident) -> ChecklistPlan:
        return plan_checklist(playbooks, incident, deadlines)

    return plan


# ------------------------------------------------------------------ status
@dataclass(frozen=True, slots=True)
class StepDue:
    """A step with a deadline, and where it stands at `now`."""

    step_id: str
    phase: str
    deadline: str
    due: datetime | None  # None: its anchor (acknowledged, resolved) has not happened
    state: str  # overdue | due (within DUE_SOON) | pending | urgent | done | late (done after due)
    done_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ChecklistStatus:
    playbook: str
    done: int
    total: int
    deadlines: tuple[StepDue, ...]  # every step with a deadline, in checklist order

    @property
    def overdue(self) -> tuple[StepDue, ...]:
        return tuple(d for d in self.deadlines if d.state == "overdue")

    @property
    def due_soon(self) -> tuple[StepDue, ...]:
        return tuple(d for d in self.deadlines if d.state == "due")

    @property
    def urgent(self) -> tuple[StepDue, ...]:
        return tuple(d for d in self.deadlines if d.state == "urgent")

    @property
    def next_due(self) -> StepDue | None:
        """The earliest known deadline of a step not done yet (overdue ones included)."""
        waiting = [d for d in self.deadlines if d.due is not None and d.state in _WAITING]
        return min(waiting, key=lambda d: d.due or datetime.max) if waiting else None

    @property
    def progress(self) -> str:
        return f"{self.done}/{self.total}"


_WAITING = frozenset({"overdue", "due", "pending"})


def anchors(incident: Incident) -> dict[str, datetime | None]:
    """Deadline anchors: detected is when secmon opened the incident."""
    return {
        "detected": incident.created_at,
        "acknowledged": incident.acknowledged_at,
        "resolved": incident.resolved_at,
    }


def step_due(step: StepRecord, incident: Incident) -> datetime | None:
    """When the step falls due (None: no deadline or its anchor has not happened)."""
    if step.deadline is None:
        return None
    return parse_deadline(step.deadline).due(anchors(incident))


def checklist_status(
    record: ChecklistRecord, incident: Incident, now: datetime, soon: timedelta = DUE_SOON
) -> ChecklistStatus:
    """Progress and deadlines of a checklist at `now`. A false positive owes nothing:
    its undone steps are never overdue."""
    owes = incident.status != "false_positive"
    deadlines = []
    for step in record.steps:
        if step.deadline is None:
            continue
        parsed = parse_deadline(step.deadline)
        due = parsed.due(anchors(incident))
        if step.done:
            late = due is not None and step.at is not None and step.at > due
            state = "late" if late and not parsed.immediate else "done"
        elif not owes:
            state = "pending"
        elif parsed.immediate:
            state = "urgent"
        elif due is None:
            state = "pending"
        elif now > due:
            state = "overdue"
        elif due <= now + soon:
            state = "due"
        else:
            state = "pending"
        deadlines.append(
            StepDue(step.step_id, step.phase, step.deadline, due, state,
                    step.at if step.done else None)
        )
    return ChecklistStatus(record.playbook, record.done_count, record.total, tuple(deadlines))


def step_states(record: ChecklistRecord) -> dict[str, StepState]:
    """The stored state of every step, as render_checklist takes it."""
    return {
        step.step_id: StepState(True, step.by, step.at, step.note) if step.done else StepState()
        for step in record.steps
    }


def checklist_playbook(record: ChecklistRecord, playbooks: PlaybookSet) -> Playbook:
    """The incident's playbook as its checklist has it: only the steps the
    incident got, in their order, with the deadlines stored for them."""
    playbook = playbooks.get(record.playbook)
    if playbook is None:
        raise ChecklistError(
            f"sự cố #{record.incident_id} dùng kịch bản '{record.playbook}', nhưng kịch bản này "
            "không còn được nạp; hãy đưa tệp kịch bản trở lại thư mục kịch bản",
            f"incident #{record.incident_id} uses playbook '{record.playbook}', which is no "
            "longer loaded; put its file back in the playbook folder",
        )
    by_id = {step.id: step for step in playbook.steps}
    steps = []
    for stored in record.steps:
        step = by_id.get(stored.step_id)
        if step is not None:
            deadline = parse_deadline(stored.deadline) if stored.deadline else None
            steps.append(replace(step, deadline=deadline))
    return replace(playbook, steps=tuple(steps))


class ChecklistError(SecmonError):
    """A checklist cannot be shown or changed; `text` holds vi and en."""

    def __init__(self, vi: str, en: str):
        self.text: Mapping[str, str] = {"vi": vi, "en": en}
        super().__init__(en)


# ------------------------------------------------------- with the store
def ensure_checklist(
    store: IncidentStore,
    incident_id: int,
    playbooks: PlaybookSet,
    deadlines: Mapping[str, Deadline] = NO_DEADLINES,
    by: str = "secmon",
) -> ChecklistRecord:
    """The incident's checklist, first creating it for an incident stored before
    checklists existed (or by a store without a planner)."""
    record = store.checklist(incident_id)
    if record is not None:
        return record
    plan = plan_checklist(playbooks, store.get(incident_id), deadlines)
    return store.attach_checklist(incident_id, plan, by=by)


def render_incident_checklist(
    store: IncidentStore,
    incident_id: int,
    playbooks: PlaybookSet,
    *,
    lang: str,
    fmt: str,
    now: datetime,
    tz: tzinfo,
    org: str | None = None,
    deadlines: Mapping[str, Deadline] = NO_DEADLINES,
    evidence_root: str = DEFAULT_EVIDENCE_ROOT,
) -> str:
    """The incident's checklist with its stored state, in `lang` and `fmt`."""
    record = ensure_checklist(store, incident_id, playbooks, deadlines)
    incident = store.get(incident_id)
    return render_checklist(
        checklist_playbook(record, playbooks),
        incident,
        lang=lang,
        fmt=fmt,
        done=step_states(record),
        now=now,
        org=org,
        tz=tz,
        evidence_root=evidence_root,
    )


def statuses(
    records: Mapping[int, ChecklistRecord], incidents: Sequence[Incident], now: datetime
) -> dict[int, ChecklistStatus]:
    """checklist_status for every incident that has a checklist."""
    return {
        incident.id: checklist_status(records[incident.id], incident, now)
        for incident in incidents
        if incident.id in records
    }
