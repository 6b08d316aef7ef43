"""The web-root watch as an input of `secmon run` (the `web_roots:` of the config).

    start  -> a root never seen gets its baseline, quietly (every file hashed);
              then a full scan against the "seen" baseline: what changed while
              secmon was down
    loop   -> watchdog hints (TreeWatcher), once they have been quiet for
              SETTLE seconds (a file being uploaded sends several), re-check
              the hinted paths; a full scan every FULL_SCAN_EVERY seconds (and
              at once if hints overflowed; more often for a root inotify cannot
              watch) catches whatever the events missed
    commit -> the changes of a batch become "seen" in `after_commit`, once the
              incidents they caused are committed: a crash in between repeats
              an alert, never loses one

Until a batch is committed its changes are kept in memory over the stored
baseline, so a second hint for the same file before the commit does not
report the change twice. A full scan is cut into batches of `max_batch`
changes (`more=True`), streaming the tree and the baseline.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..clock import Clock
from ..config.webroots import WebRootSettings
from ..incidents.baseline import SEEN, BaselineStore, BaselineView
from ..sources.watch import TreeWatcher
from ..sources.webroot import FileChange, StateLike, WebRoot, WebRootWatcher
from .inputs import InputBatch, InputContext, InputRecord

log = logging.getLogger(__name__)

SETTLE = 0.5  # seconds of quiet after the first hint before re-checking
FULL_SCAN_EVERY = 3600.0  # seconds between full scans of watched roots
UNWATCHED_SCAN_EVERY = 300.0  # ... of roots inotify cannot watch
MAX_BATCH = 5000  # changes per poll


class PendingBaseline:
    """The stored "seen" baseline with the changes not committed yet laid over it."""

    def __init__(self, stored: BaselineView):
        self._stored = stored
        self._pending: dict[tuple[str, bytes], StateLike | None] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def knows(self, root: str) -> bool:
        return self._stored.knows(root)

    def entries(self, root: str, under: bytes | None = None) -> Iterator[StateLike]:
        mine = sorted(
            (
                (key, state)
                for (at, key), state in self._pending.items()
                if at == root and (under is None or key == under or key.startswith(under + b"\x00"))
            ),
            key=lambda item: item[0],
        )
        index = 0
        for stored in self._stored.entries(root, under):
            while index < len(mine) and mine[index][0] <= stored.key:
                key, state = mine[index]
                index += 1
                if state is not None:
                    yield state  # pending: created, or newer than what is stored
                if key == stored.key:
                    break  # the pending state replaces the stored one
            else:
                yield stored
        for _key, state in mine[index:]:
            if state is not None:
                yield state

    def hold(self, changes: Iterable[FileChange]) -> None:
        for change in changes:
            self._pending[(change.root, change.key)] = change.new

    def release(self, changes: Iterable[FileChange]) -> None:
        """Forget changes now stored (unless a newer one for the same file is pending)."""
        for change in changes:
            slot = (change.root, change.key)
            if slot in self._pending and self._pending[slot] is change.new:
                del self._pending[slot]


class WebRootInput:
    """LiveInput of the web roots: Events with parser "fim", source = the root."""

    name = "webroots"

    def __init__(
        self,
        roots: Sequence[WebRootSettings],
        *,
        store: Any,
        clock: Clock,
        host: str | None = None,
        max_batch: int = MAX_BATCH,
        full_scan_every: float = FULL_SCAN_EVERY,
        settle: float = SETTLE,
    ):
        self.roots = tuple(roots)
        self.key: Hashable = ("webroots", self.roots)
        self._store = store
        self._clock = clock
        self._host = host
        self._max = max_batch
        self._every = full_scan_every
        self._settle = settle
        self._watcher: WebRootWatcher | None = None
        self._baselines: BaselineStore | None = None
        self._seen: PendingBaseline | None = None
        self._tree: TreeWatcher | None = None
        self._scan: Iterator[FileChange] | None = None
        self._full_due = True
        self._next_full = 0.0
        self._hinted_at: float | None = None
        self._counts = {"changes": 0, "full_scans": 0, "hint_checks": 0, "overflows": 0}
        self._last_full: datetime | None = None

    # ------------------------------------------------------------ LiveInput
    def start(self) -> None:
        specs = [WebRoot(str(r.path), r.ignore, r.upload_dirs) for r in self.roots]
        watcher = WebRootWatcher(specs, clock=self._clock, host=self._host)
        baselines = BaselineStore(self._store, self._clock)
        view = baselines.view(SEEN)
        present = [root for root in watcher.roots if os.path.isdir(root)]
        for root in watcher.roots:
            if root not in present:
                log.warning("không thấy thư mục web %s / web root %s not found", root, root)
            elif not view.knows(root):
                files = baselines.take(root, watcher.snapshot(root), by="secmon")
                log.info(
                    "đã lấy baseline thư mục web %s: %d tệp / baseline taken of web root %s:"
                    " %d files",
                    root,
                    files,
                    root,
                    files,
                )
        self._watcher, self._baselines = watcher, baselines
        self._seen = PendingBaseline(view)
        self._tree = TreeWatcher(present)
        self._full_due = True

    def due(self, woke: bool, now: float) -> bool:
        if self._scan is not None or self._full_due:
            return True
        if now >= self._next_full:
            self._full_due = True
            return True
        tree = self._tree
        if tree is None or not tree.has_hints():
            return False
        if self._hinted_at is None:
            self._hinted_at = now
        return now - self._hinted_at >= self._settle

    def poll(self) -> InputBatch:
        watcher, seen, tree = self._watcher, self._seen, self._tree
        if watcher is None or seen is None or tree is None:
            return InputBatch()
        if self._scan is None and self._full_due:
            tree.take()  # the full scan sees everything those hints named
            self._hinted_at = None
            self._scan = watcher.iter_scan(seen)
            self._counts["full_scans"] += 1
            self._last_full = self._clock.now()
        if self._scan is not None:
            changes = self._next_changes(self._scan)
            if len(changes) < self._max:
                self._scan = None
                self._full_due = False
                self._next_full = self._clock.monotonic() + self._interval(tree)
        else:
            hints, overflow = tree.take()
            self._hinted_at = None
            if overflow:
                self._counts["overflows"] += 1
                self._full_due = True
                return InputBatch(more=True)
            self._counts["hint_checks"] += 1
            changes = watcher.changes(hints, seen)
        return self._batch(watcher, seen, changes)

    def watch_dirs(self) -> list[Path]:
        return []  # the TreeWatcher has its own observer; the loop ticks often enough

    def info(self) -> dict[str, Any]:
        tree = self._tree
        return {
            "roots": [str(r.path) for r in self.roots],
            "watching": [str(p) for p in tree.watching] if tree is not None else [],
            "last_full_scan": self._last_full.isoformat() if self._last_full else None,
            "pending": len(self._seen) if self._seen is not None else 0,
            **self._counts,
        }

    def stop(self) -> None:
        if self._tree is not None:
            self._tree.stop()
        self._scan = None

    # ------------------------------------------------------------ internals
    def _interval(self, tree: TreeWatcher) -> float:
        watching = {str(p) for p in tree.watching}
        assert self._watcher is not None
        if any(root not in watching for root in self._watcher.roots):
            return min(self._every, UNWATCHED_SCAN_EVERY)
        return self._every

    def _next_changes(self, scan: Iterator[FileChange]) -> list[FileChange]:
        changes: list[FileChange] = []
        for change in scan:
            changes.append(change)
            if len(changes) >= self._max:
                break
        return changes

    def _batch(
        self, watcher: WebRootWatcher, seen: PendingBaseline, changes: list[FileChange]
    ) -> InputBatch:
        if not changes:
            return InputBatch(more=self._scan is not None)
        seen.hold(changes)
        records = [
            InputRecord(change.root, watcher.to_event(change))
            for change in changes
            if change.reportable
        ]
        self._counts["changes"] += len(records)
        return InputBatch(records, {}, self._scan is not None, [self._stored(changes)])

    def _stored(self, changes: list[FileChange]) -> Callable[[], None]:
        def store_as_seen() -> None:
            assert self._baselines is not None and self._seen is not None
            self._baselines.apply(changes)
            self._seen.release(changes)

        return store_as_seen


def webroot_input(ctx: InputContext) -> WebRootInput | None:
    """The factory `secmon run` calls: None when the config lists no web roots."""
    roots = ctx.settings.web_roots
    if not roots or ctx.store is None:
        return None
    return WebRootInput(roots, store=ctx.store, clock=ctx.clock, host=socket.gethostname())
