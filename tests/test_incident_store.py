"""The SQLite incident store, on real files in tmp_path with a manual clock."""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from incident_testkit import AUTH_LOG, T0, TITLE, detection, event, minutes

from secmon.clock import ManualClock
from secmon.events import Checkpoint, Event
from secmon.incidents.model import (
    EvidenceLine,
    Incident,
    IncidentChange,
    IncidentError,
    IncidentStats,
    StoreError,
    TimelineEntry,
    TransitionError,
    UnknownIncidentError,
)
from secmon.incidents.store import IncidentStore

NOW = T0 + minutes(30)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "secmon" / "secmon.db"


@pytest.fixture
def store(db_path: Path, clock: ManualClock) -> Iterator[IncidentStore]:
    with IncidentStore.open(db_path, clock) as opened:
        yield opened


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return list(conn.execute(sql))


def table_counts(path: Path) -> dict[str, int]:
    names = ["incidents", "detections", "evidence", "timeline", "checkpoints", "state"]
    return {name: rows(path, f"SELECT COUNT(*) FROM {name}")[0][0] for name in names}  # type: ignore[misc]


# ----------------------------------------------------------------------- opening
def test_open_creates_private_folders_and_file_in_wal_mode(db_path: Path, clock: ManualClock):
    with IncidentStore.open(db_path, clock) as store:
        assert store.path == db_path
        journal = store._db_().execute("PRAGMA journal_mode").fetchone()[0]
        keys = store._db_().execute("PRAGMA foreign_keys").fetchone()[0]
        busy = store._db_().execute("PRAGMA busy_timeout").fetchone()[0]
    assert (journal, keys, busy) == ("wal", 1, 10_000)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700


def test_closed_store_says_so(db_path: Path, clock: ManualClock) -> None:
    store = IncidentStore(db_path, clock)
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StoreError) as info:
        store.list_incidents()
    assert str(info.value) == f"the incident store {db_path} is closed"


def test_file_that_is_not_a_database_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Mar 14 06:00:01 portal sshd[811]: this is a log, not a database\n" * 20)
    with pytest.raises(StoreError) as info:
        IncidentStore.open(path, clock)
    assert str(info.value) == f"{path} is not an SQLite database; choose another path"
    assert (
        info.value.text["vi"] == f"{path} không phải cơ sở dữ liệu SQLite; hãy chọn đường dẫn khác"
    )


def test_other_programs_database_is_refused(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(StoreError) as info:
        IncidentStore.open(path, clock)
    assert str(info.value) == (
        f"{path} is an SQLite database but not secmon's (it has tables users); choose another path"
    )
    assert rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("users",)]


def test_folder_that_cannot_be_created(tmp_path: Path, clock: ManualClock) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError) as info:
        IncidentStore.open(blocker / "secmon.db", clock)
    assert str(info.value) == (
        f"cannot create {blocker / 'secmon.db'}: File exists; "
        "check the folder's permissions or use --db"
    )


# ---------------------------------------------------------------------- record
def test_first_detection_opens_an_incident(store: IncidentStore) -> None:
    changes = store.record([detection(count=12, last=T0 + minutes(4), lines=3)])
    expected = Incident(
        id=1,
        category="brute-force",
        severity="high",
        status="new",
        key={"src_ip": "203.0.113.9"},
        title=TITLE,
        rule_ids=("ssh.brute-force",),
        first_seen=T0,
        last_seen=T0 + minutes(4),
        count=12,
        detections=1,
        created_at=NOW,
        updated_at=NOW,
        playbook="brute-force",
        assignee=None,
        hosts=("portal",),
        sources=(AUTH_LOG,),
        notified_count=12,
        evidence_total=3,
    )
    assert changes == [IncidentChange("opened", expected)]
    assert changes[0].alertable
    assert store.get(1) == expected
    assert store.get(1).first_seen.tzinfo == UTC
    assert store.timeline(1) == [
        TimelineEntry(
            1,
            NOW,
            "opened",
            "secmon",
            "Phát hiện: Tấn công dò mật khẩu SSH (12 sự kiện) / "
            "Detected: SSH brute force (12 events)",
        )
    ]
    assert [(e.line_no, e.time, e.rule_id, e.position) for e in store.evidence(1)] == [
        (1, T0, "ssh.brute-force", 0),
        (2, T0 + minutes(2), "ssh.brute-force", 1),
        (3, T0 + minutes(4), "ssh.brute-force", 2),
    ]
    assert store.evidence(1)[0] == EvidenceLine(
        1, T0, AUTH_LOG, 1, event(1).raw, "ssh.brute-force", 0
    )


def test_same_category_and_key_update_one_incident(store: IncidentStore, clock: ManualClock):
    store.record([detection(count=10)])
    clock.advance(minutes(1))
    changes = store.record(
        [
            detection(count=10, first=T0 + minutes(5), rule="ssh.invalid-user", severity="medium"),
            detection(count=10, ip="198.51.100.7"),  # other key
            detection(count=10, category="scanning", rule="scan.ssh"),  # same key, other category
        ]
    )
    assert [(c.kind, c.incident.id, c.previous_count) for c in changes] == [
        ("updated", 1, 10),
        ("opened", 2, 0),
        ("opened", 3, 0),
    ]
    one = store.get(1)
    assert (one.count, one.detections, one.severity) == (20, 2, "high")
    assert one.rule_ids == ("ssh.brute-force", "ssh.invalid-user")
    assert (one.first_seen, one.last_seen, one.updated_at) == (
        T0,
        T0 + minutes(5),
        NOW + minutes(1),
    )
    assert changes[0].previous_severity == "high"
    assert not changes[0].alertable


def test_rescan_of_the_same_file_creates_and_changes_nothing(
    store: IncidentStore, db_path: Path, clock: ManualClock
) -> None:
    scan = [detection(first=T0 + minutes(i), count=10, first_line=i * 10) for i in range(5)]
    scan += [detection(ip="198.51.100.7", count=3)]
    first = store.record(scan, [Checkpoint(AUTH_LOG, 2049, 77, 5000, "ab12")])
    assert [c.kind for c in first] == ["opened", "opened"]
    before = table_counts(db_path)
    snapshot = store.list_incidents()
    clock.advance(timedelta(hours=2))
    assert store.record(scan) == []
    assert store.record(list(reversed(scan))) == []
    assert table_counts(db_path) == before
    assert store.list_incidents() == snapshot
    assert before == {
        "incidents": 2,
        "detections": 6,
        "evidence": 12,
        "timeline": 3,  # opened, updated (x4 merged into one), opened
        "checkpoints": 1,
        "state": 0,
    }


def test_duplicate_within_one_call_counts_once(store: IncidentStore) -> None:
    changes = store.record([detection(count=7), detection(count=7)])
    assert [(c.kind, c.incident.count, c.incident.detections) for c in changes] == [
        ("opened", 7, 1)
    ]


def test_one_change_per_incident_per_call(store: IncidentStore) -> None:
    dets = [detection(count=5, first=T0 + minutes(i), first_line=10 * i) for i in range(12)]
    changes = store.record(dets)
    assert len(changes) == 1
    assert (changes[0].kind, changes[0].incident.count) == ("opened", 60)
    assert changes[0].incident.notified_count == 60  # the alert shows 60
    assert [e.kind for e in store.timeline(1)] == ["opened", "updated", "escalated", "updated"]


def test_severity_rise_escalates(store: IncidentStore, clock: ManualClock) -> None:
    store.record([detection(severity="medium", count=10, rule="web.sqli")])
    clock.advance(minutes(1))
    [change] = store.record([detection(severity="critical", count=1, first=T0 + minutes(1))])
    assert (change.kind, change.previous_severity, change.previous_count) == (
        "escalated",
        "medium",
        10,
    )
    assert change.fields == {"reason": "severity"}
    assert change.alertable
    assert change.incident.severity == "critical"
    assert store.timeline(1)[-1] == TimelineEntry(
        1,
        NOW + minutes(1),
        "escalated",
        "secmon",
        "Nâng mức độ trung bình → nghiêm trọng / Severity raised medium → critical",
    )
    # the same severity again is a plain update
    [again] = store.record([detection(severity="critical", count=1, first=T0 + minutes(2))])
    assert again.kind == "updated"


def test_count_escalation_at_ten_times_the_last_alert(store: IncidentStore) -> None:
    store.record([detection(count=10)])
    kinds = []
    for i, count in enumerate([40, 49, 1, 500, 399, 1], start=1):
        [change] = store.record([detection(count=count, first=T0 + minutes(i))])
        kinds.append((change.kind, change.incident.count, change.incident.notified_count))
    assert kinds == [
        ("updated", 50, 10),
        ("updated", 99, 10),
        ("escalated", 100, 100),
        ("updated", 600, 100),
        ("updated", 999, 100),
        ("escalated", 1000, 1000),
    ]
    assert [e.kind for e in store.timeline(1)] == [
        "opened",
        "updated",
        "escalated",
        "updated",
        "escalated",
    ]
    assert store.timeline(1)[2].text == "Số sự kiện tăng 10 → 100 / Event count rose 10 → 100"


def test_reopen_after_resolution(store: IncidentStore, clock: ManualClock) -> None:
    store.record([detection(count=10)])
    store.acknowledge(1, by="lan")
    clock.advance(timedelta(hours=1))
    resolved_at = clock.now()
    store.resolve(1, by="lan", note="blocked on the firewall")
    clock.advance(timedelta(days=3))
    seen = resolved_at + timedelta(hours=2)
    [change] = store.record([detection(count=4, first=seen, last=seen)])
    assert (change.kind, change.previous_count, change.incident.id) == ("reopened", 10, 1)
    inc = change.incident
    assert (inc.status, inc.count, inc.notified_count) == ("new", 14, 14)
    assert (inc.acknowledged_at, inc.resolved_at) == (None, None)
    assert store.timeline(1)[-1] == TimelineEntry(
        1,
        clock.now(),
        "reopened",
        "secmon",
        "Tái diễn sau khi đã khắc phục: thêm 4 sự kiện / "
        "Recurred after it was resolved: 4 more events",
        "resolved",
        "new",
    )


def test_reopen_window_for_late_and_old_logs(db_path: Path, clock: ManualClock) -> None:
    with IncidentStore.open(db_path, clock, reopen_within=timedelta(hours=6)) as store:
        store.record([detection(count=10)])
        store.resolve(1, by="lan")  # at NOW
        late = NOW - timedelta(hours=5)  # logs from before the resolution
        [change] = store.record([detection(count=2, first=late, first_line=50)])
        assert (change.kind, change.incident.id) == ("suppressed", 1)
        assert (store.get(1).status, store.get(1).count) == ("resolved", 12)
        soon = NOW + timedelta(hours=5)  # back within the window: reopened
        [change] = store.record([detection(count=2, first=soon, first_line=55)])
        assert (change.kind, change.incident.id) == ("reopened", 1)
        store.resolve(1, by="lan")
        much_later = NOW + timedelta(hours=7)  # past the window: a new incident
        [change] = store.record([detection(count=2, first=much_later, first_line=60)])
        assert (change.kind, change.incident.id) == ("opened", 2)
        assert store.get(1).status == "resolved"
        # the newest incident of the key is now #2 (open): later activity goes there
        [change] = store.record([detection(count=1, first=NOW, first_line=70)])
        assert (change.kind, change.incident.id) == ("updated", 2)


def test_false_positive_absorbs_silently(store: IncidentStore, clock: ManualClock) -> None:
    store.record([detection(count=10)])
    store.resolve(1, by="lan", note="our own scanner", false_positive=True)
    clock.advance(timedelta(days=30))
    changes = []
    for i in range(3):
        later = NOW + timedelta(days=30, minutes=i)
        changes += store.record([detection(count=100, severity="critical", first=later)])
    assert [(c.kind, c.alertable) for c in changes] == [("suppressed", False)] * 3
    inc = store.get(1)
    assert (inc.status, inc.count, inc.detections, inc.notified_count) == (
        "false_positive",
        310,
        4,
        10,
    )
    assert [e.kind for e in store.timeline(1)] == ["opened", "status", "suppressed"]
    assert store.timeline(1)[-1].text == (
        "Cảnh báo nhầm, không báo: tổng 310 sự kiện / "
        "False positive, not alerted: 310 events in all"
    )


def test_evidence_bounded_for_100000_lines_in_one_call(store: IncidentStore, db_path: Path):
    # one attack series: 1,000 detections of 100 evidence lines each
    series = []
    for i in range(1000):
        at = T0 + timedelta(seconds=i)
        lines = tuple(
            Event(at, AUTH_LOG, "syslog", "m", f"line {n}", "portal", "sshd", {}, n, n * 80)
            for n in range(i * 100 + 1, i * 100 + 101)
        )
        series.append(replace(detection(count=100, first=at), evidence=lines))
    [change] = store.record(series)
    assert (change.incident.count, change.incident.detections) == (100_000, 1000)
    assert store.evidence_total(1) == 100_000
    kept = store.evidence(1)
    assert len(kept) == 40
    assert [e.position for e in kept] == [*range(20), *range(99_980, 100_000)]
    assert [e.line_no for e in kept] == [*range(1, 21), *range(99_981, 100_001)]
    assert [e.raw for e in kept[19:21]] == ["line 20", "line 99981"]
    assert rows(db_path, "SELECT COUNT(*) FROM evidence") == [(40,)]
    # and it goes on being bounded
    store.record([detection(count=1, lines=3, first=T0 + timedelta(hours=1), first_line=7)])
    assert store.evidence_total(1) == 100_003
    assert [e.position for e in store.evidence(1)][18:22] == [18, 19, 99_983, 99_984]
    assert rows(db_path, "SELECT COUNT(*) FROM evidence") == [(40,)]


def test_evidence_bounded_over_many_calls(store: IncidentStore, db_path: Path) -> None:
    for i in range(300):
        store.record([detection(count=10, lines=10, first=T0 + minutes(i), first_line=i * 10 + 1)])
        kept = store._db_().execute("SELECT COUNT(*) FROM evidence").fetchone()[0]
        assert kept == min(40, (i + 1) * 10)
    assert store.evidence_total(1) == 3000
    assert [e.line_no for e in store.evidence(1)] == [*range(1, 21), *range(2981, 3001)]
    # quiet updates between alerts are merged: 6 entries for 300 detections
    assert [e.text.split(" / ")[1] for e in store.timeline(1)] == [
        "Detected: SSH brute force (10 events)",
        "Updated: 90 events, 9 detections in all",
        "Event count rose 10 → 100",
        "Updated: 990 events, 99 detections in all",
        "Event count rose 100 → 1000",
        "Updated: 3000 events, 300 detections in all",
    ]


def test_hostile_64k_line_is_stored_cut_and_clean(store: IncidentStore) -> None:
    hostile = "Failed password for '; DROP TABLE incidents; --\x00\udcff" + "A" * 65_536
    det = detection(count=1, lines=1)
    det = replace(det, evidence=(replace(det.evidence[0], raw=hostile),))
    store.record([det])
    [line] = store.evidence(1)
    cut = len(hostile) - 8192
    assert cut == 57_393
    assert line.raw == hostile[:8192].replace("\udcff", "?") + "…[+57393 ký tự / chars]"
    assert store.get(1).status == "new"


def test_record_is_one_transaction(store: IncidentStore, db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON checkpoints "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
    with pytest.raises(sqlite3.IntegrityError, match="disk trouble"):
        store.record(
            [detection()], [Checkpoint(AUTH_LOG, 1, 2, 300, "f")], {"engine": '{"windows": []}'}
        )
    assert table_counts(db_path) == dict.fromkeys(
        ["incidents", "detections", "evidence", "timeline", "checkpoints", "state"], 0
    )
    assert store.load_state("engine") is None


def test_bad_detection_is_refused_before_anything_is_written(store: IncidentStore) -> None:
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        store.record([detection(), detection(severity="urgent")])
    assert store.list_incidents() == []


# ------------------------------------------------------------ checkpoints, state
def test_checkpoints_and_state_are_written_through_record(store: IncidentStore) -> None:
    assert store.load_checkpoints() == {}
    assert store.load_state("engine") is None
    first = Checkpoint(AUTH_LOG, 2049, 77, 5000, "ab12")
    other = Checkpoint("/var/log/nginx/access.log", 2049, 80, 10, "cd34")
    assert store.record([], [first, other], {"engine": '{"v": 1}'}) == []
    moved = replace(first, offset=9000)
    store.record([detection()], [moved], {"engine": '{"v": 2}', "absence": "{}"})
    assert store.load_checkpoints() == {AUTH_LOG: moved, other.source: other}
    assert (store.load_state("engine"), store.load_state("absence")) == ('{"v": 2}', "{}")
    with pytest.raises(ValueError, match="state 'engine' must be JSON text, not dict"):
        store.record([], state={"engine": {"v": 3}})  # type: ignore[dict-item]


# -------------------------------------------------------------------- queries
def test_get_unknown_incident(store: IncidentStore) -> None:
    for call in (store.get, store.timeline, store.evidence, store.evidence_total):
        with pytest.raises(UnknownIncidentError) as info:
            call(42)
        assert str(info.value) == "no incident #42"
        assert info.value.text == {"vi": "không có sự cố #42", "en": "no incident #42"}
        assert info.value.incident_id == 42
    with pytest.raises(UnknownIncidentError, match="no incident #7"):
        store.acknowledge(7, by="lan")


def test_list_incidents_filters_and_order(store: IncidentStore) -> None:
    store.record(
        [
            detection(ip="192.0.2.1", severity="low", first=T0 + minutes(1)),
            detection(ip="192.0.2.2", severity="critical", first=T0 + minutes(3)),
            detection(ip="192.0.2.3", severity="medium", first=T0 + minutes(2)),
            detection(ip="192.0.2.4", severity="high", first=T0 + minutes(3)),
        ]
    )
    store.acknowledge(3, by="lan")
    store.resolve(4, by="lan")

    def ids(**kw: object) -> list[int]:
        return [i.id for i in store.list_incidents(**kw)]  # type: ignore[arg-type]

    assert ids() == [4, 2, 3, 1]
    assert ids(status=["new"]) == [2, 1]
    assert ids(status=["new", "acknowledged"]) == [2, 3, 1]
    assert ids(status=[]) == []
    assert ids(min_severity="high") == [4, 2]
    assert ids(min_severity="info") == [4, 2, 3, 1]
    assert ids(since=T0 + minutes(2)) == [4, 2, 3]
    hanoi = ZoneInfo("Asia/Ho_Chi_Minh")
    assert ids(since=(T0 + minutes(2)).astimezone(hanoi)) == [4, 2, 3]
    assert ids(limit=2) == [4, 2]
    assert ids(status=["new"], min_severity="medium", limit=5) == [2]
    with pytest.raises(ValueError, match="unknown status 'open'; use one of new, ack"):
        store.list_incidents(status=["open"])
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        store.list_incidents(min_severity="urgent")


def test_stats(store: IncidentStore) -> None:
    assert store.stats() == IncidentStats(
        dict.fromkeys(["new", "acknowledged", "contained", "resolved", "false_positive"], 0),
        dict.fromkeys(["info", "low", "medium", "high", "critical"], 0),
        dict.fromkeys(["info", "low", "medium", "high", "critical"], 0),
        0,
    )
    store.record(
        [
            detection(ip=f"192.0.2.{i}", severity=sev)
            for i, sev in enumerate(["low", "high", "high"])
        ]
    )
    store.resolve(2, by="lan")
    stats = store.stats()
    assert stats.total == 3
    assert stats.by_status == {
        "new": 2,
        "acknowledged": 0,
        "contained": 0,
        "resolved": 1,
        "false_positive": 0,
    }
    assert stats.by_severity == {"info": 0, "low": 1, "medium": 0, "high": 2, "critical": 0}
    assert stats.open_by_severity == {"info": 0, "low": 1, "medium": 0, "high": 1, "critical": 0}


# ------------------------------------------------------------------ lifecycle
def test_lifecycle_path_sets_times_and_writes_the_timeline(
    store: IncidentStore, clock: ManualClock
) -> None:
    store.record([detection()])
    clock.advance(minutes(5))
    acked = store.acknowledge(1, by="lan", note="đang xem")
    assert (acked.status, acked.acknowledged_at, acked.updated_at) == (
        "acknowledged",
        NOW + minutes(5),
        NOW + minutes(5),
    )
    clock.advance(minutes(5))
    contained = store.contain(1, by="minh", note="chặn IP trên tường lửa")
    assert (contained.status, contained.contained_at) == ("contained", NOW + minutes(10))
    assert contained.acknowledged_at == NOW + minutes(5)  # first response kept
    clock.advance(minutes(50))
    resolved = store.resolve(1, by="lan")
    assert (resolved.status, resolved.resolved_at) == ("resolved", NOW + minutes(60))
    clock.advance(minutes(5))
    reopened = store.reopen(1, by="lan", note="the attacker came back")
    assert reopened.status == "new"
    assert (reopened.acknowledged_at, reopened.contained_at, reopened.resolved_at) == (
        None,
        None,
        None,
    )
    assert store.timeline(1)[1:] == [
        TimelineEntry(1, NOW + minutes(5), "status", "lan", "đang xem", "new", "acknowledged"),
        TimelineEntry(
            1,
            NOW + minutes(10),
            "status",
            "minh",
            "chặn IP trên tường lửa",
            "acknowledged",
            "contained",
        ),
        TimelineEntry(1, NOW + minutes(60), "status", "lan", "", "contained", "resolved"),
        TimelineEntry(
            1, NOW + minutes(65), "reopened", "lan", "the attacker came back", "resolved", "new"
        ),
    ]


def test_resolve_without_acknowledging_counts_as_first_response(
    store: IncidentStore, clock: ManualClock
) -> None:
    store.record([detection(), detection(ip="192.0.2.1")])
    clock.advance(minutes(7))
    fp = store.resolve(1, by="lan", note="our scanner", false_positive=True)
    assert (fp.status, fp.acknowledged_at, fp.resolved_at) == (
        "false_positive",
        NOW + minutes(7),
        NOW + minutes(7),
    )
    contained = store.contain(2, by="lan")
    assert (contained.acknowledged_at, contained.contained_at) == (
        NOW + minutes(7),
        NOW + minutes(7),
    )


@pytest.mark.parametrize(
    ("setup", "action", "message", "vi"),
    [
        (
            ["resolve"],
            "acknowledge",
            "incident #1 is resolved; reopen it first",
            "sự cố #1 đang ở trạng thái «đã khắc phục»; hãy mở lại trước",
        ),
        (["resolve"], "contain", "incident #1 is resolved; reopen it first", None),
        (["resolve"], "resolve", "incident #1 is resolved; reopen it first", None),
        (["resolve"], "false_positive", "incident #1 is resolved; reopen it first", None),
        (
            ["false_positive"],
            "contain",
            "incident #1 is marked false positive; reopen it first",
            "sự cố #1 đang ở trạng thái «cảnh báo nhầm»; hãy mở lại trước",
        ),
        (
            ["acknowledge"],
            "acknowledge",
            "incident #1 is already acknowledged",
            "sự cố #1 đã ở trạng thái «đã tiếp nhận»",
        ),
        (["contain"], "contain", "incident #1 is already contained", None),
        (
            ["contain"],
            "acknowledge",
            "incident #1 is contained; it cannot go back to acknowledged",
            "sự cố #1 đang ở trạng thái «đã ngăn chặn»; không thể quay lại «đã tiếp nhận»",
        ),
        (
            [],
            "reopen",
            "incident #1 is new, not closed; there is nothing to reopen",
            "sự cố #1 đang ở trạng thái «mới», chưa đóng; không có gì để mở lại",
        ),
        (
            ["acknowledge"],
            "reopen",
            "incident #1 is acknowledged, not closed; there is nothing to reopen",
            None,
        ),
    ],
)
def test_refused_transitions(
    store: IncidentStore, setup: list[str], action: str, message: str, vi: str | None
) -> None:
    store.record([detection()])

    def do(name: str) -> object:
        if name == "false_positive":
            return store.resolve(1, by="lan", false_positive=True)
        return getattr(store, name)(1, by="lan")

    for name in setup:
        do(name)
    before_incident, before_timeline = store.get(1), store.timeline(1)
    with pytest.raises(TransitionError) as info:
        do(action)
    assert str(info.value) == message
    if vi is not None:
        assert info.value.text["vi"] == vi
    assert (store.get(1), store.timeline(1)) == (before_incident, before_timeline)


def test_notes_and_assignment(store: IncidentStore, clock: ManualClock) -> None:
    store.record([detection()])
    clock.advance(minutes(1))
    noted = store.add_note(1, "  Đã gửi thông báo sự cố cho Sở KH&CN  ", by="lan")
    assert noted.updated_at == NOW + minutes(1)
    assigned = store.assign(1, "minh", by="lan")
    assert assigned.assignee == "minh"
    assert store.assign(1, "", by="lan").assignee is None
    assert store.timeline(1)[1:] == [
        TimelineEntry(1, NOW + minutes(1), "note", "lan", "Đã gửi thông báo sự cố cho Sở KH&CN"),
        TimelineEntry(1, NOW + minutes(1), "assigned", "lan", "minh"),
        TimelineEntry(1, NOW + minutes(1), "assigned", "lan", ""),
    ]
    with pytest.raises(IncidentError) as info:
        store.add_note(1, "   ", by="lan")
    assert str(info.value) == "the note is empty; write what was done or seen"
    with pytest.raises(IncidentError, match=r"say who is doing this \(--by\)"):
        store.acknowledge(1, by=" ")
    # notes are allowed on closed incidents too
    store.resolve(1, by="lan")
    store.add_note(1, "báo cáo kết thúc đã gửi", by="lan")
    assert store.timeline(1)[-1].kind == "note"


def test_updates_after_a_manual_entry_start_a_new_timeline_entry(store: IncidentStore) -> None:
    store.record([detection(count=1)])
    store.record([detection(count=1, first=T0 + minutes(1))])
    store.acknowledge(1, by="lan")
    store.record([detection(count=1, first=T0 + minutes(2))])
    store.record([detection(count=1, first=T0 + minutes(3))])
    assert [(e.kind, e.actor) for e in store.timeline(1)] == [
        ("opened", "secmon"),
        ("updated", "secmon"),
        ("status", "lan"),
        ("updated", "secmon"),
    ]
    assert store.timeline(1)[-1].text.endswith("Updated: 4 events, 4 detections in all")


# ---------------------------------------------------------------- concurrency
def test_two_stores_on_one_file_both_write(db_path: Path, clock: ManualClock) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def writer(name: str, offset: int) -> None:
        try:
            with IncidentStore.open(db_path, clock) as mine:
                start.wait()
                for i in range(40):
                    at = T0 + timedelta(seconds=offset + i)
                    mine.record(
                        [
                            detection(count=1, first=at, first_line=offset + i),
                            detection(ip=f"192.0.2.{offset // 100}", count=1, first=at),
                        ],
                        [Checkpoint(f"/var/log/{name}.log", 1, 2, i, "fp")],
                    )
                    if i == 20:
                        mine.add_note(1, f"note from {name}", by=name)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("a", 100)),
        threading.Thread(target=writer, args=("b", 200)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with IncidentStore.open(db_path, clock) as check:
        shared = check.get(1)
        assert (shared.count, shared.detections) == (80, 80)  # one incident, nothing lost
        assert sorted((i.key["src_ip"], i.count) for i in check.list_incidents()) == [
            ("192.0.2.1", 40),
            ("192.0.2.2", 40),
            ("203.0.113.9", 80),
        ]
        offsets = {s: c.offset for s, c in check.load_checkpoints().items()}
        assert offsets == {"/var/log/a.log": 39, "/var/log/b.log": 39}
        notes = [e.text for e in check.timeline(1) if e.kind == "note"]
        assert sorted(notes) == ["note from a", "note from b"]


def test_writer_waits_for_the_other_within_the_busy_timeout(
    db_path: Path, clock: ManualClock
) -> None:
    with (
        IncidentStore.open(db_path, clock) as a,
        IncidentStore.open(db_path, clock, busy_timeout=0.05) as b,
    ):
        a.record([detection()])
        with a._write():  # hold the write lock
            with pytest.raises(StoreError) as info:
                b.acknowledge(1, by="lan")
        assert str(info.value) == (
            f"cannot write to {db_path}: database is locked "
            "(another secmon process holding the lock?); try again"
        )
        assert b.acknowledge(1, by="lan").status == "acknowledged"
        assert a.get(1).status == "acknowledged"  # readers see the other's commits
