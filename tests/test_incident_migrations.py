"""Schema versions and migrations of the incident database."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from incident_testkit import T0, detection

from secmon.clock import ManualClock
from secmon.incidents.migrations import (
    MIGRATIONS,
    Migration,
    connect,
    current_version,
    migrate,
)
from secmon.incidents.model import SchemaVersionError, StoreError
from secmon.incidents.store import IncidentStore

TABLES = [
    "checklist_steps",
    "checklists",
    "checkpoints",
    "detections",
    "evidence",
    "fim_baseline",
    "fim_roots",
    "incidents",
    "outbox",
    "outbox_schedule",
    "schema_version",
    "state",
    "timeline",
]


def table_names(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        found = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        return [row[0] for row in found]


def version_rows(path: Path) -> list[tuple[int, str, str]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT version, name, applied_at FROM schema_version"))


KNOWN = len(MIGRATIONS)  # the newest version this secmon knows


def all_versions(at: str = "2026-03-14T06:00:00.000000+00:00") -> list[tuple[int, str, str]]:
    return [(n, m.name, at) for n, m in enumerate(MIGRATIONS, start=1)]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def test_an_empty_file_gets_the_whole_schema(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "secmon.db"
    path.write_bytes(b"")
    with IncidentStore.open(path, clock) as store:
        store.record([detection()])
    assert table_names(path) == TABLES
    assert version_rows(path) == all_versions()
    assert [m.name for m in MIGRATIONS] == [
        "initial schema", "notify outbox", "incident checklists", "web-root baseline"]


def test_reopening_a_current_file_changes_nothing(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "secmon.db"
    IncidentStore.open(path, clock).close()
    clock.advance(3600)
    with IncidentStore.open(path, clock) as store:
        assert store.list_incidents() == []
    assert version_rows(path) == all_versions()


def test_a_newer_schema_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "secmon.db"
    IncidentStore.open(path, clock).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"INSERT INTO schema_version VALUES ({KNOWN + 1}, 'from the future', 'x')")
    with pytest.raises(SchemaVersionError) as info:
        IncidentStore.open(path, clock)
    assert str(info.value) == (
        f"{path} has schema version {KNOWN + 1}, newer than this secmon knows (up to {KNOWN}); "
        "upgrade secmon"
    )
    assert info.value.text["vi"] == (
        f"{path} có lược đồ phiên bản {KNOWN + 1}, mới hơn bản secmon này (biết tới phiên bản "
        f"{KNOWN}); hãy nâng cấp secmon"
    )
    assert isinstance(info.value, StoreError)


def _v2_add_note_column(db: object) -> None:
    db.execute("ALTER TABLE incidents ADD COLUMN summary TEXT")  # type: ignore[attr-defined]


def _v3_broken(db: object) -> None:
    db.execute("CREATE TABLE half_done (x INTEGER)")  # type: ignore[attr-defined]
    raise RuntimeError("migration bug")


def test_an_older_file_is_upgraded_in_order_keeping_data(
    tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "secmon.db"
    with IncidentStore.open(path, clock) as store:  # written by "version 1" of secmon
        store.record([detection(count=7)])
    newer = (*MIGRATIONS, Migration("add summary", _v2_add_note_column))
    clock.advance(60)
    db = connect(path, 1.0)
    try:
        assert migrate(db, clock, str(path), newer) == KNOWN + 1
        assert current_version(db) == KNOWN + 1
        row = db.execute("SELECT count, summary FROM incidents").fetchone()
    finally:
        db.close()
    assert row == (7, None)
    assert [r[:2] for r in version_rows(path)] == [
        *(r[:2] for r in all_versions()), (KNOWN + 1, "add summary")
    ]
    # and the released code now refuses the upgraded file
    with pytest.raises(SchemaVersionError, match=f"schema version {KNOWN + 1}, newer"):
        IncidentStore.open(path, clock)


def test_a_failing_migration_is_rolled_back_whole(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "secmon.db"
    IncidentStore.open(path, clock).close()
    broken = (
        *MIGRATIONS,
        Migration("add summary", _v2_add_note_column),
        Migration("broken", _v3_broken),
    )
    db = connect(path, 1.0)
    try:
        with pytest.raises(RuntimeError, match="migration bug"):
            migrate(db, clock, str(path), broken)
        assert current_version(db) == KNOWN + 1  # "add summary" committed, "broken" not at all
    finally:
        db.close()
    assert "half_done" not in table_names(path)


def test_two_processes_opening_a_new_file_at_once(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "secmon.db"
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def opener() -> None:
        try:
            start.wait()
            IncidentStore.open(path, clock).close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [r[0] for r in version_rows(path)] == list(range(1, KNOWN + 1))
