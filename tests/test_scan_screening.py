"""The one-shot scan's screen: syslog lines no rule can want skip their Event;
nothing else changes."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from secmon.builtin import builtin_rules_dir
from secmon.clock import ManualClock
from secmon.parsers.base import ParseContext
from secmon.parsers.syslog import SyslogParser
from secmon.pipeline import detection_record, scan_paths
from secmon.rules.engine import DetectionEngine
from secmon.rules.loader import load_rules

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
REFERENCE = datetime(2026, 3, 20, tzinfo=UTC)
FAIL = "Failed password for root from 203.0.113.9 port {port} ssh2"


def parser() -> SyslogParser:
    return SyslogParser(ParseContext(source="auth.log", tz=HCM, reference_time=REFERENCE))


def never(program: str | None, message: str) -> bool:
    return False


def always(program: str | None, message: str) -> bool:
    return True


@pytest.mark.parametrize(
    "line",
    [
        "Mar 14 06:00:01 portal systemd-logind[1]: New session 7 of user canbo.",
        "Mar  4 23:59:59 portal systemd-logind[1]: Removed session 7.",
        "Mar 14 06:00:01.250 portal kernel: eth0 up",
        "Mar 14 06:00:60 portal kernel: a leap second",
        "Mar 14 06:00:01 sshd[811]: no host name",
        "2026-03-14T06:00:01.123456+07:00 portal sshd[1]: Connection closed by 10.0.0.5",
        "2026-03-14T06:00:01 portal sshd[1]: no zone: the source's",
        "<38>Mar 14 06:00:01 portal sshd[1]: with a priority",
    ],
)
def test_a_screened_line_gives_the_timestamp_of_its_event(line: str) -> None:
    event = parser().parse(line, 3, 40)
    assert event is not None
    screened = parser().parse_screened(line, 3, 40, never)
    assert screened == event.time.timestamp()
    assert screened.__class__ is float


def test_a_wanted_line_gives_the_same_event_as_parse() -> None:
    line = "Mar 14 06:00:01 portal sshd[811]: " + FAIL.format(port=50273)
    assert parser().parse_screened(line, 7, 512, always) == parser().parse(line, 7, 512)


def test_the_screen_sees_program_and_message() -> None:
    seen: list[tuple[str | None, str]] = []

    def record(program: str | None, message: str) -> bool:
        seen.append((program, message))
        return False

    p = parser()
    p.parse_screened("Mar 14 06:00:01 portal sshd[811]: hello there", 1, 0, record)
    p.parse_screened("Mar 14 06:00:02 CRON[9]: (root) CMD (true)", 2, 0, record)
    assert seen == [("sshd", "hello there"), ("CRON", "(root) CMD (true)")]


@pytest.mark.parametrize(
    "line",
    [
        "Mar 14 06:00:61 portal sshd[1]: no such second",
        "Feb 30 06:00:01 portal sshd[1]: no such day",
        "Mar 14 24:00:01 portal sshd[1]: no such hour",
        "not syslog at all",
    ],
)
def test_a_bad_time_is_malformed_whether_screened_or_not(line: str) -> None:
    p = parser()
    p.parse("Mar 14 06:00:01 portal sshd[1]: a good minute first", 1, 0)
    assert p.parse(line, 2, 0) is None
    assert p.parse_screened(line, 2, 0, never) is None


def test_seconds_of_a_cached_minute_are_exact() -> None:
    p = parser()
    for second in (5, 0, 59, 30):
        line = f"Mar 14 06:00:{second:02d} portal sshd[1]: x"
        event = p.parse(line, 1, 0)
        assert event is not None
        assert event.time == datetime(2026, 3, 14, 6, 0, second, tzinfo=HCM)
        assert p.parse_screened(line, 1, 0, never) == event.time.timestamp()


def engine() -> DetectionEngine:
    return DetectionEngine(load_rules([builtin_rules_dir()]))


def test_engine_screen_turns_away_only_what_no_rule_can_match() -> None:
    wanted = engine().screen("syslog")
    assert wanted("sshd", FAIL.format(port=50273)) is True
    assert wanted("sshd", "Received disconnect from 10.0.0.5 port 22:11: disconnected") is False
    assert wanted("sshd", "Connection closed by 10.0.0.5 port 50274") is True  # preauth-disconnect
    assert wanted("systemd-logind", "New session 7 of user canbo.") is False
    assert wanted("CRON", "(root) CMD (true)") is True  # a rule on every CRON line
    assert wanted(None, "no program") is False


def test_skip_moves_event_time_and_says_when_an_absence_rule_is_due() -> None:
    eng = engine()
    p = parser()
    cron = p.parse("Mar 14 06:17:01 portal CRON[1]: (root) CMD (true)", 1, 0)
    assert cron is not None
    assert eng.process(cron) == []
    hour = 3600.0
    assert eng.skip(cron.time.timestamp() + 2 * hour) is False
    assert eng.skip(cron.time.timestamp() + 3 * hour + 1) is True  # system.log-silent is due


def write_log(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = REFERENCE.timestamp()
    os.utime(path, (stamp, stamp))
    return path


def scan(path: Path, screened: bool) -> list[dict[str, object]]:
    result = scan_paths(
        [path],
        engine(),
        type_name="syslog",
        tz=HCM,
        clock=ManualClock(REFERENCE),
        on_event=None if screened else (lambda event, stats: None),  # on_event: no screen
    )
    return [detection_record(d) for d in result.detections] + [
        {"lines": s.lines, "malformed": s.malformed} for s in result.sources
    ]


def test_a_scan_finds_the_same_with_and_without_the_screen(tmp_path: Path) -> None:
    lines = ["Mar 14 06:17:01 portal CRON[9]: (root) CMD (run-parts /etc/cron.hourly)"]
    for minute in range(0, 300, 2):  # five hours of noise, no CRON: the log falls silent
        hour, rest = divmod(minute, 60)
        stamp = f"Mar 14 {6 + hour:02d}:{rest:02d}:3{minute % 10}"
        lines.append(f"{stamp} portal systemd-logind[1]: New session {minute} of user canbo.")
        lines.append(f"{stamp} portal sshd[{minute}]: Received disconnect from 10.0.0.5 port 22:11")
        if minute == 60:  # a brute force in the middle
            lines += [f"{stamp} portal sshd[9]: " + FAIL.format(port=40000 + k) for k in range(25)]
    lines.append("Feb 30 06:00:01 portal sshd[1]: malformed")
    path = write_log(tmp_path / "auth.log", lines)
    plain = scan(path, screened=False)
    fast = scan(path, screened=True)
    assert fast == plain
    rules = [r.get("rule") for r in fast]
    assert "system.log-silent" in rules  # fired on a screened line: its time must be exact
    assert "ssh.brute-force" in rules
    assert fast[-1] == {"lines": len(lines), "malformed": 1}
    silent = next(r for r in fast if r.get("rule") == "system.log-silent")
    assert silent["last_seen"] == "2026-03-14T09:18:38+07:00"  # the first line after 3 h


def test_a_hostile_long_line_is_screened_quickly(tmp_path: Path) -> None:
    line = "Mar 14 06:00:01 portal sshd[1]: " + "Failed password for " * 3300  # 64 KiB
    wanted = engine().screen("syslog")
    assert parser().parse_screened(line, 1, 0, wanted).__class__ is float


def test_detections_merged_along_the_way_equal_those_merged_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scan merges its detections every MERGE_AT (a rule may report on most lines)."""
    lines = []
    for n in range(400):
        stamp = f"Mar 14 {6 + n // 60:02d}:{n % 60:02d}:0{n % 10}"
        ip = f"203.0.113.{n % 7 + 1}"
        accepted = f"Accepted publickey for root from {ip} port 22 ssh2"
        lines.append(f"{stamp} portal sshd[{n}]: {accepted}")
        lines.append(f"{stamp} portal sshd[{n}]: " + FAIL.replace("203.0.113.9", ip).format(port=n))
    path = write_log(tmp_path / "auth.log", lines)
    at_the_end = scan(path, screened=True)
    monkeypatch.setattr("secmon.pipeline.MERGE_AT", 5)
    along_the_way = scan(path, screened=True)
    assert along_the_way == at_the_end
    assert any(r.get("count", 0) > 1 for r in at_the_end)  # stateless reports were merged
