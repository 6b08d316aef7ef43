from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from secmon.parsers.base import JsonMapping, ParseContext
from secmon.parsers.jsonlines import JsonLinesParser, parse_time_value

DATA = Path(__file__).parent / "data" / "parsers"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
ICT = timezone(timedelta(hours=7))


def parser(mapping: JsonMapping | None = None) -> JsonLinesParser:
    return JsonLinesParser(
        ParseContext(
            source="app.jsonl",
            tz=HCM,
            reference_time=datetime(2026, 3, 15, tzinfo=UTC),
            json_mapping=mapping or JsonMapping(),
        )
    )


def test_object_with_default_keys() -> None:
    line = (
        '{"time": "2026-03-14T06:00:01+07:00", "level": "warn", "message": "login failed",'
        ' "src_ip": "203.0.113.9", "user": "canbo", "attempt": 3, "locked": false,'
        ' "score": 0.5, "note": null, "ctx": {"a": 1}, "tags": ["x"]}'
    )
    event = parser().parse(line, line_no=4, offset=40)
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, tzinfo=ICT)
    assert (event.parser, event.source, event.raw, event.line_no, event.offset) == (
        "json",
        "app.jsonl",
        line,
        4,
        40,
    )
    assert (event.message, event.host, event.program) == ("login failed", None, None)
    # Top-level scalars keep their JSON types; nested objects and lists are left out.
    assert dict(event.fields) == {
        "time": "2026-03-14T06:00:01+07:00",
        "level": "warn",
        "message": "login failed",
        "src_ip": "203.0.113.9",
        "user": "canbo",
        "attempt": 3,
        "locked": False,
        "score": 0.5,
        "note": None,
    }


def test_dotted_keys_reach_nested_objects() -> None:
    mapping = JsonMapping(
        time="event.created", message="event.original", src_ip="client.ip", host="host.name",
        program="service.name",
    )  # fmt: skip
    line = (
        '{"event": {"created": "2026-03-14T06:00:01Z", "original": "GET /"},'
        ' "client": {"ip": "203.0.113.9"}, "host": {"name": "portal"},'
        ' "service": {"name": "nginx"}, "status": 200}'
    )
    event = parser(mapping).parse(line)
    assert event is not None
    assert (event.time, event.message, event.host, event.program) == (
        datetime(2026, 3, 14, 6, 0, 1, tzinfo=UTC),
        "GET /",
        "portal",
        "nginx",
    )
    assert dict(event.fields) == {"status": 200, "src_ip": "203.0.113.9"}


def test_a_key_with_dots_in_its_name_is_found_first() -> None:
    event = parser(JsonMapping(src_ip="client.ip")).parse(
        '{"time": 1773442801, "client.ip": "198.51.100.1", "client": {"ip": "10.0.0.1"}}'
    )
    assert event is not None
    assert event.fields["src_ip"] == "198.51.100.1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1773442801, datetime(2026, 3, 13, 23, 0, 1, tzinfo=UTC)),
        (1773442801.25, datetime(2026, 3, 13, 23, 0, 1, 250000, tzinfo=UTC)),
        (1773442801250, datetime(2026, 3, 13, 23, 0, 1, 250000, tzinfo=UTC)),  # ms
        (1773442801250000, datetime(2026, 3, 13, 23, 0, 1, 250000, tzinfo=UTC)),  # µs
        (1773442801250000000, datetime(2026, 3, 13, 23, 0, 1, 250000, tzinfo=UTC)),  # ns
        ("1773442801", datetime(2026, 3, 13, 23, 0, 1, tzinfo=UTC)),
        ("2026-03-14T06:00:01.5Z", datetime(2026, 3, 14, 6, 0, 1, 500000, tzinfo=UTC)),
        ("2026-03-14 06:00:01", datetime(2026, 3, 14, 6, 0, 1, tzinfo=HCM)),  # no zone: ctx.tz
        ("14/Mar/2026:06:00:01 +0700", datetime(2026, 3, 14, 6, 0, 1, tzinfo=ICT)),
        (True, None),
        ("yesterday", None),
        (float("nan"), None),
        (1e300, None),
        ([1], None),
    ],
)
def test_time_values(value: object, expected: datetime | None) -> None:
    result = parse_time_value(value, HCM)
    assert result == expected
    if result is not None:
        assert result.tzinfo is not None


def test_common_key_names_are_tried_when_the_mapping_is_default() -> None:
    p = parser()
    event = p.parse(
        '{"@timestamp": "2026-03-14T06:00:04.250Z", "log": "logstash style",'
        ' "remote_addr": "203.0.113.11", "host": "portal"}'
    )
    assert event is not None
    assert (event.time, event.message, event.host, event.fields["src_ip"]) == (
        datetime(2026, 3, 14, 6, 0, 4, 250000, tzinfo=UTC),
        "logstash style",
        "portal",
        "203.0.113.11",
    )
    caddy = p.parse('{"ts": 1773442801.5, "msg": "handled request", "request": {"remote_ip": "x"}}')
    assert caddy is not None
    assert caddy.message == "handled request"
    assert "src_ip" not in caddy.fields


def test_explicit_mapping_keys_are_used_alone() -> None:
    p = parser(JsonMapping(time="when", message="text"))
    assert p.parse('{"time": "2026-03-14T06:00:01Z", "text": "x"}') is None
    event = p.parse('{"when": "2026-03-14T06:00:01Z", "msg": "not used"}')
    assert event is not None
    assert event.message == '{"when": "2026-03-14T06:00:01Z", "msg": "not used"}'


def test_message_missing_falls_back_to_the_line_and_numbers_become_text() -> None:
    event = parser().parse('{"time": 1773442801, "src_ip": 1234}')
    assert event is not None
    assert event.message == '{"time": 1773442801, "src_ip": 1234}'
    assert event.fields["src_ip"] == "1234"


def test_nginx_json_without_escape_json_is_repaired() -> None:
    # log_format without escape=json writes a quote as \x22, which is not JSON.
    event = parser().parse(
        '{"time_local": "14/Mar/2026:06:00:01 +0700", "remote_addr": "203.0.113.9",'
        ' "request": "GET /?q=\\x22x HTTP/1.1", "status": 200}'
    )
    assert event is not None
    assert event.message == 'GET /?q="x HTTP/1.1'
    assert event.fields["status"] == 200


@pytest.mark.parametrize(
    "line",
    [
        "",
        "not json",
        "[1, 2, 3]",
        '"just a string"',
        "42",
        '{"time": "2026-03-14T06:00:01Z"',  # cut short
        '{"message": "no time at all"}',
        '{"time": "not a time"}',
        "{" * 50_000,  # deep nesting must not raise
        '{"time": ' + "9" * 5000 + "}",  # huge integer
        "Mar 14 06:00:01 portal sshd[811]: x",
    ],
)
def test_not_events(line: str) -> None:
    assert parser().parse(line) is None


def test_sample_file_parses_completely() -> None:
    p = parser()
    lines = (DATA / "app.jsonl").read_text(encoding="utf-8").splitlines()
    events = [p.parse(line) for line in lines]
    assert all(e is not None for e in events)
    assert [e.fields.get("src_ip") for e in events if e is not None] == [
        "203.0.113.9",
        "10.0.0.5",
        "198.51.100.4",  # client.ip, one of the common names
        "203.0.113.11",
    ]
