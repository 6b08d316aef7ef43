"""`secmon playbook ...` and the checklist in `secmon incidents list|show`,
on incidents produced from the sample logs by `secmon scan`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from incident_testkit import detection

from secmon.cli import main
from secmon.clock import ManualClock, SystemClock
from secmon.incidents.store import IncidentStore
from secmon.playbooks.checklist import checklist_planner
from secmon.playbooks.loader import load_playbooks

LOGS = Path(__file__).parent / "data" / "builtin_rules"
MINIMAL = Path(__file__).parent / "data" / "playbooks" / "minimal"
BROKEN = Path(__file__).parent / "data" / "playbooks" / "broken.yaml"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    return runner.invoke(main, list(args), env={"SECMON_CONFIG": "", **(env or {})},
                         catch_exceptions=False)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """A database filled by `secmon scan` from the sample attack logs."""
    db = tmp_path_factory.mktemp("cli") / "secmon.db"
    result = run("scan", "--db", str(db), "--lang", "en", "--tz", "+07:00",
                 str(LOGS / "attack-auth.log"), str(LOGS / "attack-access.log"))
    assert result.exit_code == 0, result.output
    return db


def by_rule(db: Path) -> dict[str, int]:
    with IncidentStore.open(db, SystemClock()) as store:
        return {rule: i.id for i in store.list_incidents() for rule in i.rule_ids}


def test_scanned_incidents_get_the_right_playbooks(scanned: Path) -> None:
    ids = by_rule(scanned)
    with IncidentStore.open(scanned, SystemClock()) as store:
        chosen = {rule: (store.get(n).playbook, store.checklist(n).total)
                  for rule, n in ids.items()}
        timeline = store.timeline(ids["ssh.success-after-failures"])
    # the brute force, then the login that followed it, then the webshell in use
    assert chosen["ssh.brute-force"] == ("ssh-brute-force", 12)
    assert chosen["ssh.success-after-failures"] == ("account-compromise", 12)
    assert chosen["web.webshell-command"] == ("webshell", 14)
    assert chosen["web.upload-script-exec"] == ("webshell", 14)
    assert chosen["web.sqli-union"] == ("web-attack", 12)
    assert [(e.kind, e.actor) for e in timeline] == [("opened", "secmon"),
                                                     ("checklist", "secmon")]


def test_ticking_steps_records_who_and_when(scanned: Path) -> None:
    n = by_rule(scanned)["ssh.success-after-failures"]
    db = ["--db", str(scanned), "--lang", "en"]
    done = run("playbook", "done", str(n), "confirm", "--by", "an", "--note", "canbo confirms",
               *db)
    assert (done.exit_code, done.output) == (0, f"Incident #{n}: step 'confirm' done (1/12).\n")
    again = run("playbook", "done", str(n), "confirm", "--by", "binh", *db)
    assert again.exit_code == 1
    assert again.stderr.startswith(
        f"Error: step 'confirm' of incident #{n} is already done (an, ")
    assert again.stderr.endswith("); use 'secmon playbook undo' first to record it again\n")
    undo = run("playbook", "undo", str(n), "confirm", "--by", "binh", *db)
    assert (undo.exit_code, undo.output) == (
        0, f"Incident #{n}: step 'confirm' marked not done (0/12).\n")
    redo = run("playbook", "done", str(n), "confirm", "--by", "binh", "--lang", "vi",
               "--db", str(scanned))
    assert redo.output == f"Sự cố #{n}: đã xong bước «confirm» (1/12).\n"
    with IncidentStore.open(scanned, SystemClock()) as store:
        step = store.checklist(n).step("confirm")
        kinds = [(e.kind, e.actor) for e in store.timeline(n)][2:]
    assert (step.done, step.by, step.note) == (True, "binh", "")
    assert kinds == [("step_done", "an"), ("step_undone", "binh"), ("step_done", "binh")]


def test_step_errors_are_exact(scanned: Path) -> None:
    n = by_rule(scanned)["web.webshell-command"]
    db = ["--db", str(scanned), "--lang", "en"]
    unknown = run("playbook", "done", str(n), "verify", "--by", "an", *db)
    assert (unknown.exit_code, unknown.stderr) == (1, (
        f"Error: incident #{n} (playbook webshell) has no step 'verify'; its steps are: "
        "confirm, volatile-evidence, contain, hunt, upload-vector, persistence, eradicate, "
        "rebuild, reset-secrets, monitor, notify, initial-report, final-report, review\n"))
    not_done = run("playbook", "undo", str(n), "hunt", "--by", "an", *db)
    assert (not_done.exit_code, not_done.stderr) == (
        1, f"Error: step 'hunt' of incident #{n} is not done; there is nothing to undo\n")
    missing = run("playbook", "done", "999", "confirm", "--by", "an", *db)
    assert (missing.exit_code, missing.stderr) == (1, "Error: no incident #999\n")


@pytest.fixture
def minimal(tmp_path: Path) -> list[str]:
    """A database with one SSH brute force under the small test playbooks, and the
    options (config, db) to reach it: loading them is quick."""
    config = tmp_path / "secmon.yaml"
    config.write_text(f"version: 1\nplaybooks: {{builtin: false, dirs: [{MINIMAL}]}}\n",
                      encoding="utf-8")
    db = tmp_path / "secmon.db"
    clock = ManualClock(datetime(2026, 3, 14, 6, 0, tzinfo=UTC))
    with IncidentStore.open(db, clock,
                            plan_checklist=checklist_planner(load_playbooks([MINIMAL]))) as store:
        store.record([detection(playbook=None)])
    return ["-c", str(config), "--db", str(db)]


def test_show_renders_the_checklist_in_each_format(scanned: Path, minimal: list[str],
                                                   tmp_path: Path) -> None:
    n = by_rule(scanned)["ssh.brute-force"]
    db = ["--db", str(scanned)]
    run("playbook", "done", str(n), "verify", "--by", "an", "--note", "20 lần / times", *db)
    text = run("playbook", "show", str(n), "--lang", "en", "--tz", "+07:00", *db)
    assert text.exit_code == 0
    assert "Incident response checklist: SSH brute force\n" in text.output
    assert "[x] 1. Confirm and count the attempts (verify)\n" in text.output
    assert "    Note: 20 lần / times\n" in text.output
    assert "  Progress: 1/12 steps done\n" in text.output

    run("playbook", "done", "1", "verify", "--by", "an", *minimal)
    md = run("playbook", "show", "1", "--format", "md", *minimal)
    assert "### ☑ 1. Xác minh 203.0.113.9 (`verify`)" in md.output
    out = tmp_path / "checklist.html"
    html = run("playbook", "show", "1", "--format", "html", "-o", str(out), "--lang", "en",
               *minimal)
    assert html.output == f"Wrote {out}.\n"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    missing = run("playbook", "show", "999", "--lang", "en", *minimal)
    assert (missing.exit_code, missing.stderr) == (1, "Error: no incident #999\n")


def test_incidents_show_and_list_carry_progress(scanned: Path) -> None:
    n = by_rule(scanned)["web.sqli-union"]
    db = ["--db", str(scanned), "--lang", "en"]
    run("playbook", "done", str(n), "confirm", "--by", "an", *db)
    show = run("incidents", "show", str(n), *db)
    lines = show.output.splitlines()
    start = lines.index("  Playbook: web-attack")
    assert lines[start + 1] == "  Progress: 1 of 12 steps done"
    assert lines[start + 2].startswith("  Next deadline: notify (")
    assert lines[start + 3] == "  Do at once (if it applies): initial-report"
    listed = run("incidents", "list", *db)
    header = listed.output.splitlines()[0]
    assert header.split()[-2:] == ["Progress", "Deadline"]
    row = next(line for line in listed.output.splitlines() if line.startswith(f"#{n} "))
    assert " 1/12 " in row and " notify 20" in row
    jsonl = run("incidents", "list", "--format", "jsonl", *db)
    record = next(line for line in jsonl.output.splitlines() if f'"id": {n},' in line)
    assert '"playbook": "web-attack", "steps_done": 1, "steps_total": 12, "overdue": [], ' \
           '"due_soon": []' in record


def test_list_overdue_shows_reports_past_their_deadline(tmp_path: Path) -> None:
    db = tmp_path / "secmon.db"
    long_ago = ManualClock(datetime(2020, 1, 6, 3, 0, tzinfo=UTC))
    books = load_playbooks([MINIMAL])
    with IncidentStore.open(db, long_ago, plan_checklist=checklist_planner(books)) as store:
        store.record([detection(ip="203.0.113.1"), detection(ip="203.0.113.2")])
        store.set_step(2, "notify", True, by="an")
    listed = run("incidents", "list", "--overdue", "--db", str(db), "--lang", "en")
    rows = listed.output.splitlines()[2:]
    assert len(rows) == 1 and rows[0].startswith("#1 ")
    assert rows[0].endswith("0/7       OVERDUE: notify")
    vi = run("incidents", "list", "--overdue", "--db", str(db), "--lang", "vi")
    assert vi.output.splitlines()[2].endswith("QUÁ HẠN: notify")
    show = run("incidents", "show", "1", "--db", str(db), "--lang", "en", "--tz", "UTC")
    assert "  Overdue: notify (2020-01-11 03:00)\n" in show.output


def test_incidents_stored_before_checklists_get_one_on_first_use(tmp_path: Path) -> None:
    db = tmp_path / "secmon.db"
    with IncidentStore.open(db, SystemClock()) as store:  # no planner: like an older secmon
        store.record([detection(playbook=None)])
    show = run("incidents", "show", "1", "--db", str(db), "--lang", "en")
    assert "  Playbook: none yet (secmon playbook show 1)\n" in show.output
    done = run("playbook", "done", "1", "verify", "--by", "an", "--db", str(db), "--lang", "en")
    assert done.output == "Incident #1: step 'verify' done (1/12).\n"
    with IncidentStore.open(db, SystemClock()) as store:
        assert store.get(1).playbook == "ssh-brute-force"
        assert [(e.kind, e.actor) for e in store.timeline(1)] == [
            ("opened", "secmon"), ("checklist", "an"), ("step_done", "an")]


def test_list_and_check_playbooks(tmp_path: Path) -> None:
    listed = run("playbook", "list", "--lang", "en")
    lines = listed.output.splitlines()
    assert lines[0].split() == ["Playbook", "Title", "Applies", "to", "Steps"]
    assert [line.split()[0] for line in lines[2:]] == [
        "account-compromise", "dos", "generic", "malware", "phishing", "ssh-brute-force",
        "web-attack", "web-defacement", "webshell"]
    ok = run("playbook", "check", "--lang", "en")
    assert (ok.exit_code, ok.output) == (0, "9 playbooks: valid.\n")
    mine = run("playbook", "check", "--no-builtin", "--playbooks", str(MINIMAL), "--lang", "en")
    assert (mine.exit_code, mine.output) == (0, "2 playbooks: valid.\n")
    bad = run("playbook", "check", "--no-builtin", "--playbooks", str(MINIMAL), "--playbooks",
              str(BROKEN), "--lang", "en")
    assert bad.exit_code == 1
    problems = bad.stderr.splitlines()
    assert problems[-1].startswith("Error: ") and problems[-1].endswith(
        " problems in the playbooks.")
    assert all(line.startswith(f"{BROKEN}:") for line in problems[:-1])
    assert len(problems) - 1 == int(problems[-1].split()[1])
