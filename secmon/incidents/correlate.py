"""Correlation of detections into incidents: pure functions, no database.

The store looks up the newest incident for a detection's (category, key)
and hands it here with the detection; `step` says what happens (open,
update, escalate, reopen, suppress) and returns the incident as it should
be stored. Everything here is deterministic and testable without SQLite.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..events import SEVERITIES, SEVERITY_RANK, Detection
from .model import ALERT_KINDS, Incident

REOPEN_WITHIN = timedelta(hours=24)
ESCALATION_FACTOR = 10  # escalate when the count reaches 10x the count at the last alert
EVIDENCE_FIRST = 20  # evidence lines kept from the start of an incident ...
EVIDENCE_LAST = 20  # ... and from its end
MAX_NAMES = 100  # hosts / sources listed on one incident
RAW_LIMIT = 8192  # characters of one evidence line kept

SEVERITY_VI: Mapping[str, str] = {
    "info": "thông tin",
    "low": "thấp",
    "medium": "trung bình",
    "high": "cao",
    "critical": "nghiêm trọng",
}

# When several detections of one record() call touch one incident, the
# change reported is the most important of their steps.
_KIND_PRIORITY: Mapping[str, int] = {
    "suppressed": 0,
    "updated": 1,
    "escalated": 2,
    "reopened": 3,
    "opened": 4,
}


# ---------------------------------------------------------------- text and time
def utc_text(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds: fixed width, so text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: secmon needs tz-aware times")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def clean_text(text: str, limit: int | None = None) -> str:
    """Text safe to store: lone surrogates replaced, cut to `limit` with a marker."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    if limit is not None and len(text) > limit:
        cut = len(text) - limit
        text = f"{text[:limit]}…[+{cut} ký tự / chars]"
    return text


def canonical_key(key: Iterable[tuple[str, Any]] | Mapping[str, Any]) -> str:
    """The group-by key as JSON with sorted keys: equal keys give equal text."""
    pairs = key.items() if isinstance(key, Mapping) else key
    data = {clean_text(str(name)): _clean_value(value) for name, value in pairs}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _clean_value(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return clean_text(str(value))


def detection_hash(detection: Detection, key_json: str | None = None) -> str:
    """Content hash: the same detection recorded twice is stored once.

    Covers rule, key, first/last seen, count and source, and also where each
    evidence line came from (source, line, offset, text): two different log
    lines in the same second are two detections, a re-scan of the same file
    is the same one. `key_json` is canonical_key(detection.key) if known.
    """
    payload = [
        detection.rule_id,
        key_json if key_json is not None else canonical_key(detection.key),
        utc_text(detection.first_seen),
        utc_text(detection.last_seen),
        detection.count,
        detection.source,
        [[e.source, e.line_no, e.offset, e.raw] for e in detection.evidence],
    ]
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_detection(detection: Detection) -> None:
    """Refuse a detection the store cannot rank or date (a bug upstream)."""
    if detection.severity not in SEVERITY_RANK:
        raise ValueError(
            f"detection from rule {detection.rule_id!r} has unknown severity "
            f"{detection.severity!r}; expected one of {', '.join(SEVERITIES)}"
        )
    if detection.count < 0:
        raise ValueError(f"detection from rule {detection.rule_id!r} has count {detection.count}")
    if not detection.category:
        raise ValueError(f"detection from rule {detection.rule_id!r} has no category")
    utc_text(detection.first_seen)
    utc_text(detection.last_seen)
    for e in detection.evidence:
        if e.time.utcoffset() is None:
            utc_text(e.time)  # raises the error for naive times


# ------------------------------------------------------------------ correlation
@dataclass(frozen=True, slots=True)
class Step:
    """What one detection did. `incident.id` is 0 for one not stored yet."""

    kind: str  # opened | updated | escalated | reopened | suppressed
    incident: Incident
    before: Incident | None = None
    reason: str = ""  # escalated: "severity", "count" or "severity,count"


def decide(latest: Incident | None, detection: Detection, reopen_within: timedelta) -> str:
    """'open', 'update', 'reopen' or 'suppress' for the newest matching incident.

    Activity from before a resolution (late or re-read logs) is absorbed
    silently; activity within `reopen_within` after it reopens the incident
    (the attacker came back); later activity is a new incident. A false
    positive absorbs everything silently.
    """
    if latest is None:
        return "open"
    if latest.is_open:
        return "update"
    if latest.status == "false_positive":
        return "suppress"
    resolved_at = latest.resolved_at or latest.updated_at
    if detection.last_seen <= resolved_at:
        return "suppress"
    if detection.last_seen <= resolved_at + reopen_within:
        return "reopen"
    return "open"


def step(
    latest: Incident | None,
    detection: Detection,
    now: datetime,
    reopen_within: timedelta = REOPEN_WITHIN,
) -> Step:
    """Apply one detection to the newest incident of its (category, key)."""
    action = decide(latest, detection, reopen_within)
    if action == "open" or latest is None:
        return Step("opened", new_incident(detection, now))
    merged = merge(latest, detection, now)
    if action == "suppress":
        return Step("suppressed", merged, latest)
    if action == "reopen":
        reopened = replace(
            merged,
            status="new",
            acknowledged_at=None,
            contained_at=None,
            resolved_at=None,
            notified_count=merged.count,
        )
        return Step("reopened", reopened, latest)
    reason = escalation_reason(latest, merged)
    if reason:
        return Step("escalated", replace(merged, notified_count=merged.count), latest, reason)
    return Step("updated", merged, latest)


def escalation_reason(before: Incident, after: Incident) -> str:
    reasons = []
    if SEVERITY_RANK[after.severity] > SEVERITY_RANK[before.severity]:
        reasons.append("severity")
    if after.count >= ESCALATION_FACTOR * max(1, before.notified_count):
        reasons.append("count")
    return ",".join(reasons)


def new_incident(detection: Detection, now: datetime) -> Incident:
    now = _utc(now)
    return Incident(
        id=0,
        category=detection.category,
        severity=detection.severity,
        status="new",
        key=json.loads(canonical_key(detection.key)),
        title=_title(detection),
        rule_ids=(detection.rule_id,),
        first_seen=_utc(detection.first_seen),
        last_seen=_utc(detection.last_seen),
        count=detection.count,
        detections=1,
        created_at=now,
        updated_at=now,
        playbook=detection.playbook,
        hosts=_names((), _hosts(detection)),
        sources=_names((), [detection.source]),
        notified_count=detection.count,
        evidence_total=len(detection.evidence),
    )


def merge(incident: Incident, detection: Detection, now: datetime) -> Incident:
    """Fold a detection into an incident (status untouched).

    When the detection raises the severity, its rule's title and playbook
    become the incident's: the worst thing seen names the incident.
    """
    raises = SEVERITY_RANK[detection.severity] > SEVERITY_RANK[incident.severity]
    return replace(
        incident,
        severity=detection.severity if raises else incident.severity,
        title=_title(detection) if raises else incident.title,
        playbook=(detection.playbook or incident.playbook)
        if raises
        else (incident.playbook or detection.playbook),
        rule_ids=tuple(sorted({*incident.rule_ids, detection.rule_id})),
        first_seen=min(incident.first_seen, _utc(detection.first_seen)),
        last_seen=max(incident.last_seen, _utc(detection.last_seen)),
        count=incident.count + detection.count,
        detections=incident.detections + 1,
        hosts=_names(incident.hosts, _hosts(detection)),
        sources=_names(incident.sources, [detection.source]),
        updated_at=_utc(now),
        evidence_total=incident.evidence_total + len(detection.evidence),
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """The steps of one record() call on one incident, summed up."""

    kind: str
    incident: Incident
    reason: str = ""


def summarize(steps: Sequence[Step]) -> Outcome:
    """The change to report for several steps on the same incident."""
    if not steps:
        raise ValueError("summarize() needs at least one step")
    kind = max((s.kind for s in steps), key=_KIND_PRIORITY.__getitem__)
    reasons = {part for s in steps if s.reason for part in s.reason.split(",")}
    if kind != "escalated":
        reasons = set()
    reason = ",".join(r for r in ("severity", "count") if r in reasons)
    final = steps[-1].incident
    if kind in ALERT_KINDS:
        final = replace(final, notified_count=final.count)
    return Outcome(kind, final, reason)


# ---------------------------------------------------------------- evidence bound
@dataclass(frozen=True, slots=True)
class EvidencePlan:
    """Which new lines to store and which stored positions to delete."""

    keep: tuple[int, ...]  # indices into the new lines
    drop_from: int  # delete stored positions in [drop_from, drop_to)
    drop_to: int


def evidence_plan(
    total_before: int, n_new: int, first: int = EVIDENCE_FIRST, last: int = EVIDENCE_LAST
) -> EvidencePlan:
    """Keep the first `first` and the last `last` lines of an incident, ever.

    New lines take positions total_before .. total_before + n_new - 1.
    """
    total = total_before + n_new
    tail_start = max(first, total - last)
    head_end = max(0, min(n_new, first - total_before))
    keep = (*range(head_end), *range(max(head_end, tail_start - total_before), n_new))
    return EvidencePlan(keep, first, tail_start)


# --------------------------------------------------------------------- timeline
def timeline_text(kind: str, incident: Incident, before: Incident | None, reason: str) -> str:
    """Bilingual text of an automatic timeline entry (no attacker text in it)."""
    count, dets = incident.count, incident.detections
    if kind == "opened":
        return (
            f"Phát hiện: {incident.title.get('vi', '')} ({count} sự kiện) / "
            f"Detected: {incident.title.get('en', '')} ({count} events)"
        )
    if kind == "escalated" and before is not None:
        vi, en = [], []
        if "severity" in reason:
            old, new = before.severity, incident.severity
            vi.append(f"nâng mức độ {SEVERITY_VI[old]} → {SEVERITY_VI[new]}")
            en.append(f"severity raised {old} → {new}")
        if "count" in reason:
            vi.append(f"số sự kiện tăng {before.notified_count} → {count}")
            en.append(f"event count rose {before.notified_count} → {count}")
        return f"{_upper_first('; '.join(vi))} / {_upper_first('; '.join(en))}"
    if kind == "reopened":
        added = count - (before.count if before else 0)
        return (
            f"Tái diễn sau khi đã khắc phục: thêm {added} sự kiện / "
            f"Recurred after it was resolved: {added} more events"
        )
    if kind == "suppressed":
        return (
            f"Cảnh báo nhầm, không báo: tổng {count} sự kiện / "
            f"False positive, not alerted: {count} events in all"
        )
    return (
        f"Cập nhật: tổng {count} sự kiện, {dets} lần phát hiện / "
        f"Updated: {count} events, {dets} detections in all"
    )


@dataclass(frozen=True, slots=True)
class AutoEntry:
    """A timeline entry written by secmon itself."""

    kind: str
    text: str
    old_status: str | None = None
    new_status: str | None = None


QUIET_KINDS: frozenset[str] = frozenset({"updated", "suppressed"})


def timeline_entries(steps: Sequence[Step]) -> list[AutoEntry]:
    """One entry per step; a run of quiet steps (updated / suppressed) becomes
    one entry, so a long attack does not bury the timeline."""
    entries: list[AutoEntry] = []
    for s in steps:
        text = timeline_text(s.kind, s.incident, s.before, s.reason)
        if entries and s.kind in QUIET_KINDS and entries[-1].kind == s.kind:
            entries[-1] = AutoEntry(s.kind, text)
        elif s.kind == "reopened" and s.before is not None:
            entries.append(AutoEntry(s.kind, text, s.before.status, "new"))
        else:
            entries.append(AutoEntry(s.kind, text))
    return entries


# ---------------------------------------------------------------------- helpers
def _utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        utc_text(moment)  # raises the error for naive times
    return moment.astimezone(UTC)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _title(detection: Detection) -> Mapping[str, str]:
    vi = detection.title.get("vi") or detection.title.get("en") or detection.rule_id
    en = detection.title.get("en") or detection.title.get("vi") or detection.rule_id
    return {"vi": vi, "en": en}


def _hosts(detection: Detection) -> list[str]:
    return [e.host for e in detection.evidence if e.host]


def _names(old: tuple[str, ...], new: Iterable[str]) -> tuple[str, ...]:
    added = set(new).difference(old)
    added.discard("")
    if not added:
        return old
    merged = set(old)
    merged.update(clean_text(name, 255) for name in added)
    return tuple(sorted(merged)[:MAX_NAMES])
