"""Telling log files apart: fingerprints, rotated names, and finding a rotated file again.

A file is identified by (device, inode) plus a fingerprint of its first bytes.
The inode says "same file on disk"; the fingerprint catches a file rewritten
in place (copytruncate) and an inode number reused by a new file.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..events import Checkpoint

FINGERPRINT_BYTES = 256

# Names a rotation gives to old logs. Files matching a glob pattern are not
# tailed as inputs when their name matches one of these (they may still be read
# as the continuation of a file that was rotated while its lines were pending).
COMPRESSED_SUFFIXES: tuple[str, ...] = (
    ".gz",
    ".bz2",
    ".xz",
    ".zst",
    ".lz4",
    ".lzma",
    ".lzo",
    ".Z",
    ".zip",
    ".br",
)
DEFAULT_EXCLUDE: tuple[str, ...] = (
    *(f"*{suffix}" for suffix in COMPRESSED_SUFFIXES),
    "*.[0-9]",  # access.log.1
    "*.[0-9][0-9]",
    "*.[0-9][0-9][0-9]",
    "*.[0-9].log",  # access.1.log
    "*-[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]*",  # dateext: syslog-20260314
    "*.old",
    "*.bak",
    "*~",
    "*.swp",
)

_SEPARATORS = ".-_"
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def fingerprint_of(head: bytes) -> str:
    """Short sha256 of the first line or the first 256 bytes, whichever is shorter.

    '' while the file is too short to have one (no complete first line and
    fewer than 256 bytes); it is computed again once the file grows.
    """
    end = head.find(b"\n", 0, FINGERPRINT_BYTES)
    if end >= 0:
        data = head[: end + 1]
    elif len(head) >= FINGERPRINT_BYTES:
        data = head[:FINGERPRINT_BYTES]
    else:
        return ""
    return hashlib.sha256(data).hexdigest()[:16]


def file_fingerprint(fd: int) -> str:
    return fingerprint_of(os.pread(fd, FINGERPRINT_BYTES, 0))


def is_excluded(name: str, exclude: Sequence[str]) -> bool:
    """True when the base name `name` matches one of the `exclude` globs."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude)


def exclusion(exclude: Sequence[str]) -> Callable[[str], bool]:
    """is_excluded(name, exclude) as one compiled test (called for every file, every poll).

    The globs may come from the configuration: fnmatch translates them into
    regexes that do not backtrack catastrophically, and they only ever see
    file names (at most 255 bytes), never log text.
    """
    if not exclude:
        return lambda name: False
    matcher = re.compile("|".join(fnmatch.translate(pattern) for pattern in exclude))
    return lambda name: matcher.match(name) is not None


def is_compressed(name: str) -> bool:
    return name.endswith(COMPRESSED_SUFFIXES)


def open_regular(path: str) -> tuple[int, os.stat_result]:
    """Open `path` for reading without blocking; OSError unless it is a regular file."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file", path)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def is_sibling(base: str, name: str) -> bool:
    """Could `name` be a rotated copy of `base`? (access.log.1, syslog-20260314, app-1.log)"""
    if name == base or is_compressed(name):
        return False
    if name.startswith(base) and name[len(base)] in _SEPARATORS:
        return True
    stem, ext = os.path.splitext(base)
    return (
        bool(ext)
        and len(name) > len(base)
        and name.startswith(stem)
        and name.endswith(ext)
        and name[len(stem)] in _SEPARATORS
    )


@dataclass(frozen=True, slots=True)
class Continuation:
    """An old file holding the lines after a checkpoint, found beside the current one.

    `renamed` is True for the same file (device and inode) under a rotated name,
    which its writer may still append to; False for a copy (copytruncate), which
    is complete as found.
    """

    path: str
    fd: int
    info: os.stat_result
    renamed: bool


def find_continuation(
    path: str, checkpoint: Checkpoint, prefix: bytes = b""
) -> Continuation | None:
    """The rotated file holding `checkpoint`'s unread lines, if it is still beside `path`.

    First the file with the checkpoint's device and inode and fingerprint
    (rotated by rename); else, for a file rewritten in place, an uncompressed
    sibling with the same fingerprint (or, when the checkpoint has none yet,
    starting with `prefix`) and at least `offset` bytes: the copy made by
    copytruncate, the most recently modified first.
    """
    directory, base = os.path.split(path)
    try:
        names = sorted(n for n in os.listdir(directory or ".") if is_sibling(base, n))
    except OSError:
        return None
    copies: list[tuple[float, str]] = []
    for name in names:
        candidate = os.path.join(directory, name)
        try:
            info = os.stat(candidate)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_size < checkpoint.offset:
            continue
        if (info.st_dev, info.st_ino) == (checkpoint.device, checkpoint.inode):
            found = _open_if_same(candidate, checkpoint, b"", renamed=True)
            if found is not None:
                return found
        elif checkpoint.fingerprint or prefix:
            copies.append((info.st_mtime, candidate))
    for _, candidate in sorted(copies, reverse=True):
        found = _open_if_same(candidate, checkpoint, prefix, renamed=False)
        if found is not None:
            return found
    return None


def _open_if_same(
    path: str, checkpoint: Checkpoint, prefix: bytes, *, renamed: bool
) -> Continuation | None:
    """Open `path` if it starts like the checkpoint's file and is long enough."""
    try:
        fd, info = open_regular(path)
    except OSError:
        return None
    try:
        head = os.pread(fd, FINGERPRINT_BYTES, 0)
    except OSError:
        head = None
    if head is not None and info.st_size >= checkpoint.offset:
        if checkpoint.fingerprint:
            same = fingerprint_of(head) == checkpoint.fingerprint
        else:
            same = renamed or (bool(prefix) and head.startswith(prefix))
        if same:
            return Continuation(path, fd, info, renamed)
    os.close(fd)
    return None
