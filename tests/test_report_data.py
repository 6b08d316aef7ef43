"""Report contents: form values, check boxes, systems, summary figures, charts."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from playbooks_testkit import DETECTED, make_incident
from reports_testkit import CONFIG, REPORT_TIME, Scenario, build

from secmon.builtin import builtin_dir
from secmon.clock import parse_timezone
from secmon.config import load_settings
from secmon.config.model import Settings
from secmon.incidents.checklists import ChecklistRecord, StepRecord
from secmon.incidents.model import TimelineEntry
from secmon.playbooks import load_playbooks
from secmon.reports.charts import bar_chart, day_chart
from secmon.reports.data import _STEP_TEXT, build_incident_report, timeline_row
from secmon.reports.facts import IncidentFacts, gather_incident, match_systems
from secmon.reports.fields import FieldContext, condition_holds, value_of
from secmon.reports.regime_loader import load_regime
from secmon.reports.summary import _LOGIN_USER, _REQUEST_PATH, build_summary
from secmon.reports.text import fmt_duration

HANOI = parse_timezone("Asia/Ho_Chi_Minh")
SETTINGS = load_settings(CONFIG)


@pytest.fixture(scope="module")
def books():
    return load_playbooks([builtin_dir("playbooks")])


@pytest.fixture(scope="module")
def regime():
    return load_regime()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, books, regime) -> Scenario:
    built = build(tmp_path_factory.mktemp("data") / "secmon.db", books, regime)
    yield built
    built.store.close()


def facts_for(incident, checklist=None, systems=()) -> IncidentFacts:
    return IncidentFacts(incident, (), (), 0, checklist, None, {}, tuple(systems))


def context(facts: IncidentFacts, settings: Settings = SETTINGS, lang: str = "vi") -> FieldContext:
    return FieldContext(facts, settings, lang, HANOI, REPORT_TIME, "initial-report")


def test_systems_are_matched_by_host_and_domain() -> None:
    portal, mail = SETTINGS.systems
    web = make_incident("webshell", hosts=(),
                        key={"src_ip": "198.51.100.23", "vhost": "DongHa.QuangTri.gov.vn"})
    assert match_systems(web, SETTINGS.systems) == (portal,)  # vhost in the portal's domains
    on_mail = make_incident("brute-force", hosts=("MAIL",))
    assert match_systems(on_mail, SETTINGS.systems) == (mail,)
    elsewhere = make_incident("brute-force", hosts=("db1",))
    assert match_systems(elsewhere, SETTINGS.systems) == ()
    assert match_systems(elsewhere, (mail,)) == (mail,)  # the only system: it is the one
    both = make_incident("brute-force", hosts=("mail", "portal"))
    assert match_systems(both, SETTINGS.systems) == (portal, mail)


def test_values_come_from_config_incident_and_checklist() -> None:
    portal, _ = SETTINGS.systems
    incident = make_incident("brute-force", resolved_at=DETECTED + timedelta(days=1),
                             status="resolved")
    steps = (
        StepRecord(42, 1, "verify", "detect", None, True, "an", DETECTED, "đã xem"),
        StepRecord(42, 2, "initial-report", "report", "immediately", True, "an",
                   DETECTED + timedelta(hours=2)),
        StepRecord(42, 3, "review", "review", None),
    )
    facts = facts_for(incident, ChecklistRecord(42, "ssh-brute-force", DETECTED, steps),
                      [portal])
    vi, en = context(facts), context(facts, lang="en")
    assert value_of("system.summary", vi) == (
        "Cổng thông tin điện tử phường Đông Hà (dongha.quangtri.gov.vn; 203.0.113.10)")
    assert value_of("system.level", en) == "Level 2"
    assert value_of("system.controls", vi) == (
        "ModSecurity CRS, tường lửa ufw, fail2ban, sao lưu hằng ngày")
    assert value_of("contact.summary", en) == (
        "Nguyễn Văn An, Chuyên viên CNTT, 0912 345 678, an.nv@dongha.quangtri.gov.vn")
    assert value_of("incident.detected", vi) == "13:20 ngày 14/03/2026 (UTC+07:00)"
    assert value_of("incident.detected_date", en) == "2026-03-14"
    assert value_of("incident.detected_time", en) == "13:20"
    assert value_of("incident.resolved", en) == "2026-03-15 13:20 (UTC+07:00)"
    assert value_of("report.initial_date", vi) == "14/03/2026"
    assert value_of("incident.handling", en) == (
        "Status: resolved.\n2 of 3 checklist steps done:\n- verify (đã xem)\n- initial-report")
    assert value_of("incident.description", en) == (
        "SSH brute force (category: brute force; severity: high). 57 matching log lines from "
        "2026-03-14 13:10 (UTC+07:00) to 2026-03-14 13:19 (UTC+07:00) on host portal. "
        "Involved: src_ip=203.0.113.9.")


def test_unknown_values_stay_blank_never_invented() -> None:
    facts = facts_for(make_incident("brute-force"))
    empty = Settings()
    ctx = context(facts, empty, "en")
    for name in ("org.name", "contact.summary", "operator", "owner", "system.name",
                 "system.level", "system.controls", "isp", "incident.resolved",
                 "report.initial_date", "signer.name"):
        assert value_of(name, ctx) is None, name


def test_conditions_tick_boxes_from_status_and_checklist() -> None:
    steps = (StepRecord(42, 1, "notify", "report", "detected + 5d", True, "an", DETECTED),)
    record = ChecklistRecord(42, "generic", DETECTED, steps)
    cases = {
        "acknowledged": {"always": True, "open": True, "closed": False,
                         "status:acknowledged": True, "done:notify": True, "done:review": False},
        "resolved": {"open": False, "closed": True, "status:resolved": True},
        "false_positive": {"open": False, "closed": False},
    }
    for status, expected in cases.items():
        ctx = context(facts_for(make_incident(status=status), record))
        assert {name: condition_holds(name, ctx) for name in expected} == expected, status
    assert condition_holds("done:notify", context(facts_for(make_incident()))) is False


def test_form_03_ticks_detection_by_secmon_and_the_current_status(scenario, books,
                                                                   regime) -> None:
    facts = gather_incident(scenario.store, 3, books, SETTINGS.systems, regime.step_deadlines())
    report = build_incident_report(facts, regime, "initial", SETTINGS, lang="en", tz=HANOI,
                                   now=REPORT_TIME)
    boxes = {f.label: f.choices for s in report.sections for f in s.fields if f.choices}
    assert boxes["Status"] == (("Handled", True), ("Being handled", False),
                               ("Not handled yet; support needed", False))
    assert boxes["Detected by"][0] == ("Log monitoring and analysis (secmon)", True)
    assert not any(ticked for _, ticked in boxes["Sent to"])  # never guessed
    assert report.sent == "binh, 2026-03-14 13:45 (UTC+07:00)"
    assert report.due == ("immediately — At once when the incident may be beyond the unit's "
                          "capability")
    assert [r.name for r in report.recipients] == [
        "Chủ tịch UBND phường Đông Hà", "Sở Khoa học và Công nghệ tỉnh Quảng Trị", None]
    assert report.checklist_progress == "6 of 14 steps done."
    assert [(r.step_id, r.mark) for r in report.checklist if r.mark] == [
        ("final-report", "late"), ("review", "overdue")]


def test_the_summary_counts_the_period(scenario, regime) -> None:
    store = scenario.store
    incidents = store.list_incidents()
    evidence = {i.id: store.evidence(i.id) for i in incidents}
    summary = build_summary(incidents, store.checklists(), evidence, regime, SETTINGS,
                            start=date(2026, 3, 14), end=date(2026, 3, 15), lang="en",
                            tz=HANOI, now=REPORT_TIME, period=None)
    assert (summary.total, summary.open, summary.resolved, summary.false_positive) == (3, 1, 2, 1)
    assert [(r.key, r.count) for r in summary.by_category] == [
        ("brute-force", 1), ("webshell", 1), ("account-compromise", 1)]
    assert summary.by_day == ((date(2026, 3, 14), 3), (date(2026, 3, 15), 0))
    assert [(r.value, r.incidents, r.events) for r in summary.top_ips] == [
        ("203.0.113.50", 1, 120), ("203.0.113.70", 1, 7), ("203.0.113.77", 1, 3)]
    assert [(r.value, r.events) for r in summary.top_paths] == [("/uploads/2026/03/anh.php", 2)]
    assert [(r.value, r.events) for r in summary.top_users] == [
        ("canbo", 3), ("admin", 2), ("root", 2)]
    assert (summary.mtta, summary.mttr) == ("23 min", "2 d 13 h")
    assert (summary.steps_done, summary.steps_total, summary.checklists_complete,
            summary.checklists) == (11, 38, 0, 3)
    assert [(r.incident_id, r.report, r.state) for r in summary.overdue] == [
        (1, "Final incident response report", "overdue"),
        (1, "Step: review", "overdue"),
        (2, "Network information security incident notification", "overdue"),
        (3, "Final incident response report", "late"),
        (3, "Step: review", "overdue"),
    ]
    with pytest.raises(ValueError, match="ends"):
        build_summary(incidents, {}, {}, regime, SETTINGS, start=date(2026, 3, 2),
                      end=date(2026, 3, 1), lang="en", tz=HANOI, now=REPORT_TIME)


def test_period_days_follow_the_display_time_zone(regime) -> None:
    # 17:30 UTC on 31 March is 00:30 on 1 April in Hanoi
    late = make_incident(first_seen=datetime(2026, 3, 31, 17, 30, tzinfo=UTC))
    march = build_summary([late], {}, {}, regime, SETTINGS, start=date(2026, 3, 1),
                          end=date(2026, 3, 31), lang="vi", tz=HANOI, now=REPORT_TIME)
    april = build_summary([late], {}, {}, regime, SETTINGS, start=date(2026, 4, 1),
                          end=date(2026, 4, 30), lang="vi", tz=HANOI, now=REPORT_TIME)
    assert (march.total, april.total) == (0, 1)
    assert april.by_day[0] == (date(2026, 4, 1), 1)


def test_timeline_rows_speak_one_language() -> None:
    at = datetime(2026, 3, 14, 6, 0, tzinfo=UTC)
    auto = TimelineEntry(1, at, "opened", "secmon",
                         "Phát hiện: X (3 sự kiện) / Detected: X (3 events)")
    assert timeline_row(auto, "en", HANOI).text == "Detected: X (3 events)"
    assert timeline_row(auto, "vi", HANOI).kind == ""
    step = TimelineEntry(1, at, "step_done", "an",
                         "Đã xong bước «notify» / Step 'notify' done: gửi / sent / xong")
    row = timeline_row(step, "en", HANOI, {})
    assert (row.kind, row.text) == ("step done", "notify: gửi / sent / xong")
    status = TimelineEntry(1, at, "status", "an", "ok", "new", "resolved")
    assert timeline_row(status, "vi", HANOI).text == "mới → đã khắc phục. ok"
    note = TimelineEntry(1, at, "note", "an", "a / b")  # a person's words are kept whole
    assert timeline_row(note, "en", HANOI).text == "a / b"


def test_fixed_patterns_stay_linear_on_a_hostile_64_kib_line() -> None:
    hostile = [
        '"GET /' + "a" * 65_536,
        "Failed " + "p" * 65_536,
        "Failed password for " + "x" * 65_536,
        "Invalid user " + " " * 65_536,
        ("Đã xong bước «" + "a" * 65_536 + "» / Step 'x' done: "),
    ]
    for line in hostile:
        start = time.perf_counter()
        _REQUEST_PATH.search(line)
        _LOGIN_USER.search(line)
        _STEP_TEXT.fullmatch(line)
        assert time.perf_counter() - start < 0.5


def test_charts_are_deterministic_and_escape_labels() -> None:
    rows = [("<b>web</b> & co", 3), ("dò quét", 1)]
    svg = bar_chart(rows, "Loại \"sự cố\"")
    assert svg == bar_chart(rows, "Loại \"sự cố\"")
    assert "<b>" not in svg
    assert "&lt;b&gt;web&lt;/b&gt; &amp; co" in svg
    assert 'aria-label="Loại &#34;sự cố&#34;"' in svg
    assert '<rect x="210" y="32" width="380" height="16"' in svg  # the longest bar is full
    assert '<rect x="210" y="56" width="126.7" height="16"' in svg
    days = [(date(2026, 3, 1) + timedelta(d), d % 3) for d in range(31)]
    chart = day_chart(days, "Theo ngày")
    assert chart.count("<rect") == 20  # days with incidents only
    assert chart.count("<text") == 1 + 2 + 5  # title, y axis, one label per Monday
    assert ">01/03</text>" not in chart  # a Sunday just before Monday's label
    assert ">02/03</text>" in chart
    thursday = day_chart([(date(2026, 1, 1) + timedelta(d), 0) for d in range(20)], "x")
    assert ">01/01</text>" in thursday
    empty = bar_chart([], "Không có")
    assert ">—</text>" in empty


def test_durations_read_naturally() -> None:
    assert fmt_duration(None, "vi") == "—"
    assert fmt_duration(timedelta(seconds=30), "en") == "0 min"
    assert fmt_duration(timedelta(minutes=75), "vi") == "1 giờ 15 phút"
    assert fmt_duration(timedelta(days=2, hours=3, minutes=5), "en") == "2 d 3 h"
    assert fmt_duration(timedelta(days=1, minutes=5), "en") == "1 d 5 min"


def test_the_report_uses_the_checklists_stored_deadline(scenario, books, regime) -> None:
    facts = gather_incident(scenario.store, 2, books, SETTINGS.systems, regime.step_deadlines())
    stored = facts.checklist.step("notify")
    facts = replace(facts, checklist=replace(facts.checklist, steps=tuple(
        replace(s, deadline="detected + 2d") if s is stored else s
        for s in facts.checklist.steps)))
    report = build_incident_report(facts, regime, "notification", SETTINGS, lang="en", tz=HANOI,
                                   now=REPORT_TIME)
    assert report.due.startswith("2026-03-16 13:00 (UTC+07:00) — Within 5 days")
