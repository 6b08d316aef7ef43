"""Allowlists: known-good addresses, users and paths that no rule should flag.

An allowlist applies to the view of one match (the event's fields, with the
match's named groups on top): an event whose `src_ip` falls in a listed
network, whose `user` is listed, or whose `path` starts with a listed prefix
matches nothing of the rule(s) the allowlist covers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(text: str) -> IPNetwork:
    """A network from '10.0.0.0/8' or a single address; raise ValueError saying why not."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"'{text}' is not an IP network (write it like 10.0.0.0/8)") from None


def parse_address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address in a field value, or None when it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_in(value: Any, networks: tuple[IPNetwork, ...]) -> bool:
    """True when `value` is an IP address inside one of `networks`."""
    address = parse_address(value)
    if address is None:
        return False
    return any(address in network for network in networks)


ADDRESS_MEMO_LIMIT = 4096  # address texts whose verdict one network test remembers


class NetworkMembership:
    """`address_in(value, networks)`, remembered per address text: parsing an
    address costs microseconds, and a log repeats the same addresses line after
    line (at most ADDRESS_MEMO_LIMIT are kept, then it starts over)."""

    __slots__ = ("networks", "_seen")

    def __init__(self, networks: tuple[IPNetwork, ...]):
        self.networks = networks
        self._seen: dict[str, bool] = {}

    def __call__(self, value: Any) -> bool:
        if value.__class__ is not str:
            return address_in(value, self.networks)
        seen = self._seen
        verdict = seen.get(value)
        if verdict is None:
            verdict = address_in(value, self.networks)
            if len(seen) >= ADDRESS_MEMO_LIMIT:
                seen.clear()
            seen[value] = verdict
        return verdict


@dataclass(frozen=True, slots=True)
class Allowlist:
    cidrs: tuple[IPNetwork, ...] = ()
    users: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()
    _in_cidrs: NetworkMembership = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_in_cidrs", NetworkMembership(self.cidrs))

    @classmethod
    def build(
        cls, cidrs: Iterable[str] = (), users: Iterable[str] = (), paths: Iterable[str] = ()
    ) -> Allowlist:
        """An allowlist from plain strings (e.g. from secmon.yaml); ValueError on a bad network."""
        return cls(
            cidrs=tuple(parse_network(c) for c in cidrs),
            users=frozenset(users),
            paths=tuple(paths),
        )

    def __bool__(self) -> bool:
        return bool(self.cidrs or self.users or self.paths)

    def merged(self, other: Allowlist) -> Allowlist:
        """Everything in either allowlist (order kept, no duplicates)."""
        if not other:
            return self
        if not self:
            return other
        return Allowlist(
            cidrs=tuple(dict.fromkeys(self.cidrs + other.cidrs)),
            users=self.users | other.users,
            paths=tuple(dict.fromkeys(self.paths + other.paths)),
        )

    def allows(self, get: Callable[[str], Any]) -> bool:
        """True when the match seen through `get(field)` is allowlisted."""
        if self.cidrs and self._in_cidrs(get("src_ip")):
            return True
        if self.users:
            user = get("user")
            if isinstance(user, str) and user in self.users:
                return True
        if self.paths:
            path = get("path")
            if isinstance(path, str) and path.startswith(self.paths):
                return True
        return False

    def to_plain(self) -> dict[str, list[str]]:
        return {
            "cidrs": [str(c) for c in self.cidrs],
            "users": sorted(self.users),
            "paths": list(self.paths),
        }
