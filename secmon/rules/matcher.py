"""Stateless matching: which rules' conditions one event meets.

Rules are indexed by `parser` and by a plain `where: {program: X}` equality,
so an event only meets rules that can apply. Within one (parser, program)
plan, the `match` patterns that read the same field run through one
`re2.Set` (one pass in C for the whole group); only the rules whose pattern
occurs then run their own regex to extract groups. A rule's `where`
conditions are tested before its own regex, except those on fields that
its `match` extracts, which are tested right after it.

Rules without `match` ("plain") are bucketed by the field of one of their
conditions (the field most of them test, such as `status`); a bucket
remembers, per value of its field, which of its rules that condition lets
through, so a web event costs one lookup for all the status rules. Conditions
are pure functions of the value, so the memo changes no verdict; it keeps at
most MEMO_LIMIT short values and stops remembering for a field whose values
vary more than that (a path, an address).

A screen (`screen`) searches a syslog message with the same Set as the match
step; the match step reuses that result for the very same message object, so
a line the screen lets through is searched once. Each group also remembers
its Set's answer for the last few thousand short texts it searched (a Set
search is a pure function of the text): User-Agents, paths and queries of
web requests repeat from line to line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from ..events import EVENT_ATTRIBUTES, Event
from .allowlist import Allowlist
from .conditions import FieldCondition, to_text
from .hits import Hit
from .model import Rule
from .regex import LinearRegex, PatternSet

_NO_GROUPS: Mapping[str, Any] = {}
MAX_SCREENED_PROGRAMS = 4096  # a screen's per-program decisions kept (program names vary)
MEMO_LIMIT = 512  # values a plain-rule bucket remembers before it gives up on its field
MEMO_TEXT_CHARS = 64  # longer text values are tested, never remembered
SEARCH_MEMO_LIMIT = 4096  # texts whose Set search a group remembers (then it starts over)
SEARCH_MEMO_TEXT_CHARS = 512  # longer texts are searched every time
_UNKNOWN = object()
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


_Plain = tuple[_Compiled, tuple[FieldCondition, ...]]  # a plain rule, its other conditions
_MEMO_TYPES = (int, float, bool, type(None))


class _Bucket:
    """Plain rules sharing the field of one condition each: which of them that condition
    lets through, remembered per value of the field."""

    __slots__ = ("field", "attribute", "entries", "memo", "_single")

    def __init__(self, name: str, entries: list[tuple[FieldCondition, _Plain]]):
        self.field = name
        self.attribute = name in EVENT_ATTRIBUTES
        self.entries = entries
        self.memo: dict[tuple[type, Any], tuple[_Plain, ...]] | None = {}
        self._single = (entries[0][0].test, (entries[0][1],)) if len(entries) == 1 else None

    def _test(self, value: Any) -> tuple[_Plain, ...]:
        if self._single is not None:
            test, passed = self._single
            return passed if test(value) else ()
        return tuple(entry for cond, entry in self.entries if cond.test(value))

    def passing(self, event: Event) -> tuple[_Plain, ...]:
        """The bucket's rules whose condition on the field holds for `event`."""
        value = getattr(event, self.field) if self.attribute else event.fields.get(self.field)
        memo = self.memo
        if memo is None or not (
            value.__class__ in _MEMO_TYPES
            or (value.__class__ is str and len(value) <= MEMO_TEXT_CHARS)
        ):
            return self._test(value)
        key = (value.__class__, value)  # 1, 1.0 and True are equal keys but not equal values
        found = memo.get(key)
        if found is None:
            found = self._test(value)
            if len(memo) < MEMO_LIMIT:
                memo[key] = found
            else:
                self.memo = None  # too many values: testing is as cheap as remembering
        return found


@dataclass(slots=True)
class _Group:
    field: str
    entries: list[_Compiled]
    patterns: PatternSet | None  # None for a single rule: its own regex is the test
    attribute: bool = False  # the field is an Event attribute, not a parser field
    search: Callable[[bytes], list[int] | None] | None = None  # patterns.search, bound once
    # The last text a screen searched and what it found, so the event that the
    # screen lets through is not searched twice (same str object, same patterns).
    screened: str | None = None
    found: list[int] | None = None
    # text -> which of the group's patterns occur in it (None: none), for short texts:
    # User-Agents, paths and queries repeat from line to line
    seen: dict[str, Sequence[int] | None] = field(default_factory=dict)

    def searched(self, text: str) -> Sequence[int] | None:
        """Which patterns occur in `text` (the Set's answer, remembered), or None;
        for a single rule, (0,) until its own regex has failed on the text."""
        seen = self.seen
        found = seen.get(text, _UNKNOWN)
        if found is not _UNKNOWN:
            return found  # type: ignore[return-value]
        if self.search is None:
            found = _ONLY
        elif text is self.screened:
            found = self.found
        else:
            found = self.search(text.encode("utf-8", "replace"))
        if not self.attribute and len(text) <= SEARCH_MEMO_TEXT_CHARS:
            # (attributes, the message above all, are new text on nearly every line)
            if len(seen) >= SEARCH_MEMO_LIMIT:
                seen.clear()
            seen[text] = found
        return found

    def failed(self, text: str) -> None:
        """A single rule's regex did not match `text`: remember that."""
        if text in self.seen:
            self.seen[text] = None

    def screen(self, text: str) -> list[int] | None:
        assert self.search is not None
        self.found = found = self.search(text.encode("utf-8", "replace"))
        self.screened = text
        return found


@dataclass(slots=True)
class _Plan:
    always: tuple[_Plain, ...] = ()  # plain rules without conditions (the index decided)
    buckets: list[_Bucket] = field(default_factory=list)  # the other plain rules
    groups: list[_Group] = field(default_factory=list)

    @property
    def plain(self) -> bool:
        return bool(self.always or self.buckets)


def _bucketed(plain: list[_Compiled]) -> tuple[tuple[_Plain, ...], list[_Bucket]]:
    """Plain rules split into those without conditions and buckets by a condition's field
    (for each rule, the field that most of the rules test)."""
    tested: dict[str, int] = {}
    for c in plain:
        for name in {cond.field for cond in c.pre}:
            tested[name] = tested.get(name, 0) + 1
    always: list[_Plain] = []
    by_field: dict[str, list[tuple[FieldCondition, _Plain]]] = {}
    for c in plain:
        if not c.pre:
            always.append((c, ()))
            continue
        best = max(range(len(c.pre)), key=lambda i: (tested[c.pre[i].field], -i))
        rest = c.pre[:best] + c.pre[best + 1 :]
        by_field.setdefault(c.pre[best].field, []).append((c.pre[best], (c, rest)))
    return tuple(always), [_Bucket(name, entries) for name, entries in by_field.items()]


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
        self._seen: dict[tuple[str, str | None], _Plan] = {}  # by the event's own values

    def _plan(self, event: Event) -> _Plan:
        seen = self._seen.get((event.parser, event.program))
        if seen is not None:
            return seen
        parser = event.parser if event.parser in self._parsers else ""
        program = event.program if event.program in self._programs else ""
        plan = self._plans.get((parser, program))  # type: ignore[arg-type]
        if plan is None:
            plan = self._plans[(parser, program)] = self._build(parser, program)  # type: ignore
        if len(self._seen) >= MAX_SCREENED_PROGRAMS:
            self._seen.clear()
        self._seen[(event.parser, event.program)] = plan
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
        checks: dict[str | None, bool | Callable[[str], list[int] | None]] = {}

        def check_of(program: str) -> bool | Callable[[str], list[int] | None]:
            plan = self._plans.get((parser_key, program))
            if plan is None:
                plan = self._plans[(parser_key, program)] = self._build(parser_key, program)
            if plan.plain or any(group.field != "message" for group in plan.groups):
                return True
            if len(plan.groups) == 1 and plan.groups[0].search is not None:
                return plan.groups[0].screen  # the match step reuses what it finds
            patterns = [c.regex.pattern for g in plan.groups for c in g.entries if c.regex]
            if not patterns:
                return False
            search = PatternSet(patterns).search
            return lambda message: search(message.encode("utf-8", "replace"))

        def wanted(program: str | None, message: str) -> bool:
            check = checks.get(program)
            if check is None:
                if len(checks) >= MAX_SCREENED_PROGRAMS:
                    checks.clear()
                check = checks[program] = check_of(program if program in programs else "")
            if check is True or check is False:
                return check
            return bool(check(message))

        return wanted

    def _build(self, parser: str, program: str) -> _Plan:
        plan = _Plan()
        plain: list[_Compiled] = []
        by_field: dict[str, list[_Compiled]] = {}
        for c in self._compiled:
            if c.rule.parser is not None and c.rule.parser != parser:
                continue
            if c.programs is not None and program not in c.programs:
                continue
            if c.regex is None:
                plain.append(c)
            else:
                assert c.rule.match is not None
                by_field.setdefault(c.rule.match.field, []).append(c)
        plan.always, plan.buckets = _bucketed(plain)
        for name, entries in by_field.items():
            patterns = None
            if len(entries) > 1:
                patterns = PatternSet([c.regex.pattern for c in entries if c.regex is not None])
            search = patterns.search if patterns is not None else None
            plan.groups.append(_Group(name, entries, patterns, name in EVENT_ATTRIBUTES, search))
        return plan

    def _matches(self, event: Event, explain: bool, ts: float | None = None) -> list[Found]:
        """(order, rule, hit, allowlisted) for each rule met, in rule order; allowlisted
        ones only if `explain`."""
        plan = self._plan(event)
        found: list[Found] = []
        get = event.get
        candidates = plan.always
        for bucket in plan.buckets:
            passed = bucket.passing(event)
            if passed:
                candidates = candidates + passed if candidates else passed
        if candidates:
            if ts is None:
                ts = event.time.timestamp()
            weight = event.fields.get("repeat") or 1
            hit = Hit(ts, event.time, event, _NO_GROUPS, weight)  # the same for every plain rule
            asked: Allowlist | None = None  # plain rules mostly share one allowlist: ask it once
            verdict = False
            for c, rest in candidates:
                if rest and not all(cond.test(get(cond.field)) for cond in rest):
                    continue
                allowlist = c.allowlist
                if allowlist is None:
                    allowed = False
                elif allowlist is asked:
                    allowed = verdict
                else:
                    allowed = verdict = allowlist.allows(hit.get)
                    asked = allowlist
                if explain or not allowed:
                    found.append((c.order, c.rule, hit, allowed))
        fields = event.fields
        for group in plan.groups:
            if group.attribute:
                text = getattr(event, group.field)
            else:
                text = fields.get(group.field)
            if text is None:
                continue
            if text.__class__ is not str:
                text = str(to_text(text))
            seen = group.searched(text)
            if not seen:
                continue
            data = text.encode("utf-8", "replace")
            indices = sorted(seen) if len(seen) > 1 else seen
            for index in indices:
                c = group.entries[index]
                if c.pre and not all(cond.test(get(cond.field)) for cond in c.pre):
                    continue
                groups = c.regex.groups(data)  # type: ignore[union-attr]
                if groups is None:
                    if group.search is None:
                        group.failed(text)
                    continue
                if ts is None:
                    ts = event.time.timestamp()
                match = Hit(ts, event.time, event, groups or _NO_GROUPS, fields.get("repeat") or 1)
                if c.post and not all(cond.test(match.get(cond.field)) for cond in c.post):
                    continue
                allowed = c.allowlist is not None and c.allowlist.allows(match.get)
                if explain or not allowed:
                    found.append((c.order, c.rule, match, allowed))
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
