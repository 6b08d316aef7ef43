"""Playbook loader: strict YAML, every problem with file:line:col and the playbook id."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from secmon.errors import InputError
from secmon.playbooks import check_playbooks, load_playbooks

DATA = Path(__file__).resolve().parent / "data" / "playbooks"


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run in the data folder so messages name files as the user typed them."""
    monkeypatch.chdir(DATA)
    return DATA


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "generic.yaml").write_text(
        (DATA / "minimal" / "generic.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return tmp_path


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return Path(name)


STEPS = """
  steps:
  - id: notify
    phase: report
    title: {vi: a, en: b}
    details: {vi: a, en: b}
  - id: review
    phase: review
    title: {vi: a, en: b}
    details: {vi: a, en: b}
"""


def playbook(pid: str, applies: str, steps: str = STEPS, summary: str = "{vi: a, en: b}") -> str:
    return (
        f"version: 1\nplaybook:\n  id: {pid}\n  title: {{vi: a, en: b}}\n"
        f"  applies_to: {applies}\n  summary: {summary}\n{steps}"
    )


def test_a_broken_file_reports_every_problem(data_dir: Path):
    assert [str(p) for p in check_playbooks([Path("broken.yaml")])] == [
        "broken.yaml:1:10: [broken] unsupported version 2: this secmon reads 'version: 1'",
        "broken.yaml:4:25: [broken] 'title.en' must be non-empty text",
        "broken.yaml:5:29: [broken] unknown category 'brute-forse' (did you mean 'brute-force'?);"
        " categories are brute-force, web-attack, scanning, webshell, defacement, malware, dos,"
        " privilege-escalation, account-compromise, availability, policy",
        "broken.yaml:5:63: [broken] 'ssh brute' is not a rule id (like 'ssh.brute-force')",
        "broken.yaml:5:77: [broken] unknown key 'fallbak' (did you mean 'fallback'?)",
        "broken.yaml:6:17: [broken] unknown template variable 'src_ipp' (did you mean 'src_ip'?)",
        "broken.yaml:6:42: [broken] unknown key 'fr'; expected vi, en",
        "broken.yaml:9:12: [broken] unknown phase 'detetc' (did you mean 'detect'?);"
        " phases are detect, contain, eradicate, recover, report, review",
        "broken.yaml:11:19: [broken] template variable 'user' is not available for incidents of"
        " category web-attack (their key fields: host, http_status, method, path, src_ip,"
        " user_agent, vhost)",
        "broken.yaml:11:37: [broken] template error: Expected an expression,"
        " got 'end of statement block'",
        "broken.yaml:13:7: [broken] command puts {{ src_ip }} inside single quotes; write it bare"
        " (secmon shell-quotes every value), e.g. grep -F {{ src_ip }} FILE",
        "broken.yaml:14:7: [broken] command puts {{ vhost }} inside double quotes; write it bare"
        " (secmon shell-quotes every value), e.g. grep -F {{ vhost }} FILE",
        "broken.yaml:15:7: [broken] 'commands' entries must be non-empty text (shell commands)",
        "broken.yaml:16:15: [broken] 'evidence' must be true or false",
        "broken.yaml:17:15: [broken] deadline offset '5 days' must be a whole number of days or"
        " hours, like '5d' or '12h'",
        "broken.yaml:18:5: [broken] missing key 'title'",
        "broken.yaml:18:9: [broken] duplicate step id 'verify' (first at broken.yaml:8:9)",
        "broken.yaml:20:5: [broken] unknown key 'titel' (did you mean 'title'?)",
        "broken.yaml:22:15: [broken] unknown deadline anchor 'detectd' (did you mean 'detected'?);"
        " use one of detected, acknowledged, resolved",
        "broken.yaml:23:5: [broken] the last step is 'report': a playbook ends with a 'review'"
        " step (Circular 20/2017 Art. 11, stage 4)",
        "broken.yaml:26:19: [broken] template error: access to attribute '__class__' of 'str'"
        " object is unsafe.",
        "broken.yaml:26:45: [broken] a playbook text cannot include, import or extend templates",
        "broken.yaml:27:15: [broken] deadline 'soon' is not 'immediately' or '<anchor> + <N>d|h'"
        " (e.g. 'detected + 5d')",
    ]


def test_load_raises_one_input_error_with_all_problems(data_dir: Path):
    with pytest.raises(InputError) as info:
        load_playbooks([Path("minimal"), Path("broken.yaml")])
    assert len(info.value.problems) == 23
    assert str(info.value).splitlines()[0] == (
        "broken.yaml:1:10: [broken] unsupported version 2: this secmon reads 'version: 1'"
    )


def test_a_valid_folder_loads(data_dir: Path):
    books = load_playbooks([Path("minimal")])
    assert [pb.id for pb in books] == ["generic", "ssh"]
    ssh = books.get("ssh")
    assert ssh is not None
    assert ssh.step_ids == ("verify", "ack", "block", "notify", "form-03", "form-04", "review")
    assert ssh.step("verify").commands == (
        "grep -F {{ src_ip }} /var/log/auth.log",
        "passwd -l {{ user }}",
        "journalctl --since {{ first_seen }} -u ssh",
    )
    assert ssh.step("verify").evidence is True
    assert ssh.step("ack").deadline is not None
    assert ssh.step("ack").deadline.offset == timedelta(hours=12)
    assert str(ssh.step("verify").location) == "minimal/ssh.yaml:12:5"
    assert books.for_incident("brute-force", []).id == "ssh"
    assert books.for_incident("dos", []).id == "generic"


def test_a_later_path_overrides_by_id_and_takes_over_claims(data_dir: Path):
    books = load_playbooks([Path("minimal"), Path("override")])
    ssh = books.get("ssh")
    assert ssh is not None and ssh.title.en == "Our SSH playbook"
    assert books.by_rule == {"ssh.brute-force": "ssh", "ssh.password-spray": "ssh"}
    # the overriding playbook no longer claims the category
    assert books.for_incident("brute-force", []).id == "generic"


def test_missing_paths_and_unreadable_files(work: Path):
    write(work, "empty.yaml", "")
    write(work, "list.yaml", "- a\n- b\n")
    write(work, "dup.yaml", "version: 1\nversion: 1\n")
    write(work, "syntax.yaml", "version: 1\nplaybook: [\n")
    assert [str(p) for p in check_playbooks([work / "nope", Path("empty.yaml")])] == [
        f"{work / 'nope'}: no such playbook file or folder",
        "empty.yaml: a playbook file is a mapping with 'version: 1' and 'playbook:'",
    ]
    assert [str(p) for p in check_playbooks([Path("list.yaml")])] == [
        "list.yaml:1:1: a playbook file is a mapping with 'version: 1' and 'playbook:'",
    ]
    assert [str(p) for p in check_playbooks([Path("dup.yaml")])] == [
        "dup.yaml:2:1: invalid YAML: duplicate key 'version'",
    ]
    assert [str(p) for p in check_playbooks([Path("syntax.yaml")])] == [
        "syntax.yaml:3:1: invalid YAML: while parsing a flow node, did not find expected"
        " node content",
    ]


def test_top_level_keys(work: Path):
    write(work, "a.yaml", "versoin: 1\nplaybook: 3\n")
    write(work, "b.yaml", "version: '1'\n")
    assert [str(p) for p in check_playbooks([Path("a.yaml"), Path("b.yaml")])] == [
        "a.yaml:1:1: missing key 'version'",
        "a.yaml:1:1: unknown key 'versoin' (did you mean 'version'?)",
        "a.yaml:2:11: 'playbook' must be a mapping",
        "b.yaml:1:1: missing key 'playbook'",
        "b.yaml:1:10: unsupported version '1': this secmon reads 'version: 1'",
    ]


def test_playbook_keys_and_ids(work: Path):
    write(work, "a.yaml", "version: 1\nplaybook:\n  id: Bad_Id\n  tittle: x\n")
    assert [str(p) for p in check_playbooks([Path("a.yaml")])] == [
        "a.yaml:3:3: [Bad_Id] missing key 'applies_to'",
        "a.yaml:3:3: [Bad_Id] missing key 'steps'",
        "a.yaml:3:3: [Bad_Id] missing key 'summary'",
        "a.yaml:3:3: [Bad_Id] missing key 'title'",
        "a.yaml:3:7: [Bad_Id] playbook id 'Bad_Id' must be lowercase letters and digits joined"
        " by '-', '.' or '_'",
        "a.yaml:4:3: [Bad_Id] unknown key 'tittle' (did you mean 'title'?)",
    ]


def test_applies_to_must_match_something_and_texts_must_be_bilingual(work: Path):
    write(work, "a.yaml", playbook("a", "{}", summary="just text"))
    write(work, "b.yaml", playbook("b", "{categories: [dos, dos], fallback: 'yes'}"))
    assert [str(p) for p in check_playbooks([Path("a.yaml"), Path("b.yaml")])] == [
        "a.yaml:5:15: [a] 'applies_to' matches no incident: list categories or rules,"
        " or set 'fallback: true'",
        "a.yaml:6:12: [a] 'summary' must be a mapping {vi: ..., en: ...}",
        "b.yaml:5:34: [b] 'dos' is listed twice in 'categories'",
        "b.yaml:5:50: [b] 'fallback' must be true or false",
    ]


def test_steps_must_report_and_end_with_review(work: Path):
    no_report = """
  steps:
  - {id: look, phase: detect, title: {vi: a, en: b}, details: {vi: a, en: b}}
  - {id: review, phase: review, title: {vi: a, en: b}, details: {vi: a, en: b}}
"""
    no_review = """
  steps:
  - {id: notify, phase: report, title: {vi: a, en: b}, details: {vi: a, en: b}}
  - not a step
  - {id: look, phase: detect, title: {vi: a, en: b}, details: {vi: a, en: b}}
"""
    write(work, "a.yaml", playbook("a", "{categories: [dos]}", steps=no_report))
    write(work, "b.yaml", playbook("b", "{categories: [policy]}", steps=no_review))
    write(work, "c.yaml", playbook("c", "{categories: [malware]}", steps="  steps: []\n"))
    assert [str(p) for p in check_playbooks([Path(n) for n in ("a.yaml", "b.yaml", "c.yaml")])] == [
        "a.yaml:8:3: [a] no 'report' step: every playbook must notify and report"
        " (Circular 20/2017 Art. 9)",
        "b.yaml:10:5: [b] a step must be a mapping (id, phase, ...)",
        "b.yaml:11:5: [b] the last step is 'detect': a playbook ends with a 'review' step"
        " (Circular 20/2017 Art. 11, stage 4)",
        "c.yaml:7:10: [c] 'steps' must be a non-empty list of steps",
    ]


def test_duplicate_ids_and_claims_in_one_path_are_errors(work: Path):
    write(work, "a.yaml", playbook("same", "{categories: [dos], rules: [web.flood]}"))
    write(work, "b.yaml", playbook("same", "{categories: [malware]}"))
    write(work, "c.yaml", playbook("other", "{categories: [dos], rules: [web.flood]}"))
    assert [str(p) for p in check_playbooks([Path(".")])] == [
        "b.yaml:3:3: [same] duplicate playbook id (also at a.yaml:3:3); give each playbook"
        " its own id",
        "c.yaml:5:29: [other] category 'dos' is already claimed by playbook 'same' (a.yaml:5:29);"
        " each category picks one playbook",
        "c.yaml:5:43: [other] rule 'web.flood' is already claimed by playbook 'same'"
        " (a.yaml:5:43); each rule picks one playbook",
    ]


def test_a_later_path_may_take_over_a_claim(work: Path):
    (work / "mine").mkdir()
    write(work, "dos.yaml", playbook("dos", "{categories: [dos]}"))
    write(work / "mine", "flood.yaml", playbook("flood", "{categories: [dos]}"))
    books = load_playbooks([Path("generic.yaml"), Path("dos.yaml"), Path("mine")])
    assert books.for_incident("dos", []).id == "flood"
    assert "dos" in books  # still loaded, chosen by id or by a rule's playbook


def test_exactly_one_fallback(work: Path):
    write(work, "second.yaml", playbook("second", "{fallback: true}"))
    assert [str(p) for p in check_playbooks([Path(".")])] == [
        "second.yaml:3:3: [second] a second fallback playbook (the first is 'generic' at"
        " generic.yaml:3:3); keep 'fallback: true' on one playbook only",
    ]
    write(work, "dos.yaml", playbook("dos", "{categories: [dos]}"))
    assert [str(p) for p in check_playbooks([Path("dos.yaml")])] == [
        "dos.yaml: no fallback playbook: load the built-in playbooks too, or mark one playbook"
        " 'applies_to: {fallback: true}'",
    ]


def test_template_checks(work: Path):
    steps = """
  steps:
  - id: notify
    phase: report
    title: {vi: "{{ id | nofilter }}", en: "{{ evidence_dir }}"}
    details:
      vi: "{{ src_ip }} {{ sender }}"
      en: |
        line one
        {{ count + 'x' }}
    commands:
    - "echo {{ process }} \\\\'{{ dst_ip }}"
    - "echo $'{{ dst_ip }}'"
    - "echo '{{ \\"'\\" }}' {{ foo }}"
  - id: review
    phase: review
    title: {vi: a, en: b}
    details: {vi: a, en: b}
"""
    write(work, "a.yaml", playbook("a", "{categories: [malware]}", steps=steps))
    assert [str(p) for p in check_playbooks([Path("a.yaml")])] == [
        "a.yaml:11:17: [a] template error: No filter named 'nofilter'.",
        "a.yaml:13:11: [a] template variable 'src_ip' is not available for incidents of category"
        " malware (their key fields: dst_ip, dst_port, host, message_id, path, process,"
        " recipient, sender, user)",
        "a.yaml:14:11: [a] template error: TypeError: unsupported operand type(s) for +:"
        " 'int' and 'str'",
        "a.yaml:19:7: [a] command puts {{ dst_ip }} inside single quotes; write it bare"
        " (secmon shell-quotes every value), e.g. grep -F {{ dst_ip }} FILE",
        'a.yaml:20:7: [a] command puts {{ "\'" }} inside single quotes; write it bare'
        ' (secmon shell-quotes every value), e.g. grep -F {{ "\'" }} FILE',
        "a.yaml:20:7: [a] unknown template variable 'foo'; variables are category, count,"
        " detected, dst_ip, dst_port, evidence_dir, first_seen, host, hosts, http_status, id,"
        " last_seen, message_id, method, org, path, process, recipient, rules, sender, severity,"
        " sources, src_ip, status, title, user, user_agent, vhost",
    ]
