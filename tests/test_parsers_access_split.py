"""The access parser's fast paths give exactly what the regex path gives."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from secmon.parsers.access import (
    _ACCESS,  # the definition of the format, which the fast split must agree with
    WebAccessParser,
    _extras,
    split_access_line,
)
from secmon.parsers.base import ParseContext, parse_clf_time

ICT = timezone(timedelta(hours=7))
STAMP = "[14/Mar/2026:06:00:01 +0700]"
REQ = '"GET /a?b=1 HTTP/1.1"'


def parser() -> WebAccessParser:
    ctx = ParseContext(
        source="access.log", tz=UTC, reference_time=datetime(2026, 3, 15, tzinfo=UTC)
    )
    return WebAccessParser(ctx)


def regex_groups(line: str) -> tuple[object, ...] | None:
    m = _ACCESS.match(line)
    return None if m is None else (*m.group(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), m.end())


# Lines of the usual shape: the fast split must take them (and agree with the regex).
FAST_LINES = [
    f'1.2.3.4 - - {STAMP} {REQ} 200 512 "-" "curl/8.5.0"',
    f'portal.example.gov.vn:443 1.2.3.4 - bob {STAMP} {REQ} 404 - "http://r/" "ua x"',
    f"1.2.3.4 - - {STAMP} {REQ} 200 512",  # common format
    f"1.2.3.4 - - {STAMP} {REQ} 200 512 ",  # trailing space: the match ends after the size
    f'1.2.3.4 - - {STAMP} {REQ} 200 512 "-" "ua" "198.51.100.7" 0.123',
    f'1.2.3.4 - - {STAMP} {REQ} 200 512 rt=0.5 "x"',
    f'1.2.3.4 - - {STAMP} "" 400 0 "-" "-"',
    f'1.2.3.4 - - {STAMP} "\x16\x03\x01 junk" 400 157 "-" "-"',
    f'1.2.3.4 - - {STAMP} {REQ} 200 {"9" * 20} "-" "-"',
    '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 512 "-" "-" "-"',
]

# Odd lines: the fast split declines and the regex decides.
SLOW_LINES = [
    f'1.2.3.4 - - {STAMP} "GET /\\"x HTTP/1.1" 200 512 "-" "-"',  # escaped quote
    f'1.2.3.4 - - {STAMP} {REQ} 200 512 "-" "a\\"b"',
    f"1.2.3.4\t- - {STAMP} {REQ} 200 512",  # tab ends a \S field
    f"1.2.3.4  - - {STAMP} {REQ} 200 512",  # empty field
    f"a b c d e {STAMP} {REQ} 200 512",
    f"- - {STAMP} {REQ} 200 512",
    f"1.2.3.4 - - {STAMP} {REQ} 2000 512",
    f"1.2.3.4 - - {STAMP} {REQ} 200 512abc",
    f"1.2.3.4 - - {STAMP} {REQ} 200 -x",
    f"1.2.3.4 - - {STAMP} {REQ} 200 {'9' * 21}",
    f"1.2.3.4 - - {STAMP} {REQ} 200 ٥١٢",  # non-ASCII digits are not \d here
    f"1.2.3.4 - - {STAMP} {REQ} ٢٠٠ 512",
    f'1.2.3.4 - - {STAMP} {REQ} 200 512 "-"',  # referer without user agent
    f'1.2.3.4 - - {STAMP} {REQ} 200 512 "-" "ua',
    f"1.2.3.4 - - [14/Mar/2026:06:00:01] {REQ} 200 512",
    f"1.2.3.4 - - [14/Mar/2026:06:00:01x+0700] {REQ} 200 512",
    # The time's first half could be the user of a vhost line: the regex tries that first.
    f"a b c [x [14/Mar/2026:06:00:01 +0700] {REQ} 200 512",
    f"a b c [14/Mar/2026:06:00:01 [0700] {REQ} 200 512",
    f"1.2.3.4 - - {STAMP} {REQ}",
    f"1.2.3.4 - - {STAMP} {REQ}200 512",
    f"1.2.3.4 - - {STAMP} GET 200 512",
    f"1.2.3.4 - - {STAMP}",
    "no brackets at all",
    "",
]


@pytest.mark.parametrize("line", FAST_LINES)
def test_fast_split_takes_usual_lines_and_agrees(line: str) -> None:
    got = split_access_line(line)
    assert got is not None
    assert got == regex_groups(line)


@pytest.mark.parametrize("line", SLOW_LINES)
def test_fast_split_leaves_odd_lines_to_the_regex(line: str) -> None:
    assert split_access_line(line) is None


def test_vhost_line_fields() -> None:
    line = FAST_LINES[1]
    assert split_access_line(line) == (
        "portal.example.gov.vn:443", "1.2.3.4", "-", "bob", STAMP[1:-1], REQ[1:-1],
        "404", "-", "http://r/", "ua x", len(line),
    )  # fmt: skip
    event = parser().parse(line)
    assert event is not None
    assert (event.fields["vhost"], event.fields["port"], event.fields["bytes"]) == (
        "portal.example.gov.vn",
        443,
        0,
    )


def test_trailing_space_ends_the_match_after_the_size() -> None:
    line = FAST_LINES[3]
    got = split_access_line(line)
    assert got is not None
    assert got[8:] == (None, None, len(line) - 1)


def test_escaped_line_still_parses_through_the_regex() -> None:
    event = parser().parse(SLOW_LINES[0])
    assert event is not None
    assert (event.fields["uri"], event.fields["path_decoded"]) == ('/\\"x', '/"x')


def test_time_by_minute_equals_the_full_conversion() -> None:
    p = parser()
    stamps = [
        "14/Mar/2026:06:00:01 +0700",
        "14/Mar/2026:06:00:59 +0700",
        "14/Mar/2026:06:00:00 +0700",
        "14/Mar/2026:06:00: 7 +0700",  # int() takes " 7"; so did the full conversion
        "14/Mar/2026:06:01:30 -0330",
        "14/Mar/2026:06:01:30 +0000",
    ]
    for stamp in stamps:
        event = p.parse(f"1.2.3.4 - - [{stamp}] {REQ} 200 512")
        assert event is not None
        expected = parse_clf_time(stamp)
        assert expected is not None
        assert (event.time, event.time.utcoffset()) == (expected, expected.utcoffset())
        assert repr(event.time) == repr(expected)
    event = p.parse(f"1.2.3.4 - - [14/Mar/2026:06:00:07 +0700] {REQ} 200 1")
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 7, tzinfo=ICT)
    for bad in (
        "14/Mar/2026:06:00:60 +0700",
        "14/Mar/2026:06:00:99 +0700",
        "31/Feb/2026:06:00:01 +0700",
    ):
        assert p.parse(f"1.2.3.4 - - [{bad}] {REQ} 200 512") is None


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (' "-"', (None, None)),
        (' ""', (None, None)),
        (' "198.51.100.7, 10.0.0.1"', ("198.51.100.7, 10.0.0.1", None)),
        (' "0.123"', (None, 0.123)),
        (' "rt=2"', (None, 2.0)),
        (' "a\\"', (None, None)),  # not a closed quoted field: a bare token, not an XFF
        (' "', (None, None)),
        (' "x" 0.5', ("x", 0.5)),
    ],
)
def test_extras_single_quoted_field(tail: str, expected: tuple[str | None, float | None]) -> None:
    line = f"1.2.3.4 - - {STAMP} {REQ} 200 512" + tail
    assert _extras(line, len(line) - len(tail)) == expected


def test_hostile_64k_lines_are_fast_and_exact() -> None:
    filler = "A" * 65536
    backslashes = "\\" * 65536
    quoted_tail = '"x" ' * 16384
    lines = [
        f"{filler} - - {STAMP} {REQ} 200 512",
        f'1.2.3.4 - - {STAMP} "{filler}" 200 512 "-" "{filler}"',
        f'1.2.3.4 - - {STAMP} "{backslashes}" 200 512',
        f"{'a ' * 32768} {STAMP}",
        f"1.2.3.4 - - {STAMP} {REQ} 200 512 {quoted_tail}",
        "[" * 65536,
        " [" * 32768,
    ]
    p = parser()
    started = time.process_time()
    results = [p.parse(line) for line in lines]
    assert time.process_time() - started < 1.0
    for line in lines:
        got = split_access_line(line)
        assert got is None or got == regex_groups(line)
    assert [r is not None for r in results] == [True, True, True, False, True, False, False]
    assert results[1] is not None
    assert results[1].fields["user_agent"] == filler
