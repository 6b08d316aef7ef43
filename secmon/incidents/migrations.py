"""The incident database file: connection, schema, migrations, row mapping.

`connect` opens the file in WAL mode with foreign keys on. A migration is a
function on the database; its version is its place in MIGRATIONS (1-based).
`migrate` applies the pending ones, each in its own write transaction
together with its row in `schema_version`, and refuses a file written by a
newer secmon. Two processes opening an old file at once are safe: the
version is re-read after the write lock is taken.

sqlite-utils ships a `Migrations` class (formerly the sqlite-migrate
package). It is not used here: it cannot refuse a newer file, it reads the
wall clock, and it decides what is pending before taking the write lock.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..clock import Clock
from ..events import Checkpoint
from .correlate import canonical_key, parse_utc, utc_text
from .model import EvidenceLine, Incident, SchemaVersionError, StoreError, TimelineEntry

VERSION_TABLE = "schema_version"


@dataclass(frozen=True, slots=True)
class Migration:
    name: str
    apply: Callable[[Database], None]


def _execute_all(db: Database, script: str) -> None:
    """Run our own DDL statement by statement (no ';' inside statements)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1_initial(db: Database) -> None:
    _execute_all(
        db,
        """
        CREATE TABLE incidents (
            id INTEGER PRIMARY KEY,
            category TEXT NOT NULL,
            severity TEXT NOT NULL
                CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
            status TEXT NOT NULL
                CHECK (status IN ('new', 'acknowledged', 'contained', 'resolved',
                                  'false_positive')),
            key_json TEXT NOT NULL,
            title_vi TEXT NOT NULL,
            title_en TEXT NOT NULL,
            rule_ids TEXT NOT NULL,          -- JSON list, sorted
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            count INTEGER NOT NULL,
            detections INTEGER NOT NULL,
            notified_count INTEGER NOT NULL,
            evidence_total INTEGER NOT NULL DEFAULT 0,
            playbook TEXT,
            assignee TEXT,
            hosts TEXT NOT NULL,             -- JSON list, sorted
            sources TEXT NOT NULL,           -- JSON list, sorted
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            acknowledged_at TEXT,
            contained_at TEXT,
            resolved_at TEXT
        );
        CREATE INDEX incidents_by_key ON incidents (category, key_json, id);
        CREATE INDEX incidents_by_last_seen ON incidents (last_seen);
        CREATE INDEX incidents_by_status ON incidents (status);

        CREATE TABLE detections (
            id INTEGER PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            key_json TEXT NOT NULL,
            count INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            source TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX detections_by_incident ON detections (incident_id);

        CREATE TABLE evidence (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            time TEXT NOT NULL,
            source TEXT NOT NULL,
            line_no INTEGER NOT NULL,
            raw TEXT NOT NULL,
            rule_id TEXT NOT NULL,
            UNIQUE (incident_id, position)
        );

        CREATE TABLE timeline (
            id INTEGER PRIMARY KEY,
            incident_id INTEGER NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            old_status TEXT,
            new_status TEXT
        );
        CREATE INDEX timeline_by_incident ON timeline (incident_id, id);

        CREATE TABLE checkpoints (
            source TEXT PRIMARY KEY,
            device INTEGER NOT NULL,
            inode INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            fingerprint TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


def _notify_outbox(db: Database) -> None:
    """The alert outbox (secmon.notify.outbox): an alert is written here in the
    transaction of the incident change that causes it, and marked sent only
    after Apprise confirms. `delivered` lists the targets that already took it,
    so a retry never repeats them. `outbox_schedule` remembers each route's
    last daily digest / retry sweep."""
    _execute_all(
        db,
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            route TEXT NOT NULL,
            kind TEXT NOT NULL,              -- opened, escalated, reopened, resolved, storm, digest
            incident_id INTEGER REFERENCES incidents (id) ON DELETE CASCADE,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'held', 'digest',
                                  'summarized')),
            parent_id INTEGER REFERENCES outbox (id) ON DELETE SET NULL,
            payload TEXT NOT NULL,           -- JSON snapshot the message is rendered from
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            due_at TEXT NOT NULL,            -- not sent before this time
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            last_attempt_at TEXT,
            claimed_by TEXT,
            claimed_until TEXT,
            delivered TEXT NOT NULL DEFAULT '[]',
            sent_at TEXT
        );
        CREATE INDEX outbox_by_status ON outbox (status, due_at);
        CREATE INDEX outbox_by_incident ON outbox (route, incident_id, id);
        CREATE INDEX outbox_by_route ON outbox (route, created_at);
        CREATE INDEX outbox_by_parent ON outbox (parent_id);
        CREATE INDEX outbox_by_kind ON outbox (route, kind, status);

        CREATE TABLE outbox_schedule (
            route TEXT PRIMARY KEY,
            last_daily TEXT NOT NULL
        );
        """,
    )


def _checklists(db: Database) -> None:
    """Per-incident checklist state (secmon.incidents.checklists): the playbook
    chosen when the incident opened, its steps with deadlines, and who ticked
    each step off when. Incidents stored before this get theirs on first use."""
    _execute_all(
        db,
        """
        CREATE TABLE checklists (
            incident_id INTEGER PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
            playbook TEXT NOT NULL,
            created_at TEXT NOT NULL
        );

        CREATE TABLE checklist_steps (
            incident_id INTEGER NOT NULL REFERENCES checklists (incident_id) ON DELETE CASCADE,
            position INTEGER NOT NULL,       -- 1-based, the playbook's order
            step_id TEXT NOT NULL,
            phase TEXT NOT NULL,
            deadline TEXT,                   -- 'immediately', 'detected + 5d', ... or NULL
            done INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
            done_by TEXT,
            done_at TEXT,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (incident_id, step_id),
            UNIQUE (incident_id, position)
        )
        """,
    )


def _fim_baseline(db: Database) -> None:
    """The web-root watch (secmon.incidents.baseline): per root, the state of
    every file (size, times, sha256) in two layers: 'approved' (taken by
    `secmon fim baseline` after a planned change; `secmon fim status` compares
    with it) and 'seen' (what the watcher last saw and reported, so a restart
    reports only what changed while it was down). `key` is the path below the
    root, NUL between components, as a BLOB: the sort order of a tree walk.
    A new baseline is written under a 'staging:...' layer and swapped in."""
    _execute_all(
        db,
        """
        CREATE TABLE fim_baseline (
            layer TEXT NOT NULL CHECK (layer IN ('approved', 'seen') OR layer LIKE 'staging:%'),
            root TEXT NOT NULL,
            key BLOB NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('file', 'link')),
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            ctime_ns INTEGER NOT NULL,
            sha256 TEXT,
            PRIMARY KEY (layer, root, key)
        ) WITHOUT ROWID;

        CREATE TABLE fim_roots (
            layer TEXT NOT NULL CHECK (layer IN ('approved', 'seen')),
            root TEXT NOT NULL,
            taken_at TEXT NOT NULL,
            taken_by TEXT NOT NULL DEFAULT '',
            files INTEGER NOT NULL,
            PRIMARY KEY (layer, root)
        )
        """,
    )


# Append only; never edit or reorder a migration once released.
MIGRATIONS: tuple[Migration, ...] = (
    Migration("initial schema", _v1_initial),
    Migration("notify outbox", _notify_outbox),
    Migration("incident checklists", _checklists),
    Migration("web-root baseline", _fim_baseline),
)


@contextmanager
def write_transaction(db: Database, path: str) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT: take the write lock first (waiting up to
    the busy timeout), so reads inside see the latest data and the commit
    cannot fail on a lock upgrade."""
    try:
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise busy_error(path, exc) from exc
    try:
        yield
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    try:
        db.conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise busy_error(path, exc) from exc


def busy_error(path: str, exc: Exception) -> StoreError:
    return StoreError(
        f"không ghi được vào {path}: {exc} (một tiến trình secmon khác đang giữ khóa?); "
        "hãy thử lại",
        f"cannot write to {path}: {exc} (another secmon process holding the lock?); try again",
    )


def current_version(db: Database) -> int:
    if not db[VERSION_TABLE].exists():
        return 0
    row = db.execute(f"SELECT MAX(version) FROM {VERSION_TABLE}").fetchone()
    return int(row[0] or 0)


def migrate(
    db: Database, clock: Clock, path: str, migrations: Sequence[Migration] = MIGRATIONS
) -> int:
    """Bring the database to the newest version; return that version."""
    known = len(migrations)
    _refuse_newer(current_version(db), known, path)
    _refuse_foreign(db, path)
    while True:
        with write_transaction(db, path):
            version = current_version(db)  # again, now under the write lock
            _refuse_newer(version, known, path)
            if version == known:
                return version
            if version == 0:
                db.execute(
                    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
                    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
            migration = migrations[version]
            migration.apply(db)
            db.execute(
                f"INSERT INTO {VERSION_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                [version + 1, migration.name, utc_text(clock.now())],
            )


def _refuse_newer(version: int, known: int, path: str) -> None:
    if version > known:
        raise SchemaVersionError(
            f"{path} có lược đồ phiên bản {version}, mới hơn bản secmon này "
            f"(biết tới phiên bản {known}); hãy nâng cấp secmon",
            f"{path} has schema version {version}, newer than this secmon knows "
            f"(up to {known}); upgrade secmon",
        )


def _refuse_foreign(db: Database, path: str) -> None:
    """An SQLite file of some other program is never written into."""
    if db[VERSION_TABLE].exists():
        return
    tables = [name for name in db.table_names() if not name.startswith("sqlite_")]
    if tables:
        shown = ", ".join(sorted(tables)[:5])
        raise StoreError(
            f"{path} là cơ sở dữ liệu SQLite nhưng không phải của secmon (có bảng {shown}); "
            "hãy chọn đường dẫn khác",
            f"{path} is an SQLite database but not secmon's (it has tables {shown}); "
            "choose another path",
        )


# ------------------------------------------------------------------ connecting
def connect(path: Path, busy_timeout: float) -> Database:
    """Open the file (private to its owner when new) in WAL mode with FKs on."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass  # another process created it just now
    except OSError as exc:
        raise StoreError(
            f"không tạo được {path}: {exc.strerror}; hãy kiểm tra quyền thư mục hoặc dùng --db",
            f"cannot create {path}: {exc.strerror}; check the folder's permissions or use --db",
        ) from exc
    conn: sqlite3.Connection | None = None
    try:
        conn = sqlite3.connect(str(path), timeout=busy_timeout, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        db = Database(conn, execute_plugins=False)
        db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")
        return db
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        if "not a database" in str(exc):
            raise StoreError(
                f"{path} không phải cơ sở dữ liệu SQLite; hãy chọn đường dẫn khác",
                f"{path} is not an SQLite database; choose another path",
            ) from exc
        raise StoreError(f"không mở được {path}: {exc}", f"cannot open {path}: {exc}") from exc


# ----------------------------------------------------------------- row mapping
def incident_row(incident: Incident) -> dict[str, Any]:
    """The incidents-table row of an incident (without id: SQLite assigns it)."""
    return {
        "category": incident.category,
        "severity": incident.severity,
        "status": incident.status,
        "key_json": canonical_key(incident.key),
        "title_vi": incident.title.get("vi", ""),
        "title_en": incident.title.get("en", ""),
        "rule_ids": json.dumps(sorted(incident.rule_ids), ensure_ascii=False),
        "first_seen": utc_text(incident.first_seen),
        "last_seen": utc_text(incident.last_seen),
        "count": incident.count,
        "detections": incident.detections,
        "notified_count": incident.notified_count,
        "evidence_total": incident.evidence_total,
        "playbook": incident.playbook,
        "assignee": incident.assignee,
        "hosts": json.dumps(sorted(incident.hosts), ensure_ascii=False),
        "sources": json.dumps(sorted(incident.sources), ensure_ascii=False),
        "created_at": utc_text(incident.created_at),
        "updated_at": utc_text(incident.updated_at),
        "acknowledged_at": _opt_time(incident.acknowledged_at),
        "contained_at": _opt_time(incident.contained_at),
        "resolved_at": _opt_time(incident.resolved_at),
    }


def row_incident(row: Mapping[str, Any]) -> Incident:
    return Incident(
        id=row["id"],
        category=row["category"],
        severity=row["severity"],
        status=row["status"],
        key=json.loads(row["key_json"]),
        title={"vi": row["title_vi"], "en": row["title_en"]},
        rule_ids=tuple(json.loads(row["rule_ids"])),
        first_seen=parse_utc(row["first_seen"]),
        last_seen=parse_utc(row["last_seen"]),
        count=row["count"],
        detections=row["detections"],
        created_at=parse_utc(row["created_at"]),
        updated_at=parse_utc(row["updated_at"]),
        playbook=row["playbook"],
        assignee=row["assignee"],
        hosts=tuple(json.loads(row["hosts"])),
        sources=tuple(json.loads(row["sources"])),
        acknowledged_at=_parse_opt(row["acknowledged_at"]),
        contained_at=_parse_opt(row["contained_at"]),
        resolved_at=_parse_opt(row["resolved_at"]),
        notified_count=row["notified_count"],
        evidence_total=row["evidence_total"],
    )


def row_timeline(row: Mapping[str, Any]) -> TimelineEntry:
    return TimelineEntry(
        incident_id=row["incident_id"],
        at=parse_utc(row["at"]),
        kind=row["kind"],
        actor=row["actor"],
        text=row["text"],
        old_status=row["old_status"],
        new_status=row["new_status"],
    )


def row_evidence(row: Mapping[str, Any]) -> EvidenceLine:
    return EvidenceLine(
        incident_id=row["incident_id"],
        time=parse_utc(row["time"]),
        source=row["source"],
        line_no=row["line_no"],
        raw=row["raw"],
        rule_id=row["rule_id"],
        position=row["position"],
    )


def row_checkpoint(row: Mapping[str, Any]) -> Checkpoint:
    return Checkpoint(
        source=row["source"],
        device=row["device"],
        inode=row["inode"],
        offset=row["offset"],
        fingerprint=row["fingerprint"],
    )


def _opt_time(moment: datetime | None) -> str | None:
    return None if moment is None else utc_text(moment)


def _parse_opt(text: str | None) -> datetime | None:
    return None if text is None else parse_utc(text)
