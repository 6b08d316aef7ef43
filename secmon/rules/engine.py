"""The detection engine: events in, detections out.

    engine = DetectionEngine(ruleset)
    for event in events:
        for detection in engine.process(event): ...
    engine.finish()

Stateless rules test each event; their matches feed the stateful rules that
name them (`from`, `first`, `then`), whose detections feed the rules built
on them in turn. Only enabled, non-building-block rules report detections.
A disabled rule that an enabled rule builds on still runs to feed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..events import Detection, Event
from .conditions import to_text
from .detectors import Detector, make_detector
from .hits import Hit, Records, detection
from .matcher import RuleMatch, Screen, StatelessMatcher
from .model import Rule, RuleSet, Sequence
from .snapshots import SNAPSHOT_VERSION, SnapshotError

DEFAULT_MAX_KEYS = 100_000
DEFAULT_SNAPSHOT_KEYS = 10_000
DEFAULT_SNAPSHOT_EVENTS = 100

__all__ = ["DetectionEngine", "RuleMatch", "Screen", "SnapshotError"]


def active_rules(ruleset: RuleSet, *, building_blocks: bool = False) -> list[Rule]:
    """Rules that report (enabled, not building blocks) and everything they build on,
    dependencies before dependents; with `building_blocks`, enabled ones that feed
    nothing too (for explain)."""
    ordered: dict[str, Rule] = {}
    for rule in ruleset.rules:
        if rule.enabled and (building_blocks or not rule.building_block):
            for dep in ruleset.dependencies(rule.id):
                ordered.setdefault(dep.id, dep)
    return list(ordered.values())


def _stateless(ruleset: RuleSet, rules: list[Rule]) -> list[Rule]:
    """The stateless ones of `rules`, in load order (the order of their detections)."""
    wanted = {r.id for r in rules if not r.is_stateful}
    return [r for r in ruleset.rules if r.id in wanted]


def stateless_detection(rule: Rule, hit: Hit) -> Detection:
    """One detection for one event: key from `key:`, else src_ip, else host."""
    if rule.key is not None:
        by = rule.key
    elif hit.get("src_ip") is not None:
        by = ("src_ip",)
    else:
        by = ("host",)
    key = []
    for name in by:
        text = to_text(hit.get(name))
        key.append("-" if text is None else text)
    return detection(rule, by, tuple(key), hit.weight, hit.time, hit.time, (hit.event,))


class DetectionEngine:
    def __init__(
        self,
        ruleset: RuleSet,
        *,
        max_keys_per_rule: int = DEFAULT_MAX_KEYS,
        snapshot_keys: int = DEFAULT_SNAPSHOT_KEYS,
        snapshot_events: int = DEFAULT_SNAPSHOT_EVENTS,
    ):
        self.ruleset = ruleset
        self.max_keys_per_rule = max_keys_per_rule
        self.snapshot_keys = snapshot_keys
        self.snapshot_events = snapshot_events
        rules = active_rules(ruleset)
        self._reporting = frozenset(r.id for r in rules if r.enabled and not r.building_block)
        self._matcher = StatelessMatcher(_stateless(ruleset, rules), ruleset.allowlist)
        self._stateful = [r for r in rules if r.is_stateful]
        self._explainer: StatelessMatcher | None = None
        self._detectors: dict[str, Detector] = {}
        self._feeds: dict[str, list[tuple[Detector, str]]] = {}
        self._absence: list[Detector] = []
        self._reset()

    def _reset(self) -> None:
        records = Records()  # one compact record per match, shared by the detectors it feeds
        self._detectors = {
            r.id: make_detector(r, self.max_keys_per_rule, records) for r in self._stateful
        }
        self._feeds = {}
        for rule in self._stateful:
            detector = self._detectors[rule.id]
            if isinstance(rule.stateful, Sequence):
                roles = [(rule.stateful.first, "first"), (rule.stateful.then, "then")]
            else:
                roles = [(source, "") for source in rule.sources]
            for source, role in roles:
                self._feeds.setdefault(source, []).append((detector, role))
        self._absence = [d for d in self._detectors.values() if d.kind == "absence"]
        self._watermark = float("-inf")
        self._last_time: datetime | None = None
        self._last_ts = 0.0

    # -- events --------------------------------------------------------------------
    def process(self, event: Event) -> list[Detection]:
        """The detections this event completes (none of building-block rules)."""
        out: list[Detection] = []
        reporting = self._reporting
        feeds = self._feeds
        time = event.time
        if time is self._last_time:  # parsers hand out one time object per stamp
            ts = self._last_ts
        else:
            ts = self._last_ts = time.timestamp()
            self._last_time = time
        for _, rule, hit, _ in self._matcher.hits(event, ts):
            if rule.id in reporting:
                out.append(stateless_detection(rule, hit))
            targets = feeds.get(rule.id)
            if targets:
                for detector, role in targets:
                    found = detector.feed(hit, role)
                    if found:
                        for one in found:
                            self._emit(detector.rule, one, out)
        if ts > self._watermark and self._absence:
            self._watermark = ts
            self._tick(ts, time, out)
        return out

    def screen(self, parser: str, *, explain: bool = False) -> Screen:
        """A cheap test for events of `parser`: `wanted(program, message)` is false only
        when no stateless rule (of `explain` with `explain`) can match the event.

        A line turned away is given to `skip` (by its time) instead of `process`.
        """
        return (self._explaining() if explain else self._matcher).screen(parser)

    def skip(self, ts: float) -> bool:
        """Account for an event that `screen` turned away, known only by its timestamp.

        Event time moves on as in `process`. True means an absence rule is due
        at `ts`: then pass the full event to `process` instead.
        """
        if not self._absence or ts <= self._watermark:
            return False
        for detector in self._absence:
            if detector.is_due(ts):
                return True
        self._watermark = ts
        return False

    def explain(self, event: Event) -> list[RuleMatch]:
        """Every enabled stateless rule (building blocks too) whose conditions the event
        meets, and disabled ones that feed enabled rules; no state changes."""
        return self._explaining().explain(event)

    def _explaining(self) -> StatelessMatcher:
        if self._explainer is None:
            rules = active_rules(self.ruleset, building_blocks=True)
            self._explainer = StatelessMatcher(
                _stateless(self.ruleset, rules), self.ruleset.allowlist
            )
        return self._explainer

    def advance(self, now: datetime) -> list[Detection]:
        """Let absence rules fire on the wall clock (the daemon calls this periodically)."""
        out: list[Detection] = []
        self._tick(now.timestamp(), now, out)
        return out

    def finish(self) -> list[Detection]:
        """End of a one-shot input: nothing more fires; all detector state is dropped."""
        self._reset()
        return []

    def _feed(self, targets: list[tuple[Detector, str]], hit: Hit, out: list[Detection]) -> None:
        for detector, role in targets:
            for found in detector.feed(hit, role):
                self._emit(detector.rule, found, out)

    def _emit(self, rule: Rule, found: Detection, out: list[Detection]) -> None:
        if rule.id in self._reporting:
            out.append(found)
        targets = self._feeds.get(rule.id)
        if targets and found.evidence:
            hit = Hit(
                found.last_seen.timestamp(), found.last_seen, found.evidence[-1], dict(found.key)
            )
            self._feed(targets, hit, out)

    def _tick(self, ts: float, now: datetime, out: list[Detection]) -> None:
        for detector in self._absence:
            for found in detector.tick(ts, now):
                self._emit(detector.rule, found, out)

    # -- state ---------------------------------------------------------------------
    def state_size(self) -> dict[str, int]:
        """Keys held per stateful rule (for status output and tests)."""
        return {rule_id: len(d) for rule_id, d in self._detectors.items()}

    def snapshot(self) -> dict[str, Any]:
        """Detector state as plain JSON data, bounded in keys and evidence per rule."""
        return {
            "version": SNAPSHOT_VERSION,
            "watermark": None if self._watermark == float("-inf") else self._watermark,
            "rules": {
                rule_id: d.snapshot(self.snapshot_keys, self.snapshot_events)
                for rule_id, d in self._detectors.items()
                if len(d)
            },
        }

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        """Take back state from `snapshot()`; rules that changed kind or went away are skipped."""
        if not isinstance(snapshot, Mapping) or snapshot.get("version") != SNAPSHOT_VERSION:
            raise SnapshotError(
                "the saved detector state has an unknown format; it will be rebuilt from "
                "new log lines (delete the saved state to silence this)"
            )
        self._reset()
        try:
            watermark = snapshot.get("watermark")
            self._watermark = float(watermark) if watermark is not None else float("-inf")
            for rule_id, data in dict(snapshot.get("rules") or {}).items():
                detector = self._detectors.get(rule_id)
                if detector is not None and data.get("kind") == detector.kind:
                    detector.restore(data)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            self._reset()
            raise SnapshotError(
                f"the saved detector state is damaged ({exc}); starting with empty state"
            ) from None
