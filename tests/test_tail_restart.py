"""FileTailer restarted from committed checkpoints: nothing twice, nothing skipped."""

from __future__ import annotations

import gzip
import logging
import shutil
from pathlib import Path

import pytest

from secmon.events import Checkpoint
from secmon.sources.tail import FileTailer, TailBatch


def write(path: Path, text: str) -> None:
    with open(path, "ab") as handle:
        handle.write(text.encode())


def texts(batch: TailBatch) -> list[str]:
    return [line.text for line in batch.lines]


def drain(tailer: FileTailer) -> tuple[list[str], dict[str, Checkpoint]]:
    """Poll until nothing is new; the lines and the checkpoints to commit."""
    lines: list[str] = []
    checkpoints: dict[str, Checkpoint] = {}
    while True:
        batch = tailer.poll()
        checkpoints.update(batch.checkpoints)
        if not batch.lines:
            return lines, checkpoints
        lines.extend(texts(batch))


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "access.log"
    path.write_text("1\n2\n")
    return path


def first_run(log: Path) -> dict[str, Checkpoint]:
    with FileTailer([str(log.parent / "*.log")], checkpoints={}, start_at="beginning") as tailer:
        lines, checkpoints = drain(tailer)
    assert lines == ["1", "2"]
    return checkpoints


def restart(log: Path, checkpoints: dict[str, Checkpoint]) -> tuple[list[str], FileTailer]:
    tailer = FileTailer([str(log.parent / "*.log")], checkpoints=checkpoints, start_at="end")
    lines, _ = drain(tailer)
    return lines, tailer


def test_lines_appended_while_down(log: Path) -> None:
    checkpoints = first_run(log)
    write(log, "3\n4\n")
    tailer = FileTailer([str(log.parent / "*.log")], checkpoints=checkpoints, start_at="end")
    batch = tailer.poll()
    assert [(line.text, line.line_no, line.offset) for line in batch.lines] == [
        ("3", 3, 4),
        ("4", 4, 6),
    ]
    tailer.close()


def test_rename_rotation_while_down(log: Path) -> None:
    checkpoints = first_run(log)
    write(log, "3 before rotation\n")
    rotated = log.with_name("access.log.1")
    log.rename(rotated)
    write(rotated, "4 after rotation, old file\n")
    log.write_text("5 new file\n")
    lines, tailer = restart(log, checkpoints)
    assert lines == ["3 before rotation", "4 after rotation, old file", "5 new file"]
    tailer.close()


def test_dateext_rotation_while_down_and_older_generations_ignored(log: Path) -> None:
    checkpoints = first_run(log)
    write(log, "3\n")
    log.with_name("access.log-20260301").write_text("much older\n")
    log.rename(log.with_name("access.log-20260314"))
    log.write_text("4\n")
    lines, tailer = restart(log, checkpoints)
    assert lines == ["3", "4"]
    tailer.close()


def test_rotation_while_down_new_file_still_empty(log: Path) -> None:
    checkpoints = first_run(log)
    rotated = log.with_name("access.log.1")
    log.rename(rotated)
    log.write_text("")
    write(rotated, "3 late\n")
    lines, tailer = restart(log, checkpoints)
    assert lines == ["3 late"]
    write(rotated, "4 later\n")  # the old file is kept open until the writer moves on
    write(log, "5 new\n")
    assert texts(tailer.poll()) == ["4 later", "5 new"]
    tailer.close()


def test_copytruncate_while_down(log: Path) -> None:
    checkpoints = first_run(log)
    write(log, "3 only in the copy\n")
    shutil.copyfile(log, log.with_name("access.log.1"))
    with open(log, "r+b") as handle:
        handle.truncate(0)
    write(log, "4\n5 grown past the old offset\n")
    lines, tailer = restart(log, checkpoints)
    assert lines == ["3 only in the copy", "4", "5 grown past the old offset"]
    tailer.close()


def test_old_file_compressed_while_down(log: Path, caplog: pytest.LogCaptureFixture) -> None:
    checkpoints = first_run(log)
    write(log, "3 lost: compressed before we came back\n")
    with gzip.open(log.with_name("access.log.1.gz"), "wb") as packed:
        packed.write(log.read_bytes())
    log.unlink()
    log.write_text("4\n")
    with caplog.at_level(logging.WARNING, logger="secmon.sources.tail"):
        lines, tailer = restart(log, checkpoints)
    assert lines == ["4"]
    assert len(caplog.records) == 1
    assert "the old file's remaining lines may be missed" in caplog.records[0].getMessage()
    tailer.close()


def test_rewritten_in_place_while_down_without_a_copy(log: Path) -> None:
    checkpoints = first_run(log)
    log.write_text("other content, same inode\n")  # truncate and write: same inode
    lines, tailer = restart(log, checkpoints)
    assert lines == ["other content, same inode"]
    tailer.close()


def test_path_gone_but_rotated_file_present(log: Path) -> None:
    checkpoints = first_run(log)
    write(log, "3\n")
    rotated = log.with_name("access.log.1")
    log.rename(rotated)  # `nocreate`: the writer makes the file when it next writes
    lines, tailer = restart(log, checkpoints)
    assert lines == ["3"]
    write(log, "4\n")
    assert texts(tailer.poll()) == ["4"]
    tailer.close()


def test_committing_a_prefix_then_restarting_replays_only_the_rest(log: Path) -> None:
    write(log, "3\n4\n")
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    batch = tailer.poll()
    assert texts(batch) == ["1", "2", "3", "4"]
    committed = {str(log): batch.lines[1].checkpoint}  # crash after two lines
    tailer.close()
    again = FileTailer([str(log)], checkpoints=committed, start_at="end")
    batch = again.poll()
    assert [(line.text, line.line_no) for line in batch.lines] == [("3", 3), ("4", 4)]
    assert again.poll() == TailBatch([], {})
    again.close()


def test_committing_a_prefix_across_a_rotation(log: Path) -> None:
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1", "2"]
    write(log, "3\n4\n")
    log.rename(log.with_name("access.log.1"))
    log.write_text("5\n6\n")
    batch = tailer.poll()
    assert texts(batch) == ["3", "4", "5", "6"]
    tailer.close()
    for done, rest in ((0, ["4", "5", "6"]), (1, ["5", "6"]), (2, ["6"]), (3, [])):
        committed = {str(log): batch.lines[done].checkpoint}
        with FileTailer([str(log)], checkpoints=committed, start_at="end") as again:
            assert texts(again.poll()) == rest


def test_close_then_poll_resumes_in_place(log: Path) -> None:
    tailer = FileTailer([str(log)], checkpoints={}, start_at="beginning")
    assert texts(tailer.poll()) == ["1", "2"]
    tailer.close()
    write(log, "3\n")
    assert texts(tailer.poll()) == ["3"]
    tailer.close()


def test_checkpoint_of_another_file_at_the_path_is_not_trusted(log: Path) -> None:
    info = log.stat()
    stale = Checkpoint(str(log), info.st_dev, info.st_ino + 1, 2, "0123456789abcdef")
    with FileTailer([str(log)], checkpoints={str(log): stale}, start_at="end") as tailer:
        # Its file is gone: the file now at the path is read from its start.
        assert texts(tailer.poll()) == ["1", "2"]
