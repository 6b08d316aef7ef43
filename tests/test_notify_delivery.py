"""Alerts delivered through real Apprise to real local endpoints started here:
an SMTP server (aiosmtpd) for mailto:// and an HTTP server for json:// and form://.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from notify_testkit import (
    HOSTILE_LINES,
    T0,
    HttpSink,
    Rig,
    SmtpSink,
    http_sink,  # noqa: F401 - fixture
    incident_detection,
    route,
    settings,
    smtp_sink,  # noqa: F401 - fixture
    wait_for,
)

from secmon.clock import ManualClock
from secmon.config.model import StormSettings
from secmon.incidents.store import IncidentStore
from secmon.notify import outbox
from secmon.notify.dispatcher import DispatcherThread
from secmon.notify.service import open_dispatcher, outbox_counts, requeue_failed

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
SEC = timedelta(seconds=1)


def rig(tmp_path: Path, *routes: object, **options: object) -> Rig:
    return Rig(tmp_path / "secmon.db", ManualClock(T0), settings(*routes, **options),  # type: ignore[arg-type]
               tz=HCM)


def statuses(store: IncidentStore) -> list[tuple[int, str, int]]:
    return [(r.id, r.status, r.attempts) for r in outbox.rows(store.connection, outbox.STATUSES)]


def test_one_message_per_matching_route_in_its_language(
        tmp_path: Path, http_sink: HttpSink, smtp_sink: SmtpSink) -> None:  # noqa: F811
    setup = rig(
        tmp_path,
        route("chat-vi", http_sink.url("json", "chat"), format="markdown"),
        route("ops-en", http_sink.url("form", "ops"), language="en", min_severity="critical"),
        route("mail-en", smtp_sink.url("it@example.org"), language="en", format="html"),
        route("ssh-only", http_sink.url("json", "ssh"), categories=("brute-force",)),
    )
    with setup.store() as store:
        store.record([incident_detection()])
        report = setup.dispatcher(store).step()
        assert [a.outcome for a in report.attempts] == ["sent", "sent"]
        assert setup.dispatcher(store).step().attempts == ()  # nothing twice

    (chat,) = http_sink.at("chat")
    assert chat.content_type == "application/json"
    assert chat.fields["title"] == "[secmon] CAO #1 Sự cố mới: Tấn công chèn mã SQL"
    assert chat.fields["message"].startswith("**Sự cố mới #1: Tấn công chèn mã SQL**\n\n"
                                             "- **Mức độ:** cao\n")
    assert chat.fields["type"] == "failure"
    assert http_sink.at("ops") == [] and http_sink.at("ssh") == []
    assert wait_for(lambda: len(smtp_sink.mails) == 1)
    recipients, mail = smtp_sink.mails[0]
    assert recipients == ("it@example.org",)
    assert mail["Subject"] == "[secmon] HIGH #1 New incident: SQL injection"
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="en">' in html
    assert "<th style=\"text-align: left; padding: 2px 12px 2px 0;\">Source IP</th>" \
           "<td>203.0.113.9</td>" in html


def test_endpoint_down_for_a_while_then_delivered_once(tmp_path: Path) -> None:
    sink = HttpSink()  # not started: connections are refused
    setup = rig(tmp_path, route("chat", sink.url("json", "chat")))
    with setup.store() as store:
        store.record([incident_detection()])
        dispatcher = setup.dispatcher(store)
        first = dispatcher.step().attempts
        assert [(a.outcome, a.attempts, a.due_at) for a in first] == [("retry", 1, T0 + 30 * SEC)]
        assert "Connection error" in first[0].error
        assert first[0].error.startswith(f"json://127.0.0.1:{sink.port}/chat")
        setup.clock.advance(10 * SEC)
        assert dispatcher.step().attempts == ()  # backing off
        setup.clock.advance(20 * SEC)
        assert [a.due_at for a in dispatcher.step().attempts] == [T0 + 90 * SEC]  # 30s, then 60s
        sink.start()
        try:
            setup.clock.advance(60 * SEC)
            assert [a.outcome for a in dispatcher.step().attempts] == ["sent"]
            setup.clock.advance(timedelta(hours=1))
            assert dispatcher.step().attempts == ()
            assert statuses(store) == [(1, "sent", 3)]
            assert len(sink.at("chat")) == 1
        finally:
            sink.stop()


def test_failed_after_the_last_attempt_then_retried(tmp_path: Path) -> None:
    sink = HttpSink()
    setup = rig(tmp_path, route("chat", sink.url("json", "chat")))
    with setup.store() as store:
        store.record([incident_detection()])
        dispatcher = setup.dispatcher(store)
        outcomes = []
        for _ in range(4):  # settings(): 4 attempts, 30s doubling, at most 5m
            outcomes += [a.outcome for a in dispatcher.step().attempts]
            setup.clock.advance(timedelta(minutes=5))
        assert outcomes == ["retry", "retry", "retry", "failed"]
        counts = outbox_counts(store)
        assert (counts.pending, counts.failed) == (0, 1)
        assert dispatcher.step().attempts == ()  # failed stays failed
        sink.start()
        try:
            assert requeue_failed(store, setup.clock) == 1
            assert [a.outcome for a in dispatcher.step().attempts] == ["sent"]
            assert statuses(store) == [(1, "sent", 1)]
        finally:
            sink.stop()
    assert len(sink.posts) == 1


def test_the_daily_round_retries_failed_alerts(tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    setup = rig(tmp_path, route("chat", http_sink.url("json", "chat")))
    with setup.store() as store:
        setup.dispatcher(store).step()  # the first round runs at the first start
        store.record([incident_detection()])
        with store.transaction() as conn:  # as if every attempt had failed
            conn.execute("UPDATE outbox SET status = 'failed', attempts = 4, "
                         "last_error = 'Connection error'")
        setup.clock.advance(timedelta(hours=18))  # 07:00 next day in Hanoi
        assert setup.dispatcher(store).step().attempts == ()
        setup.clock.advance(timedelta(hours=1))  # 08:00: the route's daily round
        report = setup.dispatcher(store).step()
        assert [(r.route, r.retried) for r in report.rounds] == [("chat", 1)]
        assert [a.outcome for a in report.attempts] == ["sent"]
    assert len(http_sink.at("chat")) == 1


def test_restart_with_alerts_pending_delivers_each_exactly_once(
        tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    setup = rig(tmp_path, route("chat", http_sink.url("json", "chat")))
    with setup.store() as store:  # the daemon records three incidents, then stops
        store.record([incident_detection(ip=f"203.0.113.{n}") for n in (1, 2, 3)])
        with store.transaction() as conn:  # and was killed while sending the first one
            claimed = outbox.claim_next(conn, "dead-sender", setup.clock.now(),
                                        timedelta(minutes=2))
        assert claimed is not None and claimed.id == 1
    with setup.store() as store:  # restarted
        report = setup.dispatcher(store).step()
        assert [a.row_id for a in report.attempts] == [2, 3]  # row 1 is still under its lease
        setup.clock.advance(timedelta(minutes=3))
        assert [a.row_id for a in setup.dispatcher(store).step().attempts] == [1]
    with setup.store() as store:  # restarted again: nothing is sent twice
        assert setup.dispatcher(store).step().attempts == ()
        assert statuses(store) == [(1, "sent", 2), (2, "sent", 1), (3, "sent", 1)]
    keys = sorted(p.fields["message"].split("\n")[4] for p in http_sink.at("chat"))
    assert keys == [f"Địa chỉ IP nguồn: 203.0.113.{n}" for n in (1, 2, 3)]


def test_a_target_that_confirmed_is_not_sent_again(tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    down = HttpSink()
    setup = rig(tmp_path, route("both", http_sink.url("json", "up"), down.url("json", "down")))
    with setup.store() as store:
        store.record([incident_detection()])
        assert [a.outcome for a in setup.dispatcher(store).step().attempts] == ["retry"]
    down.start()
    try:
        setup.clock.advance(timedelta(minutes=1))
        with setup.store() as store:
            assert [a.outcome for a in setup.dispatcher(store).step().attempts] == ["sent"]
        assert (len(http_sink.at("up")), len(down.at("down"))) == (1, 1)
    finally:
        down.stop()


def test_a_flood_becomes_one_storm_summary(tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    setup = rig(tmp_path, route("chat", http_sink.url("json", "chat"), language="en"),
                storm=StormSettings(max=20, within=timedelta(minutes=5)))
    with setup.store() as store:
        store.record([incident_detection(ip=f"198.51.100.{n}") for n in range(120)])
        dispatcher = setup.dispatcher(store)
        assert dispatcher.step().count("sent") == 20
        setup.clock.advance(timedelta(minutes=1))
        assert [a.kind for a in dispatcher.step().attempts] == ["storm"]
        setup.clock.advance(timedelta(minutes=10))
        assert dispatcher.step().attempts == ()
        assert outbox_counts(store).by_status["summarized"] == 100
    posts = http_sink.at("chat")
    assert len(posts) == 21
    summary = posts[-1].fields
    assert summary["title"] == "[secmon] Alert storm control: 100 alerts in one summary"
    lines = summary["message"].split("\n")
    assert lines[1] == ("20 or more alerts came within 5m on this route, so secmon lists the "
                        "following alerts in one message instead of sending each. Alerts go out "
                        "one by one again when the rate drops.")
    assert sum(1 for line in lines if line.startswith("- #")) == 50
    assert "... and 50 more." in lines


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_hostile_lines_arrive_escaped_through_apprise(
        tmp_path: Path, http_sink: HttpSink, smtp_sink: SmtpSink, fmt: str) -> None:  # noqa: F811
    setup = rig(tmp_path, route("chat", http_sink.url("json", "chat"), format=fmt),
                route("form", http_sink.url("form", "form"), format=fmt),
                route("mail", smtp_sink.url("it@example.org"), format=fmt))
    with setup.store() as store:
        store.record([incident_detection(lines=HOSTILE_LINES, count=3)])
        assert setup.dispatcher(store).step().count("sent") == 3
        item = outbox.rows(store.connection, ("sent",))[0]
        from secmon.notify.message import MessageRenderer
        from secmon.notify.payload import from_json
        expected = MessageRenderer(HCM).alert(from_json(item.payload), "vi", fmt).body
    (chat,), (form,) = http_sink.at("chat"), http_sink.at("form")
    assert chat.fields["message"] == expected.rstrip("\n")  # what we rendered, as sent
    assert form.fields["message"] == expected.rstrip("\n")
    assert wait_for(lambda: len(smtp_sink.mails) == 1)
    mail = smtp_sink.mails[0][1]
    body = mail.get_body(("html", "plain"))
    html_parts = [body.get_content()] if body.get_content_type() == "text/html" else []
    if fmt == "html":
        html_parts.append(chat.fields["message"])
    for part in [chat.fields["message"], body.get_content(), *html_parts]:
        for needle in ("@channel", "@here", "@everyone", "<!channel>", "https://evil",
                       "http://evil", "\u202e", "\x1b"):
            assert needle not in part
    for part in html_parts:  # no markup from the log line in what mail clients render
        assert "<script" not in part and "<a " not in part


# ----------------------------------------------------------- never stalls detection
@pytest.fixture
def hung_port() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hung_endpoint_never_stalls_recording(tmp_path: Path, hung_port: int) -> None:
    setup = rig(tmp_path, route("hung", f"json://127.0.0.1:{hung_port}/x"),
                timeout=timedelta(seconds=0.3))
    errors: list[BaseException] = []
    thread = DispatcherThread(
        lambda: open_dispatcher(setup.path, setup.notify, {}, setup.clock, HCM),
        interval=0.05, on_error=errors.append)
    with setup.store() as store:
        store.record([incident_detection(ip="203.0.113.1")])
        thread.start()
        thread.wake()
        assert wait_for(lambda: statuses(store)[0][1] == "sending")  # the sender is stuck
        started = time.monotonic()
        for n in range(2, 12):
            store.record([incident_detection(ip=f"203.0.113.{n}")])
        assert time.monotonic() - started < 0.5  # recording did not wait for it
        assert thread.stop(timeout=5.0)
    assert errors == []
    with setup.store() as store:
        first = outbox.rows(store.connection, outbox.STATUSES)[0]
        assert (first.status, first.attempts) == ("pending", 1)
        assert "127.0.0.1" in (first.last_error or "")
