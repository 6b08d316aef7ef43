"""The command line contract: exact output of jsonl formats and error paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from secmon.cli import main

AUTH_LINES = [
    f"Mar 14 06:00:{i:02d} portal sshd[811]: Failed password for root from 203.0.113.9 "
    f"port {50000 + i} ssh2"
    for i in range(25)
] + [
    "Mar 14 06:01:00 portal sshd[900]: Failed password for canbo from 10.0.0.5 port 51000 ssh2",
    "Mar 14 06:01:05 portal sshd[900]: Accepted password for canbo from 10.0.0.5 port 51001 ssh2",
    "this line is not syslog at all",
]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "LANG": "C.UTF-8", "XDG_DATA_HOME": str(tmp_path / "data")}


@pytest.fixture
def auth_log(tmp_path: Path) -> Path:
    path = tmp_path / "auth.log"
    path.write_text("\n".join(AUTH_LINES) + "\n", encoding="utf-8")
    return path


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_scan_jsonl_follows_the_contract(env, auth_log):
    code, out, _ = run(env, "scan", "--no-db", "--format", "jsonl", "--tz", "+07:00",
                       str(auth_log))
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    brute = [r for r in records if r["rule"] == "ssh.brute-force"]
    assert len(brute) == 1
    assert list(brute[0]) == ["rule", "category", "severity", "tags", "key", "count",
                              "first_seen", "last_seen", "source"]
    assert brute[0]["category"] == "brute-force"
    assert brute[0]["key"] == {"src_ip": "203.0.113.9"}
    assert brute[0]["first_seen"].startswith("2026-03-14T06:00:00")
    assert brute[0]["first_seen"].endswith("+07:00")
    assert brute[0]["source"] == str(auth_log)
    assert all(r["key"].get("src_ip") != "10.0.0.5" for r in records)


def test_scan_table_in_english_counts_malformed_lines(env, auth_log):
    code, out, _ = run(env, "scan", "--no-db", "--lang", "en", "--tz", "UTC", str(auth_log))
    assert code == 0
    assert out.startswith("Detections (")
    assert "ssh.brute-force" in out and "SSH brute force" in out
    assert "Read 28 lines from 1 files" in out
    assert "1 unparseable lines skipped." in out
    assert f"  {auth_log}: type syslog, 28 lines, 1 malformed" in out
    assert out.rstrip().endswith("Dry run (--no-db): no incidents written.")


def test_scan_twice_records_nothing_new(env, auth_log, tmp_path):
    db = str(tmp_path / "s.db")
    code, first, _ = run(env, "scan", "--lang", "en", "--db", db, str(auth_log))
    assert code == 0
    assert "Incidents: 1 new, 0 updated, 0 reopened" in first
    code, second, _ = run(env, "scan", "--lang", "en", "--db", db, str(auth_log))
    assert "Incidents: 0 new, 0 updated, 0 reopened" in second
    code, listing, _ = run(env, "incidents", "list", "--lang", "en", "--db", db,
                           "--format", "jsonl")
    incidents = [json.loads(line) for line in listing.splitlines()]
    assert [(i["id"], i["category"], i["key"], i["status"]) for i in incidents] == [
        (1, "brute-force", {"src_ip": "203.0.113.9"}, "new")
    ]


def test_incident_lifecycle_from_the_command_line(env, auth_log, tmp_path):
    db = str(tmp_path / "s.db")
    run(env, "scan", "--db", db, str(auth_log))
    code, out, _ = run(env, "incidents", "ack", "1", "--db", db, "--lang", "en", "--by", "lan",
                       "--note", "looking")
    assert (code, out) == (0, "Incident #1: new → acknowledged.\n")
    code, out, _ = run(env, "incidents", "note", "1", "blocked in ufw", "--db", db,
                       "--lang", "vi", "--by", "lan")
    assert (code, out) == (0, "Đã ghi chú vào sự cố #1.\n")
    code, out, _ = run(env, "incidents", "resolve", "1", "--db", db, "--lang", "vi",
                       "--by", "lan")
    assert (code, out) == (0, "Sự cố #1: đã tiếp nhận → đã khắc phục.\n")
    code, out, err = run(env, "incidents", "ack", "1", "--db", db, "--lang", "en")
    assert code == 1
    assert err == "Error: incident #1 is resolved; reopen it first\n"
    code, out, _ = run(env, "incidents", "show", "1", "--db", db, "--lang", "en", "--tz", "UTC")
    assert code == 0
    assert "#1 SSH brute force" in out
    assert "lan: note blocked in ufw" in out or "blocked in ufw" in out
    assert "Evidence (" in out and "Failed password for root from 203.0.113.9" in out


def test_unknown_incident_is_a_clear_error(env, tmp_path):
    code, _, err = run(env, "incidents", "show", "42", "--db", str(tmp_path / "e.db"),
                       "--lang", "en")
    assert code == 1
    assert err == "Error: no incident #42\n"


def test_missing_input_file(env, tmp_path):
    code, _, err = run(env, "scan", "--no-db", "--lang", "en", str(tmp_path / "nope.log"))
    assert code == 1
    assert err == f"Error: {tmp_path / 'nope.log'}: no such file\n"


def test_rules_check_reports_every_problem_with_its_place(env, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text(
        "version: 1\n"
        "rules:\n"
        "- id: local.one\n"
        "  title: {vi: Một, en: One}\n"
        "  category: brute-force\n"
        "  severity: hgih\n"
        "  match: '(a)\\1'\n"
        "  treshold: 3\n",
        encoding="utf-8",
    )
    code, _, err = run(env, "rules", "check", "--no-builtin-rules", "--rules", str(rules),
                       "--lang", "en")
    assert code == 1
    assert err.startswith("Error:\n")
    assert f"{rules / 'bad.yaml'}:6:13: [local.one]" in err
    assert f"{rules / 'bad.yaml'}:8:3: [local.one] unknown key 'treshold'" in err
    assert "did you mean 'threshold'?" in err
    assert f"{rules / 'bad.yaml'}:7:" in err


def test_rules_check_passes_on_the_shipped_rules(env):
    code, out, err = run(env, "rules", "check", "--lang", "en")
    assert code == 0, err
    assert out.endswith("valid.\n")


def test_rules_test_jsonl_numbers_lines_from_one(env, auth_log):
    code, out, _ = run(env, "rules", "test", "--format", "jsonl", str(auth_log))
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    first = [r for r in records if r["line"] == 1]
    assert first, records[:3]
    assert list(first[0]) == ["line", "rule", "category", "fields"]
    assert any(r["fields"].get("src_ip") == "203.0.113.9" and r["fields"].get("user") == "root"
               for r in first)
    assert not [r for r in records if r["line"] == 28]


def test_rules_test_table_lists_unmatched_and_malformed_lines(env, auth_log):
    code, out, _ = run(env, "rules", "test", "--lang", "en", str(auth_log))
    assert code == 0
    assert out.splitlines()[0].startswith("28 lines: 27 parsed, 1 malformed, 27 matched at least one rule, 0 matched only allowlisted, 0 matched none.")
    assert "Lines that did not parse (first 20):" in out
    assert "  28: this line is not syslog at all" in out


def test_terminal_output_escapes_hostile_log_text(env, tmp_path):
    hostile = tmp_path / "auth.log"
    hostile.write_text(
        "Mar 14 06:00:01 portal sshd[811]: \x1b[2Jnonsense\n", encoding="utf-8"
    )
    code, out, _ = run(env, "rules", "test", "--lang", "en", str(hostile))
    assert code == 0
    assert "\x1b" not in out
    assert "\\x1b[2Jnonsense" in out


def test_demo_replays_the_bundled_logs(env):
    code, out, err = run(env, "demo", "--lang", "en")
    assert code == 0, err
    assert out.startswith("secmon demo: replaying sample logs (")
    assert "Incidents recorded (" in out
    for category in ("brute-force", "web-attack", "webshell", "account-compromise"):
        assert category in out
