"""Throughput, side by side on the same files in the same run.

    python bench/throughput.py [--lines 1000000] [--seed 1] [--repeat 1]
        [--kinds auth,access] [--crowdsec-lines 50000] [--workdir DIR]

For a generated sshd auth.log and an nginx access log (bench/corpus.py) it
runs, one after the other: the plain read loop (the floor), the bare RE2 Set
scan of the rules' patterns, the minimal Python pipeline (parse, match, one
window per address: a ceiling for any CPython design, `minimal_pipeline.py`),
`secmon scan --no-db` with the whole built-in ruleset (also with an allowlist
configured, as a district's secmon.yaml has), `secmon rules test`,
`fail2ban-regex` with its stock filter (sshd; nginx-botsearch) and CrowdSec
replaying the file, when they are installed.
Each is a separate process, measured whole: lines/s of wall time, lines/s of
CPU time (steadier when the machine is busy), peak memory. Then the ratios
secmon/fail2ban, secmon/floor, secmon/bare-set and secmon/minimal, and the
machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from baselines import (
    measure_bare_set,
    measure_crowdsec,
    measure_fail2ban,
    measure_floor,
    measure_minimal,
)
from harness import (
    DEFAULT_SEED,
    TZ,
    Measurement,
    best_of,
    corpus,
    count_lines,
    machine_text,
    ratio,
    run_measured,
    secmon_command,
    secmon_env,
    table,
)

SECMON_TYPES = {"auth": "syslog", "access": "nginx", "mail": "syslog"}
CORPUS_NAMES = {"auth": "sshd auth.log", "access": "nginx access.log", "mail": "mail.log"}
SCAN = "secmon scan --no-db"
SCAN_ALLOWLIST = "secmon scan --no-db, allowlist set"
RULES_TEST = "secmon rules test"


# What a district's secmon.yaml usually holds (examples/secmon.yaml): its LAN, its own
# monitor. Every match and every stateful feed then asks the allowlist.
ALLOWLIST_CONFIG = f"""version: 1
timezone: {TZ}
allowlist:
  cidrs: [10.0.0.0/8, 192.168.1.0/24]
  users: [backup]
  paths: [/healthz]
"""


def measure_secmon(
    corpus_name: str, path: Path, lines: int, kind: str, *args: str, tool: str | None = None
) -> Measurement:
    command = secmon_command(*args, "--type", SECMON_TYPES[kind], "--tz", TZ, str(path))
    tool = tool or (SCAN if args[0] == "scan" else RULES_TEST)
    return run_measured(tool, corpus_name, lines, command, env=secmon_env())[0]


def measure_with_allowlist(corpus_name: str, path: Path, lines: int, kind: str) -> Measurement:
    with tempfile.TemporaryDirectory(prefix="secmon-bench-") as tmp:
        config = Path(tmp) / "secmon.yaml"
        config.write_text(ALLOWLIST_CONFIG, encoding="utf-8")
        args = ("scan", "--no-db", "--format", "jsonl", "-c", str(config))
        return measure_secmon(corpus_name, path, lines, kind, *args, tool=SCAN_ALLOWLIST)


def run_kind(kind: str, path: Path, repeat: int, crowdsec_lines: int) -> list[Measurement]:
    name = CORPUS_NAMES[kind]
    lines = count_lines(path)
    print(f"… {name}: {path} ({lines:,} lines)", file=sys.stderr)
    steps = [
        lambda: measure_floor(name, path, lines),
        lambda: measure_bare_set(name, path, lines, kind),
        lambda: measure_minimal(name, path, lines, kind),
        lambda: measure_secmon(name, path, lines, kind, "scan", "--no-db", "--format", "jsonl"),
        lambda: measure_with_allowlist(name, path, lines, kind),
        lambda: measure_secmon(name, path, lines, kind, "rules", "test", "--format", "table"),
        lambda: measure_fail2ban(name, path, lines, kind),
    ]
    results = []
    for step in steps:
        runs = [step() for _ in range(repeat)]
        results.append(best_of(runs))
        print(f"  {results[-1].tool}: {_short(results[-1])}", file=sys.stderr)
    if crowdsec_lines > 0:
        results.append(measure_crowdsec(name, path, lines, kind, crowdsec_lines))
        print(f"  {results[-1].tool}: {_short(results[-1])}", file=sys.stderr)
    return results


def _short(m: Measurement) -> str:
    if m.skipped:
        return f"skipped: {m.skipped}"
    return f"{m.rate:,.0f} lines/s, {m.peak_mb:.0f} MB"


def report(results: Sequence[Measurement]) -> str:
    rows = []
    notes = []
    for m in results:
        if m.skipped:
            notes.append(f"- {m.tool} ({m.corpus}): bỏ qua / skipped: {m.skipped}")
            continue
        rows.append(
            (m.corpus, m.tool, m.lines, round(m.wall, 2), int(m.rate), int(m.cpu_rate),
             round(m.peak_mb, 1), m.note)
        )  # fmt: skip
    out = [
        table(
            ["corpus", "tool", "lines", "wall s", "lines/s", "lines/s (CPU)", "peak MB", "note"],
            rows,
        )
    ]
    out += ["", ratios(results)]
    if notes:
        out += ["", *notes]
    out += ["", machine_text()]
    return "\n".join(out)


def ratios(results: Sequence[Measurement]) -> str:
    rows = []
    ceilings = []
    for corpus_name in dict.fromkeys(m.corpus for m in results):
        by_tool = {m.tool: m for m in results if m.corpus == corpus_name and not m.skipped}
        scan = by_tool.get(SCAN)
        if scan is None:
            continue
        fail2ban = next((m for t, m in by_tool.items() if t.startswith("fail2ban")), None)
        floor = next((m for t, m in by_tool.items() if "floor" in t), None)
        bare = next((m for t, m in by_tool.items() if "bare" in t), None)
        minimal = next((m for t, m in by_tool.items() if t.startswith("minimal")), None)
        crowdsec = next((m for t, m in by_tool.items() if t.startswith("CrowdSec")), None)
        others = (fail2ban, floor, bare, minimal, crowdsec)
        rows.append((corpus_name, *(_pair(scan, other) for other in others)))
        if fail2ban is not None and minimal is not None:
            ceilings.append((corpus_name, _pair(minimal, fail2ban)))
    out = table(
        [
            "corpus",
            "secmon/fail2ban",
            "secmon/floor",
            "secmon/bare-set",
            "secmon/minimal",
            "secmon/CrowdSec",
        ],
        rows,
    )
    if ceilings:
        out += "\n\n" + table(["corpus", "minimal pipeline/fail2ban (the ceiling)"], ceilings)
    return out


def _pair(scan: Measurement, other: Measurement | None) -> str:
    """secmon's rate over another's: wall time, and CPU time in brackets."""
    if other is None:
        return "n/a"
    return f"{ratio(scan.rate, other.rate)} (CPU {ratio(scan.cpu_rate, other.cpu_rate)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the median is kept")
    parser.add_argument("--kinds", default="auth,access")
    parser.add_argument(
        "--crowdsec-lines",
        type=int,
        default=50_000,
        help="CrowdSec replays only this many first lines (it is slow); 0 skips it",
    )
    parser.add_argument("--workdir", type=Path, help="where corpora are kept (default: tmp)")
    args = parser.parse_args(argv)
    results: list[Measurement] = []
    for kind in args.kinds.split(","):
        path = corpus(kind, args.lines, args.seed, args.workdir)
        results += run_kind(kind, path, max(1, args.repeat), args.crowdsec_lines)
    print(report(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
