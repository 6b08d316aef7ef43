"""Matches as the stateful rules see them, and how they become Detections."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from ..events import Detection, Event
from .conditions import to_text
from .model import Rule

EVIDENCE_HEAD = 5
EVIDENCE_TAIL = 5


class Hit(NamedTuple):
    """One match of a rule, as seen by the rules built on it."""

    ts: float
    time: datetime
    event: Event
    fields: Mapping[str, Any]  # named groups (or a detection's key) over the event's fields

    def get(self, name: str) -> Any:
        value = self.fields.get(name)
        return value if value is not None else self.event.get(name)


def key_of(hit: Hit, by: tuple[str, ...]) -> tuple[str, ...]:
    """The group-by values of a match; a missing field becomes '-'."""
    out = []
    for name in by:
        text = to_text(hit.get(name))
        out.append("-" if text is None else text)
    return tuple(out)


def key_function(by: tuple[str, ...]) -> Callable[[Hit], tuple[str, ...]]:
    """`key_of` for one `by`, with a fast path for the common single field."""
    if len(by) != 1:
        return lambda hit: key_of(hit, by)
    name = by[0]

    def key(hit: Hit) -> tuple[str, ...]:
        value = hit.fields.get(name)
        if value is None:
            value = hit.event.get(name)
            if value is None:
                return ("-",)
        return (value if value.__class__ is str else str(to_text(value)),)

    return key


def evidence_of(events: list[Event | None]) -> tuple[Event, ...]:
    """At most 10 events: the first 5 and the last 5."""
    if len(events) > EVIDENCE_HEAD + EVIDENCE_TAIL:
        events = events[:EVIDENCE_HEAD] + events[-EVIDENCE_TAIL:]
    return tuple(e for e in events if e is not None)


def detection(
    rule: Rule,
    by: tuple[str, ...],
    key: tuple[str, ...],
    count: int,
    first: datetime,
    last: datetime,
    evidence: tuple[Event, ...],
) -> Detection:
    return Detection(
        rule_id=rule.id,
        title=rule.title,
        category=rule.category,
        severity=rule.severity,
        tags=rule.tags,
        key=tuple(zip(by, key, strict=True)),
        count=count,
        first_seen=first,
        last_seen=last,
        evidence=evidence,
        source=evidence[-1].source if evidence else "",
        playbook=rule.playbook,
    )
