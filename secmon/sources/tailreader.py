"""One open log file read as complete lines, with bounded memory.

Decoding is the one-shot reader's (`oneshot.py`): invalid UTF-8 is replaced,
the line terminator (\\n or \\r\\n) is stripped, and a line longer than 64 KiB
keeps its first 64 KiB (cut at a character boundary) plus
" [secmon: line cut, N bytes dropped]". Only the head of an overlong line is
kept in memory, however long the line grows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ..events import Checkpoint
from .fingerprint import FINGERPRINT_BYTES, fingerprint_of
from .oneshot import MAX_LINE_BYTES, cut_line

READ_CHUNK = 64 * 1024
_COUNT_CHUNK = 1 << 20
# Bytes of an unfinished line kept: one more than the limit, so that a line of
# exactly MAX_LINE_BYTES followed by \r\n is not cut.
_HEAD = MAX_LINE_BYTES + 1


@dataclass(frozen=True, slots=True)
class TailLine:
    """One complete line; `checkpoint` is the position just after it."""

    source: str
    text: str
    line_no: int
    offset: int
    checkpoint: Checkpoint


# Building frozen dataclasses through their __init__ costs more than reading
# the line; these set the slots directly (same objects, same equality).
_new = object.__new__


def _setter(cls: type, name: str) -> Callable[[object, object], None]:
    setter: Callable[[object, object], None] = vars(cls)[name].__set__
    return setter


_cp_source = _setter(Checkpoint, "source")
_cp_device = _setter(Checkpoint, "device")
_cp_inode = _setter(Checkpoint, "inode")
_cp_offset = _setter(Checkpoint, "offset")
_cp_fingerprint = _setter(Checkpoint, "fingerprint")
_line_source = _setter(TailLine, "source")
_line_text = _setter(TailLine, "text")
_line_no = _setter(TailLine, "line_no")
_line_offset = _setter(TailLine, "offset")
_line_checkpoint = _setter(TailLine, "checkpoint")


def _checkpoint(source: str, device: int, inode: int, offset: int, fingerprint: str) -> Checkpoint:
    """Checkpoint(source, device, inode, offset, fingerprint), faster."""
    cp = _new(Checkpoint)
    _cp_source(cp, source)
    _cp_device(cp, device)
    _cp_inode(cp, inode)
    _cp_offset(cp, offset)
    _cp_fingerprint(cp, fingerprint)
    return cp


def _tail_line(source: str, text: str, line_no: int, offset: int, cp: Checkpoint) -> TailLine:
    """TailLine(source, text, line_no, offset, cp), faster."""
    line = _new(TailLine)
    _line_source(line, source)
    _line_text(line, text)
    _line_no(line, line_no)
    _line_offset(line, offset)
    _line_checkpoint(line, cp)
    return line


class FileReader:
    """Reads one file from `offset` on; `offset` is always the start of the next line.

    `static` files end where they end (a copy made by copytruncate, or the
    buffered rest of a truncated file); others may still grow.
    """

    __slots__ = (
        "source",
        "fd",
        "device",
        "inode",
        "prefix",
        "fingerprint",
        "offset",
        "read_pos",
        "line_no",
        "static",
        "closing",
        "grown_at",
        "seen",
        "_buf",
        "_start",
        "_scan",
        "_dropped",
        "_last_dropped",
    )

    def __init__(
        self,
        source: str,
        fd: int,
        device: int,
        inode: int,
        *,
        offset: int,
        line_no: int,
        prefix: bytes,
        static: bool,
        now: float,
    ) -> None:
        self.source = source
        self.fd: int | None = fd
        self.device = device
        self.inode = inode
        # The first bytes of the file as read (up to 256): a change in them means
        # the file was rewritten; `fingerprint` is derived from them.
        self.prefix = prefix
        self.fingerprint = fingerprint_of(prefix)
        self.offset = offset  # start of the next line to deliver
        self.read_pos = offset  # bytes of the file read so far
        self.line_no = line_no  # number of the last line delivered
        self.static = static
        self.closing = False  # finish (and close) at the next end of file
        self.grown_at = now  # monotonic time data last arrived
        self.seen: tuple[int, int] = (-1, -1)  # (size, mtime_ns) when last checked
        self._buf = bytearray()  # bytes read, not delivered: self._buf[self._start:]
        self._start = 0
        self._scan = 0  # no newline in _buf[_start:_scan]
        self._dropped = 0  # bytes cut from the unfinished line after its head
        self._last_dropped = 0  # the last of them (to strip a \r before \n)

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(self.source, self.device, self.inode, self.offset, self.fingerprint)

    def require_fd(self) -> int:
        if self.fd is None:
            raise OSError(f"{self.source}: file already closed")
        return self.fd

    def read(self, limit: int, now: float, out: list[TailLine]) -> int:
        """Append up to `limit` complete lines to `out`; fewer only at the end of the file."""
        got = 0
        buf = self._buf
        source, device, inode = self.source, self.device, self.inode
        append = out.append
        while got < limit:
            if not self._dropped:
                # Fast path: lines already in the buffer, state kept in locals.
                start, offset, line_no = self._start, self.offset, self.line_no
                fingerprint = self.fingerprint
                find = buf.find
                while got < limit:
                    end = find(b"\n", start)
                    if end < 0 or end - start > MAX_LINE_BYTES:
                        break
                    stop = end - 1 if end > start and buf[end - 1] == 0x0D else end
                    text = buf[start:stop].decode("utf-8", "replace")
                    line_no += 1
                    at = offset
                    offset += end + 1 - start
                    start = end + 1
                    cp = _checkpoint(source, device, inode, offset, fingerprint)
                    append(_tail_line(source, text, line_no, at, cp))
                    got += 1
                self._start = self._scan = start
                self.offset, self.line_no = offset, line_no
                if got >= limit:
                    break
            # An overlong line, or more to read.
            end = buf.find(b"\n", self._scan)
            if end >= 0:
                text, at = self._emit(end, 1)
                append(_tail_line(source, text, self.line_no, at, self.checkpoint()))
                got += 1
                continue
            self._keep_head()
            if not self._fill(now):
                break
        return got

    def read_partial(self, out: list[TailLine]) -> bool:
        """Append the unfinished last line, if any (it timed out, or the file is done)."""
        if not self.has_pending():
            return False
        text, at = self._emit(len(self._buf), 0)
        out.append(_tail_line(self.source, text, self.line_no, at, self.checkpoint()))
        return True

    def has_pending(self) -> bool:
        return len(self._buf) > self._start or self._dropped > 0

    def detach(self) -> int:
        """Hand the file descriptor over; keep serving only what is buffered."""
        fd = self.require_fd()
        self.fd = None
        self.static = True
        return fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _keep_head(self) -> None:
        """The unfinished line has no newline yet: keep at most its head in memory."""
        excess = len(self._buf) - self._start - _HEAD
        if excess > 0:
            self._dropped += excess
            self._last_dropped = self._buf[-1]
            del self._buf[self._start + _HEAD :]
        self._scan = len(self._buf)

    def _fill(self, now: float) -> bool:
        if self.fd is None:
            return False
        if self._start:
            del self._buf[: self._start]
            self._scan -= self._start
            self._start = 0
        data = os.pread(self.fd, READ_CHUNK, self.read_pos)
        if not data:
            return False
        self.read_pos += len(data)
        self._buf += data
        self.grown_at = now
        if len(self.prefix) < FINGERPRINT_BYTES:
            self.learn_prefix(os.pread(self.fd, FINGERPRINT_BYTES, 0))
        return True

    def learn_prefix(self, head: bytes) -> None:
        """The file's first bytes now (they extend the known prefix); fingerprint once due."""
        self.prefix = head
        if not self.fingerprint:
            self.fingerprint = fingerprint_of(head)

    def _emit(self, end: int, terminator: int) -> tuple[str, int]:
        start = self._start
        in_buf = end - start
        length = in_buf + self._dropped  # bytes of the line without its \n
        if length:
            if self._dropped and in_buf <= _HEAD:
                last = self._last_dropped
            else:
                last = self._buf[end - 1]
            if last == 0x0D:  # \r of \r\n
                length -= 1
        if length <= MAX_LINE_BYTES:
            text = self._buf[start : start + length].decode("utf-8", "replace")
        else:
            text = cut_line(self._buf[start : start + _HEAD], length)
        at = self.offset
        self.offset += in_buf + self._dropped + terminator
        self.line_no += 1
        self._start = self._scan = end + terminator
        self._dropped = 0
        return text, at


def count_lines(fd: int, upto: int) -> int:
    """Newlines before byte `upto` (line numbers after a resume)."""
    count = pos = 0
    while pos < upto:
        chunk = os.pread(fd, min(_COUNT_CHUNK, upto - pos), pos)
        if not chunk:
            break
        count += chunk.count(b"\n")
        pos += len(chunk)
    return count


def last_line_end(fd: int, size: int) -> int:
    """Offset just after the last newline before `size` (0 if none)."""
    pos = size
    while pos > 0:
        start = max(0, pos - (64 << 10))
        chunk = os.pread(fd, pos - start, start)
        end = chunk.rfind(b"\n")
        if end >= 0:
            return start + end + 1
        pos = start
    return 0
