"""Helpers for the tests of `secmon run` (not a test module).

The end-to-end tests drive a real `python -m secmon.cli run` process against
a temporary folder and database and watch the database from outside, the
way `secmon status` does.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "daemon"
RULES = DATA / "rules"
HCM = timezone(timedelta(hours=7))
T0 = datetime(2026, 3, 14, 6, 0, 0, tzinfo=HCM)
DEADLINE = 20.0


def attack_line(n: int, ip: str, user: str = "root", host: str = "portal") -> str:
    """The n-th line of an attack: one sshd failed password, n seconds after T0."""
    at = (T0 + timedelta(seconds=n)).isoformat()
    return (
        f"{at} {host} sshd[{1000 + n % 30000}]: Failed password for {user} from {ip}"
        f" port {40000 + n % 20000} ssh2\n"
    )


def config_text(
    db: Path, inputs: str, *, extra: str = "", rules: Path = RULES, playbooks: bool = False
) -> str:
    """A config reading `inputs` with the test rules (and, if asked, the shipped playbooks)."""
    return (
        "version: 1\n"
        f'database: "{db}"\n'
        "timezone: Asia/Ho_Chi_Minh\n"
        "language: en\n"
        f'rules: {{builtin: false, dirs: ["{rules}"]}}\n'
        f"playbooks: {{builtin: {'true' if playbooks else 'false'}}}\n"
        "inputs:\n" + inputs + extra
    )


def files_inputs(*paths: Path, start_at: str = "beginning", kind: str = "syslog") -> str:
    lines = [f"  start_at: {start_at}\n", "  files:\n"]
    lines += [f'    - {{path: "{p}", type: {kind}}}\n' for p in paths]
    return "".join(lines)


def until(condition: Callable[[], Any], deadline: float = DEADLINE, step: float = 0.01) -> Any:
    """Poll `condition` until it is truthy (returned) or `deadline` seconds pass (None)."""
    end = time.monotonic() + deadline
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= end:
            return None
        time.sleep(step)  # polling a condition, not waiting for time to pass


def query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        conn.close()


def incidents(db: Path) -> dict[tuple[str, str], tuple[int, str, str, str]]:
    """(rule ids, key) -> (count, first_seen, last_seen, hosts) of every incident."""
    rows = query(
        db, "SELECT rule_ids, key_json, count, first_seen, last_seen, hosts FROM incidents"
    )
    return {
        (",".join(json.loads(r[0])), r[1]): (r[2], r[3], r[4], r[5]) for r in rows
    }


def counts(db: Path) -> dict[tuple[str, str], int]:
    """(rule id, source address) -> incident count."""
    found = {}
    for (rules, key), (count, *_rest) in incidents(db).items():
        found[(rules, json.loads(key).get("src_ip", ""))] = count
    return found


def status(db: Path) -> dict[str, Any] | None:
    rows = query(db, "SELECT value FROM state WHERE name = 'daemon'")
    return json.loads(rows[0][0]) if rows else None


def lines_read(db: Path) -> int:
    entry = status(db) or {}
    return sum(int(s.get("lines", 0)) for s in entry.get("sources", {}).values())


class DaemonProcess:
    """A real `secmon run` child process; its stderr goes to a file for the failure message."""

    def __init__(
        self, config: Path, log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ):
        self.config = config
        self.log = log
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
        full_env.pop("SECMON_CONFIG", None)
        full_env.pop("NOTIFY_SOCKET", None)
        full_env.update(env or {})
        with open(log, "ab") as handle:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "secmon.cli", "run", "-c", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                env=full_env,
                cwd=cwd or config.parent,
            )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_running(self, db: Path, deadline: float = DEADLINE) -> None:
        """Until the daemon has written its 'running' status (its inputs are started)."""

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"secmon run exited early:\n{self.output()}")
            entry = status(db)
            return bool(entry and entry.get("pid") == self.pid and entry.get("state") == "running")

        assert until(ready, deadline), f"secmon run did not start:\n{self.output()}"

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=DEADLINE)

    def stop(self, timeout: float = DEADLINE) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def __enter__(self) -> DaemonProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=DEADLINE)
