"""The rule model: what a loaded rule file says, checked and compiled.

A rule is either stateless (conditions on one event: `parser`, `where`,
`match`) or stateful (it counts the matches of other rules: `threshold`,
`distinct`, `sequence`, `absence`). Rules are frozen; overrides produce
new Rule values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..errors import Location
from .allowlist import Allowlist
from .conditions import FieldCondition
from .regex import LinearRegex

# Event.parser values the parsers produce ("fim" is the web-root integrity watcher).
KNOWN_PARSERS: tuple[str, ...] = ("syslog", "web", "nginx-error", "apache-error", "json", "fim")
STATEFUL_KINDS: tuple[str, ...] = ("threshold", "distinct", "sequence", "absence")


@dataclass(frozen=True, slots=True)
class MatchSpec:
    """`match:`: an RE2 pattern searched in one field (default: message)."""

    field: str
    pattern: str
    regex: LinearRegex = dataclasses.field(compare=False, repr=False)

    @property
    def group_names(self) -> tuple[str, ...]:
        return self.regex.group_names


@dataclass(frozen=True, slots=True)
class Threshold:
    count: int
    within: timedelta
    by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Distinct:
    field: str
    count: int
    within: timedelta
    by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sequence:
    first: str
    then: str
    within: timedelta
    min_count: int = 1
    by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Absence:
    within: timedelta
    by: tuple[str, ...] = ()


StatefulSpec = Threshold | Distinct | Sequence | Absence


@dataclass(frozen=True, slots=True)
class RuleTest:
    """One entry of a rule's `tests:`.

    Stateless rules: `line` must (not) match (`expect`), with `fields`.
    Stateful rules: `lines` x `repeat` must (not) produce a detection, with `key`.
    """

    location: Location
    expect: bool = True
    line: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    lines: tuple[str, ...] = ()
    repeat: int = 1
    key: Mapping[str, str] | None = None
    parser: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: Mapping[str, str]
    category: str
    severity: str
    location: Location
    description: Mapping[str, str] | None = None
    tags: tuple[str, ...] = ()
    parser: str | None = None
    where: tuple[FieldCondition, ...] = ()
    match: MatchSpec | None = None
    key: tuple[str, ...] | None = None
    building_block: bool = False
    allowlist: Allowlist = field(default_factory=Allowlist)
    playbook: str | None = None
    enabled: bool = True
    tests: tuple[RuleTest, ...] = ()
    sources: tuple[str, ...] = ()  # `from:`
    stateful: StatefulSpec | None = None

    @property
    def kind(self) -> str:
        """'match' for stateless rules, else threshold, distinct, sequence or absence."""
        if self.stateful is None:
            return "match"
        return type(self.stateful).__name__.lower()

    @property
    def is_stateful(self) -> bool:
        return self.stateful is not None

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Ids of the rules whose matches feed this one, in order."""
        if isinstance(self.stateful, Sequence):
            return (self.stateful.first, self.stateful.then)
        return self.sources

    @property
    def group_by(self) -> tuple[str, ...]:
        return self.stateful.by if self.stateful is not None else (self.key or ())


@dataclass(frozen=True)
class RuleSet:
    """Every loaded rule in load order, the global allowlist and the files read."""

    rules: tuple[Rule, ...]
    allowlist: Allowlist = field(default_factory=Allowlist)
    files: tuple[Path, ...] = ()
    _by_id: dict[str, Rule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {rule.id: rule for rule in self.rules})

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._by_id

    def __getitem__(self, rule_id: str) -> Rule:
        return self._by_id[rule_id]

    def get(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)

    def dependencies(self, rule_id: str) -> list[Rule]:
        """The rule and every rule it (transitively) builds on, dependencies first."""
        seen: dict[str, Rule] = {}
        visiting: set[str] = set()  # the loader refuses cycles; never loop on one anyway

        def visit(current: str) -> None:
            if current in seen or current in visiting or current not in self._by_id:
                return
            visiting.add(current)
            rule = self._by_id[current]
            for dep in rule.depends_on:
                visit(dep)
            seen[current] = rule

        visit(rule_id)
        return list(seen.values())
