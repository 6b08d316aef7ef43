"""Wake-ups for the daemon when files change: the only module importing watchdog.

A wake-up is a hint to poll, never data: the tailer's offsets decide what is
new. Where the observer cannot run (no inotify, watch limit reached, a
directory missing) the waker says so in the log and `wait()` simply times
out, so the daemon falls back to polling on its interval.

    waker = ChangeWaker(tailer.watch_dirs())
    while running:
        waker.wait(1.0)
        batch = tailer.poll()

`TreeWatcher` watches web roots recursively and hands over the changed
paths as (kind, path) hints; the web-root watcher re-checks each path
itself (secmon.sources.webroot).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

__all__ = ["ChangeWaker", "TreeWatcher"]

log = logging.getLogger(__name__)

# Opening and closing files (our own reads included) must not wake us.
_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]
_WAKING = frozenset({"created", "modified", "moved", "deleted"})


class _Wake(FileSystemEventHandler):
    def __init__(self, flag: threading.Event) -> None:
        self._flag = flag

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in _WAKING:
            self._flag.set()


class ChangeWaker:
    """Sets a flag on any create/modify/move/delete in `dirs` (not recursive)."""

    def __init__(self, dirs: Sequence[Path]) -> None:
        self._flag = threading.Event()
        self._handler = _Wake(self._flag)
        self._watches: dict[Path, ObservedWatch] = {}
        self._observer: BaseObserver | None = None
        try:
            observer = Observer()
            observer.daemon = True
            observer.start()
        except Exception as exc:  # noqa: BLE001 - any failure means: poll instead
            log.warning(
                "không theo dõi được thay đổi tệp (%s); chỉ kiểm tra định kỳ / cannot watch"
                " for file changes (%s); polling only",
                exc,
                exc,
            )
        else:
            self._observer = observer
        self.update(dirs)

    @property
    def watching(self) -> list[Path]:
        """The directories now watched (empty when only polling)."""
        return sorted(self._watches)

    def update(self, dirs: Sequence[Path]) -> None:
        """Watch exactly `dirs` from now on (new vhost directories, removed ones)."""
        observer = self._observer
        if observer is None:
            return
        wanted = {Path(d) for d in dirs}
        for gone in [d for d in self._watches if d not in wanted]:
            try:
                observer.unschedule(self._watches.pop(gone))
            except Exception:  # noqa: BLE001 - the directory may be gone already
                pass
        for directory in sorted(wanted - set(self._watches)):
            try:
                self._watches[directory] = observer.schedule(
                    self._handler, str(directory), recursive=False, event_filter=_EVENTS
                )
            except Exception as exc:  # noqa: BLE001 - poll this directory instead
                log.warning(
                    "không theo dõi được thư mục %s (%s); sẽ kiểm tra định kỳ / cannot watch"
                    " %s (%s); it will be polled",
                    directory,
                    exc,
                    directory,
                    exc,
                )

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True if something changed (then clears the flag)."""
        woke = self._flag.wait(timeout)
        self._flag.clear()
        return woke

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        self._watches.clear()
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def __enter__(self) -> ChangeWaker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ------------------------------------------------------------------ web roots
# A file written to the end (IN_CLOSE_WRITE) is worth one more look: the
# earlier "created" may have come before its content. Closing after a mere
# read (ours included) is a different event and is not watched.
_TREE_EVENTS: list[type[FileSystemEvent]] = [*_EVENTS, FileClosedEvent]
_TREE_KINDS = frozenset({"created", "modified", "moved", "deleted", "closed"})
MAX_PENDING_HINTS = 10_000


class _Collect(FileSystemEventHandler):
    def __init__(self, owner: TreeWatcher) -> None:
        self._owner = owner

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _TREE_KINDS:
            return
        self._owner._add(event.event_type, _text(event.src_path))
        if event.event_type == "moved" and event.dest_path:
            self._owner._add("moved", _text(event.dest_path))


def _text(path: str | bytes) -> str:
    return path if isinstance(path, str) else path.decode("utf-8", "surrogateescape")


class TreeWatcher:
    """Watches folders recursively (symlinks not followed); collects changed paths.

    `take()` returns the (kind, path) hints gathered since the last call, one
    per path (the last kind seen), and whether some were dropped: past
    `max_pending` distinct paths the watcher stops collecting and says so, and
    the caller rescans the trees instead. Where the observer cannot run (no
    inotify, the watch limit reached) `watching` is empty: scan on a timer.
    """

    def __init__(self, roots: Sequence[Path | str], *, max_pending: int = MAX_PENDING_HINTS):
        self._lock = threading.Lock()
        self._flag = threading.Event()
        self._pending: dict[str, str] = {}
        self._overflow = False
        self._max_pending = max_pending
        self._watches: dict[Path, ObservedWatch] = {}
        self._observer: BaseObserver | None = None
        handler = _Collect(self)
        try:
            observer = Observer()
            observer.daemon = True
            observer.start()
        except Exception as exc:  # noqa: BLE001 - any failure means: scan on a timer
            log.warning(
                "không theo dõi được thư mục web (%s); chỉ quét định kỳ / cannot watch the web"
                " roots (%s); periodic scans only",
                exc,
                exc,
            )
            return
        self._observer = observer
        for root in sorted({Path(r) for r in roots}):
            try:
                # symlinked folders are not followed (watchdog's default)
                self._watches[root] = observer.schedule(
                    handler, str(root), recursive=True, event_filter=_TREE_EVENTS
                )
            except Exception as exc:  # noqa: BLE001 - this root is scanned on a timer
                log.warning(
                    "không theo dõi được thư mục web %s (%s); sẽ quét định kỳ / cannot watch"
                    " web root %s (%s); it will be scanned on a timer",
                    root,
                    exc,
                    root,
                    exc,
                )

    @property
    def watching(self) -> list[Path]:
        """The roots now watched (the others need periodic scans)."""
        return sorted(self._watches)

    def _add(self, kind: str, path: str) -> None:
        with self._lock:
            if path in self._pending:
                self._pending[path] = kind
            elif len(self._pending) < self._max_pending:
                self._pending[path] = kind
            else:
                self._overflow = True
        self._flag.set()

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for a change; True if there are hints to take."""
        self._flag.wait(timeout)
        with self._lock:
            return bool(self._pending) or self._overflow

    def has_hints(self) -> bool:
        """Whether take() would return something (without waiting or taking it)."""
        with self._lock:
            return bool(self._pending) or self._overflow

    def take(self) -> tuple[list[tuple[str, str]], bool]:
        """(the hints gathered, whether some were dropped); both reset."""
        with self._lock:
            hints = [(kind, path) for path, kind in self._pending.items()]
            overflow = self._overflow
            self._pending = {}
            self._overflow = False
            self._flag.clear()
        return hints, overflow

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        self._watches.clear()
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def __enter__(self) -> TreeWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
