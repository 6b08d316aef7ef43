"""Wake-ups for the daemon when files change: the only module importing watchdog.

A wake-up is a hint to poll, never data: the tailer's offsets decide what is
new. Where the observer cannot run (no inotify, watch limit reached, a
directory missing) the waker says so in the log and `wait()` simply times
out, so the daemon falls back to polling on its interval.

    waker = ChangeWaker(tailer.watch_dirs())
    while running:
        waker.wait(1.0)
        batch = tailer.poll()
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
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

__all__ = ["ChangeWaker"]

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
