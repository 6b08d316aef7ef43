"""Shared pieces of the benchmarks: corpora, measured child processes, tables, the machine.

Every figure is a whole-process measurement of a child: wall time from
start to exit, CPU time (user + system) and peak resident memory from
`wait4`'s resource usage, so secmon, the baselines and fail2ban are measured
the same way in the same run.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
TZ = "Asia/Ho_Chi_Minh"  # the corpora are written in this zone
DEFAULT_SEED = 1


@dataclass(frozen=True)
class Measurement:
    """One run of one tool over one file."""

    tool: str
    corpus: str
    lines: int
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    peak_kb: int  # peak resident set size of the child
    note: str = ""
    skipped: str = ""  # why it did not run (then the figures are 0)

    @property
    def rate(self) -> float:
        """Lines per second of wall time (whole process)."""
        return self.lines / self.wall if self.wall > 0 else 0.0

    @property
    def cpu_rate(self) -> float:
        """Lines per second of CPU time: steadier than wall time on a busy machine."""
        return self.lines / self.cpu if self.cpu > 0 else 0.0

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def skipped(tool: str, corpus: str, reason: str) -> Measurement:
    return Measurement(tool, corpus, 0, 0.0, 0.0, 0, skipped=reason)


def run_measured(
    tool: str,
    corpus: str,
    lines: int,
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stdout_path: Path | None = None,
    timeout: float = 3600.0,
) -> tuple[Measurement, str]:
    """Run `command` to its end; its measurement and its stderr (for notes).

    stdout goes to `stdout_path` (or is discarded): printing is not what we time.
    """
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    err_file = tempfile.TemporaryFile()
    try:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(command), stdout=out, stderr=err_file, env=dict(env) if env else None, cwd=cwd
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.01)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        err_file.seek(0)
        stderr = err_file.read().decode("utf-8", "replace")
    finally:
        err_file.close()
        if stdout_path:
            out.close()  # type: ignore[union-attr]
    if child.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        raise BenchError(f"{tool} on {corpus} failed (exit {child.returncode}):\n{tail}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measurement(tool, corpus, lines, wall, cpu, usage.ru_maxrss), stderr


def best_of(runs: Sequence[Measurement]) -> Measurement:
    """The median run by wall time (whole-process medians, as in the issue's table)."""
    ordered = sorted(runs, key=lambda m: m.wall)
    return ordered[len(ordered) // 2]


class BenchError(RuntimeError):
    """A benchmark step failed; the message says which and why."""


# --------------------------------------------------------------------------- corpora


def corpus_dir(workdir: Path | None) -> Path:
    """Where generated corpora are kept between runs (keyed by the generator's code)."""
    digest = hashlib.sha256()
    sources = [*BENCH_DIR.glob("corpus*.py"), *BENCH_DIR.glob("corpuslib/**/*.py")]
    for source in sorted(sources):
        digest.update(source.read_bytes())
    base = workdir or Path(tempfile.gettempdir()) / "secmon-bench"
    folder = base / f"corpora-{digest.hexdigest()[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def corpus(kind: str, lines: int, seed: int, workdir: Path | None = None) -> Path:
    """A generated log of `kind` (auth, access, mail), made once with bench/corpus.py."""
    folder = corpus_dir(workdir)
    path = folder / f"{kind}-{lines}-s{seed}.log"
    if not path.exists():
        partial = path.with_suffix(".part")
        command = [
            sys.executable, str(BENCH_DIR / "corpus.py"), kind,
            "--lines", str(lines), "--seed", str(seed),
            "--out", str(partial), "--truth", str(path.with_suffix(".json")),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError(f"corpus.py {kind} failed: {done.stderr.strip()}")
        partial.rename(path)
    return path


def count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


# --------------------------------------------------------------------------- secmon


def secmon_env() -> dict[str, str]:
    """The environment for secmon children: this checkout first, no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECMON_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def secmon_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "secmon.cli", *args]


# --------------------------------------------------------------------------- output


def machine() -> dict[str, str]:
    """CPU model, cores, memory, Python, OS and load: printed with every table."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
        "load": " ".join(f"{x:.2f}" for x in load),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }


def machine_text() -> str:
    info = machine()
    return (
        f"Máy / machine: {info['cpu']}, {info['cores']} cores, {info['memory']}, "
        f"Python {info['python']}, {info['os']}; load {info['load']}; {info['date']}"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (readable as is in a terminal, pasteable into RESULTS.md)."""
    cells = [[str(c) for c in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for index, row in enumerate(cells):
        pairs = zip(row, widths, strict=True)
        padded = [c.rjust(w) if _numeric(c) else c.ljust(w) for c, w in pairs]
        lines.append("| " + " | ".join(padded) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(text) and text.replace(",", "").replace(".", "").replace("×", "").isdigit()


def ratio(a: float, b: float) -> str:
    if not (a > 0 and b > 0):
        return "n/a"
    value = a / b
    return f"{value:.2f}×" if value >= 0.1 else f"{value:.3f}×"
