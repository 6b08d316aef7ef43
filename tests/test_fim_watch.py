"""TreeWatcher: recursive watchdog hints for the web roots (secmon.sources.watch)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secmon.clock import ManualClock
from secmon.sources.watch import TreeWatcher
from secmon.sources.webroot import MemoryBaseline, WebRootWatcher

WAIT = 5.0  # upper bound; hints usually come within milliseconds


def gather(
    watcher: TreeWatcher, want: set[str], timeout: float = WAIT, any_of: bool = False
) -> set[str]:
    """Paths hinted until all (or any) of `want` came, or the timeout."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (want & seen) if any_of else (want <= seen):
            break
        watcher.wait(0.1)
        hints, _overflow = watcher.take()
        seen.update(path for _kind, path in hints)
    return seen


def settle(watcher: TreeWatcher) -> None:
    for _ in range(50):
        if not watcher.wait(0.05):
            return
        watcher.take()


def test_changes_deep_in_the_tree_are_hinted(tmp_path: Path) -> None:
    root = tmp_path / "www"
    (root / "wp-content" / "uploads").mkdir(parents=True)
    with TreeWatcher([root]) as watcher:
        assert watcher.watching == [root]
        settle(watcher)
        (root / "wp-content" / "uploads" / "a.php").write_text("<?php")
        assert str(root / "wp-content" / "uploads" / "a.php") in gather(
            watcher, {str(root / "wp-content" / "uploads" / "a.php")}
        )
        # A folder made with a file at once: the folder's own hint covers the file
        # (re-checking a folder compares everything below it), whether or not the
        # watch on the new folder was in place in time to see the file.
        shell = root / "wp-content" / "uploads" / "2026" / "anh.php"
        shell.parent.mkdir()
        shell.write_text("<?php")
        seen = gather(watcher, {str(shell), str(shell.parent)}, any_of=True)
        assert seen & {str(shell), str(shell.parent)}


def test_moves_hint_both_paths_and_reading_hints_nothing(tmp_path: Path) -> None:
    root = tmp_path / "www"
    (root / "themes" / "xa").mkdir(parents=True)
    (root / "themes" / "xa" / "index.php").write_text("<?php")
    with TreeWatcher([root]) as watcher:
        settle(watcher)
        assert (root / "themes" / "xa" / "index.php").read_text() == "<?php"
        assert watcher.wait(0.2) is False
        (root / "themes" / "xa").rename(root / "themes" / "xb")
        want = {str(root / "themes" / "xa"), str(root / "themes" / "xb")}
        assert want <= gather(watcher, want)


def test_too_many_hints_say_overflow(tmp_path: Path) -> None:
    root = tmp_path / "www"
    root.mkdir()
    with TreeWatcher([root], max_pending=5) as watcher:
        settle(watcher)
        for number in range(20):
            (root / f"f{number}.html").write_text("x")
        deadline = time.monotonic() + WAIT
        hints: list[tuple[str, str]] = []
        overflow = False
        while not overflow and time.monotonic() < deadline:
            watcher.wait(0.1)
            time.sleep(0.05)
            got, overflow = watcher.take()
            hints.extend(got)
        assert overflow is True
        assert len({path for _kind, path in hints}) <= 20
        settle(watcher)
        assert watcher.take() == ([], False)


def test_a_missing_root_is_logged_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="secmon.sources.watch"):
        with TreeWatcher([tmp_path / "nope"]) as watcher:
            assert watcher.watching == []
            assert watcher.wait(0.05) is False
    assert "cannot watch web root" in caplog.text


def test_hints_drive_the_web_root_watcher(tmp_path: Path) -> None:
    root = tmp_path / "www"
    (root / "uploads").mkdir(parents=True)
    (root / "index.php").write_text("<?php")
    fim = WebRootWatcher([root], clock=ManualClock(datetime(2026, 3, 14, tzinfo=UTC)))
    baseline = MemoryBaseline()
    baseline.take(str(root), fim.snapshot(str(root)))
    with TreeWatcher(fim.roots) as watcher:
        settle(watcher)
        shell = root / "uploads" / "anh.jpg.php"
        shell.write_text("<?php @eval(base64_decode($_POST['x']));")
        hinted = gather(watcher, {str(shell)})
        changes = fim.changes(sorted(hinted), baseline)
    assert [(c.change, c.rel_path, c.inspection.markers) for c in changes] == [
        ("created", "uploads/anh.jpg.php", ("eval-decode", "eval-input"))
    ]


def test_symlinked_folders_are_not_watched_through(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    root = tmp_path / "www"
    root.mkdir()
    (root / "out").symlink_to(outside)
    with TreeWatcher([root]) as watcher:
        settle(watcher)
        (outside / "x.php").write_text("<?php")
        (root / "marker.html").write_text("x")  # something that is hinted, to know when to stop
        seen = gather(watcher, {str(root / "marker.html")})
    assert str(root / "marker.html") in seen
    assert not any(path.startswith(str(root / "out")) for path in seen)
