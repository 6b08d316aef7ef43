"""The shipped playbooks: they load, follow the legal procedure, render, match golden files.

Regenerate the golden files with SECMON_UPDATE_GOLDEN=1 and review the diff by eye.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest
from playbooks_testkit import DETECTED, HANOI, make_incident

from secmon.builtin import builtin_dir
from secmon.events import CATEGORIES
from secmon.playbooks import (
    VARIABLES,
    Playbook,
    PlaybookSet,
    StepState,
    load_playbooks,
    render_checklist,
)

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "playbooks"
UPDATE = os.environ.get("SECMON_UPDATE_GOLDEN") == "1"

EXPECTED = {
    "account-compromise",
    "dos",
    "generic",
    "malware",
    "phishing",
    "ssh-brute-force",
    "web-attack",
    "web-defacement",
    "webshell",
}
# Rules claimed by playbooks that no shipped rule file defines yet.
# Which incident each playbook is rendered for in the golden files.
SCENARIOS = {
    "account-compromise": ("account-compromise", ("ssh.success-after-failures",)),
    "dos": ("dos", ()),
    "generic": ("scanning", ("ssh.scan",)),
    "malware": ("malware", ("cron.download-and-execute",)),
    "phishing": ("policy", ("mail.phishing",)),
    "ssh-brute-force": ("brute-force", ("ssh.brute-force",)),
    "web-attack": ("web-attack", ()),
    "web-defacement": ("defacement", ()),
    "webshell": ("webshell", ()),
}
NOW = DETECTED + timedelta(days=6)


@pytest.fixture(scope="module")
def books() -> PlaybookSet:
    return load_playbooks([builtin_dir("playbooks")])


def test_every_builtin_playbook_loads(books: PlaybookSet):
    assert {pb.id for pb in books} == EXPECTED
    assert books.fallback.id == "generic"


def test_each_incident_category_finds_its_playbook(books: PlaybookSet):
    chosen = {category: books.for_incident(category, []).id for category in CATEGORIES}
    assert chosen == {
        "brute-force": "ssh-brute-force",
        "web-attack": "web-attack",
        "scanning": "generic",
        "webshell": "webshell",
        "defacement": "web-defacement",
        "malware": "malware",
        "dos": "dos",
        "privilege-escalation": "account-compromise",
        "account-compromise": "account-compromise",
        "availability": "dos",
        "policy": "generic",
    }
    assert books.for_incident("brute-force", ["ssh.success-after-failures"]).id == (
        "account-compromise"
    )
    assert books.for_incident("policy", ["mail.phishing"]).id == "phishing"


def test_claimed_rules_exist_in_the_shipped_rules(books: PlaybookSet):
    rule_text = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "rules").glob("*.yaml"))
    shipped = set(re.findall(r"^- id: (\S+)", rule_text, re.MULTILINE))
    assert set(books.by_rule) - shipped == set()


@pytest.mark.parametrize("playbook_id", sorted(EXPECTED))
def test_steps_follow_the_response_procedure(books: PlaybookSet, playbook_id: str):
    playbook = books.get(playbook_id)
    assert playbook is not None
    phases = [step.phase for step in playbook.steps]
    assert {"detect", "contain", "report", "review"} <= set(phases)
    assert {"eradicate", "recover"} & set(phases)
    assert phases[-1] == "review" and phases[-2] == "report"
    assert phases[0] == "detect"
    deadlines = {step.id: step.deadline.expression for step in playbook.steps if step.deadline}
    assert deadlines["notify"] == "detected + 5d"
    assert deadlines["initial-report"] == "immediately"
    assert deadlines["final-report"] == "resolved + 5d"
    assert deadlines["review"] == "resolved + 5d"
    assert any(step.evidence for step in playbook.steps)


def test_the_wheel_ships_the_playbooks():
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert shipped["playbooks"] == "secmon/_builtin/playbooks"


def test_recipients_are_not_hard_coded():
    for path in sorted(builtin_dir("playbooks").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert "secmon.yaml" in text, path.name
        assert not re.search(r"[\w.-]+@[\w-]+\.[\w.]+|vncert|\bA05\b|Bộ TT&TT", text, re.I), (
            path.name
        )


@pytest.mark.parametrize("playbook_id", sorted(EXPECTED))
def test_every_command_fits_its_incident_and_quotes_values(books: PlaybookSet, playbook_id: str):
    """Rendered for a hostile incident of its category, every command still splits
    into the words the author wrote, each value one word."""
    playbook = books.get(playbook_id)
    assert playbook is not None
    category, rules = SCENARIOS[playbook_id]
    hostile = "x'; reboot; echo '$(id)`id`"
    incident = make_incident(
        category,
        rule_ids=rules,
        key={name: hostile for name in make_incident(category).key},
    )
    out = render_checklist(playbook, incident, lang="en", fmt="text", now=NOW)
    commands = [line[8:] for line in out.splitlines() if line.startswith("      $ ")]
    assert commands
    for command in commands:
        for word in shlex.split(command):
            assert "reboot" not in word or hostile in word, command


def _scenario(playbook: Playbook):
    category, rules = SCENARIOS[playbook.id]
    incident = make_incident(category, rule_ids=rules, assignee="an")
    first = playbook.steps[0].id
    done = {first: StepState(True, "an", DETECTED + timedelta(minutes=40), "đã kiểm tra / checked")}
    return incident, done


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {name}; run with SECMON_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


GOLDEN_CASES = [(pid, lang, "text") for pid in sorted(EXPECTED) for lang in ("vi", "en")] + [
    (pid, lang, fmt)
    for pid in ("ssh-brute-force", "web-defacement")
    for lang in ("vi", "en")
    for fmt in ("md", "html")
]
SUFFIX = {"text": "txt", "md": "md", "html": "html"}


@pytest.mark.parametrize(("playbook_id", "lang", "fmt"), GOLDEN_CASES)
def test_golden_checklists(books: PlaybookSet, playbook_id: str, lang: str, fmt: str):
    playbook = books.get(playbook_id)
    assert playbook is not None
    incident, done = _scenario(playbook)
    out = render_checklist(
        playbook, incident, lang=lang, fmt=fmt, done=done, now=NOW, tz=HANOI, org="UBND xã Mẫu"
    )
    _check_golden(f"{playbook_id}.{lang}.{SUFFIX[fmt]}", out)


@pytest.mark.parametrize("playbook_id", sorted(EXPECTED))
def test_renders_in_every_language_and_format(books: PlaybookSet, playbook_id: str):
    playbook = books.get(playbook_id)
    assert playbook is not None
    incident, done = _scenario(playbook)
    for lang in ("vi", "en"):
        for fmt in ("text", "md", "html"):
            out = render_checklist(playbook, incident, lang=lang, fmt=fmt, done=done, now=NOW)
            assert playbook.title.get(lang) in out.replace("&#34;", '"')
            assert out.count("\n") > 40


def test_docs_name_every_variable_and_builtin_playbook():
    docs = (REPO / "docs" / "playbooks.md").read_text(encoding="utf-8")
    undocumented = [name for name in VARIABLES if f"`{name}`" not in docs]
    undocumented += [pid for pid in sorted(EXPECTED) if f"| `{pid}` |" not in docs]
    assert undocumented == []
