"""What an alert says, frozen when the incident changed: the outbox payload.

The snapshot is taken inside the transaction of the change and stored as
JSON in the outbox row, so the message is rendered later (by the sender,
away from detection) exactly as things stood, even after a restart. The
text in it is raw (log lines included); escaping happens at rendering.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from ..events import SEVERITY_RANK
from ..incidents.correlate import parse_utc, utc_text
from ..incidents.model import IncidentChange
from .escape import truncate

PAYLOAD_VERSION = 1
EVIDENCE_LINES = 3  # evidence lines an alert shows
EVIDENCE_CHARS = 2000  # characters of one evidence line kept in the payload


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    time: datetime
    source: str
    line_no: int
    text: str


@dataclass(frozen=True, slots=True)
class AlertSnapshot:
    """One incident at the moment of one alertable change."""

    kind: str  # opened | escalated | reopened | resolved
    incident_id: int
    title: Mapping[str, str]
    severity: str
    category: str
    status: str
    key: tuple[tuple[str, str], ...]
    hosts: tuple[str, ...]
    rule_ids: tuple[str, ...]
    first_seen: datetime
    last_seen: datetime
    count: int
    changed_at: datetime
    previous_severity: str | None = None
    previous_count: int = 0
    reason: str = ""  # escalated: severity, count or both
    evidence: tuple[EvidenceItem, ...] = ()
    evidence_total: int = 0
    playbook: str | None = None
    playbook_title: Mapping[str, str] | None = None
    by: str | None = None  # who resolved it
    also: tuple[str, ...] = field(default=())  # later changes folded into this alert

    def folded(self, later: AlertSnapshot) -> AlertSnapshot:
        """This alert, not sent yet, updated with a later change of the same incident."""
        kinds = (*self.also, later.kind) if later.kind != self.kind else self.also
        return replace(later, kind=self.kind, also=kinds,
                       previous_severity=self.previous_severity,
                       previous_count=self.previous_count)


def snapshot(
    conn: sqlite3.Connection,
    change: IncidentChange,
    kind: str,
    now: datetime,
    playbook_titles: Mapping[str, Mapping[str, str]],
) -> AlertSnapshot:
    """The snapshot of `change` (evidence read through `conn`, in its transaction)."""
    incident = change.incident
    rows = conn.execute(
        "SELECT time, source, line_no, raw FROM evidence WHERE incident_id = ? "
        "ORDER BY position DESC LIMIT ?",
        [incident.id, EVIDENCE_LINES],
    ).fetchall()
    evidence = tuple(
        EvidenceItem(parse_utc(t), source, line_no, truncate(raw, EVIDENCE_CHARS))
        for t, source, line_no, raw in reversed(rows)
    )
    return AlertSnapshot(
        kind=kind,
        incident_id=incident.id,
        title=dict(incident.title),
        severity=incident.severity,
        category=incident.category,
        status=incident.status,
        key=tuple((str(k), str(v)) for k, v in incident.key.items()),
        hosts=tuple(incident.hosts),
        rule_ids=tuple(incident.rule_ids),
        first_seen=incident.first_seen,
        last_seen=incident.last_seen,
        count=incident.count,
        changed_at=now,
        previous_severity=change.previous_severity,
        previous_count=change.previous_count,
        reason=change.fields.get("reason", ""),
        evidence=evidence,
        evidence_total=incident.evidence_total,
        playbook=incident.playbook,
        playbook_title=playbook_titles.get(incident.playbook) if incident.playbook else None,
        by=change.fields.get("by") if kind == "resolved" else None,
    )


def to_json(item: AlertSnapshot) -> str:
    data: dict[str, Any] = {
        "v": PAYLOAD_VERSION,
        "kind": item.kind,
        "incident_id": item.incident_id,
        "title": dict(item.title),
        "severity": item.severity,
        "category": item.category,
        "status": item.status,
        "key": [list(pair) for pair in item.key],
        "hosts": list(item.hosts),
        "rule_ids": list(item.rule_ids),
        "first_seen": utc_text(item.first_seen),
        "last_seen": utc_text(item.last_seen),
        "count": item.count,
        "changed_at": utc_text(item.changed_at),
        "previous_severity": item.previous_severity,
        "previous_count": item.previous_count,
        "reason": item.reason,
        "evidence": [
            {"time": utc_text(e.time), "source": e.source, "line_no": e.line_no, "text": e.text}
            for e in item.evidence
        ],
        "evidence_total": item.evidence_total,
        "playbook": item.playbook,
        "playbook_title": dict(item.playbook_title) if item.playbook_title else None,
        "by": item.by,
        "also": list(item.also),
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def from_json(text: str) -> AlertSnapshot:
    data = json.loads(text)
    if data.get("v") != PAYLOAD_VERSION:
        raise ValueError(f"alert payload version {data.get('v')!r} is not {PAYLOAD_VERSION}")
    return AlertSnapshot(
        kind=data["kind"],
        incident_id=data["incident_id"],
        title=data["title"],
        severity=data["severity"],
        category=data["category"],
        status=data["status"],
        key=tuple((k, v) for k, v in data["key"]),
        hosts=tuple(data["hosts"]),
        rule_ids=tuple(data["rule_ids"]),
        first_seen=parse_utc(data["first_seen"]),
        last_seen=parse_utc(data["last_seen"]),
        count=data["count"],
        changed_at=parse_utc(data["changed_at"]),
        previous_severity=data["previous_severity"],
        previous_count=data["previous_count"],
        reason=data["reason"],
        evidence=tuple(
            EvidenceItem(parse_utc(e["time"]), e["source"], e["line_no"], e["text"])
            for e in data["evidence"]
        ),
        evidence_total=data["evidence_total"],
        playbook=data["playbook"],
        playbook_title=data["playbook_title"],
        by=data["by"],
        also=tuple(data["also"]),
    )


def summary_json(**values: Any) -> str:
    """The payload of a storm summary or digest row (its items are its child rows)."""
    return json.dumps({"v": PAYLOAD_VERSION, **values}, ensure_ascii=False, sort_keys=True)


def summary_from_json(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data


def by_importance(items: Sequence[AlertSnapshot]) -> list[AlertSnapshot]:
    """Most severe first, then the most recently changed, then by incident id."""
    return sorted(items, key=lambda s: (-SEVERITY_RANK.get(s.severity, 0),
                                        -s.changed_at.timestamp(), s.incident_id))
