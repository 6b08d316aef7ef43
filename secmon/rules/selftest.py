"""Run the `tests:` blocks of rules: lines each rule must catch and must not.

    failures = run_rule_tests(ruleset, parse)   # parse(parser_name, line) -> Event | None

Stateless tests parse one line with the rule's parser and check the match
and the extracted fields. Stateful tests feed their lines (x `repeat`)
through a fresh engine holding only that rule and what it builds on, then
check that a detection of the rule happened (or not) and its key. Only the
rule's own allowlist applies: a site allowlist must not break shipped tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import Location, SecmonError
from ..events import Detection, Event
from .allowlist import Allowlist
from .conditions import to_text
from .engine import DetectionEngine
from .matcher import StatelessMatcher
from .model import Rule, RuleSet, RuleTest

Parse = Callable[[str, str], "Event | None"]


@dataclass(frozen=True, slots=True)
class RuleTestFailure:
    rule_id: str
    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: [{self.rule_id}] {self.message}"


@dataclass(frozen=True, slots=True)
class RuleTestCoverage:
    """Whether a rule has a test it must pass (positive) and one it must not (negative)."""

    rule_id: str
    positive: bool
    negative: bool

    @property
    def complete(self) -> bool:
        return self.positive and self.negative


def rules_without_tests(ruleset: RuleSet) -> list[str]:
    return [rule.id for rule in ruleset.rules if not rule.tests]


def rule_test_coverage(ruleset: RuleSet) -> list[RuleTestCoverage]:
    return [
        RuleTestCoverage(
            rule.id,
            positive=any(t.expect for t in rule.tests),
            negative=any(not t.expect for t in rule.tests),
        )
        for rule in ruleset.rules
    ]


def _format_key(key: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in key.items()) + "}"


def _parse(parse: Parse, parser: str, line: str) -> tuple[Event | None, str]:
    try:
        return parse(parser, line), ""
    except (SecmonError, ValueError, KeyError) as exc:
        return None, f" ({exc})"


class _Runner:
    def __init__(self, ruleset: RuleSet, parse: Parse):
        self.ruleset = ruleset
        self.parse = parse
        self.failures: list[RuleTestFailure] = []

    def fail(self, rule: Rule, test: RuleTest, message: str) -> None:
        self.failures.append(RuleTestFailure(rule.id, test.location, message))

    def stateless(self, rule: Rule, test: RuleTest, matcher: StatelessMatcher) -> None:
        parser = test.parser or rule.parser
        if parser is None:
            self.fail(rule, test, "the rule has no parser: add 'parser:' to the test")
            return
        assert test.line is not None
        event, why = _parse(self.parse, parser, test.line)
        if event is None:
            self.fail(rule, test, f"the line does not parse as {parser}{why}")
            return
        matches = matcher.explain(event)
        found = [m for m in matches if not m.allowlisted]
        if not test.expect:
            if found:
                self.fail(rule, test, "the line matches, but the test says 'match: false'")
            return
        if not found:
            why = " (the rule's allowlist excludes it)" if matches else ""
            self.fail(rule, test, f"the line does not match{why}")
            return
        view = found[0].fields
        for name, expected in test.fields.items():
            value = view.get(name)
            if value is None:
                value = event.get(name)
            actual = to_text(value)
            if actual is None:
                self.fail(rule, test, f"field '{name}' is missing, expected '{expected}'")
            elif actual != expected:
                self.fail(rule, test, f"field '{name}' is '{actual}', expected '{expected}'")

    def stateful(self, rule: Rule, test: RuleTest) -> None:
        chain = self.ruleset.dependencies(rule.id)
        target = dataclasses.replace(rule, enabled=True, building_block=False)
        rules = tuple(target if r.id == rule.id else r for r in chain)
        engine = DetectionEngine(RuleSet(rules, Allowlist()))
        parsers = (
            [test.parser]
            if test.parser
            else list(dict.fromkeys(r.parser for r in chain if not r.is_stateful and r.parser))
        )
        if not parsers:
            self.fail(
                rule, test, "cannot tell which parser reads the lines: add 'parser:' to the test"
            )
            return
        detections: list[Detection] = []
        for number, line in enumerate(test.lines * test.repeat, start=1):
            event, why = None, ""
            for parser in parsers:
                event, why = _parse(self.parse, parser, line)
                if event is not None:
                    break
            if event is None:
                self.fail(
                    rule, test, f"line {number} does not parse as {' or '.join(parsers)}{why}"
                )
                return
            detections.extend(d for d in engine.process(event) if d.rule_id == rule.id)
        detections.extend(d for d in engine.finish() if d.rule_id == rule.id)
        total = len(test.lines) * test.repeat
        keys = [d.key_dict for d in detections]
        if not test.expect:
            if keys:
                self.fail(
                    rule,
                    test,
                    f"detected (key {_format_key(keys[0])}), but the test says 'detect: false'",
                )
            return
        if not keys:
            self.fail(rule, test, f"no detection from {total} lines")
        elif test.key is not None and dict(test.key) not in keys:
            shown = ", ".join(_format_key(k) for k in keys)
            self.fail(
                rule, test, f"detected with key {shown}, expected key {_format_key(dict(test.key))}"
            )


def run_rule_tests(ruleset: RuleSet, parse: Parse) -> list[RuleTestFailure]:
    """Run every rule's tests; the failures, in rule and test order."""
    runner = _Runner(ruleset, parse)
    for rule in ruleset.rules:
        if not rule.tests:
            continue
        if rule.is_stateful:
            for test in rule.tests:
                runner.stateful(rule, test)
        else:
            matcher = StatelessMatcher([rule], Allowlist())
            for test in rule.tests:
                runner.stateless(rule, test, matcher)
    return runner.failures
