"""`secmon init`, `secmon config check`, `secmon status`, and `secmon run`'s refusals:
exact output of the commands and their error paths."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from daemon_testkit import RULES, config_text, files_inputs

from secmon.cli import main
from secmon.clock import SystemClock
from secmon.events import Checkpoint
from secmon.incidents.store import IncidentStore


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "LANG": "C.UTF-8", "XDG_DATA_HOME": str(tmp_path / "data"),
            "SECMON_CONFIG": ""}


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "var/log/nginx").mkdir(parents=True)
    (root / "var/log/auth.log").write_text("")
    return root


def test_init_prints_or_writes_a_starter_config(tmp_path: Path, env: dict[str, str]) -> None:
    root = fake_root(tmp_path)
    code, out, _ = run(env, "init", "-", "--root", str(root))
    assert code == 0
    assert out.startswith("# secmon.yaml: cấu hình của secmon / secmon configuration\n")
    assert f'    - path: "{root}/var/log/auth.log"' in out
    target = tmp_path / "etc" / "secmon.yaml"
    code, out, _ = run(env, "init", str(target), "--root", str(root), "--lang", "en")
    assert (code, out) == (0, f"Starter config written to {target}. Review it, then check it:"
                              f" secmon config check -c {target}\n")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    code, _, err = run(env, "init", str(target), "--root", str(root), "--lang", "en")
    assert (code, err) == (1, f"Error: {target} exists already; add --force to overwrite it\n")
    code, _, _ = run(env, "init", str(target), "--root", str(root), "--force")
    assert code == 0


def test_config_check_says_what_it_found(tmp_path: Path, env: dict[str, str]) -> None:
    auth = tmp_path / "auth.log"
    auth.write_text("")
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(tmp_path / "x.db", files_inputs(auth, tmp_path / "nginx/*.log")))
    code, out, err = run(env, "config", "check", "-c", str(config))
    assert code == 0
    assert out == (f"The config {config} is valid: 2 rules, 0 playbooks, 2 log file entries,"
                   " journald: no, syslog: no.\n")
    assert err == (f"{config}:11:7: warning: no file matches {tmp_path}/nginx/*.log yet (secmon"
                   " reads it once it appears)\n")


def test_config_check_lists_every_problem(tmp_path: Path, env: dict[str, str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("version: 1\nrules:\n- id: x\n  treshold: 1\n")
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(tmp_path / "x.db", "  start_at: later\n", rules=rules))
    code, out, err = run(env, "config", "check", "-c", str(config), "--lang", "en")
    assert (code, out) == (1, "")
    assert err == (f"Error: {config}:8:13: 'inputs.start_at' must be one of end, beginning,"
                   " not 'later'\n")
    # the config is fixed: now the rules' problems show, with their places
    config.write_text(config_text(tmp_path / "x.db", "  start_at: end\n", rules=rules))
    code, _, err = run(env, "config", "check", "-c", str(config))
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "Error:"
    assert lines[1].startswith(f"{rules / 'bad.yaml'}:3:3: [x] ")
    assert any(line.startswith(f"{rules / 'bad.yaml'}:4:3: ") for line in lines)


def test_config_check_and_run_need_a_config(env: dict[str, str]) -> None:
    code, _, err = run(env, "config", "check", "--lang", "en")
    assert (code, err) == (1, "Error: name the config file with -c or SECMON_CONFIG (write a"
                              " starter one with `secmon init`)\n")
    code, _, err = run(env, "run", "--lang", "en")
    assert (code, err) == (1, "Error: name the config file with -c or SECMON_CONFIG (write a"
                              " starter one with `secmon init`)\n")


def test_run_refuses_a_broken_config(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(tmp_path / "x.db", "  files: nope\n"))
    code, _, err = run(env, "run", "-c", str(config), "--lang", "en")
    assert code == 1
    assert err.endswith(f"Error: {config}:8:10: 'inputs.files' must be a list of"
                        " {path: ..., type: ...} entries\n")


def test_status_of_a_database_never_used(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "none.db"
    code, out, _ = run(env, "status", "--db", str(db), "--lang", "en")
    assert code == 3
    assert out.splitlines()[0] == f"secmon run: has never run with the database {db}"
    assert not db.exists()


def test_status_reads_what_the_daemon_stored(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "secmon.db"
    log = tmp_path / "auth.log"
    log.write_bytes(b"x" * 100)
    info = os.stat(log)
    now = datetime.now(UTC)
    entry = {"version": 1, "state": "running", "pid": 99, "started_at": now.isoformat(),
             "heartbeat_at": now.isoformat(),
             "sources": {str(log): {"input": "files", "lines": 4, "malformed": 1,
                                    "last_event_time": None, "last_read_at": now.isoformat()}},
             "inputs": {}, "last_reload": None}
    with IncidentStore.open(db, SystemClock()) as store:
        store.record([], [Checkpoint(str(log), info.st_dev, info.st_ino, 60, "f")],
                     {"daemon": json.dumps(entry)})
    code, out, _ = run(env, "status", "--db", str(db), "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["state"] == "running" and data["pid"] == 99
    assert [(s["source"], s["lines"], s["malformed"], s["lag_bytes"]) for s in data["sources"]] \
        == [(str(log), 4, 1, 40)]
    assert data["open_by_severity"] == {"info": 0, "low": 0, "medium": 0, "high": 0,
                                        "critical": 0}
    assert data["outbox"] == {"pending": 0, "failed": 0}
    code, out, _ = run(env, "status", "--db", str(db), "--lang", "en", "--tz", "UTC")
    assert code == 0
    assert out.splitlines()[0].startswith("secmon run: running (pid 99, since ")
    assert "Open incidents: 0 (critical 0, high 0, medium 0, low 0, info 0)" in out


def test_the_test_rules_pass_their_own_tests(env: dict[str, str]) -> None:
    code, out, _ = run(env, "rules", "check", "--no-builtin-rules", "--rules", str(RULES),
                       "--lang", "en")
    assert (code, out) == (0, "2 rules in 1 files: valid.\n")


def test_the_commands_are_documented(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    install = (repo_root / "docs" / "install.md").read_text(encoding="utf-8")
    for command in ("secmon run -c CONFIG", "secmon status [--format table\\|json]",
                    "secmon init [PATH\\|-] [--force] [--root DIR]", "secmon config check"):
        assert f"| `{command}" in readme, command
    for command in ("secmon init", "secmon config check -c", "secmon status -c",
                    "systemctl reload secmon", "packaging/secmon.service"):
        assert command in install, command
