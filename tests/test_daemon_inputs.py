"""Input adapters of `secmon run`: real files, real sockets, a real (stand-in) journalctl."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from daemon_testkit import attack_line, until

from secmon.clock import ManualClock, SystemClock
from secmon.config.inputs import FileInputSettings, JournaldSettings, SyslogSettings
from secmon.daemon import inputs as inputs_module
from secmon.daemon.inputs import FileInput, InputBatch, SyslogInput
from secmon.daemon.journal import JournalInput, journal_event
from secmon.events import Checkpoint, Event
from secmon.parsers.base import JsonMapping
from secmon.sources.journald import JournalRecord

HCM = timezone(timedelta(hours=7))
FAKE = Path(__file__).parent / "data" / "journald" / "fake_journalctl.py"
NGINX = (
    '203.0.113.9 - - [14/Mar/2026:06:00:{s:02d} +0700] "GET /wp-login.php HTTP/1.1" 404 153'
    ' "-" "Mozilla/5.0"\n'
)


def file_input(*specs: FileInputSettings, checkpoints: dict[str, Checkpoint] | None = None,
               start_at: str = "beginning") -> FileInput:
    made = FileInput(specs, checkpoints=checkpoints or {}, start_at=start_at, poll_interval=1.0,
                     tz=HCM, json_mapping=JsonMapping(), clock=SystemClock())
    made.start()
    return made


def test_file_lines_become_events_with_their_checkpoint(tmp_path: Path) -> None:
    auth = tmp_path / "auth.log"
    auth.write_text(
        attack_line(0, "192.0.2.1") + "not a syslog line\n" + attack_line(1, "192.0.2.2")
    )
    source = file_input(FileInputSettings(str(auth), "syslog"))
    batch = source.poll()
    assert [r.source for r in batch.records] == [str(auth)] * 3
    first, bad, last = (r.event for r in batch.records)
    assert bad is None
    assert first is not None and last is not None
    assert (first.program, first.host, first.source, first.line_no, first.offset) == (
        "sshd", "portal", str(auth), 1, 0)
    assert first.time == datetime(2026, 3, 14, 6, 0, 0, tzinfo=HCM)
    assert last.fields == {"pid": "1001"}
    size = auth.stat().st_size
    assert batch.checkpoints[str(auth)].offset == size
    assert batch.more is False
    assert source.poll().records == []
    with open(auth, "a") as handle:
        handle.write(attack_line(2, "192.0.2.3"))
    again = source.poll()
    assert [r.event.line_no for r in again.records if r.event] == [4]
    source.stop()
    assert source.poll() == InputBatch()


def test_a_new_file_input_resumes_at_the_checkpoint(tmp_path: Path) -> None:
    auth = tmp_path / "auth.log"
    auth.write_text("".join(attack_line(i, "192.0.2.1") for i in range(3)))
    first = file_input(FileInputSettings(str(auth), "syslog"))
    checkpoints = first.poll().checkpoints
    first.stop()
    with open(auth, "a") as handle:
        handle.write(attack_line(3, "192.0.2.1"))
    second = file_input(FileInputSettings(str(auth), "syslog"), checkpoints=checkpoints)
    batch = second.poll()
    assert [r.event.line_no for r in batch.records if r.event] == [4]
    second.stop()


def test_start_at_end_skips_what_is_there(tmp_path: Path) -> None:
    auth = tmp_path / "auth.log"
    auth.write_text(attack_line(0, "192.0.2.1"))
    source = file_input(FileInputSettings(str(auth), "syslog"), start_at="end")
    batch = source.poll()
    assert batch.records == []
    assert batch.checkpoints[str(auth)].offset == auth.stat().st_size  # committed at once
    source.stop()


def test_auto_type_is_guessed_per_file_of_a_glob(tmp_path: Path) -> None:
    (tmp_path / "site-access.log").write_text("".join(NGINX.format(s=s) for s in range(3)))
    (tmp_path / "auth.log").write_text(attack_line(0, "192.0.2.1"))
    source = file_input(FileInputSettings(str(tmp_path / "*.log"), "auto"))
    batch = source.poll()
    parsers = {r.source: r.event.parser for r in batch.records if r.event}
    assert parsers == {str(tmp_path / "site-access.log"): "web",
                       str(tmp_path / "auth.log"): "syslog"}
    assert source.info() == {"types": {str(tmp_path / "auth.log"): "syslog",
                                       str(tmp_path / "site-access.log"): "nginx"}}
    source.stop()


def test_undetectable_file_counts_as_malformed_and_warns_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    odd = tmp_path / "odd.log"
    odd.write_text("@@@ one\n@@@ two\n")
    source = file_input(FileInputSettings(str(odd), "auto"))
    assert [r.event for r in source.poll().records] == [None, None]
    with open(odd, "a") as handle:
        handle.write("@@@ three\n")
    assert [r.event for r in source.poll().records] == [None]
    warnings = [r for r in caplog.records if "cannot tell the log format" in r.getMessage()]
    assert len(warnings) == 1
    source.stop()


def test_hostile_64k_line_is_cut_and_parsed_fast(tmp_path: Path) -> None:
    auth = tmp_path / "auth.log"
    hostile = "Mar 14 06:00:01 portal sshd[1]: " + "[" * 70_000 + "\n"
    auth.write_text(hostile + "(" * 200_000 + "\n")
    source = file_input(FileInputSettings(str(auth), "syslog"))
    started = time.monotonic()
    batch = source.poll()
    assert time.monotonic() - started < 1.0
    assert len(batch.records) == 2
    event = batch.records[0].event
    assert event is not None and event.message.endswith("bytes dropped]")
    assert batch.records[1].event is None
    source.stop()


# ------------------------------------------------------------------ syslog


def drain(source: SyslogInput, count: int) -> list:  # type: ignore[type-arg]
    got = []
    until(lambda: (got.extend(source.poll().records), len(got) >= count)[1])
    return got


def test_syslog_host_is_the_header_host_else_the_sender(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs_module, "MAX_SENDERS", 1)
    source = SyslogInput(SyslogSettings("127.0.0.1", 0, 0), tz=HCM, clock=SystemClock())
    source.start()
    try:
        port = source.info()["udp_port"]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"<38>Mar 14 06:00:01 portal sshd[1]: Failed password for root from"
                        b" 192.0.2.9 port 22 ssh2", ("127.0.0.1", port))
            sock.sendto(b"<38>Mar 14 06:00:02 sshd[2]: no host in this one", ("127.0.0.1", port))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
            other.bind(("127.0.0.2", 0))
            other.sendto(b"not syslog at all", ("127.0.0.1", port))
        got = drain(source, 3)
        assert [(r.source, r.event.host if r.event else None) for r in got] == [
            ("syslog+udp://127.0.0.1", "portal"),
            ("syslog+udp://127.0.0.1", "127.0.0.1"),
            ("syslog+other", None),
        ]
        first = got[0].event
        assert (first.program, first.line_no, first.source) == (
            "sshd", 1, "syslog+udp://127.0.0.1")
        assert first.fields == {"pid": "1", "facility": "auth", "severity": "info"}
        info = source.info()
        assert info["received"] == 3 and info["tcp_port"] > 0 and info["bind"] == "127.0.0.1"
    finally:
        source.stop()


# ----------------------------------------------------------------- journald


def journal_line(n: int, message: str) -> str:
    return json.dumps({
        "__CURSOR": f"s=abc;i={n:x};b=def;m=1;t=2;x=3",
        "__REALTIME_TIMESTAMP": str(1773442800_000000 + n),
        "_HOSTNAME": "portal", "SYSLOG_IDENTIFIER": "sshd", "_PID": "811",
        "_SYSTEMD_UNIT": "ssh.service", "PRIORITY": "5", "MESSAGE": message,
    }) + "\n"


def test_journal_record_becomes_a_syslog_event() -> None:
    record = JournalRecord(datetime(2026, 3, 14, tzinfo=UTC), "portal", "sshd", "811",
                           "Failed password", "s=1;i=1f;b=2", "ssh.service", 4)
    assert journal_event(record, "journald:ssh.service") == Event(
        time=datetime(2026, 3, 14, tzinfo=UTC), source="journald:ssh.service", parser="syslog",
        message="Failed password",
        raw="2026-03-14T00:00:00+00:00 portal sshd[811]: Failed password",
        host="portal", program="sshd",
        fields={"pid": "811", "unit": "ssh.service", "severity": "warning"},
        line_no=31, offset=0,
    )


def test_journal_follows_keeps_its_cursor_and_restarts_journalctl(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text(journal_line(1, "old entry"))
    clock = ManualClock(datetime(2026, 3, 14, tzinfo=UTC))
    source = JournalInput(JournaldSettings(("ssh.service",), tmp_path), None, clock=clock,
                          runner=(sys.executable, str(FAKE)))
    source.start()
    try:
        assert until(lambda: (tmp_path / "pid").exists())
        with open(journal, "a") as handle:
            handle.write(journal_line(2, "first") + journal_line(3, "second"))
        got: list = []  # type: ignore[type-arg]
        checkpoints: dict[str, Checkpoint] = {}

        def poll() -> int:
            batch = source.poll()
            got.extend(batch.records)
            checkpoints.update(batch.checkpoints)
            return len(got)

        assert until(lambda: poll() >= 2)
        assert [r.event.message for r in got] == ["first", "second"]
        assert {r.source for r in got} == {"journald:ssh.service"}
        assert checkpoints == {"journald:ssh.service": Checkpoint(
            "journald:ssh.service", 0, 0, 3, "s=abc;i=3;b=def;m=1;t=2;x=3")}
        # journalctl dies: after a pause it runs again from the cursor
        pid = int((tmp_path / "pid").read_text())
        (tmp_path / "pid").unlink()
        os.kill(pid, 9)
        assert until(lambda: (source.poll(), source.info()["running"] is False)[1])
        with open(journal, "a") as handle:
            handle.write(journal_line(4, "while down"))
        source.poll()
        assert not (tmp_path / "pid").exists()  # not yet: the pause has not passed
        clock.advance(1.5)
        source.poll()
        assert until(lambda: (tmp_path / "pid").exists())
        assert json.loads((tmp_path / "argv.json").read_text())[-3:] == [
            "--after-cursor=s=abc;i=3;b=def;m=1;t=2;x=3", "--no-tail", "--unit=ssh.service"]
        assert until(lambda: poll() >= 3)
        assert got[-1].event.message == "while down"
        assert source.info()["restarts"] == 1
    finally:
        source.stop()
