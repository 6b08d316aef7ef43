"""Ground truth of a generated log: who attacked, who must stay quiet, what happened."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TRUTH_VERSION = 1
EXPECTATIONS = ("required", "optional", "by-user")


@dataclass(frozen=True)
class ScenarioNote:
    """What one attack scenario did, for people reading the truth file."""

    scenario: str
    log: str
    ip: str | None
    user: str | None
    categories: tuple[str, ...]
    expect: str  # "required": by ip; "optional": may be reported; "by-user": no ip key
    first_seen: str
    last_seen: str
    lines: int
    summary: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "log": self.log,
            "ip": self.ip,
            "user": self.user,
            "categories": list(self.categories),
            "expect": self.expect,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "lines": self.lines,
            "summary": {"vi": self.summary["vi"], "en": self.summary["en"]},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScenarioNote:
        return cls(
            scenario=data["scenario"],
            log=data["log"],
            ip=data["ip"],
            user=data["user"],
            categories=tuple(data["categories"]),
            expect=data["expect"],
            first_seen=data["first_seen"],
            last_seen=data["last_seen"],
            lines=int(data["lines"]),
            summary=dict(data["summary"]),
        )


def ip_sort_key(ip: str) -> tuple[int, ...]:
    return tuple(int(part) for part in ip.split("."))


@dataclass(frozen=True)
class Truth:
    """What a correct detector must find in a generated log.

    `attackers`: IP -> categories that must be reported for it (more are not
    asserted). `optional`: IPs that may be reported (slow attacks) but need not
    be. `benign`: IPs that must raise nothing at all. Addresses in none of
    these (one-off internet noise, a local user's login address) are not
    asserted. `notes` describes every scenario, including those keyed by user.
    """

    kind: str
    seed: int
    lines: int
    attack_lines: int
    start: str
    attackers: dict[str, set[str]]
    optional: dict[str, set[str]]
    benign: set[str]
    notes: tuple[ScenarioNote, ...] = ()

    @property
    def attack_share(self) -> float:
        return self.attack_lines / self.lines if self.lines else 0.0

    def to_dict(self) -> dict[str, Any]:
        def by_ip(mapping: Mapping[str, set[str]]) -> dict[str, list[str]]:
            return {ip: sorted(mapping[ip]) for ip in sorted(mapping, key=ip_sort_key)}

        return {
            "version": TRUTH_VERSION,
            "kind": self.kind,
            "seed": self.seed,
            "lines": self.lines,
            "attack_lines": self.attack_lines,
            "start": self.start,
            "attackers": by_ip(self.attackers),
            "optional": by_ip(self.optional),
            "benign": sorted(self.benign, key=ip_sort_key),
            "notes": [note.to_dict() for note in self.notes],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Truth:
        if data.get("version") != TRUTH_VERSION:
            raise ValueError(
                f"truth file version {data.get('version')!r}, expected {TRUTH_VERSION}"
            )
        return cls(
            kind=data["kind"],
            seed=int(data["seed"]),
            lines=int(data["lines"]),
            attack_lines=int(data["attack_lines"]),
            start=data["start"],
            attackers={ip: set(cats) for ip, cats in data["attackers"].items()},
            optional={ip: set(cats) for ip, cats in data["optional"].items()},
            benign=set(data["benign"]),
            notes=tuple(ScenarioNote.from_dict(n) for n in data["notes"]),
        )

    @classmethod
    def from_json(cls, text: str) -> Truth:
        return cls.from_dict(json.loads(text))


def merge_truths(truths: Sequence[Truth]) -> Truth:
    """One truth for several logs generated together (their attackers never overlap)."""
    attackers: dict[str, set[str]] = {}
    optional: dict[str, set[str]] = {}
    benign: set[str] = set()
    for truth in truths:
        for target, source in ((attackers, truth.attackers), (optional, truth.optional)):
            for ip, cats in source.items():
                target.setdefault(ip, set()).update(cats)
        benign |= truth.benign
    overlap = (set(attackers) | set(optional)) & benign
    if overlap:
        raise ValueError(f"addresses both attacking and benign: {sorted(overlap)}")
    return Truth(
        kind="+".join(t.kind for t in truths),
        seed=truths[0].seed,
        lines=sum(t.lines for t in truths),
        attack_lines=sum(t.attack_lines for t in truths),
        start=min(t.start for t in truths),
        attackers=attackers,
        optional=optional,
        benign=benign,
        notes=tuple(note for t in truths for note in t.notes),
    )
