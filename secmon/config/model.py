"""Typed settings read from secmon.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..parsers.base import JsonMapping


@dataclass(frozen=True, slots=True)
class AllowlistSettings:
    cidrs: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrganisationSettings:
    name: str = ""
    address: str = ""
    contact: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Settings:
    """What a config file says; None where it says nothing (callers pick defaults)."""

    path: Path | None = None
    language: str | None = None
    timezone: str | None = None
    database: Path | None = None
    builtin_rules: bool = True
    rule_dirs: tuple[Path, ...] = ()
    allowlist: AllowlistSettings = field(default_factory=AllowlistSettings)
    json_mapping: JsonMapping = field(default_factory=JsonMapping)
    organisation: OrganisationSettings = field(default_factory=OrganisationSettings)
