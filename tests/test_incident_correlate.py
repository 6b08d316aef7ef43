"""Pure correlation logic: no database involved."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from incident_testkit import T0, TITLE, detection, minutes

from secmon.incidents.correlate import (
    AutoEntry,
    EvidencePlan,
    canonical_key,
    check_detection,
    clean_text,
    decide,
    detection_hash,
    evidence_plan,
    new_incident,
    parse_utc,
    step,
    summarize,
    timeline_entries,
    utc_text,
)

NOW = T0 + minutes(5)
DAY = timedelta(hours=24)


def opened(**kw: object):
    return new_incident(detection(**kw), NOW)  # type: ignore[arg-type]


# ------------------------------------------------------------------ keys, hashes
def test_canonical_key_sorts_names_and_keeps_vietnamese() -> None:
    a = canonical_key((("user", "cán bộ"), ("src_ip", "203.0.113.9")))
    b = canonical_key({"src_ip": "203.0.113.9", "user": "cán bộ"})
    assert a == b == '{"src_ip":"203.0.113.9","user":"cán bộ"}'


def test_canonical_key_replaces_lone_surrogates() -> None:
    assert canonical_key((("user", "a\udcff"),)) == '{"user":"a?"}'


def test_detection_hash_is_stable_and_content_sensitive() -> None:
    base = detection()
    assert detection_hash(base) == detection_hash(detection())
    assert len(detection_hash(base)) == 64
    assert detection_hash(base) != detection_hash(detection(count=11))
    assert detection_hash(base) != detection_hash(detection(source="/var/log/auth.log.1"))
    assert detection_hash(base) != detection_hash(detection(last=T0 + minutes(1)))
    assert detection_hash(base) != detection_hash(detection(ip="198.51.100.7"))
    assert detection_hash(base) != detection_hash(detection(rule="ssh.other"))


def test_detection_hash_tells_apart_two_lines_in_the_same_second() -> None:
    one = detection(count=1, lines=1, first_line=7)
    other = detection(count=1, lines=1, first_line=8)
    assert detection_hash(one) != detection_hash(other)


def test_utc_text_is_fixed_width_utc_and_refuses_naive() -> None:
    hanoi = timezone(timedelta(hours=7))
    text = utc_text(datetime(2026, 3, 14, 13, 0, tzinfo=hanoi))
    assert text == "2026-03-14T06:00:00.000000+00:00"
    assert parse_utc("2026-03-14T06:00:00.000000+00:00") == T0
    with pytest.raises(ValueError, match="naive datetime 2026-03-14T06:00:00"):
        utc_text(datetime(2026, 3, 14, 6, 0))


def test_clean_text_cuts_with_marker_and_replaces_surrogates() -> None:
    assert clean_text("x" * 10, 4) == "xxxx…[+6 ký tự / chars]"
    assert clean_text("ok\udcfe\x00") == "ok?\x00"
    assert clean_text("short", 10) == "short"


def test_check_detection_refuses_unknown_severity_and_naive_times() -> None:
    with pytest.raises(ValueError) as info:
        check_detection(detection(severity="urgent"))
    assert str(info.value) == (
        "detection from rule 'ssh.brute-force' has unknown severity 'urgent'; "
        "expected one of info, low, medium, high, critical"
    )
    naive = replace(detection(), first_seen=datetime(2026, 3, 14, 6, 0))
    with pytest.raises(ValueError, match="naive datetime"):
        check_detection(naive)
    with pytest.raises(ValueError, match="has count -1"):
        check_detection(detection(count=-1))
    det = detection(lines=1)
    naive_line = replace(det, evidence=(replace(det.evidence[0], time=datetime(2026, 3, 14)),))
    with pytest.raises(ValueError, match="naive datetime 2026-03-14T00:00:00"):
        check_detection(naive_line)


# ---------------------------------------------------------------------- decide
def test_decide_opens_when_nothing_matches() -> None:
    assert decide(None, detection(), DAY) == "open"


@pytest.mark.parametrize("status", ["new", "acknowledged", "contained"])
def test_decide_updates_open_incidents(status: str) -> None:
    assert decide(replace(opened(), status=status), detection(), DAY) == "update"


def test_decide_suppresses_false_positives_whenever() -> None:
    fp = replace(opened(), status="false_positive", resolved_at=NOW)
    assert decide(fp, detection(last=NOW + timedelta(days=90)), DAY) == "suppress"
    assert decide(fp, detection(first=T0 - timedelta(days=90)), DAY) == "suppress"


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(days=60), "open"),  # much later: a new incident
        (DAY + timedelta(seconds=1), "open"),
        (DAY, "reopen"),  # the attacker came back soon: the fix did not hold
        (timedelta(seconds=1), "reopen"),
        (timedelta(0), "suppress"),  # late or re-read logs of the handled incident
        (-timedelta(hours=23, minutes=59), "suppress"),
        (-timedelta(days=10), "suppress"),
    ],
)
def test_decide_reopen_window(offset: timedelta, expected: str) -> None:
    resolved_at = T0 + timedelta(days=3)
    resolved = replace(opened(), status="resolved", resolved_at=resolved_at)
    seen = resolved_at + offset
    assert decide(resolved, detection(first=seen, last=seen), DAY) == expected


def test_decide_reopen_window_is_configurable() -> None:
    resolved = replace(opened(), status="resolved", resolved_at=T0)
    later = detection(first=T0 + timedelta(hours=2), last=T0 + timedelta(hours=2))
    assert decide(resolved, later, timedelta(hours=1)) == "open"
    assert decide(resolved, later, timedelta(hours=3)) == "reopen"


# ------------------------------------------------------------------------ step
def test_step_opens_with_everything_from_the_detection() -> None:
    s = step(None, detection(count=12, last=T0 + minutes(2)), NOW)
    assert s.kind == "opened"
    assert s.before is None
    inc = s.incident
    assert (inc.id, inc.status, inc.category, inc.severity) == (0, "new", "brute-force", "high")
    assert inc.key == {"src_ip": "203.0.113.9"}
    assert inc.title == TITLE
    assert (inc.count, inc.detections, inc.notified_count, inc.evidence_total) == (12, 1, 12, 2)
    assert (inc.first_seen, inc.last_seen) == (T0, T0 + minutes(2))
    assert (inc.created_at, inc.updated_at) == (NOW, NOW)
    assert (inc.hosts, inc.sources, inc.rule_ids) == (
        ("portal",),
        ("/var/log/auth.log",),
        ("ssh.brute-force",),
    )
    assert inc.playbook == "brute-force"


def test_step_update_merges_counts_times_and_names() -> None:
    first = opened(count=10, first=T0 + minutes(10), last=T0 + minutes(12))
    other = detection(
        rule="ssh.invalid-user",
        severity="medium",
        count=5,
        first=T0,
        last=T0 + minutes(11),
        source="/var/log/secure",
        host="mail",
    )
    s = step(first, other, NOW + minutes(1))
    assert s.kind == "updated"
    inc = s.incident
    assert (inc.count, inc.detections, inc.severity) == (15, 2, "high")
    assert (inc.first_seen, inc.last_seen) == (T0, T0 + minutes(12))
    assert inc.rule_ids == ("ssh.brute-force", "ssh.invalid-user")
    assert inc.hosts == ("mail", "portal")
    assert inc.sources == ("/var/log/auth.log", "/var/log/secure")
    assert inc.updated_at == NOW + minutes(1)
    assert inc.notified_count == 10
    assert inc.evidence_total == 4


def test_step_escalates_when_severity_rises_and_title_follows() -> None:
    low = opened(rule="ssh.auth-failure", severity="low", count=3, playbook=None,
                 title={"vi": "Đăng nhập SSH thất bại", "en": "SSH login failed"})  # fmt: skip
    s = step(low, detection(severity="critical", count=1), NOW)
    assert (s.kind, s.reason) == ("escalated", "severity")
    assert s.incident.severity == "critical"
    assert s.incident.title == TITLE
    assert s.incident.playbook == "brute-force"
    assert s.incident.notified_count == 4


def test_step_escalates_at_ten_times_the_last_alerted_count() -> None:
    inc = opened(count=10)
    s1 = step(inc, detection(count=89, first=T0 + minutes(1)), NOW)
    assert (s1.kind, s1.incident.count, s1.incident.notified_count) == ("updated", 99, 10)
    s2 = step(s1.incident, detection(count=1, first=T0 + minutes(2)), NOW)
    assert (s2.kind, s2.reason, s2.incident.count) == ("escalated", "count", 100)
    assert s2.incident.notified_count == 100
    s3 = step(s2.incident, detection(count=899, first=T0 + minutes(3)), NOW)
    assert (s3.kind, s3.incident.count) == ("updated", 999)
    s4 = step(s3.incident, detection(count=1, first=T0 + minutes(4)), NOW)
    assert (s4.kind, s4.incident.count, s4.incident.notified_count) == ("escalated", 1000, 1000)


def test_step_reopen_resets_lifecycle_times() -> None:
    resolved = replace(
        opened(), status="resolved", acknowledged_at=NOW, contained_at=NOW, resolved_at=NOW
    )
    s = step(resolved, detection(count=3, first=NOW + minutes(1)), NOW + minutes(2))
    assert s.kind == "reopened"
    assert s.incident.status == "new"
    assert (s.incident.acknowledged_at, s.incident.contained_at, s.incident.resolved_at) == (
        None,
        None,
        None,
    )
    assert (s.incident.count, s.incident.notified_count) == (13, 13)


def test_step_suppressed_keeps_status_and_alert_base() -> None:
    fp = replace(opened(), status="false_positive", resolved_at=NOW)
    s = step(fp, detection(count=500, severity="critical", first=NOW), NOW)
    assert s.kind == "suppressed"
    assert (s.incident.status, s.incident.count, s.incident.notified_count) == (
        "false_positive",
        510,
        10,
    )


# -------------------------------------------------------------------- summarize
def test_summarize_reports_the_most_important_step_and_the_final_state() -> None:
    a = step(None, detection(count=5), NOW)
    b = step(a.incident, detection(count=60, first=T0 + minutes(1)), NOW)
    c = step(b.incident, detection(count=1, first=T0 + minutes(2)), NOW)
    assert [a.kind, b.kind, c.kind] == ["opened", "escalated", "updated"]
    out = summarize([a, b, c])
    assert (out.kind, out.reason, out.incident.count, out.incident.notified_count) == (
        "opened",
        "",
        66,
        66,
    )
    quiet = summarize([c])
    assert (quiet.kind, quiet.incident.notified_count) == ("updated", 65)
    with pytest.raises(ValueError):
        summarize([])


def test_summarize_joins_escalation_reasons() -> None:
    inc = opened(severity="low", count=1)
    s1 = step(inc, detection(severity="medium", count=1, first=T0 + minutes(1)), NOW)
    s2 = step(s1.incident, detection(severity="medium", count=30, first=T0 + minutes(2)), NOW)
    assert (s1.reason, s2.reason) == ("severity", "count")
    assert summarize([s2, s1]).reason == "severity,count"


# --------------------------------------------------------------------- evidence
@pytest.mark.parametrize(
    ("before", "new", "keep", "drop"),
    [
        (0, 3, (0, 1, 2), (20, 20)),
        (0, 40, tuple(range(40)), (20, 20)),
        (0, 41, (*range(20), *range(21, 41)), (20, 21)),
        (35, 10, tuple(range(10)), (20, 25)),
        (18, 5, (0, 1, 2, 3, 4), (20, 20)),
        (40, 1, (0,), (20, 21)),
        (1000, 0, (), (20, 980)),
        (0, 100_000, (*range(20), *range(99_980, 100_000)), (20, 99_980)),
    ],
)
def test_evidence_plan(before: int, new: int, keep: tuple[int, ...], drop: tuple[int, int]) -> None:
    assert evidence_plan(before, new) == EvidencePlan(keep, *drop)


def test_evidence_plan_never_keeps_more_than_forty_positions() -> None:
    kept: set[int] = set()
    total = 0
    for n in [1, 7, 0, 30, 3, 100, 2, 50, 1]:
        plan = evidence_plan(total, n)
        kept = {p for p in kept if not plan.drop_from <= p < plan.drop_to}
        kept |= {total + i for i in plan.keep}
        total += n
        assert len(kept) <= 40
        assert kept == set(range(min(total, 20))) | set(range(max(20, total - 20), total))


# --------------------------------------------------------------------- timeline
def test_timeline_entries_merge_runs_of_quiet_steps() -> None:
    a = step(None, detection(count=5), NOW)
    b = step(a.incident, detection(count=1, first=T0 + minutes(1)), NOW)
    c = step(b.incident, detection(count=2, first=T0 + minutes(2)), NOW)
    d = step(c.incident, detection(count=80, first=T0 + minutes(3)), NOW)
    entries = timeline_entries([a, b, c, d])
    assert entries == [
        AutoEntry(
            "opened",
            "Phát hiện: Tấn công dò mật khẩu SSH (5 sự kiện) / "
            "Detected: SSH brute force (5 events)",
        ),
        AutoEntry(
            "updated",
            "Cập nhật: tổng 8 sự kiện, 3 lần phát hiện / Updated: 8 events, 3 detections in all",
        ),
        AutoEntry("escalated", "Số sự kiện tăng 5 → 88 / Event count rose 5 → 88"),
    ]


def test_timeline_entries_for_reopen_and_severity() -> None:
    resolved = replace(opened(severity="medium"), status="resolved", resolved_at=NOW)
    soon = NOW + timedelta(minutes=5)
    r = step(resolved, detection(severity="medium", count=4, first=soon), NOW)
    e = step(r.incident, detection(severity="critical", count=1, first=NOW), NOW)
    assert timeline_entries([r, e]) == [
        AutoEntry(
            "reopened",
            "Tái diễn sau khi đã khắc phục: thêm 4 sự kiện / "
            "Recurred after it was resolved: 4 more events",
            "resolved",
            "new",
        ),
        AutoEntry(
            "escalated",
            "Nâng mức độ trung bình → nghiêm trọng / Severity raised medium → critical",
        ),
    ]
