"""The sender: backoff, exclusive claims, daily digests, rows it cannot send."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from notify_testkit import (
    T0,
    HttpSink,
    Rig,
    http_sink,  # noqa: F401 - fixture
    incident_detection,
    route,
    settings,
)

from secmon.clock import ManualClock
from secmon.config.model import DigestSettings, RetrySettings
from secmon.incidents.store import IncidentStore
from secmon.notify import outbox
from secmon.notify.digest import last_slot, round_due
from secmon.notify.dispatcher import backoff_delay
from secmon.notify.service import make_dispatcher

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_backoff_doubles_up_to_the_cap() -> None:
    retry = RetrySettings(attempts=8, backoff=timedelta(seconds=30), max_backoff=timedelta(hours=1))
    assert [backoff_delay(n, retry).total_seconds() for n in range(1, 9)] == [
        30, 60, 120, 240, 480, 960, 1920, 3600]


def test_daily_slot_in_the_display_zone() -> None:
    # T0 is 13:00 in Hanoi: the last 08:00 was today, the last 14:00 yesterday
    assert last_slot(T0, HCM, 8).isoformat() == "2026-03-14T08:00:00+07:00"
    assert last_slot(T0, HCM, 14).isoformat() == "2026-03-13T14:00:00+07:00"
    assert round_due(T0, HCM, 8, None)
    assert not round_due(T0, HCM, 8, T0 - timedelta(hours=4))  # 09:00 today: done
    assert round_due(T0, HCM, 8, T0 - timedelta(hours=6))  # 07:00 today: before the slot


def test_two_dispatchers_never_send_the_same_alert(tmp_path: Path,
                                                   http_sink: HttpSink) -> None:  # noqa: F811
    clock = ManualClock(T0)
    setup = Rig(tmp_path / "secmon.db", clock, settings(route("chat", http_sink.url("json", "c"))))
    with setup.store() as store:
        store.record([incident_detection(ip=f"203.0.113.{n}") for n in range(1, 16)])
    sent: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def run(slot: int) -> None:
        with IncidentStore.open(setup.path, clock) as store:
            dispatcher = setup.dispatcher(store)
            start.wait()
            report = dispatcher.step()
            sent[slot] = [a.row_id for a in report.attempts if a.outcome == "sent"]

    threads = [threading.Thread(target=run, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent[0] + sent[1]) == list(range(1, 16))
    assert len(http_sink.at("c")) == 15


def test_the_digest_lists_minor_incidents_once_a_day(tmp_path: Path,
                                                     http_sink: HttpSink) -> None:  # noqa: F811
    clock = ManualClock(T0)
    setup = Rig(tmp_path / "secmon.db", clock,
                settings(route("chat", http_sink.url("json", "c"), language="en",
                               min_severity="high", digest=DigestSettings(8, "low"))), tz=HCM)
    with setup.store() as store:
        dispatcher = setup.dispatcher(store)
        first = dispatcher.step()  # the first start runs the round: nothing waits yet
        assert [(r.route, r.digest_id) for r in first.rounds] == [("chat", None)]
        store.record([incident_detection(severity="low", ip="198.51.100.1"),
                      incident_detection(severity="medium", ip="198.51.100.2"),
                      incident_detection(severity="high", ip="198.51.100.3")])
        assert [a.kind for a in dispatcher.step().attempts] == ["opened"]  # the high one
        clock.advance(timedelta(hours=18, minutes=59))  # 07:59 next day
        assert dispatcher.step().attempts == ()
        clock.advance(timedelta(minutes=1))
        report = dispatcher.step()
        assert [(r.listed, r.retried) for r in report.rounds] == [(2, 0)]
        assert [a.kind for a in report.attempts] == ["digest"]
        assert dispatcher.step().attempts == ()
        assert outbox.counts(store.connection).by_status["summarized"] == 2
    digest = http_sink.at("c")[-1].fields
    assert digest["title"] == "[secmon] Daily digest 2026-03-15: 2 low-severity incidents"
    listed = [line for line in digest["message"].split("\n") if line.startswith("- #")]
    assert [line.split(" [")[1].split("]")[0] for line in listed] == ["medium", "low"]


def test_a_route_removed_from_the_config_fails_its_alerts_with_a_reason(
        tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    clock = ManualClock(T0)
    old = Rig(tmp_path / "secmon.db", clock, settings(route("old", http_sink.url("json", "o"))))
    with old.store() as store:
        store.record([incident_detection()])
    new = Rig(tmp_path / "secmon.db", clock, settings(route("new", http_sink.url("json", "n"))))
    with new.store() as store:
        attempt = new.dispatcher(store).step().attempts[0]
        assert (attempt.outcome, attempt.error) == (
            "failed", "route 'old' is not in the config any more; add it back and run "
            "'secmon notify retry', or leave the alert failed")
    assert http_sink.posts == []


def test_a_broken_user_template_is_retried_then_failed(tmp_path: Path,
                                                      http_sink: HttpSink) -> None:  # noqa: F811
    (tmp_path / "t" / "vi" / "text").mkdir(parents=True)
    (tmp_path / "t" / "vi" / "text" / "alert.j2").write_text("{{ alert.nope }}\n")
    clock = ManualClock(T0)
    notify = settings(route("chat", http_sink.url("json", "c")), templates=tmp_path / "t",
                      retry=RetrySettings(2, timedelta(seconds=10), timedelta(seconds=10)))
    setup = Rig(tmp_path / "secmon.db", clock, notify)
    with setup.store() as store:
        store.record([incident_detection()])
        dispatcher = make_dispatcher(store, notify, {}, clock, HCM)
        first = dispatcher.step().attempts[0]
        assert first.outcome == "retry"
        assert first.error.startswith("cannot render the message: vi/text/alert.j2: ")
        assert "has no attribute 'nope'" in first.error
        clock.advance(timedelta(seconds=10))
        assert dispatcher.step().attempts[0].outcome == "failed"
    assert http_sink.posts == []
