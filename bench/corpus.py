"""Seeded, reproducible generator of realistic mixed logs, with ground truth.

Importable (`generate`, `write`, `write_demo`) and a command line:

    python bench/corpus.py auth|access|mail --lines N --seed S --out FILE
        [--truth FILE.json] [--start 2026-03-14T00:00:00+07:00] [--tz ZONE]
        [--attack-share 0.03] [--duration 2d] [--iso] [--xff] [--scenarios a,b]
    python bench/corpus.py demo --out DIR     # the sample logs of `secmon demo`
    python bench/corpus.py scenarios          # what each kind can contain

The same arguments always give the same bytes. The logs imitate a district
portal (`portal.<district>.gov.vn`, WordPress-like PHP CMS), its sshd and a
postfix/dovecot mail server; attacks are a small share of the lines and every
attacker address is used by exactly one scenario. This module was written
without looking at secmon's detection rules, to test them honestly.
"""

from __future__ import annotations

import argparse
import heapq
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from itertools import islice
from pathlib import Path
from random import Random
from zoneinfo import ZoneInfo

from corpuslib import access, auth, auth_attacks, mail, mail_attacks, web_attacks
from corpuslib.common import Context, ScenarioType
from corpuslib.engine import Background, Source, mean_lines, render
from corpuslib.plan import ordered, plan_scenarios, scenario_rng
from corpuslib.truth import Truth, merge_truths

__all__ = ["Corpus", "Truth", "generate", "write", "write_demo", "scenario_names", "main"]


@dataclass(frozen=True)
class LogKind:
    """One kind of log: its benign traffic, its attacks, and defaults."""

    background: Callable[[Random, Context, int], tuple[list[Source], set[str]]]
    scenarios: tuple[ScenarioType, ...]
    host: str  # syslog host name
    rate: float  # default lines per second of log time, which sets the default duration


KINDS: dict[str, LogKind] = {
    "auth": LogKind(auth.background, auth_attacks.SCENARIOS, "portal", 0.1),
    "access": LogKind(access.background, web_attacks.SCENARIOS, "portal", 2.0),
    "mail": LogKind(mail.background, mail_attacks.SCENARIOS, "mail", 0.5),
}
TIME_FORMATS = ("rfc3164", "iso")
DEFAULT_START = datetime(2026, 3, 14, tzinfo=timezone(timedelta(hours=7)))
DEFAULT_TZ = "Asia/Ho_Chi_Minh"
DEFAULT_DISTRICT = "anphu"
MAX_DEFAULT_SPAN = 300 * 86400.0

DEMO_SEED = 20260314
DEMO: dict[
    str, tuple[int, tuple[str, ...]]
] = {  # kind: (lines, scenarios)  # one day each; every file stays under 200 KB
    "auth": (
        1200,
        (
            "ssh-bruteforce:120",
            "ssh-bruteforce:45",
            "ssh-spray:20",
            "ssh-compromise:30",
            "ssh-slow-bruteforce:25",
            "sudo-abuse:1",
        ),
    ),
    "access": (
        1100,
        (
            "sqlmap:30",
            "sqli-manual:6",
            "scanner-nikto:35",
            "scanner-nuclei:35",
            "scanner-gobuster:35",
            "scanner-wpscan:35",
            "dirbrute-browser:35",
            "lfi:8",
            "xss:6",
            "cmdi:6",
            "log4shell:4",
            "webshell:8",
            "wp-login-bruteforce:25",
            "xmlrpc-bruteforce:30",
            "http-flood:700",
        ),
    ),
    "mail": (
        800,
        (
            "smtp-sasl-bruteforce:40",
            "smtp-sasl-bruteforce:25",
            "dovecot-bruteforce:30",
            "mail-compromise:15",
        ),
    ),
}


@dataclass(frozen=True)
class Corpus:
    """The lines of one log (lazy unless materialised) and what they contain."""

    lines: Iterator[str] | list[str]
    truth: Truth


def scenario_names(kind: str) -> tuple[str, ...]:
    return tuple(s.name for s in _kind(kind).scenarios)


def generate(
    kind: str,
    lines: int,
    seed: int,
    start: datetime = DEFAULT_START,
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    attack_share: float = 0.03,
    time_format: str = "rfc3164",
    xff: bool = False,
    duration: timedelta | None = None,
    host: str | None = None,
    district: str = DEFAULT_DISTRICT,
    scenarios: Sequence[str] | None = None,
    scale: float = 1.0,
) -> Corpus:
    """A log of `kind` ("auth", "access", "mail") with exactly `lines` lines.

    Attack scenarios fill about `attack_share` of the lines (never more),
    unless `scenarios` names them explicitly (each once, sizes times `scale`).
    `start` is the first moment of the log; naive means in `tz`. Time stamps
    are written in `tz`: RFC 3164 or rsyslog's ISO form for syslog kinds
    (`time_format`), nginx's `[14/Mar/2026:06:00:01 +0700]` for access logs,
    where `xff` appends "$http_x_forwarded_for". `duration` defaults to what
    the line count fills at a plausible rate (LogKind.rate), at most 300 days.
    """
    log = _kind(kind)
    zone = _zone(tz)
    if lines < 0:
        raise ValueError("lines must be >= 0")
    if not 0 <= attack_share < 1:
        raise ValueError("attack_share must be in [0, 1)")
    if time_format not in TIME_FORMATS:
        raise ValueError(f"time_format must be one of {', '.join(TIME_FORMATS)}")
    if scale <= 0:
        raise ValueError("scale must be > 0")
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone)
    if duration is not None:
        span = duration.total_seconds()
    else:  # capped so that year-less RFC 3164 stamps stay unambiguous
        span = min(MAX_DEFAULT_SPAN, max(3600.0, lines / log.rate))
    if span <= 0:
        raise ValueError("duration must be positive")
    local = start.astimezone(zone)
    offset = local.utcoffset()
    ctx = Context(
        kind=kind,
        host=host or log.host,
        district=district,
        xff=xff,
        start=start.timestamp(),
        span=span,
        utc_offset=offset.total_seconds() if offset else 0.0,
        year=local.year,
        month=local.month,
    )
    budget = None if scenarios is not None else int(lines * attack_share)
    plans, notes = plan_scenarios(log.scenarios, ctx, seed, zone, budget, scenarios, scale)
    attack_lines = sum(note.lines for note in notes)
    if attack_lines > lines:
        raise ValueError(
            f"the scenarios need {attack_lines} lines, more than the {lines} asked for"
        )
    background_lines = lines - attack_lines

    sources, benign = log.background(Random(f"{seed}:{kind}:background"), ctx, background_lines)
    probes, _ = log.background(Random(f"{seed}:{kind}:calibrate"), ctx, background_lines)
    means = {
        s.name: mean_lines(s.session, Random(f"{seed}:{kind}:mean:{s.name}"), ctx.start)
        for s in probes
    }
    engine = Background(
        sources,
        means,
        start=ctx.start,
        span=span,
        count=background_lines,
        utc_offset=ctx.utc_offset,
    )
    by_name = {s.name: s for s in log.scenarios}
    attacks = heapq.merge(
        *(
            ordered(by_name[plan.name].make(scenario_rng(seed, kind, plan.index), ctx, plan))
            for plan in plans
        )
    )
    # Two levels, so that benign lines (the bulk) meet one comparison, not log2(scenarios).
    items = heapq.merge(engine.lines(Random(f"{seed}:{kind}:sessions")), attacks)

    attackers: dict[str, set[str]] = {}
    optional: dict[str, set[str]] = {}
    for note in notes:
        target = {"required": attackers, "optional": optional}.get(note.expect)
        if target is not None and note.ip:
            target.setdefault(note.ip, set()).update(note.categories)
    truth = Truth(
        kind=kind,
        seed=seed,
        lines=lines,
        attack_lines=attack_lines,
        start=local.isoformat(),
        attackers=attackers,
        optional=optional,
        benign=benign,
        notes=tuple(notes),
    )
    style = "nginx" if kind == "access" else time_format
    return Corpus(lines=render(items, style, zone), truth=truth)


def write(
    kind: str,
    path: str | Path,
    lines: int,
    seed: int,
    start: datetime = DEFAULT_START,
    tz: tzinfo | str = DEFAULT_TZ,
    *,
    truth_path: str | Path | None = None,
    **options: object,
) -> Truth:
    """Stream a generated log to `path` (and its truth to `truth_path`); return the truth."""
    corpus = generate(kind, lines, seed, start, tz, **options)  # type: ignore[arg-type]
    _write_lines(path, corpus.lines)
    if truth_path is not None:
        Path(truth_path).write_text(corpus.truth.to_json(), encoding="utf-8")
    return corpus.truth


def write_demo(directory: str | Path, seed: int = DEMO_SEED) -> Truth:
    """The sample logs `secmon demo` replays: one day of each kind, plus truth.json."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    truths = []
    for kind, (lines, scenarios) in DEMO.items():
        log = out / f"{kind}.log"
        corpus = generate(kind, lines, seed, duration=timedelta(days=1), scenarios=scenarios)
        _write_lines(log, corpus.lines)
        truths.append(corpus.truth)
    truth = merge_truths(truths)
    (out / "truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth


# --------------------------------------------------------------------------- helpers


def _write_lines(path: str | Path, lines: Iterable[str]) -> None:
    """Write in chunks: nothing but the current chunk is held in memory."""
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        rendered = iter(lines)
        while chunk := list(islice(rendered, 8192)):
            handle.write("\n".join(chunk))
            handle.write("\n")


def _kind(kind: str) -> LogKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}") from None


def _zone(tz: tzinfo | str) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    match = re.fullmatch(r"([+-])(\d\d):?(\d\d)", tz)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    if tz.upper() in ("UTC", "Z"):
        return UTC
    return ZoneInfo(tz)


# --------------------------------------------------------------------------- command line


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"bad duration {text!r}: use e.g. 90m, 6h, 2d")
    unit = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return timedelta(seconds=float(match.group(1)) * unit)


def _start(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad start {text!r}: use ISO 8601, e.g. 2026-03-14T00:00:00+07:00"
        ) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="corpus.py",
        description="Tạo nhật ký mẫu có đáp án / Generate realistic logs with ground truth.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for kind in KINDS:
        p = sub.add_parser(kind, help=f"generate a {kind} log")
        p.add_argument("--lines", type=int, required=True)
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--out", type=Path, required=True)
        p.add_argument("--truth", type=Path)
        p.add_argument("--start", type=_start, default=DEFAULT_START)
        p.add_argument(
            "--tz",
            default=None,
            help=f"zone of the time stamps (default: {DEFAULT_TZ} if --start has "
            f"no offset, else the offset of --start)",
        )
        p.add_argument("--attack-share", type=float, default=0.03)
        p.add_argument("--duration", type=_duration)
        p.add_argument("--district", default=DEFAULT_DISTRICT)
        p.add_argument("--host")
        p.add_argument("--scenarios", help="comma-separated scenario names, each used once")
        p.add_argument("--scale", type=float, default=1.0)
        if kind == "access":
            p.add_argument(
                "--xff", action="store_true", help='append "$http_x_forwarded_for" to each line'
            )
        else:
            p.add_argument(
                "--iso",
                action="store_true",
                help="rsyslog ISO-8601 time stamps instead of RFC 3164",
            )
    demo = sub.add_parser("demo", help="write the sample logs of `secmon demo`")
    demo.add_argument("--out", type=Path, required=True)
    demo.add_argument("--seed", type=int, default=DEMO_SEED)
    sub.add_parser("scenarios", help="list the scenarios of each kind")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "scenarios":
            for kind, log in KINDS.items():
                for st in log.scenarios:
                    print(f"{kind}\t{st.name}\t{','.join(st.categories)}\t{st.expect}")
            return 0
        began = time.perf_counter()  # measures generation speed; not log time
        if args.command == "demo":
            truth = write_demo(args.out, args.seed)
        else:
            tz = args.tz or (args.start.tzinfo if args.start.tzinfo else DEFAULT_TZ)
            options: dict[str, object] = {
                "attack_share": args.attack_share,
                "duration": args.duration,
                "district": args.district,
                "host": args.host,
                "scale": args.scale,
                "scenarios": args.scenarios.split(",") if args.scenarios else None,
            }
            if args.command == "access":
                options["xff"] = args.xff
            else:
                options["time_format"] = "iso" if args.iso else "rfc3164"
            truth = write(
                args.command,
                args.out,
                args.lines,
                args.seed,
                args.start,
                tz,
                truth_path=args.truth,
                **options,
            )
        elapsed = max(time.perf_counter() - began, 1e-9)
    except (ValueError, OSError) as error:
        print(f"Lỗi / Error: {error}", file=sys.stderr)
        return 1
    print(
        f"{truth.lines} dòng, {truth.attack_lines} dòng tấn công ({truth.attack_share:.1%}), "
        f"{len(truth.attackers)} IP tấn công / {truth.lines} lines, {truth.attack_lines} attack "
        f"lines, {len(truth.attackers)} attacker IPs; {elapsed:.2f} s, "
        f"{truth.lines / elapsed:,.0f} lines/s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
