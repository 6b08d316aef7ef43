"""Queueing alerts in the outbox with the incident change: rate limit, storm, digest."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from notify_testkit import T0, incident_detection, route, settings

from secmon.clock import ManualClock
from secmon.config.model import DigestSettings, RateSettings, StormSettings
from secmon.incidents.model import IncidentChange
from secmon.incidents.store import IncidentStore
from secmon.notify import outbox
from secmon.notify.payload import from_json
from secmon.notify.service import alert_writer

MIN = timedelta(minutes=1)


def summary(store: IncidentStore) -> list[tuple[object, ...]]:
    """(id, route, kind, incident, status, parent, due minute) of every row."""
    return [
        (r.id, r.route, r.kind, r.incident_id, r.status, r.parent_id,
         int((r.due_at - T0).total_seconds() // 60))
        for r in outbox.rows(store.connection, outbox.STATUSES)
    ]


def mark_sent(store: IncidentStore, clock: ManualClock) -> None:
    """Deliver every due row as if every target confirmed it."""
    while True:
        with store.transaction() as conn:
            row = outbox.claim_next(conn, "test", clock.now(), MIN)
            if row is None:
                return
            outbox.finish(conn, row.id, "test", clock.now(), status="sent", delivered=["t"])


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


def open_store(tmp_path: Path, clock: ManualClock, *routes: object, **options: object
               ) -> IncidentStore:
    notify = settings(*routes, **options)  # type: ignore[arg-type]
    return IncidentStore.open(tmp_path / "secmon.db", clock,
                              on_change=alert_writer(notify, clock))


def test_one_row_per_matching_route_in_the_same_transaction(tmp_path: Path,
                                                            clock: ManualClock) -> None:
    with open_store(tmp_path, clock, route("chat", "json://x/1", language="en"),
                    route("boss", "json://x/2", min_severity="critical"),
                    route("mail", "json://x/3", format="html")) as store:
        changes = store.record([incident_detection()])
        assert [c.kind for c in changes] == ["opened"]
        assert summary(store) == [(1, "chat", "opened", 1, "pending", None, 0),
                                  (2, "mail", "opened", 1, "pending", None, 0)]
        item = from_json(outbox.rows(store.connection)[0].payload)
        assert (item.kind, item.incident_id, item.severity, item.count) == ("opened", 1, "high", 3)
        assert [e.text for e in item.evidence] == ["GET /index.php?id=1%27 HTTP/1.1"]
        assert item.key == (("src_ip", "203.0.113.9"),)


def test_a_failing_hook_stores_nothing(tmp_path: Path, clock: ManualClock) -> None:
    writer = alert_writer(settings(route("chat", "json://x/1")), clock)
    assert writer is not None

    def broken(conn: sqlite3.Connection, changes: Sequence[IncidentChange]) -> None:
        writer(conn, changes)
        raise RuntimeError("disk full")

    with IncidentStore.open(tmp_path / "secmon.db", clock, on_change=broken) as store:
        with pytest.raises(RuntimeError, match="disk full"):
            store.record([incident_detection()])
        assert store.list_incidents() == []
        assert outbox.rows(store.connection, outbox.STATUSES) == []


def test_no_routes_no_hook() -> None:
    assert alert_writer(settings(), ManualClock(T0)) is None


def test_updates_are_quiet_and_unsent_alerts_absorb_later_changes(tmp_path: Path,
                                                                 clock: ManualClock) -> None:
    with open_store(tmp_path, clock, route("chat", "json://x/1", min_severity="low"),
                    rate=RateSettings(per_incident=15 * MIN)) as store:
        store.record([incident_detection(severity="medium")])
        clock.advance(MIN)
        store.record([incident_detection(severity="medium", at=T0 + MIN)])  # updated: quiet
        store.record([incident_detection(severity="high", at=T0 + 2 * MIN)])  # escalated
        assert summary(store) == [(1, "chat", "opened", 1, "pending", None, 0)]
        item = from_json(outbox.rows(store.connection)[0].payload)
        assert (item.kind, item.also, item.severity, item.count) == (
            "opened", ("escalated",), "high", 9)


def test_per_incident_rate_limit_defers_never_drops(tmp_path: Path, clock: ManualClock) -> None:
    with open_store(tmp_path, clock, route("chat", "json://x/1", min_severity="low"),
                    rate=RateSettings(per_incident=15 * MIN)) as store:
        store.record([incident_detection(severity="low")])
        mark_sent(store, clock)
        clock.advance(5 * MIN)
        store.record([incident_detection(severity="medium", at=T0 + 5 * MIN)])
        clock.advance(MIN)
        store.record([incident_detection(severity="high", at=T0 + 6 * MIN)])
        assert summary(store) == [(1, "chat", "opened", 1, "sent", None, 0),
                                  (2, "chat", "escalated", 1, "pending", None, 15)]
        item = from_json(outbox.rows(store.connection)[0].payload)
        assert (item.kind, item.also, item.previous_severity, item.severity) == (
            "escalated", (), "low", "high")
        # another incident is not held back by the first one's limit
        store.record([incident_detection(ip="198.51.100.7", at=T0 + 6 * MIN)])
        assert summary(store)[-1] == (3, "chat", "opened", 2, "pending", None, 6)


def test_a_flood_is_held_for_one_storm_summary(tmp_path: Path, clock: ManualClock) -> None:
    with open_store(tmp_path, clock, route("chat", "json://x/1"),
                    storm=StormSettings(max=3, within=5 * MIN)) as store:
        store.record([incident_detection(ip=f"203.0.113.{n}") for n in range(1, 6)])
        assert summary(store) == [
            (1, "chat", "opened", 1, "pending", None, 0),
            (2, "chat", "opened", 2, "pending", None, 0),
            (3, "chat", "opened", 3, "pending", None, 0),
            (4, "chat", "storm", None, "pending", None, 1),  # a minute to gather the storm
            (5, "chat", "opened", 4, "held", 4, 0),
            (6, "chat", "opened", 5, "held", 4, 0),
        ]
        clock.advance(MIN)
        mark_sent(store, clock)
        assert outbox.children(store.connection, 4)[0].status == "summarized"
        clock.advance(MIN)
        store.record([incident_detection(ip="203.0.113.99", at=T0 + 2 * MIN)])
        # still a storm: a second summary, no sooner than `within` after the first
        assert summary(store)[-2:] == [(7, "chat", "storm", None, "pending", None, 5),
                                       (8, "chat", "opened", 6, "held", 7, 2)]
        clock.advance(10 * MIN)
        store.record([incident_detection(ip="203.0.113.100", at=T0 + 12 * MIN)])
        assert summary(store)[-1] == (9, "chat", "opened", 7, "pending", None, 12)  # calm again


def test_minor_incidents_wait_for_the_digest_until_they_matter(tmp_path: Path,
                                                              clock: ManualClock) -> None:
    with open_store(tmp_path, clock, route("chat", "json://x/1", min_severity="high",
                                           digest=DigestSettings(8, "low"))) as store:
        store.record([incident_detection(severity="low")])
        store.record([incident_detection(severity="medium", at=T0 + MIN)])
        store.record([incident_detection(severity="info", ip="198.51.100.7")])  # below digest
        assert summary(store) == [(1, "chat", "opened", 1, "digest", None, 0)]
        assert from_json(outbox.rows(store.connection)[0].payload).severity == "medium"
        store.record([incident_detection(severity="critical", at=T0 + 2 * MIN)])
        assert summary(store) == [(1, "chat", "opened", 1, "summarized", 2, 0),
                                  (2, "chat", "escalated", 1, "pending", None, 0)]


def test_resolution_is_alerted_only_where_asked(tmp_path: Path, clock: ManualClock) -> None:
    with open_store(tmp_path, clock, route("chat", "json://x/1", on_resolve=True),
                    route("mail", "json://x/2"), rate=RateSettings(per_incident=MIN)) as store:
        store.record([incident_detection()])
        mark_sent(store, clock)
        clock.advance(2 * MIN)
        store.acknowledge(1, by="an")
        store.resolve(1, by="an", note="blocked 203.0.113.9")
        assert summary(store)[2:] == [(3, "chat", "resolved", 1, "pending", None, 2)]
        item = from_json(outbox.rows(store.connection)[0].payload)
        assert (item.kind, item.status, item.by) == ("resolved", "resolved", "an")
