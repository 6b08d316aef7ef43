from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from secmon.parsers.access import (
    ApacheAccessParser,
    NginxAccessParser,
    WebAccessParser,
    decode_path,
    decode_query,
    percent_decode,
    split_vhost,
)
from secmon.parsers.base import ParseContext

DATA = Path(__file__).parent / "data" / "parsers"
ICT = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 14, 6, 0, 1, tzinfo=ICT)


def parser() -> WebAccessParser:
    ctx = ParseContext(
        source="access.log",
        tz=UTC,
        reference_time=datetime(2026, 3, 15, tzinfo=UTC),
    )
    return NginxAccessParser(ctx)


def fields_of(line: str) -> dict[str, Any]:
    event = parser().parse(line)
    assert event is not None, line
    return dict(event.fields)


def test_combined_googlebot_line_gives_every_field() -> None:
    line = (
        '66.249.66.1 - - [14/Mar/2026:06:00:01 +0700] "GET /tin-tuc/thong-bao.html HTTP/1.1" 200'
        ' 18342 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"'
    )
    event = parser().parse(line, line_no=3, offset=99)
    assert event is not None
    assert event.time == T0
    assert event.time.utcoffset() == timedelta(hours=7)
    assert (event.parser, event.source, event.message, event.raw) == (
        "web",
        "access.log",
        line,
        line,
    )
    assert (event.host, event.program, event.line_no, event.offset) == (None, None, 3, 99)
    assert dict(event.fields) == {
        "src_ip": "66.249.66.1",
        "ident": "-",
        "user": None,
        "method": "GET",
        "uri": "/tin-tuc/thong-bao.html",
        "path": "/tin-tuc/thong-bao.html",
        "query": "",
        "protocol": "HTTP/1.1",
        "request": "GET /tin-tuc/thong-bao.html HTTP/1.1",
        "status": 200,
        "bytes": 18342,
        "referer": None,
        "user_agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "vhost": None,
        "port": None,
        "xff": None,
        "request_time": None,
        "path_decoded": "/tin-tuc/thong-bao.html",
        "query_decoded": "",
        "decoded": "/tin-tuc/thong-bao.html",
    }


def test_common_format() -> None:
    f = fields_of('10.0.0.5 - canbo [14/Mar/2026:06:00:01 +0700] "GET /admin/ HTTP/1.0" 401 -')
    assert (f["user"], f["status"], f["bytes"], f["referer"], f["user_agent"]) == (
        "canbo",
        401,
        0,
        None,
        None,
    )


def test_vhost_combined() -> None:
    line = (
        "portal.example.gov.vn:443 203.0.113.9 - - [14/Mar/2026:06:00:01 +0700] "
        '"GET /wp-login.php HTTP/1.1" 404 490 "-" "Mozilla/5.0"'
    )
    event = parser().parse(line)
    assert event is not None
    assert event.host == "portal.example.gov.vn"
    assert (event.fields["vhost"], event.fields["port"], event.fields["src_ip"]) == (
        "portal.example.gov.vn",
        443,
        "203.0.113.9",
    )


def test_ipv6_client_is_not_mistaken_for_a_vhost() -> None:
    f = fields_of('2001:db8::7 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1 "-" "-"')
    assert (f["src_ip"], f["vhost"], f["port"]) == ("2001:db8::7", None, None)


def test_nginx_extras_xff_and_request_time() -> None:
    f = fields_of(
        '10.0.0.5 - - [14/Mar/2026:06:00:01 +0700] "POST /admin/upload.php HTTP/1.1" 302 0'
        ' "https://portal.example.gov.vn/admin/" "curl/8.5.0" "198.51.100.7, 10.0.0.1" 1.002'
    )
    assert (f["xff"], f["request_time"], f["referer"]) == (
        "198.51.100.7, 10.0.0.1",
        1.002,
        "https://portal.example.gov.vn/admin/",
    )


@pytest.mark.parametrize(
    ("extras", "xff", "request_time"),
    [
        (' "-" 0.231', None, 0.231),
        (" 0.123", None, 0.123),
        (' "203.0.113.5"', "203.0.113.5", None),
        (' rt=0.050 uct="0.000" uht="0.049"', None, 0.05),
        (' "203.0.113.5" "0.010"', "203.0.113.5", 0.01),
        (" 0.010 0.009", None, 0.01),
        (" junk", None, None),
    ],
)
def test_extra_field_forms(extras: str, xff: str | None, request_time: float | None) -> None:
    base = '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1 "-" "ua"'
    f = fields_of(base + extras)
    assert (f["xff"], f["request_time"]) == (xff, request_time)


def test_double_encoded_sql_injection_is_decoded() -> None:
    f = fields_of(
        '203.0.113.9 - - [14/Mar/2026:06:00:02 +0700] "GET /index.php?id=1%2527%20OR%201=1--%20-'
        ' HTTP/1.1" 500 612 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)" "-" 0.231'
    )
    assert f["uri"] == "/index.php?id=1%2527%20OR%201=1--%20-"
    assert f["path"] == "/index.php"
    assert f["query"] == "id=1%2527%20OR%201=1--%20-"
    assert f["query_decoded"] == "id=1' or 1=1-- -"
    assert f["decoded"] == "/index.php?id=1' or 1=1-- -"
    assert f["user_agent"] == "sqlmap/1.7.2#stable (https://sqlmap.org)"
    assert f["request_time"] == 0.231


def test_vietnamese_search_terms_are_decoded() -> None:
    f = fields_of(
        '14.160.1.2 - - [14/Mar/2026:06:00:04 +0700] "GET /tim-kiem?q=%C4%91%C4%83ng+k%C3%BD'
        '+h%E1%BB%99+kh%E1%BA%A9u HTTP/2.0" 200 5120 "https://www.google.com/" "Mozilla/5.0"'
    )
    assert f["query_decoded"] == "q=đăng ký hộ khẩu"
    assert f["decoded"] == "/tim-kiem?q=đăng ký hộ khẩu"
    assert f["protocol"] == "HTTP/2.0"


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("id=1%2527", "id=1'"),  # double
        ("id=1%252527", "id=1'"),  # triple
        ("x=%u0027%u003Cscript%u003E", "x='<script>"),  # IIS-style %u
        ("x=%uD83D", "x=\ufffd"),  # lone surrogate
        ("x=%C4", "x=\ufffd"),  # bad UTF-8
        ("x=%ZZ%2", "x=%zz%2"),  # not escapes: kept
        ("a+b%2Bc", "a b+c"),  # "+" is a space only at the first level
        ("UNION%20SELECT", "union select"),
        ("q=%25", "q=%"),
    ],
)
def test_query_decoding(raw: str, decoded: str) -> None:
    assert decode_query(raw) == decoded


def test_decoding_rounds_are_capped() -> None:
    deep = "%27"
    for _ in range(8):
        deep = deep.replace("%", "%25")
    # Five rounds peel five levels of %25; what is left stays encoded.
    assert decode_query(deep) == "%25252527"


def test_path_keeps_plus_and_decodes_percent() -> None:
    assert decode_path("/a+b/%2e%2e/%2E%2E/etc/passwd") == "/a+b/../../etc/passwd"
    assert decode_path("/Admin/Login.PHP") == "/admin/login.php"


def test_percent_decode_one_round() -> None:
    assert percent_decode("%2527%41%zz%") == "%27A%zz%"


def test_tls_handshake_junk_is_an_event_without_method() -> None:
    line = (
        '203.0.113.77 - - [14/Mar/2026:06:00:05 +0700] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00'
        '\\x01\\xFC\\x03\\x03" 400 157 "-" "-"'
    )
    f = fields_of(line)
    assert f["request"] == "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03"
    assert (f["method"], f["uri"], f["path"], f["query"], f["protocol"]) == (None, "", "", "", None)
    assert (f["path_decoded"], f["query_decoded"], f["decoded"]) == ("", "", "")
    assert (f["status"], f["bytes"], f["user_agent"]) == (400, 157, None)


@pytest.mark.parametrize(
    ("request_line", "method", "uri", "protocol"),
    [
        ("-", None, "", None),
        ("", None, "", None),
        ("GET /", "GET", "/", None),  # HTTP/0.9
        ("GET /a b HTTP/1.1", "GET", "/a b", "HTTP/1.1"),
        ("PROPFIND / HTTP/1.1", "PROPFIND", "/", "HTTP/1.1"),
        ("GET / XYZ/1.0", None, "", None),
        ("get / HTTP/1.1", None, "", None),
        ("MGLNDD_203.0.113.1_443", None, "", None),
        ("GET http://example.com/x?y=1 HTTP/1.1", "GET", "http://example.com/x?y=1", "HTTP/1.1"),
    ],
)
def test_request_line_forms(
    request_line: str, method: str | None, uri: str, protocol: str | None
) -> None:
    f = fields_of(f'1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "{request_line}" 400 0 "-" "-"')
    assert (f["method"], f["uri"], f["protocol"], f["request"]) == (
        method,
        uri,
        protocol,
        request_line,
    )


def test_nginx_escaped_quotes_parse_and_decode() -> None:
    f = fields_of(
        '203.0.113.79 - - [14/Mar/2026:06:00:07 +0700] "GET /search?q=\\x22><script>alert(1)'
        '</script> HTTP/1.1" 404 153 "-" "Mozilla/5.0 \\x22evil\\x22"'
    )
    assert f["query"] == "q=\\x22><script>alert(1)</script>"
    assert f["query_decoded"] == 'q="><script>alert(1)</script>'
    assert f["user_agent"] == "Mozilla/5.0 \\x22evil\\x22"


def test_nginx_escaped_utf8_bytes_decode() -> None:
    f = fields_of(
        '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET /t\\xC3\\xACm-ki\\xE1\\xBA\\xBFm HTTP/1.1"'
        ' 404 0 "-" "-"'
    )
    assert f["path_decoded"] == "/tìm-kiếm"


def test_apache_escaped_quotes_parse() -> None:
    f = fields_of(
        '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET /x?a=\\"1\\" HTTP/1.1" 200 5'
        ' "-" "Mozilla/5.0 \\"zgrab\\" \\\\o/"'
    )
    assert f["query"] == 'a=\\"1\\"'
    assert f["query_decoded"] == 'a="1"'
    assert f["user_agent"] == 'Mozilla/5.0 \\"zgrab\\" \\\\o/'


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Mar 14 06:00:01 portal sshd[811]: Failed password",
        '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" abc 5',
        '1.2.3.4 - - [not a time] "GET / HTTP/1.1" 200 5',
        '1.2.3.4 - - [14/Foo/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 5',
        '1.2.3.4 - - [31/Feb/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 5',
        '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1 200 5',
        '{"remote_addr": "1.2.3.4"}',
    ],
)
def test_other_lines_are_not_access_lines(line: str) -> None:
    assert parser().parse(line) is None


def test_sample_files_parse_completely() -> None:
    for name in ("access.log", "other_vhosts_access.log"):
        p = parser()
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        assert [line for line in lines if p.parse(line) is None] == [], name


def test_time_cache_gives_the_same_times() -> None:
    p = parser()
    a = p.parse('1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1')
    b = p.parse('1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET /x HTTP/1.1" 200 1')
    c = p.parse('1.2.3.4 - - [14/Mar/2026:06:00:02 -0530] "GET /x HTTP/1.1" 200 1')
    assert a is not None and b is not None and c is not None
    assert a.time == b.time == T0
    assert c.time == datetime(
        2026, 3, 14, 6, 0, 2, tzinfo=timezone(-timedelta(hours=5, minutes=30))
    )


def test_apache_and_nginx_types_share_the_parser() -> None:
    ctx = ParseContext(source="a", tz=UTC, reference_time=T0)
    line = '1.2.3.4 - - [14/Mar/2026:06:00:01 +0700] "GET / HTTP/1.1" 200 1'
    assert ApacheAccessParser(ctx).parse(line) == NginxAccessParser(ctx).parse(line)
    assert (ApacheAccessParser.type_name, NginxAccessParser.type_name) == ("apache", "nginx")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("portal.example.gov.vn:443", ("portal.example.gov.vn", 443)),
        ("portal.example.gov.vn", ("portal.example.gov.vn", None)),
        ("[2001:db8::1]:80", ("[2001:db8::1]", 80)),
        ("host:abc", ("host:abc", None)),
        ("host:\u00b2", ("host:\u00b2", None)),  # a Unicode digit is not a port
    ],
)
def test_split_vhost(text: str, expected: tuple[str, int | None]) -> None:
    assert split_vhost(text) == expected
