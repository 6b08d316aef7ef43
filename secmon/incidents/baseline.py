"""Web-root baselines kept in the incident database (tables fim_baseline, fim_roots).

Two layers per web root:

- "approved": the state taken by `secmon fim baseline` after a planned
  deployment. `secmon fim status` shows how the tree differs from it.
- "seen": what the watcher last saw and reported. The daemon compares the
  tree with it on start (what changed while it was down) and stores each
  change after recording the incidents the change caused.

Taking a baseline sets both. Rows are written in batches under a private
staging layer and swapped in with one short transaction, so a long hash of
a big tree never holds the write lock, and a crash leaves the old baseline.

    baselines = BaselineStore(store, clock)
    baselines.take("/var/www/html", watcher.snapshot("/var/www/html"), by="canbo")
    changes = watcher.scan(baselines.view(SEEN))
    ...record the incidents...
    baselines.apply(changes)

A view reads in pages of `page` rows by key (keyset pagination), so a scan
holds one page in memory, never the whole tree.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ..clock import Clock
from .correlate import parse_utc, utc_text
from .model import StoreError
from .store import IncidentStore

APPROVED = "approved"
SEEN = "seen"
LAYERS: tuple[str, ...] = (APPROVED, SEEN)
PAGE = 2000
_COLUMNS = "key, kind, size, mtime_ns, ctime_ns, sha256"


class StateLike(Protocol):
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


class ChangeLike(Protocol):
    """A change to store: the file at (root, key) is now `new` (None: deleted)."""

    @property
    def root(self) -> str: ...
    @property
    def key(self) -> bytes: ...
    @property
    def new(self) -> StateLike | None: ...


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: bytes
    kind: str
    size: int
    mtime_ns: int
    ctime_ns: int
    sha256: str | None


@dataclass(frozen=True, slots=True)
class RootBaseline:
    """When a layer of one root was taken, by whom, with how many files."""

    root: str
    layer: str
    taken_at: datetime
    taken_by: str
    files: int


def _row(layer: str, root: str, state: StateLike) -> tuple[object, ...]:
    return (
        layer,
        root,
        bytes(state.key),
        state.kind,
        state.size,
        state.mtime_ns,
        state.ctime_ns,
        state.sha256,
    )


class BaselineView:
    """One layer, read as the `Baseline` the web-root watcher compares with."""

    def __init__(self, conn: sqlite3.Connection, layer: str, page: int = PAGE):
        self._conn = conn
        self.layer = layer
        self._page = page

    def knows(self, root: str) -> bool:
        row = self._conn.execute(
            "SELECT 1 FROM fim_roots WHERE layer = ? AND root = ?", [self.layer, root]
        ).fetchone()
        return row is not None

    def entries(self, root: str, under: bytes | None = None) -> Iterator[StoredFile]:
        """States of `root` by key; with `under`, only that key and those below it."""
        low, high = (b"", None) if under is None else (under, under + b"\x01")
        inclusive = True
        while True:
            query = (
                f"SELECT {_COLUMNS} FROM fim_baseline WHERE layer = ? AND root = ? "
                f"AND key {'>=' if inclusive else '>'} ?"
            )
            params: list[object] = [self.layer, root, low]
            if high is not None:
                query += " AND key < ?"
                params.append(high)
            rows = self._conn.execute(query + " ORDER BY key LIMIT ?", [*params, self._page])
            batch = [StoredFile(bytes(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]
            yield from batch
            if len(batch) < self._page:
                return
            low, inclusive = batch[-1].key, False

    def count(self, root: str) -> int:
        row = self._conn.execute(
            "SELECT COUNT(*) FROM fim_baseline WHERE layer = ? AND root = ?", [self.layer, root]
        ).fetchone()
        return int(row[0])


class BaselineStore:
    """Reads and writes web-root baselines through an open IncidentStore."""

    def __init__(self, store: IncidentStore, clock: Clock, *, page: int = PAGE):
        self._store = store
        self._clock = clock
        self._page = page

    def view(self, layer: str) -> BaselineView:
        if layer not in LAYERS:
            raise ValueError(f"unknown baseline layer {layer!r}; use one of {', '.join(LAYERS)}")
        return BaselineView(self._store.connection, layer, self._page)

    def roots(self, layer: str = APPROVED) -> list[RootBaseline]:
        rows = self._store.connection.execute(
            "SELECT root, layer, taken_at, taken_by, files FROM fim_roots WHERE layer = ? "
            "ORDER BY root",
            [layer],
        )
        return [RootBaseline(r[0], r[1], parse_utc(r[2]), r[3], r[4]) for r in rows]

    def take(self, root: str, states: Iterable[StateLike], *, by: str = "") -> int:
        """Make `states` (all files of `root`) its approved and seen baseline; the count.

        The states are written in batches under a staging layer while they are
        produced (hashing may take long), then swapped in at once.
        """
        staging = f"staging:{secrets.token_hex(8)}"
        with self._store.transaction() as conn:  # left by a run that crashed
            conn.execute(
                "DELETE FROM fim_baseline WHERE layer LIKE 'staging:%' AND root = ?", [root]
            )
        written = 0
        batch: list[tuple[object, ...]] = []
        try:
            for state in states:
                batch.append(_row(staging, root, state))
                if len(batch) >= self._page:
                    written += self._insert(batch)
                    batch = []
            if batch:
                written += self._insert(batch)
            with self._store.transaction() as conn:
                staged = conn.execute(
                    "SELECT COUNT(*) FROM fim_baseline WHERE layer = ? AND root = ?",
                    [staging, root],
                ).fetchone()[0]
                if staged != written:  # pragma: no cover - needs a concurrent writer
                    raise StoreError(
                        f"baseline của {root} bị ghi dở bởi tiến trình khác; hãy chạy lại",
                        f"the baseline of {root} was changed by another process; run again",
                    )
                conn.execute(
                    "DELETE FROM fim_baseline WHERE layer IN (?, ?) AND root = ?",
                    [APPROVED, SEEN, root],
                )
                for layer in LAYERS:
                    conn.execute(
                        f"INSERT INTO fim_baseline (layer, root, {_COLUMNS}) "
                        f"SELECT ?, root, {_COLUMNS} FROM fim_baseline "
                        "WHERE layer = ? AND root = ?",
                        [layer, staging, root],
                    )
                    conn.execute(
                        "INSERT OR REPLACE INTO fim_roots (layer, root, taken_at, taken_by, files)"
                        " VALUES (?, ?, ?, ?, ?)",
                        [layer, root, utc_text(self._clock.now()), by, written],
                    )
                conn.execute("DELETE FROM fim_baseline WHERE layer = ?", [staging])
        except BaseException:
            self._drop(staging)
            raise
        return written

    def apply(self, changes: Iterable[ChangeLike]) -> int:
        """Store changes in the "seen" layer (created/modified/touched kept, deleted removed)."""
        upserts: list[tuple[object, ...]] = []
        deletes: list[tuple[object, ...]] = []
        for change in changes:
            if change.new is None:
                deletes.append((SEEN, change.root, bytes(change.key)))
            else:
                upserts.append(_row(SEEN, change.root, change.new))
        if not upserts and not deletes:
            return 0
        with self._store.transaction() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO fim_baseline (layer, root, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                upserts,
            )
            conn.executemany(
                "DELETE FROM fim_baseline WHERE layer = ? AND root = ? AND key = ?", deletes
            )
        return len(upserts) + len(deletes)

    def forget(self, root: str) -> int:
        """Drop every layer of `root` (no longer watched); the number of files dropped."""
        with self._store.transaction() as conn:
            cursor = conn.execute("DELETE FROM fim_baseline WHERE root = ?", [root])
            conn.execute("DELETE FROM fim_roots WHERE root = ?", [root])
            return int(cursor.rowcount)

    def _insert(self, rows: list[tuple[object, ...]]) -> int:
        with self._store.transaction() as conn:
            conn.executemany(
                f"INSERT INTO fim_baseline (layer, root, {_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return len(rows)

    def _drop(self, staging: str) -> None:
        try:
            with self._store.transaction() as conn:
                conn.execute("DELETE FROM fim_baseline WHERE layer = ?", [staging])
        except (StoreError, sqlite3.Error):  # pragma: no cover - best effort cleanup
            pass
