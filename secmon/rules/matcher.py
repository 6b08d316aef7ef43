"""Stateless matching: which rules' conditions one event meets.

Rules are indexed by `parser` and by a plain `where: {program: X}` equality,
so an event only meets rules that can apply. Within one (parser, program)
plan, the `match` patterns that read the same field run through one
`re2.Set` (one pass in C for the whole group); only the rules whose pattern
occurs then run their own regex to extract groups. A rule's `where`
conditions are tested before its own regex, except those on fields that
its `match` extracts, which are tested right after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from ..events import Event
from .allowlist import Allowlist
from .conditions import FieldCondition, to_text
from .hits import Hit
from .model import Rule
from .regex import LinearRegex, PatternSet

_NO_GROUPS: Mapping[str, Any] = {}
MAX_SCREENED_PROGRAMS = 4096  # a screen's per-program decisions kept (program names vary)
_ORDER = itemgetter(0)
_ONLY = (0,)
Found = tuple[int, Rule, Hit, bool]  # rule order, rule, the match, allowlisted
Screen = Callable[[str | None, str], bool]  # (program, message) -> could a rule match?


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A stateless rule whose conditions an event meets (for `secmon rules test`)."""

    rule: Rule
    fields: Mapping[str, Any]  # the event's fields with the match's named groups on top
    allowlisted: bool = False  # conditions met, but an allowlist excludes the event


class _Compiled:
    """One rule, ready to test: its conditions split around the regex."""

    __slots__ = ("rule", "order", "pre", "post", "regex", "allowlist", "programs")

    def __init__(self, rule: Rule, order: int, allowlist: Allowlist):
        self.rule = rule
        self.order = order
        self.allowlist: Allowlist | None = allowlist if allowlist else None
        self.regex: LinearRegex | None = rule.match.regex if rule.match else None
        extracted = set(rule.match.group_names) if rule.match else set()
        self.programs: frozenset[str] | None = None
        pre: list[FieldCondition] = []
        post: list[FieldCondition] = []
        for cond in rule.where:
            if cond.field in extracted:
                post.append(cond)  # a field the match extracts: test it after the match
            elif cond.field == "program" and cond.index_values is not None:
                self.programs = cond.index_values  # guaranteed by the index, never tested
            else:
                pre.append(cond)
        self.pre = tuple(pre)
        self.post = tuple(post)


@dataclass(slots=True)
class _Group:
    field: str
    entries: list[_Compiled]
    patterns: PatternSet | None  # None for a single rule: its own regex is the test


@dataclass(slots=True)
class _Plan:
    plain: list[_Compiled] = field(default_factory=list)  # rules without `match`
    groups: list[_Group] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.plain and not self.groups


def _view(event: Event, groups: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(event.fields)
    merged.update(groups)
    return merged


class StatelessMatcher:
    """Tests events against stateless rules; `hits` for the engine, `explain` for people."""

    def __init__(self, rules: Sequence[Rule], allowlist: Allowlist):
        self._compiled = [
            _Compiled(rule, order, allowlist.merged(rule.allowlist))
            for order, rule in enumerate(rules)
        ]
        self._parsers = frozenset(r.parser for r in rules if r.parser is not None)
        self._programs = frozenset(
            p for c in self._compiled if c.programs is not None for p in c.programs
        )
        self._plans: dict[tuple[str, str], _Plan] = {}

    def _plan(self, event: Event) -> _Plan:
        parser = event.parser if event.parser in self._parsers else ""
        program = event.program if event.program in self._programs else ""
        plan = self._plans.get((parser, program))  # type: ignore[arg-type]
        if plan is None:
            plan = self._plans[(parser, program)] = self._build(parser, program)  # type: ignore
        return plan

    def screen(self, parser: str) -> Screen:
        """For events of `parser`: `wanted(program, message)`, false only when no rule can
        match such an event, whatever its other fields.

        Per program: no rule at all gives false; a rule without `match`, or one
        matching another field than the message, gives true; else the message is
        searched for all the rules' patterns at once (RE2 Set).
        """
        parser_key = parser if parser in self._parsers else ""
        programs = self._programs
        checks: dict[str | None, bool | Callable[[bytes], list[int] | None]] = {}

        def check_of(program: str) -> bool | Callable[[bytes], list[int] | None]:
            plan = self._plans.get((parser_key, program))
            if plan is None:
                plan = self._plans[(parser_key, program)] = self._build(parser_key, program)
            if plan.plain or any(group.field != "message" for group in plan.groups):
                return True
            patterns = [c.regex.pattern for g in plan.groups for c in g.entries if c.regex]
            return PatternSet(patterns).search if patterns else False

        def wanted(program: str | None, message: str) -> bool:
            check = checks.get(program)
            if check is None:
                if len(checks) >= MAX_SCREENED_PROGRAMS:
                    checks.clear()
                check = checks[program] = check_of(program if program in programs else "")
            if check is True or check is False:
                return check
            return bool(check(message.encode("utf-8", "replace")))

        return wanted

    def _build(self, parser: str, program: str) -> _Plan:
        plan = _Plan()
        by_field: dict[str, list[_Compiled]] = {}
        for c in self._compiled:
            if c.rule.parser is not None and c.rule.parser != parser:
                continue
            if c.programs is not None and program not in c.programs:
                continue
            if c.regex is None:
                plan.plain.append(c)
            else:
                assert c.rule.match is not None
                by_field.setdefault(c.rule.match.field, []).append(c)
        for name, entries in by_field.items():
            patterns = None
            if len(entries) > 1:
                patterns = PatternSet([c.regex.pattern for c in entries if c.regex is not None])
            plan.groups.append(_Group(name, entries, patterns))
        return plan

    def _matches(self, event: Event, explain: bool, ts: float | None = None) -> list[Found]:
        """(order, rule, hit, allowlisted) for each rule met, in rule order; allowlisted
        ones only if `explain`."""
        plan = self._plan(event)
        found: list[Found] = []
        get = event.get
        for c in plan.plain:
            pre = c.pre
            if pre:
                # most `where:` have one condition: test it without a generator
                if len(pre) == 1:
                    cond = pre[0]
                    if not cond.test(get(cond.field)):
                        continue
                elif not all(cond.test(get(cond.field)) for cond in pre):
                    continue
            if ts is None:
                ts = event.time.timestamp()
            hit = Hit(ts, event.time, event, _NO_GROUPS)
            allowed = c.allowlist is not None and c.allowlist.allows(hit.get)
            if explain or not allowed:
                found.append((c.order, c.rule, hit, allowed))
        for group in plan.groups:
            text = event.message if group.field == "message" else get(group.field)
            if text is None:
                continue
            if text.__class__ is not str:
                text = str(to_text(text))
            data = text.encode("utf-8", "replace")
            indices = group.patterns.match(data) if group.patterns is not None else _ONLY
            if not indices:
                continue
            for index in indices:
                c = group.entries[index]
                if c.pre and not all(cond.test(get(cond.field)) for cond in c.pre):
                    continue
                groups = c.regex.groups(data)  # type: ignore[union-attr]
                if groups is None:
                    continue
                if ts is None:
                    ts = event.time.timestamp()
                hit = Hit(ts, event.time, event, groups or _NO_GROUPS)
                if c.post and not all(cond.test(hit.get(cond.field)) for cond in c.post):
                    continue
                allowed = c.allowlist is not None and c.allowlist.allows(hit.get)
                if explain or not allowed:
                    found.append((c.order, c.rule, hit, allowed))
        if len(found) > 1:
            found.sort(key=_ORDER)
        return found

    def hits(self, event: Event, ts: float | None = None) -> list[Found]:
        """(order, rule, hit, False) for each rule the event matches (allowlists applied),
        in rule order. `ts`: the event's timestamp, if the caller has it already."""
        return self._matches(event, False, ts)

    def explain(self, event: Event) -> list[RuleMatch]:
        """Every rule whose conditions the event meets, allowlisted ones flagged."""
        return [
            RuleMatch(rule, _view(event, hit.fields), allowed)
            for _, rule, hit, allowed in self._matches(event, explain=True)
        ]
