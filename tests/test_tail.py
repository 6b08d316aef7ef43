"""FileTailer against real files: appends, partial lines, rotations, restarts."""

from __future__ import annotations

import logging
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secmon.clock import ManualClock
from secmon.events import Checkpoint
from secmon.sources.fingerprint import fingerprint_of
from secmon.sources.oneshot import read_lines
from secmon.sources.tail import FileTailer, TailBatch


def write(path: Path, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    with open(path, "ab") as handle:
        handle.write(data)


def texts(batch: TailBatch) -> list[str]:
    return [line.text for line in batch.lines]


def sourced(batch: TailBatch) -> list[tuple[str, str]]:
    return [(Path(line.source).name, line.text) for line in batch.lines]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def ident(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


def copytruncate(path: Path, copy: Path) -> None:
    shutil.copyfile(path, copy)
    with open(path, "r+b") as handle:
        handle.truncate(0)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    path.write_bytes(b"")
    return path


# --- appends and partial lines ------------------------------------------------


def test_appends_are_read_once_in_order(log: Path) -> None:
    write(log, "a\nb\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    batch = tailer.poll()
    assert texts(batch) == ["a", "b"]
    assert [(line.line_no, line.offset) for line in batch.lines] == [(1, 0), (2, 2)]
    dev, ino = ident(log)
    fp = fingerprint_of(b"a\n")
    assert batch.lines[0].checkpoint == Checkpoint(str(log), dev, ino, 2, fp)
    assert batch.checkpoints == {str(log): Checkpoint(str(log), dev, ino, 4, fp)}
    assert tailer.poll() == TailBatch([], {})
    write(log, "c\r\nd\n")
    batch = tailer.poll()
    assert texts(batch) == ["c", "d"]
    assert [(line.line_no, line.offset, line.checkpoint.offset) for line in batch.lines] == [
        (3, 4, 7),
        (4, 7, 9),
    ]
    tailer.close()


def test_start_at_end_skips_old_lines_and_reports_the_position(log: Path) -> None:
    write(log, "old 1\nold 2\nhalf")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="end")
    batch = tailer.poll()
    # Starts after the last complete line: the line being written is read whole.
    assert batch.lines == []
    assert batch.checkpoints[str(log)].offset == 12
    write(log, " done\nnew\n")
    batch = tailer.poll()
    assert texts(batch) == ["half done", "new"]
    assert [line.line_no for line in batch.lines] == [3, 4]
    tailer.close()


def test_partial_last_line_waits_for_its_rest(log: Path) -> None:
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    write(log, "first\nsec")
    assert texts(tailer.poll()) == ["first"]
    assert texts(tailer.poll()) == []
    write(log, "ond")
    assert texts(tailer.poll()) == []
    write(log, "\nthird\n")
    batch = tailer.poll()
    assert texts(batch) == ["second", "third"]
    assert batch.lines[0].offset == 6
    tailer.close()


def test_partial_line_timeout_flushes_after_no_growth(log: Path) -> None:
    clock = ManualClock(datetime(2026, 3, 14, tzinfo=UTC))
    tailer = FileTailer(
        [str(log)], checkpoints={}, start_at="beginning", partial_line_timeout=5, clock=clock
    )
    write(log, "no newline yet")
    assert texts(tailer.poll()) == []
    clock.advance(4.9)
    assert texts(tailer.poll()) == []
    write(log, " still")  # growth (seen at the next poll) restarts the wait
    assert texts(tailer.poll()) == []
    clock.advance(4.9)
    assert texts(tailer.poll()) == []
    clock.advance(0.1)
    batch = tailer.poll()
    assert texts(batch) == ["no newline yet still"]
    assert batch.checkpoints[str(log)].offset == 20
    write(log, "\nnext\n")
    assert texts(tailer.poll()) == ["", "next"]
    tailer.close()


def test_long_lines_and_bad_utf8_read_like_the_oneshot_reader(tmp_path: Path) -> None:
    path = tmp_path / "hostile.log"
    accent = "ệ".encode()  # 3 bytes: puts a character across the 64 KiB cut
    content = b"".join(
        [
            b"short\r\n",
            b"A" * 65535 + accent + b"B" * 100 + b"\n",
            b"x" * 65536 + b"\r\n",  # exactly the limit: not cut
            b"y" * 65537 + b"\r\n",
            b"bad \xff\xfe utf-8\n",
            b"<" * (300 * 1024) + b"\n",  # 300 KiB hostile line
            b"end\n",
        ]
    )
    path.write_bytes(content)
    tailer = FileTailer([str(path)], checkpoints={}, start_at="beginning")
    got = []
    while lines := tailer.poll().lines:
        got.extend(lines)
    expected = list(read_lines(path))
    assert [(line.line_no, line.offset, line.text) for line in got] == [
        (r.line_no, r.offset, r.text) for r in expected
    ]
    assert got[1].text.endswith(" [secmon: line cut, 103 bytes dropped]")
    assert got[3].text == "y" * 65536 + " [secmon: line cut, 1 bytes dropped]"
    assert got[5].text == "<" * 65536 + f" [secmon: line cut, {300 * 1024 - 65536} bytes dropped]"
    assert got[-1].checkpoint.offset == len(content)
    tailer.close()


def test_an_endless_line_is_held_in_bounded_memory(log: Path) -> None:
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    for _ in range(40):  # 40 x 256 KiB without a newline
        write(log, b"z" * (256 * 1024))
        assert tailer.poll().lines == []
        reader = tailer._sources[str(log)].readers[0]
        assert len(reader._buf) <= 65537 + 65536
    write(log, "\n")
    batch = tailer.poll()
    assert texts(batch) == [
        "z" * 65536 + f" [secmon: line cut, {40 * 256 * 1024 - 65536} bytes dropped]"
    ]
    assert batch.checkpoints[str(log)].offset == 40 * 256 * 1024 + 1
    tailer.close()


# --- rotation -----------------------------------------------------------------


def test_rename_rotation_finishes_the_old_file_first(log: Path) -> None:
    write(log, "1\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1"]
    rotated = log.with_name("access.log.1")
    log.rename(rotated)
    log.write_bytes(b"")
    write(rotated, "2 late\n3 late\npartial")  # the writer has not reopened yet
    assert texts(tailer.poll()) == ["2 late", "3 late"]  # new file empty: old kept open
    write(rotated, " end\n")
    write(log, "4 new\n")  # the writer moved on
    batch = tailer.poll()
    assert texts(batch) == ["partial end", "4 new"]
    assert [line.line_no for line in batch.lines] == [4, 1]
    dev, ino = ident(log)
    assert batch.checkpoints == {
        str(log): Checkpoint(str(log), dev, ino, 6, fingerprint_of(b"4 new\n"))
    }
    assert texts(tailer.poll()) == []
    tailer.close()


def test_rename_rotation_with_writes_before_the_poll(log: Path) -> None:
    write(log, "1\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1"]
    rotated = log.with_name("access.log.1")
    log.rename(rotated)
    write(rotated, "2 old after rename\nold tail without newline")
    write(log, "3 new\n")
    assert texts(tailer.poll()) == ["2 old after rename", "old tail without newline", "3 new"]
    tailer.close()


def test_rotated_file_is_closed_once_finished(log: Path) -> None:
    write(log, "1\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    tailer.poll()
    before = open_fds()
    log.rename(log.with_name("access.log.1"))
    write(log, "2\n")
    assert texts(tailer.poll()) == ["2"]
    assert open_fds() == before
    tailer.close()


def test_copytruncate_restarts_at_zero_and_reads_the_rest_from_the_copy(log: Path) -> None:
    write(log, "1\n2\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1", "2"]
    write(log, "3 unread at rotation\n")
    copytruncate(log, log.with_name("access.log.1"))
    write(log, "4\n")
    batch = tailer.poll()
    assert texts(batch) == ["3 unread at rotation", "4"]
    assert [line.line_no for line in batch.lines] == [3, 1]
    dev, ino = ident(log)
    assert batch.checkpoints[str(log)] == Checkpoint(str(log), dev, ino, 2, fingerprint_of(b"4\n"))
    tailer.close()


def test_truncation_without_a_copy_still_delivers_what_was_buffered(log: Path) -> None:
    write(log, "".join(f"{i}\n" for i in range(10)))
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning", max_batch_lines=3)
    assert texts(tailer.poll()) == ["0", "1", "2"]
    with open(log, "r+b") as handle:
        handle.truncate(0)
    write(log, "new\n")
    assert texts(tailer.poll()) == ["3", "4", "5"]
    assert texts(tailer.poll()) == ["6", "7", "8"]
    assert texts(tailer.poll()) == ["9", "new"]
    tailer.close()


def test_rewritten_in_place_past_the_offset_is_detected_by_fingerprint(log: Path) -> None:
    write(log, "one\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["one"]
    with open(log, "r+b") as handle:
        handle.truncate(0)
    write(log, "two\nthree\n")  # longer than the offset already
    assert texts(tailer.poll()) == ["two", "three"]
    tailer.close()


def test_delete_and_recreate(log: Path) -> None:
    write(log, "1\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1"]
    write(log, "2 before delete\n")
    log.unlink()
    write(log, "3 new file\n")
    assert texts(tailer.poll()) == ["2 before delete", "3 new file"]
    tailer.close()


def test_deleted_while_open_is_finished_then_closed(log: Path) -> None:
    write(log, "1\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1"]
    before = open_fds()
    write(log, "2\n3 no newline")
    log.unlink()
    assert texts(tailer.poll()) == ["2", "3 no newline"]
    assert open_fds() == before - 1
    assert tailer.poll() == TailBatch([], {})
    write(log, "4\n")  # appears again: a new file, from its beginning
    assert texts(tailer.poll()) == ["4"]
    tailer.close()


# --- which files --------------------------------------------------------------


def test_new_files_matching_the_glob_are_read_from_the_beginning(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("a old\n")
    tailer = FileTailer([str(tmp_path / "*.log")], checkpoints={}, start_at="end")
    assert tailer.poll().lines == []
    (tmp_path / "b.log").write_text("b1\nb2\n")
    write(tmp_path / "a.log", "a new\n")
    assert sorted(sourced(tailer.poll())) == [("a.log", "a new"), ("b.log", "b1"), ("b.log", "b2")]
    tailer.close()


def test_rotated_and_compressed_names_are_not_inputs(tmp_path: Path) -> None:
    names = [
        "syslog",
        "syslog.1",
        "syslog.2.gz",
        "syslog-20260314",
        "syslog-20260314.gz",
        "auth.log",
        "auth.log.12",
        "auth.1.log",
        "mail.log.xz",
        "kern.log.old",
        "x.log~",
    ]
    for name in names:
        (tmp_path / name).write_text(f"{name}\n")
    tailer = FileTailer([str(tmp_path / "*")], checkpoints={}, start_at="beginning")
    assert sorted(texts(tailer.poll())) == ["auth.log", "syslog"]
    tailer.close()
    everything = FileTailer([str(tmp_path / "*")], checkpoints={}, start_at="beginning", exclude=())
    # Compressed files are not decompressed here (one-shot scans read .gz).
    assert len(everything.poll().lines) == len(names)
    everything.close()


def test_a_file_under_two_names_is_read_once(tmp_path: Path) -> None:
    real = tmp_path / "real.log"
    real.write_text("x\n")
    (tmp_path / "link.log").symlink_to(real)
    tailer = FileTailer([str(tmp_path / "*.log")], checkpoints={}, start_at="beginning")
    assert sourced(tailer.poll()) == [("link.log", "x")]
    tailer.close()


def test_fifos_and_directories_are_skipped_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.log")
    (tmp_path / "dir.log").mkdir()
    (tmp_path / "ok.log").write_text("ok\n")
    tailer = FileTailer([str(tmp_path / "*.log")], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["ok"]
    tailer.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_warns_once_and_is_retried(
    log: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(log, "secret\n")
    log.chmod(0)
    with caplog.at_level(logging.WARNING, logger="secmon.sources.tail"):
        tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
        assert tailer.poll().lines == []
        assert tailer.poll().lines == []
    assert [r.getMessage().count("cannot open") for r in caplog.records] == [1]
    log.chmod(0o644)
    assert texts(tailer.poll()) == ["secret"]
    tailer.close()


def test_fair_share_of_the_batch(tmp_path: Path) -> None:
    for name in ("a.log", "b.log", "c.log"):
        (tmp_path / name).write_text("".join(f"{name} {i}\n" for i in range(10)))
    (tmp_path / "c.log").write_text("c.log 0\n")
    tailer = FileTailer(
        [str(tmp_path / "*.log")], checkpoints={}, start_at="beginning", max_batch_lines=9
    )
    first = sourced(tailer.poll())
    assert len(first) == 9
    counts = {name: sum(1 for n, _ in first if n == name) for name in ("a.log", "b.log", "c.log")}
    assert counts == {"a.log": 4, "b.log": 4, "c.log": 1}
    rest = []
    while lines := sourced(tailer.poll()):
        assert len(lines) <= 9
        rest.extend(lines)
    everything = first + rest
    for name, count in (("a.log", 10), ("b.log", 10), ("c.log", 1)):
        assert [t for n, t in everything if n == name] == [f"{name} {i}" for i in range(count)]
    tailer.close()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="start_at"):
        FileTailer([], checkpoints={}, start_at="middle")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_batch_lines"):
        FileTailer([], checkpoints={}, max_batch_lines=0)


def test_watch_dirs(tmp_path: Path) -> None:
    (tmp_path / "site1" / "logs").mkdir(parents=True)
    (tmp_path / "site2" / "logs").mkdir(parents=True)
    tailer = FileTailer(
        [
            str(tmp_path / "*" / "logs" / "*.log"),
            str(tmp_path / "x.log"),
            str(tmp_path / "no" / "y"),
        ],
        checkpoints={},
    )
    assert tailer.watch_dirs() == [
        tmp_path,
        tmp_path / "site1" / "logs",
        tmp_path / "site2" / "logs",
    ]


def test_copytruncate_before_the_first_line_is_complete(log: Path) -> None:
    # No fingerprint yet (no newline, < 256 bytes): the bytes read so far tell
    # that the file was rewritten, and which copy holds its start.
    write(log, "first line with")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert tailer.poll().lines == []
    assert tailer.poll().checkpoints == {}
    write(log, "out its end")
    copytruncate(log, log.with_name("access.log.1"))
    write(log, "a new first line, longer than the old one was\n")
    assert texts(tailer.poll()) == [
        "first line without its end",
        "a new first line, longer than the old one was",
    ]
    tailer.close()


def test_two_rotations_before_the_writer_reopens(log: Path) -> None:
    write(log, "1\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1"]
    first = log.with_name("access.log.1")
    log.rename(first)
    log.write_text("")
    assert tailer.poll().lines == []
    first.rename(log.with_name("access.log.2"))
    log.rename(first)  # the empty second file
    log.write_text("")
    write(log.with_name("access.log.2"), "2 still written to the first file\n")
    assert texts(tailer.poll()) == ["2 still written to the first file"]
    write(log, "3 the writer reopened\n")
    batch = tailer.poll()
    assert texts(batch) == ["3 the writer reopened"]
    assert batch.checkpoints[str(log)].inode == log.stat().st_ino
    assert len(tailer._sources[str(log)].readers) == 1
    tailer.close()


def test_copytruncate_of_a_new_file_read_only_after_the_old_one(log: Path) -> None:
    # The new file gets lines while the old one still has lines to read (small
    # batches): its first bytes are learnt before its reader starts, so its
    # copytruncate is noticed and its lines come from the copy.
    write(log, "".join(f"old {i}\n" for i in range(6)))
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning", max_batch_lines=2)
    assert texts(tailer.poll()) == ["old 0", "old 1"]
    log.rename(log.with_name("access.log.2"))
    write(log, "new 1\n")
    assert texts(tailer.poll()) == ["old 2", "old 3"]
    copytruncate(log, log.with_name("access.log.1"))
    write(log, "newer 1\n")
    got = []
    while lines := texts(tailer.poll()):
        got.extend(lines)
    assert got == ["old 4", "old 5", "new 1", "newer 1"]
    tailer.close()
