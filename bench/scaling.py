"""How throughput changes with the size of the ruleset: 40 rules against 400.

    python bench/scaling.py [--lines 1000000] [--seed 1] [--sizes 40,400]
        [--kinds auth,access] [--repeat 1] [--workdir DIR]

For each log family the stateless built-in rules that read it (those with a
`match`) are copied, and generated variants fill the set up to each size:
a variant is a built-in rule whose pattern gets a distinct literal prefix
("variant042 ..."), so it has the same shape and cost but never matches the
corpus. The detections are therefore the same at every size, and only the
work of matching more rules changes. Target (issue 6): ten times the rules
cost at most twice the time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml  # bench code, not secmon: plain PyYAML is fine here
from harness import (
    DEFAULT_SEED,
    TZ,
    Measurement,
    best_of,
    corpus,
    count_lines,
    machine_text,
    run_measured,
    secmon_command,
    secmon_env,
    table,
)

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"
FAMILY_PARSERS = {"auth": ("syslog",), "access": ("web",)}
SECMON_TYPES = {"auth": "syslog", "access": "nginx"}


def base_rules(kind: str) -> list[dict[str, Any]]:
    """The built-in stateless rules with a `match` that read logs of `kind`."""
    found = []
    for path in sorted(RULES_DIR.glob("*.yaml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", []):
            if "match" in rule and rule.get("parser") in FAMILY_PARSERS[kind]:
                found.append(rule)
    return found


def _pattern(match: Any) -> tuple[str | None, str]:
    if isinstance(match, dict):
        return match.get("field"), match["pattern"]
    return None, match


def ruleset(kind: str, size: int) -> dict[str, Any]:
    """`size` stateless rules: the built-in ones first, then variants of them."""
    bases = base_rules(kind)
    if not bases:
        raise SystemExit(f"no built-in rules with a match for {kind}")
    rules = []
    for index in range(size):
        base = bases[index % len(bases)]
        variant = index // len(bases)
        field, pattern = _pattern(base["match"])
        if variant:
            body = pattern[1:] if pattern.startswith("^") else pattern
            flags = ""
            if body.startswith("(?i)"):
                flags, body = "(?i)", body[4:]
            pattern = f"{flags}^variant{variant:03d}{index:04d} (?:{body})"
        rule: dict[str, Any] = {
            "id": f"bench.{kind}.{index:04d}",
            "title": {"vi": f"Luật thử {index}", "en": f"Bench rule {index}"},
            "category": base["category"],
            "severity": base["severity"],
            "parser": base["parser"],
            "match": {"field": field, "pattern": pattern} if field else pattern,
        }
        if "where" in base:
            rule["where"] = base["where"]
        rules.append(rule)
    return {"version": 1, "rules": rules}


def measure(kind: str, path: Path, lines: int, size: int, folder: Path) -> Measurement:
    rule_dir = folder / f"{kind}-{size}"
    rule_dir.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(ruleset(kind, size), allow_unicode=True, sort_keys=False)
    (rule_dir / "bench.yaml").write_text(text, encoding="utf-8")
    command = secmon_command(
        "scan", "--no-db", "--format", "jsonl", "--no-builtin-rules", "--rules", str(rule_dir),
        "--type", SECMON_TYPES[kind], "--tz", TZ, str(path),
    )  # fmt: skip
    result, _ = run_measured(f"{size} rules", kind, lines, command, env=secmon_env())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--sizes", default="40,400")
    parser.add_argument("--kinds", default="auth,access")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="secmon-bench-rules-") as tmp:
        for kind in args.kinds.split(","):
            path = corpus(kind, args.lines, args.seed, args.workdir)
            lines = count_lines(path)
            results = []
            for size in sizes:
                runs = [measure(kind, path, lines, size, Path(tmp)) for _ in range(args.repeat)]
                results.append(best_of(runs))
                print(f"… {kind} {size} rules: {results[-1].rate:,.0f} lines/s", file=sys.stderr)
            first = results[0]
            for size, m in zip(sizes, results, strict=True):
                rows.append(
                    (kind, size, lines, round(m.wall, 2), int(m.rate), int(m.cpu_rate),
                     round(m.peak_mb, 1), f"{m.wall / first.wall:.2f}×",
                     f"{m.cpu / first.cpu:.2f}×")
                )  # fmt: skip
    print(
        table(
            ["corpus", "rules", "lines", "wall s", "lines/s", "lines/s (CPU)", "peak MB",
             "time vs first", "CPU vs first"],
            rows,
        )  # fmt: skip
    )
    print("")
    print(machine_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
