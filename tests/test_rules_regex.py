"""The RE2 layer: groups, pattern sets, the public-API fallback, refusals, odd text."""

from __future__ import annotations

import time

import pytest

from secmon.rules.regex import LINEAR_HINT, LinearRegex, PatternError, PatternSet, encode

SSH = r"Failed \S+ for (?:invalid user )?(?P<user>\S+) from (?P<src_ip>\S+)(?: port (?P<port>\d+))?"


def test_groups_of_the_first_match():
    regex = LinearRegex(SSH)
    assert regex.group_names == ("user", "src_ip", "port")
    data = encode("Failed password for invalid user röot from 203.0.113.9 ssh2")
    assert regex.groups(data) == {"user": "röot", "src_ip": "203.0.113.9"}
    assert regex.groups(encode("Accepted password for root")) is None
    assert regex.search(encode("x Failed none for a from b port 22")) is True


def test_public_api_fallback_gives_the_same_answers():
    fast, slow = LinearRegex(SSH), LinearRegex(SSH)
    slow._raw = None  # as with a google-re2 wrapper that hides its RE2 object
    for line in (
        "Failed password for root from 1.2.3.4 port 22",
        "Failed x for y from z",
        "nothing",
        "Failed password for ünïcode from ::1 port 1",
    ):
        data = encode(line)
        assert slow.groups(data) == fast.groups(data)
        assert slow.search(data) == fast.search(data)


def test_nocase_and_refusals():
    assert LinearRegex("SELECT", nocase=True).search(b"union select") is True
    assert LinearRegex("SELECT").search(b"union select") is False
    for pattern, reason in [
        (r"(a)\1", r"invalid escape sequence: \1"),
        ("foo(?=bar)", "invalid perl operator: (?="),
        ("(?<=a)b", "invalid perl operator: (?<="),
        ("a++", "bad repetition operator: ++"),
        ("(open", "missing ): (open"),
    ]:
        with pytest.raises(PatternError) as caught:
            LinearRegex(pattern)
        assert str(caught.value) == (
            f"regular expression '{pattern}' is not valid: {reason}; {LINEAR_HINT}"
        )
    with pytest.raises(PatternError) as caught:
        PatternSet(["ok", r"(a)\1"])
    assert str(caught.value).startswith(r"regular expression '(a)\1' is not valid: ")


def test_pattern_set_reports_every_pattern_found_in_order():
    patterns = PatternSet(["password", "^Failed", r"\d+\.\d+\.\d+\.\d+", "nope"])
    assert patterns.match(encode("Failed password from 1.2.3.4")) == [0, 1, 2]
    assert patterns.match(encode("Accepted publickey")) == []
    assert patterns.size == 4


def test_bad_code_points_are_replaced_not_fatal():
    assert encode("a\udcffb") == b"a?b"
    assert LinearRegex("(?P<x>a.b)").groups(encode("a\udcffb")) == {"x": "a?b"}


def test_hostile_64k_inputs_take_linear_time():
    hostile = ("a" * 63 + "!") * 1024
    data = encode(hostile)
    regexes = [LinearRegex(p) for p in ("(a+)+$", "(a|aa)*b", "(?P<x>.*)*z", SSH)]
    patterns = PatternSet([r.pattern for r in regexes])
    started = time.perf_counter()
    for _ in range(5):
        assert [r.groups(data) for r in regexes] == [None, None, None, None]
        assert patterns.match(data) == []
    assert time.perf_counter() - started < 0.5
