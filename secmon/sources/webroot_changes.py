"""The data of the web-root watch: roots, baselines, changes, and their event fields.

`FileChange` is one difference between a tree and its baseline; `change_fields`
gives the fields of its Event (the `fim` JSON form, `fim_record`). A baseline is
anything with `knows(root)` and `entries(root, under)` in key order: the incident
database (secmon.incidents.baseline) or `MemoryBaseline` for tests and one-shot
checks.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from .webroot_scan import SEP, FileState, display
from .webshell_markers import FileTraits, Inspection, join_names

DEFAULT_UPLOAD_DIRS: tuple[str, ...] = (
    "uploads", "upload", "files", "images", "img", "media", "tmp", "temp",
    "userfiles", "attachments",
)  # fmt: skip
# Names of home pages and front templates: a change to one is a likely defacement.
INDEX_NAMES: frozenset[str] = frozenset(
    f"{stem}.{ext}"
    for stem in ("index", "default", "home", "trang-chu", "trangchu")
    for ext in ("php", "html", "htm", "shtml", "jsp", "asp", "aspx", "tpl")
) | frozenset({"front-page.php", "page--front.html.twig", "home.blade.php", "index.blade.php"})
CHANGES = ("created", "modified", "deleted", "touched")


class StateLike(Protocol):
    """A stored file state (FileState, or a row object of a baseline store)."""

    @property
    def key(self) -> bytes: ...
    @property
    def kind(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def mtime_ns(self) -> int: ...
    @property
    def ctime_ns(self) -> int: ...
    @property
    def sha256(self) -> str | None: ...


class Baseline(Protocol):
    """What the tree looked like: per root, file states sorted by key."""

    def knows(self, root: str) -> bool:
        """Whether a baseline was ever taken of `root` (an empty one counts)."""
        ...

    def entries(self, root: str, under: bytes | None = None) -> Iterable[StateLike]:
        """States of `root` in key order; with `under`, only that key and the keys below it."""
        ...


@dataclass(frozen=True, slots=True)
class WebRoot:
    """One watched folder and its own settings."""

    path: str
    ignore: tuple[str, ...] = ()
    upload_dirs: tuple[str, ...] = DEFAULT_UPLOAD_DIRS


@dataclass(frozen=True, slots=True)
class FileChange:
    """One difference between the tree and the baseline."""

    root: str
    key: bytes
    change: str  # created | modified | deleted | touched
    old: StateLike | None
    new: FileState | None
    traits: FileTraits
    inspection: Inspection
    is_index: bool
    link_target: bytes | None
    observed_at: datetime

    @property
    def rel_path(self) -> str:
        return display(self.key.replace(SEP, b"/"))

    @property
    def path(self) -> str:
        return os.path.join(self.root, self.rel_path)

    @property
    def reportable(self) -> bool:
        """False for "touched" (same content, new times): stored, but no event."""
        return self.change != "touched"


class MemoryBaseline:
    """A baseline held in memory (tests, one-shot checks). Not for huge trees."""

    def __init__(self) -> None:
        self._roots: dict[str, dict[bytes, StateLike]] = {}

    def knows(self, root: str) -> bool:
        return root in self._roots

    def entries(self, root: str, under: bytes | None = None) -> list[StateLike]:
        files = self._roots.get(root, {})
        keys = sorted(files)
        if under is not None:
            keys = [k for k in keys if k == under or k.startswith(under + SEP)]
        return [files[k] for k in keys]

    def take(self, root: str, states: Iterable[StateLike]) -> int:
        self._roots[root] = {state.key: state for state in states}
        return len(self._roots[root])

    def apply(self, changes: Iterable[FileChange]) -> None:
        for change in changes:
            files = self._roots.setdefault(change.root, {})
            if change.new is None:
                files.pop(change.key, None)
            else:
                files[change.key] = change.new


def is_index(key: bytes) -> bool:
    return display(key.rsplit(SEP, 1)[-1]).lower() in INDEX_NAMES


def _link_outside(root: str, change: FileChange) -> bool | None:
    if change.link_target is None:
        return None
    link_dir = os.path.dirname(change.path)
    target = os.path.normpath(os.path.join(link_dir, display(change.link_target)))
    return not (target == root or target.startswith(root.rstrip("/") + "/"))


def change_fields(change: FileChange) -> dict[str, Any]:
    """The fields of a change's Event (every key always present; None when not known)."""
    new, old = change.new, change.old
    current = new if new is not None else old
    found = change.inspection
    return {
        "path": change.path,
        "rel_path": change.rel_path,
        "root": change.root,
        "change": change.change,
        "file_type": current.kind if current is not None else None,
        "ext": change.traits.ext,
        "size": new.size if new is not None else None,
        "old_size": old.size if old is not None else None,
        "sha256": new.sha256 if new is not None else None,
        "old_sha256": old.sha256 if old is not None else None,
        "mtime": _mtime(new.mtime_ns) if new is not None else None,
        "in_upload_dir": change.traits.in_upload_dir,
        "double_ext": change.traits.double_ext,
        "script": change.traits.script,
        "is_index": change.is_index,
        "depth": change.key.count(SEP),
        "markers": join_names(found.markers),
        "deface_markers": join_names(found.deface_markers),
        "shell_name": found.shell_name,
        "spam_words": join_names(found.spam_words),
        "link_target": display(change.link_target) if change.link_target is not None else None,
        "link_outside": _link_outside(change.root, change),
    }


def _mtime(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")


def fim_record(time: datetime, host: str | None, fields: dict[str, Any]) -> str:
    """The JSON line of a fim event (read back by the `fim` log type)."""
    record: dict[str, Any] = {"time": time.isoformat()}
    if host is not None:
        record["host"] = host
    record.update(fields)
    return json.dumps(record, ensure_ascii=False)
