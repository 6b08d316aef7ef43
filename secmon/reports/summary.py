"""The period summary for management, as a frozen dataclass built purely.

An incident belongs to the period when its first log line (`first_seen`,
the logs' own time, so a backfill of old logs counts where it happened)
falls on a day of the period in the display time zone. False positives are
counted apart and left out of every other figure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from ..config.model import Settings
from ..events import CATEGORIES, SEVERITIES
from ..incidents.checklists import ChecklistRecord
from ..incidents.model import OPEN_STATUSES, STATUSES, EvidenceLine, Incident
from ..playbooks.checklist import checklist_status
from .regime import Period, Regime
from .text import fmt_date, fmt_datetime, fmt_duration, name_of, word

TOP_N = 10
# Targets read back from kept evidence lines. Fixed, bounded patterns with no
# nested repetition: linear on any line (tests run a 64 KiB hostile one).
_REQUEST_PATH = re.compile(r'"(?:GET|POST|HEAD|PUT|DELETE|PATCH|OPTIONS) (/[^ "?#]{0,512})')
_LOGIN_USER = re.compile(
    r"(?:Failed|Accepted) [a-z-]{1,32} for (?:invalid user )?([^ ]{1,64}) from "
    r"|Invalid user ([^ ]{1,64}) from "
)


@dataclass(frozen=True, slots=True)
class CountRow:
    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class TopRow:
    value: str
    incidents: int
    events: int


@dataclass(frozen=True, slots=True)
class OverdueRow:
    incident_id: int
    title: str
    report: str  # the report's name, or the step id for other steps
    due: str
    state: str  # overdue | late
    state_label: str


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: int
    first_seen: str
    category: str
    severity: str
    severity_key: str
    status: str
    title: str
    progress: str


@dataclass(frozen=True, slots=True)
class SummaryReport:
    lang: str
    title: str
    form: str
    org_name: str | None
    header: tuple[str, ...]
    period: str  # "01/01/2026 – 30/06/2026 (6 tháng đầu năm)"
    start: date
    end: date
    due: str
    generated: str
    total: int
    open: int
    resolved: int
    false_positive: int
    by_category: tuple[CountRow, ...]
    by_severity: tuple[CountRow, ...]
    by_status: tuple[CountRow, ...]
    by_day: tuple[tuple[date, int], ...]  # every day of the period
    top_ips: tuple[TopRow, ...]
    top_paths: tuple[TopRow, ...]
    top_users: tuple[TopRow, ...]
    mtta: str
    mttr: str
    acknowledged: int
    resolved_timed: int
    overdue: tuple[OverdueRow, ...]
    steps_done: int
    steps_total: int
    checklists_complete: int
    checklists: int
    incidents: tuple[IncidentRow, ...]
    recipients: tuple[str, ...]
    legal_basis: tuple[str, ...]
    notice: str


def in_period(incident: Incident, start: date, end: date, tz: tzinfo) -> bool:
    day = incident.first_seen.astimezone(tz).date()
    return start <= day <= end


def build_summary(
    incidents: Sequence[Incident],
    checklists: Mapping[int, ChecklistRecord],
    evidence: Mapping[int, Sequence[EvidenceLine]],
    regime: Regime,
    settings: Settings,
    *,
    start: date,
    end: date,
    lang: str,
    tz: tzinfo,
    now: datetime,
    period: Period | None = None,
) -> SummaryReport:
    """The summary of the incidents whose first log line falls in [start, end].

    `evidence` (kept lines by incident id) gives the targeted URLs and accounts
    that the incidents' keys do not name."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    chosen = sorted(
        (i for i in incidents if in_period(i, start, end, tz)),
        key=lambda i: (i.first_seen, i.id),
    )
    real = [i for i in chosen if i.status != "false_positive"]
    false_positive = len(chosen) - len(real)

    def counts(kind: str, keys: Sequence[str], values: Counter[str]) -> tuple[CountRow, ...]:
        ordered = [k for k in keys if values[k]] + sorted(k for k in values if k not in keys)
        return tuple(CountRow(k, name_of(kind, k, lang), values[k]) for k in ordered)

    days = Counter(i.first_seen.astimezone(tz).date() for i in real)
    span = (end - start).days + 1
    by_day = tuple((start + timedelta(d), days[start + timedelta(d)]) for d in range(span))

    acked = [i.acknowledged_at - i.created_at for i in real if i.acknowledged_at]
    resolved = [i.resolved_at - i.created_at for i in real
                if i.status == "resolved" and i.resolved_at]
    report_names = {spec.step: spec.title.get(lang).capitalize()
                    for spec in regime.reports.values() if spec.step}

    overdue: list[OverdueRow] = []
    steps_done = steps_total = complete = with_list = 0
    rows: list[IncidentRow] = []
    for incident in chosen:
        record = checklists.get(incident.id)
        progress = ""
        if record is not None:
            progress = f"{record.done_count}/{record.total}"
        if incident.status != "false_positive" and record is not None:
            with_list += 1
            steps_done += record.done_count
            steps_total += record.total
            complete += record.done_count == record.total
            status = checklist_status(record, incident, now)
            for due in status.deadlines:
                if due.state in ("overdue", "late") and due.due is not None:
                    overdue.append(OverdueRow(
                        incident.id,
                        incident.title.get(lang) or "",
                        report_names.get(due.step_id, f"{word('step', lang)}: {due.step_id}"),
                        fmt_datetime(due.due, tz, lang),
                        due.state,
                        word(due.state, lang),
                    ))
        rows.append(IncidentRow(
            incident.id,
            fmt_datetime(incident.first_seen, tz, lang),
            name_of("category", incident.category, lang),
            name_of("severity", incident.severity, lang),
            incident.severity,
            name_of("status", incident.status, lang),
            incident.title.get(lang) or "",
            progress,
        ))

    due_day = period.dates(start.year)[2] if period else None
    label = f" ({period.label.get(lang)})" if period else ""
    org = settings.organisation.name.strip() or None
    return SummaryReport(
        lang=lang,
        title=regime.summary.title.get(lang),
        form=regime.summary.form.get(lang),
        org_name=org,
        header=regime.header.get(lang, ()),
        period=f"{fmt_date(start, lang)} – {fmt_date(end, lang)}{label}",
        start=start,
        end=end,
        due=fmt_date(due_day, lang) if due_day else "",
        generated=fmt_datetime(now, tz, lang),
        total=len(real),
        open=sum(i.status in OPEN_STATUSES for i in real),
        resolved=sum(i.status == "resolved" for i in real),
        false_positive=false_positive,
        by_category=counts("category", CATEGORIES, Counter(i.category for i in real)),
        by_severity=counts("severity", SEVERITIES[::-1], Counter(i.severity for i in real)),
        by_status=counts("status", STATUSES, Counter(i.status for i in chosen)),
        by_day=by_day,
        top_ips=top(real, "src_ip"),
        top_paths=targets(real, evidence, "path", _request_path),
        top_users=targets(real, evidence, "user", _login_user),
        mtta=fmt_duration(_mean(acked), lang),
        mttr=fmt_duration(_mean(resolved), lang),
        acknowledged=len(acked),
        resolved_timed=len(resolved),
        overdue=tuple(sorted(overdue, key=lambda r: (r.incident_id, r.report))),
        steps_done=steps_done,
        steps_total=steps_total,
        checklists_complete=complete,
        checklists=with_list,
        incidents=tuple(rows),
        recipients=tuple(regime.roles[r].get(lang) for r in regime.summary.recipients),
        legal_basis=tuple(text.get(lang) for text in regime.legal_basis),
        notice=regime.notice.get(lang) if regime.notice else "",
    )


def top(incidents: Sequence[Incident], field: str, n: int = TOP_N) -> tuple[TopRow, ...]:
    """The most frequent values of a key field: by incidents, then events, then value."""
    by_incidents: Counter[str] = Counter()
    by_events: Counter[str] = Counter()
    for incident in incidents:
        value = incident.key.get(field)
        if value in (None, ""):
            continue
        text = str(value)
        by_incidents[text] += 1
        by_events[text] += incident.count
    ranked = sorted(by_incidents, key=lambda v: (-by_incidents[v], -by_events[v], v))
    return tuple(TopRow(v, by_incidents[v], by_events[v]) for v in ranked[:n])


def _request_path(line: str) -> str | None:
    match = _REQUEST_PATH.search(line)
    return match[1] if match else None


def _login_user(line: str) -> str | None:
    match = _LOGIN_USER.search(line)
    return (match[1] or match[2]) if match else None


def targets(incidents: Sequence[Incident], evidence: Mapping[int, Sequence[EvidenceLine]],
            field: str, read: Callable[[str], str | None], n: int = TOP_N
            ) -> tuple[TopRow, ...]:
    """Most targeted values (URL paths, accounts): from each incident's key, else
    from its kept evidence lines. `events` counts the lines naming the value
    (all matching lines for a key value, kept evidence lines otherwise)."""
    by_incidents: Counter[str] = Counter()
    by_events: Counter[str] = Counter()
    for incident in incidents:
        keyed = incident.key.get(field)
        if keyed not in (None, ""):
            by_incidents[str(keyed)] += 1
            by_events[str(keyed)] += incident.count
            continue
        seen: Counter[str] = Counter()
        for line in evidence.get(incident.id, ()):
            value = read(line.raw)
            if value:
                seen[value] += 1
        for value, count in seen.items():
            by_incidents[value] += 1
            by_events[value] += count
    ranked = sorted(by_incidents, key=lambda v: (-by_incidents[v], -by_events[v], v))
    return tuple(TopRow(v, by_incidents[v], by_events[v]) for v in ranked[:n])


def _mean(spans: Sequence[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return sum(spans, timedelta()) / len(spans)
