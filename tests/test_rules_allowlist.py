"""Allowlists and cidr conditions remember their verdict per address text."""

from __future__ import annotations

from secmon.rules.allowlist import (
    ADDRESS_MEMO_LIMIT,
    Allowlist,
    NetworkMembership,
    address_in,
    parse_network,
)

NETWORKS = (parse_network("10.0.0.0/8"), parse_network("2001:db8::/32"))


def test_remembered_verdicts_equal_the_full_test():
    member = NetworkMembership(NETWORKS)
    values = ["10.1.2.3", "11.1.2.3", "::ffff:10.9.9.9", "2001:db8::1", "nonsense", "", None,
              ["10.1.2.3"], 42, "10.1.2.3", "11.1.2.3"]  # fmt: skip
    for value in values * 2:
        assert member(value) is address_in(value, NETWORKS)


def test_remembered_verdicts_are_bounded():
    member = NetworkMembership(NETWORKS)
    for n in range(ADDRESS_MEMO_LIMIT + 50):
        assert member(f"198.51.{n // 256 % 256}.{n % 256}") is False
    assert member("10.0.0.1") is True
    assert len(member._seen) <= ADDRESS_MEMO_LIMIT


def test_allowlists_compare_by_their_lists_not_their_memory():
    a = Allowlist.build(["10.0.0.0/8"], ["backup"])
    b = Allowlist.build(["10.0.0.0/8"], ["backup"])
    assert a.allows({"src_ip": "10.2.3.4"}.get)
    assert not b.allows({"src_ip": "203.0.113.9", "user": "root"}.get)
    assert b.allows({"src_ip": "203.0.113.9", "user": "backup"}.get)
    assert a == b and hash(a) == hash(b)
    assert a.merged(Allowlist()) is a
