"""The shipped detection rules (rules/*.yaml): they load, and each passes its own tests.

Every rule carries lines it must catch and near-misses it must leave alone
(`tests:`); one parametrized test runs them through the real parsers and
engine. Two small log samples check the rules together: ordinary traffic
of a district portal and its servers raises nothing, and a set of attacks
raises exactly the expected rules.
"""

from __future__ import annotations

import time
from collections import Counter
from functools import lru_cache
from pathlib import Path

import pytest

from secmon.builtin import builtin_rules_dir
from secmon.events import CATEGORIES, SEVERITIES
from secmon.parsers.base import ParseContext
from secmon.parsers.registry import make_parser
from secmon.rules.engine import DetectionEngine
from secmon.rules.loader import check_rules, load_rules
from secmon.rules.model import RuleSet
from secmon.rulecheck import SELFTEST_REFERENCE, SELFTEST_TZ, selftest_parser
from secmon.rules.selftest import RuleTestFailure, rule_test_coverage, run_rule_tests

RULES_DIR = builtin_rules_dir()
DATA = Path(__file__).parent / "data" / "builtin_rules"
# Rule test lines are parsed as `secmon rules check` parses them.
TZ = SELFTEST_TZ
REFERENCE_TIME = SELFTEST_REFERENCE
MIN_RULES = 40
parse = selftest_parser()


@lru_cache(maxsize=1)
def shipped() -> RuleSet:
    return load_rules([RULES_DIR])


@lru_cache(maxsize=1)
def failures_by_rule() -> dict[str, list[RuleTestFailure]]:
    grouped: dict[str, list[RuleTestFailure]] = {}
    for failure in run_rule_tests(shipped(), parse):
        grouped.setdefault(failure.rule_id, []).append(failure)
    return grouped


def rule_ids() -> list[str]:
    return [rule.id for rule in shipped()]


def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yaml")) + sorted(RULES_DIR.glob("*.yml"))


# ---------------------------------------------------------------- loading


def test_shipped_rules_load_without_problems() -> None:
    assert check_rules([RULES_DIR]) == []
    assert len(shipped()) >= MIN_RULES


def test_every_family_file_starts_with_version_1() -> None:
    files = rule_files()
    assert [f.name for f in files] == [
        "availability.yaml",
        "fim.yaml",
        "mail.yaml",
        "ssh.yaml",
        "system.yaml",
        "web-abuse.yaml",
        "web-attacks.yaml",
        "web-probes.yaml",
        "web-scanners.yaml",
        "webshell.yaml",
    ]
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        header = [line for line in lines if line.strip() and not line.startswith("#")]
        assert header[:2] == ["version: 1", "rules:"], path.name


def test_rules_are_described_for_both_languages_and_tagged() -> None:
    for rule in shipped():
        assert rule.title["vi"].strip() and rule.title["en"].strip(), rule.id
        assert rule.title["vi"] != rule.title["en"], rule.id
        assert rule.category in CATEGORIES, rule.id
        assert rule.severity in SEVERITIES, rule.id
        assert any(tag.startswith("attack.t") for tag in rule.tags), rule.id
        assert rule.enabled, rule.id


def test_stateless_rules_say_which_parser_they_read() -> None:
    for rule in shipped():
        if not rule.is_stateful:
            assert rule.parser in ("syslog", "web", "nginx-error", "fim"), rule.id


# ---------------------------------------------------------------- self-tests


@pytest.mark.parametrize("rule_id", rule_ids())
def test_rule_passes_its_own_tests(rule_id: str) -> None:
    coverage = {c.rule_id: c for c in rule_test_coverage(shipped())}[rule_id]
    assert coverage.positive, f"{rule_id}: no test line it must catch"
    assert coverage.negative, f"{rule_id}: no near-miss test it must leave alone"
    problems = [str(f) for f in failures_by_rule().get(rule_id, [])]
    assert problems == []


def test_the_self_tests_can_fail() -> None:
    """A broken expectation is reported: the parametrized test above has teeth."""
    import dataclasses

    rule = shipped()["ssh.auth-failure"]
    broken = [dataclasses.replace(t, expect=not t.expect) for t in rule.tests]
    failures = run_rule_tests(RuleSet((dataclasses.replace(rule, tests=tuple(broken)),)), parse)
    assert len(failures) == len(rule.tests)
    assert failures[0].message == "the line matches, but the test says 'match: false'"


# ---------------------------------------------------------------- rules together


def run_log(name: str, log_type: str) -> list[str]:
    """Feed one sample log through an engine with every shipped rule; the rule ids detected."""
    ctx = ParseContext(source=name, tz=TZ, reference_time=REFERENCE_TIME)
    parser = make_parser(log_type, ctx)
    engine = DetectionEngine(shipped())
    found: list[str] = []
    text = (DATA / name).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        event = parser.parse(line, number)
        assert event is not None, f"{name}:{number} does not parse"
        found.extend(d.rule_id for d in engine.process(event))
    found.extend(d.rule_id for d in engine.finish())
    return found


@pytest.mark.parametrize(
    ("name", "log_type"),
    [
        ("normal-auth.log", "syslog"),
        ("normal-mail.log", "syslog"),
        ("normal-access.log", "nginx"),
        ("normal-error.log", "nginx-error"),
    ],
)
def test_normal_traffic_stays_quiet(name: str, log_type: str) -> None:
    assert run_log(name, log_type) == []


def test_attacks_on_the_ssh_server_raise_the_expected_rules() -> None:
    assert Counter(run_log("attack-auth.log", "syslog")) == Counter(
        {
            "ssh.brute-force": 1,
            "ssh.password-spray": 1,
            "ssh.success-after-failures": 1,
            "ssh.scan": 1,
            "account.user-created": 1,
            "account.added-to-admin-group": 1,
            "cron.web-user-crontab": 1,
        }
    )


def test_attacks_on_the_portal_raise_the_expected_rules() -> None:
    assert Counter(run_log("attack-access.log", "nginx")) == Counter(
        {
            "web.attack-tool": 4,
            "web.sqli-union": 1,
            "web.sqli-time-based": 1,
            "web.sqli-tautology": 1,
            "web.probe-secrets": 2,
            "web.probe-backup": 1,
            "web.404-storm": 1,
            "web.admin-brute-force": 1,
            "web.upload-script-exec": 2,
            "web.webshell-command": 1,
        }
    )


# ---------------------------------------------------------------- hostile input


HOSTILE_WEB = (
    '203.0.113.9 - - [14/Mar/2026:10:00:01 +0700] "GET /?q='
    + "%27%20or%20" * 2000
    + "union/**/" * 2000
    + "../" * 4000
    + "${" * 3000
    + ' HTTP/1.1" 200 1 "'
    + "() {" * 2000
    + '" "'
    + "a" * 8000
    + '"'
)
HOSTILE_SYSLOG = (
    "Mar 14 06:00:01 portal sshd[811]: Failed password for invalid user "
    + "x from 1.2.3.4 port 1 ssh2: " * 2400
    + " from 203.0.113.9 port 5 ssh2"
)


@pytest.mark.parametrize(("log_type", "line"), [("nginx", HOSTILE_WEB), ("syslog", HOSTILE_SYSLOG)])
def test_a_hostile_64k_line_is_matched_in_linear_time(log_type: str, line: str) -> None:
    assert len(line) >= 64 * 1024
    ctx = ParseContext(source="hostile", tz=TZ, reference_time=REFERENCE_TIME)
    event = make_parser(log_type, ctx).parse(line)
    assert event is not None
    engine = DetectionEngine(shipped())
    started = time.perf_counter()
    for _ in range(5):
        engine.explain(event)
    assert time.perf_counter() - started < 1.0
