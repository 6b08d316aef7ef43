"""Memory under a botnet spray: very many source addresses, each failing once or twice.

    python bench/memory.py [--ips 1000000] [--minutes 60] [--attackers 20] [--workdir DIR]

Writes an sshd auth.log where `--ips` distinct addresses (100.64.0.0/10)
each fail once or twice within `--minutes`, and `--attackers` real brute
forcers (203.0.113.0/24) cross the ssh.brute-force threshold among them:
half fast (the whole count in a tenth of the window), half slow (spread over
nine tenths of it, so their keys must survive while the spray passes).
Then `secmon scan --no-db` with the built-in rules runs over it in a child
process, which reports its peak memory and the state its detectors held
just before the end (keys per stateful rule), and the benchmark checks that
every attacker was detected.

The bound: each stateful rule keeps at most DetectionEngine's
max_keys_per_rule keys (100,000); a key whose newest match is older than
the rule's window is dropped as event time moves on, and when the limit is
reached the least recently updated key goes first. A key is lost only if
100,000 other keys of the same rule were updated after it, inside its
window.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import TZ, corpus_dir, machine_text, run_measured, secmon_env, table

START = datetime(2026, 3, 14, 6, 0, tzinfo=ZoneInfo(TZ))
USERS = ("root", "admin", "test", "oracle", "ubuntu", "postgres", "user", "git", "ftp", "guest")


def spray_lines(ips: int, minutes: float, attackers: int, seed: int) -> Iterator[tuple[float, str]]:
    """(seconds from START, sshd message) in time order."""
    rng = random.Random(seed)
    span = minutes * 60
    events: list[tuple[float, str]] = []
    base = 100 << 24 | 64 << 16  # 100.64.0.0
    picks = rng.sample(range(1 << 22), ips)
    for index in picks:
        ip = f"{base >> 24}.{(base >> 16 & 255) | (index >> 16)}.{index >> 8 & 255}.{index & 255}"
        t = rng.uniform(0, span)
        for _ in range(rng.choice((1, 2))):
            events.append((t, _failed(rng, ip)))
            t += rng.uniform(1, 30)
    window = 600.0  # ssh.brute-force: 20 within 10 minutes
    for number in range(attackers):
        ip = f"203.0.113.{number + 1}"
        pace = window / 10 if number % 2 == 0 else window * 0.9
        t0 = rng.uniform(0, max(1.0, span - window))
        for k in range(25):
            events.append((t0 + pace * k / 24, _failed(rng, ip)))
    events.sort(key=lambda e: e[0])
    yield from events


def _failed(rng: random.Random, ip: str) -> str:
    user = rng.choice(USERS)
    port = rng.randrange(1024, 65535)
    return f"Failed password for invalid user {user} from {ip} port {port} ssh2"


def write_spray(path: Path, ips: int, minutes: float, attackers: int, seed: int) -> int:
    count = 0
    with open(path, "w", encoding="ascii") as out:
        for t, message in spray_lines(ips, minutes, attackers, seed):
            when = START + timedelta(seconds=t)
            pid = 10000 + count % 50000
            out.write(f"{when:%b %d %H:%M:%S} portal sshd[{pid}]: {message}\n")
            count += 1
    return count


# --------------------------------------------------------------------------- the child


def child(path: Path) -> int:
    """Scan `path` as `secmon scan --no-db` does; print detections and detector state."""
    from secmon.builtin import builtin_rules_dir
    from secmon.clock import SystemClock, parse_timezone
    from secmon.pipeline import detection_record, scan_paths
    from secmon.rules.engine import DetectionEngine
    from secmon.rules.loader import load_rules

    class Observed(DetectionEngine):
        state: dict[str, int] = {}

        def finish(self):  # type: ignore[no-untyped-def]
            Observed.state = self.state_size()
            return super().finish()

    engine = Observed(load_rules([builtin_rules_dir()]))
    started = time.process_time()
    result = scan_paths(
        [path], engine, type_name="syslog", tz=parse_timezone(TZ), clock=SystemClock()
    )
    report = {
        "lines": result.lines,
        "cpu": time.process_time() - started,
        "max_keys_per_rule": engine.max_keys_per_rule,
        "state": {k: v for k, v in Observed.state.items() if v},
        "detections": [detection_record(d) for d in result.detections],
    }
    print(json.dumps(report))
    return 0


# --------------------------------------------------------------------------- the benchmark


def run(ips: int, minutes: float, attackers: int, seed: int, workdir: Path | None) -> str:
    folder = corpus_dir(workdir)
    path = folder / f"spray-{ips}-{minutes:g}m-{attackers}-s{seed}.log"
    if not path.exists():
        partial = path.with_suffix(".part")
        # In a child process: the spray is built in memory (gigabytes at 1,000,000
        # addresses), and every process this one starts afterwards would report
        # this one's size as its own peak (a fork shares its parent's pages).
        command = [
            sys.executable, __file__, "--write", str(partial), "--ips", str(ips),
            "--minutes", str(minutes), "--attackers", str(attackers), "--seed", str(seed),
        ]  # fmt: skip
        subprocess.run(command, check=True)
        partial.rename(path)
    lines = sum(1 for _ in open(path, "rb"))
    out = folder / "memory-child.json"
    command = [sys.executable, __file__, "--child", str(path)]
    measured, _ = run_measured(
        "secmon scan --no-db", "spray", lines, command, env=secmon_env(), stdout_path=out
    )
    data = json.loads(out.read_text())
    found = {
        d["key"].get("src_ip") for d in data["detections"] if d["rule"] == "ssh.brute-force"
    }
    wanted = {f"203.0.113.{n + 1}" for n in range(attackers)}
    missed = sorted(wanted - found)
    false_alarms = sorted(ip for ip in found - wanted if ip)
    rows = [
        ("distinct source IPs", ips),
        ("lines", lines),
        ("spray duration, minutes", minutes),
        ("wall s", round(measured.wall, 1)),
        ("lines/s", int(measured.rate)),
        ("peak memory MB", round(measured.peak_mb, 1)),
        ("key limit per stateful rule", data["max_keys_per_rule"]),
        ("attackers detected", f"{len(wanted) - len(missed)} / {len(wanted)}"),
        ("other addresses reported by ssh.brute-force", len(false_alarms)),
    ]
    state_rows = sorted(data["state"].items())
    text = [
        table(["memory benchmark", "value"], rows),
        "",
        "Trạng thái giữ lại lúc kết thúc / detector state at the end (keys per rule):",
        table(["rule", "keys"], state_rows) if state_rows else "(none)",
    ]
    if missed:
        text.append(f"MISSED attackers / bỏ sót: {', '.join(missed)}")
    text += ["", machine_text()]
    return "\n".join(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ips", type=int, default=1_000_000)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--attackers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    if args.write:
        write_spray(args.write, args.ips, args.minutes, args.attackers, args.seed)
        return 0
    print(run(args.ips, args.minutes, args.attackers, args.seed, args.workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
