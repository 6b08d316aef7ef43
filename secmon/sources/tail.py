"""Live tailing of log files (`secmon run`): offsets are truth, checkpoints are returned.

`FileTailer.poll()` reads what was appended to every file matching the
configured paths and globs since the last poll, as complete lines, each with
the checkpoint just after it. The tailer never writes checkpoints: the daemon
commits them in the same transaction as the incidents the lines produced
(`TailBatch.checkpoints` once the whole batch is handled, or the checkpoint of
the last line handled), and a new tailer started from the committed
checkpoints continues exactly there.

Per source (a configured or matched path) the files are read strictly in
order: after a rotation the old file is read to its end before the new one,
so one checkpoint per source is always enough to resume:

- rename rotation (logrotate `create`): the old file stays open and is
  finished once a newer file of the source has data (its writer has moved
  on), or once it is deleted;
- copytruncate: the file shrank or its first bytes changed; the unread rest
  is taken from the copy beside it (same fingerprint) when there is one, else
  from what was already buffered, then the file is read again from 0;
- delete and re-create: the deleted file is finished through its open handle;
- on start, a checkpoint whose file is no longer at its path (or was
  rewritten) is looked for among its rotated siblings: same device, inode and
  fingerprint, or for a copy the same fingerprint.

Known limits: a generation rotated away and gone before the tailer opened it
(two rotations within one poll interval, or while secmon is down) is not
read; nor are lines written between logrotate's copy and its truncation
(logrotate's own race). A file rewritten in place whose first 256 bytes stay
the same and which has already grown past the old offset is not noticed.

Watchdog events (see `watch.py`) only say when to poll.
"""

from __future__ import annotations

import glob
import logging
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Literal

from ..clock import Clock, SystemClock
from ..events import Checkpoint
from .fingerprint import (
    DEFAULT_EXCLUDE,
    FINGERPRINT_BYTES,
    Continuation,
    exclusion,
    file_fingerprint,
    find_continuation,
    open_regular,
)
from .tailreader import FileReader, TailLine, count_lines, last_line_end

__all__ = ["DEFAULT_EXCLUDE", "FileTailer", "TailBatch", "TailLine"]

log = logging.getLogger(__name__)

StartAt = Literal["end", "beginning"]


@dataclass(frozen=True, slots=True)
class TailBatch:
    """What one poll found. `checkpoints` holds each moved source's latest position,
    also for sources that moved without lines (start at end, a finished rotated
    file): commit them once every line of the batch is handled."""

    lines: list[TailLine] = field(default_factory=list)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)


@dataclass(slots=True)
class _Source:
    name: str
    readers: list[FileReader]  # read in order; the last one is the file now at the path
    last: Checkpoint | None  # the position reported last (or given at start)


def _is_glob(pattern: str) -> bool:
    return any(char in pattern for char in "*?[")


class FileTailer:
    """Follows the files matching `patterns`; see the module docstring."""

    def __init__(
        self,
        patterns: Sequence[str],
        *,
        checkpoints: Mapping[str, Checkpoint],
        start_at: StartAt = "end",
        exclude: Sequence[str] = DEFAULT_EXCLUDE,
        max_batch_lines: int = 5000,
        partial_line_timeout: float | None = None,
        clock: Clock | None = None,
    ) -> None:
        if start_at not in ("end", "beginning"):
            raise ValueError(f"start_at must be 'end' or 'beginning', not {start_at!r}")
        if max_batch_lines < 1:
            raise ValueError(f"max_batch_lines must be at least 1, not {max_batch_lines}")
        if partial_line_timeout is not None and partial_line_timeout < 0:
            raise ValueError("partial_line_timeout must be None or >= 0")
        self._patterns = tuple(str(p) for p in patterns)
        self._excluded = exclusion(tuple(exclude))
        self._start_at = start_at
        self._max = max_batch_lines
        self._partial_timeout = partial_line_timeout
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._given = dict(checkpoints)
        self._sources: dict[str, _Source] = {}
        self._moved: dict[str, Checkpoint] = {}  # positions to report in the next batch
        self._warned: set[str] = set()  # paths that could not be opened (warned once)
        self._failing: set[str] = set()  # sources that failed to read (warned once)
        self._turn = 0
        self._refresh(initial=True)
        for name, cp in sorted(self._given.items()):
            if name not in self._sources and self._is_ours(name):
                self._resume_missing(name, cp)

    # --- public API -----------------------------------------------------------

    def poll(self) -> TailBatch:
        """Everything new, at most max_batch_lines lines shared fairly between files."""
        now = self._clock.monotonic()
        self._refresh(initial=False)
        lines: list[TailLine] = []
        names = sorted(name for name, src in self._sources.items() if src.readers)
        if names:
            turn = self._turn % len(names)
            names = names[turn:] + names[:turn]
            self._turn += 1
        active = [self._sources[name] for name in names]
        budget = self._max
        while budget > 0 and active:
            share = max(1, budget // len(active))
            more: list[_Source] = []
            for src in active:
                want = min(share, budget)
                if want <= 0:
                    break
                got = self._take(src, want, lines, now)
                budget -= got
                if got == want:
                    more.append(src)
            active = more
        moved, self._moved = self._moved, {}
        return TailBatch(lines, moved)

    def watch_dirs(self) -> list[Path]:
        """Directories whose changes should wake the daemon (for ChangeWaker)."""
        dirs: set[str] = set()
        for pattern in self._patterns:
            parent = os.path.dirname(pattern) or "."
            if _is_glob(parent):
                dirs.update(d for d in glob.glob(parent) if os.path.isdir(d))
            elif os.path.isdir(parent):
                dirs.add(parent)
        return [Path(d) for d in sorted(dirs)]

    def close(self) -> None:
        """Close every open file. A later poll() opens them again where they were."""
        for src in self._sources.values():
            for reader in src.readers:
                reader.close()
            src.readers.clear()

    def __enter__(self) -> FileTailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- finding files --------------------------------------------------------

    def _scan(self) -> list[tuple[str, os.stat_result]]:
        """Regular files matching the patterns now; one path per (device, inode)."""
        found: list[tuple[str, os.stat_result]] = []
        paths: set[str] = set()
        ids: set[tuple[int, int]] = set()
        for pattern in self._patterns:
            if _is_glob(pattern):
                candidates = sorted(
                    p for p in glob.glob(pattern) if not self._excluded(os.path.basename(p))
                )
            else:
                candidates = [pattern]
            for path in candidates:
                if path in paths:
                    continue
                paths.add(path)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                ident = (info.st_dev, info.st_ino)
                if stat.S_ISREG(info.st_mode) and ident not in ids:
                    ids.add(ident)
                    found.append((path, info))
        return found

    def _is_ours(self, name: str) -> bool:
        for pattern in self._patterns:
            if not _is_glob(pattern):
                if name == pattern:
                    return True
            elif PurePath(name).match(pattern) and not self._excluded(os.path.basename(name)):
                return True
        return False

    def _refresh(self, *, initial: bool) -> None:
        """Open new files, notice rotations and truncations."""
        found = self._scan()
        owners = {
            (r.device, r.inode): src.name for src in self._sources.values() for r in src.readers
        }
        for path, info in found:
            owner = owners.get((info.st_dev, info.st_ino))
            if owner is not None and owner != path:
                continue  # the same file under a second name: read once, as `owner`
            src = self._sources.get(path)
            if src is None:
                src = self._sources[path] = _Source(path, [], self._given.get(path))
            try:
                newest = src.readers[-1] if src.readers else None
                if newest is not None and (newest.device, newest.inode) == (
                    info.st_dev,
                    info.st_ino,
                ):
                    self._check_rewritten(src, newest, info)
                elif src.readers:
                    # Rotated: the old file is finished first, then this one from 0.
                    self._append_new(src, offset_at_end=False)
                else:
                    self._open(src, initial=initial)
            except OSError as exc:
                self._drop(src, exc)
            self._note_position(src)

    def _open(self, src: _Source, *, initial: bool) -> None:
        """Start a source with nothing open: resume its checkpoint, or start fresh."""
        cp = src.last
        if cp is None:
            self._append_new(src, offset_at_end=initial and self._start_at == "end")
            return
        opened = self._open_path(src.name)
        if opened is None:
            return
        fd, info = opened
        if (info.st_dev, info.st_ino) == (cp.device, cp.inode) and info.st_size >= cp.offset:
            if not cp.fingerprint or file_fingerprint(fd) == cp.fingerprint:
                src.readers.append(self._reader(src.name, fd, info, cp.offset))
                return
        found = find_continuation(src.name, cp)
        if found is not None:
            src.readers.append(self._continuation(src.name, found, cp.offset))
        elif initial and cp.offset > 0:
            log.warning(
                "không tìm thấy tệp %s đã đọc dở (inode %s); đọc tệp hiện tại từ đầu, các dòng"
                " còn lại của tệp cũ có thể bị sót / the partly read file of %s (inode %s) is"
                " gone; reading the current file from the start, the old file's remaining"
                " lines may be missed",
                src.name,
                cp.inode,
                src.name,
                cp.inode,
            )
        src.readers.append(self._reader(src.name, fd, info, 0))

    def _resume_missing(self, name: str, cp: Checkpoint) -> None:
        """A checkpointed file whose path is gone: finish its rotated self if found."""
        found = find_continuation(name, cp)
        if found is not None:
            src = self._sources[name] = _Source(name, [], cp)
            src.readers.append(self._continuation(name, found, cp.offset))

    def _append_new(self, src: _Source, *, offset_at_end: bool) -> None:
        opened = self._open_path(src.name)
        if opened is None:
            return
        fd, info = opened
        offset = last_line_end(fd, info.st_size) if offset_at_end else 0
        src.readers.append(self._reader(src.name, fd, info, offset))

    def _open_path(self, path: str) -> tuple[int, os.stat_result] | None:
        try:
            opened = open_regular(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if path not in self._warned:
                self._warned.add(path)
                log.warning(
                    "không mở được %s: %s; sẽ thử lại / cannot open %s: %s; will retry",
                    path,
                    exc.strerror or exc,
                    path,
                    exc.strerror or exc,
                )
            return None
        self._warned.discard(path)
        return opened

    def _reader(self, name: str, fd: int, info: os.stat_result, offset: int) -> FileReader:
        return FileReader(
            name,
            fd,
            info.st_dev,
            info.st_ino,
            offset=offset,
            line_no=count_lines(fd, offset),
            prefix=os.pread(fd, FINGERPRINT_BYTES, 0),
            static=False,
            now=self._clock.monotonic(),
        )

    def _continuation(
        self, name: str, found: Continuation, offset: int, line_no: int | None = None
    ) -> FileReader:
        return FileReader(
            name,
            found.fd,
            found.info.st_dev,
            found.info.st_ino,
            offset=offset,
            line_no=count_lines(found.fd, offset) if line_no is None else line_no,
            prefix=os.pread(found.fd, FINGERPRINT_BYTES, 0),
            static=not found.renamed,
            now=self._clock.monotonic(),
        )

    def _check_rewritten(self, src: _Source, reader: FileReader, info: os.stat_result) -> None:
        """copytruncate, or truncated and written again: read it again from 0."""
        size = info.st_size
        rewritten = size < reader.read_pos
        seen = (size, info.st_mtime_ns)
        if not rewritten and seen != reader.seen:
            # The first bytes must be those seen before; learn more of them while
            # the file is short, even before its reader gets to it.
            head = os.pread(reader.require_fd(), FINGERPRINT_BYTES, 0)
            rewritten = not head.startswith(reader.prefix)
            if not rewritten and len(head) > len(reader.prefix):
                reader.learn_prefix(head)
        reader.seen = seen
        if not rewritten:
            return
        rest: FileReader | None = None
        found = find_continuation(src.name, reader.checkpoint(), reader.prefix)
        if found is not None and found.info.st_size >= reader.read_pos:
            rest = self._continuation(src.name, found, reader.offset, reader.line_no)
        elif found is not None:
            os.close(found.fd)
        fd = reader.detach()
        if rest is None and reader.has_pending():
            rest = reader  # serves the lines it had read before the truncation
        fresh = FileReader(
            src.name,
            fd,
            reader.device,
            reader.inode,
            offset=0,
            line_no=0,
            prefix=os.pread(fd, FINGERPRINT_BYTES, 0),
            static=False,
            now=self._clock.monotonic(),
        )
        src.readers[src.readers.index(reader) :] = [rest, fresh] if rest else [fresh]

    # --- reading --------------------------------------------------------------

    def _take(self, src: _Source, limit: int, out: list[TailLine], now: float) -> int:
        """Up to `limit` lines of `src`, finishing rotated files on the way."""
        before = len(out)
        try:
            while len(out) - before < limit and src.readers:
                reader = src.readers[0]
                if reader.read(limit - (len(out) - before), now, out):
                    src.last = self._moved[src.name] = out[-1].checkpoint
                    if len(out) - before >= limit:
                        break
                # At the end of this file.
                if not reader.closing and self._finishable(src, reader):
                    reader.closing = True
                    continue  # read what was written before we looked
                if (reader.closing or self._partial_due(reader, now)) and reader.read_partial(out):
                    src.last = self._moved[src.name] = out[-1].checkpoint
                    continue
                if not reader.closing:
                    break
                src.readers.pop(0).close()
                self._note_position(src)
        except OSError as exc:
            if len(out) > before:  # lines read before the error stand
                src.last = self._moved[src.name] = out[-1].checkpoint
            self._drop(src, exc)
        else:
            self._failing.discard(src.name)
        return len(out) - before

    def _finishable(self, src: _Source, reader: FileReader) -> bool:
        """May `reader`'s file be closed once read to its end?"""
        if reader.static or reader.fd is None:
            return True
        if os.fstat(reader.fd).st_nlink == 0:
            return True  # deleted
        # The writer has moved on once a newer file of the source has data.
        return any(later.fd is None or os.fstat(later.fd).st_size > 0 for later in src.readers[1:])

    def _partial_due(self, reader: FileReader, now: float) -> bool:
        timeout = self._partial_timeout
        return timeout is not None and now - reader.grown_at >= timeout

    def _note_position(self, src: _Source) -> None:
        if src.readers:
            cp = src.readers[0].checkpoint()
            if cp != src.last:
                src.last = self._moved[src.name] = cp

    def _drop(self, src: _Source, exc: OSError) -> None:
        """Close the source after an I/O error; the next poll reopens it at `src.last`."""
        for reader in src.readers:
            reader.close()
        src.readers.clear()
        if src.name in self._failing:
            return  # said once already
        self._failing.add(src.name)
        log.warning(
            "lỗi khi đọc %s: %s; sẽ mở lại từ vị trí đã lưu / error reading %s: %s;"
            " will reopen it at the saved position",
            src.name,
            exc,
            src.name,
            exc,
        )
