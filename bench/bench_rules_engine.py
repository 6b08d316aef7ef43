"""Throughput of DetectionEngine.process() on synthetic sshd events with 40 rules.

    python bench/bench_rules_engine.py [--events 100000] [--seed 7] [--rules rules/]

Events are built directly (no parsing), so this measures the rules engine
alone: the (parser, program) index, the re2.Set pass, group extraction,
allowlists and the stateful detectors. Data is generated, never committed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secmon.events import Event  # noqa: E402
from secmon.rules.engine import DetectionEngine  # noqa: E402
from secmon.rules.loader import load_rules  # noqa: E402

SSHD = "where: {program: {in: [sshd, sshd-session]}}"

STATELESS = [
    (
        "ssh.failed",
        r"^Failed (?P<method>\S+) for (?:invalid user )?(?P<user>.*?) "
        r"from (?P<src_ip>\S+) port (?P<src_port>\d+)",
    ),
    ("ssh.invalid", r"^Invalid user (?P<user>.*?) from (?P<src_ip>\S+)(?: port \d+)?$"),
    (
        "ssh.accepted",
        r"^Accepted (?P<method>\S+) for (?P<user>\S+) from (?P<src_ip>\S+) "
        r"port (?P<src_port>\d+)",
    ),
    (
        "ssh.closed-auth",
        r"^Connection closed by authenticating user (?P<user>\S+) "
        r"(?P<src_ip>\S+) port \d+ \[preauth\]$",
    ),
    (
        "ssh.pam",
        r"^pam_unix\(sshd:auth\): authentication failure;.* "
        r"rhost=(?P<src_ip>\S+)\s+user=(?P<user>\S+)$",
    ),
    (
        "ssh.maxauth",
        r"^error: maximum authentication attempts exceeded for "
        r"(?:invalid user )?(?P<user>.*?) from (?P<src_ip>\S+)",
    ),
    ("ssh.noident", r"^Did not receive identification string from (?P<src_ip>\S+)"),
    ("ssh.badproto", r"^Bad protocol version identification .* from (?P<src_ip>\S+)"),
    ("ssh.kex", r"^Unable to negotiate with (?P<src_ip>\S+) port \d+: no matching"),
    ("ssh.root-accepted", r"^Accepted \S+ for root from (?P<src_ip>\S+)"),
]
OTHER_SYSLOG = [
    ("sudo", r"authentication failure;.* user=(?P<user>\S+)"),
    ("sudo", r"(?P<user>\S+) : user NOT in sudoers"),
    ("sudo", r"(?P<user>\S+) : \d+ incorrect password attempts"),
    ("su", r"FAILED su for (?P<user>\S+) by (?P<by>\S+)"),
    ("su", r"pam_unix\(su:auth\): authentication failure"),
    ("useradd", r"new user: name=(?P<user>[^,]+), UID=(?P<uid>\d+)"),
    ("useradd", r"new user: name=(?P<user>[^,]+), UID=0,"),
    ("groupadd", r"new group: name=(?P<group>[^,]+)"),
    ("usermod", r"add '(?P<user>[^']+)' to group '(?:sudo|adm|wheel)'"),
    ("CRON", r"\((?P<user>www-data|apache|nginx)\) CMD"),
    ("CRON", r"CMD .*(?:curl|wget) .*\|\s*(?:ba)?sh"),
    ("kernel", r"segfault at [0-9a-f]+ ip"),
    ("kernel", r"Out of memory: Killed process \d+"),
    ("postfix/smtpd", r"SASL (?:LOGIN|PLAIN) authentication failed"),
    ("dovecot", r"auth failed, \d+ attempts"),
]
WEB = [
    r"(?i)union(?:\s|/\*.*?\*/|\+)+select",
    r"(?:\.\./|\.\.%2f){2,}",
    r"(?i)<script",
    r"/wp-login\.php",
    r"/\.env$",
    r"(?i)/(?:phpmyadmin|pma)/",
    r"/\.git/",
    r"(?i)eval\(",
    r"/xmlrpc\.php",
    r"(?i)\$\{jndi:",
]


def rule_file() -> str:
    out = ["version: 1", "rules:"]

    def head(rule_id: str, severity: str = "low", category: str = "brute-force") -> None:
        out.extend(
            [
                f"- id: {rule_id}",
                f"  title: {{vi: {rule_id}, en: {rule_id}}}",
                f"  category: {category}",
                f"  severity: {severity}",
            ]
        )

    for rule_id, pattern in STATELESS:
        head(rule_id)
        out += [
            "  parser: syslog",
            f"  {SSHD}",
            f"  match: {json.dumps(pattern)}",
            "  building_block: true",
        ]
    for index, (program, pattern) in enumerate(OTHER_SYSLOG):
        head(f"sys.r{index}", "medium", "policy")
        out += [
            "  parser: syslog",
            f"  where: {{program: {program}}}",
            f"  match: {json.dumps(pattern)}",
        ]
    for index, pattern in enumerate(WEB[:8]):
        head(f"web.r{index}", "medium", "web-attack")
        out += [
            "  parser: web",
            "  where: {status: {lt: 500}}",
            f"  match: {{field: path, pattern: {json.dumps(pattern)}}}",
        ]
    head("ssh.brute-force", "high")
    out += [
        "  from: [ssh.failed, ssh.invalid, ssh.closed-auth]",
        "  threshold: {count: 20, within: 10m, by: [src_ip]}",
    ]
    head("ssh.spray", "high")
    out += [
        "  from: [ssh.failed, ssh.pam]",
        "  distinct: {field: user, count: 8, within: 10m, by: [src_ip]}",
    ]
    head("ssh.success-after-failures", "critical", "account-compromise")
    out += [
        "  sequence: {first: ssh.failed, min_count: 5, then: ssh.accepted, within: 30m,"
        " by: [src_ip]}"
    ]
    head("ssh.scan", "medium", "scanning")
    out += [
        "  from: [ssh.noident, ssh.badproto, ssh.kex]",
        "  threshold: {count: 10, within: 5m, by: [src_ip]}",
    ]
    head("ssh.silent", "low", "availability")
    out += ["  from: ssh.accepted", "  absence: {within: 1d, by: [host]}"]
    head("ssh.root-login", "high", "privilege-escalation")
    out += ["  from: ssh.root-accepted", "  threshold: {count: 1, within: 1m, by: [src_ip]}"]
    head("ssh.brute-force-persistent", "critical")
    out += ["  from: ssh.brute-force", "  threshold: {count: 3, within: 1h, by: [src_ip]}"]
    return "\n".join(out) + "\n"


def events(count: int, seed: int) -> list[Event]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)
    attackers = [f"203.0.{rng.randrange(256)}.{rng.randrange(256)}" for _ in range(2000)]
    staff = [f"10.0.0.{i}" for i in range(1, 40)]
    users = ["root", "admin", "oracle", "test", "ubuntu", "postgres", "git", "canbo", "ketoan"]
    out = []
    for index in range(count):
        ip = rng.choice(attackers)
        user = rng.choice(users)
        port = rng.randrange(1024, 65535)
        roll = rng.random()
        if roll < 0.45:
            invalid = "invalid user " if roll < 0.2 else ""
            message = f"Failed password for {invalid}{user} from {ip} port {port} ssh2"
        elif roll < 0.55:
            message = f"Invalid user {user} from {ip} port {port}"
        elif roll < 0.65:
            message = f"Connection closed by authenticating user {user} {ip} port {port} [preauth]"
        elif roll < 0.72:
            message = (
                f"pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 "
                f"tty=ssh ruser= rhost={ip}  user={user}"
            )
        elif roll < 0.75:
            message = f"Accepted publickey for canbo from {rng.choice(staff)} port {port} ssh2"
        elif roll < 0.78:
            message = f"Did not receive identification string from {ip} port {port}"
        else:
            message = f"Received disconnect from {ip} port {port}:11: Bye Bye [preauth]"
        when = start + timedelta(milliseconds=40 * index)
        raw = f"{when:%b %d %H:%M:%S} portal sshd[{1000 + index % 5000}]: {message}"
        out.append(
            Event(
                time=when,
                source="/var/log/auth.log",
                parser="syslog",
                message=message,
                raw=raw,
                host="portal",
                program="sshd",
                line_no=index + 1,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--rules", type=Path, help="use this rule folder (e.g. rules/) instead of the 40 built here"
    )
    args = parser.parse_args()
    if args.rules:
        ruleset = load_rules([args.rules])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.yaml"
            path.write_text(rule_file(), encoding="utf-8")
            ruleset = load_rules([path])
    stream = events(args.events, args.seed)
    best = float("inf")
    detections = 0
    for _ in range(args.repeat):
        engine = DetectionEngine(ruleset)
        process = engine.process
        started = time.perf_counter()
        found = 0
        for event in stream:
            found += len(process(event))
        best = min(best, time.perf_counter() - started)
        detections = found
    print(f"rules: {len(ruleset.rules)}  events: {len(stream)}  detections: {detections}")
    print(f"process(): {len(stream) / best:,.0f} events/s (best of {args.repeat})")


if __name__ == "__main__":
    main()
