"""Report contents as frozen dataclasses, built by pure functions.

`build_incident_report` fills a regime's form for one incident (notification,
initial report Form 03, final report Form 04); `build_summary` counts the
incidents of a period for management. Texts come out in one language;
attacker-derived text (log lines, keys, hosts) is left raw here and escaped
by the renderer for its format.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from ..config.model import Settings
from ..incidents.model import TimelineEntry
from ..playbooks.checklist import StepDue, anchors, checklist_status
from ..playbooks.formatting import clean
from ..playbooks.model import LocalText, parse_deadline
from .facts import IncidentFacts
from .fields import FieldContext, condition_holds, value_of
from .regime import Regime, ReportSpec
from .text import TIMELINE_KINDS, fmt_datetime, name_of, phase_name, word

EVIDENCE_CHARS = 400  # characters of one log line printed in a report

# A step change as the store writes it (checklists.step_text): fixed text with
# a step id that can only hold [a-z0-9._-]; the note follows ': '.
_STEP_TEXT = re.compile(
    r"(?:Đã xong bước|Bỏ đánh dấu bước) «([a-z0-9._-]+)» / Step '[a-z0-9._-]+' "
    r"(?:done|marked not done)(?:: (.*))?",
    re.DOTALL,
)
_MARK_WORDS = {"overdue": "overdue", "due": "due_soon", "urgent": "urgent", "late": "late"}
_AUTO_KINDS = frozenset({"opened", "updated", "escalated", "reopened", "suppressed", "checklist"})


@dataclass(frozen=True, slots=True)
class ReportField:
    label: str
    text: str | None  # None: blank, to be filled by hand
    required: bool = False
    choices: tuple[tuple[str, bool], ...] = ()
    hint: str | None = None


@dataclass(frozen=True, slots=True)
class ReportSection:
    title: str
    fields: tuple[ReportField, ...]
    block: str | None = None


@dataclass(frozen=True, slots=True)
class TimelineRow:
    time: str
    actor: str
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    time: str
    source: str
    raw: str


@dataclass(frozen=True, slots=True)
class ChecklistRow:
    number: int
    step_id: str
    title: str
    phase: str
    done: bool
    done_text: str  # "an, 14:05 ngày 14/03/2026 (UTC+07:00)"
    note: str
    due: str
    mark: str  # '' | overdue | due | urgent | late
    mark_label: str


@dataclass(frozen=True, slots=True)
class RecipientRow:
    role: str
    name: str | None  # None: not configured (a blank on the page)
    contact: str


@dataclass(frozen=True, slots=True)
class IncidentReport:
    lang: str
    kind: str
    title: str
    form: str
    org_name: str | None
    header: tuple[str, ...]
    incident_ref: str
    incident_title: str
    sections: tuple[ReportSection, ...]
    timeline: tuple[TimelineRow, ...]
    evidence: tuple[EvidenceRow, ...]
    evidence_note: str
    checklist: tuple[ChecklistRow, ...]
    checklist_progress: str
    recipients: tuple[RecipientRow, ...]
    due: str
    sent: str  # who ticked the report's checklist step off, when ('' if not yet)
    subject: str
    legal_basis: tuple[str, ...]
    notice: str
    generated: str
    signer_name: str | None
    signer_position: str | None
    labels: Mapping[str, str]


def build_incident_report(
    facts: IncidentFacts,
    regime: Regime,
    kind: str,
    settings: Settings,
    *,
    lang: str,
    tz: tzinfo,
    now: datetime,
) -> IncidentReport:
    """The report `kind` ('notification' | 'initial' | 'final') for one incident."""
    spec = regime.reports[kind]
    initial = regime.reports.get("initial")
    ctx = FieldContext(facts, settings, lang, tz, now, initial.step if initial else None)
    sections = tuple(
        ReportSection(
            section.title.get(lang),
            tuple(
                ReportField(
                    label=f.label.get(lang),
                    text=value_of(f.value, ctx) if f.value else None,
                    required=f.required,
                    choices=tuple(
                        (c.label.get(lang), c.when is not None and condition_holds(c.when, ctx))
                        for c in f.choices
                    ),
                    hint=f.hint.get(lang) if f.hint else None,
                )
                for f in section.fields
            ),
            section.block,
        )
        for section in spec.sections
    )
    incident = facts.incident
    title = incident.title.get(lang) or incident.title.get("vi") or ""
    org = settings.organisation.name.strip() or None
    rows, progress = checklist_rows(facts, lang, tz, now)
    signer = settings.reporting.signer
    return IncidentReport(
        lang=lang,
        kind=kind,
        title=spec.title.get(lang),
        form=spec.form.get(lang),
        org_name=org,
        header=regime.header.get(lang, ()),
        incident_ref=f"#{incident.id}",
        incident_title=title,
        sections=sections,
        timeline=tuple(timeline_row(e, lang, tz, facts.step_titles) for e in facts.timeline),
        evidence=tuple(
            EvidenceRow(fmt_datetime(e.time, tz, lang), f"{e.source}:{e.line_no}",
                        clean(e.raw, EVIDENCE_CHARS))
            for e in facts.evidence
        ),
        evidence_note=word("evidence_kept", lang).format(
            shown=len(facts.evidence), total=facts.evidence_total),
        checklist=rows,
        checklist_progress=progress,
        recipients=recipient_rows(spec.recipients, regime, settings, lang),
        due=due_text(spec, facts, lang, tz),
        sent=sent_text(spec, facts, lang, tz),
        subject=f"{spec.subject} {spec.title.get(lang).capitalize()}: {title} (#{incident.id})"
        .strip() + (f" - {org}" if org else ""),
        legal_basis=tuple(text.get(lang) for text in regime.legal_basis),
        notice=regime.notice.get(lang) if regime.notice else "",
        generated=fmt_datetime(now, tz, lang),
        signer_name=signer.name.strip() or None,
        signer_position=signer.position.strip() or None,
        labels={key: word(key, lang) for key in _REPORT_WORDS},
    )


_REPORT_WORDS = ("to_fill", "required_note", "number", "place_date", "recipients", "due",
                 "subject", "legal", "generated", "incident", "signature", "signature_note",
                 "time", "actor", "event", "source", "line", "step", "phase", "state", "note",
                 "no_checklist", "no_entries", "page_note", "file_copy", "done", "not_done", "sent")


def recipient_rows(
    roles: Sequence[str], regime: Regime, settings: Settings, lang: str
) -> tuple[RecipientRow, ...]:
    rows = []
    for role in roles:
        configured = settings.reporting.recipient(role)
        name = configured.name.strip() if configured else ""
        contact = ", ".join(
            x for x in ((configured.address, configured.email, configured.phone)
                        if configured else ()) if x
        )
        rows.append(RecipientRow(regime.roles[role].get(lang), name or None, contact))
    return tuple(rows)


def due_text(spec: ReportSpec, facts: IncidentFacts, lang: str, tz: tzinfo) -> str:
    """When this report is due for this incident, with the rule in words."""
    when = spec.when.get(lang)
    deadline = spec.deadline
    if facts.checklist is not None and spec.step:
        stored = facts.checklist.step(spec.step)
        if stored is not None and stored.deadline:
            deadline = parse_deadline(stored.deadline)
    if deadline is None:
        return when
    if deadline.immediate:
        return f"{word('immediately', lang)} — {when}"
    due = deadline.due(anchors(facts.incident))
    if due is None:
        return f"{word('unknown_due', lang)} — {when}"
    return f"{fmt_datetime(due, tz, lang)} — {when}"


def sent_text(spec: ReportSpec, facts: IncidentFacts, lang: str, tz: tzinfo) -> str:
    if facts.checklist is None or spec.step is None:
        return ""
    step = facts.checklist.step(spec.step)
    if step is None or not step.done or step.at is None:
        return ""
    return f"{step.by}, {fmt_datetime(step.at, tz, lang)}"


def timeline_row(entry: TimelineEntry, lang: str, tz: tzinfo,
                 titles: Mapping[str, LocalText] | None = None) -> TimelineRow:
    """A timeline entry in one language: secmon's own bilingual texts are split,
    step changes name the step by its title; a person's words stay as written."""
    kind = TIMELINE_KINDS.get(entry.kind)
    label = kind.get(lang) if kind else entry.kind
    text = entry.text
    if entry.kind in ("step_done", "step_undone"):
        match = _STEP_TEXT.fullmatch(text)
        if match:
            title = (titles or {}).get(match[1])
            name = f"{title.get(lang)} ({match[1]})" if title else match[1]
            text = f"{name}: {match[2]}" if match[2] else name
    elif entry.kind in _AUTO_KINDS and " / " in text:
        vi, _, en = text.partition(" / ")
        text = vi if lang == "vi" else en
        label = ""  # the text says what happened
    if entry.new_status:
        change = f"{name_of('status', entry.old_status or '', lang)} → " \
                 f"{name_of('status', entry.new_status, lang)}"
        text = f"{change}. {text}" if text else change
    return TimelineRow(fmt_datetime(entry.at, tz, lang), entry.actor, label, text)


def checklist_rows(
    facts: IncidentFacts, lang: str, tz: tzinfo, now: datetime
) -> tuple[tuple[ChecklistRow, ...], str]:
    record = facts.checklist
    if record is None:
        return (), ""
    status = checklist_status(record, facts.incident, now)
    dues: dict[str, StepDue] = {d.step_id: d for d in status.deadlines}
    rows = []
    for step in record.steps:
        title = facts.step_titles.get(step.step_id, LocalText(step.step_id, step.step_id))
        due = dues.get(step.step_id)
        due_str, mark = "", ""
        if due is not None:
            if due.state == "urgent" or parse_deadline(due.deadline).immediate:
                due_str = word("immediately", lang)
            elif due.due is None:
                due_str = word("unknown_due", lang)
            else:
                due_str = fmt_datetime(due.due, tz, lang)
            mark = due.state if due.state in ("overdue", "due", "urgent", "late") else ""
        done_text = ""
        if step.done and step.at is not None:
            done_text = f"{step.by}, {fmt_datetime(step.at, tz, lang)}"
        rows.append(ChecklistRow(step.position, step.step_id, title.get(lang),
                                 phase_name(step.phase, lang), step.done, done_text, step.note,
                                 due_str, mark, word(_MARK_WORDS[mark], lang) if mark else ""))
    progress = word("progress_text", lang).format(done=status.done, total=status.total)
    return tuple(rows), progress
