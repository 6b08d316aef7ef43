from __future__ import annotations

import gzip
import os
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secmon.errors import SecmonError
from secmon.sources.oneshot import (
    CUT_MARKER,
    MAX_LINE_BYTES,
    RawLine,
    read_lines,
    reference_time,
    sample_lines,
)

KIB = 1024
MIB = 1024 * KIB


def write(tmp_path: Path, data: bytes, name: str = "x.log") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def triples(path: Path) -> list[tuple[int, int, str]]:
    return [(r.line_no, r.offset, r.text) for r in read_lines(path)]


def test_plain_lines_numbers_and_byte_offsets(tmp_path: Path) -> None:
    path = write(tmp_path, "một\nhai\n\nbốn\n".encode())
    # "một" is 5 bytes in UTF-8.
    assert triples(path) == [(1, 0, "một"), (2, 6, "hai"), (3, 10, ""), (4, 11, "bốn")]
    assert isinstance(next(iter(read_lines(path))), RawLine)


def test_offsets_point_at_line_starts(tmp_path: Path) -> None:
    data = "Mar 14 06:00:01 portal sshd[811]: Đăng nhập\r\nx\n\xff\n".encode(
        "utf-8", "surrogateescape"
    )
    path = write(tmp_path, data)
    for raw in read_lines(path):
        assert data[raw.offset :].startswith(raw.text[:1].encode()) or raw.text[:1] == "\ufffd"
    assert [r.offset for r in read_lines(path)] == [0, data.index(b"x"), data.index(b"x") + 2]


def test_crlf_and_last_line_without_newline(tmp_path: Path) -> None:
    path = write(tmp_path, b"a\r\nb\r\nc\rd\ntail")
    assert triples(path) == [(1, 0, "a"), (2, 3, "b"), (3, 6, "c\rd"), (4, 10, "tail")]


def test_empty_file(tmp_path: Path) -> None:
    assert triples(write(tmp_path, b"")) == []


def test_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    path = write(tmp_path, b"ok \xff\xfe end\n\xc4\n\xe1\xbb\x99\n")
    assert [r.text for r in read_lines(path)] == ["ok \ufffd\ufffd end", "\ufffd", "ộ"]


def test_a_200k_line_is_cut_with_a_marker(tmp_path: Path) -> None:
    long_line = b"A" * (200 * KIB)
    path = write(tmp_path, b"first\n" + long_line + b"\nlast\n")
    lines = list(read_lines(path))
    assert [r.line_no for r in lines] == [1, 2, 3]
    dropped = 200 * KIB - MAX_LINE_BYTES
    assert lines[1].text == "A" * MAX_LINE_BYTES + f" [secmon: line cut, {dropped} bytes dropped]"
    assert lines[1].text.endswith(CUT_MARKER.format(dropped=dropped))
    assert (lines[2].offset, lines[2].text) == (6 + 200 * KIB + 1, "last")


def test_a_line_of_exactly_64k_is_kept_whole(tmp_path: Path) -> None:
    exact = b"B" * MAX_LINE_BYTES
    path = write(tmp_path, exact + b"\r\n" + exact + b"C\n")
    lines = [r.text for r in read_lines(path)]
    assert lines[0] == "B" * MAX_LINE_BYTES
    assert lines[1] == "B" * MAX_LINE_BYTES + CUT_MARKER.format(dropped=1)


def test_a_cut_does_not_split_a_utf8_character(tmp_path: Path) -> None:
    # "đ" is two bytes: the 64 KiB boundary falls inside the last one kept.
    data = b"x" + "đ".encode() * (MAX_LINE_BYTES // 2) + b"\n"
    text = next(iter(read_lines(write(tmp_path, data)))).text
    kept = "x" + "đ" * (MAX_LINE_BYTES // 2 - 1)
    assert text == kept + CUT_MARKER.format(dropped=len(data) - 1 - len(kept.encode()))
    assert "\ufffd" not in text


def test_a_long_line_across_many_chunks(tmp_path: Path) -> None:
    # Bigger than the 1 MiB read size, with CRLF: the terminator is not counted as dropped.
    data = b"head\n" + b"Z" * (3 * MIB + 5) + b"\r\n" + b"after\n"
    lines = triples(write(tmp_path, data))
    assert lines[0] == (1, 0, "head")
    assert lines[1] == (
        2,
        5,
        "Z" * MAX_LINE_BYTES + CUT_MARKER.format(dropped=3 * MIB + 5 - MAX_LINE_BYTES),
    )
    assert lines[2] == (3, 5 + 3 * MIB + 5 + 2, "after")


def test_lines_across_chunk_boundaries_keep_offsets(tmp_path: Path) -> None:
    pad = "x" * 60
    rows = [f"{i:07d} Mar 14 06:00:01 portal sshd[811]: {pad} {i}".encode() for i in range(25_000)]
    data = b"\n".join(rows) + b"\n"
    assert len(data) > 2 * MIB
    lines = list(read_lines(write(tmp_path, data)))
    assert len(lines) == 25_000
    assert [r.text.encode() for r in lines] == rows
    assert all(data[r.offset : r.offset + 7] == f"{r.line_no - 1:07d}".encode() for r in lines)


def test_memory_stays_flat_on_big_input(tmp_path: Path) -> None:
    # 24 MiB: 1 KiB lines around one 8 MiB line; memory must not grow with the file.
    path = tmp_path / "big.log"
    row = (
        b'203.0.113.9 - - [14/Mar/2026:06:00:01 +0700] "GET /' + b"p" * 950 + b' HTTP/1.1" 200 1\n'
    )
    rows = 8 * MIB // len(row)
    with path.open("wb") as handle:
        handle.write(row * rows)
        handle.write(b"Q" * (8 * MIB) + b"\n")
        handle.write(row * rows)
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_lines(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2 * rows + 1
    assert peak < 5 * MIB  # about two read chunks, whatever the file size


def test_gzip_is_told_by_magic_bytes(tmp_path: Path) -> None:
    body = b"Mar 14 06:00:01 portal sshd[811]: a\r\nMar 14 06:00:02 portal sshd[811]: b\n"
    named_log = write(tmp_path, gzip.compress(body), "auth.log.1")  # no .gz suffix
    assert triples(named_log) == [
        (1, 0, "Mar 14 06:00:01 portal sshd[811]: a"),
        (2, 37, "Mar 14 06:00:02 portal sshd[811]: b"),
    ]
    plain_gz = write(tmp_path, body, "auth.log.2.gz")  # suffix says gzip, content does not
    assert [r.text for r in read_lines(plain_gz)] == [
        "Mar 14 06:00:01 portal sshd[811]: a",
        "Mar 14 06:00:02 portal sshd[811]: b",
    ]


def test_gzip_with_several_members_and_a_long_line(tmp_path: Path) -> None:
    data = gzip.compress(b"one\n") + gzip.compress(b"two\n" + b"L" * (100 * KIB) + b"\n")
    lines = [r.text for r in read_lines(write(tmp_path, data, "x.gz"))]
    assert lines == [
        "one",
        "two",
        "L" * MAX_LINE_BYTES + CUT_MARKER.format(dropped=100 * KIB - MAX_LINE_BYTES),
    ]


def test_truncated_gzip_yields_what_it_can_then_says_so(tmp_path: Path) -> None:
    body = b"".join(f"line {i} {i * 7919 % 104729}\n".encode() for i in range(60_000))
    data = gzip.compress(body)
    path = write(tmp_path, data[: len(data) // 2], "cut.log.gz")
    seen: list[str] = []
    with pytest.raises(SecmonError) as caught:
        for raw in read_lines(path):
            seen.append(raw.text)
    assert len(seen) > 1000
    assert seen == body.decode().split("\n")[: len(seen)]
    message = str(caught.value)
    assert message.startswith(f"{path}: the compressed data is damaged or cut short after line ")
    assert "gzip -t" in message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    with pytest.raises(SecmonError) as caught:
        list(read_lines(missing))
    assert str(caught.value) == f"{missing}: cannot open: No such file or directory"
    with pytest.raises(SecmonError) as caught:
        reference_time(missing)
    assert str(caught.value) == f"{missing}: cannot read the file's time: No such file or directory"


def test_sample_lines_skips_blank_lines_and_stops_early(tmp_path: Path) -> None:
    path = write(tmp_path, b"\n\na\n  \nb\nc\nd\n")
    assert sample_lines(path, n=2) == ["a", "b"]
    assert sample_lines(path) == ["a", "b", "c", "d"]
    assert sample_lines(path, n=0) == []
    gz = write(tmp_path, gzip.compress(b"x\ny\n"), "s.gz")
    assert sample_lines(gz, n=1) == ["x"]


def test_reference_time_is_the_mtime_in_utc(tmp_path: Path) -> None:
    path = write(tmp_path, b"x\n")
    when = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    os.utime(path, (when.timestamp(), when.timestamp()))
    result = reference_time(path)
    assert result == when
    assert result.tzinfo is UTC


def test_type_detection_on_a_compressed_sample(tmp_path: Path) -> None:
    from secmon.parsers.detect import detect_type

    access = (Path(__file__).parent / "data" / "parsers" / "access.log").read_bytes()
    path = write(tmp_path, gzip.compress(access), "access.log.2.gz")
    assert detect_type(sample_lines(path)) == "nginx"
