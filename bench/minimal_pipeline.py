"""The least a Python log monitor must do per line: a ceiling for secmon's speed.

    python bench/minimal_pipeline.py --kind auth|access FILE

The bare RE2 Set scan (`baselines.py bare-set`) only searches raw lines. A
monitor must also split each line into its parts, know its time, search the
part each rule reads, read the groups of what matched and keep per-address
state in time windows. This script does exactly that and nothing else, in
the cheapest plain Python we could write, with secmon's own rule patterns:

- auth (syslog): one `re` match for the header, the time from a per-day
  cache plus the clock digits, the message searched with one RE2 Set of the
  syslog rules' patterns, each hit confirmed with its groups, then a window
  of timestamps per (pattern, address) trimmed to 10 minutes;
- access (combined log): the line split at its quotes, the time cached per
  stamp, the request target percent-decoded and lower-cased only when it
  needs it, one RE2 Set per field the web rules read (decoded target, path,
  User-Agent), and, for every request (as a flood rule must), a window of
  timestamps per address, plus one per (pattern, address) for hits.

No events, no evidence, no allowlists, no detections, no output: it is a
floor for what any design in CPython costs, not a detector. secmon does all
of those things on top, so the gap between this and `secmon scan` is what
secmon's own structure costs.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import deque
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from baselines import confirmed_set, rule_patterns_by_field  # noqa: E402

WINDOW_SECONDS = 600.0
_SYSLOG_HEADER = re.compile(r"([A-Z][a-z]{2} [ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) ([^\s\[:]+)")
_ACCESS_TIME = "%d/%b/%Y:%H:%M:%S %z"


class _Matcher:
    """One RE2 Set of some patterns, each hit confirmed and its groups read."""

    def __init__(self, patterns: list[str]):
        self.search, self.groups = confirmed_set(patterns)


def _windows(state: dict, key: object, ts: float) -> None:
    times = state.get(key)
    if times is None:
        times = state[key] = deque()
    times.append(ts)
    while times[0] < ts - WINDOW_SECONDS:
        times.popleft()


def minimal_auth(path: Path) -> tuple[int, int, int]:
    """(lines, confirmed hits, keys kept) of the minimal syslog pipeline over `path`."""
    matcher = _Matcher(rule_patterns_by_field("auth")["message"])
    search, groups = matcher.search, matcher.groups
    header = _SYSLOG_HEADER.match
    days: dict[str, float] = {}
    state: dict = {}
    lines = hits = 0
    for line in open(path, encoding="utf-8", errors="replace"):  # noqa: SIM115
        lines += 1
        m = header(line)
        if m is None:
            continue
        day, hour, minute, second, _host, _program = m.groups()
        base = days.get(day)
        if base is None:
            stamp = datetime.strptime(f"2026 {day}", "%Y %b %d").replace(tzinfo=UTC)
            base = days[day] = stamp.timestamp()
        ts = base + int(hour) * 3600 + int(minute) * 60 + int(second)
        end = line.find(": ", m.end())
        if end < 0:
            continue
        message = line[end + 2 : -1].encode("utf-8", "replace")
        found = search(message)
        if found:
            for index in found:
                fields = groups[index](message)
                if fields is not None:
                    hits += 1
                    _windows(state, (index, fields.get("src_ip") or fields.get("user")), ts)
    return lines, hits, len(state)


def minimal_access(path: Path) -> tuple[int, int, int]:
    """(lines, confirmed hits, keys kept) of the minimal combined-log pipeline over `path`."""
    by_field = rule_patterns_by_field("access")
    decoded = _Matcher(by_field.get("decoded", []) + by_field.get("message", []))
    path_decoded = _Matcher(by_field["path_decoded"])
    agent = _Matcher(by_field["user_agent"])
    stamps: dict[str, float] = {}
    requests: dict = {}
    state: dict = {}
    lines = hits = 0
    for line in open(path, encoding="utf-8", errors="replace"):  # noqa: SIM115
        lines += 1
        parts = line.split('"')
        if len(parts) < 7:
            continue
        head = parts[0]
        address = head[: head.find(" ")]
        stamp = head[head.find("[") + 1 : head.rfind("]")]
        ts = stamps.get(stamp)
        if ts is None:
            ts = stamps[stamp] = datetime.strptime(stamp, _ACCESS_TIME).timestamp()
        _windows(requests, address, ts)  # every request counts, as a flood rule needs
        request = parts[1].split(" ")
        target = request[1] if len(request) > 1 else request[0]
        if "%" in target or "+" in target:
            target = unquote(target.replace("+", " "))
        target = target.lower()
        target_path = target.split("?", 1)[0]
        for matcher, text in (
            (decoded, target),
            (path_decoded, target_path),
            (agent, parts[5]),
        ):
            data = text.encode("utf-8", "replace")
            found = matcher.search(data)
            if found:
                for index in found:
                    if matcher.groups[index](data) is not None:
                        hits += 1
                        _windows(state, (id(matcher), index, address), ts)
    return lines, hits, len(state) + len(requests)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--kind", choices=("auth", "access"), required=True)
    args = parser.parse_args(argv)
    run = minimal_auth if args.kind == "auth" else minimal_access
    lines, hits, keys = run(args.file)
    # keys are never evicted here, so its peak memory is no bound of anything
    print(f"{lines} lines, {hits} confirmed hits, {keys} keys (never evicted)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
