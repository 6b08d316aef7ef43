from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from secmon.cli import main
from secmon.parsers.base import JsonMapping, ParseContext
from secmon.parsers.detect import detect_type
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
    assert event.parser == "web"
    assert (event.fields["request"], event.fields["decoded"]) == ('GET /?q="x HTTP/1.1', '/?q="x')
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


# --- HTTP access records become web events -----------------------------------

WEB_FIELDS = {
    "src_ip", "method", "uri", "path", "query", "protocol", "request", "status", "bytes",
    "referer", "user_agent", "vhost", "xff", "request_time",
    "path_decoded", "query_decoded", "decoded",
}  # fmt: skip


def test_nginx_json_access_line_with_sql_injection_is_a_web_event() -> None:
    line = (
        '{"time":"2026-03-14T10:00:01+07:00","remote_addr":"203.0.113.9",'
        '"request":"GET /index.php?id=1%2527%20UNION%20SELECT%20user()--+- HTTP/1.1",'
        '"status":200,"body_bytes_sent":"5120","http_user_agent":"sqlmap/1.8#stable",'
        '"http_referer":"-","http_x_forwarded_for":"198.51.100.7, 10.0.0.1",'
        '"host":"portal.example.gov.vn","request_time":"0.031","upstream_addr":"unix:/run/php"}'
    )
    event = parser().parse(line, line_no=7, offset=70)
    assert event is not None
    assert (event.parser, event.message, event.raw, event.host, event.program) == (
        "web",
        line,
        line,
        "portal.example.gov.vn",
        None,
    )
    assert (event.time, event.line_no, event.offset) == (
        datetime(2026, 3, 14, 10, 0, 1, tzinfo=ICT),
        7,
        70,
    )
    assert dict(event.fields) == {
        "src_ip": "203.0.113.9",
        "method": "GET",
        "uri": "/index.php?id=1%2527%20UNION%20SELECT%20user()--+-",
        "path": "/index.php",
        "query": "id=1%2527%20UNION%20SELECT%20user()--+-",
        "protocol": "HTTP/1.1",
        "request": "GET /index.php?id=1%2527%20UNION%20SELECT%20user()--+- HTTP/1.1",
        "status": 200,
        "bytes": 5120,
        "referer": None,
        "user_agent": "sqlmap/1.8#stable",
        "vhost": "portal.example.gov.vn",
        "xff": "198.51.100.7, 10.0.0.1",
        "request_time": 0.031,
        "path_decoded": "/index.php",
        "query_decoded": "id=1' union select user()-- -",
        "decoded": "/index.php?id=1' union select user()-- -",
    }


def test_caddy_access_line_is_a_web_event() -> None:
    lines = (DATA / "access-json.jsonl").read_text(encoding="utf-8").splitlines()
    event = parser().parse(lines[2])
    assert event is not None
    assert (event.parser, event.message, event.host) == ("web", lines[2], "portal.example.gov.vn")
    assert event.time == datetime(2026, 3, 14, 3, 0, 6, 250000, tzinfo=UTC)
    assert dict(event.fields) == {
        "src_ip": "203.0.113.10",  # client_ip: the address behind trusted proxies
        "method": "GET",
        "uri": "/van-ban?id=5+union+select+username,password+from+users",
        "path": "/van-ban",
        "query": "id=5+union+select+username,password+from+users",
        "protocol": "HTTP/2.0",
        "request": "GET /van-ban?id=5+union+select+username,password+from+users HTTP/2.0",
        "status": 500,
        "bytes": 312,
        "referer": None,
        "user_agent": "sqlmap/1.8#stable",
        "vhost": "portal.example.gov.vn",
        "xff": None,
        "request_time": 0.0045,
        "path_decoded": "/van-ban",
        "query_decoded": "id=5 union select username,password from users",
        "decoded": "/van-ban?id=5 union select username,password from users",
    }


def test_traefik_and_split_method_uri_records() -> None:
    p = parser()
    traefik = p.parse(
        '{"ClientHost":"203.0.113.12","DownstreamContentSize":19,"DownstreamStatus":404,'
        '"Duration":2500000,"RequestHost":"portal.example.gov.vn","RequestMethod":"GET",'
        '"RequestPath":"/.env","RequestProtocol":"HTTP/1.1","request_User-Agent":"curl/8.5.0",'
        '"time":"2026-03-14T10:00:03+07:00","level":"info","msg":""}'
    )
    assert traefik is not None and traefik.parser == "web"
    assert {
        k: traefik.fields[k]
        for k in ("src_ip", "request", "status", "bytes", "user_agent", "request_time", "decoded")
    } == {
        "src_ip": "203.0.113.12",
        "request": "GET /.env HTTP/1.1",
        "status": 404,
        "bytes": 19,
        "user_agent": "curl/8.5.0",
        "request_time": 0.0025,
        "decoded": "/.env",
    }
    # nginx $uri (no query) + $args, status as a string, no bytes logged.
    split = p.parse(
        '{"time":"2026-03-14T10:00:04+07:00","client_ip":"203.0.113.13",'
        '"request_method":"POST","uri":"/wp-login.php","args":"a=%2E%2E%2F","status":"403"}'
    )
    assert split is not None and split.parser == "web"
    assert set(split.fields) == WEB_FIELDS
    assert (
        split.fields["request"],
        split.fields["decoded"],
        split.fields["status"],
        split.fields["bytes"],
        split.fields["protocol"],
        split.host,
    ) == ("POST /wp-login.php?a=%2E%2E%2F", "/wp-login.php?a=../", 403, 0, None, None)


@pytest.mark.parametrize(
    "line",
    [
        '{"time":"2026-03-14T10:00:07+07:00","message":"cron job finished","status":0}',
        # a request but no numeric status
        '{"time":"2026-03-14T10:00:07+07:00","request":"GET / HTTP/1.1","status":"ok"}',
        '{"time":"2026-03-14T10:00:07+07:00","request":"GET / HTTP/1.1","status":true}',
        # a method without a target
        '{"time":"2026-03-14T10:00:07+07:00","method":"GET","status":200}',
    ],
)
def test_other_json_objects_stay_json_events(line: str) -> None:
    event = parser().parse(line)
    assert event is not None
    assert event.parser == "json"
    assert "decoded" not in event.fields


def test_json_access_file_is_still_detected_as_json() -> None:
    lines = (DATA / "access-json.jsonl").read_text(encoding="utf-8").splitlines()
    assert detect_type(lines) == "json"
    assert [e.parser for e in map(parser().parse, lines) if e is not None] == [
        "web",
        "web",
        "web",
        "json",
    ]


def test_rules_test_on_a_json_access_log_matches_the_web_rules(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "LANG": "C.UTF-8", "XDG_DATA_HOME": str(tmp_path / "data")}
    result = CliRunner().invoke(
        main,
        ["rules", "test", "--format", "jsonl", "--tz", "+07:00", str(DATA / "access-json.jsonl")],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    union = [(r["line"], r["fields"]["src_ip"]) for r in records if r["rule"] == "web.sqli-union"]
    assert union == [(1, "203.0.113.9"), (3, "203.0.113.10")]


def test_hostile_64k_json_access_line_is_parsed_quickly() -> None:
    payload = "%25" * 10_000 + "\\\\" * 5_000 + "union/**/" * 2_000
    line = (
        '{"time":"2026-03-14T10:00:01+07:00","remote_addr":"203.0.113.9",'
        '"request":"GET /?q=' + payload + ' HTTP/1.1","status":200,'
        '"http_user_agent":"' + "A" * 8192 + '"}'
    )
    assert len(line) >= 64 * 1024
    started = time.perf_counter()
    event = parser().parse(line)
    assert time.perf_counter() - started < 0.5
    assert event is not None and event.parser == "web"
    assert event.fields["path"] == "/"
