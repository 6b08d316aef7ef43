"""Stateful detectors: threshold, distinct, sequence, absence.

Each detector belongs to one rule and keeps plain per-key state, advanced by
event time (never the wall clock). Keys are the values of the rule's `by`
fields. State is bounded: a key whose newest match is older than `within`
is dropped as time moves on, and at most `max_keys` keys are kept per rule
(the least recently updated go first).

A key holds no Event, only compact records (`hits.item_of`); evidence (first 5,
last 5) is rebuilt as Events when the rule fires, the firing match in full.

Semantics, where the rule format leaves room:
- windows are inclusive: matches at t and t + within fall within `within`;
- threshold and distinct restart the key after firing (a persistent attacker
  gives one detection per `count` matches);
- distinct counts values (count = number of distinct values); each value
  stands at its latest match, and a match without the field is ignored;
- sequence counts the `first` matches in [then - within, then]; later ones
  (logged out of order) do not count; at most 10,000 are kept per key;
- absence fires when the silence is longer than `within` (exactly `within`
  is not yet silence), once, with count 0 and the last match as evidence;
- a line standing for N matches (rsyslog's "message repeated N times", field
  `repeat`) counts N times in threshold and in sequence's `first` (at most the
  count the rule needs), once in distinct and absence.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from ..events import Detection, Event
from .allowlist import Allowlist
from .conditions import to_text
from .hits import (
    EVIDENCE_HEAD,
    EVIDENCE_TAIL,
    Hit,
    Item,
    Records,
    detection,
    event_of,
    evidence_items,
    item_of,
    key_function,
)
from .model import Absence, Distinct, Rule, Threshold
from .model import Sequence as SequenceSpec
from .snapshots import event_from_plain, event_to_plain, time_from_plain, time_to_plain

MAX_FIRSTS_PER_KEY = 10_000  # sequence: earlier matches kept per key, oldest dropped first
_TS = itemgetter(0)
NOTHING: tuple[Detection, ...] = ()


class Detector:
    """Base: per-key state in an OrderedDict (least recently updated first)."""

    kind = ""

    def __init__(self, rule: Rule, max_keys: int, records: Records | None = None):
        assert rule.stateful is not None
        self.rule = rule
        self.records = records if records is not None else Records()
        self.by = rule.stateful.by
        self.key = key_function(self.by)
        self.within = rule.stateful.within.total_seconds()
        self.allowlist: Allowlist | None = rule.allowlist if rule.allowlist else None
        self.max_keys = max_keys
        self.keys: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self.latest = float("-inf")  # newest match time seen by this rule
        # stale keys are swept when time passes this, at most every within/8
        self.next_sweep = float("-inf")

    def __len__(self) -> int:
        return len(self.keys)

    def feed(self, hit: Hit, role: str) -> Sequence[Detection]:
        raise NotImplementedError

    def tick(self, ts: float, now: datetime) -> Sequence[Detection]:
        return NOTHING

    def is_due(self, ts: float) -> bool:
        """Whether `tick(ts, ...)` could fire (absence rules only)."""
        return False

    def _touch(self, key: tuple[str, ...], ts: float, new: Any) -> Any:
        """The state of `key` (created by `new()`), marked most recent; bounds the keys."""
        if ts > self.latest:
            self.latest = ts
            if ts >= self.next_sweep:
                self.next_sweep = ts + max(1.0, self.within / 8)
                self._expire(ts - self.within)
        keys = self.keys
        state = keys.get(key)
        if state is None:
            state = keys[key] = new()
            if len(keys) > self.max_keys:
                keys.popitem(last=False)
        else:
            keys.move_to_end(key)
        return state

    def _expire(self, cutoff: float) -> None:
        """Drop keys at the old end whose newest match is before `cutoff`."""
        keys = self.keys
        while keys:
            oldest = next(iter(keys))
            if self._newest(keys[oldest]) >= cutoff:
                return
            del keys[oldest]

    def _newest(self, state: Any) -> float:
        return state[-1][0] if state else float("-inf")

    def _fire(
        self,
        key: tuple[str, ...],
        items: list[Item],
        count: int,
        current: Item | None,
        event: Event,
    ) -> Detection:
        """Detection of `key` (then forgotten); `event` is the full Event of `current`."""
        del self.keys[key]
        return detection(
            self.rule,
            self.by,
            key,
            count,
            items[0][1],
            items[-1][1],
            evidence_items(items, current, event),
        )

    # -- snapshots -------------------------------------------------------------------
    def snapshot(self, max_keys: int, max_events: int) -> dict[str, Any]:
        events: list[dict[str, Any]] = []
        chosen = list(self.keys.items())[-max_keys:]
        rows = []
        for key, state in reversed(chosen):  # newest first get the evidence budget
            items = self._items(state)
            keep = set(range(min(EVIDENCE_HEAD, len(items))))
            keep |= set(range(max(0, len(items) - EVIDENCE_TAIL), len(items)))
            plain_items = []
            for index, item in enumerate(items):
                when = item[1]
                event = event_of(item)
                ref = None
                if event is not None and index in keep and len(events) < max_events:
                    ref = len(events)
                    events.append(event_to_plain(event))
                plain_items.append([time_to_plain(when), ref, *self._extra(state, index)])
            rows.append([list(key), plain_items])
        rows.reverse()
        latest = None if self.latest == float("-inf") else self.latest
        return {"kind": self.kind, "latest": latest, "keys": rows, "events": events}

    def restore(self, data: Mapping[str, Any]) -> None:
        events = [event_from_plain(e) for e in data["events"]]
        self.keys.clear()
        latest = data.get("latest")
        self.latest = float(latest) if latest is not None else float("-inf")
        for key, plain_items in data["keys"]:
            items = []
            extras = []
            for row in plain_items:
                when = time_from_plain(row[0])
                ts = when.timestamp()
                if row[1] is None:
                    items.append((ts, when))
                else:
                    items.append(item_of(ts, when, events[row[1]]))
                extras.append(row[2:])
            self.keys[tuple(str(k) for k in key)] = self._state_from(items, extras)
        while len(self.keys) > self.max_keys:
            self.keys.popitem(last=False)

    def _items(self, state: Any) -> list[Item]:
        return state

    def _extra(self, state: Any, index: int) -> list[Any]:
        return []

    def _state_from(self, items: list[Item], extras: list[list[Any]]) -> Any:
        items.sort(key=_TS)
        return items


def _insert(items: list[Item], item: Item) -> None:
    if not items or item[0] >= items[-1][0]:
        items.append(item)
    else:
        items.insert(bisect_right(items, item[0], key=_TS), item)


def _repeat(items: list[Item], item: Item, weight: int, needed: int) -> None:
    """Count `item`, already in `items`, `weight` times in all: a line that says
    "message repeated N times" stands for N matches. At most `needed` copies are
    kept (the line is attacker-controlled text; N can be anything)."""
    for _ in range(min(weight, needed) - 1):
        _insert(items, item)


def _drop_before(items: list[Item], cutoff: float) -> None:
    if items and items[0][0] < cutoff:
        del items[: bisect_left(items, cutoff, key=_TS)]


class ThresholdDetector(Detector):
    """Fires when `count` matches of one key fall within `within`; then restarts the key."""

    kind = "threshold"

    def __init__(self, rule: Rule, max_keys: int, records: Records | None = None):
        super().__init__(rule, max_keys, records)
        assert isinstance(rule.stateful, Threshold)
        self.count = rule.stateful.count

    def feed(self, hit: Hit, role: str) -> Sequence[Detection]:
        if self.allowlist is not None and self.allowlist.allows(hit.get):
            return NOTHING
        key = self.records.key(hit, self.by, self.key)
        ts = hit.ts
        if ts > self.latest:
            self.latest = ts
            if ts >= self.next_sweep:
                self.next_sweep = ts + max(1.0, self.within / 8)
                self._expire(ts - self.within)
        keys = self.keys
        items = keys.get(key)
        item = self.records.item(ts, hit.time, hit.event)
        if items is None:
            items = keys[key] = [item]  # a list made full-size: no spare slots
            if len(keys) > self.max_keys:
                keys.popitem(last=False)
        else:
            keys.move_to_end(key)
            if ts >= items[-1][0]:
                items.append(item)
            else:
                _insert(items, item)
            cutoff = items[-1][0] - self.within
            if items[0][0] < cutoff:
                if items[1][0] >= cutoff:
                    del items[0]  # the window slid by one match: the usual case
                else:
                    _drop_before(items, cutoff)
        if hit.weight > 1:
            _repeat(items, item, hit.weight, self.count)
        if len(items) >= self.count:
            return (self._fire(key, items, len(items), item, hit.event),)
        return NOTHING


class DistinctDetector(Detector):
    """Fires when `count` distinct values of `field` for one key fall within `within`."""

    kind = "distinct"

    def __init__(self, rule: Rule, max_keys: int, records: Records | None = None):
        super().__init__(rule, max_keys, records)
        assert isinstance(rule.stateful, Distinct)
        self.field = rule.stateful.field
        self.count = rule.stateful.count

    def feed(self, hit: Hit, role: str) -> Sequence[Detection]:
        if self.allowlist is not None and self.allowlist.allows(hit.get):
            return NOTHING
        value = to_text(hit.get(self.field))
        if value is None:
            return NOTHING  # nothing to count
        key = self.records.key(hit, self.by, self.key)
        values: dict[str, Item] = self._touch(key, hit.ts, dict)
        old = values.pop(value, None)
        current: Item | None = None
        if old is not None and old[0] > hit.ts:
            values[value] = old  # logged out of order: the value stands at its latest match
        else:
            current = values[value] = self.records.item(hit.ts, hit.time, hit.event)
        if len(values) >= self.count:
            cutoff = max(item[0] for item in values.values()) - self.within
            fresh = {v: item for v, item in values.items() if item[0] >= cutoff}
            if len(fresh) >= self.count:
                items = sorted(fresh.values(), key=_TS)
                return (self._fire(key, items, len(items), current, hit.event),)
            self.keys[key] = fresh
        return NOTHING

    def _newest(self, state: Any) -> float:
        return max((item[0] for item in state.values()), default=float("-inf"))

    def _items(self, state: Any) -> list[Item]:
        return list(state.values())

    def _extra(self, state: Any, index: int) -> list[Any]:
        return [list(state)[index]]

    def _state_from(self, items: list[Item], extras: list[list[Any]]) -> Any:
        return {str(extra[0]): item for item, extra in zip(items, extras, strict=True)}


class SequenceDetector(Detector):
    """Fires when a `then` match follows >= min_count `first` matches within `within`."""

    kind = "sequence"

    def __init__(self, rule: Rule, max_keys: int, records: Records | None = None):
        super().__init__(rule, max_keys, records)
        assert isinstance(rule.stateful, SequenceSpec)
        self.min_count = rule.stateful.min_count

    def feed(self, hit: Hit, role: str) -> Sequence[Detection]:
        if self.allowlist is not None and self.allowlist.allows(hit.get):
            return NOTHING
        key = self.records.key(hit, self.by, self.key)
        if role == "first":
            firsts = self._touch(key, hit.ts, list)
            first = self.records.item(hit.ts, hit.time, hit.event)
            _insert(firsts, first)
            if hit.weight > 1:
                _repeat(firsts, first, hit.weight, self.min_count)
            _drop_before(firsts, firsts[-1][0] - self.within)
            if len(firsts) > MAX_FIRSTS_PER_KEY:
                del firsts[: len(firsts) - MAX_FIRSTS_PER_KEY]
            return NOTHING
        firsts = self.keys.get(key)
        if not firsts:
            return NOTHING
        start = bisect_left(firsts, hit.ts - self.within, key=_TS)
        end = bisect_right(firsts, hit.ts, key=_TS)
        if end - start < self.min_count:
            return NOTHING
        then = self.records.item(hit.ts, hit.time, hit.event)
        items = firsts[start:end] + [then]
        return (self._fire(key, items, len(items), then, hit.event),)


class AbsenceDetector(Detector):
    """Fires when a key seen before stays silent for longer than `within`."""

    kind = "absence"

    def __init__(self, rule: Rule, max_keys: int, records: Records | None = None):
        super().__init__(rule, max_keys, records)
        assert isinstance(rule.stateful, Absence)
        self.due = float("inf")  # no key can fall silent before this time

    def feed(self, hit: Hit, role: str) -> Sequence[Detection]:
        if self.allowlist is not None and self.allowlist.allows(hit.get):
            return NOTHING
        key = self.records.key(hit, self.by, self.key)
        keys = self.keys
        ts = hit.ts
        last: Item | None = keys.get(key)
        current = self.records.item(ts, hit.time, hit.event)
        found: Sequence[Detection] = NOTHING
        if last is None:
            last = keys[key] = current
            if len(keys) > self.max_keys:
                keys.popitem(last=False)
        else:
            keys.move_to_end(key)
            if ts > last[0] + self.within:
                # the silence ended inside the stream: report the silent interval
                evidence = evidence_items([last, current], current, hit.event)
                found = (detection(self.rule, self.by, key, 0, last[1], hit.time, evidence),)
            if ts >= last[0]:
                last = keys[key] = current
        due = last[0] + self.within
        if due < self.due:
            self.due = due
        if ts > self.latest:
            self.latest = ts
        return found

    def is_due(self, ts: float) -> bool:
        return ts > self.due

    def tick(self, ts: float, now: datetime) -> Sequence[Detection]:
        """Fire (once) for every key silent since before `now - within`."""
        if ts <= self.due:
            return NOTHING
        found = []
        due = float("inf")
        for key, last in list(self.keys.items()):
            last_ts = last[0]
            if ts > last_ts + self.within:
                del self.keys[key]
                evidence = evidence_items([last])
                found.append(detection(self.rule, self.by, key, 0, last[1], now, evidence))
            else:
                due = min(due, last_ts + self.within)
        self.due = due
        return found

    def _newest(self, state: Any) -> float:
        return state[0]

    def _items(self, state: Any) -> list[Item]:
        return [state]

    def _state_from(self, items: list[Item], extras: list[list[Any]]) -> Any:
        item = max(items, key=_TS)
        self.due = min(self.due, item[0] + self.within)
        return item

    def restore(self, data: Mapping[str, Any]) -> None:
        self.due = float("inf")
        super().restore(data)


DETECTORS: dict[str, type[Detector]] = {
    "threshold": ThresholdDetector,
    "distinct": DistinctDetector,
    "sequence": SequenceDetector,
    "absence": AbsenceDetector,
}


def make_detector(rule: Rule, max_keys: int, records: Records | None = None) -> Detector:
    """The detector of `rule`; detectors of one engine share `records`."""
    return DETECTORS[rule.kind](rule, max_keys, records)
