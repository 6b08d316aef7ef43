"""Per-incident checklists: planned at creation, stored, ticked off, rendered."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from incident_testkit import T0, detection, minutes

from secmon.clock import ManualClock, parse_timezone
from secmon.incidents.checklists import ChecklistPlan, PlannedStep
from secmon.incidents.model import IncidentError
from secmon.incidents.store import IncidentStore
from secmon.playbooks import load_playbooks, parse_deadline
from secmon.playbooks.checklist import (
    ChecklistError,
    checklist_planner,
    checklist_playbook,
    checklist_status,
    ensure_checklist,
    plan_checklist,
    render_incident_checklist,
    step_states,
)

DATA = Path(__file__).parent / "data" / "playbooks" / "minimal"
HANOI = parse_timezone("+07:00")


@pytest.fixture(scope="module")
def books():
    return load_playbooks([DATA])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0 + minutes(5))


@pytest.fixture
def store(tmp_path: Path, clock: ManualClock, books):
    with IncidentStore.open(
        tmp_path / "secmon.db", clock, plan_checklist=checklist_planner(books)
    ) as opened:
        yield opened


def steps_of(record) -> list[tuple]:
    return [(s.position, s.step_id, s.phase, s.deadline, s.done, s.by, s.note)
            for s in record.steps]


def test_a_new_incident_gets_its_playbook_and_checklist(store: IncidentStore) -> None:
    (change,) = store.record([detection(playbook=None)])
    incident = change.incident
    assert incident.playbook == "ssh"
    record = store.checklist(incident.id)
    assert record is not None
    assert record.playbook == "ssh"
    assert record.created_at == T0 + minutes(5)
    assert steps_of(record) == [
        (1, "verify", "detect", None, False, None, ""),
        (2, "ack", "detect", "acknowledged + 12h", False, None, ""),
        (3, "block", "contain", None, False, None, ""),
        (4, "notify", "report", "detected + 5d", False, None, ""),
        (5, "form-03", "report", "immediately", False, None, ""),
        (6, "form-04", "report", "resolved + 5d", False, None, ""),
        (7, "review", "review", None, False, None, ""),
    ]
    timeline = store.timeline(incident.id)
    assert [(e.kind, e.actor, e.text) for e in timeline] == [
        ("opened", "secmon",
         "Phát hiện: Tấn công dò mật khẩu SSH (10 sự kiện) / "
         "Detected: SSH brute force (10 events)"),
        ("checklist", "secmon",
         "Danh sách kiểm tra theo kịch bản «ssh» (7 bước) / "
         "Checklist from playbook 'ssh' (7 steps)"),
    ]


def test_the_category_fallback_and_the_rule_preference_choose_the_playbook(
    store: IncidentStore,
) -> None:
    changes = store.record([
        detection(category="scanning", ip="192.0.2.1", rule="web.scan", playbook=None),
        detection(category="scanning", ip="192.0.2.2", rule="web.scan", playbook="ssh"),
        detection(category="scanning", ip="192.0.2.3", rule="ssh.brute-force", playbook=None),
        detection(category="scanning", ip="192.0.2.4", rule="web.scan", playbook="missing"),
    ])
    assert [c.incident.playbook for c in changes] == ["generic", "ssh", "ssh", "generic"]
    assert [store.checklist(c.incident.id).total for c in changes] == [3, 7, 7, 3]


def test_updates_keep_the_checklist_and_reopen_keeps_its_state(
    store: IncidentStore, clock: ManualClock
) -> None:
    (opened,) = store.record([detection()])
    store.set_step(opened.incident.id, "verify", True, by="an", note="đã xem")
    clock.advance(minutes(1))
    (updated,) = store.record([detection(first=T0 + minutes(1), first_line=50)])
    assert updated.kind == "updated"
    assert updated.incident.id == opened.incident.id
    record = store.checklist(opened.incident.id)
    assert [(s.step_id, s.done) for s in record.steps][:2] == [("verify", True), ("ack", False)]
    assert len(store.checklists()) == 1


def test_done_and_undo_record_who_when_and_note_in_the_timeline(
    store: IncidentStore, clock: ManualClock
) -> None:
    (change,) = store.record([detection()])
    n = change.incident.id
    clock.advance(minutes(10))
    done = store.set_step(n, "block", True, by="  an  ", note=" chặn bằng ufw ")
    assert (done.step_id, done.done, done.by, done.at, done.note) == (
        "block", True, "an", T0 + minutes(15), "chặn bằng ufw"
    )
    clock.advance(minutes(1))
    undone = store.set_step(n, "block", False, by="binh")
    assert (undone.done, undone.by, undone.at, undone.note) == (
        False, "binh", T0 + minutes(16), ""
    )
    entries = [(e.kind, e.actor, e.at, e.text) for e in store.timeline(n)][2:]
    assert entries == [
        ("step_done", "an", T0 + minutes(15),
         "Đã xong bước «block» / Step 'block' done: chặn bằng ufw"),
        ("step_undone", "binh", T0 + minutes(16),
         "Bỏ đánh dấu bước «block» / Step 'block' marked not done"),
    ]
    assert store.get(n).updated_at == T0 + minutes(16)


def test_step_errors_say_what_to_do(store: IncidentStore) -> None:
    (change,) = store.record([detection()])
    n = change.incident.id
    with pytest.raises(IncidentError) as unknown:
        store.set_step(n, "blok", True, by="an")
    assert unknown.value.text["en"] == (
        f"incident #{n} (playbook ssh) has no step 'blok'; its steps are: "
        "verify, ack, block, notify, form-03, form-04, review"
    )
    with pytest.raises(IncidentError) as undo:
        store.set_step(n, "block", False, by="an")
    assert undo.value.text["en"] == (
        f"step 'block' of incident #{n} is not done; there is nothing to undo"
    )
    store.set_step(n, "block", True, by="an")
    with pytest.raises(IncidentError) as twice:
        store.set_step(n, "block", True, by="an")
    assert twice.value.text["en"] == (
        f"step 'block' of incident #{n} is already done (an, 2026-03-14T06:05:00.000000+00:00); "
        "use 'secmon playbook undo' first to record it again"
    )
    with pytest.raises(IncidentError) as nobody:
        store.set_step(n, "verify", True, by=" ")
    assert nobody.value.text["en"] == "say who is doing this (--by)"
    with pytest.raises(IncidentError) as missing:
        store.set_step(999, "verify", True, by="an")
    assert missing.value.text["en"] == "no incident #999"
    # nothing of the failed calls was stored
    assert [e.kind for e in store.timeline(n)] == ["opened", "checklist", "step_done"]


def test_an_incident_stored_without_a_planner_gets_its_checklist_on_first_use(
    tmp_path: Path, clock: ManualClock, books
) -> None:
    path = tmp_path / "secmon.db"
    with IncidentStore.open(path, clock) as plain:
        (change,) = plain.record([detection(playbook=None)])
        n = change.incident.id
        assert plain.checklist(n) is None
        with pytest.raises(IncidentError) as none_yet:
            plain.set_step(n, "verify", True, by="an")
        assert none_yet.value.text["en"] == (
            f"incident #{n} has no checklist yet; run 'secmon playbook show {n}' to create it"
        )
        record = ensure_checklist(plain, n, books, by="an")
        assert record.playbook == "ssh"
        assert plain.get(n).playbook == "ssh"
        again = ensure_checklist(plain, n, books)
        assert again == record
        assert [(e.kind, e.actor) for e in plain.timeline(n)] == [
            ("opened", "secmon"), ("checklist", "an")
        ]


def test_attach_keeps_an_existing_checklist(store: IncidentStore) -> None:
    (change,) = store.record([detection()])
    other = ChecklistPlan("generic", (PlannedStep("look", "detect"),))
    record = store.attach_checklist(change.incident.id, other)
    assert record.playbook == "ssh"
    assert record.total == 7


def test_deleting_an_incident_deletes_its_checklist(store: IncidentStore) -> None:
    (change,) = store.record([detection()])
    with store.transaction() as conn:
        conn.execute("DELETE FROM incidents WHERE id = ?", [change.incident.id])
    assert store.checklists() == {}
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM checklist_steps").fetchone() == (0,)


def test_regime_deadlines_replace_the_playbooks_own(books, store: IncidentStore) -> None:
    (change,) = store.record([detection()])
    incident = change.incident
    plan = plan_checklist(
        books, incident, {"notify": parse_deadline("detected + 3d"),
                          "review": parse_deadline("resolved + 10d")}
    )
    assert [(s.id, s.deadline) for s in plan.steps] == [
        ("verify", None),
        ("ack", "acknowledged + 12h"),
        ("block", None),
        ("notify", "detected + 3d"),
        ("form-03", "immediately"),
        ("form-04", "resolved + 5d"),
        ("review", "resolved + 10d"),
    ]


def test_status_counts_progress_overdue_and_due(store: IncidentStore, clock: ManualClock) -> None:
    (change,) = store.record([detection()])
    n = change.incident.id
    created = T0 + minutes(5)
    store.set_step(n, "verify", True, by="an")
    record = store.checklist(n)
    incident = store.get(n)

    early = checklist_status(record, incident, created + timedelta(hours=1))
    assert early.progress == "1/7"
    assert [(d.step_id, d.state, d.due) for d in early.deadlines] == [
        ("ack", "pending", None),
        ("notify", "pending", created + timedelta(days=5)),
        ("form-03", "urgent", created),
        ("form-04", "pending", None),
    ]
    assert early.overdue == ()
    assert early.next_due is not None and early.next_due.step_id == "notify"

    soon = checklist_status(record, incident, created + timedelta(days=4, hours=1))
    assert [d.step_id for d in soon.due_soon] == ["notify"]

    late = checklist_status(record, incident, created + timedelta(days=5, seconds=1))
    assert [d.step_id for d in late.overdue] == ["notify"]

    # ticked off after its due time: "late", not overdue
    clock.advance(timedelta(days=6))
    store.set_step(n, "notify", True, by="an")
    after = checklist_status(store.checklist(n), incident, clock.now())
    assert [(d.step_id, d.state) for d in after.deadlines if d.step_id == "notify"] == [
        ("notify", "late")
    ]
    assert after.overdue == ()

    # resolving fixes the final report's deadline; acknowledging the assignment's
    acked = replace(incident, acknowledged_at=created, resolved_at=created + timedelta(days=1))
    fixed = checklist_status(store.checklist(n), acked, created + timedelta(days=7))
    assert [(d.step_id, d.state) for d in fixed.overdue] == [("ack", "overdue"),
                                                            ("form-04", "overdue")]
    # a false positive owes nothing
    fp = replace(acked, status="false_positive")
    assert checklist_status(store.checklist(n), fp, created + timedelta(days=30)).overdue == ()


def test_render_shows_the_stored_state_and_only_the_stored_steps(
    store: IncidentStore, clock: ManualClock, books
) -> None:
    (change,) = store.record([detection()])
    n = change.incident.id
    store.set_step(n, "verify", True, by="an", note="xem <b>log</b>")
    text = render_incident_checklist(
        store, n, books, lang="en", fmt="text", now=clock.now(), tz=HANOI
    )
    assert "[x] 1. Verify 203.0.113.9 (verify)" in text
    assert "    Done: an, 2026-03-14 13:05:00 +07:00" in text
    assert "    Note: xem <b>log</b>" in text
    assert "  Progress: 1/7 steps done" in text
    html = render_incident_checklist(
        store, n, books, lang="vi", fmt="html", now=clock.now(), tz=HANOI
    )
    assert "xem &lt;b&gt;log&lt;/b&gt;" in html
    assert "<b>log</b>" not in html

    # a step the playbook no longer has is listed at the end, not dropped
    record = store.checklist(n)
    trimmed = replace(books.playbooks["ssh"],
                      steps=tuple(s for s in books.playbooks["ssh"].steps if s.id != "verify"))
    smaller = replace(books, playbooks={**books.playbooks, "ssh": trimmed})
    view = checklist_playbook(record, smaller)
    assert [s.id for s in view.steps] == ["ack", "block", "notify", "form-03", "form-04", "review"]
    assert set(step_states(record)) == {s.step_id for s in record.steps}


def test_a_checklist_whose_playbook_is_gone_says_what_to_do(store: IncidentStore, books) -> None:
    (change,) = store.record([detection()])
    record = store.checklist(change.incident.id)
    without = replace(books, playbooks={"generic": books.playbooks["generic"]})
    with pytest.raises(ChecklistError) as gone:
        checklist_playbook(record, without)
    assert gone.value.text["en"] == (
        f"incident #{change.incident.id} uses playbook 'ssh', which is no longer loaded; "
        "put its file back in the playbook folder"
    )


def test_render_uses_stored_deadlines(store: IncidentStore, books) -> None:
    (change,) = store.record([detection()])
    n = change.incident.id
    with store.transaction() as conn:
        conn.execute("UPDATE checklist_steps SET deadline = 'detected + 2d' "
                     "WHERE incident_id = ? AND step_id = 'notify'", [n])
    text = render_incident_checklist(
        store, n, books, lang="en", fmt="text",
        now=datetime(2026, 3, 20, tzinfo=UTC), tz=HANOI,
    )
    assert "    Due: 2026-03-16 13:05:00 +07:00 (2 days after detection)" in text
    assert "[ ] 4. Notify (notify)  <OVERDUE>" in text
