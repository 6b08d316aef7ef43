"""The registry, fast Event construction, and what every parser must survive."""

from __future__ import annotations

import dataclasses
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secmon.errors import SecmonError
from secmon.events import Event
from secmon.parsers.access import WebAccessParser
from secmon.parsers.base import _EVENT_FIELDS, ParseContext, new_event
from secmon.parsers.registry import PARSER_TYPES, make_parser

DATA = Path(__file__).parent / "data" / "parsers"
CTX = ParseContext(source="s", tz=UTC, reference_time=datetime(2026, 3, 15, tzinfo=UTC))
KIB = 1024


def test_known_types() -> None:
    assert sorted(PARSER_TYPES) == [
        "apache",
        "apache-error",
        "fim",
        "json",
        "nginx",
        "nginx-error",
        "syslog",
    ]
    assert issubclass(PARSER_TYPES["nginx"], WebAccessParser)
    assert issubclass(PARSER_TYPES["apache"], WebAccessParser)


@pytest.mark.parametrize(
    ("type_name", "event_parser"),
    [
        ("syslog", "syslog"),
        ("nginx", "web"),
        ("apache", "web"),
        ("nginx-error", "nginx-error"),
        ("apache-error", "apache-error"),
        ("json", "json"),
        ("fim", "fim"),
    ],
)
def test_make_parser_gives_a_fresh_parser_of_the_type(type_name: str, event_parser: str) -> None:
    first = make_parser(type_name, CTX)
    assert first.type_name == type_name
    assert first is not make_parser(type_name, CTX)
    line = {
        "syslog": "Mar 14 06:00:01 portal sshd[811]: x",
        "nginx": '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1',
        "apache": '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1',
        "nginx-error": "2026/03/14 06:00:01 [error] 1#1: x",
        "apache-error": "[Sat Mar 14 06:00:01 2026] [error] x",
        "json": '{"time": 1773442801}',
        "fim": '{"time": "2026-03-14T06:00:01+07:00", "root": "/srv/www", "path": "/srv/www/a.php",'
        ' "change": "created"}',
    }[type_name]
    event = first.parse(line)
    assert event is not None and event.parser == event_parser


def test_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(SecmonError) as caught:
        make_parser("iis", CTX)
    assert str(caught.value) == (
        "unknown log type 'iis'; known types: "
        "apache, apache-error, fim, json, nginx, nginx-error, syslog"
    )


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        PARSER_TYPES["x"] = object  # type: ignore[index]


def test_new_event_sets_every_field_of_event() -> None:
    assert _EVENT_FIELDS == tuple(f.name for f in dataclasses.fields(Event))
    assert not hasattr(Event, "__post_init__")
    when = datetime(2026, 3, 14, tzinfo=UTC)
    args = (when, "src", "web", "msg", "raw", "host", "prog", {"a": 1}, 3, 4)
    fast = new_event(*args)
    assert fast == Event(*args)
    assert type(fast) is Event
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.host = "other"  # type: ignore[misc]


# --- hostile input: every parser, every hostile line, finishing fast ----------------

HOSTILE_LINES = [
    "a" * 64 * KIB,
    " " * 64 * KIB,
    "%" * 64 * KIB,
    "%25" * (20 * KIB),
    "\\" * 64 * KIB,
    '"' * 64 * KIB,
    "[" * 64 * KIB,
    "{" * 64 * KIB,
    '{"a":' * (12 * KIB),
    "<1>" + "1 " * (32 * KIB),
    "Mar 14 06:00:01 " + "a" * 64 * KIB,
    "Mar 14 06:00:01 host " + "x[" * (32 * KIB),
    "Mar 14 06:00:01 host " + "p[" + "1" * 64 * KIB,
    "2026-03-14T06:00:01Z host " + ":" * 64 * KIB,
    "<34>1 2026-03-14T06:00:01Z h a p m [" + 'x="' + "\\" * 64 * KIB,
    "<34>1 2026-03-14T06:00:01Z h a p m " + '[x a="1"]' * (7 * KIB) + "[",
    "a " * (32 * KIB) + "[",
    "1.2.3.4 " * (8 * KIB),
    '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "' + '\\"' * (32 * KIB),
    '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET /' + "%u" * (32 * KIB) + ' HTTP/1.1" 200 1',
    '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET /?' + "%2525" * (12 * KIB) + ' HTTP/1.1" 200 1',
    '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1 "-" "-"'
    + ' "x" 1' * (10 * KIB),
    '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1 "' + "\\x" * (32 * KIB),
    "2026/03/14 06:00:01 [error] 1#1: *1 " + ", client: 1.1.1.1, server: x" * (2 * KIB),
    '2026/03/14 06:00:01 [error] 1#1: *1 x, client: 1.1.1.1, server: x, request: "'
    + "\\" * 64 * KIB,
    "[Sat Mar 14 06:00:01 2026] [error] " + ", referer: " * (6 * KIB),
    "[Sat Mar 14 06:00:01 2026] [" + "a:" * (32 * KIB),
    "\x00\ufffd\u202e" * (20 * KIB),
    # Huge numbers where numbers are expected (int() refuses over 4300 digits).
    "2026/03/14 06:00:01 [error] " + "1" * 5000 + "#1: x",
    '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 ' + "9" * 5000,
    "<" + "1" * 5000 + ">Mar 14 06:00:01 h a: x",
    "[Sat Mar 14 06:00:01 2026] [error] [pid " + "1" * 5000 + "] x",
    '{"time": ' + "1" * 5000 + "}",
]


@pytest.mark.parametrize("type_name", sorted(PARSER_TYPES))
def test_hostile_64k_lines_finish_quickly(type_name: str) -> None:
    parser = make_parser(type_name, CTX)
    slowest = 0.0
    for line in HOSTILE_LINES:
        started = time.perf_counter()
        parser.parse(line)  # an Event or None; never an exception
        slowest = max(slowest, time.perf_counter() - started)
    # Linear work on 64 KiB takes milliseconds; backtracking would take minutes.
    assert slowest < 0.5


def _mutations(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    samples = [
        line
        for name in sorted(p.name for p in DATA.iterdir() if p.suffix in (".log", ".jsonl"))
        for line in (DATA / name).read_text(encoding="utf-8").splitlines()
    ]
    alphabet = ' "[]{}:<>\\%x01-.,#*/\ufffdđ\t²٣'
    out = []
    for _ in range(count):
        chars = list(rng.choice(samples))
        for _ in range(rng.randint(1, 6)):
            where = rng.randrange(len(chars) + 1)
            action = rng.random()
            if action < 0.4 and chars:
                del chars[min(where, len(chars) - 1)]
            elif action < 0.8:
                chars.insert(where, rng.choice(alphabet))
            else:
                chars[where:] = chars[where:][::-1]
        out.append("".join(chars))
    return out


@pytest.mark.parametrize("type_name", sorted(PARSER_TYPES))
def test_mangled_lines_never_raise(type_name: str) -> None:
    parser = make_parser(type_name, CTX)
    # parse() also catches ValueError as a last defence; _parse must not need it.
    parse = parser._parse  # type: ignore[attr-defined]
    parsed = 0
    for line in _mutations(seed=20260314, count=1500) + HOSTILE_LINES:
        event = parse(line, 0, 0)
        if event is not None:
            parsed += 1
            assert event.raw == line
            assert event.time.tzinfo is not None
    assert parsed > 0  # some mangled lines still parse: the test reaches deep code


def test_long_valid_lines_parse_whole() -> None:
    # read_lines cuts at 64 KiB, but a parser handed a longer line still copes.
    long_message = "x" * (200 * KIB)
    syslog = make_parser("syslog", CTX).parse(f"Mar 14 06:00:01 portal app[1]: {long_message}")
    assert syslog is not None and syslog.message == long_message
    path = "/" + "a%41" * (50 * KIB)
    access = make_parser("nginx", CTX).parse(
        f'1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET {path} HTTP/1.1" 414 0 "-" "-"'
    )
    assert access is not None
    assert access.fields["path_decoded"] == "/" + "aa" * (50 * KIB)
