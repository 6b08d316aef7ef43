"""The rule loader: the model it builds and every problem it reports, at file:line:col."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from secmon.errors import InputError
from secmon.rules.allowlist import Allowlist
from secmon.rules.loader import check_rules, load_rules
from secmon.rules.model import Absence, Distinct, Sequence, Threshold
from secmon.rules.schema import format_duration, parse_duration

DATA = Path(__file__).parent / "data" / "rules"

RULE = """\
- id: {id}
  title: {{vi: Tiêu đề, en: Title}}
  category: brute-force
  severity: low
"""


def problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, name: str = "rules.yaml"
) -> list[str]:
    """check_rules on `text` written to tmp_path/name, messages relative to tmp_path."""
    monkeypatch.chdir(tmp_path)
    Path(name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return [str(p) for p in check_rules([Path(name)])]


def rules_text(*extra: str) -> str:
    return "version: 1\nrules:\n" + "".join(extra)


# ------------------------------------------------------------------ the model


def test_sample_file_loads_into_the_model():
    ruleset = load_rules([DATA / "sample.yaml"])
    assert [r.id for r in ruleset] == [
        "ssh.auth-failure",
        "ssh.login-accepted",
        "web.any-request",
        "ssh.brute-force",
        "ssh.password-spray",
        "ssh.success-after-failures",
        "web.portal-silent",
    ]
    failure = ruleset["ssh.auth-failure"]
    assert failure.title == {"vi": "Đăng nhập SSH thất bại", "en": "SSH login failed"}
    assert failure.kind == "match"
    assert failure.building_block is True
    assert failure.parser == "syslog"
    assert failure.tags == ("attack.credential_access", "attack.t1110")
    assert failure.match is not None and failure.match.field == "message"
    assert failure.match.group_names == ("user", "src_ip")
    assert [c.field for c in failure.where] == ["program"]
    assert failure.where[0].index_values == frozenset({"sshd"})
    assert len(failure.tests) == 2
    assert failure.tests[0].fields == {"user": "root", "src_ip": "203.0.113.9"}
    assert failure.tests[1].expect is False
    assert failure.location.line == 8

    brute = ruleset["ssh.brute-force"]
    assert brute.stateful == Threshold(count=10, within=timedelta(minutes=5), by=("src_ip",))
    assert brute.sources == ("ssh.auth-failure",)
    assert brute.playbook == "brute-force"
    assert brute.tests[0].lines == (
        "Mar 14 06:00:01 portal sshd[811]: Failed password for root from 203.0.113.9 port 1 ssh2",
    )
    assert brute.tests[0].repeat == 10
    assert brute.tests[0].key == {"src_ip": "203.0.113.9"}
    assert ruleset["ssh.password-spray"].stateful == Distinct(
        field="user", count=5, within=timedelta(minutes=10), by=("src_ip",)
    )
    assert ruleset["ssh.success-after-failures"].stateful == Sequence(
        first="ssh.auth-failure",
        then="ssh.login-accepted",
        within=timedelta(minutes=30),
        min_count=5,
        by=("src_ip",),
    )
    assert ruleset["ssh.success-after-failures"].depends_on == (
        "ssh.auth-failure",
        "ssh.login-accepted",
    )
    assert ruleset["web.portal-silent"].stateful == Absence(
        within=timedelta(hours=2), by=("source",)
    )
    assert ruleset.allowlist == Allowlist.build(["10.9.0.0/16"], ["backup"], ["/healthz"])
    assert ruleset.files == (DATA / "sample.yaml",)
    assert "ssh.brute-force" in ruleset and "nope" not in ruleset
    assert ruleset.get("nope") is None


def test_folder_loads_in_name_order_and_a_later_file_overrides(tmp_path):
    (tmp_path / "b.yml").write_text("version: 1\nrules:\n" + RULE.format(id="b.rule"))
    (tmp_path / "a.yaml").write_text("version: 1\nrules:\n" + RULE.format(id="a.rule"))
    (tmp_path / "notes.txt").write_text("not a rule file")
    local = tmp_path / "local.yaml"
    local.write_text(
        textwrap.dedent("""\
        version: 1
        allowlist: {users: [backup]}
        overrides:
        - id: a.rule
          enabled: false
          severity: critical
          allowlist: {cidrs: [192.0.2.0/24]}
        """)
    )
    ruleset = load_rules(
        [tmp_path, local, tmp_path / "a.yaml"], extra_allowlist=Allowlist.build(["10.0.0.0/8"])
    )
    assert [r.id for r in ruleset] == ["a.rule", "b.rule"]
    assert ruleset.files == (tmp_path / "a.yaml", tmp_path / "b.yml", local)
    a_rule = ruleset["a.rule"]
    assert (a_rule.enabled, a_rule.severity) == (False, "critical")
    assert a_rule.allowlist == Allowlist.build(["192.0.2.0/24"])
    assert ruleset.allowlist == Allowlist.build(["10.0.0.0/8"], ["backup"])


def test_override_changes_only_the_given_parameters(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(
        textwrap.dedent("""\
        version: 1
        rules:
        - id: base
          title: {vi: a, en: b}
          category: brute-force
          severity: low
          match: x
          allowlist: {users: [backup]}
        - id: counted
          title: {vi: a, en: b}
          category: brute-force
          severity: high
          from: base
          threshold: {count: 10, within: 5m, by: [src_ip]}
        - id: seq
          title: {vi: a, en: b}
          category: brute-force
          severity: high
          sequence: {first: base, then: counted, within: 1h}
        overrides:
        - id: counted
          threshold: {count: 20}
        - id: counted
          threshold: {within: 1h}
        - id: seq
          sequence: {min_count: 3, by: [host]}
        - id: base
          allowlist: {users: [nagios]}
        """)
    )
    ruleset = load_rules([path])
    assert ruleset["counted"].stateful == Threshold(20, timedelta(hours=1), ("src_ip",))
    assert ruleset["seq"].stateful == Sequence("base", "counted", timedelta(hours=1), 3, ("host",))
    assert ruleset["base"].allowlist.users == frozenset({"backup", "nagios"})


def test_from_accepts_one_id_or_a_list(tmp_path, monkeypatch):
    text = rules_text(
        RULE.format(id="a.one"),
        "  match: x\n",
        RULE.format(id="a.two"),
        "  match: y\n",
        RULE.format(id="both"),
        "  from: [a.one, a.two]\n",
        "  threshold: {count: 2, within: 1m}\n",
        RULE.format(id="single"),
        "  from: a.one\n  absence: {within: 1d}\n",
    )
    monkeypatch.chdir(tmp_path)
    Path("r.yaml").write_text(text)
    ruleset = load_rules([Path("r.yaml")])
    assert ruleset["both"].sources == ("a.one", "a.two")
    assert ruleset["both"].stateful == Threshold(2, timedelta(minutes=1), ())
    assert ruleset["single"].sources == ("a.one",)


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("30s", 30),
        ("5m", 300),
        ("2h", 7200),
        ("1d", 86400),
        ("1h30m", 5400),
        ("1d2h3m4s", 93784),
        (" 10m ", 600),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "value, message",
    [
        (300, "a plain number (300) is ambiguous: give a unit, like 300s or 300m"),
        ("5 m", "'5 m' is not a duration: use s, m, h, d, like 30s, 5m, 2h, 1d or 1h30m"),
        ("30m1h", "'30m1h' is not a duration: use s, m, h, d, like 30s, 5m, 2h, 1d or 1h30m"),
        ("", "'' is not a duration: use s, m, h, d, like 30s, 5m, 2h, 1d or 1h30m"),
        ("0s", "'0s' must be longer than zero"),
        (None, "a duration must be text like 5m, not nothing (null)"),
        (True, "a duration must be text like 5m, not true/false"),
    ],
)
def test_bad_durations(value, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(value)
    assert str(caught.value) == message


def test_format_duration():
    assert format_duration(timedelta(seconds=5400)) == "1h30m"
    assert format_duration(timedelta(days=1, seconds=4)) == "1d4s"


# ------------------------------------------------------------------ file-level problems


def test_missing_path_and_empty_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("empty").mkdir()
    found = [str(p) for p in check_rules([Path("missing.yaml"), Path("empty")])]
    assert found == [
        "empty: no rule files (*.yaml, *.yml) in this folder",
        "missing.yaml: no such rule file or folder",
    ]


def test_file_level_problems(tmp_path, monkeypatch):
    assert problems(tmp_path, monkeypatch, "") == [
        "rules.yaml:1:1: the rule file is empty; start it with 'version: 1'"
    ]
    assert problems(tmp_path, monkeypatch, "- a\n- b\n") == [
        "rules.yaml:1:1: a rule file must be a mapping with 'version: 1' and 'rules:', not a list"
    ]
    assert problems(tmp_path, monkeypatch, "rules: []\nrulez: []\n") == [
        "rules.yaml:1:1: missing 'version: 1' at the top of the file",
        "rules.yaml:2:1: unknown key 'rulez' in a rule file (did you mean 'rules'?)",
    ]
    assert problems(tmp_path, monkeypatch, "version: 2\nrules: {}\noverrides: [3]\n") == [
        "rules.yaml:1:10: unsupported version 2: secmon reads rule files of version 1",
        "rules.yaml:2:8: 'rules' must be a list, not a mapping",
        "rules.yaml:3:13: each of 'overrides' must be a mapping, not a number",
    ]
    # the wording of YAML syntax errors is yamlsrc's; the place is what matters here
    [syntax] = problems(tmp_path, monkeypatch, "version: 1\nrules: [\n")
    assert syntax.startswith("rules.yaml:3:1: invalid YAML: ")
    assert problems(tmp_path, monkeypatch, "version: 1\nversion: 1\n") == [
        "rules.yaml:2:1: invalid YAML: duplicate key 'version'"
    ]


def test_problems_of_several_files_are_all_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("rules").mkdir()
    Path("rules/a.yaml").write_text("rules: []\n")
    Path("rules/b.yaml").write_text(
        "version: 1\nrules:\n" + RULE.format(id="b.x") + "  severity: high\n"
    )
    assert [str(p) for p in check_rules([Path("rules")])] == [
        "rules/a.yaml:1:1: missing 'version: 1' at the top of the file",
        "rules/b.yaml:7:3: invalid YAML: duplicate key 'severity'",
    ]
    with pytest.raises(InputError) as caught:
        load_rules([Path("rules")])
    assert str(caught.value) == (
        "rules/a.yaml:1:1: missing 'version: 1' at the top of the file\n"
        "rules/b.yaml:7:3: invalid YAML: duplicate key 'severity'"
    )


# ------------------------------------------------------------------ rule problems


def test_required_keys_types_and_vocabularies(tmp_path, monkeypatch):
    text = """\
        version: 1
        rules:
        - title: {vi: a, en: b}
        - id: Bad Id
          title: {vi: a, en: b}
          category: brute-force
          severity: low
        - id: web.x
          title: {vi: Chỉ tiếng Việt}
          description: {vi: a, en: b, fr: c}
          category: webattack
          severity: hgh
          parser: nginx
          tags: attack.t1190
          treshold: 3
          building_block: yes please
          key: [src_ip, 3]
        - id: web.y
          title: [a, b]
          category: 7
          severity: low
        - 42
        """
    assert problems(tmp_path, monkeypatch, text) == [
        "rules.yaml:3:3: a rule is missing required key 'id'",
        "rules.yaml:3:3: the rule is missing required key 'category'",
        "rules.yaml:3:3: the rule is missing required key 'severity'",
        "rules.yaml:4:7: [Bad Id] rule id 'Bad Id' must be lowercase letters and digits "
        "joined by '.' or '-' (like ssh.auth-failure)",
        "rules.yaml:9:10: [web.x] 'title' needs both vi and en (missing: en)",
        "rules.yaml:10:31: [web.x] unknown key 'fr' in 'description'",
        "rules.yaml:11:13: [web.x] unknown category 'webattack' (did you mean 'web-attack'?); "
        "allowed: brute-force, web-attack, scanning, webshell, defacement, malware, dos, "
        "privilege-escalation, account-compromise, availability, policy",
        "rules.yaml:12:13: [web.x] unknown severity 'hgh' (did you mean 'high'?); "
        "allowed: info, low, medium, high, critical",
        "rules.yaml:13:11: [web.x] unknown parser 'nginx' (did you mean 'nginx-error'?); "
        "allowed: syslog, web, nginx-error, apache-error, json, fim",
        "rules.yaml:14:9: [web.x] 'tags' must be a list of text, not text",
        "rules.yaml:15:3: [web.x] unknown key 'treshold' (did you mean 'threshold'?)",
        "rules.yaml:16:19: [web.x] 'building_block' must be true or false, not text",
        "rules.yaml:17:17: [web.x] 'key' entries must be non-empty text, not a number",
        "rules.yaml:19:10: [web.y] 'title' must be a mapping {vi: ..., en: ...}, not a list",
        "rules.yaml:20:13: [web.y] unknown category 'a number'; allowed: brute-force, "
        "web-attack, scanning, webshell, defacement, malware, dos, privilege-escalation, "
        "account-compromise, availability, policy",
        "rules.yaml:22:3: each of 'rules' must be a mapping, not a number",
    ]


def test_duplicate_ids_name_both_places(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.yaml").write_text(rules_text(RULE.format(id="x.one"), "  match: a\n"))
    Path("b.yaml").write_text(
        rules_text(RULE.format(id="x.two"), "  match: b\n", RULE.format(id="x.one"), "  match: c\n")
    )
    assert [str(p) for p in check_rules([Path("a.yaml"), Path("b.yaml")])] == [
        "b.yaml:8:7: [x.one] duplicate rule id 'x.one': already defined at a.yaml:3:3"
    ]


def test_regexes_must_be_linear_time(tmp_path, monkeypatch):
    hint = (
        "secmon needs linear-time regexes (RE2 syntax): backreferences, look-ahead, "
        "look-behind and possessive quantifiers are not supported"
    )
    text = rules_text(
        RULE.format(id="a.backref"),
        "  match: '(a)\\1'\n",
        RULE.format(id="a.lookahead"),
        "  match: {field: path, pattern: 'foo(?=bar)'}\n",
        RULE.format(id="a.where"),
        "  where: {user_agent: {re: ['ok', '(?<!x)y']}}\n",
        RULE.format(id="a.empty"),
        "  match: ''\n",
        RULE.format(id="a.nopattern"),
        "  match: {field: path, patern: x}\n",
    )
    assert problems(tmp_path, monkeypatch, text) == [
        f"rules.yaml:7:10: [a.backref] regular expression '(a)\\1' is not valid: "
        f"invalid escape sequence: \\1; {hint}",
        f"rules.yaml:12:33: [a.lookahead] regular expression 'foo(?=bar)' is not valid: "
        f"invalid perl operator: (?=; {hint}",
        f"rules.yaml:17:35: [a.where] regular expression '(?<!x)y' is not valid: "
        f"invalid perl operator: (?<!; {hint}",
        "rules.yaml:22:10: [a.empty] 'match' must be a non-empty pattern, not text",
        "rules.yaml:27:10: [a.nopattern] 'match' is missing required key 'pattern'",
        "rules.yaml:27:24: [a.nopattern] unknown key 'patern' in 'match' (did you mean 'pattern'?)",
    ]


def test_condition_problems(tmp_path, monkeypatch):
    text = rules_text(
        RULE.format(id="web.c"),
        """\
  where:
    status: {gte: 400}
    user_agent: {contains: []}
    src_ip: {cidr: [10.0.0.0/33, 10.0.0.0/8]}
    bytes: {gt: abc, le: [1, 2]}
    path: {nocase: true}
    user: {nocase: maybe, equals: root}
    method: {not: {startwith: P}}
    query: {in: [a, [b]]}
    host: null
""",
    )
    assert problems(tmp_path, monkeypatch, text) == [
        "rules.yaml:8:14: [web.c] unknown key 'gte' in the condition on 'status' "
        "(did you mean 'gt'?)",
        "rules.yaml:9:28: [web.c] 'contains' on 'user_agent' needs at least one value",
        "rules.yaml:10:21: [web.c] 'cidr' on 'src_ip': '10.0.0.0/33' is not an IP network "
        "(write it like 10.0.0.0/8)",
        "rules.yaml:11:17: [web.c] 'gt' on 'bytes' needs a number, not text",
        "rules.yaml:11:26: [web.c] 'le' on 'bytes' needs a number, not a list",
        "rules.yaml:12:11: [web.c] the condition on 'path' tests nothing: give a value or a "
        "modifier such as equals, contains, re, cidr or ge",
        "rules.yaml:13:20: [web.c] 'nocase' must be true or false, not text",
        "rules.yaml:14:20: [web.c] unknown key 'startwith' in the condition on 'method' "
        "(did you mean 'startswith'?)",
        "rules.yaml:15:21: [web.c] 'in' on 'query' values must be text or numbers, not a list",
        "rules.yaml:16:11: [web.c] the condition on 'host' must be a value or a list of "
        "values, not nothing (null)",
    ]


def test_stateful_problems(tmp_path, monkeypatch):
    text = rules_text(
        RULE.format(id="ssh.fail"),
        "  match: Failed\n",
        RULE.format(id="ssh.bf"),
        "  from: ssh.fial\n  threshold: {count: 0, within: 300}\n",
        RULE.format(id="ssh.mixed"),
        "  where: {program: sshd}\n  threshold: {count: 3, within: 5m}\n",
        RULE.format(id="ssh.two"),
        "  from: ssh.fail\n  threshold: {count: 3, within: 5m}\n"
        "  distinct: {field: user, count: 3, within: 5m}\n",
        RULE.format(id="ssh.seq"),
        "  from: ssh.fail\n  sequence: {first: ssh.fail, then: ssh.fail, within: 5m}\n",
        RULE.format(id="ssh.lone"),
        "  from: ssh.fail\n",
        RULE.format(id="ssh.params"),
        "  from: ssh.fail\n  distinct: {count: 2, by: src_ip}\n",
    )
    assert problems(tmp_path, monkeypatch, text) == [
        "rules.yaml:12:9: [ssh.bf] unknown rule 'ssh.fial' (did you mean 'ssh.fail'?)",
        "rules.yaml:13:22: [ssh.bf] 'count' must be at least 1, not 0",
        "rules.yaml:13:33: [ssh.bf] 'within': a plain number (300) is ambiguous: give a "
        "unit, like 300s or 300m",
        "rules.yaml:18:3: [ssh.mixed] the rule mixes stateless parts (where) with a "
        "stateful part (threshold): put the conditions in a building-block rule and name "
        "it in 'from'",
        "rules.yaml:19:3: [ssh.mixed] a threshold rule needs 'from': the id of the rule "
        "(or rules) whose matches it counts",
        "rules.yaml:26:3: [ssh.two] a rule can have only one of threshold, distinct, "
        "sequence, absence; this one has threshold and distinct",
        "rules.yaml:31:3: [ssh.seq] a sequence rule names its rules in 'first' and 'then', "
        "not 'from'",
        "rules.yaml:32:37: [ssh.seq] 'first' and 'then' must name different rules",
        "rules.yaml:37:3: [ssh.lone] 'from' is only for threshold, distinct and absence rules",
        "rules.yaml:43:13: [ssh.params] 'distinct' is missing required key 'field'",
        "rules.yaml:43:13: [ssh.params] 'distinct' is missing required key 'within'",
    ]


def test_cycles_are_refused(tmp_path, monkeypatch):
    text = rules_text(
        RULE.format(id="a.one"),
        "  from: a.two\n  threshold: {count: 2, within: 1m}\n",
        RULE.format(id="a.two"),
        "  from: [a.one]\n  threshold: {count: 2, within: 1m}\n",
        RULE.format(id="a.self"),
        "  from: a.self\n  absence: {within: 1h}\n",
    )
    assert problems(tmp_path, monkeypatch, text) == [
        "rules.yaml:13:10: [a.two] rules build on each other in a cycle: a.one -> a.two -> a.one",
        "rules.yaml:19:9: [a.self] rules build on each other in a cycle: a.self -> a.self",
    ]


def test_test_block_problems(tmp_path, monkeypatch):
    text = rules_text(
        RULE.format(id="ssh.fail"),
        """\
  parser: syslog
  match: Failed
  tests:
    - lines: [a, b]
    - line: x
      match: false
      fields: {user: root}
    - line: x
      detect: true
    - line: x
      feilds: {user: root}
    - match: true
    - line: x
      parser: nginx
""",
        RULE.format(id="ssh.bf"),
        """\
  from: ssh.fail
  threshold: {count: 2, within: 1m}
  tests:
    - line: x
    - lines: [a]
      repeat: 0
      key: {src_ip: [1]}
  tests2: []
""",
    )
    assert problems(tmp_path, monkeypatch, text) == [
        "rules.yaml:10:7: [ssh.fail] 'lines' is for tests of stateful rules; "
        "use: line, match, fields, parser",
        "rules.yaml:10:7: [ssh.fail] a test is missing required key 'line'",
        "rules.yaml:13:7: [ssh.fail] a test with 'match: false' cannot check 'fields'",
        "rules.yaml:15:7: [ssh.fail] 'detect' is for tests of stateful rules; "
        "use: line, match, fields, parser",
        "rules.yaml:17:7: [ssh.fail] unknown key 'feilds' in a test (did you mean 'fields'?)",
        "rules.yaml:18:7: [ssh.fail] a test is missing required key 'line'",
        "rules.yaml:20:15: [ssh.fail] unknown parser 'nginx' (did you mean 'nginx-error'?); "
        "allowed: syslog, web, nginx-error, apache-error, json, fim",
        "rules.yaml:28:7: [ssh.bf] 'line' is for tests of stateless rules; "
        "use: lines, repeat, detect, key, parser",
        "rules.yaml:28:7: [ssh.bf] a test is missing required key 'lines'",
        "rules.yaml:30:15: [ssh.bf] 'repeat' must be at least 1, not 0",
        "rules.yaml:31:21: [ssh.bf] 'key.src_ip' must be a plain value",
        "rules.yaml:32:3: [ssh.bf] unknown key 'tests2' (did you mean 'tests'?)",
    ]


def test_allowlist_and_incident_problems(tmp_path, monkeypatch):
    text = """\
        version: 1
        allowlist: {cidrs: [not-an-ip], user: [backup]}
        rules:
        - id: web.a
          title: {vi: a, en: b}
          category: web-attack
          severity: low
          match: x
          allowlist: {paths: /healthz}
          incident: {playbook: web, runbook: x}
        """
    assert problems(tmp_path, monkeypatch, text) == [
        "rules.yaml:2:21: 'cidrs': 'not-an-ip' is not an IP network (write it like 10.0.0.0/8)",
        "rules.yaml:2:33: unknown key 'user' in 'allowlist' (did you mean 'users'?)",
        "rules.yaml:9:22: [web.a] 'paths' must be a list of text, not text",
        "rules.yaml:10:29: [web.a] unknown key 'runbook' in 'incident'",
    ]


def test_override_problems(tmp_path, monkeypatch):
    text = rules_text(
        RULE.format(id="ssh.fail"),
        "  match: Failed\n",
        RULE.format(id="ssh.bf"),
        "  from: ssh.fail\n  threshold: {count: 2, within: 1m}\n",
        RULE.format(id="ssh.seq"),
        "  sequence: {first: ssh.fail, then: ssh.bf, within: 1m}\n",
    ) + textwrap.dedent("""\
        overrides:
        - id: ssh.bff
          enabled: false
        - id: ssh.bf
          distinct: {count: 3}
          disabled: true
        - id: ssh.fail
          threshold: {count: 3}
        - id: ssh.seq
          sequence: {first: ssh.bf}
          severity: urgent
        - enabled: false
        """)
    assert problems(tmp_path, monkeypatch, text) == [
        "rules.yaml:20:7: [ssh.bff] override of unknown rule 'ssh.bff' (did you mean 'ssh.bf'?)",
        "rules.yaml:23:3: [ssh.bf] rule 'ssh.bf' is a threshold rule: it has no distinct "
        "to override",
        "rules.yaml:24:3: [ssh.bf] unknown key 'disabled' in an override (did you mean 'enabled'?)",
        "rules.yaml:26:3: [ssh.fail] rule 'ssh.fail' is a match rule: it has no threshold "
        "to override",
        "rules.yaml:28:14: [ssh.seq] unknown key 'first' in 'sequence'",
        "rules.yaml:29:13: [ssh.seq] unknown severity 'urgent'; "
        "allowed: info, low, medium, high, critical",
        "rules.yaml:30:3: an override is missing required key 'id'",
    ]


def test_check_rules_is_empty_for_good_rules():
    assert check_rules([DATA / "sample.yaml"]) == []
