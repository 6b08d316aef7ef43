"""When the daemon commits, and that a refused commit keeps everything for the next one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from daemon_testkit import RULES
from incident_testkit import detection

from secmon.clock import ManualClock
from secmon.daemon import committer as committer_module
from secmon.daemon.committer import Committer
from secmon.daemon.inputs import InputBatch, InputRecord
from secmon.events import Checkpoint
from secmon.incidents.store import IncidentStore
from secmon.rules.engine import DetectionEngine
from secmon.rules.loader import load_rules

T0 = datetime(2026, 3, 14, 6, 0, 0, tzinfo=UTC)
CP = Checkpoint("/var/log/auth.log", 1, 2, 300, "abc")


def status_text(state: str, merged: object) -> str:
    return json.dumps({"state": state})


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def engine() -> DetectionEngine:
    return DetectionEngine(load_rules([RULES]))


def test_commit_is_due_soon_after_a_detection_else_on_the_interval(clock: ManualClock) -> None:
    pending = Committer(clock, interval=0.5)
    assert not pending.pending and not pending.ready()
    pending.take("files", InputBatch([InputRecord("/a", None)], {"/a": CP}))
    assert pending.pending and pending.due() == 0.5
    pending.add([detection()])
    assert pending.due() == 0.1
    clock.advance(0.1)
    assert pending.ready()


def test_slow_commits_space_the_next_ones(
    tmp_path: Path, clock: ManualClock, engine: DetectionEngine
) -> None:
    pending = Committer(clock, interval=0.5)
    with IncidentStore.open(tmp_path / "secmon.db", clock) as store:
        pending.take("files", InputBatch([InputRecord("/a", None)], {"/a": CP}))
        real_record = store.record

        def slow_record(*args: object, **kwargs: object) -> object:
            clock.advance(2.0)  # this commit takes two seconds
            return real_record(*args, **kwargs)  # type: ignore[arg-type]

        store.record = slow_record  # type: ignore[method-assign]
        assert pending.commit(store, engine, status_text) == []
        pending.add([detection()])
        assert pending.due() == 2.0 + 3 * 2.0  # three times the last commit's duration


def test_a_refused_commit_keeps_everything_for_the_next(
    tmp_path: Path, clock: ManualClock, engine: DetectionEngine
) -> None:
    pending = Committer(clock)
    ran: list[str] = []
    batch = InputBatch([InputRecord("/var/log/auth.log", None)], {CP.source: CP})
    batch.after_commit.append(lambda: ran.append("after"))
    pending.take("files", batch)
    pending.add([detection()])
    closed = IncidentStore.open(tmp_path / "secmon.db", clock)
    closed.close()
    assert pending.commit(closed, engine, status_text) is None
    assert pending.failing and pending.pending and ran == []
    assert pending.due() == 1.0  # retried after RETRY seconds
    assert pending.counters["errors"] == 1
    with IncidentStore.open(tmp_path / "secmon.db", clock) as store:
        changes = pending.commit(store, engine, status_text)
        assert changes is not None and [c.kind for c in changes] == ["opened"]
        assert store.load_checkpoints() == {CP.source: CP}
        assert json.loads(store.load_state("daemon") or "") == {"state": "running"}
        assert json.loads(store.load_state("engine") or "")["version"] == 1
    assert not pending.failing and not pending.pending and ran == ["after"]
    assert pending.book.committed["/var/log/auth.log"].malformed == 1
    assert pending.counters == {"commits": 1, "errors": 1, "reloads": 0, "incident_changes": 1}


def test_an_after_commit_error_is_counted_not_raised(
    tmp_path: Path, clock: ManualClock, engine: DetectionEngine
) -> None:
    pending = Committer(clock)
    batch = InputBatch(after_commit=[lambda: 1 / 0])  # type: ignore[list-item, return-value]
    pending.take("extra", batch)
    with IncidentStore.open(tmp_path / "secmon.db", clock) as store:
        assert pending.commit(store, engine, status_text) == []
    assert pending.counters["errors"] == 1 and not pending.pending


def test_pending_detections_are_merged_past_a_bound(
    clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(committer_module, "MERGE_AT", 3)
    pending = Committer(clock)
    pending.add([detection(count=1, first_line=n) for n in range(3)])
    assert len(pending._found) == 3
    pending.add([detection(count=1, first_line=9)])
    assert [d.count for d in pending._found] == [4]
