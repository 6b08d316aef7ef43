"""Matches as the stateful rules see them, and how they become Detections."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from ..events import Detection, Event
from .conditions import to_text
from .model import Rule

EVIDENCE_HEAD = 5
EVIDENCE_TAIL = 5
EVIDENCE_RAW_CHARS = 2000  # characters of a raw line kept as stateful evidence

# One remembered match of a stateful rule, small on purpose (no Event, no fields):
#   (ts, time)                              when no evidence is kept for it, or
#   (ts, time, raw, message, source, line_no, offset, host, program, parser)
# where `message` is an int n when it is the last n characters of `raw`.
Item = tuple[Any, ...]


class Hit(NamedTuple):
    """One match of a rule, as seen by the rules built on it."""

    ts: float
    time: datetime
    event: Event
    fields: Mapping[str, Any]  # named groups (or a detection's key) over the event's fields
    # how many occurrences the line stands for (rsyslog's "message repeated N times")
    weight: int = 1

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


def item_of(ts: float, time: datetime, event: Event) -> Item:
    """The compact record of one match: what evidence needs, cut to a bound."""
    raw = event.raw
    if len(raw) > EVIDENCE_RAW_CHARS:
        raw = raw[:EVIDENCE_RAW_CHARS]
    text = event.message
    message: str | int
    if len(text) <= len(raw) and raw.endswith(text):
        message = len(text)  # a small int instead of a second copy of the text
    else:
        message = text[:EVIDENCE_RAW_CHARS]
    return (
        ts,
        time,
        raw,
        message,
        event.source,
        event.line_no,
        event.offset,
        None if event.host is None else sys.intern(event.host),  # one copy per name
        None if event.program is None else sys.intern(event.program),
        event.parser,
    )


class Records:
    """The compact record and key of the match being fed, made once and shared by
    every detector of one engine that the match feeds (three sshd rules keep one
    record, not three)."""

    __slots__ = ("_event", "_ts", "_item", "_hit", "_by", "_key")

    def __init__(self) -> None:
        self._event: Event | None = None
        self._ts = 0.0
        self._item: Item = ()
        self._hit: Hit | None = None
        self._by: tuple[str, ...] = ()
        self._key: tuple[str, ...] = ()

    def item(self, ts: float, time: datetime, event: Event) -> Item:
        if event is not self._event or ts != self._ts:
            self._item = item_of(ts, time, event)
            self._event = event
            self._ts = ts
        return self._item

    def key(
        self, hit: Hit, by: tuple[str, ...], key: Callable[[Hit], tuple[str, ...]]
    ) -> tuple[str, ...]:
        if hit is not self._hit or by != self._by:
            self._key = key(hit)
            self._hit = hit
            self._by = by
        return self._key


def event_of(item: Item) -> Event | None:
    """A light Event rebuilt from a compact record (no parser fields); None without one."""
    if len(item) < 10:
        return None
    _ts, time, raw, message, source, line_no, offset, host, program, parser = item
    if message.__class__ is int:
        message = raw[len(raw) - message :] if message else ""
    return Event(
        time=time,
        source=source,
        parser=parser,
        message=message,
        raw=raw,
        host=host,
        program=program,
        line_no=line_no,
        offset=offset,
    )


def evidence_items(
    items: list[Item], current: Item | None = None, event: Event | None = None
) -> tuple[Event, ...]:
    """Events of the first 5 and last 5 records; `current` (the match that fired)
    becomes its full `event`, fields included, for the rules built on this one."""
    # one line standing for several matches ("message repeated N times") is shown once
    items = [item for i, item in enumerate(items) if i == 0 or item is not items[i - 1]]
    if len(items) > EVIDENCE_HEAD + EVIDENCE_TAIL:
        items = items[:EVIDENCE_HEAD] + items[-EVIDENCE_TAIL:]
    out = []
    for item in items:
        one = event if current is not None and item is current else event_of(item)
        if one is not None:
            out.append(one)
    return tuple(out)


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
