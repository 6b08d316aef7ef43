"""Which incident changes reach which route, and how (now, or in the daily digest).

Alerts go out when an incident opens, escalates (severity rose, or its
count reached 10x what was last alerted: decided by the incident store) or
reopens after being resolved, and on routes with `on_resolve` when a person
resolves it. Updates, suppressed activity and other status changes are
quiet. A route takes an incident when it matches all the route's
conditions: min_severity, categories, rule ids and hosts (the last two
with `*` / `?` wildcards, matched with RE2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import re2  # type: ignore[import-untyped]

from ..config.model import DigestSettings, NotifySettings, RouteSettings
from ..events import SEVERITY_RANK
from ..incidents.model import Incident, IncidentChange

ALERT = "alert"
DIGEST = "digest"
ALERT_KINDS: tuple[str, ...] = ("opened", "escalated", "reopened", "resolved")


def alert_kind(change: IncidentChange) -> str | None:
    """'opened', 'escalated', 'reopened' or 'resolved' if people may hear of it, else None."""
    if change.kind in ("opened", "escalated", "reopened"):
        return change.kind
    if change.kind == "status" and change.fields.get("new_status") == "resolved":
        return "resolved"
    return None


def glob_pattern(glob: str) -> Any:
    """A config wildcard ('ssh.*', 'web-?') as an anchored RE2 pattern."""
    parts = [".*" if ch == "*" else "." if ch == "?" else re2.escape(ch) for ch in glob]
    return re2.compile("".join(parts))


@dataclass(frozen=True, slots=True)
class Route:
    """A route's conditions and message settings (no URLs, no secrets)."""

    name: str
    min_severity: str = "medium"
    categories: frozenset[str] = frozenset()
    rules: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    language: str = "vi"
    format: str = "text"
    on_resolve: bool = False
    digest: DigestSettings | None = None
    _rule_patterns: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    _host_patterns: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:  # compile the wildcards once
        object.__setattr__(self, "_rule_patterns", tuple(glob_pattern(g) for g in self.rules))
        object.__setattr__(self, "_host_patterns", tuple(glob_pattern(g) for g in self.hosts))

    def covers(self, incident: Incident) -> bool:
        """Whether the incident is in this route's scope (severity aside)."""
        if self.categories and incident.category not in self.categories:
            return False
        rules, hosts = self._rule_patterns, self._host_patterns
        if rules and not any(p.fullmatch(r) for p in rules for r in incident.rule_ids):
            return False
        if hosts and not any(p.fullmatch(h) for p in hosts for h in incident.hosts):
            return False
        return True

    def disposition(self, change: IncidentChange) -> str | None:
        """ALERT (send on its own), DIGEST (list in the daily digest) or None."""
        kind = alert_kind(change)
        if kind is None or not self.covers(change.incident):
            return None
        rank = SEVERITY_RANK[change.incident.severity]
        if rank >= SEVERITY_RANK[self.min_severity]:
            if kind == "resolved" and not self.on_resolve:
                return None
            return ALERT
        if (
            self.digest is not None
            and kind != "resolved"
            and rank >= SEVERITY_RANK[self.digest.min_severity]
        ):
            return DIGEST
        return None


def route_from_settings(settings: RouteSettings) -> Route:
    return Route(
        name=settings.name,
        min_severity=settings.min_severity,
        categories=frozenset(settings.categories),
        rules=settings.rules,
        hosts=settings.hosts,
        language=settings.language,
        format=settings.format,
        on_resolve=settings.on_resolve,
        digest=settings.digest,
    )


def routes_from_settings(settings: NotifySettings) -> tuple[Route, ...]:
    return tuple(route_from_settings(r) for r in settings.routes)


def dispositions(routes: Sequence[Route], change: IncidentChange) -> list[tuple[Route, str]]:
    """(route, ALERT or DIGEST) for every route that takes the change, in config order."""
    found = []
    for route in routes:
        how = route.disposition(change)
        if how is not None:
            found.append((route, how))
    return found
