"""The engine: stateless detections, indexes, allowlists, overrides, explain, hostile input."""

from __future__ import annotations

import time
from pathlib import Path

from rules_testkit import T0, accepted, at, ev, failed, load, stateful, write

from secmon.rules.allowlist import Allowlist
from secmon.rules.engine import DetectionEngine
from secmon.rules.loader import load_rules

IP = "203.0.113.9"

WEB = """
version: 1
rules:
- id: web.sqli
  title: {vi: Dò lỗi SQL injection, en: SQL injection probe}
  category: web-attack
  severity: medium
  tags: [attack.t1190]
  parser: web
  where: {status: {lt: 500}}
  match: {field: path, pattern: '(?i)union(?:\\s|\\+|%20)+select'}
- id: web.scanner
  title: {vi: Công cụ quét, en: Scanner}
  category: scanning
  severity: low
  parser: web
  where: {user_agent: {contains: [sqlmap, nikto], nocase: true}}
  key: [src_ip, user_agent]
- id: web.server-error
  title: {vi: Lỗi máy chủ, en: Server error}
  category: availability
  severity: info
  parser: web
  match: {field: status, pattern: '^5\\d\\d$'}
- id: web.php-path
  title: {vi: Tệp PHP, en: PHP file}
  category: policy
  severity: info
  parser: web
  match: {field: path, pattern: '\\.php'}
"""


def web(
    path: str, *, t: float = 0, status: int = 200, ua: str = "Mozilla/5.0", src_ip: str = IP
) -> object:
    return ev(
        f'{src_ip} "GET {path}" {status}',
        t=t,
        parser="web",
        program=None,
        source="/var/log/nginx/access.log",
        src_ip=src_ip,
        path=path,
        status=status,
        user_agent=ua,
    )


def ids(detections) -> list[str]:
    return [d.rule_id for d in detections]


def test_stateless_rules_give_one_detection_per_event(tmp_path):
    engine = DetectionEngine(load(tmp_path, WEB))
    found = engine.process(web("/news.php?id=1 UNION SELECT pass", ua="sqlmap/1.7"))
    assert ids(found) == ["web.sqli", "web.scanner", "web.php-path"]
    sqli = found[0]
    assert (sqli.count, sqli.first_seen, sqli.last_seen) == (1, T0, T0)
    assert sqli.key == (("src_ip", IP),)
    assert sqli.evidence[0].fields["path"] == "/news.php?id=1 UNION SELECT pass"
    assert (sqli.title["en"], sqli.category, sqli.severity, sqli.tags, sqli.source) == (
        "SQL injection probe",
        "web-attack",
        "medium",
        ("attack.t1190",),
        "/var/log/nginx/access.log",
    )
    assert found[1].key == (("src_ip", IP), ("user_agent", "sqlmap/1.7"))
    assert engine.process(web("/", status=503)) == engine.process(web("/", status=503))
    assert ids(engine.process(web("/", status=503))) == ["web.server-error"]
    # where is checked before the match: a 500 response is not an SQLi probe
    assert ids(engine.process(web("/x?union select", status=500))) == ["web.server-error"]


def test_default_key_is_src_ip_else_host(tmp_path):
    rules = load(
        tmp_path,
        """
        version: 1
        rules:
        - id: sys.oom
          title: {vi: Hết bộ nhớ, en: Out of memory}
          category: availability
          severity: medium
          where: {program: kernel}
          match: 'Out of memory: Killed process (?P<pid>\\d+)'
        """,
    )
    engine = DetectionEngine(rules)
    [found] = engine.process(
        ev("Out of memory: Killed process 4242 (php-fpm)", program="kernel", host=None)
    )
    assert found.key == (("host", "-"),)
    [found] = engine.process(ev("Out of memory: Killed process 4242", program="kernel"))
    assert found.key == (("host", "portal"),)


def test_building_blocks_feed_but_do_not_report(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, ""))
    assert engine.process(failed(IP)) == []
    assert [m.rule.id for m in engine.explain(failed(IP))] == ["ssh.auth-failure"]


def test_explain_lists_matches_with_fields_and_changes_nothing(tmp_path):
    brute = """\
- id: ssh.brute-force
  title: {vi: a, en: b}
  category: brute-force
  severity: high
  from: ssh.auth-failure
  threshold: {count: 2, within: 5m, by: [src_ip]}
"""
    engine = DetectionEngine(stateful(tmp_path, brute))
    event = failed(IP, user="oracle")
    [match] = engine.explain(event)
    assert match.rule.id == "ssh.auth-failure"
    assert dict(match.fields) == {"user": "oracle", "src_ip": IP}
    assert match.allowlisted is False
    for _ in range(5):
        engine.explain(event)
    assert engine.state_size() == {"ssh.brute-force": 0}
    assert ids(engine.process(event) + engine.process(event)) == ["ssh.brute-force"]
    assert engine.explain(ev("Connection closed by 1.2.3.4")) == []


def test_named_groups_override_event_fields(tmp_path):
    rules = load(
        tmp_path,
        """
        version: 1
        rules:
        - id: web.login
          title: {vi: a, en: b}
          category: brute-force
          severity: low
          parser: web
          match: {field: path, pattern: '^/login\\?user=(?P<user>\\w+)'}
          where: {user: {not: guest}}
          key: [user]
        """,
    )
    engine = DetectionEngine(rules)
    event = ev("x", parser="web", program=None, path="/login?user=admin", user="-")
    [found] = engine.process(event)
    assert found.key == (("user", "admin"),)
    assert engine.explain(event)[0].fields == {"path": "/login?user=admin", "user": "admin"}
    # a `where` on an extracted field is tested after the match
    assert engine.process(ev("x", parser="web", program=None, path="/login?user=guest")) == []


def test_rules_are_indexed_by_parser_and_program(tmp_path):
    rules = load(
        tmp_path,
        """
        version: 1
        rules:
        - id: a.sshd
          title: {vi: a, en: b}
          category: policy
          severity: info
          parser: syslog
          where: {program: [sshd, sshd-session]}
          match: 'Failed'
        - id: a.any-program
          title: {vi: a, en: b}
          category: policy
          severity: info
          parser: syslog
          match: 'Failed'
        - id: a.nocase-program
          title: {vi: a, en: b}
          category: policy
          severity: info
          where: {program: {equals: SSHD, nocase: true}}
          match: 'Failed'
        - id: a.any-parser
          title: {vi: a, en: b}
          category: policy
          severity: info
          match: {field: message, pattern: 'Failed'}
        - id: a.json
          title: {vi: a, en: b}
          category: policy
          severity: info
          parser: json
          match: 'Failed'
        """,
    )
    engine = DetectionEngine(rules)
    assert ids(engine.process(ev("Failed x", program="sshd"))) == [
        "a.sshd",
        "a.any-program",
        "a.nocase-program",
        "a.any-parser",
    ]
    assert ids(engine.process(ev("Failed x", program="sshd-session"))) == [
        "a.sshd",
        "a.any-program",
        "a.any-parser",
    ]
    assert ids(engine.process(ev("Failed x", program="cron"))) == ["a.any-program", "a.any-parser"]
    assert ids(engine.process(ev("Failed x", program=None))) == ["a.any-program", "a.any-parser"]
    assert (
        ids(engine.process(ev("Failed x", parser="json", program="sshd")))
        == ["a.sshd", "a.nocase-program", "a.any-parser", "a.json"][1:]
    )
    assert ids(engine.process(ev("Failed x", parser="web", program="sshd"))) == [
        "a.nocase-program",
        "a.any-parser",
    ]
    # attacker-chosen program names share one plan instead of growing the cache
    for n in range(200):
        engine.process(ev("Failed", program=f"prog{n}"))
    assert len(engine._matcher._plans) <= 10


def test_several_patterns_on_one_field_all_match_in_rule_order(tmp_path):
    body = "".join(
        f"""
        - id: a.r{n}
          title: {{vi: a, en: b}}
          category: policy
          severity: info
          match: '{pattern}'
        """
        for n, pattern in enumerate(
            ["(?P<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)", "^Failed", "x{{3}}", "password", "(?i)FAILED"]
        )
    )
    engine = DetectionEngine(load(tmp_path, "version: 1\nrules:" + body))
    found = engine.explain(ev("Failed password from 1.2.3.4"))
    assert [(m.rule.id, dict(m.fields)) for m in found] == [
        ("a.r0", {"ip": "1.2.3.4"}),
        ("a.r1", {}),
        ("a.r3", {}),
        ("a.r4", {}),
    ]
    assert engine.explain(ev("xxx")) == [] or [m.rule.id for m in engine.explain(ev("xxx"))] == [
        "a.r2"
    ]


def test_global_and_rule_allowlists(tmp_path):
    text = """
        version: 1
        allowlist: {cidrs: [10.0.0.0/8]}
        rules:
        - id: web.admin
          title: {vi: a, en: b}
          category: policy
          severity: low
          parser: web
          match: {field: path, pattern: '^/admin'}
          allowlist: {paths: [/admin/health], users: [backup]}
        - id: web.count
          title: {vi: a, en: b}
          category: policy
          severity: low
          from: web.admin
          threshold: {count: 2, within: 1m, by: [src_ip]}
          allowlist: {cidrs: [192.0.2.0/24]}
        """
    rules = load(tmp_path, text, extra_allowlist=Allowlist.build(["198.51.100.0/24"]))
    engine = DetectionEngine(rules)
    assert engine.process(web("/admin", src_ip="10.1.1.1")) == []
    assert engine.process(web("/admin", src_ip="198.51.100.3")) == []
    assert engine.process(web("/admin/health/x")) == []
    assert ids(engine.process(web("/admin/x"))) == ["web.admin"]
    assert ids(engine.process(web("/admin/y"))) == ["web.admin", "web.count"]
    # the stateful rule's own allowlist: its matches are not counted
    found = engine.process(web("/admin", src_ip="192.0.2.1")) + engine.process(
        web("/admin", src_ip="192.0.2.1")
    )
    assert ids(found) == ["web.admin", "web.admin"]
    # explain shows the allowlisted match, flagged
    [match] = engine.explain(web("/admin", src_ip="10.1.1.1"))
    assert (match.rule.id, match.allowlisted) == ("web.admin", True)
    user_event = ev("x", parser="web", program=None, path="/admin", user="backup")
    assert engine.process(user_event) == []


def test_overrides_change_what_the_engine_reports(tmp_path):
    base = write(
        tmp_path,
        """
        version: 1
        rules:
        - id: ssh.fail
          title: {vi: a, en: b}
          category: brute-force
          severity: low
          where: {program: sshd}
          match: 'Failed \\S+ for (?P<user>\\S+) from (?P<src_ip>\\S+)'
        - id: ssh.bf
          title: {vi: a, en: b}
          category: brute-force
          severity: high
          from: ssh.fail
          threshold: {count: 10, within: 5m, by: [src_ip]}
        """,
        "base.yaml",
    )
    local = write(
        tmp_path,
        """
        version: 1
        overrides:
        - id: ssh.fail
          enabled: false
        - id: ssh.bf
          severity: critical
          threshold: {count: 3}
        """,
        "local.yaml",
    )
    engine = DetectionEngine(load_rules([base, local]))
    found = [d for t in range(3) for d in engine.process(failed(IP, t))]
    # the disabled building block still feeds the enabled rule built on it
    assert [(d.rule_id, d.severity, d.count) for d in found] == [("ssh.bf", "critical", 3)]


def test_disabled_rules_and_their_unused_dependencies_do_not_run(tmp_path):
    rules = stateful(
        tmp_path,
        """\
- id: ssh.bf
  title: {vi: a, en: b}
  category: brute-force
  severity: high
  enabled: false
  from: ssh.auth-failure
  threshold: {count: 1, within: 5m}
""",
    )
    engine = DetectionEngine(rules)
    assert engine.process(failed(IP)) == []
    assert engine.state_size() == {}
    assert engine._matcher.hits(failed(IP)) == []  # nothing needs the building block
    # explain still shows enabled building blocks, for `secmon rules test`
    assert [m.rule.id for m in engine.explain(failed(IP))] == ["ssh.auth-failure"]


def test_missing_and_non_text_match_fields(tmp_path):
    engine = DetectionEngine(load(tmp_path, WEB))
    event = ev("no path here", parser="web", program=None, src_ip=IP)
    assert engine.process(event) == []
    assert ids(engine.process(ev("x", parser="web", program=None, status=502))) == [
        "web.server-error"
    ]


def test_hostile_64k_line_is_matched_in_linear_time(tmp_path):
    engine = DetectionEngine(
        load_rules([Path(__file__).parent / "data" / "rules" / "sample.yaml", write(tmp_path, WEB)])
    )
    hostile = "Failed " + "password for " * 5000 + ("a" * 40 + " ") * 80
    hostile = (hostile + "x" * 65536)[:65536]
    started = time.perf_counter()
    for _ in range(10):
        assert engine.process(ev(hostile)) == []
        assert engine.process(web("/" + hostile, ua=hostile)) == []
        found = engine.process(web("/" + hostile + "union" + " " * 60000 + "select"))
        assert ids(found) == ["web.sqli"]
    assert time.perf_counter() - started < 1.0


def test_detections_of_one_event_come_in_a_stable_order(tmp_path):
    rules = stateful(
        tmp_path,
        """\
- id: ssh.any-failure
  title: {vi: a, en: b}
  category: brute-force
  severity: low
  parser: syslog
  match: 'Failed'
- id: ssh.root
  title: {vi: a, en: b}
  category: brute-force
  severity: high
  from: ssh.auth-failure
  threshold: {count: 1, within: 1m, by: [user]}
""",
    )
    engine = DetectionEngine(rules)
    found = engine.process(failed(IP))
    # in rule order; a stateful detection comes right after the match that completed it
    assert [(d.rule_id, d.key) for d in found] == [
        ("ssh.root", (("user", "root"),)),
        ("ssh.any-failure", (("host", "portal"),)),
    ]
    assert at(0) == found[0].first_seen
    assert engine.process(accepted(IP)) == []


def test_where_on_an_extracted_program_is_not_taken_from_the_index(tmp_path):
    rules = load(
        tmp_path,
        """
        version: 1
        rules:
        - id: sys.relayed
          title: {vi: a, en: b}
          category: policy
          severity: info
          where: {program: cron}
          match: '^relayed (?P<program>\\w+):'
        """,
    )
    engine = DetectionEngine(rules)
    assert ids(engine.process(ev("relayed cron: job", program="rsyslogd"))) == ["sys.relayed"]
    assert engine.process(ev("relayed sshd: x", program="cron")) == []


def test_screen_turns_away_only_lines_no_rule_can_match(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SILENT_RULE))
    wanted = engine.screen("syslog")
    assert wanted("sshd", "Accepted password for canbo from 10.0.0.5 port 1 ssh2") is True
    # only ssh.login-accepted feeds a reporting rule: failures need not be parsed at all
    assert wanted("sshd", "Failed password for root from 1.2.3.4 port 1 ssh2") is False
    assert wanted("cron", "Accepted password for canbo from 10.0.0.5") is False
    assert engine.screen("web")("nginx", "anything") is False
    # the screen for explain keeps building blocks
    explain = engine.screen("syslog", explain=True)
    assert explain("sshd", "Failed password for root from 1.2.3.4 port 1 ssh2") is True


def test_skip_moves_event_time_and_says_when_absence_is_due(tmp_path):
    engine = DetectionEngine(stateful(tmp_path, SILENT_RULE))
    engine.process(accepted(IP, 0))
    assert engine.skip(at(3600).timestamp()) is False
    assert engine.skip(at(7201).timestamp()) is True  # give this event to process()
    [found] = engine.process(ev("noise", t=7201))
    assert (found.rule_id, found.first_seen, found.last_seen) == ("ssh.silent", at(0), at(7201))


SILENT_RULE = """\
- id: ssh.silent
  title: {vi: a, en: b}
  category: availability
  severity: medium
  from: ssh.login-accepted
  absence: {within: 2h, by: [host]}
"""
