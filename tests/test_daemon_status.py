"""The daemon's status: counters committed with the checkpoints, read back by `secmon status`."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from secmon.daemon.inputs import InputRecord
from secmon.daemon.status import (
    DaemonStatus,
    SourceStatus,
    StatusBook,
    read_status,
    render_status,
    status_entry,
    status_record,
)
from secmon.events import Checkpoint, Event

NOW = datetime(2026, 3, 14, 6, 0, 0, tzinfo=UTC)


def event(seconds: int) -> Event:
    return Event(NOW + timedelta(seconds=seconds), "/var/log/auth.log", "syslog", "m", "m")


def records(source: str, *times: int | None) -> list[InputRecord]:
    return [InputRecord(source, None if t is None else event(t)) for t in times]


def test_counts_become_committed_only_when_accepted() -> None:
    book = StatusBook()
    assert book.count("files", records("/a", 5, None, 3), NOW) == 3
    assert book.committed == {}
    merged = book.merged()
    assert book.committed == {}
    book.accept(merged)
    book.count("files", records("/a", 9) + records("/b", None), NOW + timedelta(seconds=1))
    assert book.sources() == {
        "/a": {"input": "files", "lines": 3, "malformed": 1,
               "last_event_time": "2026-03-14T06:00:05+00:00",
               "last_read_at": "2026-03-14T06:00:00+00:00"},
    }
    book.accept(book.merged())
    assert book.sources() == {
        "/a": {"input": "files", "lines": 4, "malformed": 1,
               "last_event_time": "2026-03-14T06:00:09+00:00",
               "last_read_at": "2026-03-14T06:00:01+00:00"},
        "/b": {"input": "files", "lines": 1, "malformed": 1, "last_event_time": None,
               "last_read_at": "2026-03-14T06:00:01+00:00"},
    }


def test_a_failed_commit_keeps_the_pending_counts() -> None:
    book = StatusBook()
    book.count("files", records("/a", 1, 2), NOW)
    book.merged()  # the commit using it failed: nothing accepted
    book.count("files", records("/a", 3), NOW)
    book.accept(book.merged())
    assert book.committed["/a"].lines == 3


def test_the_status_entry_round_trips_the_counters() -> None:
    book = StatusBook()
    book.count("syslog", records("syslog+udp://10.0.0.5", 1, None), NOW)
    book.accept(book.merged())
    text = status_entry(
        book, state="running", pid=42, started_at=NOW, now=NOW + timedelta(seconds=5),
        config="/etc/secmon/secmon.yaml", inputs={"syslog": {"udp_port": 5514}}, rules=3,
        engine_keys={"t.brute": 1}, counters={"commits": 2}, last_reload=None,
    )
    data = json.loads(text)
    assert data == {
        "version": 1, "state": "running", "pid": 42,
        "started_at": "2026-03-14T06:00:00+00:00", "heartbeat_at": "2026-03-14T06:00:05+00:00",
        "config": "/etc/secmon/secmon.yaml", "rules": 3, "engine_keys": {"t.brute": 1},
        "sources": {"syslog+udp://10.0.0.5": {
            "input": "syslog", "lines": 2, "malformed": 1,
            "last_event_time": "2026-03-14T06:00:01+00:00",
            "last_read_at": "2026-03-14T06:00:00+00:00"}},
        "inputs": {"syslog": {"udp_port": 5514}}, "counters": {"commits": 2},
        "last_reload": None,
    }
    again = StatusBook()
    again.restore(data)
    assert again.sources() == book.sources()


def entry(state: str, heartbeat: datetime, sources: dict[str, dict[str, object]]) -> str:
    return json.dumps({"version": 1, "state": state, "pid": 7, "started_at": NOW.isoformat(),
                       "heartbeat_at": heartbeat.isoformat(), "sources": sources,
                       "inputs": {}, "last_reload": None})


def test_lag_is_file_size_minus_committed_offset(tmp_path: Path) -> None:
    log = tmp_path / "auth.log"
    log.write_bytes(b"x" * 1000)
    info = os.stat(log)
    rotated = tmp_path / "access.log"
    rotated.write_bytes(b"y" * 300)
    checkpoints = {
        str(log): Checkpoint(str(log), info.st_dev, info.st_ino, 640, "f"),
        str(rotated): Checkpoint(str(rotated), info.st_dev, info.st_ino + 999_999, 50, "f"),
        str(tmp_path / "gone.log"): Checkpoint(str(tmp_path / "gone.log"), 1, 2, 3, "f"),
        "journald:ssh.service": Checkpoint("journald:ssh.service", 0, 0, 12, "s=1;i=c"),
    }
    sources = {
        str(log): {"input": "files", "lines": 10, "malformed": 2,
                   "last_event_time": (NOW - timedelta(minutes=1)).isoformat(),
                   "last_read_at": (NOW - timedelta(seconds=30)).isoformat()},
        "journald:ssh.service": {"input": "journald", "lines": 12, "malformed": 0,
                                 "last_event_time": None, "last_read_at": None},
    }
    status = read_status(entry("running", NOW - timedelta(seconds=3), sources), checkpoints,
                         {"high": 1, "low": 2}, NOW, outbox=(0, 1))
    assert status.state == "running" and status.heartbeat_age == 3.0
    assert status.sources == (
        SourceStatus(str(rotated), "files", 0, 0, None, None, 300, "rotated"),
        SourceStatus(str(log), "files", 10, 2, NOW - timedelta(minutes=1), 30.0, 360, ""),
        SourceStatus(str(tmp_path / "gone.log"), "files", 0, 0, None, None, None, "missing"),
        SourceStatus("journald:ssh.service", "journald", 12, 0, None, None, None, ""),
    )
    record = status_record(status)
    assert record["sources"][1]["lag_bytes"] == 360
    assert record["outbox"] == {"pending": 0, "failed": 1}


def test_states() -> None:
    assert read_status(None, {}, {}, NOW).state == "never"
    assert read_status(entry("running", NOW - timedelta(seconds=21), {}), {}, {}, NOW).state \
        == "silent"
    assert read_status(entry("running", NOW - timedelta(seconds=19), {}), {}, {}, NOW).state \
        == "running"
    assert read_status(entry("stopped", NOW - timedelta(days=2), {}), {}, {}, NOW).state \
        == "stopped"
    assert read_status("not json", {}, {}, NOW).state == "never"


def test_render_in_english_and_vietnamese() -> None:
    status = DaemonStatus(
        state="running", pid=4242, started_at=NOW - timedelta(hours=1),
        heartbeat_at=NOW - timedelta(seconds=2), heartbeat_age=2.0,
        sources=(
            SourceStatus("/var/log/auth.log", "files", 1200, 3, NOW - timedelta(seconds=40),
                         40.0, 0, ""),
            SourceStatus("/var/log/nginx/access.log", "files", 99, 0, None, 7300.0, 512,
                         "rotated"),
        ),
        inputs={"syslog": {"bind": "0.0.0.0", "udp_port": 5514, "tcp_port": None,
                           "received": 10, "dropped_queue_full": 0, "denied_datagrams": 2,
                           "denied_connections": 1}},
        open_by_severity={"info": 0, "low": 2, "medium": 0, "high": 1, "critical": 0},
        outbox=(1, 0),
        last_reload={"at": (NOW - timedelta(minutes=5)).isoformat(), "ok": False,
                     "errors": ["/etc/secmon/secmon.yaml:3:1: unknown key 'x'"]},
    )
    assert render_status(status, "en", UTC, "/var/lib/secmon/secmon.db") == "\n".join([
        "secmon run: running (pid 4242, since 2026-03-14 05:00:00, last heartbeat 2 s ago)",
        "The config reload at 2026-03-14 05:55:00 was refused (the old config keeps running):",
        "  /etc/secmon/secmon.yaml:3:1: unknown key 'x'",
        "",
        "Source                     Input  Lines read  Malformed  Behind (bytes)"
        "  Last event           Quiet for",
        "-------------------------  -----  ----------  ---------  --------------"
        "  -------------------  ---------",
        "/var/log/auth.log          files  1200        3          0             "
        "  2026-03-14 05:59:20  40 s",
        "/var/log/nginx/access.log  files  99          0          512 (rotated) "
        "  -                    2 h",
        "Syslog receiver 0.0.0.0 (udp 5514, tcp -): received 10, dropped (queue full) 0, denied 3",
        "",
        "Open incidents: 3 (critical 0, high 1, medium 0, low 2, info 0)",
        "Alerts waiting: 1, failed: 0",
    ])
    vietnamese = render_status(status, "vi", UTC, "db")
    assert vietnamese.splitlines()[0] == (
        "secmon run: đang chạy (pid 4242, từ 2026-03-14 05:00:00, nhịp gần nhất 2 giây trước)"
    )
    assert "Sự cố đang mở: 3 (nghiêm trọng 0, cao 1, trung bình 0, thấp 2, thông tin 0)" \
        in vietnamese


def test_render_never_and_stopped() -> None:
    assert render_status(DaemonStatus("never"), "en", UTC, "/x.db").splitlines()[:3] == [
        "secmon run: has never run with the database /x.db",
        "",
        "No input read yet.",
    ]
    stopped = DaemonStatus("stopped", heartbeat_at=NOW)
    assert render_status(stopped, "en", UTC, "/x.db").splitlines()[0] == (
        "secmon run: stopped at 2026-03-14 06:00:00"
    )
