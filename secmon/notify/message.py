"""Render alerts, storm summaries, digests and test messages from templates.

Templates live in `templates/<lang>/<format>/<name>.j2` (format: text,
markdown, html; name: alert, storm, digest, test) and `templates/<lang>/
title.j2`; a folder given as `notify.templates` in secmon.yaml is searched
first, so a user overrides any of them by a file of the same name. They
run sandboxed with StrictUndefined; every printed value is escaped for the
format (escape.py) and was cut to a length here first. Output is
deterministic: the same snapshot, zone and template give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from ..events import SEVERITY_RANK
from ..i18n import Translator, pick
from ..rules.schema import format_duration
from ..templating import Environment, make_environment, render_template
from .escape import FORMATS, escaper, truncate
from .payload import AlertSnapshot, by_importance
from .texts import CATEGORY_NAMES, KEY_NAMES, KINDS, REASONS, say

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
MESSAGE_NAMES: tuple[str, ...] = ("alert", "storm", "digest", "test")

TITLE_CHARS = 200  # incident title
VALUE_CHARS = 120  # key values, sources, playbook names
LINE_CHARS = 300  # one evidence line
HOSTS_SHOWN = 5
LIST_SHOWN = 50  # incidents listed in a storm summary or digest


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    format: str  # text | markdown | html
    level: str = "info"  # Apprise notify type: info | success | warning | failure


def format_time(moment: datetime, tz: tzinfo) -> str:
    """'2026-03-14 13:00:00 +07:00' in the display zone."""
    local = moment.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def alert_level(kind: str, severity: str) -> str:
    if kind == "resolved":
        return "success"
    rank = SEVERITY_RANK.get(severity, 0)
    if rank >= SEVERITY_RANK["high"]:
        return "failure"
    return "warning" if rank >= SEVERITY_RANK["medium"] else "info"


class MessageRenderer:
    """Turns outbox payloads into messages for one display time zone."""

    def __init__(self, tz: tzinfo, template_dir: Path | None = None):
        self.tz = tz
        self._dirs = [d for d in (template_dir, TEMPLATE_DIR) if d is not None]
        self._envs: dict[str, Environment] = {}

    def _env(self, fmt: str) -> Environment:
        if fmt not in FORMATS:
            raise ValueError(f"unknown message format {fmt!r}; use one of {', '.join(FORMATS)}")
        if fmt not in self._envs:
            self._envs[fmt] = make_environment(self._dirs, html=fmt == "html", sandboxed=True,
                                               finalize=escaper(fmt))
        return self._envs[fmt]

    def _render(self, name: str, lang: str, fmt: str, level: str,
                values: Mapping[str, Any]) -> Message:
        context = {"message": name, "lang": lang, "format": fmt, **values}
        body = render_template(self._env(fmt), f"{lang}/{fmt}/{name}.j2", context)
        title = render_template(self._env("text"), f"{lang}/title.j2", context)
        return Message(" ".join(title.split()), body.strip("\n") + "\n", fmt, level)

    # ----------------------------------------------------------- messages
    def alert(self, item: AlertSnapshot, lang: str, fmt: str) -> Message:
        return self._render("alert", lang, fmt, alert_level(item.kind, item.severity),
                            {"alert": self.view(item, lang)})

    def storm(self, items: Sequence[AlertSnapshot], lang: str, fmt: str, *,
              within: timedelta, limit: int) -> Message:
        ordered = by_importance(items)
        values = {
            "total": len(ordered),
            "alerts": [self.view(i, lang) for i in ordered[:LIST_SHOWN]],
            "more": max(0, len(ordered) - LIST_SHOWN),
            "within": format_duration(within),
            "limit": limit,
        }
        return self._render("storm", lang, fmt, "warning", values)

    def digest(self, items: Sequence[AlertSnapshot], lang: str, fmt: str, *,
               day: datetime, retried: int) -> Message:
        ordered = by_importance(items)
        values = {
            "total": len(ordered),
            "alerts": [self.view(i, lang) for i in ordered[:LIST_SHOWN]],
            "more": max(0, len(ordered) - LIST_SHOWN),
            "day": day.astimezone(self.tz).strftime("%Y-%m-%d"),
            "retried": retried,
        }
        return self._render("digest", lang, fmt, "info", values)

    def test(self, route: str, lang: str, fmt: str, now: datetime) -> Message:
        values = {"route": route, "sent_at": format_time(now, self.tz)}
        return self._render("test", lang, fmt, "info", values)

    # ------------------------------------------------------------- values
    def view(self, item: AlertSnapshot, lang: str) -> dict[str, Any]:
        """The values a template sees for one alert (cut to length, not escaped)."""
        t = Translator(lang)
        severity = t(f"severity.{item.severity}") if item.severity in SEVERITY_RANK \
            else item.severity
        previous = item.previous_severity
        reasons = []
        if item.kind == "escalated":
            if "severity" in item.reason and previous in SEVERITY_RANK:
                reasons.append(say(REASONS, "severity", lang, old=t(f"severity.{previous}"),
                                   new=severity))
            if "count" in item.reason:
                reasons.append(say(REASONS, "count", lang, old=item.previous_count,
                                   new=item.count))
        status_key = f"status.{item.status}"
        return {
            "kind": item.kind,
            "kind_label": say(KINDS, item.kind, lang),
            "also": [say(KINDS, k, lang) for k in item.also],
            "id": item.incident_id,
            "title": truncate(pick(lang, item.title), TITLE_CHARS),
            "severity": item.severity,
            "severity_label": severity,
            "category": item.category,
            "category_label": pick(lang, CATEGORY_NAMES.get(item.category, {})) or item.category,
            "status_label": t(status_key) if item.status else "",
            "key": [
                {"name": truncate(name, VALUE_CHARS),
                 "label": pick(lang, KEY_NAMES.get(name, {})) or truncate(name, VALUE_CHARS),
                 "value": truncate(value, VALUE_CHARS)}
                for name, value in item.key
            ],
            "hosts": [truncate(h, VALUE_CHARS) for h in item.hosts[:HOSTS_SHOWN]],
            "more_hosts": max(0, len(item.hosts) - HOSTS_SHOWN),
            "rules": list(item.rule_ids),
            "first_seen": format_time(item.first_seen, self.tz),
            "last_seen": format_time(item.last_seen, self.tz),
            "changed_at": format_time(item.changed_at, self.tz),
            "count": item.count,
            "reasons": reasons,
            "evidence": [
                {"time": format_time(e.time, self.tz), "source": truncate(e.source, VALUE_CHARS),
                 "line_no": e.line_no, "text": truncate(e.text, LINE_CHARS)}
                for e in item.evidence
            ],
            "evidence_total": item.evidence_total,
            "playbook": truncate(item.playbook, VALUE_CHARS) if item.playbook else None,
            "playbook_title": truncate(pick(lang, item.playbook_title), VALUE_CHARS)
            if item.playbook_title else None,
            "by": truncate(item.by, VALUE_CHARS) if item.by else None,
            "ack_command": f"secmon incidents ack {item.incident_id}",
            "show_command": f"secmon incidents show {item.incident_id}",
            "playbook_command": f"secmon playbook show {item.incident_id}",
        }
