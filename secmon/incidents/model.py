"""Incident types shared by the store, notify, playbooks and reports.

Also the lifecycle rules (which status may follow which) and the errors the
incident store raises, so callers need one import for all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..errors import SecmonError

STATUSES: tuple[str, ...] = ("new", "acknowledged", "contained", "resolved", "false_positive")
OPEN_STATUSES: frozenset[str] = frozenset({"new", "acknowledged", "contained"})
CLOSED_STATUSES: frozenset[str] = frozenset({"resolved", "false_positive"})

# UI labels (domain glossary §4); Vietnamese first.
STATUS_LABELS: Mapping[str, Mapping[str, str]] = {
    "new": {"vi": "mới", "en": "new"},
    "acknowledged": {"vi": "đã tiếp nhận", "en": "acknowledged"},
    "contained": {"vi": "đã ngăn chặn", "en": "contained"},
    "resolved": {"vi": "đã khắc phục", "en": "resolved"},
    "false_positive": {"vi": "cảnh báo nhầm", "en": "marked false positive"},
}

# Manual status changes a person may make. Closed incidents only go back to
# "new", and only through reopen.
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "new": frozenset({"acknowledged", "contained", "resolved", "false_positive"}),
    "acknowledged": frozenset({"contained", "resolved", "false_positive"}),
    "contained": frozenset({"resolved", "false_positive"}),
    "resolved": frozenset({"new"}),
    "false_positive": frozenset({"new"}),
}

# Change kinds that should reach people; "updated" and "suppressed" are quiet.
ALERT_KINDS: frozenset[str] = frozenset({"opened", "escalated", "reopened"})


@dataclass(frozen=True, slots=True)
class Incident:
    id: int
    category: str
    severity: str
    status: str
    key: Mapping[str, str]
    title: Mapping[str, str]  # {"vi": ..., "en": ...}
    rule_ids: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    count: int  # matching log lines (or events) over all detections
    detections: int  # how many detections were merged into it
    created_at: datetime
    updated_at: datetime
    playbook: str | None = None
    assignee: str | None = None
    hosts: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    # When the incident last entered each state; see apply_transition.
    acknowledged_at: datetime | None = None
    contained_at: datetime | None = None
    resolved_at: datetime | None = None
    notified_count: int = 0  # count when people were last alerted (escalation base)
    evidence_total: int = 0  # evidence lines seen; at most 40 of them are kept

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    incident_id: int
    at: datetime
    kind: str  # opened, updated, escalated, reopened, suppressed, status, note, assigned
    actor: str
    text: str = ""
    old_status: str | None = None
    new_status: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceLine:
    incident_id: int
    time: datetime
    source: str
    line_no: int
    raw: str
    rule_id: str
    position: int = 0  # 0-based rank among all evidence lines of the incident


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """What recording detections did to an incident (input to notify).

    One change per incident and record() call. `previous_*` describe the
    incident before the call (None / 0 for a new one). `fields` says why:
    {"reason": "severity" | "count" | "severity,count"} for escalated.
    A person's status change (ack, contain, resolve, reopen) is kind
    "status" with fields {"old_status", "new_status", "by"}; it is reported
    only to the store's on_change hook.
    """

    kind: str  # opened | updated | escalated | reopened | suppressed | status
    incident: Incident
    previous_severity: str | None = None
    previous_count: int = 0
    fields: Mapping[str, str] = field(default_factory=dict)

    @property
    def alertable(self) -> bool:
        return self.kind in ALERT_KINDS


@dataclass(frozen=True, slots=True)
class IncidentStats:
    """Counts for status output; every status and severity is present."""

    by_status: Mapping[str, int]
    by_severity: Mapping[str, int]
    open_by_severity: Mapping[str, int]
    total: int


class IncidentError(SecmonError):
    """An incident operation that cannot be done; `text` holds vi and en."""

    def __init__(self, vi: str, en: str):
        self.text: Mapping[str, str] = {"vi": vi, "en": en}
        super().__init__(en)


class UnknownIncidentError(IncidentError):
    def __init__(self, incident_id: int):
        self.incident_id = incident_id
        super().__init__(f"không có sự cố #{incident_id}", f"no incident #{incident_id}")


class TransitionError(IncidentError):
    """A status change the lifecycle does not allow."""

    def __init__(self, incident_id: int, status: str, wanted: str, vi: str, en: str):
        self.incident_id = incident_id
        self.status = status
        self.wanted = wanted
        super().__init__(vi, en)


class StoreError(IncidentError):
    """The incident database cannot be opened or used."""


class SchemaVersionError(StoreError):
    """The database file was written by a newer secmon."""


def check_transition(incident_id: int, status: str, wanted: str) -> None:
    """Raise TransitionError unless a person may move `status` to `wanted`."""
    if wanted in TRANSITIONS.get(status, frozenset()):
        return
    n = f"#{incident_id}"
    now = STATUS_LABELS.get(status, {"vi": status, "en": status})
    target = STATUS_LABELS.get(wanted, {"vi": wanted, "en": wanted})
    if wanted == "new":  # reopen of an incident that is not closed
        vi = f"sự cố {n} đang ở trạng thái «{now['vi']}», chưa đóng; không có gì để mở lại"
        en = f"incident {n} is {now['en']}, not closed; there is nothing to reopen"
    elif status in CLOSED_STATUSES:
        vi = f"sự cố {n} đang ở trạng thái «{now['vi']}»; hãy mở lại trước"
        en = f"incident {n} is {now['en']}; reopen it first"
    elif status == wanted:
        vi = f"sự cố {n} đã ở trạng thái «{now['vi']}»"
        en = f"incident {n} is already {now['en']}"
    else:
        vi = f"sự cố {n} đang ở trạng thái «{now['vi']}»; không thể quay lại «{target['vi']}»"
        en = f"incident {n} is {now['en']}; it cannot go back to {target['en']}"
    raise TransitionError(incident_id, status, wanted, vi, en)


def apply_transition(incident: Incident, wanted: str, now: datetime) -> Incident:
    """The incident after a person moves it to `wanted` (checked first).

    Each state's *_at is when it was last entered; reopen clears them. The
    first contain/resolve of an unacknowledged incident also counts as its
    acknowledgement (time to first human response).
    """
    check_transition(incident.id, incident.status, wanted)
    first_response = incident.acknowledged_at or now
    if wanted == "acknowledged":
        changed = replace(incident, acknowledged_at=now)
    elif wanted == "contained":
        changed = replace(incident, acknowledged_at=first_response, contained_at=now)
    elif wanted == "new":
        changed = replace(incident, acknowledged_at=None, contained_at=None, resolved_at=None)
    else:
        changed = replace(incident, acknowledged_at=first_response, resolved_at=now)
    return replace(changed, status=wanted, updated_at=now)
