"""The journald input.

Parsing is checked on real `journalctl --output=json --all` output
(tests/data/journald/sample.jsonl, made by systemd 252's journalctl from a
journal written by systemd-journal-remote). Following is checked with a fake
journalctl (tests/data/journald/fake_journalctl.py, a real child process), and,
where systemd-journal-remote is installed, with the real journalctl.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secmon.errors import SecmonError
from secmon.sources.journald import (
    MAX_JSON_LINE,
    JournaldSource,
    JournaldStats,
    JournalRecord,
    journalctl_command,
    parse_record,
)

DATA = Path(__file__).parent / "data" / "journald"
FAKE = DATA / "fake_journalctl.py"
DEADLINE = 10.0
BOOT = "6c7c6013a8194b5ea4feb7e4db02ad3b"
SAMPLE_CURSOR = (
    "s=cdd7eede5a534237808962a56c9285c9;i=1;b=6c7c6013a8194b5ea4feb7e4db02ad3b;"
    "m=4c4b40;t=64cf5b2385a40;x=9ff23d2dc920df7b"
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- parsing real journalctl JSON ---------------------------------------------------


def sample() -> list[str]:
    return (DATA / "sample.jsonl").read_text(encoding="utf-8").splitlines()


def test_sample_records_exactly() -> None:
    lines = sample()
    records = [parse_record(line) for line in lines]
    cursors = [json.loads(line)["__CURSOR"] for line in lines]
    expected = [
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 1),
            "portal",
            "sshd",
            "811",
            "Failed password for root from 203.0.113.9 port 50273 ssh2",
            cursors[0],
            "ssh.service",
            6,
        ),
        # control characters make journalctl write a byte array
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 2, 500123),
            "portal",
            "sshd",
            "811",
            "Invalid user ad\x1b[31mmin from 198.51.100.23 port 41022",
            cursors[1],
            "ssh.service",
            6,
        ),
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 4, 246),
            "portal",
            "sudo",
            "2211",
            "canbo : TTY=pts/0 ; PWD=/home/canbo ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow",
            cursors[2],
            "session-5.scope",
            5,
        ),
        # invalid UTF-8: a byte array, decoded with the bad byte replaced
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 5, 500369),
            "portal",
            "nginx",
            "912",
            '2026/03/14 06:00:05 [error] 912#912: *7 open() "/var/www/portal/wp-login.php"'
            " failed (2: No such file or directory), client: 203.0.113.9, request:"
            ' "GET /wp-login.php?x=\ufffd( HTTP/1.1"',
            cursors[3],
            "nginx.service",
            3,
        ),
        # no SYSLOG_IDENTIFIER: the program is _COMM; a multi-line message stays whole
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 7, 492),
            "portal",
            "php-fpm8.2",
            "733",
            "php-fpm pool www: line one\nline two",
            cursors[4],
            "php8.2-fpm.service",
            6,
        ),
        # no _HOSTNAME, no unit
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 8, 500615),
            None,
            "systemd",
            "1",
            "Stopping session-5.scope",
            cursors[5],
            None,
            4,
        ),
        # MESSAGE given twice: journalctl writes a list; the first value is taken
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 10, 738),
            "mail",
            "postfix/smtpd",
            "4410",
            "warning: unknown[203.0.113.50]: SASL LOGIN authentication failed:"
            " authentication failure",
            cursors[6],
            "postfix@-.service",
            6,
        ),
        # no _PID / SYSLOG_PID
        JournalRecord(
            utc(2026, 3, 14, 6, 0, 11, 500861),
            "portal",
            "kernel",
            None,
            "Tiếng Việt: cảnh báo ổ đĩa",
            cursors[7],
            None,
            4,
        ),
    ]
    assert records == expected
    assert cursors[0] == SAMPLE_CURSOR


def test_parse_accepts_bytes_and_rejects_what_is_not_an_entry() -> None:
    line = sample()[0]
    assert parse_record(line.encode()) == parse_record(line)
    entry = json.loads(line)
    for broken in (
        "not json",
        "[]",
        '"text"',
        "{}",
        json.dumps({k: v for k, v in entry.items() if k != "__CURSOR"}),
        json.dumps({k: v for k, v in entry.items() if k != "__REALTIME_TIMESTAMP"}),
        json.dumps({**entry, "__REALTIME_TIMESTAMP": "12x"}),
        json.dumps({**entry, "__REALTIME_TIMESTAMP": "9" * 40}),
        b"\xff\xfe",
    ):
        assert parse_record(broken) is None, broken


def test_parse_odd_field_values() -> None:
    base = {"__CURSOR": "s=1;i=1", "__REALTIME_TIMESTAMP": "1773468001000000"}
    assert parse_record(json.dumps(base)) == JournalRecord(
        utc(2026, 3, 14, 6, 0, 1), None, None, None, "", "s=1;i=1"
    )
    odd = {
        **base,
        "MESSAGE": None,
        "_HOSTNAME": [112, 111, 114, 116, 97, 108],
        "SYSLOG_IDENTIFIER": [[115, 115, 104, 100], "x"],
        "_PID": 7,
        "SYSLOG_PID": "8",
        "PRIORITY": "9",
        "_SYSTEMD_UNIT": [999],
    }
    record = parse_record(json.dumps(odd))
    assert record is not None
    assert (record.message, record.host, record.program, record.pid) == ("", "portal", "sshd", "8")
    assert (record.priority, record.unit) == (None, None)
    surrogate = parse_record('{"__CURSOR":"c","__REALTIME_TIMESTAMP":"0","MESSAGE":"a\\ud800b"}')
    assert surrogate is not None and surrogate.message == "a\ufffd\ufffd\ufffdb"
    assert surrogate.time == utc(1970, 1, 1)


def test_long_messages_are_cut_with_marker() -> None:
    base = {"__CURSOR": "c", "__REALTIME_TIMESTAMP": "0"}
    text = parse_record(json.dumps({**base, "MESSAGE": "a" * 30}), max_message=10)
    assert text is not None and text.message == "aaaaaaaaaa [secmon: line cut, 20 bytes dropped]"
    raw = parse_record(json.dumps({**base, "MESSAGE": list("ệệệệ".encode())}), max_message=7)
    assert raw is not None and raw.message == "ệệ [secmon: line cut, 6 bytes dropped]"
    fits = parse_record(json.dumps({**base, "MESSAGE": "ệệ"}), max_message=6)
    assert fits is not None and fits.message == "ệệ"


def test_hostile_64k_message_parses_fast() -> None:
    base = {"__CURSOR": "c", "__REALTIME_TIMESTAMP": "0"}
    start = time.perf_counter()
    for message in ("\\" * 65536, list(range(256)) * 256, "\x00\x1b" * 32768):
        record = parse_record(json.dumps({**base, "MESSAGE": message}))
        assert record is not None and len(record.message) <= 65536 + 64
    assert time.perf_counter() - start < 1.0


# --- the command line ---------------------------------------------------------------


def test_command_from_now_and_after_cursor() -> None:
    assert journalctl_command(["ssh.service", "nginx.service"], None) == [
        "journalctl",
        "--output=json",
        "--all",
        "--no-pager",
        "--follow",
        "--lines=0",
        "--unit=ssh.service",
        "--unit=nginx.service",
    ]
    assert journalctl_command(
        [], SAMPLE_CURSOR, ("/usr/bin/journalctl",), "/var/log/journal/remote"
    ) == [
        "/usr/bin/journalctl",
        "--output=json",
        "--all",
        "--no-pager",
        "--follow",
        "--directory=/var/log/journal/remote",
        f"--after-cursor={SAMPLE_CURSOR}",
        "--no-tail",
    ]


def test_unit_names_are_validated_and_all_bad_ones_named() -> None:
    assert journalctl_command(["postfix@-.service", "user@1000.service", "a_b:c"], None)[-1] == (
        "--unit=a_b:c"
    )
    with pytest.raises(SecmonError) as error:
        JournaldSource(["ssh.service", "x; rm -rf /", "", "nginx*", "--since=yesterday"], None)
    assert "'x; rm -rf /', '', 'nginx*', '--since=yesterday'" in str(error.value)
    assert str(error.value).startswith("tên unit systemd không hợp lệ")


def test_stored_cursor_is_validated() -> None:
    with pytest.raises(SecmonError, match="the stored journald cursor is invalid"):
        JournaldSource(["ssh.service"], "s=1;i=2 --unit=x")


def test_missing_journalctl_is_a_clear_error(tmp_path: Path) -> None:
    source = JournaldSource(["ssh.service"], None, runner=(str(tmp_path / "journalctl"),))
    with pytest.raises(SecmonError) as error:
        source.start()
    message = str(error.value)
    assert message.startswith(f"không chạy được lệnh '{tmp_path / 'journalctl'}'")
    assert "is journalctl (systemd) missing on this machine?" in message
    assert source.failure() is None
    source.stop()


# --- following, with a fake journalctl -------------------------------------------------


def entry(index: int, unit: str = "ssh.service", message: str | None = None) -> dict[str, str]:
    return {
        "__CURSOR": f"s=5ca1ab1e;i={index:x};b={BOOT};m={index:x};t={index:x};x={index:x}",
        "__REALTIME_TIMESTAMP": str(1773468001000000 + index * 1000),
        "_HOSTNAME": "portal",
        "SYSLOG_IDENTIFIER": "sshd",
        "_PID": "811",
        "_SYSTEMD_UNIT": unit,
        "PRIORITY": "6",
        "MESSAGE": message if message is not None else f"entry {index}",
    }


class FakeJournal:
    def __init__(self, directory: Path):
        self.directory = directory
        self.file = directory / "journal.jsonl"
        self.file.write_bytes(b"")

    def append(self, *entries: dict[str, str] | str) -> None:
        text = "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entries)
        with open(self.file, "a", encoding="utf-8") as handle:
            handle.write(text)

    def source(self, units: list[str], cursor: str | None, **kwargs: object) -> JournaldSource:
        return JournaldSource(
            units,
            cursor,
            runner=(sys.executable, str(FAKE)),
            directory=self.directory,
            **kwargs,  # type: ignore[arg-type]
        )

    def argv(self) -> list[str]:
        return json.loads((self.directory / "argv.json").read_text())

    def pid(self) -> int:
        return int((self.directory / "pid").read_text())


@pytest.fixture
def journal(tmp_path: Path) -> FakeJournal:
    return FakeJournal(tmp_path)


def until(condition: Callable[[], bool], timeout: float = DEADLINE) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # polling a condition, not waiting for time to pass
    return True


def collect(source: JournaldSource, count: int, timeout: float = DEADLINE) -> list[JournalRecord]:
    got: list[JournalRecord] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        source.wait(0.05)
        got += source.drain()
    return got


def messages(records: list[JournalRecord]) -> list[str]:
    return [r.message for r in records]


def test_start_without_cursor_follows_from_now(journal: FakeJournal) -> None:
    journal.append(entry(0), entry(1))
    with journal.source(["ssh.service"], None) as source:
        assert until(lambda: (journal.directory / "pid").exists())
        assert source.cursor is None
        journal.append(entry(2))
        got = collect(source, 1)
        assert messages(got) == ["entry 2"]
        assert source.cursor == entry(2)["__CURSOR"]
    assert journal.argv() == source.command[2:]
    assert journal.argv()[-2:] == ["--lines=0", "--unit=ssh.service"]


def test_resume_after_cursor_reads_everything_since_once(journal: FakeJournal) -> None:
    journal.append(*(entry(i) for i in range(25)))
    with journal.source(["ssh.service"], entry(3)["__CURSOR"]) as source:
        got = collect(source, 21)  # more than journalctl's 10 without --no-tail
        journal.append(entry(25), entry(26, unit="nginx.service"), entry(27))
        got += collect(source, 2)
        assert messages(got) == [f"entry {i}" for i in range(4, 26)] + ["entry 27"]
        assert [r.cursor for r in got] == [entry(i)["__CURSOR"] for i in [*range(4, 26), 27]]
        assert source.cursor == entry(27)["__CURSOR"]
        assert source.stats() == JournaldStats(records=23)
        committed = source.cursor
    journal.append(entry(28), entry(29))  # written while secmon was down
    with journal.source(["ssh.service"], committed) as again:
        assert messages(collect(again, 2)) == ["entry 28", "entry 29"]
        journal.append(entry(30))
        assert messages(collect(again, 1)) == ["entry 30"]


def test_cursor_moves_only_with_what_was_drained(journal: FakeJournal) -> None:
    journal.append(*(entry(i) for i in range(5)))
    with journal.source([], entry(0)["__CURSOR"]) as source:
        assert until(lambda: source.stats().queued == 4)
        assert source.cursor == entry(0)["__CURSOR"]
        assert messages(source.drain(3)) == ["entry 1", "entry 2", "entry 3"]
        assert source.cursor == entry(3)["__CURSOR"]
        assert source.wait(0) is True
        assert messages(source.drain()) == ["entry 4"]
        assert source.drain() == []
        assert source.wait(0) is False
        assert source.cursor == entry(4)["__CURSOR"]


def test_full_queue_makes_the_reader_wait_and_loses_nothing(journal: FakeJournal) -> None:
    journal.append(entry(0), *(entry(i) for i in range(1, 41)))
    with journal.source(["ssh.service"], entry(0)["__CURSOR"], queue_size=3) as source:
        assert until(lambda: source.stats().queued == 3)
        got: list[JournalRecord] = []
        deadline = time.monotonic() + DEADLINE
        while len(got) < 40 and time.monotonic() < deadline:
            source.wait(0.05)
            got += source.drain(2)
        assert messages(got) == [f"entry {i}" for i in range(1, 41)]
        assert source.stats().records == 40


def test_garbage_and_oversized_lines_are_skipped_and_counted(journal: FakeJournal) -> None:
    journal.append(entry(0))
    with journal.source([], entry(0)["__CURSOR"]) as source:
        journal.append("not json", "{}", "", "x" * (MAX_JSON_LINE + 10), entry(1))
        assert messages(collect(source, 1)) == ["entry 1"]
        assert source.stats() == JournaldStats(records=1, malformed=2, oversized=1)


def test_stop_kills_the_child_and_keeps_queued_records(journal: FakeJournal) -> None:
    journal.append(entry(0), entry(1))
    source = journal.source([], entry(0)["__CURSOR"])
    source.start()
    assert until(lambda: source.stats().queued == 1)
    pid = journal.pid()
    start = time.perf_counter()
    source.stop()
    assert time.perf_counter() - start < 2.0
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert source.failure() is None  # we stopped it: not a failure
    assert messages(source.drain()) == ["entry 1"]
    source.stop()  # twice is fine


def test_journalctl_exiting_on_its_own_is_reported(journal: FakeJournal) -> None:
    journal.append(entry(0))
    with journal.source(["ssh.service"], entry(99)["__CURSOR"]) as source:
        assert until(lambda: source.failure() is not None)
        assert source.failure() == (
            "journalctl đã dừng (mã thoát 1): Failed to seek to cursor: Invalid argument /"
            " journalctl exited with status 1: Failed to seek to cursor: Invalid argument"
        )
        assert source.diagnostics == "Failed to seek to cursor: Invalid argument"


def test_source_name(journal: FakeJournal) -> None:
    assert journal.source(["ssh.service", "nginx.service"], None).source == (
        "journald:ssh.service,nginx.service"
    )
    assert journal.source([], None).source == "journald"


# --- following, with the real journalctl ------------------------------------------------


def _journal_remote() -> str | None:
    for candidate in (
        "/lib/systemd/systemd-journal-remote",
        "/usr/lib/systemd/systemd-journal-remote",
    ):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def export_entry(index: int, unit: str, message: bytes) -> bytes:
    """One entry in the journal export format (binary-safe MESSAGE)."""
    fields = [
        f"__REALTIME_TIMESTAMP={1773468001000000 + index * 1000}",
        f"__MONOTONIC_TIMESTAMP={1000 + index}",
        f"_BOOT_ID={BOOT}",
        "_HOSTNAME=portal",
        "SYSLOG_IDENTIFIER=sshd",
        f"_PID={800 + index}",
        f"_SYSTEMD_UNIT={unit}",
    ]
    body = "".join(f"{f}\n" for f in fields).encode()
    return body + b"MESSAGE\n" + struct.pack("<Q", len(message)) + message + b"\n\n"


@pytest.fixture
def real_journal(tmp_path: Path) -> Iterator[Callable[..., None]]:
    remote = _journal_remote()
    if remote is None or shutil.which("journalctl") is None:
        pytest.skip(
            "needs journalctl and systemd-journal-remote (Debian package: systemd-journal-remote)"
        )

    def write(*entries: bytes) -> None:
        export = tmp_path / "entries.export"
        export.write_bytes(b"".join(entries))
        subprocess.run(
            [remote, "--output", str(tmp_path / "remote.journal"), str(export)],
            check=True,
            capture_output=True,
            timeout=DEADLINE,
        )

    yield write


@pytest.mark.slow
def test_real_journalctl_resumes_after_cursor_and_follows(
    real_journal: Callable[..., None], tmp_path: Path
) -> None:
    real_journal(*(export_entry(i, "ssh.service", f"old {i}".encode()) for i in range(14)))
    listing = subprocess.run(
        ["journalctl", f"--directory={tmp_path}", "--output=json", "--no-pager"],
        check=True,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    ).stdout.splitlines()
    first_cursor = json.loads(listing[0])["__CURSOR"]
    with JournaldSource(["ssh.service"], first_cursor, directory=tmp_path) as source:
        assert messages(collect(source, 13)) == [f"old {i}" for i in range(1, 14)]
        real_journal(
            export_entry(14, "nginx.service", b"other unit"),
            export_entry(15, "ssh.service", b"new \xff bytes\nline 2"),
        )
        [record] = collect(source, 1)
    assert record.message == "new \ufffd bytes\nline 2"
    assert (record.host, record.program, record.pid, record.unit) == (
        "portal",
        "sshd",
        "815",
        "ssh.service",
    )
    assert record.time == utc(2026, 3, 14, 6, 0, 1, 15000)
    assert source.cursor == record.cursor
    with JournaldSource(["ssh.service"], None, directory=tmp_path) as from_now:
        # journalctl gives no sign of being ready: write probes until one arrives
        got: list[JournalRecord] = []
        for probe in range(16, 66):
            real_journal(export_entry(probe, "ssh.service", f"probe {probe}".encode()))
            got += collect(from_now, 1, timeout=0.2)
            if got:
                break
        assert from_now.failure() is None
    first = int(got[0].message.split()[1])
    assert messages(got) == [f"probe {n}" for n in range(first, first + len(got))]
