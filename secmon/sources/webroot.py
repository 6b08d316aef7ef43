"""Web-root watch (file integrity): what changed in the web roots, and does it look bad.

    watcher = WebRootWatcher(["/var/www/html"], ignore=["wp-content/cache/**"], clock=clock)
    changes = watcher.scan(baseline)          # on start: what changed while secmon was down
    changes = watcher.changes(hints, baseline)  # live: re-check only what watchdog named
    events = [watcher.to_event(c) for c in changes if c.reportable]

The tree is compared with a baseline (path, size, mtime, ctime, sha256):
files whose size, mtime and ctime match are not read; the others are
hashed whole, and the first `max_inspect_bytes` of each are searched for
webshell and defacement markers (webshell_markers.py). The comparison is a
merge of two streams sorted by key (webroot_scan.py), so memory does not
grow with the tree. Symlinks are never followed; a link is a file whose
content is its target. A file whose hash did not change (only its times)
is a "touched" change: the baseline takes its new times, no event is made.

The watcher reads; it never writes a baseline. The caller stores changes
(secmon.incidents.baseline) after recording the incidents they caused, so
a crash in between repeats an alert rather than losing it.

Events have parser "fim", source = the web root, message "created /path",
and their `raw` is a JSON object the `fim` log type reads back
(secmon.parsers.fim), so recorded events can be replayed through the rules.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from ..clock import Clock
from ..events import Event
from .webroot_changes import (
    DEFAULT_UPLOAD_DIRS,
    Baseline,
    FileChange,
    MemoryBaseline,
    StateLike,
    WebRoot,
    change_fields,
    fim_record,
    is_index,
)
from .webroot_scan import (
    SEP,
    Content,
    FileState,
    Found,
    IgnoreMatcher,
    Unreadable,
    display,
    key_of,
    read_content,
    walk,
)
from .webshell_markers import NOTHING_FOUND, ContentInspector, FileTraits

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_UPLOAD_DIRS",
    "MAX_INSPECT_BYTES",
    "Baseline",
    "FileChange",
    "FileState",
    "MemoryBaseline",
    "StateLike",
    "WebRoot",
    "WebRootWatcher",
    "change_fields",
    "fim_record",
]

MAX_INSPECT_BYTES = 256 * 1024


class _Root:
    """A root's compiled settings."""

    def __init__(self, spec: WebRoot):
        self.path = os.path.abspath(spec.path)
        self.raw = os.fsencode(self.path)
        self.ignore = IgnoreMatcher(spec.ignore)
        self.upload_dirs = frozenset(name.casefold() for name in spec.upload_dirs)
        self.nested: frozenset[bytes] = frozenset()  # other roots inside this one

    def excluded(self, rel: bytes) -> bool:
        """Whether `rel` is ignored or belongs to a root nested in this one."""
        if self.ignore.covers(rel):
            return True
        return any(rel == n or rel.startswith(n + b"/") for n in self.nested)

    def walk(self, start: bytes = b"") -> Iterator[Found | Unreadable]:
        return walk(self.raw, self.ignore, start, self.nested)

    def in_upload_dir(self, key: bytes) -> bool:
        folders = key.split(SEP)[:-1]
        return any(display(name).casefold() in self.upload_dirs for name in folders)


class WebRootWatcher:
    """Compares web roots with a baseline and turns differences into Events."""

    def __init__(
        self,
        roots: Sequence[str | Path | WebRoot],
        *,
        ignore: Sequence[str] = (),
        upload_dirs: Sequence[str] = DEFAULT_UPLOAD_DIRS,
        max_inspect_bytes: int = MAX_INSPECT_BYTES,
        clock: Clock,
        host: str | None = None,
    ):
        specs = [
            r if isinstance(r, WebRoot) else WebRoot(str(r), tuple(ignore), tuple(upload_dirs))
            for r in roots
        ]
        unique = {os.path.abspath(spec.path): spec for spec in reversed(specs)}  # first wins
        self._roots = [_Root(spec) for spec in unique.values()]
        for outer in self._roots:
            prefix = outer.raw.rstrip(b"/") + b"/"
            outer.nested = frozenset(
                inner.raw[len(prefix) :] for inner in self._roots if inner.raw.startswith(prefix)
            )
        # Longest first, so a root nested in another owns its own files.
        self._roots.sort(key=lambda r: len(r.raw), reverse=True)
        self.max_inspect_bytes = max_inspect_bytes
        self._clock = clock
        self._host = host
        self._inspector = ContentInspector()

    @property
    def roots(self) -> list[str]:
        return sorted(r.path for r in self._roots)

    # ------------------------------------------------------------ scanning
    def scan(self, baseline: Baseline) -> list[FileChange]:
        """Every difference between the roots and `baseline` (roots it knows of)."""
        return list(self.iter_scan(baseline))

    def iter_scan(self, baseline: Baseline) -> Iterator[FileChange]:
        """As scan(), streaming: memory stays flat however many files differ."""
        for root in sorted(self._roots, key=lambda r: r.path):
            if baseline.knows(root.path):
                yield from self._diff(root, root.walk(), baseline.entries(root.path))

    def snapshot(self, root: str) -> Iterator[FileState]:
        """The current state of every file of `root` (each one hashed): a new baseline."""
        spec = self._root(os.path.abspath(root))
        for item in spec.walk():
            if isinstance(item, Found):
                content = read_content(
                    os.path.join(spec.raw, item.key.replace(SEP, b"/")), item.kind, 0
                )
                if content is not None:
                    yield _state(item, content)

    def changes(
        self, hints: Iterable[str | tuple[str, str]], baseline: Baseline
    ) -> list[FileChange]:
        """Re-check only the hinted paths (files or folders; (kind, path) pairs or paths).

        A hint is a hint: each path is compared with the baseline as it is now,
        whatever the event said. A hint for a folder re-checks everything below
        it (a folder moved in brings files no event named). Paths outside the
        roots or ignored are dropped.
        """
        wanted: dict[_Root, set[bytes]] = {}
        for hint in hints:
            path = hint[1] if isinstance(hint, tuple) else hint
            located = self._locate(os.fsencode(os.path.abspath(path)))
            if located is not None:
                wanted.setdefault(located[0], set()).add(located[1])
        out: list[FileChange] = []
        for root in sorted(wanted, key=lambda r: r.path):
            if not baseline.knows(root.path):
                continue
            for rel in _outermost(wanted[root]):
                if not rel:
                    out.extend(self._diff(root, root.walk(), baseline.entries(root.path)))
                    continue
                out.extend(
                    self._diff(
                        root,
                        root.walk(rel),
                        baseline.entries(root.path, under=key_of(rel)),
                    )
                )
        return out

    # ------------------------------------------------------------ events
    def to_event(self, change: FileChange) -> Event:
        """The Event of a change (parser "fim"); `raw` is its JSON form."""
        fields = change_fields(change)
        message = f"{change.change} {fields['path']}"
        raw = fim_record(change.observed_at, self._host, fields)
        return Event(
            time=change.observed_at,
            source=change.root,
            parser="fim",
            message=message,
            raw=raw,
            host=self._host,
            program=None,
            fields=fields,
        )

    # ------------------------------------------------------------ internals
    def _root(self, path: str) -> _Root:
        for root in self._roots:
            if root.path == path:
                return root
        raise KeyError(f"{path} is not a watched web root")

    def _locate(self, raw: bytes) -> tuple[_Root, bytes] | None:
        for root in self._roots:
            if raw == root.raw:
                return root, b""
            if raw.startswith(root.raw.rstrip(b"/") + b"/"):
                rel = raw[len(root.raw.rstrip(b"/")) + 1 :].strip(b"/")
                if root.ignore.covers(rel):
                    return None  # (a nested root is longer, so it was matched first)
                return root, _real_part(root.raw, rel)
        return None

    def _diff(
        self, root: _Root, tree: Iterator[Found | Unreadable], stored: Iterable[StateLike]
    ) -> Iterator[FileChange]:
        base = iter(stored)
        now = self._clock.now()
        found = next(tree, None)
        old = next(base, None)
        warned = False
        while found is not None or old is not None:
            if isinstance(found, Unreadable):
                if not warned:
                    warned = True
                    _warn_unreadable(root.path, found)
                if old is not None and _below(old.key, found.key):
                    old = next(base, None)  # below a folder we cannot list: unknown, not gone
                    continue
                if old is None or found.key < old.key:
                    found = next(tree, None)
                    continue
            if found is not None and (old is None or found.key < old.key):
                assert isinstance(found, Found)
                change = self._created(root, found, now)
                found = next(tree, None)
            elif old is not None and (found is None or old.key < found.key):
                # ignored (or a nested root's) since the baseline was taken: not "deleted"
                excluded = root.excluded(old.key.replace(SEP, b"/"))
                change = None if excluded else self._deleted(root, old, now)
                old = next(base, None)
            else:
                assert isinstance(found, Found) and old is not None
                change = self._compared(root, found, old, now)
                found, old = next(tree, None), next(base, None)
            if change is not None:
                yield change

    def _read(self, root: _Root, found: Found) -> Content | None:
        path = os.path.join(root.raw, found.key.replace(SEP, b"/"))
        return read_content(path, found.kind, self.max_inspect_bytes)

    def _created(self, root: _Root, found: Found, now: datetime) -> FileChange | None:
        content = self._read(root, found)
        if content is None:
            return None  # gone again before we could read it
        return self._change(root, "created", None, found, content, now)

    def _compared(
        self, root: _Root, found: Found, old: StateLike, now: datetime
    ) -> FileChange | None:
        if (
            found.kind == old.kind
            and found.size == old.size
            and found.mtime_ns == old.mtime_ns
            and found.ctime_ns == old.ctime_ns
        ):
            return None
        content = self._read(root, found)
        if content is None:
            return self._deleted(root, old, now)
        same = (
            found.kind == old.kind and content.sha256 is not None and content.sha256 == old.sha256
        )
        return self._change(root, "touched" if same else "modified", old, found, content, now)

    def _deleted(self, root: _Root, old: StateLike, now: datetime) -> FileChange:
        traits = FileTraits.of(
            display(old.key.rsplit(SEP, 1)[-1]), in_upload_dir=root.in_upload_dir(old.key)
        )
        return FileChange(
            root.path,
            old.key,
            "deleted",
            old,
            None,
            traits,
            NOTHING_FOUND,
            is_index(old.key),
            None,
            now,
        )

    def _change(
        self,
        root: _Root,
        kind: str,
        old: StateLike | None,
        found: Found,
        content: Content,
        now: datetime,
    ) -> FileChange:
        name = display(found.key.rsplit(SEP, 1)[-1])
        traits = FileTraits.of(name, in_upload_dir=root.in_upload_dir(found.key))
        inspection = NOTHING_FOUND
        if kind != "touched" and content.prefix:
            inspection = self._inspector.inspect(content.prefix, traits)
        return FileChange(
            root.path,
            found.key,
            kind,
            old,
            _state(found, content),
            traits,
            inspection,
            is_index(found.key),
            content.link_target,
            now,
        )


def _state(found: Found, content: Content) -> FileState:
    return FileState(
        found.key, found.kind, found.size, found.mtime_ns, found.ctime_ns, content.sha256
    )


def _below(key: bytes, folder: bytes) -> bool:
    """Whether `key` is the folder key `folder` or inside it (b"" is the root)."""
    return not folder or key == folder or key.startswith(folder + SEP)


def _warn_unreadable(root: str, item: Unreadable) -> None:
    where = os.path.join(root, display(item.key.replace(SEP, b"/")))
    log.warning(
        "không đọc được thư mục %s (%s): bỏ qua so sánh bên trong / cannot read folder %s (%s):"
        " what is inside is not compared",
        where,
        item.error,
        where,
        item.error,
    )


def _real_part(root: bytes, rel: bytes) -> bytes:
    """`rel`, or its first ancestor that is not a real folder (a link is never entered)."""
    parts = rel.split(b"/")
    for depth in range(1, len(parts)):
        head = b"/".join(parts[:depth])
        try:
            if not os.path.isdir(os.path.join(root, head)) or os.path.islink(
                os.path.join(root, head)
            ):
                return head
        except OSError:  # pragma: no cover - isdir/islink do not raise
            return head
    return rel


def _outermost(rels: set[bytes]) -> list[bytes]:
    """The hinted paths without those inside another hinted path."""
    if b"" in rels:
        return [b""]
    out: list[bytes] = []
    for rel in sorted(rels, key=key_of):
        if out and (rel == out[-1] or rel.startswith(out[-1] + b"/")):
            continue
        out.append(rel)
    return out
