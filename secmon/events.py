"""The only types that cross stage boundaries: Event, Detection, Checkpoint.

Sources and parsers produce Events; rules turn them into Detections; the
incident store keeps Detections and Checkpoints. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK: Mapping[str, int] = {name: rank for rank, name in enumerate(SEVERITIES)}

CATEGORIES: tuple[str, ...] = (
    "brute-force",
    "web-attack",
    "scanning",
    "webshell",
    "defacement",
    "malware",
    "dos",
    "privilege-escalation",
    "account-compromise",
    "availability",
    "policy",
)

# Attribute names of Event that rules may address like fields.
EVENT_ATTRIBUTES: frozenset[str] = frozenset(
    {"host", "source", "parser", "program", "message", "raw"}
)


@dataclass(frozen=True, slots=True)
class Event:
    """One parsed log line (or file-integrity observation).

    `fields` holds parser-specific values (src_ip, user, method, path, status,
    ...). Treat it as read-only: it is shared by every rule that sees the event.
    """

    time: datetime
    source: str
    parser: str
    message: str
    raw: str
    host: str | None = None
    program: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    line_no: int = 0
    offset: int = 0

    def get(self, name: str) -> Any:
        """A field by name: event attributes first, then parser fields."""
        if name in EVENT_ATTRIBUTES:
            return getattr(self, name)
        return self.fields.get(name)


@dataclass(frozen=True, slots=True)
class Detection:
    """A rule's verdict that something happened, grouped by `key`."""

    rule_id: str
    title: Mapping[str, str]
    category: str
    severity: str
    tags: tuple[str, ...]
    key: tuple[tuple[str, str], ...]
    count: int
    first_seen: datetime
    last_seen: datetime
    evidence: tuple[Event, ...]
    source: str
    playbook: str | None = None

    @property
    def key_dict(self) -> dict[str, str]:
        return dict(self.key)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Where reading of one source stopped, stored with what it produced."""

    source: str
    device: int
    inode: int
    offset: int
    fingerprint: str
