"""What the daemon has read but not committed yet, and when to commit it.

Everything pending goes into ONE `store.record()` transaction: the merged
detections, the checkpoints of the lines they came from, the detector
snapshot and the status counters. Until that commit succeeds nothing
pending is dropped; if the database refuses writes (disk full, locked) the
commit is retried every RETRY seconds and the loop stops reading meanwhile.

When to commit: soon after a detection (DETECTION_GAP), else every
`interval` while lines are read, at once past `max_lines`; but never more
often than SHARE times the last commit's duration, so a flood of distinct
keys (slow commits) makes the commits bigger, not the daemon slower.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from ..clock import Clock
from ..events import Checkpoint, Detection
from ..incidents.model import IncidentChange, StoreError
from ..incidents.store import IncidentStore
from ..pipeline import merge_detections
from ..rules.engine import DetectionEngine
from ..textsafe import terminal_safe
from .inputs import InputBatch
from .status import ENGINE_KEY, STATUS_KEY, SourceCount, StatusBook

log = logging.getLogger("secmon.daemon")

INTERVAL = 0.5  # seconds between commits while lines are read
DETECTION_GAP = 0.1  # ... once something was detected
MAX_LINES = 100_000  # ... at once after this many lines
SHARE = 3.0  # at least this many times the last commit's duration between commits
MAX_GAP = 30.0  # ... but never longer than this
MERGE_AT = 20_000  # pending detections merged (one per rule and key) past this many
RETRY = 1.0  # seconds between attempts while the database refuses writes
LOGGED_CHANGES = frozenset({"opened", "escalated", "reopened"})
StatusText = Callable[[str, Mapping[str, SourceCount]], str]


class Committer:
    def __init__(self, clock: Clock, *, interval: float = INTERVAL, max_lines: int = MAX_LINES):
        self._clock = clock
        self._interval = interval
        self._max_lines = max_lines
        self.book = StatusBook()
        self.counters = {"commits": 0, "errors": 0, "reloads": 0, "incident_changes": 0}
        self.failing = False
        self._found: list[Detection] = []
        self._checkpoints: dict[str, Checkpoint] = {}
        self._lines = 0
        self._after: list[Callable[[], None]] = []
        self._last = 0.0  # monotonic time of the last commit
        self._took = 0.0  # how long it took
        self._retry_at = 0.0
        self.last_status = 0.0

    # ------------------------------------------------------------ collecting
    def take(self, input_name: str, batch: InputBatch) -> None:
        """The batch's counts, checkpoints and after-commit callbacks (not its events)."""
        if batch.records:
            self._lines += self.book.count(input_name, batch.records, self._clock.now())
        if batch.checkpoints:
            self._checkpoints.update(batch.checkpoints)
        if batch.after_commit:
            self._after.extend(batch.after_commit)

    def add(self, detections: list[Detection]) -> None:
        self._found.extend(detections)
        if len(self._found) > MERGE_AT:
            self._found = merge_detections(self._found)

    @property
    def pending(self) -> bool:
        return bool(self._found or self._checkpoints or self._lines or self._after)

    def due(self) -> float:
        """The monotonic time the pending work should be committed at."""
        if self.failing:
            return self._retry_at
        if self._lines >= self._max_lines:
            return self._last
        gap = DETECTION_GAP if self._found else self._interval
        return self._last + max(gap, min(SHARE * self._took, MAX_GAP))

    def ready(self) -> bool:
        return self.pending and self._clock.monotonic() >= self.due()

    # ------------------------------------------------------------ committing
    def commit(
        self, store: IncidentStore, engine: DetectionEngine, status_text: StatusText
    ) -> list[IncidentChange] | None:
        """Store everything pending in one transaction; None (all kept) if the store refused."""
        if not self.pending:
            return []
        started = self._clock.monotonic()  # the snapshot counts: with many keys it is most of it
        merged = self.book.merged()
        state = {
            ENGINE_KEY: json.dumps(engine.snapshot(), separators=(",", ":")),
            STATUS_KEY: status_text("running", merged),
        }
        try:
            changes = store.record(
                merge_detections(self._found), list(self._checkpoints.values()), state
            )
        except (StoreError, sqlite3.Error, OSError) as exc:
            self.counters["errors"] += 1
            if not self.failing:
                log.error(
                    "không ghi được vào cơ sở dữ liệu, sẽ thử lại; ngừng đọc cho tới khi ghi được"
                    " / cannot write to the database, will retry; reading paused until it"
                    " works: %s",
                    exc,
                )
            self.failing = True
            self._retry_at = self._clock.monotonic() + RETRY
            return None
        if self.failing:
            log.info("ghi được vào cơ sở dữ liệu trở lại / writing to the database works again")
        self.failing = False
        self.book.accept(merged)
        self._found, self._checkpoints, self._lines = [], {}, 0
        done, self._after = self._after, []
        for callback in done:
            try:
                callback()
            except Exception:  # noqa: BLE001 - an input's bookkeeping must not stop the loop
                self.counters["errors"] += 1
                log.exception("lỗi sau khi ghi / error after a commit")
        now = self._clock.monotonic()
        self._took = now - started
        self._last = self.last_status = now
        self.counters["commits"] += 1
        self.counters["incident_changes"] += len(changes)
        for change in changes:
            log_change(change)
        return changes

    def write_status(self, store: IncidentStore, text: str) -> bool:
        """The status entry alone (heartbeat, start, stop)."""
        self.last_status = self._clock.monotonic()
        try:
            store.record([], [], {STATUS_KEY: text})
        except (StoreError, sqlite3.Error, OSError) as exc:
            if not self.failing:  # else the failing commit has said it already
                log.warning("không ghi được trạng thái / cannot write the status: %s", exc)
            return False
        return True

    def restore(self, saved: str | None) -> None:
        """Counters of the status entry stored by the previous run."""
        if not saved:
            return
        try:
            data: Any = json.loads(saved)
        except ValueError:
            return
        if isinstance(data, dict):
            self.book.restore(data)


def log_change(change: IncidentChange) -> None:
    if change.kind not in LOGGED_CHANGES:
        return
    incident = change.incident
    key = " ".join(f"{k}={v}" for k, v in incident.key.items())
    log.info(
        "sự cố #%d %s: %s [%s, %s] %s (%d)",
        incident.id,
        change.kind,
        terminal_safe(incident.title.get("en", "") or incident.title.get("vi", ""), 200),
        incident.category,
        incident.severity,
        terminal_safe(key, 200),
        incident.count,
    )
