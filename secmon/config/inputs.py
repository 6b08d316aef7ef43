"""The `inputs:` section of secmon.yaml: what `secmon run` reads.

    inputs:
      start_at: end              # end | beginning: where a file seen for the first time starts
      poll_interval: 1s          # stat fallback when file-change events do not come
      files:
        - {path: /var/log/auth.log, type: syslog}
        - {path: /var/log/nginx/*access.log, type: nginx}
      journald: {units: [ssh.service]}
      syslog: {bind: 0.0.0.0, udp_port: 5514, tcp_port: 5514, allowed: [10.0.0.0/8]}

Only the structure is checked here (every problem with file:line:col and
key); whether a port can be bound or journalctl runs is found out by the
daemon when it starts.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Location
from ..parsers.registry import PARSER_TYPES
from ..rules.schema import did_you_mean, parse_duration, type_name
from ..sources.journald import UNIT_NAME
from ..yamlsrc import YamlList, YamlMap

if TYPE_CHECKING:  # pragma: no cover
    from .loader import _Reader

INPUTS_KEYS = ("files", "journald", "syslog", "start_at", "poll_interval")
FILE_KEYS = ("path", "type")
JOURNALD_KEYS = ("units", "directory")
SYSLOG_KEYS = ("bind", "udp_port", "tcp_port", "allowed")
START_AT = ("end", "beginning")
FILE_TYPES: tuple[str, ...] = ("auto", *sorted(PARSER_TYPES))
MIN_POLL = timedelta(seconds=1)
MAX_POLL = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class FileInputSettings:
    """One entry of `inputs.files`: a path or glob (absolute) and its log type."""

    path: str
    type: str = "auto"
    location: Location = field(default=Location(""), compare=False)


@dataclass(frozen=True, slots=True)
class JournaldSettings:
    units: tuple[str, ...] = ()  # none: the whole journal
    directory: Path | None = None  # journal files of one folder instead of the system journal


@dataclass(frozen=True, slots=True)
class SyslogSettings:
    """The syslog receiver; a transport is on only when its port is given (0: any free port)."""

    bind: str = "0.0.0.0"
    udp_port: int | None = None
    tcp_port: int | None = None
    allowed: tuple[str, ...] = ()  # sender networks (CIDR); empty: every sender


@dataclass(frozen=True, slots=True)
class InputsSettings:
    files: tuple[FileInputSettings, ...] = ()
    journald: JournaldSettings | None = None
    syslog: SyslogSettings | None = None
    start_at: str = "end"
    poll_interval: timedelta = timedelta(seconds=1)

    @property
    def empty(self) -> bool:
        return not self.files and self.journald is None and self.syslog is None


def read_inputs(read: _Reader, data: YamlMap, base: Path) -> InputsSettings:
    """The `inputs:` section (nothing to read when absent); problems go to `read.problems`."""
    section = read.mapping(data, "inputs", "")
    if section is None:
        return InputsSettings()
    problems = read.problems
    read.unknown_keys(section, INPUTS_KEYS, "inputs.")

    start_at = "end"
    if "start_at" in section:
        value = section["start_at"]
        if value in START_AT:
            start_at = value
        else:
            problems.add(section.value_at("start_at"),
                         f"'inputs.start_at' must be one of {', '.join(START_AT)}, "
                         f"not {_shown(value)}")

    poll_interval = InputsSettings().poll_interval
    if "poll_interval" in section:
        try:
            poll_interval = parse_duration(section["poll_interval"])
        except ValueError as exc:
            problems.add(section.value_at("poll_interval"), f"'inputs.poll_interval': {exc}")
        else:
            if not MIN_POLL <= poll_interval <= MAX_POLL:
                problems.add(section.value_at("poll_interval"),
                             "'inputs.poll_interval' must be between 1s and 10m")
                poll_interval = InputsSettings().poll_interval

    return InputsSettings(
        files=_files(read, section, base),
        journald=_journald(read, section, base),
        syslog=_syslog(read, section),
        start_at=start_at,
        poll_interval=poll_interval,
    )


def _files(read: _Reader, section: YamlMap, base: Path) -> tuple[FileInputSettings, ...]:
    if "files" not in section:
        return ()
    problems = read.problems
    raw = section["files"]
    if not isinstance(raw, YamlList):
        problems.add(section.value_at("files"),
                     "'inputs.files' must be a list of {path: ..., type: ...} entries")
        return ()
    found: list[FileInputSettings] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = f"inputs.files[{index}]."
        at = raw.item_at(index)
        if isinstance(item, str):  # a bare path: type auto
            item_map: YamlMap | None = None
            path_text: str | None = item if item.strip() else None
            if path_text is None:
                problems.add(at, f"'{where[:-1]}' must not be empty")
        elif isinstance(item, YamlMap):
            item_map = item
            read.unknown_keys(item, FILE_KEYS, where)
            path_text = read.string(item, "path", where)
            if "path" not in item:
                problems.add(item.location, f"'{where}path' is required: a log file or a glob "
                                            "like /var/log/nginx/*access.log")
        else:
            problems.add(at, f"'{where[:-1]}' must be a mapping with path and type, "
                             f"not {type_name(item)}")
            continue
        kind = "auto"
        if item_map is not None and "type" in item_map:
            value = item_map["type"]
            if isinstance(value, str) and value in FILE_TYPES:
                kind = value
            else:
                hint = did_you_mean(value, FILE_TYPES) if isinstance(value, str) else ""
                problems.add(item_map.value_at("type"),
                             f"unknown log type {_shown(value)} in '{where}type'{hint}; "
                             f"expected one of: {', '.join(FILE_TYPES)}")
        if path_text is None:
            continue
        path = str(_resolve(base, path_text.strip()))
        if path in seen:
            problems.add(at, f"'{where}path' {path} is listed twice (first at "
                             f"inputs.files[{seen[path]}]); list each file once")
            continue
        seen[path] = index
        found.append(FileInputSettings(path, kind, at))
    return tuple(found)


def _journald(read: _Reader, section: YamlMap, base: Path) -> JournaldSettings | None:
    if "journald" not in section:
        return None
    value = section["journald"]
    if value is None or (isinstance(value, YamlMap) and not value):
        return JournaldSettings()
    journald = read.mapping(section, "journald", "inputs.")
    if journald is None:
        return None
    read.unknown_keys(journald, JOURNALD_KEYS, "inputs.journald.")
    units = read.strings(journald, "units", "inputs.journald.")
    for index, unit in enumerate(units):
        if not UNIT_NAME.fullmatch(unit):
            read.problems.add(journald["units"].item_at(index),
                              f"'inputs.journald.units' entry '{unit}' is not a systemd unit "
                              "name (letters, digits and @ . _ : - only, e.g. ssh.service)")
    directory = read.string(journald, "directory", "inputs.journald.")
    return JournaldSettings(units, _resolve(base, directory) if directory else None)


def _syslog(read: _Reader, section: YamlMap) -> SyslogSettings | None:
    syslog = read.mapping(section, "syslog", "inputs.")
    if syslog is None:
        return None
    problems = read.problems
    where = "inputs.syslog."
    read.unknown_keys(syslog, SYSLOG_KEYS, where)
    bind = read.string(syslog, "bind", where) or "0.0.0.0"
    try:
        ipaddress.ip_address(bind)
    except ValueError:
        problems.add(syslog.value_at("bind"),
                     f"'{where}bind' must be an IP address to listen on, like 0.0.0.0 (all "
                     f"IPv4), :: (all IPv6) or 10.0.0.2, not '{bind}'")
    ports: dict[str, int | None] = {}
    for key in ("udp_port", "tcp_port"):
        value = syslog.get(key)
        ports[key] = None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
            problems.add(syslog.value_at(key),
                         f"'{where}{key}' must be a port number 0-65535 (0: any free port), "
                         f"not {_shown(value)}")
            continue
        ports[key] = value
    if "udp_port" not in syslog and "tcp_port" not in syslog:
        problems.add(syslog.location,
                     "'inputs.syslog' needs 'udp_port', 'tcp_port' or both (5514 avoids "
                     "needing root for ports below 1024)")
    allowed = read.strings(syslog, "allowed", where)
    for index, cidr in enumerate(allowed):
        try:
            ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            problems.add(syslog["allowed"].item_at(index),
                         f"'{where}allowed' entry '{cidr}' is not an IP network like "
                         "10.0.0.0/8 or 192.0.2.7")
    return SyslogSettings(bind, ports["udp_port"], ports["tcp_port"], allowed)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return type_name(value)


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base / candidate
