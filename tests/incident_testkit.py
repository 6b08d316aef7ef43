"""Builders shared by the tests of secmon.incidents (not a test module)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from secmon.events import Detection, Event

T0 = datetime(2026, 3, 14, 6, 0, 0, tzinfo=UTC)
AUTH_LOG = "/var/log/auth.log"
TITLE = {"vi": "Tấn công dò mật khẩu SSH", "en": "SSH brute force"}


def event(n: int, at: datetime = T0, source: str = AUTH_LOG, host: str = "portal") -> Event:
    raw = f"Mar 14 06:00:00 {host} sshd[811]: Failed password for root from 203.0.113.9 #{n}"
    return Event(
        time=at,
        source=source,
        parser="syslog",
        message=raw,
        raw=raw,
        host=host,
        program="sshd",
        line_no=n,
        offset=n * 100,
    )


def detection(
    *,
    rule: str = "ssh.brute-force",
    category: str = "brute-force",
    severity: str = "high",
    ip: str = "203.0.113.9",
    count: int = 10,
    first: datetime = T0,
    last: datetime | None = None,
    lines: int = 2,
    first_line: int = 1,
    source: str = AUTH_LOG,
    host: str = "portal",
    title: dict[str, str] | None = None,
    playbook: str | None = "brute-force",
) -> Detection:
    last = last or first
    evidence = tuple(
        event(first_line + i, first + (last - first) * i / max(1, lines - 1), source, host)
        for i in range(lines)
    )
    return Detection(
        rule_id=rule,
        title=title or TITLE,
        category=category,
        severity=severity,
        tags=("attack.t1110",),
        key=(("src_ip", ip),),
        count=count,
        first_seen=first,
        last_seen=last,
        evidence=evidence,
        source=source,
        playbook=playbook,
    )


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
