"""RFC 6587 framing: one TCP byte stream -> syslog message texts.

Decided for each message: octet counting (`40 <13>Mar 14 ... msg`) when a
frame starts with a count and a space, else non-transparent framing ended by
LF or NUL (a CR before the LF is dropped; so is a trailing LF counted into an
octet-counted frame). A message longer than `max_message` bytes keeps its
first bytes (cut at a character boundary) plus the marker
" [secmon: line cut, N bytes dropped]". Bad UTF-8 is replaced. Pure: no I/O.
"""

from __future__ import annotations

import re

from .oneshot import CUT_MARKER

MAX_FRAME_OCTETS = 1 << 20  # an octet count above this (and above max_message) is a bad frame
_MAX_COUNT_DIGITS = 9
_TERMINATOR = re.compile(rb"[\n\x00]")
_CR, _LF, _NUL, _SP = 13, 10, 0, 32


def cut_message(data: bytes | bytearray, dropped: int) -> str:
    """Decode kept bytes; if `dropped` > 0, end at a character boundary and add the marker."""
    if not dropped:
        return bytes(data).decode("utf-8", "replace")
    keep = _utf8_boundary(data)
    text = bytes(data[:keep]).decode("utf-8", "replace")
    return text + CUT_MARKER.format(dropped=dropped + len(data) - keep)


def _utf8_boundary(data: bytes | bytearray) -> int:
    """len(data), less a multi-byte UTF-8 character left incomplete at its end."""
    size = len(data)
    for back in range(1, min(4, size) + 1):
        byte = data[size - back]
        if byte & 0xC0 != 0x80:  # ASCII or a lead byte
            need = 4 if byte >= 0xF0 else 3 if byte >= 0xE0 else 2 if byte >= 0xC0 else 1
            return size - back if need > back else size
    return size


_START, _COUNTED, _OPEN, _DISCARD = range(4)


class SyslogFramer:
    """Splits one TCP byte stream into syslog message texts (RFC 6587).

    Feed it data as it arrives; it keeps at most `max_message` bytes of a
    message plus a few bytes of an unfinished octet count. A bad count (more
    than 9 digits, or above both `max_message` and MAX_FRAME_OCTETS) is counted
    in `framing_errors` and the stream resynchronises at the next LF or NUL.
    """

    def __init__(self, max_message: int = 64 * 1024):
        if max_message < 1:
            raise ValueError("max_message must be at least 1")
        self.max_message = max_message
        self.frame_limit = max(max_message, MAX_FRAME_OCTETS)
        self.framing_errors = 0
        self.truncated = 0
        self._mode = _START
        self._pending = b""  # the start of a frame not yet decided (digits of a count)
        self._need = 0  # octets still due in a counted frame
        self._head = bytearray()
        self._dropped = 0
        self._last = -1  # last byte of the open message

    def feed(self, data: bytes) -> list[str]:
        buf = self._pending + data if self._pending else data
        self._pending = b""
        out: list[str] = []
        pos, size = 0, len(buf)
        while pos < size:
            if self._mode == _START:
                pos = self._start(buf, pos, size)
                if pos < 0:  # an unfinished count: wait for more
                    break
            elif self._mode == _COUNTED:
                need = self._need
                if need <= size - pos and need <= self.max_message and not self._head:
                    # fast path: the whole frame is in this buffer and fits
                    out.append(buf[pos : pos + need].rstrip(b"\r\n\x00").decode("utf-8", "replace"))
                    self._mode = _START
                    pos += need
                    continue
                take = min(need, size - pos)
                self._take(buf, pos, pos + take)
                self._need -= take
                pos += take
                if self._need == 0:
                    out.append(self._emit(counted=True))
            else:
                found = _TERMINATOR.search(buf, pos)
                end = size if found is None else found.start()
                if (
                    found is not None
                    and self._mode == _OPEN
                    and end - pos <= self.max_message
                    and not self._head
                    and not self._dropped
                ):  # fast path: the whole message is in this buffer and fits
                    line = buf[pos:end]
                    if line[-1:] == b"\r":
                        line = line[:-1]
                    out.append(line.decode("utf-8", "replace"))
                    self._mode = _START
                    pos = end + 1
                    continue
                if self._mode == _OPEN:
                    self._take(buf, pos, end)
                if found is None:
                    pos = size
                    break
                pos = end + 1
                if self._mode == _OPEN:
                    out.append(self._emit(counted=False))
                else:
                    self._mode = _START
        return out

    def finish(self) -> list[str]:
        """End of stream: an open non-transparent message is complete; a counted one is not."""
        out: list[str] = []
        if self._mode == _OPEN or (self._mode == _START and self._pending):
            if self._pending:
                self._take(self._pending, 0, len(self._pending))
            if self._head or self._dropped:
                out.append(self._emit(counted=False))
        elif self._mode == _COUNTED:
            self.framing_errors += 1
        self._mode, self._pending = _START, b""
        self._head, self._dropped, self._last = bytearray(), 0, -1
        return out

    def _start(self, buf: bytes, pos: int, size: int) -> int:
        """Decide the framing of the message starting at `pos`; -1 if more data is needed."""
        byte = buf[pos]
        if byte in (_LF, _CR, _NUL):  # an empty frame: skip
            return pos + 1
        if 0x31 <= byte <= 0x39:  # a count has no leading zero
            end = pos + 1
            limit = min(size, pos + _MAX_COUNT_DIGITS + 1)
            while end < limit and 0x30 <= buf[end] <= 0x39:
                end += 1
            if end == size and end - pos <= _MAX_COUNT_DIGITS:
                self._pending = bytes(buf[pos:])
                return -1
            digits = end - pos
            if digits > _MAX_COUNT_DIGITS or (
                buf[end] == _SP and int(buf[pos:end]) > self.frame_limit
            ):
                self.framing_errors += 1
                self._mode = _DISCARD
                return end
            if buf[end] == _SP:
                self._mode, self._need = _COUNTED, int(buf[pos:end])
                return end + 1
        self._mode = _OPEN  # non-transparent (also a line that merely starts with digits)
        return pos

    def _take(self, buf: bytes, start: int, end: int) -> None:
        if end <= start:
            return
        room = self.max_message - len(self._head)
        if room > 0:
            self._head += buf[start : min(end, start + room)]
        self._dropped += max(0, end - start - max(room, 0))
        self._last = buf[end - 1]

    def _emit(self, counted: bool) -> str:
        head, dropped, last = self._head, self._dropped, self._last
        self._mode, self._head, self._dropped, self._last = _START, bytearray(), 0, -1
        if counted and not dropped:
            while head and head[-1] in (_LF, _CR, _NUL):  # senders often count a trailing LF
                del head[-1]
        elif not counted and last == _CR:  # CRLF: the CR is not part of the message
            if dropped:
                dropped -= 1
            else:
                del head[-1]
        if dropped:
            self.truncated += 1
        return cut_message(head, dropped)
