"""Backlog: how fast a starting `secmon run` catches up with a log already written.

    python bench/backlog.py [--lines 1000000] [--kind auth|access] [--seed 1] [--workdir DIR]

After a reboot, or when secmon is first installed with `inputs.start_at:
beginning`, the service must read everything written since its last
checkpoint before it is live again. This starts `secmon run` on a generated
corpus (bench/corpus.py) with that setting, polls its database read-only
until the checkpoint of the file reaches the file's end, then stops the
service and prints the catch-up time, lines/s (wall and CPU), the peak
memory and the incidents recorded, beside `secmon scan --no-db` of the same
file (the one-shot pipeline without the database) in the same run.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    DEFAULT_SEED,
    TZ,
    BenchError,
    corpus,
    count_lines,
    machine_text,
    run_measured,
    secmon_command,
    secmon_env,
    table,
)

TYPES = {"auth": "syslog", "access": "nginx"}
POLL_SECONDS = 0.2


def config_text(log: Path, db: Path, kind: str) -> str:
    return f"""version: 1
timezone: {TZ}
database: {db}
inputs:
  start_at: beginning
  files:
    - {{path: {log}, type: {TYPES[kind]}}}
"""


def checkpoint_offset(db: Path) -> int:
    """The furthest offset the service has committed (0 before its first commit)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5) as conn:
            row = conn.execute("SELECT MAX(offset) FROM checkpoints").fetchone()
    except sqlite3.Error:
        return 0  # not created yet, or busy: ask again
    return int(row[0] or 0)


def incident_count(db: Path) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0])


def catch_up(log: Path, kind: str, timeout: float) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak MB, incidents) of `secmon run` reading `log` to its end."""
    size = log.stat().st_size
    with tempfile.TemporaryDirectory(prefix="secmon-bench-backlog-") as tmp:
        folder = Path(tmp)
        db, config = folder / "secmon.db", folder / "secmon.yaml"
        config.write_text(config_text(log, db, kind))
        with open(folder / "daemon.log", "wb") as daemon_log:
            started = time.perf_counter()
            daemon = subprocess.Popen(
                secmon_command("run", "-c", str(config)), env=secmon_env(),
                stdout=daemon_log, stderr=subprocess.STDOUT,
            )  # fmt: skip
            try:
                while checkpoint_offset(db) < size:
                    if daemon.poll() is not None:
                        tail = (folder / "daemon.log").read_text(errors="replace")[-2000:]
                        raise BenchError(f"secmon run stopped (exit {daemon.returncode}):\n{tail}")
                    if time.perf_counter() - started > timeout:
                        raise BenchError(f"secmon run had not caught up after {timeout:.0f} s")
                    time.sleep(POLL_SECONDS)
                wall = time.perf_counter() - started
            finally:
                if daemon.poll() is None:
                    daemon.send_signal(signal.SIGTERM)
                _, _, usage = os.wait4(daemon.pid, 0)
        cpu = usage.ru_utime + usage.ru_stime
        return wall, cpu, usage.ru_maxrss / 1024, incident_count(db)


def run(kind: str, lines_asked: int, seed: int, workdir: Path | None, timeout: float) -> str:
    log = corpus(kind, lines_asked, seed, workdir)
    lines = count_lines(log)
    print(f"… backlog: {log} ({lines:,} lines)", file=sys.stderr)
    wall, cpu, peak, incidents = catch_up(log, kind, timeout)
    scan_command = secmon_command(
        "scan", "--no-db", "--format", "jsonl", "--type", TYPES[kind], "--tz", TZ, str(log)
    )
    scan, _ = run_measured("secmon scan --no-db", kind, lines, scan_command, env=secmon_env())
    rows = [
        ("secmon run, start_at: beginning", f"{lines:,}", round(wall, 1), f"{lines / wall:,.0f}",
         f"{lines / cpu:,.0f}", round(peak, 1), incidents),
        ("secmon scan --no-db (same file)", f"{lines:,}", round(scan.wall, 1),
         f"{scan.rate:,.0f}", f"{scan.cpu_rate:,.0f}", round(scan.peak_mb, 1), "-"),
    ]  # fmt: skip
    headers = ["backlog catch-up", "lines", "wall s", "lines/s", "lines/s (CPU)", "peak MB",
               "incidents"]  # fmt: skip
    return "\n".join([table(headers, rows), "", machine_text()])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--kind", choices=sorted(TYPES), default="auth")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--workdir", type=Path, help="where corpora are kept (default: tmp)")
    parser.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args(argv)
    print(run(args.kind, args.lines, args.seed, args.workdir, args.timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
