"""What secmon is compared with: the read loop, the bare RE2 Set scan, fail2ban, CrowdSec.

(and `minimal_pipeline.py`, the least any Python monitor must do per line).

    python bench/baselines.py floor FILE
    python bench/baselines.py bare-set --kind auth|access FILE [--rules DIR]

`floor` is the plain Python read loop (`for line in open(f, 'rb')`): nothing
can go faster. `bare-set` is the multi-pattern scan with nothing else: the
`match` patterns of secmon's rules for that log family in one `re2.Set`,
searched in every raw line, each hit confirmed by its own regex with its
groups read (as secmon does). A pattern's leading `^` is dropped, since the
bare scan sees the whole line and not the field the rule reads.

fail2ban-regex and CrowdSec are the distribution's packages (Debian/Ubuntu):

    sudo apt-get install fail2ban crowdsec

CrowdSec's package registers with its online service when installed; on a
machine without Internet write `# no thanks` into
/etc/crowdsec/online_api_credentials.yaml first (see its README.Debian).
The benchmark runs CrowdSec in its replay mode (`crowdsec -dsn file://...`)
with a private copy of its configuration, database and local API on a
loopback port, so the system service is never touched.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import (  # noqa: E402
    BenchError,
    Measurement,
    run_measured,
    secmon_env,
    skipped,
)

FAIL2BAN_FILTERS = {"auth": "sshd", "access": "nginx-botsearch"}
FAIL2BAN_FILTER_DIR = Path("/etc/fail2ban/filter.d")
CROWDSEC_TYPES = {"auth": "syslog", "access": "nginx"}
CROWDSEC_CONFIG = Path("/etc/crowdsec/config.yaml")
RULE_PARSERS = {"auth": ("syslog",), "access": ("web",), "mail": ("syslog",)}


# --------------------------------------------------------------------------- floor


def floor(path: Path) -> int:
    count = 0
    for _ in open(path, "rb"):  # noqa: SIM115 - the loop itself is what is measured
        count += 1
    return count


def measure_floor(corpus: str, path: Path, lines: int) -> Measurement:
    command = [sys.executable, __file__, "floor", str(path)]
    return run_measured("python read loop (floor)", corpus, lines, command)[0]


# --------------------------------------------------------------------------- bare set


def _match_rules(kind: str, rule_dirs: list[Path] | None = None) -> list[Any]:
    """The stateless rules with `match` that secmon runs on logs of `kind`."""
    from secmon.builtin import builtin_rules_dir
    from secmon.rules.loader import load_rules

    ruleset = load_rules(rule_dirs or [builtin_rules_dir()])
    parsers = RULE_PARSERS[kind]
    return [
        rule
        for rule in ruleset.rules
        if rule.match is not None and (rule.parser is None or rule.parser in parsers)
    ]


def rule_patterns(kind: str, rule_dirs: list[Path] | None = None) -> list[str]:
    """The `match` patterns of the stateless rules secmon runs on logs of `kind`."""
    return [rule.match.pattern for rule in _match_rules(kind, rule_dirs)]


def rule_patterns_by_field(kind: str) -> dict[str, list[str]]:
    """The same patterns, by the field their rule reads."""
    by_field: dict[str, list[str]] = {}
    for rule in _match_rules(kind):
        by_field.setdefault(rule.match.field, []).append(rule.match.pattern)
    return by_field


def confirmed_set(patterns: list[str]) -> tuple[Any, list[Any]]:
    """One RE2 Set search of `patterns`, and for each its own groups reader (to confirm)."""
    from secmon.rules.regex import LinearRegex, PatternSet

    return PatternSet(patterns).search, [LinearRegex(p).groups for p in patterns]


def unanchored(pattern: str) -> str:
    return pattern[1:] if pattern.startswith("^") else pattern


def bare_set(path: Path, patterns: list[str]) -> tuple[int, int]:
    """(lines, confirmed hits) of the bare multi-pattern scan of `path`."""
    scan, confirm = confirmed_set([unanchored(p) for p in patterns])
    lines = hits = 0
    for line in open(path, "rb"):  # noqa: SIM115
        lines += 1
        found = scan(line)
        if found:
            for index in found:
                if confirm[index](line) is not None:
                    hits += 1
    return lines, hits


def measure_bare_set(corpus: str, path: Path, lines: int, kind: str) -> Measurement:
    command = [sys.executable, __file__, "bare-set", "--kind", kind, str(path)]
    result, stderr = run_measured("bare RE2 Set scan", corpus, lines, command, env=secmon_env())
    return _with_note(result, stderr)


def measure_minimal(corpus: str, path: Path, lines: int, kind: str) -> Measurement:
    tool = "minimal Python pipeline (ceiling)"
    if kind not in ("auth", "access"):
        return skipped(tool, corpus, f"written for auth and access logs only, not {kind}")
    script = Path(__file__).with_name("minimal_pipeline.py")
    command = [sys.executable, str(script), "--kind", kind, str(path)]
    result, stderr = run_measured(tool, corpus, lines, command, env=secmon_env())
    return _with_note(result, stderr)


# --------------------------------------------------------------------------- fail2ban


def fail2ban_version() -> str | None:
    if shutil.which("fail2ban-regex") is None:
        return None
    import subprocess

    done = subprocess.run(["fail2ban-regex", "-V"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def measure_fail2ban(corpus: str, path: Path, lines: int, kind: str) -> Measurement:
    name = FAIL2BAN_FILTERS.get(kind)
    tool = f"fail2ban-regex, filter {name}"
    version = fail2ban_version()
    if version is None:
        return skipped(tool, corpus, "fail2ban is not installed (sudo apt-get install fail2ban)")
    conf = FAIL2BAN_FILTER_DIR / f"{name}.conf"
    if not conf.exists():
        return skipped(tool, corpus, f"{conf} is missing (a fail2ban package without filters?)")
    command = ["fail2ban-regex", "--print-no-missed", "--print-no-ignored", str(path), str(conf)]
    result, _ = run_measured(f"fail2ban-regex {version}, filter {name}", corpus, lines, command)
    return result


# --------------------------------------------------------------------------- CrowdSec


def crowdsec_ready() -> str | None:
    """None when CrowdSec can replay a file here, else why not."""
    if shutil.which("crowdsec") is None:
        return "CrowdSec is not installed (sudo apt-get install crowdsec)"
    if not CROWDSEC_CONFIG.exists():
        return f"{CROWDSEC_CONFIG} is missing"
    try:
        import yaml  # noqa: F401
    except ImportError:  # pragma: no cover - PyYAML is a secmon dependency
        return "PyYAML is needed to write CrowdSec's configuration"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def crowdsec_config(folder: Path) -> Path:
    """A private copy of the installed configuration: its own database, local API on a
    free loopback port, no Central API, no metrics, logs to stdout, no acquisition."""
    import yaml

    config = yaml.safe_load(CROWDSEC_CONFIG.read_text())
    data_dir = Path(config["config_paths"]["data_dir"])
    database = folder / "crowdsec.db"
    installed_db = Path(config.get("db_config", {}).get("db_path", data_dir / "crowdsec.db"))
    if installed_db.exists():
        shutil.copy(installed_db, database)  # holds the machine account of the local API
    port = _free_port()
    config["common"].update(daemonize=False, log_media="stdout", log_level="warning")
    config.setdefault("prometheus", {})["enabled"] = False
    config["db_config"]["db_path"] = str(database)
    service = config["crowdsec_service"]
    service["acquisition_path"] = str(folder / "acquis.yaml")
    service.pop("acquisition_dir", None)
    (folder / "acquis.yaml").write_text("")
    server = config["api"]["server"]
    server["listen_uri"] = f"127.0.0.1:{port}"
    server.pop("online_client", None)
    credentials = yaml.safe_load(Path(config["api"]["client"]["credentials_path"]).read_text())
    credentials["url"] = f"http://127.0.0.1:{port}/"
    (folder / "lapi.yaml").write_text(yaml.safe_dump(credentials))
    config["api"]["client"]["credentials_path"] = str(folder / "lapi.yaml")
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def measure_crowdsec(corpus: str, path: Path, lines: int, kind: str, max_lines: int) -> Measurement:
    tool = "CrowdSec (replay)"
    why = crowdsec_ready()
    if why is not None:
        return skipped(tool, corpus, why)
    with tempfile.TemporaryDirectory(prefix="secmon-bench-crowdsec-") as tmp:
        folder = Path(tmp)
        source = path
        note = ""
        if lines > max_lines:  # CrowdSec is slow: replay the first max_lines lines
            source = folder / path.name
            with open(path, "rb") as src, open(source, "wb") as dst:
                for index, line in enumerate(src):
                    if index >= max_lines:
                        break
                    dst.write(line)
            note = f"first {max_lines:,} lines"
            lines = max_lines
        try:
            config = crowdsec_config(folder)
        except (OSError, KeyError, TypeError) as exc:
            return skipped(tool, corpus, f"cannot prepare a CrowdSec configuration: {exc}")
        command = [
            "crowdsec", "-c", str(config), "-dsn", f"file://{source}",
            "-type", CROWDSEC_TYPES[kind], "-no-capi",
        ]  # fmt: skip
        try:
            result, _ = run_measured(tool, corpus, lines, command, timeout=1800)
        except BenchError as exc:
            return skipped(tool, corpus, f"CrowdSec could not replay the file offline: {exc}")
    return Measurement(**{**result.__dict__, "note": note})


def _with_note(result: Measurement, stderr: str) -> Measurement:
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return Measurement(**{**result.__dict__, "note": last})


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_floor = sub.add_parser("floor", help="the plain read loop")
    p_floor.add_argument("file", type=Path)
    p_set = sub.add_parser("bare-set", help="the bare RE2 Set scan of the rules' patterns")
    p_set.add_argument("file", type=Path)
    p_set.add_argument("--kind", choices=sorted(RULE_PARSERS), required=True)
    p_set.add_argument(
        "--rules", type=Path, action="append", help="rule folder (default: built-in)"
    )
    args = parser.parse_args(argv)
    if args.command == "floor":
        floor(args.file)
        return 0
    patterns = rule_patterns(args.kind, args.rules)
    lines, hits = bare_set(args.file, patterns)
    print(f"{len(patterns)} patterns, {lines} lines, {hits} confirmed hits", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
