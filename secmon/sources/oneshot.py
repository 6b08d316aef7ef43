"""Reading a whole log file once, plain or gzip-compressed (`secmon scan`).

Lines stream in constant memory: the file is read in 1 MiB chunks, and a
line longer than 64 KiB keeps only its first 64 KiB (cut at a character
boundary) plus a marker saying how many bytes were dropped. Bad UTF-8 is
replaced, never fatal. Offsets are byte offsets of line starts in the
(decompressed) data, line numbers start at 1.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Generator, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from ..errors import SecmonError

MAX_LINE_BYTES = 64 * 1024
CUT_MARKER = " [secmon: line cut, {dropped} bytes dropped]"
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_CR = 13  # b"\r"


@dataclass(frozen=True, slots=True)
class RawLine:
    line_no: int
    offset: int  # byte offset of the line start
    text: str


_new_object = object.__new__
_set_line_no = getattr(RawLine, "line_no").__set__  # noqa: B009 - the slot descriptor
_set_offset = getattr(RawLine, "offset").__set__  # noqa: B009
_set_text = getattr(RawLine, "text").__set__  # noqa: B009


def _raw_line(line_no: int, offset: int, text: str) -> RawLine:
    """RawLine(line_no, offset, text) without the frozen-dataclass __init__ cost."""
    raw = _new_object(RawLine)
    _set_line_no(raw, line_no)
    _set_offset(raw, offset)
    _set_text(raw, text)
    return raw


def read_lines(path: Path) -> Generator[RawLine, None, None]:
    """The lines of `path` (plain or gzip, told by its first bytes), terminators stripped."""
    line_no = 0
    try:
        with ExitStack() as stack:
            for raw in _split_lines(_open(path, stack)):
                line_no = raw.line_no
                yield raw
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise SecmonError(
            f"{path}: the compressed data is damaged or cut short after line {line_no} "
            f"({exc}); the lines before it were read. Check the file with 'gzip -t'."
        ) from exc
    except OSError as exc:
        raise SecmonError(
            f"{path}: read failed after line {line_no}: {exc.strerror or exc}"
        ) from exc


def sample_lines(path: Path, n: int = 64) -> list[str]:
    """The first `n` non-blank lines of `path`, for guessing its type."""
    sample: list[str] = []
    if n <= 0:
        return sample
    with closing(read_lines(path)) as lines:
        for raw in lines:
            if raw.text.strip():
                sample.append(raw.text)
                if len(sample) >= n:
                    break
    return sample


def reference_time(path: Path) -> datetime:
    """The file's modification time (tz-aware, UTC): the year for year-less syslog times."""
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise SecmonError(f"{path}: cannot read the file's time: {exc.strerror or exc}") from exc
    return datetime.fromtimestamp(mtime, tz=UTC)


def _open(path: Path, stack: ExitStack) -> BinaryIO:
    """The file's bytes, decompressed if it starts like gzip; closed with `stack`."""
    try:
        handle = stack.enter_context(open(path, "rb"))
        magic = handle.peek(2)[:2]  # peek: works on pipes too
    except OSError as exc:
        raise SecmonError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    if magic == GZIP_MAGIC:
        return stack.enter_context(gzip.GzipFile(fileobj=handle, mode="rb"))  # type: ignore[return-value]
    return handle


def _split_lines(handle: BinaryIO) -> Iterator[RawLine]:
    # read1: what one read of the file (or one gzip block) gives, so the lines
    # before a damaged part of a .gz are still yielded.
    read = getattr(handle, "read1", handle.read)
    line_no = 0
    offset = 0
    # A line not yet ended by the chunks read so far: its first bytes (at most
    # MAX_LINE_BYTES + 1), its length so far and its last byte.
    head = b""
    length = 0
    last = 0
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            break
        pieces = chunk.split(b"\n")
        tail = pieces.pop()
        start = 0
        if length:
            if not pieces:  # still no end of line: remember and read on
                head, length, last = _extend(head, length, last, tail)
                continue
            head, length, last = _extend(head, length, last, pieces[0])
            line_no += 1
            yield _raw_line(line_no, offset, _finish(head, length, last))
            offset += length + 1
            start = 1
            head, length, last = b"", 0, 0
        for index in range(start, len(pieces)):
            piece = pieces[index]
            line_no += 1
            size = len(piece)
            if size > MAX_LINE_BYTES:
                text = _finish(piece[: MAX_LINE_BYTES + 1], size, piece[-1])
            else:
                text = piece.decode("utf-8", "replace")
                if text and text[-1] == "\r":
                    text = text[:-1]
            yield _raw_line(line_no, offset, text)
            offset += size + 1
        if tail:
            head, length, last = _extend(b"", 0, 0, tail)
    if length:
        yield _raw_line(line_no + 1, offset, _finish(head, length, last))


def _extend(head: bytes, length: int, last: int, data: bytes) -> tuple[bytes, int, int]:
    if not data:
        return head, length, last
    if len(head) <= MAX_LINE_BYTES:
        head = (head + data)[: MAX_LINE_BYTES + 1]
    return head, length + len(data), data[-1]


def _finish(head: bytes, length: int, last: int) -> str:
    """The text of a line from its first bytes, its full length and its last byte."""
    return cut_line(head, length - 1 if last == _CR else length)


def cut_line(head: bytes | bytearray, length: int) -> str:
    """The text of a line of `length` bytes (no terminator) whose first bytes are `head`.

    `head` holds at least min(length, MAX_LINE_BYTES + 1) bytes. A longer line is
    cut at a UTF-8 character boundary and marked; bad UTF-8 is replaced.
    """
    if length <= MAX_LINE_BYTES:
        return head[:length].decode("utf-8", "replace")
    cut = MAX_LINE_BYTES
    # Do not split a UTF-8 character: back off over continuation bytes (at most 3).
    while cut > MAX_LINE_BYTES - 3 and (head[cut] & 0xC0) == 0x80:
        cut -= 1
    if (head[cut] & 0xC0) == 0x80:
        cut = MAX_LINE_BYTES  # not UTF-8 anyway
    kept = head[:cut].decode("utf-8", "replace")
    return kept + CUT_MARKER.format(dropped=length - cut)
