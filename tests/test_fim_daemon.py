"""The web-root watch inside `secmon run` (secmon.daemon.webroots).

The first tests drive the input directly with a real store, real folders and
real inotify; the last ones (marked slow) drive a real `secmon run` process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from daemon_testkit import DaemonProcess, query, status, until

from secmon.clock import ManualClock
from secmon.config.webroots import WebRootSettings
from secmon.daemon.inputs import BUILTIN_INPUTS, InputBatch, InputContext
from secmon.daemon.webroots import PendingBaseline, WebRootInput, webroot_input
from secmon.errors import Location
from secmon.incidents.baseline import SEEN, BaselineStore
from secmon.incidents.store import IncidentStore
from secmon.sources.webroot import WebRootWatcher

DATA = Path(__file__).parent / "data" / "fim"
T0 = datetime(2026, 3, 14, 3, 0, 0, tzinfo=UTC)
SHELL = (DATA / "webshells" / "simple-backdoor.php").read_text()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def portal(tmp_path: Path) -> Path:
    root = tmp_path / "html"
    write(root / "index.php", (DATA / "benign" / "wordpress-index.php").read_text())
    write(root / "wp-content" / "uploads" / "2026" / "anh.jpg", "JFIF")
    return root


def settings(root: Path) -> WebRootSettings:
    return WebRootSettings(root, Location("secmon.yaml", 3, 3))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock) -> Iterator[IncidentStore]:
    with IncidentStore.open(tmp_path / "secmon.db", clock) as opened:
        yield opened


def changes_of(batch: InputBatch) -> list[tuple[str, str]]:
    out = []
    for record in batch.records:
        assert record.event is not None
        out.append((record.event.fields["change"], record.event.fields["rel_path"]))
    return out


def commit(batch: InputBatch) -> None:
    for callback in batch.after_commit:
        callback()


def hinted(item: WebRootInput, clock: ManualClock, want: int = 1) -> InputBatch:
    """Wait (really) for inotify hints, then let the settle time pass (manually)."""
    assert until(lambda: item.due(False, clock.monotonic()), deadline=0.2) is None  # settling
    tree = item._tree
    assert tree is not None
    assert until(tree.has_hints, deadline=5.0)
    time.sleep(0.1)  # let the rest of the events of the write arrive
    item.due(False, clock.monotonic())
    clock.advance(1.0)
    assert item.due(False, clock.monotonic()) is True
    return item.poll()


def test_the_factory_is_registered_and_needs_web_roots(store: IncidentStore) -> None:
    from secmon.config.model import Settings

    assert any(factory.__name__ == "webroot_input" for factory in BUILTIN_INPUTS)
    ctx = InputContext(Settings(), UTC, ManualClock(T0), {}, {}, store)
    assert webroot_input(ctx) is None


def test_start_takes_a_baseline_then_reports_live_changes_once(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    item = WebRootInput([settings(root)], store=store, clock=clock, host="portal")
    item.start()
    try:
        assert item.due(False, clock.monotonic()) is True
        first = item.poll()  # the start scan: nothing changed since the baseline
        assert (first.records, first.more) == ([], False)
        assert item.due(False, clock.monotonic()) is False
        shell = write(root / "wp-content" / "uploads" / "2026" / "anh.jpg.php", SHELL)
        batch = hinted(item, clock)
        assert changes_of(batch) == [("created", "wp-content/uploads/2026/anh.jpg.php")]
        (record,) = batch.records
        assert record.source == str(root)
        assert record.event is not None
        assert (record.event.host, record.event.fields["markers"]) == ("portal", "exec-input")
        # a second look before the commit does not report it again
        assert item.poll().records == []
        assert [e.key for e in BaselineStore(store, clock).view(SEEN).entries(str(root))] == [
            b"index.php",
            b"wp-content\x00uploads\x002026\x00anh.jpg",
        ]
        commit(batch)
        assert b"wp-content\x00uploads\x002026\x00anh.jpg.php" in [
            e.key for e in BaselineStore(store, clock).view(SEEN).entries(str(root))
        ]
        shell.unlink()
        assert changes_of(hinted(item, clock)) == [
            ("deleted", "wp-content/uploads/2026/anh.jpg.php")
        ]
        assert item.info()["changes"] == 2
    finally:
        item.stop()


def test_changes_while_stopped_are_found_at_start(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    BaselineStore(store, clock).take(
        str(root), WebRootWatcher([root], clock=clock).snapshot(str(root))
    )
    write(root / "index.php", (DATA / "deface" / "index.html").read_text())
    write(root / "wp-content" / "uploads" / "x.php", SHELL)
    item = WebRootInput([settings(root)], store=store, clock=clock)
    item.start()
    try:
        batch = item.poll()
        assert changes_of(batch) == [
            ("modified", "index.php"),
            ("created", "wp-content/uploads/x.php"),
        ]
        commit(batch)
    finally:
        item.stop()
    again = WebRootInput([settings(root)], store=store, clock=clock)
    again.start()
    try:
        assert again.poll().records == []
    finally:
        again.stop()


def test_a_full_scan_comes_in_batches(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    BaselineStore(store, clock).take(
        str(root), WebRootWatcher([root], clock=clock).snapshot(str(root))
    )
    for number in range(7):
        write(root / "tin-tuc" / f"bai-{number}.html", "<p>x</p>")
    item = WebRootInput([settings(root)], store=store, clock=clock, max_batch=3, full_scan_every=60)
    item.start()
    try:
        sizes = []
        while True:
            batch = item.poll()
            sizes.append(len(batch.records))
            commit(batch)
            if not batch.more:
                break
        assert sizes == [3, 3, 1]
        assert item.due(False, clock.monotonic()) is False
        clock.advance(61)  # the next periodic full scan
        write(root / "tin-tuc" / "bai-9.html", "<p>x</p>")
        assert item.due(False, clock.monotonic()) is True
        assert changes_of(item.poll()) == [("created", "tin-tuc/bai-9.html")]
    finally:
        item.stop()


def test_pending_changes_lay_over_the_stored_baseline(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = tmp_path / "www"
    for name in ("a.php", "c.php", "e.php"):
        write(root / name, name)
    watcher = WebRootWatcher([root], clock=clock)
    baselines = BaselineStore(store, clock)
    baselines.take(str(root), watcher.snapshot(str(root)))
    pending = PendingBaseline(baselines.view(SEEN))
    write(root / "b.php", "b")
    write(root / "c.php", "changed")
    (root / "e.php").unlink()
    write(root / "f.php", "f")
    changes = watcher.scan(pending)
    pending.hold(changes)
    assert [e.key for e in pending.entries(str(root))] == [b"a.php", b"b.php", b"c.php", b"f.php"]
    assert watcher.scan(pending) == []
    assert [e.key for e in pending.entries(str(root), under=b"c.php")] == [b"c.php"]
    baselines.apply(changes)
    pending.release(changes)
    assert len(pending) == 0
    assert watcher.scan(pending) == []


# ---------------------------------------------------------------- a real `secmon run`


def run_config(tmp_path: Path, root: Path, db: Path) -> Path:
    return write(
        tmp_path / "secmon.yaml",
        f'version: 1\ndatabase: "{db}"\ntimezone: Asia/Ho_Chi_Minh\nlanguage: en\n'
        f'web_roots:\n- "{root}"\n',
    )


def full_scans(db: Path) -> int:
    entry = status(db) or {}
    return int(entry.get("inputs", {}).get("webroots", {}).get("full_scans", 0))


def webshell_incidents(db: Path) -> dict[str, list[str]]:
    rows = query(db, "SELECT key_json, rule_ids FROM incidents WHERE category = 'webshell'")
    return {json.loads(key)["path"]: json.loads(rules) for key, rules in rows}


@pytest.mark.slow
def test_secmon_run_turns_a_dropped_webshell_into_an_incident(tmp_path: Path) -> None:
    root = portal(tmp_path)
    db = tmp_path / "secmon.db"
    config = run_config(tmp_path, root, db)
    with DaemonProcess(config, tmp_path / "run.log") as daemon:
        daemon.wait_running(db)
        assert until(lambda: query(db, "SELECT COUNT(*) FROM fim_roots")[0][0] == 2)
        # the start scan is done (the idle status shows it): what follows comes from inotify
        assert until(lambda: full_scans(db) >= 1), daemon.output()
        shell = write(root / "wp-content" / "uploads" / "2026" / "anh.jpg.php", SHELL)
        dropped = time.monotonic()
        found = until(lambda: webshell_incidents(db).get(str(shell)))
        latency = time.monotonic() - dropped
        assert found, daemon.output()
        assert sorted(found) == [
            "fim.double-extension",
            "fim.script-in-upload",
            "fim.webshell-markers",
        ]
        assert latency < 5.0, latency
        assert daemon.stop() == 0
    # stopped: a shell planted and the home page defaced meanwhile
    other = write(
        root / "wp-includes" / "css" / "about.php", (DATA / "webshells" / "wso.php").read_text()
    )
    write(root / "index.php", (DATA / "deface" / "index.html").read_text())
    with DaemonProcess(config, tmp_path / "run2.log") as daemon:
        daemon.wait_running(db)
        assert until(lambda: str(other) in webshell_incidents(db)), daemon.output()
        assert until(
            lambda: (
                query(db, "SELECT COUNT(*) FROM incidents WHERE category = 'defacement'")[0][0] == 1
            )
        )
        assert daemon.stop() == 0
    assert sorted(webshell_incidents(db)) == sorted([str(shell), str(other)])
