"""Every benchmark of bench/ runs at a tiny size and prints its table (no timing asserted:
machines are noisy; the figures live in bench/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.slow
def test_every_benchmark_runs_at_smoke_size(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--smoke", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for section in ("## throughput", "## memory", "## scaling", "## latency", "## backlog"):
        assert section in out
    # throughput: every tool has a row or a reason it was skipped, then the ratios
    for tool in ("python read loop (floor)", "bare RE2 Set scan", "minimal Python pipeline",
                 "secmon scan --no-db",
                 "secmon rules test"):
        assert f"| sshd auth.log    | {tool}" in out
        assert f"| nginx access.log | {tool}" in out
    assert "fail2ban-regex" in out  # measured, or skipped with how to install it
    assert "CrowdSec" in out
    assert "| corpus           | secmon/fail2ban" in out
    # memory: the table and the state kept
    assert "| memory benchmark" in out
    assert "| attackers detected" in out
    assert "| rule" in out
    # scaling: both sizes
    assert "| auth   |     4 |" in out
    assert "| auth   |    40 |" in out
    # latency: measured, or skipped with the reason
    assert "| live latency" in out or "skipped: `secmon run`" in out
    # backlog: the service caught up, beside the one-shot scan of the same file
    assert "| secmon run, start_at: beginning | 2,000" in out
    assert "| secmon scan --no-db (same file)" in out
    assert out.count("Máy / machine:") >= 5
