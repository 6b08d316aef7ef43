"""Walking a web root: sorted, streaming, never following symlinks; reading files boundedly.

Paths are handled as bytes (a file name need not be UTF-8: an attacker picks
it). A file's `key` is its path below the root with NUL between components:
a depth-first walk visiting names in byte order yields keys in increasing
order, the same order SQLite gives for `ORDER BY key` on BLOBs, so the tree
can be compared with a stored baseline by a merge, in constant memory.

Symlinks are recorded as links (their target's text is their content) and
never followed; FIFOs, sockets and devices are skipped, never opened.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import re2  # type: ignore[import-untyped]

SEP = b"\x00"  # between path components in a key
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class FileState:
    """A file (or symlink) below a root as stored in a baseline."""

    key: bytes
    kind: str  # "file" | "link"
    size: int
    mtime_ns: int
    ctime_ns: int
    sha256: str | None  # None when the file could not be read

    @property
    def rel(self) -> bytes:
        return self.key.replace(SEP, b"/")


@dataclass(frozen=True, slots=True)
class Found:
    """A file or link met by the walk (not read yet)."""

    key: bytes
    kind: str
    size: int
    mtime_ns: int
    ctime_ns: int


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A directory the walk could not list: what the baseline has below it is unknown."""

    key: bytes
    error: str


def key_of(rel: bytes) -> bytes:
    return rel.strip(b"/").replace(b"/", SEP)


def display(raw: bytes) -> str:
    """A path for people and events: UTF-8, undecodable bytes shown as \\xNN."""
    return raw.decode("utf-8", "backslashreplace")


# ------------------------------------------------------------------ ignore globs
def _glob_regex(glob: str) -> str:
    """A glob (`*`, `**`, `?`, `[...]`) as an RE2 pattern on UTF-8 bytes read as Latin-1."""
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif glob.startswith("**", index):
            out.append(".*")
            index += 2
        elif char == "*":
            out.append("[^/]*")
            index += 1
        elif char == "?":
            out.append("(?:[\\x00-\\x7f]|[\\xc0-\\xff][\\x80-\\xbf]*)")
            index += 1
        elif char == "[" and "]" in glob[index + 2 :]:
            end = glob.index("]", index + 2)
            body = glob[index + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            escaped = "".join("\\" + c if c in "\\]^" else c for c in body)
            out.append(f"[{'^' if negate else ''}{escaped}]")
            index = end + 1
        else:
            out.append("".join(f"\\x{b:02x}" for b in char.encode("utf-8")))
            index += 1
    return "".join(out)


class IgnoreError(ValueError):
    """An ignore pattern that cannot be used."""


class IgnoreMatcher:
    """Glob patterns relative to a root, like .gitignore lines.

    A pattern without '/' matches a name at any depth (`*.log`, `cache`); one
    with '/' is anchored at the root (`wp-content/cache/**`). `*` stays within
    a name, `**` crosses directories. A pattern that matches a directory
    (`cache`, or `cache/**` for the folder cache) skips everything below it.
    """

    def __init__(self, patterns: Sequence[str]):
        self.patterns = tuple(patterns)
        file_parts: list[str] = []
        dir_parts: list[str] = []
        for pattern in patterns:
            text = pattern.strip()
            if not text or text in ("/", "**", "**/", "/**"):
                raise IgnoreError(f"ignore pattern {pattern!r} would ignore the whole web root")
            anchored = "/" in text.rstrip("/")
            text = text.strip("/")
            regex = _glob_regex(text)
            full = regex if anchored else f"(?:.*/)?{regex}"
            file_parts.append(full)
            dir_parts.append(full)
            if text.endswith("/**"):
                head = _glob_regex(text[:-3])
                dir_parts.append(head if anchored or "/" in text[:-3] else f"(?:.*/)?{head}")
        options = re2.Options()
        options.log_errors = False
        options.encoding = re2.Options.Encoding.LATIN1
        options.dot_nl = True
        try:
            self._file = _compile(file_parts, options)
            self._dir = _compile(dir_parts, options)
        except re2.error as exc:  # pragma: no cover - our translation only makes valid RE2
            raise IgnoreError(f"ignore patterns cannot be compiled: {exc}") from None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def file(self, rel: bytes) -> bool:
        return self._file is not None and self._file.fullmatch(rel) is not None

    def directory(self, rel: bytes) -> bool:
        return self._dir is not None and self._dir.fullmatch(rel) is not None

    def covers(self, rel: bytes) -> bool:
        """Whether `rel` (a file or directory) or a folder above it is ignored."""
        if not self:
            return False
        parts = rel.split(b"/")
        for depth in range(1, len(parts)):
            if self.directory(b"/".join(parts[:depth])):
                return True
        return self.file(rel) or self.directory(rel)


def _compile(parts: list[str], options: object) -> Any:
    if not parts:
        return None
    return re2.compile(("|".join(f"(?:{p})" for p in parts)).encode("latin-1"), options)


# ------------------------------------------------------------------ walking
def _found(key: bytes, st: os.stat_result) -> Found | None:
    if stat.S_ISREG(st.st_mode):
        return Found(key, "file", st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    if stat.S_ISLNK(st.st_mode):
        return Found(key, "link", st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return None  # directories are walked; FIFOs, sockets, devices are skipped


def _listing(path: bytes) -> list[tuple[bytes, bool]] | str:
    """(name, is a real folder) of the entries of `path`, by name; or why it cannot be read.

    Only names are kept (the entry type comes with the listing), so a folder
    of 100,000 uploads costs a few megabytes; each file is stat()ed when its
    turn comes. A folder that does not exist lists as empty.
    """
    try:
        with os.scandir(path) as entries:
            items = []
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue  # vanished meanwhile
                items.append((entry.name, is_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []  # gone: what the baseline had below it was deleted
    except OSError as exc:
        return exc.strerror or str(exc)
    items.sort()
    return items


def walk(
    root: bytes, ignore: IgnoreMatcher, start: bytes = b"", skip: frozenset[bytes] = frozenset()
) -> Iterator[Found | Unreadable]:
    """Files and links at or below `start` (a path relative to `root`), in key order.

    Folders that `ignore` matches and those named in `skip` (relative paths:
    other web roots inside this one) are not entered. Memory holds one
    sorted list of names per open folder level (an explicit stack, so a deep
    tree cannot exhaust recursion).
    """
    start = start.strip(b"/")
    top = os.path.join(root, start) if start else root
    if start:
        try:
            top_st = os.lstat(top)
        except OSError:
            return
        if not stat.S_ISDIR(top_st.st_mode):
            found = _found(key_of(start), top_st)
            if found is not None:
                yield found
            return
    listing = _listing(top)
    if isinstance(listing, str):
        yield Unreadable(key_of(start), listing)
        return
    stack: list[tuple[bytes, Iterator[tuple[bytes, bool]]]] = [(start, iter(listing))]
    while stack:
        rel_dir, items = stack[-1]
        item = next(items, None)
        if item is None:
            stack.pop()
            continue
        name, is_dir = item
        rel = rel_dir + b"/" + name if rel_dir else name
        if is_dir:
            if (ignore and ignore.directory(rel)) or rel in skip:
                continue
            sub = _listing(os.path.join(root, rel))
            if isinstance(sub, str):
                yield Unreadable(key_of(rel), sub)
                continue
            stack.append((rel, iter(sub)))
            continue
        if ignore and ignore.file(rel):
            continue
        try:
            st = os.lstat(os.path.join(root, rel))
        except OSError:
            continue  # vanished meanwhile
        found = _found(key_of(rel), st)
        if found is not None:
            yield found


# ------------------------------------------------------------------ reading
@dataclass(frozen=True, slots=True)
class Content:
    """A file's (or link's) hash and the prefix kept for inspection."""

    sha256: str | None
    prefix: bytes
    link_target: bytes | None = None
    error: str | None = None  # why it could not be read (sha256 is None then)


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS |= getattr(os, "O_CLOEXEC", 0)


def read_content(path: bytes, kind: str, max_prefix: int) -> Content | None:
    """Hash the whole file and keep its first `max_prefix` bytes; None if it is gone.

    Opened without following a symlink and without blocking, so a file
    swapped for a link or a FIFO after the walk is not followed or waited on.
    """
    if kind == "link":
        try:
            target = os.readlink(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            return Content(None, b"", error=exc.strerror or str(exc))
        return Content(hashlib.sha256(b"link:" + target).hexdigest(), b"", link_target=target)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Content(None, b"", error=exc.strerror or str(exc))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        digest = hashlib.sha256()
        kept = bytearray()
        # small files in one small read (os.read allocates the size asked for)
        want = min(CHUNK, max(st.st_size + 1, 4096))
        while True:
            chunk = os.read(fd, want)
            if not chunk:
                break
            digest.update(chunk)
            if len(kept) < max_prefix:
                kept += chunk[: max_prefix - len(kept)]
        return Content(digest.hexdigest(), bytes(kept))
    except OSError as exc:
        return Content(None, b"", error=exc.strerror or str(exc))
    finally:
        os.close(fd)
