"""The values and conditions a regime's forms may name, in one registry.

A form field says `value: org.name`; this module turns the name into text
for one incident, from the configuration (organisation, reporting contact,
system inventory), the incident and its checklist. A value that is not
known is None, and the report prints a blank for a person to fill: nothing
is ever invented. `when:` conditions tick check boxes.

Adding a value: one entry in VALUES (the regime loader refuses unknown
names, listing these).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from types import MappingProxyType

from ..config.model import Settings
from ..config.reporting import SystemSettings
from ..incidents.model import CLOSED_STATUSES, OPEN_STATUSES, STATUSES
from ..playbooks.variables import DEFAULT_EVIDENCE_ROOT
from .facts import IncidentFacts
from .text import fmt_date, fmt_datetime, fmt_time, name_of


@dataclass(frozen=True, slots=True)
class FieldContext:
    facts: IncidentFacts
    settings: Settings
    lang: str
    tz: tzinfo
    now: datetime
    initial_step: str | None = None  # the checklist step of the initial report
    evidence_root: str = DEFAULT_EVIDENCE_ROOT

    def pick(self, vi: str, en: str) -> str:
        return vi if self.lang == "vi" else en

    def systems(self) -> tuple[SystemSettings, ...]:
        return self.facts.systems


Value = Callable[[FieldContext], str | None]


def _join(items: object) -> str | None:
    values = [str(item) for item in items if item]  # type: ignore[attr-defined]
    unique = list(dict.fromkeys(values))
    return ", ".join(unique) if unique else None


def _text(value: str) -> str | None:
    return value.strip() or None


def _system_values(attr: str) -> Value:
    def get(ctx: FieldContext) -> str | None:
        items: list[str] = []
        for system in ctx.systems():
            value = getattr(system, attr)
            items.extend(value if isinstance(value, tuple) else [value])
        return _join(items)

    return get


def _system_level(ctx: FieldContext) -> str | None:
    levels = sorted({s.level for s in ctx.systems() if s.level is not None})
    if not levels:
        return None
    word = ctx.pick("Cấp độ", "Level")
    return ", ".join(f"{word} {level}" for level in levels)


def _system_summary(ctx: FieldContext) -> str | None:
    parts = []
    for s in ctx.systems():
        extra = "; ".join(x for x in (", ".join(s.domains), ", ".join(s.ips)) if x)
        parts.append(f"{s.name} ({extra})" if extra else s.name)
    return "; ".join(parts) or None


def _controls(ctx: FieldContext) -> str | None:
    items = [c for s in ctx.systems() for c in s.controls]
    return _join([*items, *ctx.settings.reporting.controls])


def _operator(ctx: FieldContext) -> str | None:
    return _join([s.operator for s in ctx.systems()]) or _text(ctx.settings.reporting.operator)


def _owner(ctx: FieldContext) -> str | None:
    return _join([s.owner for s in ctx.systems()]) or _text(ctx.settings.reporting.owner)


def _contact_summary(ctx: FieldContext) -> str | None:
    c = ctx.settings.reporting.contact
    joined = _join([c.name, c.position, c.phone, c.email])
    return joined or _text(ctx.settings.organisation.contact)


def _description(ctx: FieldContext) -> str:
    i = ctx.facts.incident
    title = i.title.get(ctx.lang) or i.title.get("vi") or ""
    category = name_of("category", i.category, ctx.lang)
    severity = name_of("severity", i.severity, ctx.lang)
    first = fmt_datetime(i.first_seen, ctx.tz, ctx.lang)
    last = fmt_datetime(i.last_seen, ctx.tz, ctx.lang)
    key = ", ".join(f"{k}={v}" for k, v in sorted(i.key.items()))
    hosts = ", ".join(i.hosts)
    if ctx.lang == "vi":
        text = (f"{title} (loại: {category}; mức độ: {severity}). {i.count} dòng nhật ký khớp, "
                f"từ {first} đến {last}")
        text += f" trên máy chủ {hosts}." if hosts else "."
        if key:
            text += f" Đối tượng liên quan: {key}."
        return text
    text = (f"{title} (category: {category}; severity: {severity}). {i.count} matching log lines "
            f"from {first} to {last}")
    text += f" on host {hosts}." if hosts else "."
    if key:
        text += f" Involved: {key}."
    return text


def _detection_method(ctx: FieldContext) -> str:
    i = ctx.facts.incident
    sources = ", ".join(i.sources) or "—"
    rules = ", ".join(i.rule_ids) or "—"
    return ctx.pick(
        f"secmon tự động phát hiện khi phân tích nhật ký ({sources}) theo luật {rules}.",
        f"Found automatically by secmon analysing the logs ({sources}) with rule(s) {rules}.",
    )


def _handling(ctx: FieldContext) -> str:
    i = ctx.facts.incident
    status = name_of("status", i.status, ctx.lang)
    lines = [ctx.pick(f"Trạng thái: {status}.", f"Status: {status}.")]
    record = ctx.facts.checklist
    if record is not None:
        done = [s for s in record.steps if s.done]
        lines.append(ctx.pick(
            f"Đã thực hiện {len(done)}/{record.total} bước của danh sách kiểm tra"
            + (":" if done else "."),
            f"{len(done)} of {record.total} checklist steps done" + (":" if done else "."),
        ))
        for step in done:
            title = ctx.facts.step_titles.get(step.step_id)
            name = title.get(ctx.lang) if title else step.step_id
            note = f" ({step.note})" if step.note else ""
            lines.append(f"- {name}{note}")
    return "\n".join(lines)


def _attachments(ctx: FieldContext) -> str:
    facts = ctx.facts
    shown, total = len(facts.evidence), facts.evidence_total
    folder = f"{ctx.evidence_root.rstrip('/')}/{facts.incident.id}"
    return ctx.pick(
        f"Trích nhật ký ({shown}/{total} dòng, kèm báo cáo này); danh sách kiểm tra và diễn biến "
        f"xử lý (kèm báo cáo này); thư mục chứng cứ {folder} với giá trị băm MANIFEST.sha256.",
        f"Log extract ({shown} of {total} lines, in this report); checklist and timeline (in this "
        f"report); evidence folder {folder} with hashes in MANIFEST.sha256.",
    )


def _resolved(ctx: FieldContext) -> str | None:
    i = ctx.facts.incident
    if i.status != "resolved" or i.resolved_at is None:
        return None
    return fmt_datetime(i.resolved_at, ctx.tz, ctx.lang)


def _initial_date(ctx: FieldContext) -> str | None:
    record = ctx.facts.checklist
    if record is None or ctx.initial_step is None:
        return None
    step = record.step(ctx.initial_step)
    if step is None or not step.done or step.at is None:
        return None
    return fmt_date(step.at, ctx.lang, ctx.tz)


def _org(attr: str) -> Value:
    return lambda ctx: _text(getattr(ctx.settings.organisation, attr))


def _contact(attr: str) -> Value:
    return lambda ctx: _text(getattr(ctx.settings.reporting.contact, attr))


VALUES: Mapping[str, Value] = MappingProxyType(
    {
        "org.name": _org("name"),
        "org.address": _org("address"),
        "org.phone": _org("phone"),
        "org.email": _org("email"),
        "org.contact": _org("contact"),
        "contact.name": _contact("name"),
        "contact.position": _contact("position"),
        "contact.phone": _contact("phone"),
        "contact.email": _contact("email"),
        "contact.summary": _contact_summary,
        "signer.name": lambda ctx: _text(ctx.settings.reporting.signer.name),
        "signer.position": lambda ctx: _text(ctx.settings.reporting.signer.position),
        "operator": _operator,
        "owner": _owner,
        "security_provider": lambda ctx: _text(ctx.settings.reporting.security_provider),
        "isp": lambda ctx: _text(ctx.settings.reporting.isp),
        "system.name": _system_values("name"),
        "system.summary": _system_summary,
        "system.domains": _system_values("domains"),
        "system.ips": _system_values("ips"),
        "system.level": _system_level,
        "system.os": _system_values("os"),
        "system.services": _system_values("services"),
        "system.controls": _controls,
        "system.purpose": _system_values("purpose"),
        "incident.id": lambda ctx: f"#{ctx.facts.incident.id}",
        "incident.title": lambda ctx: ctx.facts.incident.title.get(ctx.lang) or None,
        "incident.category": lambda ctx: name_of("category", ctx.facts.incident.category, ctx.lang),
        "incident.severity": lambda ctx: name_of("severity", ctx.facts.incident.severity, ctx.lang),
        "incident.status": lambda ctx: name_of("status", ctx.facts.incident.status, ctx.lang),
        "incident.description": _description,
        "incident.detected": lambda ctx: fmt_datetime(
            ctx.facts.incident.created_at, ctx.tz, ctx.lang),
        "incident.detected_date": lambda ctx: fmt_date(
            ctx.facts.incident.created_at, ctx.lang, ctx.tz),
        "incident.detected_time": lambda ctx: fmt_time(ctx.facts.incident.created_at, ctx.tz),
        "incident.first_seen": lambda ctx: fmt_datetime(
            ctx.facts.incident.first_seen, ctx.tz, ctx.lang),
        "incident.last_seen": lambda ctx: fmt_datetime(
            ctx.facts.incident.last_seen, ctx.tz, ctx.lang),
        "incident.resolved": _resolved,
        "incident.hosts": lambda ctx: _join(ctx.facts.incident.hosts),
        "incident.sources": lambda ctx: _join(ctx.facts.incident.sources),
        "incident.rules": lambda ctx: _join(ctx.facts.incident.rule_ids),
        "incident.key": lambda ctx: _join(
            f"{k}={v}" for k, v in sorted(ctx.facts.incident.key.items())),
        "incident.count": lambda ctx: str(ctx.facts.incident.count),
        "incident.detection_method": _detection_method,
        "incident.handling": _handling,
        "incident.attachments": _attachments,
        "report.time": lambda ctx: fmt_datetime(ctx.now, ctx.tz, ctx.lang),
        "report.date": lambda ctx: fmt_date(ctx.now, ctx.lang, ctx.tz),
        "report.initial_date": _initial_date,
    }
)

CONDITION_WORDS: tuple[str, ...] = ("always", "open", "closed")
CONDITION_PREFIXES: tuple[str, ...] = ("status:", "done:")


def check_condition(name: str) -> str | None:
    """Why `name` is not a condition, or None if it is one."""
    if name in CONDITION_WORDS:
        return None
    if name.startswith("status:"):
        status = name.partition(":")[2]
        if status in STATUSES:
            return None
        return f"unknown status '{status}' in '{name}'; statuses are {', '.join(STATUSES)}"
    if name.startswith("done:") and name.partition(":")[2]:
        return None
    return (f"unknown condition '{name}'; use {', '.join(CONDITION_WORDS)}, status:<status> or "
            "done:<checklist step id>")


def condition_holds(name: str, ctx: FieldContext) -> bool:
    incident = ctx.facts.incident
    if name == "always":
        return True
    if name == "open":
        return incident.status in OPEN_STATUSES
    if name == "closed":
        return incident.status in CLOSED_STATUSES - {"false_positive"}
    kind, _, arg = name.partition(":")
    if kind == "status":
        return incident.status == arg
    if kind == "done" and ctx.facts.checklist is not None:
        step = ctx.facts.checklist.step(arg)
        return step is not None and step.done
    return False


def value_of(name: str, ctx: FieldContext) -> str | None:
    """The text of value `name` for this context (None: unknown, left blank)."""
    text = VALUES[name](ctx)
    return text if text else None
