"""Strict loading of secmon.yaml: collect every problem, then fail."""

from __future__ import annotations

import difflib
import ipaddress
from pathlib import Path
from typing import Any

from ..clock import parse_timezone
from ..errors import Location, ProblemCollector
from ..i18n import LANGUAGES
from ..parsers.base import JsonMapping
from ..yamlsrc import YamlList, YamlMap, load_yaml_file
from .inputs import read_inputs
from .model import AllowlistSettings, OrganisationSettings, Settings
from .notify import read_notify
from .reporting import read_playbooks, read_reporting, read_systems
from .webroots import read_web_roots

TOP_KEYS = ("version", "language", "timezone", "database", "rules", "allowlist", "json",
            "organisation", "notify", "playbooks", "reporting", "systems", "web_roots", "inputs")
RULES_KEYS = ("builtin", "dirs")
ALLOWLIST_KEYS = ("cidrs", "users", "paths")
JSON_KEYS = ("time", "message", "src_ip", "host", "program")
ORG_KEYS = ("name", "address", "contact", "email", "phone")


class _Reader:
    """Typed access to a YamlMap that records problems instead of raising."""

    def __init__(self, problems: ProblemCollector, path: str):
        self.problems = problems
        self.path = path

    def unknown_keys(self, data: YamlMap, allowed: tuple[str, ...], where: str) -> None:
        for key in data:
            if key not in allowed:
                hint = difflib.get_close_matches(str(key), allowed, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problems.add(
                    data.key_at(key),
                    f"unknown key '{where}{key}'{suggestion}; expected one of: {', '.join(allowed)}",
                )

    def mapping(self, data: YamlMap, key: str, where: str) -> YamlMap | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, YamlMap):
            self.problems.add(data.value_at(key), f"'{where}{key}' must be a mapping")
            return None
        return value

    def string(self, data: YamlMap, key: str, where: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problems.add(data.value_at(key), f"'{where}{key}' must be a non-empty text")
            return None
        return value

    def strings(self, data: YamlMap, key: str, where: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, YamlList) or not all(isinstance(v, str) for v in value):
            self.problems.add(data.value_at(key), f"'{where}{key}' must be a list of texts")
            return ()
        return tuple(value)


def load_settings(path: Path) -> Settings:
    """Read and validate a config file; raise InputError listing every problem."""
    name = str(path)
    problems = ProblemCollector()
    data = load_yaml_file(path)
    if data is None:
        data = YamlMap()
        data.location, data.key_locations, data.value_locations = Location(name, 1, 1), {}, {}
    if not isinstance(data, YamlMap):
        problems.add(Location(name, 1, 1), "the config file must be a mapping of settings")
        problems.raise_if_any()
    read = _Reader(problems, name)
    read.unknown_keys(data, TOP_KEYS, "")
    if data.get("version") != 1:
        problems.add(data.value_at("version") if "version" in data else data.location,
                     "'version: 1' is required at the top of the config file")
    base = path.parent

    language = read.string(data, "language", "")
    if language is not None and language not in LANGUAGES:
        problems.add(data.value_at("language"),
                     f"'language' must be one of {', '.join(LANGUAGES)}, not '{language}'")
        language = None

    timezone = read.string(data, "timezone", "")
    if timezone is not None:
        try:
            parse_timezone(timezone)
        except Exception:  # noqa: BLE001 - any failure means an unknown zone
            problems.add(data.value_at("timezone"),
                         f"unknown time zone '{timezone}'; use an IANA name like Asia/Ho_Chi_Minh")
            timezone = None

    database = read.string(data, "database", "")

    builtin_rules, rule_dirs = True, ()
    rules = read.mapping(data, "rules", "")
    if rules is not None:
        read.unknown_keys(rules, RULES_KEYS, "rules.")
        if "builtin" in rules and not isinstance(rules["builtin"], bool):
            problems.add(rules.value_at("builtin"), "'rules.builtin' must be true or false")
        else:
            builtin_rules = bool(rules.get("builtin", True))
        rule_dirs = tuple(_resolve(base, d) for d in read.strings(rules, "dirs", "rules."))

    allowlist = AllowlistSettings()
    allow = read.mapping(data, "allowlist", "")
    if allow is not None:
        read.unknown_keys(allow, ALLOWLIST_KEYS, "allowlist.")
        cidrs = read.strings(allow, "cidrs", "allowlist.")
        for index, cidr in enumerate(cidrs):
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                problems.add(allow["cidrs"].item_at(index),
                             f"'allowlist.cidrs' entry '{cidr}' is not an IP network like 10.0.0.0/8")
        allowlist = AllowlistSettings(cidrs, read.strings(allow, "users", "allowlist."),
                                      read.strings(allow, "paths", "allowlist."))

    json_mapping = JsonMapping()
    json_section = read.mapping(data, "json", "")
    if json_section is not None:
        read.unknown_keys(json_section, JSON_KEYS, "json.")
        values: dict[str, Any] = {}
        for key in JSON_KEYS:
            text = read.string(json_section, key, "json.")
            if text is not None:
                values[key] = text
        json_mapping = JsonMapping(**values)

    organisation = OrganisationSettings()
    org = read.mapping(data, "organisation", "")
    if org is not None:
        read.unknown_keys(org, ORG_KEYS, "organisation.")
        organisation = OrganisationSettings(
            **{key: read.string(org, key, "organisation.") or "" for key in ORG_KEYS}
        )

    notify = read_notify(read, data, base)
    playbooks = read_playbooks(read, data, base)
    reporting = read_reporting(read, data, base)
    systems = read_systems(read, data)
    inputs = read_inputs(read, data, base)
    web_roots = read_web_roots(read, data, base)

    problems.raise_if_any()
    return Settings(
        path=path,
        language=language,
        timezone=timezone,
        database=_resolve(base, database) if database else None,
        builtin_rules=builtin_rules,
        rule_dirs=rule_dirs,
        allowlist=allowlist,
        json_mapping=json_mapping,
        organisation=organisation,
        notify=notify,
        playbooks=playbooks,
        reporting=reporting,
        systems=systems,
        inputs=inputs,
        web_roots=web_roots,
    )


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base / candidate
