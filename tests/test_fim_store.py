"""Web-root baselines in the incident database (secmon.incidents.baseline), real SQLite."""

from __future__ import annotations

import os
import sqlite3
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secmon.clock import ManualClock
from secmon.incidents.baseline import APPROVED, SEEN, BaselineStore, RootBaseline
from secmon.incidents.migrations import MIGRATIONS
from secmon.incidents.store import IncidentStore
from secmon.sources.webroot import WebRootWatcher
from secmon.sources.webroot_scan import FileState

T0 = datetime(2026, 3, 14, 3, 0, 0, tzinfo=UTC)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[IncidentStore]:
    with IncidentStore.open(tmp_path / "secmon.db", clock) as opened:
        yield opened


def rows(store: IncidentStore, layer: str) -> list[tuple[str, bytes]]:
    return [
        (r[0], bytes(r[1]))
        for r in store.connection.execute(
            "SELECT root, key FROM fim_baseline WHERE layer = ? ORDER BY root, key", [layer]
        )
    ]


def test_the_migration_is_appended(store: IncidentStore) -> None:
    assert MIGRATIONS[-1].name == "web-root baseline"
    names = {r[0] for r in store.connection.execute("SELECT name FROM sqlite_master")}
    assert {"fim_baseline", "fim_roots"} <= names


def test_take_stores_both_layers_in_walk_order(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = tmp_path / "www"
    for rel in ["a/x.php", "a-b.php", "a.b", "a b/c.php", "b/\u00e9.html", "A.php"]:
        write(root / rel, rel)
    watcher = WebRootWatcher([root], clock=clock)
    baselines = BaselineStore(store, clock, page=2)  # tiny pages: pagination is exercised
    assert baselines.take(str(root), watcher.snapshot(str(root)), by="canbo") == 6
    expected = [
        b"A.php",
        b"a\x00x.php",
        b"a b\x00c.php",
        b"a-b.php",
        b"a.b",
        b"b\x00\xc3\xa9.html",
    ]
    for layer in (APPROVED, SEEN):
        view = baselines.view(layer)
        assert view.knows(str(root)) is True
        assert [e.key for e in view.entries(str(root))] == expected
        assert view.count(str(root)) == 6
    assert baselines.roots(APPROVED) == [RootBaseline(str(root), APPROVED, T0, "canbo", 6)]
    assert baselines.view(SEEN).knows(str(tmp_path)) is False
    (first,) = [e for e in baselines.view(SEEN).entries(str(root)) if e.key == b"a.b"]
    stat = (root / "a.b").stat()
    assert (first.kind, first.size, first.mtime_ns, first.ctime_ns) == (
        "file",
        3,
        stat.st_mtime_ns,
        stat.st_ctime_ns,
    )
    # a folder and what is below it, not its look-alike neighbours
    assert [e.key for e in baselines.view(SEEN).entries(str(root), under=b"a")] == [b"a\x00x.php"]
    assert [e.key for e in baselines.view(SEEN).entries(str(root), under=b"a.b")] == [b"a.b"]
    assert list(baselines.view(SEEN).entries(str(root), under=b"zz")) == []
    with pytest.raises(ValueError, match="unknown baseline layer 'staging'"):
        baselines.view("staging")


def test_apply_changes_only_the_seen_layer(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = tmp_path / "www"
    write(root / "index.php", "<?php")
    write(root / "old.html", "old")
    write(root / "touch.html", "t")
    watcher = WebRootWatcher([root], clock=clock)
    baselines = BaselineStore(store, clock)
    baselines.take(str(root), watcher.snapshot(str(root)))
    write(root / "index.php", "<title>Hacked by X</title>")
    (root / "old.html").unlink()
    write(root / "uploads" / "x.php", "<?php")
    os.utime(root / "touch.html", ns=(10**18, 10**18))
    changes = watcher.scan(baselines.view(SEEN))
    assert [(c.change, c.rel_path) for c in changes] == [
        ("modified", "index.php"),
        ("deleted", "old.html"),
        ("touched", "touch.html"),
        ("created", "uploads/x.php"),
    ]
    assert baselines.apply(changes) == 4
    assert watcher.scan(baselines.view(SEEN)) == []
    # the approved baseline still shows what `secmon fim status` must list
    assert [(c.change, c.rel_path) for c in watcher.scan(baselines.view(APPROVED))] == [
        ("modified", "index.php"),
        ("deleted", "old.html"),
        ("touched", "touch.html"),
        ("created", "uploads/x.php"),
    ]
    assert rows(store, SEEN) == [
        (str(root), b"index.php"),
        (str(root), b"touch.html"),
        (str(root), b"uploads\x00x.php"),
    ]
    assert baselines.apply([]) == 0


def test_changes_while_stopped_are_found_after_a_restart(
    tmp_path: Path, clock: ManualClock
) -> None:
    root = tmp_path / "www"
    write(root / "index.php", "<?php require 'wp-blog-header.php';")
    db = tmp_path / "secmon.db"
    with IncidentStore.open(db, clock) as store:
        watcher = WebRootWatcher([root], clock=clock)
        BaselineStore(store, clock).take(str(root), watcher.snapshot(str(root)))
    # secmon is down
    write(root / "uploads" / "anh.jpg.php", "<?php @eval(base64_decode($_POST['x']));")
    clock.advance(timedelta(hours=5))
    with IncidentStore.open(db, clock) as store:
        baselines = BaselineStore(store, clock)
        watcher = WebRootWatcher([root], clock=clock)
        (change,) = watcher.scan(baselines.view(SEEN))
        assert (change.change, change.rel_path, change.inspection.markers) == (
            "created",
            "uploads/anh.jpg.php",
            ("eval-decode", "eval-input"),
        )
        baselines.apply([change])
    with IncidentStore.open(db, clock) as store:  # reported once: not again after a restart
        assert (
            WebRootWatcher([root], clock=clock).scan(BaselineStore(store, clock).view(SEEN)) == []
        )


def test_retaking_replaces_the_baseline(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root, other = tmp_path / "www", tmp_path / "egov"
    write(root / "a.php", "a")
    write(root / "b.php", "b")
    write(other / "c.php", "c")
    watcher = WebRootWatcher([root, other], clock=clock)
    baselines = BaselineStore(store, clock)
    baselines.take(str(root), watcher.snapshot(str(root)))
    baselines.take(str(other), watcher.snapshot(str(other)))
    (root / "a.php").unlink()
    clock.advance(3600)
    assert baselines.take(str(root), watcher.snapshot(str(root)), by="deploy") == 1
    assert rows(store, APPROVED) == [(str(other), b"c.php"), (str(root), b"b.php")]
    assert rows(store, SEEN) == rows(store, APPROVED)
    assert [(r.root, r.taken_at, r.taken_by, r.files) for r in baselines.roots(SEEN)] == [
        (str(other), T0, "", 1),
        (str(root), T0 + timedelta(hours=1), "deploy", 1),
    ]


def test_a_failed_take_keeps_the_old_baseline_and_leaves_no_staging(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = tmp_path / "www"
    write(root / "a.php", "a")
    watcher = WebRootWatcher([root], clock=clock)
    baselines = BaselineStore(store, clock, page=1)
    baselines.take(str(root), watcher.snapshot(str(root)))

    def broken() -> Iterator[FileState]:
        yield FileState(b"x.php", "file", 1, 1, 1, "0" * 64)
        yield FileState(b"y.php", "file", 1, 1, 1, "0" * 64)
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        baselines.take(str(root), broken())
    assert rows(store, APPROVED) == [(str(root), b"a.php")]
    left = store.connection.execute(
        "SELECT COUNT(*) FROM fim_baseline WHERE layer LIKE 'staging:%'"
    )
    assert left.fetchone()[0] == 0
    # rows left by a process killed while staging are dropped by the next take
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO fim_baseline VALUES ('staging:dead', ?, x'7a', 'file', 1, 1, 1, NULL)",
            [str(root)],
        )
    baselines.take(str(root), watcher.snapshot(str(root)))
    left = store.connection.execute(
        "SELECT COUNT(*) FROM fim_baseline WHERE layer LIKE 'staging:%'"
    )
    assert left.fetchone()[0] == 0


def test_forget_a_root(tmp_path: Path, store: IncidentStore, clock: ManualClock) -> None:
    root = tmp_path / "www"
    write(root / "a.php", "a")
    baselines = BaselineStore(store, clock)
    baselines.take(str(root), WebRootWatcher([root], clock=clock).snapshot(str(root)))
    assert baselines.forget(str(root)) == 2  # one file, two layers
    assert baselines.roots(APPROVED) == [] and rows(store, SEEN) == []


def test_layer_and_kind_are_checked_by_the_schema(store: IncidentStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO fim_baseline VALUES ('other', '/r', x'61', 'file', 1, 1, 1, NULL)"
            )
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO fim_baseline VALUES ('seen', '/r', x'61', 'fifo', 1, 1, 1, NULL)"
            )


def test_scanning_a_big_tree_keeps_memory_flat(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = tmp_path / "www"
    for folder in range(30):
        base = root / f"d{folder:02d}"
        base.mkdir(parents=True)
        for number in range(20):
            (base / f"f{number:03d}.php").write_bytes(b"<?php")
    watcher = WebRootWatcher([root], clock=clock)
    baselines = BaselineStore(store, clock, page=50)
    assert baselines.take(str(root), watcher.snapshot(str(root))) == 600
    write(root / "d29" / "zz.php", "<?php")
    view = baselines.view(SEEN)
    tracemalloc.start()
    try:
        whole = list(view.entries(str(root)))  # what holding the baseline would cost
        _current, held = tracemalloc.get_traced_memory()
        del whole
        tracemalloc.reset_peak()
        base_now, _ = tracemalloc.get_traced_memory()
        changes = sum(1 for _change in watcher.iter_scan(view))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert changes == 1
    assert (peak - base_now) * 3 < held, (peak - base_now, held)
