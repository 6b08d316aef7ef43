from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from secmon.parsers.base import ParseContext
from secmon.parsers.nginx_error import ApacheErrorParser, NginxErrorParser

DATA = Path(__file__).parent / "data" / "parsers"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def ctx(tz: object = HCM) -> ParseContext:
    return ParseContext(
        source="error.log",
        tz=tz,
        reference_time=datetime(2026, 3, 15, tzinfo=UTC),  # type: ignore[arg-type]
    )


def test_nginx_open_failed_line_gives_every_field() -> None:
    line = (
        '2026/03/14 06:00:01 [error] 1234#1234: *5 open() "/var/www/html/.env" failed (2: No such'
        " file or directory), client: 203.0.113.9, server: portal.example.gov.vn, request:"
        ' "GET /.env HTTP/1.1", host: "portal.example.gov.vn"'
    )
    event = NginxErrorParser(ctx()).parse(line, line_no=2, offset=10)
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, tzinfo=HCM)
    assert event.time.utcoffset() == timedelta(hours=7)
    assert (event.parser, event.source, event.raw, event.line_no, event.offset) == (
        "nginx-error",
        "error.log",
        line,
        2,
        10,
    )
    assert (event.host, event.program) == ("portal.example.gov.vn", "nginx")
    assert event.message == 'open() "/var/www/html/.env" failed (2: No such file or directory)'
    assert dict(event.fields) == {
        "level": "error",
        "pid": 1234,
        "tid": 1234,
        "connection": 5,
        "src_ip": "203.0.113.9",
        "server": "portal.example.gov.vn",
        "request": "GET /.env HTTP/1.1",
        "upstream": None,
        "vhost": "portal.example.gov.vn",
        "referrer": None,
        "method": "GET",
        "uri": "/.env",
        "path": "/.env",
        "query": "",
        "protocol": "HTTP/1.1",
        "path_decoded": "/.env",
        "query_decoded": "",
        "decoded": "/.env",
    }


def test_nginx_fastcgi_line_with_upstream_and_referrer() -> None:
    line = (
        '2026/03/14 06:00:02 [error] 1234#1234: *7 FastCGI sent in stderr: "PHP message: PHP'
        ' Warning:  Undefined array key "id" in /var/www/html/index.php on line 12" while reading'
        " response header from upstream, client: 203.0.113.9, server: portal.example.gov.vn,"
        ' request: "GET /index.php?id=1%27 HTTP/1.1", upstream:'
        ' "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "portal.example.gov.vn", referrer:'
        ' "https://portal.example.gov.vn/"'
    )
    event = NginxErrorParser(ctx()).parse(line)
    assert event is not None
    f = event.fields
    assert event.message == (
        'FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined array key "id" in'
        ' /var/www/html/index.php on line 12" while reading response header from upstream'
    )
    assert (f["upstream"], f["referrer"], f["query"], f["query_decoded"]) == (
        "fastcgi://unix:/run/php/php8.2-fpm.sock:",
        "https://portal.example.gov.vn/",
        "id=1%27",
        "id=1'",
    )


def test_nginx_line_without_connection_or_client() -> None:
    event = NginxErrorParser(ctx()).parse(
        "2026/03/14 06:00:03 [notice] 1230#1230: signal process started"
    )
    assert event is not None
    assert event.message == "signal process started"
    assert event.host is None
    assert dict(event.fields) == {
        "level": "notice",
        "pid": 1230,
        "tid": 1230,
        "connection": None,
        "src_ip": None,
        "server": None,
        "request": None,
        "upstream": None,
        "vhost": None,
        "referrer": None,
    }


def test_nginx_ipv6_client_and_underscore_server() -> None:
    event = NginxErrorParser(ctx()).parse(
        "2026/03/14 06:00:04 [warn] 1234#1235: *9 a client request body is buffered to a"
        " temporary file /var/cache/nginx/client_temp/0000000001, client: 2001:db8::7, server: _,"
        ' request: "POST /upload HTTP/1.1", host: "10.0.0.2"'
    )
    assert event is not None
    f = event.fields
    assert (f["src_ip"], f["server"], f["tid"], f["method"], f["vhost"]) == (
        "2001:db8::7",
        "_",
        1235,
        "POST",
        "10.0.0.2",
    )


def test_nginx_forged_context_in_a_file_name_is_skipped() -> None:
    # The decoded URI of a missing file quotes attacker text that looks like nginx's tail.
    line = (
        '2026/03/14 06:00:01 [error] 1#1: *5 open() "/var/www/x, client: 6.6.6.6, server: evil"'
        " failed (2: No such file or directory), client: 203.0.113.9, server: portal,"
        ' request: "GET /x,%20client:%206.6.6.6,%20server:%20evil HTTP/1.1", host: "portal"'
    )
    event = NginxErrorParser(ctx()).parse(line)
    assert event is not None
    assert event.fields["src_ip"] == "203.0.113.9"
    assert event.message == (
        'open() "/var/www/x, client: 6.6.6.6, server: evil" failed (2: No such file or directory)'
    )


def test_nginx_dst_zone() -> None:
    event = NginxErrorParser(ctx(ZoneInfo("Europe/Berlin"))).parse(
        "2026/07/14 06:00:03 [notice] 1#1: x"
    )
    assert event is not None
    assert event.time.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "2026/03/14 06:00:01 error 1#1: no brackets",
        "2026/03/14 06:00:01 [error] x#1: bad pid",
        "2026/13/14 06:00:01 [error] 1#1: bad month",
        "Mar 14 06:00:01 portal nginx: x",
        '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1',
    ],
)
def test_other_lines_are_not_nginx_errors(line: str) -> None:
    assert NginxErrorParser(ctx()).parse(line) is None


def test_nginx_sample_file_parses_completely() -> None:
    p = NginxErrorParser(ctx())
    lines = (DATA / "error.log").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if p.parse(line) is None] == []


# --- Apache ---------------------------------------------------------------------


def test_apache_php_error() -> None:
    line = (
        "[Sat Mar 14 06:00:01.123456 2026] [php:error] [pid 1234] [client 203.0.113.9:5050]"
        " PHP Parse error:  syntax error, unexpected end of file in /var/www/html/shell.php"
        " on line 3"
    )
    event = ApacheErrorParser(ctx()).parse(line, line_no=1, offset=0)
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 1, 123456, tzinfo=HCM)
    assert (event.parser, event.program, event.host) == ("apache-error", "apache", None)
    assert event.message == (
        "PHP Parse error:  syntax error, unexpected end of file in /var/www/html/shell.php"
        " on line 3"
    )
    assert dict(event.fields) == {
        "module": "php",
        "level": "error",
        "pid": 1234,
        "tid": None,
        "src_ip": "203.0.113.9",
        "src_port": 5050,
        "code": None,
        "referrer": None,
    }


def test_apache_core_error_with_code_tid_and_referer() -> None:
    event = ApacheErrorParser(ctx()).parse(
        "[Sat Mar 14 06:00:03.500000 2026] [authz_core:error] [pid 1240:tid 140214]"
        " [client 198.51.100.4:40000] AH01630: client denied by server configuration:"
        " /var/www/html/.git/config, referer: http://evil.example/"
    )
    assert event is not None
    assert event.message == (
        "AH01630: client denied by server configuration: /var/www/html/.git/config"
    )
    f = event.fields
    assert (f["module"], f["tid"], f["code"], f["referrer"], f["src_ip"]) == (
        "authz_core",
        140214,
        "AH01630",
        "http://evil.example/",
        "198.51.100.4",
    )


def test_apache_22_format() -> None:
    event = ApacheErrorParser(ctx()).parse(
        "[Sat Mar 14 06:00:04 2026] [error] [client 203.0.113.10] File does not exist:"
        " /var/www/html/phpmyadmin"
    )
    assert event is not None
    assert event.time == datetime(2026, 3, 14, 6, 0, 4, tzinfo=HCM)
    f = event.fields
    assert (f["module"], f["level"], f["pid"], f["src_ip"], f["src_port"]) == (
        None,
        "error",
        None,
        "203.0.113.10",
        None,
    )


@pytest.mark.parametrize(
    ("client", "ip", "port"),
    [
        ("203.0.113.9:5050", "203.0.113.9", 5050),
        ("2001:db8::7:5050", "2001:db8::7", 5050),
        ("[2001:db8::7]:5050", "2001:db8::7", 5050),
        ("203.0.113.9", "203.0.113.9", None),
        ("203.0.113.9:\u00b2", "203.0.113.9:\u00b2", None),
    ],
)
def test_apache_client_forms(client: str, ip: str, port: int | None) -> None:
    event = ApacheErrorParser(ctx()).parse(
        f"[Sat Mar 14 06:00:01.000000 2026] [core:error] [pid 1] [client {client}] x"
    )
    assert event is not None
    assert (event.fields["src_ip"], event.fields["src_port"]) == (ip, port)


def test_apache_sample_file_parses_completely() -> None:
    p = ApacheErrorParser(ctx())
    lines = (DATA / "apache-error.log").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if p.parse(line) is None] == []


@pytest.mark.parametrize(
    "line",
    [
        "",
        "[Sat Mar 14 06:00:01 2026] no level",
        "[Sat Foo 14 06:00:01 2026] [error] bad month",
        "2026/03/14 06:00:01 [error] 1#1: nginx",
    ],
)
def test_other_lines_are_not_apache_errors(line: str) -> None:
    assert ApacheErrorParser(ctx()).parse(line) is None
