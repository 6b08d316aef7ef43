"""The stateless matcher's shortcuts give the verdicts of testing every rule in full.

Plain rules (no `match`) are bucketed by a condition's field with a memo per
value; a screen's RE2 Set result is reused for the event it lets through.
"""

from __future__ import annotations

from rules_testkit import ev, load

from secmon.events import Event
from secmon.rules.allowlist import Allowlist
from secmon.rules.matcher import (
    MEMO_LIMIT,
    MEMO_TEXT_CHARS,
    SEARCH_MEMO_LIMIT,
    SEARCH_MEMO_TEXT_CHARS,
    StatelessMatcher,
)

PLAIN = """
version: 1
rules:
- id: web.any
  title: {vi: a, en: a}
  category: availability
  severity: info
  parser: web
- id: web.ok
  title: {vi: a, en: a}
  category: availability
  severity: info
  parser: web
  where: {status: {ge: 200, lt: 300}}
- id: web.not-found
  title: {vi: a, en: a}
  category: scanning
  severity: info
  parser: web
  where: {status: 404}
- id: web.client-error
  title: {vi: a, en: a}
  category: scanning
  severity: info
  parser: web
  where: {status: [400, 401, 403, 404]}
- id: web.post-404
  title: {vi: a, en: a}
  category: scanning
  severity: info
  parser: web
  where: {method: POST, status: 404}
- id: web.post
  title: {vi: a, en: a}
  category: policy
  severity: info
  parser: web
  where: {method: [POST, PUT]}
- id: web.flagged
  title: {vi: a, en: a}
  category: policy
  severity: info
  parser: web
  where: {flag: true}
- id: web.page
  title: {vi: a, en: a}
  category: dos
  severity: info
  parser: web
  where: {path: {not: {endswith: [.css, .js]}}}
- id: web.sqli
  title: {vi: a, en: a}
  category: web-attack
  severity: medium
  parser: web
  where: {status: {lt: 500}}
  match: {field: path, pattern: '(?i)union\\s+select'}
"""

SSH = """
version: 1
rules:
- id: ssh.failed
  title: {vi: a, en: a}
  category: brute-force
  severity: low
  parser: syslog
  where: {program: sshd}
  match: 'Failed \\S+ for (?P<user>\\S+) from (?P<src_ip>\\S+)'
- id: ssh.accepted
  title: {vi: a, en: a}
  category: account-compromise
  severity: info
  parser: syslog
  where: {program: sshd}
  match: 'Accepted \\S+ for (?P<user>\\S+) from (?P<src_ip>\\S+)'
"""


def web(**fields: object) -> Event:
    return ev("request", parser="web", program=None, **fields)


def matched(matcher: StatelessMatcher, event: Event) -> list[str]:
    return [rule.id for _, rule, _, _ in matcher.hits(event)]


def in_full(matcher: StatelessMatcher, rules, event: Event) -> list[str]:
    """Every plain rule tested condition by condition, as the matcher did before its index."""
    out = []
    for rule in rules:
        if rule.match is not None or rule.parser not in (None, event.parser):
            continue
        if all(cond.test(event.get(cond.field)) for cond in rule.where):
            out.append(rule.id)
    return out


def plain_matcher(tmp_path):
    rules = load(tmp_path, PLAIN).rules
    return StatelessMatcher(rules, Allowlist()), rules


def test_plain_rules_by_status_and_method(tmp_path):
    matcher, _ = plain_matcher(tmp_path)
    page = ["web.any", "web.page"]
    assert matched(matcher, web(status=200, method="GET", path="/")) == [
        "web.any",
        "web.ok",
        "web.page",
    ]
    assert matched(matcher, web(status=404, method="GET", path="/x.css")) == [
        "web.any",
        "web.not-found",
        "web.client-error",
    ]
    assert matched(matcher, web(status=404, method="POST", path="/a")) == [
        "web.any",
        "web.not-found",
        "web.client-error",
        "web.post-404",
        "web.post",
        "web.page",
    ]
    assert matched(matcher, web(status="404", method="PUT", path="/a")) == [
        "web.any",
        "web.not-found",
        "web.client-error",
        "web.post",
        "web.page",
    ]
    assert matched(matcher, web(status=500, method="post", path="/a")) == page
    assert matched(matcher, web(path="/a")) == page  # no status, no method
    assert matched(matcher, web(status=200, path="/?id=1 UNION SELECT 1")) == [
        "web.any",
        "web.ok",
        "web.page",
        "web.sqli",
    ]


def test_remembered_verdicts_tell_equal_values_of_other_types_apart(tmp_path):
    matcher, rules = plain_matcher(tmp_path)
    # True == 1 == 1.0 in Python, but `flag: true` holds only for True (and "true")
    events = [web(flag=True), web(flag=1), web(flag=1.0), web(flag="true"), web(flag=True)]
    events += [web(status=404.0), web(status=404), web(status="404"), web(status=True)]
    got = [matched(matcher, event) for event in events]
    assert [("web.flagged" in ids) for ids in got[:5]] == [True, False, False, True, True]
    assert [("web.not-found" in ids) for ids in got[5:]] == [True, True, True, False]
    assert got == [in_full(matcher, rules, event) for event in events]


def test_many_values_and_long_text_give_the_full_verdicts(tmp_path):
    matcher, rules = plain_matcher(tmp_path)
    events = [
        web(status=200 + n % 400, path=f"/p{n}.css" if n % 3 else f"/p{n}")
        for n in range(MEMO_LIMIT + 100)
    ]
    events.append(web(status=404, method="POST", path="/" + "a" * (MEMO_TEXT_CHARS + 1)))
    events.append(web(status=404, method=["POST"], path=None))  # an unhashable value
    for event in events:
        assert matched(matcher, event) == in_full(matcher, rules, event)
    buckets = {b.field: b for b in matcher._plan(events[0]).buckets}
    assert buckets["path"].memo is None  # too many paths: it stopped remembering them
    assert buckets["status"].memo is not None and len(buckets["status"].memo) == 400


def test_only_short_text_is_remembered(tmp_path):
    matcher, _ = plain_matcher(tmp_path)
    matched(matcher, web(status=200, method="x" * (MEMO_TEXT_CHARS + 1)))
    matched(matcher, web(status=200, method="x" * MEMO_TEXT_CHARS))
    buckets = {b.field: b for b in matcher._plan(web()).buckets}
    assert list(buckets["method"].memo) == [(str, "x" * MEMO_TEXT_CHARS)]


def test_the_match_step_reuses_only_the_screens_own_text(tmp_path):
    matcher = StatelessMatcher(load(tmp_path, SSH).rules, Allowlist())
    wanted = matcher.screen("syslog")
    failed = "Failed password for root from 203.0.113.9 port 1 ssh2"
    accepted = "Accepted password for canbo from 10.0.0.5 port 2 ssh2"
    assert wanted("sshd", failed) is True
    [(_, rule, hit, _)] = matcher.hits(ev(failed))
    assert (rule.id, hit.get("user"), hit.get("src_ip")) == ("ssh.failed", "root", "203.0.113.9")
    # another text than the one screened last is searched afresh
    assert wanted("sshd", failed) is True
    assert [r.id for _, r, _, _ in matcher.hits(ev(accepted))] == ["ssh.accepted"]
    assert wanted("sshd", "Connection closed by 203.0.113.9") is False
    assert [r.id for _, r, _, _ in matcher.hits(ev(failed))] == ["ssh.failed"]
    noise = "Connection reset by 203.0.113.9"
    assert wanted("sshd", noise) is False
    assert matcher.hits(ev(noise)) == []


AGENTS = """
version: 1
rules:
- id: web.sqlmap
  title: {vi: a, en: a}
  category: web-attack
  severity: high
  parser: web
  match: {field: user_agent, pattern: '(?i)sqlmap/(?P<version>[0-9.]+)'}
- id: web.nikto
  title: {vi: a, en: a}
  category: scanning
  severity: medium
  parser: web
  match: {field: user_agent, pattern: '(?i)nikto'}
- id: web.traversal
  title: {vi: a, en: a}
  category: web-attack
  severity: medium
  parser: web
  match: {field: path, pattern: '\\.\\./(?P<target>etc/passwd)'}
"""


def test_remembered_searches_give_the_verdicts_of_a_fresh_search(tmp_path):
    rules = load(tmp_path, AGENTS).rules
    agents = ["sqlmap/1.8#stable", "Mozilla/5.0", "Nikto/2.5.0 sqlmap/1.7", "x" * 600]
    paths = ["/../../etc/passwd", "/index.php", "/" + "../" * 300 + "etc/passwd"]
    events = [web(user_agent=a, path=p) for _ in range(3) for a in agents for p in paths]
    remembering = StatelessMatcher(rules, Allowlist())
    for event in events:
        fresh = StatelessMatcher(rules, Allowlist())
        got = [(r.id, dict(h.fields)) for _, r, h, _ in remembering.hits(event)]
        assert got == [(r.id, dict(h.fields)) for _, r, h, _ in fresh.hits(event)]
    groups = {g.field: g for g in remembering._plan(events[0]).groups}
    # short texts only; a single rule's failed regex is remembered as "no match"
    assert set(groups["user_agent"].seen) == set(agents[:3])
    assert groups["path"].seen == {"/../../etc/passwd": (0,), "/index.php": None}


def test_remembered_searches_are_bounded(tmp_path):
    matcher = StatelessMatcher(load(tmp_path, AGENTS).rules, Allowlist())
    for n in range(SEARCH_MEMO_LIMIT + 10):
        assert matcher.hits(web(user_agent=f"agent {n}", path="/")) == []
    assert matcher.hits(web(user_agent="sqlmap/1.8", path="/"))[0][1].id == "web.sqlmap"
    for group in matcher._plan(web()).groups:
        assert len(group.seen) <= SEARCH_MEMO_LIMIT
    assert SEARCH_MEMO_TEXT_CHARS < 600


ALLOWED = """
version: 1
allowlist: {cidrs: [10.0.0.0/8]}
rules:
- id: web.any
  title: {vi: a, en: a}
  category: availability
  severity: info
  parser: web
- id: web.page
  title: {vi: a, en: a}
  category: dos
  severity: info
  parser: web
  where: {path: {not: {endswith: .css}}}
- id: web.monitored
  title: {vi: a, en: a}
  category: dos
  severity: info
  parser: web
  where: {status: 200}
  allowlist: {users: [uptime]}
"""


def test_plain_rules_sharing_an_allowlist_ask_it_once_and_others_their_own(tmp_path):
    ruleset = load(tmp_path, ALLOWED)
    matcher = StatelessMatcher(ruleset.rules, ruleset.allowlist)
    assert matched(matcher, web(src_ip="10.1.2.3", path="/", status=200)) == []
    assert matched(matcher, web(src_ip="203.0.113.9", path="/", status=200, user="uptime")) == [
        "web.any",
        "web.page",
    ]
    assert matched(matcher, web(src_ip="203.0.113.9", path="/", status=200)) == [
        "web.any",
        "web.page",
        "web.monitored",
    ]
