"""The `playbooks:`, `reporting:` and `systems:` sections of secmon.yaml.

`reporting:` says who reports (operator, owner, contact person, signer),
to whom (recipients by the roles of the reporting regime) and under which
regime file; `systems:` is the inventory the Form 03 / Form 04 reports are
filled from. Everything here is data a person edits; an empty field is
printed on a report as a blank to fill, never invented.

Recipient roles are checked against the regime when a report is made
(the regime file is read then); each keeps its location for that error.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Location
from ..yamlsrc import YamlList, YamlMap

if TYPE_CHECKING:  # pragma: no cover
    from .loader import _Reader

PLAYBOOKS_KEYS = ("builtin", "dirs")
REPORTING_KEYS = ("regime", "operator", "owner", "contact", "signer", "security_provider",
                  "isp", "controls", "recipients")
PERSON_KEYS = ("name", "position", "phone", "email")
RECIPIENT_KEYS = ("name", "address", "email", "phone")
SYSTEM_KEYS = ("id", "name", "hosts", "domains", "ips", "level", "os", "services", "controls",
               "purpose", "operator", "owner")
SYSTEM_ID = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
ROLE = re.compile(r"[a-z][a-z0-9_-]{0,63}")
LEVELS = range(1, 6)  # security levels 1-5 (Decree 85/2016)


@dataclass(frozen=True, slots=True)
class PlaybookSettings:
    builtin: bool = True  # load the playbooks shipped with secmon
    dirs: tuple[Path, ...] = ()  # the user's own, loaded after (and over) the built-in ones


@dataclass(frozen=True, slots=True)
class PersonSettings:
    name: str = ""
    position: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class RecipientSettings:
    """Who fills one recipient role of the regime (owner, provincial, coordinator...)."""

    role: str
    location: Location
    name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class ReportingSettings:
    regime: Path | None = None  # None: the regime shipped with secmon
    regime_location: Location | None = None
    operator: str = ""  # đơn vị vận hành hệ thống thông tin
    owner: str = ""  # cơ quan chủ quản
    contact: PersonSettings = field(default_factory=PersonSettings)  # người liên hệ (Form 03)
    signer: PersonSettings = field(default_factory=PersonSettings)  # who signs for the unit
    security_provider: str = ""
    isp: str = ""
    controls: tuple[str, ...] = ()  # security measures in place everywhere
    recipients: tuple[RecipientSettings, ...] = ()

    def recipient(self, role: str) -> RecipientSettings | None:
        for recipient in self.recipients:
            if recipient.role == role:
                return recipient
        return None


@dataclass(frozen=True, slots=True)
class SystemSettings:
    """One information system of the inventory (a portal, a one-stop-shop system...)."""

    id: str
    location: Location
    name: str
    hosts: tuple[str, ...] = ()  # host names as they appear in logs (incident hosts)
    domains: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()  # public addresses
    level: int | None = None  # security level 1-5, if classified
    os: str = ""
    services: tuple[str, ...] = ()
    controls: tuple[str, ...] = ()
    purpose: str = ""
    operator: str = ""  # overrides reporting.operator
    owner: str = ""  # overrides reporting.owner


def read_playbooks(read: _Reader, data: YamlMap, base: Path) -> PlaybookSettings:
    section = read.mapping(data, "playbooks", "")
    if section is None:
        return PlaybookSettings()
    read.unknown_keys(section, PLAYBOOKS_KEYS, "playbooks.")
    builtin = _boolean(read, section, "builtin", "playbooks.", True)
    dirs = tuple(_resolve(base, d) for d in read.strings(section, "dirs", "playbooks."))
    return PlaybookSettings(builtin, dirs)


def read_reporting(read: _Reader, data: YamlMap, base: Path) -> ReportingSettings:
    section = read.mapping(data, "reporting", "")
    if section is None:
        return ReportingSettings()
    problems = read.problems
    where = "reporting."
    read.unknown_keys(section, REPORTING_KEYS, where)
    regime = read.string(section, "regime", where)
    regime_path = _resolve(base, regime) if regime else None
    if regime_path is not None and not regime_path.is_file():
        problems.add(section.value_at("regime"),
                     f"'reporting.regime' names {regime_path}, which is not a file; give the "
                     "path of a reporting regime YAML file, or remove the key to use the "
                     "built-in one")
    recipients: list[RecipientSettings] = []
    raw = read.mapping(section, "recipients", where)
    if raw is not None:
        for role in raw:
            at = raw.key_at(role)
            if not isinstance(role, str) or not ROLE.fullmatch(role):
                problems.add(at, f"recipient role {role!r} must be a lowercase word like "
                                 "'owner' or 'provincial'")
                continue
            entry = read.mapping(raw, role, f"{where}recipients.")
            if entry is None:
                if raw[role] is None:
                    problems.add(raw.value_at(role),
                                 f"'{where}recipients.{role}' needs at least a name")
                continue
            prefix = f"{where}recipients.{role}."
            read.unknown_keys(entry, RECIPIENT_KEYS, prefix)
            values = {key: _text(read, entry, key, prefix) for key in RECIPIENT_KEYS}
            if not values["name"]:
                problems.add(entry.location, f"'{prefix}name' is required")
            recipients.append(RecipientSettings(role, at, **values))
    return ReportingSettings(
        regime=regime_path,
        regime_location=section.value_at("regime") if regime else None,
        operator=_text(read, section, "operator", where),
        owner=_text(read, section, "owner", where),
        contact=_person(read, section, "contact", where),
        signer=_person(read, section, "signer", where),
        security_provider=_text(read, section, "security_provider", where),
        isp=_text(read, section, "isp", where),
        controls=read.strings(section, "controls", where),
        recipients=tuple(recipients),
    )


def read_systems(read: _Reader, data: YamlMap) -> tuple[SystemSettings, ...]:
    raw = data.get("systems")
    if raw is None:
        return ()
    problems = read.problems
    if not isinstance(raw, YamlList):
        problems.add(data.value_at("systems"),
                     "'systems' must be a list of information systems (id, name, hosts, ...)")
        return ()
    systems: list[SystemSettings] = []
    seen: dict[str, Location] = {}
    for index, item in enumerate(raw):
        where = f"systems[{index}]."
        if not isinstance(item, YamlMap):
            problems.add(raw.item_at(index), f"'systems[{index}]' must be a mapping with id "
                                             "and name")
            continue
        read.unknown_keys(item, SYSTEM_KEYS, where)
        system_id = read.string(item, "id", where)
        name = read.string(item, "name", where)
        for key, value in (("id", system_id), ("name", name)):
            if value is None and key not in item:
                problems.add(item.location, f"'{where}{key}' is required")
        if system_id is not None and not SYSTEM_ID.fullmatch(system_id):
            problems.add(item.value_at("id"),
                         f"'{where}id' must be lowercase letters and digits joined by '-', '.' "
                         f"or '_', not '{system_id}'")
            system_id = None
        if system_id is not None and system_id in seen:
            problems.add(item.value_at("id"),
                         f"system id '{system_id}' is used twice (first at {seen[system_id]})")
            system_id = None
        if system_id is not None:
            seen[system_id] = item.value_at("id")
        ips = read.strings(item, "ips", where)
        for ip_index, ip in enumerate(ips):
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                problems.add(item["ips"].item_at(ip_index),
                             f"'{where}ips' entry '{ip}' is not an IP address")
        level = None
        if "level" in item:
            value = item["level"]
            if type(value) is int and value in LEVELS:
                level = value
            else:
                problems.add(item.value_at("level"),
                             f"'{where}level' must be a security level from 1 to 5 "
                             "(Decree 85/2016), not " + repr(value))
        texts = [_text(read, item, key, where) for key in ("os", "purpose", "operator", "owner")]
        lists = [read.strings(item, key, where)
                 for key in ("hosts", "domains", "services", "controls")]
        if system_id is None or name is None:
            continue
        os_name, purpose, operator, owner = texts
        hosts, domains, services, controls = lists
        systems.append(SystemSettings(
            id=system_id, location=item.location, name=name, hosts=hosts, domains=domains,
            ips=ips, level=level, os=os_name, services=services, controls=controls,
            purpose=purpose, operator=operator, owner=owner,
        ))
    return tuple(systems)


def _person(read: _Reader, data: YamlMap, key: str, where: str) -> PersonSettings:
    section = read.mapping(data, key, where)
    if section is None:
        return PersonSettings()
    prefix = f"{where}{key}."
    read.unknown_keys(section, PERSON_KEYS, prefix)
    return PersonSettings(**{k: _text(read, section, k, prefix) for k in PERSON_KEYS})


def _text(read: _Reader, data: YamlMap, key: str, where: str) -> str:
    """A text value; numbers (a phone written without quotes) are read as text."""
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return read.string(data, key, where) or ""


def _boolean(read: _Reader, data: YamlMap, key: str, where: str, default: bool) -> bool:
    if key not in data:
        return default
    value: Any = data[key]
    if not isinstance(value, bool):
        read.problems.add(data.value_at(key), f"'{where}{key}' must be true or false")
        return default
    return value


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base / candidate
