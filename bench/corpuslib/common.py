"""Shared parts of the log corpus generator: scenarios, addresses, the office, helpers.

Every log is built from timed lines `(t, before, after)`: `t` is seconds since
the epoch and the written line is `before + stamp(t) + after` (syslog lines
have an empty `before`; nginx lines carry the stamp in the middle). Nothing
here reads the wall clock or the environment: time starts where the caller says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import TypeVar

T = TypeVar("T")
Line = tuple[float, str, str]  # (epoch seconds, text before the stamp, text after it)
Item = tuple[float, int, str, str]  # a Line with a tie-breaker, as merged


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class Context:
    """What every source and scenario of one corpus needs to know."""

    kind: str
    host: str  # the syslog host name
    district: str
    xff: bool  # nginx: append "$http_x_forwarded_for"
    start: float
    span: float
    utc_offset: float  # seconds east of UTC at the start, for time-of-day profiles
    year: int
    month: int

    @property
    def domain(self) -> str:
        return f"{self.district}.gov.vn"

    @property
    def portal(self) -> str:
        return f"portal.{self.domain}"


@dataclass(frozen=True)
class Plan:
    """One scenario instance: who, how big, when."""

    name: str
    index: int
    ip: str
    user: str | None
    size: int
    t0: float


ScenarioMaker = Callable[[Random, Context, Plan], Iterator[Line]]


@dataclass(frozen=True)
class ScenarioType:
    """A kind of attack (or abuse) a log can contain.

    `sizes` bounds the scenario's size (attempts, requests, names ...);
    `summary` is a {vi, en} template formatted with the plan's fields.
    `address` is "attacker" (a fresh attacker IP) or "office" (a local address
    of a staff workstation, for abuse by a local user).
    """

    name: str
    categories: tuple[str, ...]
    expect: str
    sizes: tuple[int, int]
    make: ScenarioMaker
    summary: Mapping[str, str]
    users: tuple[str, ...] = ()
    address: str = "attacker"


# --------------------------------------------------------------------------- addresses


def int_to_ip(value: int) -> str:
    return f"{value >> 24 & 255}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


def _net(cidr: str) -> tuple[int, int]:
    base, bits = cidr.split("/")
    a, b, c, d = (int(x) for x in base.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d, 1 << (32 - int(bits))


_NETS = {
    cidr: _net(cidr)
    for cidr in (
        "100.96.0.0/12",
        "100.84.0.0/16",
        "100.112.0.0/14",
        "100.116.0.0/14",
        "100.120.0.0/14",
    )
}


def sample_hosts(rng: Random, cidr: str, count: int) -> list[str]:
    """`count` distinct addresses of `cidr`, never ending in .0 or .255."""
    base, size = _net(cidr)
    out: list[str] = []
    seen: set[int] = set()
    while len(out) < count:
        for offset in rng.sample(range(size), min(size, 2 * (count - len(out)) + 8)):
            if offset in seen or (base + offset) & 255 in (0, 255):
                continue
            seen.add(offset)
            out.append(int_to_ip(base + offset))
            if len(out) == count:
                break
        if len(seen) >= size - size // 128:
            raise ValueError(f"{cidr} has too few addresses for {count}")
    return out


def random_host(rng: Random, cidr: str) -> str:
    base, size = _NETS.get(cidr) or _net(cidr)
    while True:
        value = base + int(rng.random() * size)
        if value & 255 not in (0, 255):
            return int_to_ip(value)


class AddressBook:
    """Hands out each attacker (or local-abuser) address once per corpus.

    The documentation ranges come first, split between log kinds so that logs
    generated together never share an attacker; then a slice of 100.64.0.0/10.
    """

    DOC_RANGES = {
        "auth": ((192, 0, 2, 1, 254),),
        "access": ((203, 0, 113, 1, 254), (198, 51, 100, 1, 126)),
        "mail": ((198, 51, 100, 129, 254),),
    }
    OVERFLOW = {"auth": "100.112.0.0/14", "access": "100.116.0.0/14", "mail": "100.120.0.0/14"}
    OFFICE = {"auth": "10.10.2.", "access": "10.10.3.", "mail": "10.10.4."}

    def __init__(self, kind: str, rng: Random):
        self._kind = kind
        self._rng = rng
        doc = [
            f"{a}.{b}.{c}.{d}"
            for a, b, c, lo, hi in self.DOC_RANGES[kind]
            for d in range(lo, hi + 1)
        ]
        rng.shuffle(doc)
        self._doc = doc
        self._used: set[str] = set()
        self._office = 0

    def attacker(self) -> str:
        while self._doc:
            ip = self._doc.pop()
            self._used.add(ip)
            return ip
        while True:
            ip = random_host(self._rng, self.OVERFLOW[self._kind])
            if ip not in self._used:
                self._used.add(ip)
                return ip

    def office(self) -> str:
        self._office += 1
        if self._office > 250:
            raise ValueError("more than 250 local-abuse scenarios in one corpus")
        return f"{self.OFFICE[self._kind]}{10 + self._office % 240}"


class Pool:
    """The addresses of one kind of benign actor.

    The first pass hands out every address once (so that each appears in a
    corpus of reasonable size); later picks are random.
    """

    def __init__(self, addresses: Sequence[str], rng: Random):
        if not addresses:
            raise ValueError("empty address pool")
        self.addresses = list(addresses)
        rng.shuffle(self.addresses)
        self._next = 0

    def pick(self, rng: Random) -> str:
        if self._next < len(self.addresses):
            self._next += 1
            return self.addresses[self._next - 1]
        return self.addresses[int(rng.random() * len(self.addresses))]


# --------------------------------------------------------------------------- small helpers


def between(rng: Random, low: float, high: float) -> float:
    return low + rng.random() * (high - low)


def pid(rng: Random) -> int:
    return 1000 + int(rng.random() * 120000)


def port(rng: Random) -> int:
    return 1024 + int(rng.random() * 64511)


def pick(rng: Random, seq: Sequence[T]) -> T:
    return seq[int(rng.random() * len(seq))]


def hexid(rng: Random, length: int, alphabet: str = "0123456789ABCDEF") -> str:
    """`length` random characters of `alphabet` (upper-case hex by default)."""
    if alphabet == "0123456789ABCDEF":
        return f"{rng.getrandbits(4 * length):0{length}X}"
    if alphabet == "0123456789abcdef":
        return f"{rng.getrandbits(4 * length):0{length}x}"
    return "".join(rng.choices(alphabet, k=length))


B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def nginx_escape(text: str) -> str:
    """How nginx writes a request line or header into its log (escape=default)."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return text
    out = []
    for byte in text.encode("utf-8"):
        if byte in (0x22, 0x5C) or byte < 0x20 or byte > 0x7E:
            out.append(f"\\x{byte:02X}")
        else:
            out.append(chr(byte))
    return "".join(out)


@dataclass
class Counter:
    """A per-corpus increasing number (logind session ids, queue ids ...)."""

    value: int = 0
    step: tuple[int, int] = field(default=(1, 1))

    def next(self, rng: Random) -> int:
        low, high = self.step
        self.value += low if low == high else low + int(rng.random() * (high - low + 1))
        return self.value


# --------------------------------------------------------------------------- the office


@dataclass(frozen=True)
class Staff:
    """A member of staff: the same people appear in every log kind."""

    user: str
    uid: int
    office_ip: str
    home_ip: str | None
    admin: bool  # IT staff: logs in to servers, edits the portal


STAFF: tuple[Staff, ...] = (
    Staff("canbo", 1000, "10.10.1.21", "100.80.14.7", True),
    Staff("quantri", 1001, "10.10.1.22", "100.80.52.19", True),
    Staff("kythuat", 1002, "10.10.1.23", None, True),
    Staff("vanthu", 1003, "10.10.1.35", None, False),
    Staff("ketoan", 1004, "10.10.1.41", None, False),
    Staff("tiepdan", 1005, "10.10.1.52", "100.80.90.41", False),
    Staff("motcua", 1006, "192.168.1.15", None, False),
    Staff("chutich", 1007, "10.10.1.60", "100.80.77.3", False),
)
ADMINS: tuple[Staff, ...] = tuple(s for s in STAFF if s.admin)


def staff_addresses(staff: Iterable[Staff]) -> set[str]:
    out: set[str] = set()
    for member in staff:
        out.add(member.office_ip)
        if member.home_ip:
            out.add(member.home_ip)
    return out


class Spacing:
    """Allows an event for a key at most once per `gap` seconds (a mistyped password)."""

    def __init__(self, gap: float):
        self._gap = gap
        self._last: dict[str, float] = {}

    def allow(self, key: str, t: float) -> bool:
        if t - self._last.get(key, -1e18) < self._gap:
            return False
        self._last[key] = t
        return True
