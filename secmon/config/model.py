"""Typed settings read from secmon.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from ..errors import Location
from ..parsers.base import JsonMapping
from .inputs import InputsSettings
from .reporting import PlaybookSettings, ReportingSettings, SystemSettings
from .webroots import WebRootSettings


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


# ------------------------------------------------------------------ notify:
@dataclass(frozen=True, slots=True)
class UrlSetting:
    """One entry of a route's `urls`, as written (secrets are resolved later).

    `text` may hold `${NAME}` placeholders filled from the environment; an
    entry `file:PATH` names a file holding the URLs (`file` is that path).
    """

    text: str
    location: Location
    file: Path | None = None


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """Daily digest of incidents below the route's min_severity (at least `min_severity`)."""

    hour: int = 8
    min_severity: str = "low"


@dataclass(frozen=True, slots=True)
class RouteSettings:
    """Where alerts go (Apprise URLs or an Apprise config file) and which ones."""

    name: str
    location: Location
    urls: tuple[UrlSetting, ...] = ()
    config: Path | None = None
    tags: tuple[str, ...] = ()
    min_severity: str = "medium"
    categories: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()  # rule ids; '*' and '?' are wildcards
    hosts: tuple[str, ...] = ()  # host names; '*' and '?' are wildcards
    language: str = "vi"
    format: str = "text"  # text | markdown | html
    on_resolve: bool = False
    digest: DigestSettings | None = None


@dataclass(frozen=True, slots=True)
class RateSettings:
    per_incident: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class StormSettings:
    max: int = 20
    within: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class RetrySettings:
    attempts: int = 8
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class NotifySettings:
    """The `notify:` section; no routes means no alerts."""

    routes: tuple[RouteSettings, ...] = ()
    templates: Path | None = None  # folder overriding the built-in message templates
    timeout: timedelta = timedelta(seconds=10)
    rate: RateSettings = field(default_factory=RateSettings)
    storm: StormSettings = field(default_factory=StormSettings)
    retry: RetrySettings = field(default_factory=RetrySettings)

    def route(self, name: str) -> RouteSettings | None:
        for route in self.routes:
            if route.name == name:
                return route
        return None


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
    notify: NotifySettings = field(default_factory=NotifySettings)
    playbooks: PlaybookSettings = field(default_factory=PlaybookSettings)
    reporting: ReportingSettings = field(default_factory=ReportingSettings)
    systems: tuple[SystemSettings, ...] = ()
    inputs: InputsSettings = field(default_factory=InputsSettings)
    web_roots: tuple[WebRootSettings, ...] = ()  # folders the web-root watch compares

