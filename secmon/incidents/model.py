"""Incident types shared by the store, notify, playbooks and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Mapping

STATUSES: tuple[str, ...] = ("new", "acknowledged", "contained", "resolved", "false_positive")
OPEN_STATUSES: frozenset[str] = frozenset({"new", "acknowledged", "contained"})


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

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    incident_id: int
    at: datetime
    kind: str  # opened, updated, escalated, reopened, status, note, ...
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


@dataclass(frozen=True, slots=True)
class IncidentChange:
    """What recording a detection did to an incident (input to notify)."""

    kind: str  # opened | updated | escalated | reopened
    incident: Incident
    previous_severity: str | None = None
    previous_count: int = 0
    fields: Mapping[str, str] = field(default_factory=dict)
