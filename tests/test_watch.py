"""ChangeWaker: wakes on file changes, falls back to polling when it cannot watch."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secmon.sources.watch import ChangeWaker

WAKE_TIMEOUT = 5.0  # generous upper bound; the wait returns as soon as the event comes


def settle(waker: ChangeWaker) -> None:
    """Let earlier events pass (several may come for one write)."""
    for _ in range(100):
        if not waker.wait(0.05):
            return
    raise AssertionError("the waker never went quiet")


def test_wakes_on_append_create_move_and_delete(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("one\n")
    with ChangeWaker([tmp_path]) as waker:
        assert waker.watching == [tmp_path]
        settle(waker)
        assert waker.wait(0.05) is False
        with open(log, "a") as handle:
            handle.write("two\n")
        assert waker.wait(WAKE_TIMEOUT) is True
        settle(waker)
        (tmp_path / "new.log").write_text("x\n")
        assert waker.wait(WAKE_TIMEOUT) is True
        settle(waker)
        log.rename(tmp_path / "access.log.1")
        assert waker.wait(WAKE_TIMEOUT) is True
        settle(waker)
        (tmp_path / "new.log").unlink()
        assert waker.wait(WAKE_TIMEOUT) is True


def test_reading_files_does_not_wake(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    log.write_text("one\n")
    with ChangeWaker([tmp_path]) as waker:
        settle(waker)
        assert log.read_text() == "one\n"
        assert waker.wait(0.1) is False


def test_not_recursive(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    with ChangeWaker([tmp_path]) as waker:
        settle(waker)
        (sub / "deep.log").write_text("x\n")
        assert waker.wait(0.1) is False


def test_update_watches_new_directories_and_drops_old(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    with ChangeWaker([first]) as waker:
        waker.update([second])
        assert waker.watching == [second]
        settle(waker)
        (first / "x.log").write_text("x\n")
        assert waker.wait(0.1) is False
        (second / "y.log").write_text("y\n")
        assert waker.wait(WAKE_TIMEOUT) is True


def test_missing_directory_is_polled_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "not-yet"
    with caplog.at_level(logging.WARNING, logger="secmon.sources.watch"):
        waker = ChangeWaker([missing, tmp_path])
    try:
        assert waker.watching == [tmp_path]
        assert [r.getMessage().count(f"cannot watch {missing}") for r in caplog.records] == [1]
        assert waker.wait(0.01) is False
    finally:
        waker.stop()
    waker.stop()  # twice is fine


def test_degrades_to_polling_when_inotify_is_unavailable(tmp_path: Path) -> None:
    # No file descriptor left for inotify: a real failure, in a child process.
    code = textwrap.dedent(
        f"""
        import logging, resource, sys
        from pathlib import Path
        from secmon.sources.watch import ChangeWaker
        logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="%(message)s")
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
        hold = []
        try:
            while True:
                hold.append(open("/dev/null"))
        except OSError:
            pass
        waker = ChangeWaker([Path({str(tmp_path)!r})])
        print("watching", waker.watching)
        print("woke", waker.wait(0.05))
        waker.stop()
        """
    )
    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2:] == ["watching []", "woke False"]
    assert "polling only" in lines[0] or "it will be polled" in lines[0]
