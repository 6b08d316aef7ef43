from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from secmon.parsers.base import ParseContext
from secmon.parsers.syslog import SyslogParser

DATA = Path(__file__).parent / "data" / "parsers"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ICT = timezone(timedelta(hours=7))


def parser(
    reference: datetime = datetime(2026, 3, 15, tzinfo=UTC), tz: object = HCM
) -> SyslogParser:
    return SyslogParser(ParseContext(source="auth.log", tz=tz, reference_time=reference))  # type: ignore[arg-type]


def test_rfc3164_sshd_line_gives_every_field() -> None:
    line = (
        "Mar 14 06:00:01 portal sshd[811]: Failed password for root from 203.0.113.9"
        " port 50273 ssh2"
    )
    event = parser().parse(line, line_no=7, offset=512)
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, tzinfo=HCM)
    assert event.time.utcoffset() == timedelta(hours=7)
    assert event.host == "portal"
    assert event.program == "sshd"
    assert event.message == "Failed password for root from 203.0.113.9 port 50273 ssh2"
    assert dict(event.fields) == {"pid": "811"}
    assert event.parser == "syslog"
    assert event.source == "auth.log"
    assert event.raw == line
    assert (event.line_no, event.offset) == (7, 512)


@pytest.mark.parametrize(
    ("line", "host", "program", "fields", "message"),
    [
        (
            "Mar 14 06:01:00 portal sudo:   canbo : TTY=pts/0 ; PWD=/home/canbo ; USER=root ;"
            " COMMAND=/usr/bin/apt update",
            "portal",
            "sudo",
            {},
            "  canbo : TTY=pts/0 ; PWD=/home/canbo ; USER=root ; COMMAND=/usr/bin/apt update",
        ),
        (
            "Mar 14 06:20:44 mail postfix/smtpd[3120]: warning: unknown[198.51.100.23]:"
            " SASL LOGIN authentication failed: UGFzc3dvcmQ6",
            "mail",
            "postfix/smtpd",
            {"pid": "3120"},
            "warning: unknown[198.51.100.23]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
        ),
        (
            "Mar 14 06:20:45 mail dovecot: imap-login: Disconnected (auth failed, 1 attempts"
            " in 2 secs): user=<vanthu@example.gov.vn>, rip=198.51.100.23",
            "mail",
            "dovecot",
            {},
            "imap-login: Disconnected (auth failed, 1 attempts in 2 secs):"
            " user=<vanthu@example.gov.vn>, rip=198.51.100.23",
        ),
        (
            "Mar 14 06:17:01 portal CRON[2201]: (root) CMD (run-parts --report /etc/cron.hourly)",
            "portal",
            "CRON",
            {"pid": "2201"},
            "(root) CMD (run-parts --report /etc/cron.hourly)",
        ),
        (
            "Mar 14 06:00:00 portal systemd[1]: Started ssh.service - OpenBSD Secure Shell server.",
            "portal",
            "systemd",
            {"pid": "1"},
            "Started ssh.service - OpenBSD Secure Shell server.",
        ),
        (
            "Mar 14 06:21:00 portal kernel: [UFW BLOCK] IN=eth0 SRC=203.0.113.50 DPT=23",
            "portal",
            "kernel",
            {},
            "[UFW BLOCK] IN=eth0 SRC=203.0.113.50 DPT=23",
        ),
        ("Mar 14 06:21:00 portal -- MARK --", "portal", None, {}, "-- MARK --"),
        ("Mar 14 06:21:00 portal", "portal", None, {}, ""),
        ("Mar 14 06:21:00 portal sshd[811]:", "portal", "sshd", {"pid": "811"}, ""),
        # No host name (some embedded senders): the tag takes its place.
        (
            "Mar 14 06:21:00 sshd[811]: Connection closed",
            None,
            "sshd",
            {"pid": "811"},
            "Connection closed",
        ),
        ("Mar 14 06:21:00 kernel: audit: type=1400", None, "kernel", {}, "audit: type=1400"),
    ],
)
def test_rfc3164_programs(
    line: str, host: str | None, program: str | None, fields: dict[str, str], message: str
) -> None:
    event = parser().parse(line)
    assert event is not None
    assert (event.host, event.program, dict(event.fields), event.message) == (
        host,
        program,
        fields,
        message,
    )


def test_single_digit_day_is_space_padded() -> None:
    event = parser().parse("Mar  4 07:02:11 portal systemd[1]: Started session-42.scope.")
    assert event is not None
    assert event.time == datetime(2026, 3, 4, 7, 2, 11, tzinfo=HCM)


def test_pri_prefixed_rfc3164_from_the_network() -> None:
    event = parser().parse("<38>Mar 14 06:00:01 portal sshd[811]: Connection closed by 10.0.0.5")
    assert event is not None
    assert dict(event.fields) == {"pid": "811", "facility": "auth", "severity": "info"}
    assert event.program == "sshd"
    assert event.message == "Connection closed by 10.0.0.5"


@pytest.mark.parametrize(
    ("pri", "facility", "severity"),
    [("0", "kern", "emerg"), ("86", "authpriv", "info"), ("191", "local7", "debug")],
)
def test_pri_names(pri: str, facility: str, severity: str) -> None:
    event = parser().parse(f"<{pri}>Mar 14 06:00:01 portal app: x")
    assert event is not None
    assert (event.fields["facility"], event.fields["severity"]) == (facility, severity)


@pytest.mark.parametrize(
    "line", ["<192>Mar 14 06:00:01 portal app: x", "<x>Mar 14 06:00:01 h a: x"]
)
def test_invalid_pri_is_not_syslog(line: str) -> None:
    assert parser().parse(line) is None


def test_rsyslog_iso_form() -> None:
    line = "2026-03-14T06:00:01.123456+07:00 portal sshd[811]: Invalid user test from 203.0.113.9"
    event = parser().parse(line)
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, 123456, tzinfo=ICT)
    assert event.time.utcoffset() == timedelta(hours=7)
    assert (event.host, event.program, dict(event.fields)) == ("portal", "sshd", {"pid": "811"})
    assert event.message == "Invalid user test from 203.0.113.9"


def test_iso_fractions_zone_forms_and_cache() -> None:
    p = parser()
    times = [
        p.parse(f"{stamp} portal app: x").time  # type: ignore[union-attr]
        for stamp in (
            "2026-03-14T06:00:01.5+07:00",
            "2026-03-14T06:00:01.123456789+07:00",  # nanoseconds: cut to microseconds
            "2026-03-13T23:00:01Z",
            "2026-03-14T06:00:01+0700",
            "2026-03-14T06:00:01",  # no zone: ctx.tz
        )
    ]
    assert times == [
        datetime(2026, 3, 14, 6, 0, 1, 500000, tzinfo=ICT),
        datetime(2026, 3, 14, 6, 0, 1, 123456, tzinfo=ICT),
        datetime(2026, 3, 14, 6, 0, 1, tzinfo=ICT),
        datetime(2026, 3, 14, 6, 0, 1, tzinfo=ICT),
        datetime(2026, 3, 14, 6, 0, 1, tzinfo=ICT),
    ]
    assert times[0].microsecond == 500000 and times[1].microsecond == 123456
    assert all(t.tzinfo is not None for t in times)


def test_rfc5424_with_pri_and_nil_values() -> None:
    line = (
        "<34>1 2026-03-14T06:00:01.003Z portal.example.gov.vn sshd 811 - - "
        "Failed password for root from 203.0.113.9 port 50273 ssh2"
    )
    event = parser().parse(line)
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, 3000, tzinfo=UTC)
    assert (event.host, event.program) == ("portal.example.gov.vn", "sshd")
    assert dict(event.fields) == {"pid": "811", "facility": "auth", "severity": "crit"}
    assert event.message == "Failed password for root from 203.0.113.9 port 50273 ssh2"


def test_rfc5424_structured_data_and_msgid() -> None:
    line = (
        '<165>1 2026-03-14T06:00:02.000+07:00 portal evntslog - ID47 [exampleSDID@32473 iut="3"'
        ' eventSource="Application"][meta x="a \\"q\\" \\] b"] \ufeffAn application event'
    )
    event = parser().parse(line)
    assert event is not None
    assert event.program == "evntslog"
    assert dict(event.fields) == {
        "msgid": "ID47",
        "sd": '[exampleSDID@32473 iut="3" eventSource="Application"][meta x="a \\"q\\" \\] b"]',
        "facility": "local4",
        "severity": "notice",
    }
    assert event.message == "An application event"  # the BOM is dropped


def test_rfc5424_without_pri_and_all_nil() -> None:
    reference = datetime(2026, 3, 15, tzinfo=UTC)
    event = parser(reference).parse("1 - - - - - -")
    assert event is not None
    assert (event.time, event.host, event.program, dict(event.fields), event.message) == (
        reference,
        None,
        None,
        {},
        "",
    )


def test_sample_files_parse_completely() -> None:
    for name in ("auth.log", "syslog-iso.log", "syslog-5424.log"):
        p = parser()
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        assert [line for line in lines if p.parse(line) is None] == [], name


@pytest.mark.parametrize(
    "line",
    [
        "",
        "hello world",
        "Mar 14 06:00 portal sshd: short time",
        "Foo 14 06:00:01 portal sshd: bad month",
        "Feb 30 06:00:01 portal sshd: no such day",
        "Mar 14 25:00:01 portal sshd: bad hour",
        "2026-13-14T06:00:01Z portal sshd: bad month",
        '203.0.113.9 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1 "-" "-"',
        '{"time": "2026-03-14T06:00:01Z"}',
        "2026/03/14 06:00:01 [error] 1#1: x",
        "<34>1 2026-03-14T06:00:01Z host app - - [unclosed sd",
    ],
)
def test_other_lines_are_not_syslog(line: str) -> None:
    assert parser().parse(line) is None


# --- the year of RFC 3164 times -------------------------------------------------


def test_year_comes_from_the_reference_time() -> None:
    event = parser(datetime(2024, 6, 1, tzinfo=UTC)).parse("Mar 14 06:00:01 h app: x")
    assert event is not None and event.time.year == 2024


def test_december_lines_read_in_january_belong_to_last_year() -> None:
    p = parser(datetime(2027, 1, 2, 3, 0, tzinfo=UTC))
    lines = [
        "Dec 31 23:59:58 portal sshd[1]: a",
        "Dec 31 23:59:59 portal sshd[1]: b",
        "Jan  1 00:00:00 portal sshd[1]: c",
        "Jan  2 09:00:00 portal sshd[1]: d",
    ]
    times = [p.parse(line).time for line in lines]  # type: ignore[union-attr]
    assert times == [
        datetime(2026, 12, 31, 23, 59, 58, tzinfo=HCM),
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=HCM),
        datetime(2027, 1, 1, 0, 0, 0, tzinfo=HCM),
        datetime(2027, 1, 2, 9, 0, 0, tzinfo=HCM),
    ]


def test_a_line_up_to_one_day_after_the_reference_keeps_its_year() -> None:
    reference = datetime(2026, 3, 14, 0, 0, tzinfo=UTC)  # 07:00 in Hanoi
    assert parser(reference).parse("Mar 15 06:59:59 h a: x").time.year == 2026  # type: ignore[union-attr]
    assert parser(reference).parse("Mar 15 07:00:01 h a: x").time.year == 2025  # type: ignore[union-attr]


def test_live_source_rolls_into_the_new_year() -> None:
    # A daemon started in December keeps its reference time; the log goes on.
    p = parser(datetime(2026, 12, 20, tzinfo=UTC))
    assert p.parse("Dec 20 07:00:01 h a: x").time.year == 2026  # type: ignore[union-attr]
    assert p.parse("Dec 31 23:59:59 h a: x").time.year == 2026  # type: ignore[union-attr]
    assert p.parse("Jan  1 00:00:01 h a: x").time == datetime(2027, 1, 1, 0, 0, 1, tzinfo=HCM)  # type: ignore[union-attr]
    assert p.parse("Mar 14 06:00:01 h a: x").time.year == 2027  # type: ignore[union-attr]


def test_stray_line_from_last_year_among_this_years_lines() -> None:
    p = parser(datetime(2026, 3, 15, tzinfo=UTC))
    assert p.parse("Mar 14 06:00:01 h a: x").time.year == 2026  # type: ignore[union-attr]
    assert p.parse("Dec 30 06:00:01 h a: x").time.year == 2025  # type: ignore[union-attr]
    assert p.parse("Mar 14 06:00:02 h a: x").time.year == 2026  # type: ignore[union-attr]


def test_february_29_outside_a_leap_year_takes_the_last_leap_year() -> None:
    p = parser(datetime(2027, 3, 1, tzinfo=UTC))
    event = p.parse("Feb 29 12:00:00 h a: x")
    assert event is not None
    assert event.time == datetime(2024, 2, 29, 12, 0, tzinfo=HCM)
    # ... for that line only: the next lines keep the year.
    assert p.parse("Mar  1 12:00:00 h a: x").time.year == 2027  # type: ignore[union-attr]


# --- time zones and daylight-saving time ---------------------------------------


def test_dst_offsets_follow_the_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    p = parser(datetime(2026, 12, 31, tzinfo=UTC), tz=berlin)
    winter = p.parse("Mar 14 06:00:01 h a: x")
    summer = p.parse("Jul 14 06:00:01 h a: x")
    assert winter is not None and summer is not None
    assert winter.time.utcoffset() == timedelta(hours=1)
    assert summer.time.utcoffset() == timedelta(hours=2)


def test_repeated_hour_at_the_end_of_dst_is_read_in_order() -> None:
    # Europe/Berlin, 25 Oct 2026: 03:00 CEST -> 02:00 CET; 02:00-02:59 happens twice.
    berlin = ZoneInfo("Europe/Berlin")
    p = parser(datetime(2026, 12, 31, tzinfo=UTC), tz=berlin)
    lines = [
        "Oct 25 02:30:00 h a: first pass",
        "Oct 25 02:59:59 h a: first pass",
        "Oct 25 02:10:00 h a: second pass",
        "Oct 25 02:30:00 h a: second pass",
        "Oct 25 03:00:00 h a: after",
    ]
    utc = [p.parse(line).time.astimezone(UTC) for line in lines]  # type: ignore[union-attr]
    assert utc == [
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 10, tzinfo=UTC),
        datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
    ]


def test_iso_time_without_zone_uses_dst_of_the_zone() -> None:
    p = parser(tz=ZoneInfo("America/New_York"))
    event = p.parse("2026-07-04T12:00:00 host app: x")
    assert event is not None
    assert event.time.utcoffset() == timedelta(hours=-4)


def test_utc_context() -> None:
    event = parser(tz=UTC).parse("Mar 14 06:00:01 h a: x")
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, tzinfo=UTC)


def test_fractional_seconds_on_rfc3164() -> None:
    event = parser().parse("Mar 14 06:00:01.250 h a: x")
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, 250000, tzinfo=HCM)


@pytest.mark.parametrize(
    "line",
    [
        "Mar 14 06:00:04 portal sshd[815]: message repeated 3 times: [ Failed password for root"
        " from 203.0.113.9 port 50273 ssh2]",
        "2026-03-14T06:00:04.123456+07:00 portal sshd[815]: message repeated 3 times: [ Failed"
        " password for root from 203.0.113.9 port 50273 ssh2]",
        "<38>1 2026-03-14T06:00:04+07:00 portal sshd 815 - - message repeated 3 times: [ Failed"
        " password for root from 203.0.113.9 port 50273 ssh2]",
    ],
)
def test_rsyslog_repeated_message_is_unwrapped_with_its_count(line: str) -> None:
    event = parser().parse(line)
    assert event is not None
    assert event.message == "Failed password for root from 203.0.113.9 port 50273 ssh2"
    assert event.fields["repeat"] == 3
    assert event.raw == line


def test_a_message_only_looking_repeated_is_left_alone() -> None:
    line = "Mar 14 06:00:04 portal app[1]: message repeated often: [ not rsyslog"
    event = parser().parse(line)
    assert event is not None
    assert event.message == "message repeated often: [ not rsyslog"
    assert "repeat" not in event.fields
