"""Rule self-tests: run `tests:` blocks and report failures at the test's place."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from rules_testkit import write

from secmon.events import Event
from secmon.rules.loader import load_rules
from secmon.rules.selftest import (
    RuleTestCoverage,
    RuleTestFailure,
    rule_test_coverage,
    rules_without_tests,
    run_rule_tests,
)

SAMPLE = Path(__file__).parent / "data" / "rules" / "sample.yaml"
SYSLOG = re.compile(r"(\w{3} +\d+ (\d\d):(\d\d):(\d\d)) (\S+) ([\w-]+)(?:\[\d+\])?: (.*)")
WEB = re.compile(r"(\S+) (\w+) (\S+) (\d+)(?: @(\d\d):(\d\d):(\d\d))?")


def parse(parser: str, line: str) -> Event | None:
    """A small stand-in for the real parsers: enough of syslog and web for these tests."""
    if parser == "syslog":
        found = SYSLOG.fullmatch(line)
        if not found:
            return None
        _, hh, mm, ss, host, program, message = found.groups()
        when = datetime(2026, 3, 14, int(hh), int(mm), int(ss), tzinfo=UTC)
        return Event(
            time=when,
            source="rule-test",
            parser="syslog",
            message=message,
            raw=line,
            host=host,
            program=program,
        )
    if parser == "web":
        found = WEB.fullmatch(line)
        if not found:
            return None
        ip, method, path, status, hh, mm, ss = found.groups()
        when = datetime(2026, 3, 14, int(hh or 6), int(mm or 0), int(ss or 0), tzinfo=UTC)
        return Event(
            time=when,
            source="rule-test",
            parser="web",
            message=line,
            raw=line,
            fields={"src_ip": ip, "method": method, "path": path, "status": int(status)},
        )
    raise KeyError(parser)


def test_sample_rules_pass_their_tests():
    ruleset = load_rules([SAMPLE])
    assert run_rule_tests(ruleset, parse) == []
    assert rules_without_tests(ruleset) == []
    assert all(c.complete for c in rule_test_coverage(ruleset))


FAILING = """
version: 1
rules:
- id: ssh.fail
  title: {vi: a, en: b}
  category: brute-force
  severity: low
  parser: syslog
  where: {program: sshd}
  match: 'Failed \\S+ for (?P<user>\\S+) from (?P<src_ip>\\S+)'
  allowlist: {cidrs: [10.0.0.0/8]}
  tests:
    - line: "Mar 14 06:00:01 portal sshd[1]: Failed password for root from 203.0.113.9 port 1"
      fields: {user: admin, src_ip: 203.0.113.9, port: '1', program: sshd}
    - line: "this is not syslog"
    - line: "Mar 14 06:00:01 portal sshd[1]: Accepted password for root from 10.0.0.1 port 1"
    - line: "Mar 14 06:00:01 portal sshd[1]: Failed password for root from 10.0.0.1 port 1"
    - line: "Mar 14 06:00:01 portal sshd[1]: Failed password for root from 203.0.113.9 port 1"
      match: false
    - line: "Mar 14 06:00:01 portal sshd[1]: Failed password for root from 203.0.113.9 port 1"
      parser: json
- id: any.fail
  title: {vi: a, en: b}
  category: brute-force
  severity: low
  match: 'Failed'
  tests:
    - line: "Mar 14 06:00:01 portal sshd[1]: Failed password"
    - line: "Mar 14 06:00:01 portal sshd[1]: Failed password"
      parser: syslog
- id: ssh.bf
  title: {vi: a, en: b}
  category: brute-force
  severity: high
  from: ssh.fail
  threshold: {count: 3, within: 1m, by: [src_ip]}
  tests:
    - lines: ["Mar 14 06:00:01 portal sshd[1]: Failed password for root from 203.0.113.9 port 1"]
      repeat: 2
    - lines: ["Mar 14 06:00:01 portal sshd[1]: Failed password for root from 203.0.113.9 port 1"]
      repeat: 3
      key: {src_ip: 198.51.100.1}
    - lines: ["Mar 14 06:00:01 portal sshd[1]: Failed password for root from 203.0.113.9 port 1"]
      repeat: 3
      detect: false
    - lines: ["Mar 14 06:00:01 portal sshd[1]: Failed password for root from 203.0.113.9 port 1",
              "garbage"]
- id: any.bf
  title: {vi: a, en: b}
  category: brute-force
  severity: high
  from: any.fail
  threshold: {count: 1, within: 1m}
  tests:
    - lines: ["Mar 14 06:00:01 portal sshd[1]: Failed password"]
    - lines: ["Mar 14 06:00:01 portal sshd[1]: Failed password"]
      parser: syslog
      key: {}
- id: untested
  title: {vi: a, en: b}
  category: brute-force
  severity: low
  match: x
"""


def test_failures_name_the_rule_the_test_and_what_went_wrong(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, FAILING)
    ruleset = load_rules([Path("rules.yaml")])
    failures = run_rule_tests(ruleset, parse)
    assert [str(f) for f in failures] == [
        "rules.yaml:12:7: [ssh.fail] field 'user' is 'root', expected 'admin'",
        "rules.yaml:12:7: [ssh.fail] field 'port' is missing, expected '1'",
        "rules.yaml:14:7: [ssh.fail] the line does not parse as syslog",
        "rules.yaml:15:7: [ssh.fail] the line does not match",
        "rules.yaml:16:7: [ssh.fail] the line does not match (the rule's allowlist excludes it)",
        "rules.yaml:17:7: [ssh.fail] the line matches, but the test says 'match: false'",
        "rules.yaml:19:7: [ssh.fail] the line does not parse as json ('json')",
        "rules.yaml:27:7: [any.fail] the rule has no parser: add 'parser:' to the test",
        "rules.yaml:37:7: [ssh.bf] no detection from 2 lines",
        "rules.yaml:39:7: [ssh.bf] detected with key {src_ip: 203.0.113.9}, expected key "
        "{src_ip: 198.51.100.1}",
        "rules.yaml:42:7: [ssh.bf] detected (key {src_ip: 203.0.113.9}), but the test says "
        "'detect: false'",
        "rules.yaml:45:7: [ssh.bf] line 2 does not parse as syslog",
        "rules.yaml:54:7: [any.bf] cannot tell which parser reads the lines: add 'parser:' to "
        "the test",
    ]
    assert failures[0] == RuleTestFailure(
        "ssh.fail", failures[0].location, "field 'user' is 'root', expected 'admin'"
    )
    assert (failures[0].location.line, failures[0].location.col) == (12, 7)
    assert rules_without_tests(ruleset) == ["untested"]
    assert rule_test_coverage(ruleset) == [
        RuleTestCoverage("ssh.fail", positive=True, negative=True),
        RuleTestCoverage("any.fail", positive=True, negative=False),
        RuleTestCoverage("ssh.bf", positive=True, negative=True),
        RuleTestCoverage("any.bf", positive=True, negative=False),
        RuleTestCoverage("untested", positive=False, negative=False),
    ]


def test_stateful_tests_run_disabled_and_building_block_rules(tmp_path):
    ruleset = load_rules(
        [
            write(
                tmp_path,
                """
        version: 1
        rules:
        - id: ssh.fail
          title: {vi: a, en: b}
          category: brute-force
          severity: low
          parser: syslog
          match: 'Failed \\S+ for (?P<user>\\S+) from (?P<src_ip>\\S+)'
          building_block: true
          enabled: false
        - id: ssh.bf
          title: {vi: a, en: b}
          category: brute-force
          severity: high
          from: ssh.fail
          threshold: {count: 2, within: 1m, by: [src_ip]}
          building_block: true
          enabled: false
          tests:
            - lines: ["Mar 14 06:00:01 portal sshd[1]: Failed password for root from 192.0.2.1"]
              repeat: 2
              key: {src_ip: 192.0.2.1}
        """,
            )
        ]
    )
    assert run_rule_tests(ruleset, parse) == []
