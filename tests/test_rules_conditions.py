"""`where:` conditions: every modifier, nocase, missing fields, numbers, hostile input."""

from __future__ import annotations

import time

import pytest

from secmon.errors import ProblemCollector
from secmon.rules.allowlist import Allowlist, parse_address
from secmon.rules.conditions import ConditionReader, to_number, to_text
from secmon.rules.schema import Reader
from secmon.yamlsrc import load_yaml_text


def compile_where(text: str):
    """{field: test} for a `where:` mapping given as YAML flow text; fails on problems."""
    problems = ProblemCollector()
    data = load_yaml_text(text, "where.yaml")
    conditions = ConditionReader(Reader(problems)).where(data, data.location)
    assert [str(p) for p in problems.problems] == []
    return {c.field: c for c in conditions}


def check(spec: str, value) -> bool:
    return compile_where("{f: " + spec + "}")["f"].test(value)


@pytest.mark.parametrize(
    "spec, value, expected",
    [
        # scalar = equals, case-sensitive
        ("sshd", "sshd", True),
        ("sshd", "SSHD", False),
        ("sshd", None, False),
        ("{equals: sshd}", "sshd", True),
        ("{equals: sshd, nocase: true}", "SSHD", True),
        # list = any of them
        ("[GET, HEAD]", "HEAD", True),
        ("[GET, HEAD]", "POST", False),
        ("{in: [GET, HEAD]}", "GET", True),
        ("{in: [get], nocase: true}", "GET", True),
        # numbers compare as numbers, numeric strings are converted
        ("404", 404, True),
        ("404", "404", True),
        ("404", "404.0", True),
        ("404", "four", False),
        ("'404'", 404, True),
        ("{in: [401, 403]}", "403", True),
        ("true", True, True),
        ("true", "true", True),
        # contains / startswith / endswith; a list = any of them
        ("{contains: sqlmap}", "sqlmap/1.7", True),
        ("{contains: [sqlmap, nikto]}", "Mozilla Nikto", False),
        ("{contains: [sqlmap, nikto], nocase: true}", "Mozilla Nikto", True),
        ("{contains: x}", None, False),
        ("{startswith: /admin}", "/administrator", True),
        ("{startswith: [/wp-, /xmlrpc]}", "/index.php", False),
        ("{startswith: /ADMIN, nocase: true}", "/admin/x", True),
        ("{endswith: .php}", "/shell.php", True),
        ("{endswith: [.php, .phtml]}", "/shell.PHP", False),
        ("{endswith: [.php, .phtml], nocase: true}", "/shell.PHP", True),
        ("{contains: 50}", 1500, True),
        # re (RE2, search, case-sensitive unless nocase)
        ("{re: 'union\\s+select'}", "id=1 union  select 2", True),
        ("{re: 'union\\s+select'}", "id=1 UNION SELECT 2", False),
        ("{re: 'union\\s+select', nocase: true}", "id=1 UNION SELECT 2", True),
        ("{re: ['^a', 'b$']}", "xxb", True),
        ("{re: ['^a', 'b$']}", "xbx", False),
        ("{re: '^4\\d\\d$'}", 404, True),
        ("{re: x}", None, False),
        # cidr
        ("{cidr: 10.0.0.0/8}", "10.1.2.3", True),
        ("{cidr: [10.0.0.0/8, 192.168.0.0/16]}", "192.168.5.5", True),
        ("{cidr: 10.0.0.0/8}", "11.1.2.3", False),
        ("{cidr: 10.0.0.0/8}", "::ffff:10.1.2.3", True),
        ("{cidr: '2001:db8::/32'}", "2001:db8::17", True),
        ("{cidr: 10.0.0.0/8}", "not-an-ip", False),
        ("{cidr: 10.0.0.0/8}", None, False),
        ("{cidr: 10.0.0.1}", "10.0.0.1", True),
        # numeric modifiers
        ("{gt: 400}", 401, True),
        ("{gt: 400}", 400, False),
        ("{ge: 400}", 400, True),
        ("{lt: 500}", "499", True),
        ("{lt: 500}", 500, False),
        ("{le: 500}", "500", True),
        ("{ge: 400, lt: 500}", 404, True),
        ("{ge: 400, lt: 500}", 503, False),
        ("{ge: 400, lt: 500}", "-", False),
        ("{ge: 400}", None, False),
        ("{ge: 400}", True, False),
        ("{gt: 0.5}", "0.75", True),
        ("{gt: 1}", "1_000", False),
        ("{gt: 1}", "nan", False),
        ("{gt: 1}", "inf", False),
        ("{gt: 1}", float("nan"), False),
        ("{lt: 10}", " 5 ", True),
        ("{gt: 100}", "1e3", True),
        # not: wraps any condition; a missing field passes `not`
        ("{not: sshd}", "cron", True),
        ("{not: sshd}", "sshd", False),
        ("{not: sshd}", None, True),
        ("{not: [a, b]}", "b", False),
        ("{not: {cidr: [10.0.0.0/8]}}", "203.0.113.9", True),
        ("{not: {cidr: [10.0.0.0/8]}}", "10.0.0.9", False),
        ("{not: {contains: bot, nocase: true}}", "GoogleBOT", False),
        ("{not: bot, nocase: true}", "BOT", False),
        ("{not: {not: sshd}}", "sshd", True),
        ("{contains: admin, not: {endswith: .css}}", "/admin/x.php", True),
        ("{contains: admin, not: {endswith: .css}}", "/admin/x.css", False),
    ],
)
def test_modifier(spec, value, expected):
    assert check(spec, value) is expected


def test_program_equality_is_indexable():
    conditions = compile_where(
        "{program: sshd, a: [x, y], b: {in: [p, q]}, c: {equals: z}, d: {equals: z,"
        " nocase: true}, e: [1, x], f: {contains: x}}"
    )
    assert {f: c.index_values for f, c in conditions.items()} == {
        "program": frozenset({"sshd"}),
        "a": frozenset({"x", "y"}),
        "b": frozenset({"p", "q"}),
        "c": frozenset({"z"}),
        "d": None,
        "e": None,
        "f": None,
    }


def test_to_text_and_to_number():
    assert [to_text(v) for v in (None, "a", True, False, 3, 1.5)] == [
        None,
        "a",
        "true",
        "false",
        "3",
        "1.5",
    ]
    assert [to_number(v) for v in ("12", "-3", "1.50", ".5", "1e2", "x", "", True, None)] == [
        12,
        -3,
        1.5,
        0.5,
        100,
        None,
        None,
        None,
        None,
    ]
    assert to_number("9" * 65) is None


def test_allowlist_matches_src_ip_user_and_path_prefix():
    allow = Allowlist.build(["10.0.0.0/8", "2001:db8::/32"], ["backup"], ["/healthz"])
    fields = {"src_ip": "10.2.3.4"}
    assert allow.allows(fields.get) is True
    assert allow.allows({"src_ip": "203.0.113.9"}.get) is False
    assert allow.allows({"src_ip": "2001:db8::1"}.get) is True
    assert allow.allows({"user": "backup"}.get) is True
    assert allow.allows({"user": "Backup"}.get) is False
    assert allow.allows({"path": "/healthz/deep"}.get) is True
    assert allow.allows({"path": "/api/healthz"}.get) is False
    assert allow.allows({}.get) is False
    assert bool(Allowlist()) is False and bool(allow) is True
    assert allow.to_plain() == {
        "cidrs": ["10.0.0.0/8", "2001:db8::/32"],
        "users": ["backup"],
        "paths": ["/healthz"],
    }
    with pytest.raises(ValueError) as caught:
        Allowlist.build(["10.0.0.300/8"])
    assert str(caught.value) == "'10.0.0.300/8' is not an IP network (write it like 10.0.0.0/8)"


def test_parse_address_refuses_long_or_odd_values():
    assert str(parse_address("::ffff:192.0.2.1")) == "192.0.2.1"
    assert parse_address("1" * 65) is None
    assert parse_address(42) is None


def test_hostile_long_value_is_handled_in_linear_time():
    hostile = ("a" * 30 + "!") * (64 * 1024 // 31)
    conditions = compile_where(
        "{f: {re: '(a+)+$'}, g: {re: '(x|xx)+y', nocase: true}, h: {contains: zz},"
        " n: {gt: 3}, i: {cidr: 10.0.0.0/8}}"
    )
    started = time.perf_counter()
    results = [c.test(hostile) for c in conditions.values()]
    elapsed = time.perf_counter() - started
    assert results == [False, False, False, False, False]
    assert elapsed < 0.5
