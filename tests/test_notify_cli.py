"""`secmon notify test|outbox|retry`: exact output, against a real local endpoint."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from notify_testkit import (
    T0,
    HttpSink,
    Rig,
    http_sink,  # noqa: F401 - fixture
    incident_detection,
    route,
    settings,
)

from secmon.cli import main
from secmon.clock import ManualClock
from secmon.notify.apprise_sender import url_target


def config(tmp_path: Path, sink: HttpSink, dead: HttpSink) -> Path:
    path = tmp_path / "secmon.yaml"
    path.write_text(f"""\
version: 1
notify:
  routes:
  - name: chat
    urls: ["json://alert:${{HOOK_PASS}}@127.0.0.1:{sink.port}/chat"]
    language: en
  - name: backup
    urls: ["{dead.url('form', 'backup')}", "{sink.url('json', 'backup')}"]
    format: html
""", encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(main, list(args), env={"HOOK_PASS": "Pa55-w0rd!", **(env or {})})


def test_notify_test_prints_each_url_masked_and_its_result(
        tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    dead = HttpSink()
    path = config(tmp_path, http_sink, dead)
    result = run("notify", "test", "-c", str(path), "--db", str(tmp_path / "db"), "--lang", "en")
    chat = url_target(f"json://alert:Pa55-w0rd!@127.0.0.1:{http_sink.port}/chat",
                      ("Pa55-w0rd!",)).display
    down = url_target(dead.url("form", "backup")).display
    up = url_target(http_sink.url("json", "backup")).display
    assert chat.startswith(f"json://alert:****@127.0.0.1:{http_sink.port}/chat")
    assert result.stdout == (  # type: ignore[attr-defined]
        "Route chat (en, text):\n"
        f"  ✓ {chat}: sent\n"
        "Route backup (vi, html):\n"
        f"  ✗ {down}: FAILED: A Connection error occurred sending Form notification to "
        "127.0.0.1.\n"
        f"  ✓ {up}: sent\n"
    )
    assert result.stderr == "Error: 1 of 3 URLs did not take the test message\n"  # type: ignore[attr-defined]
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "Pa55-w0rd!" not in result.output  # type: ignore[attr-defined]
    (message,) = http_sink.at("chat")
    assert message.fields["title"] == "[secmon] Test message on route chat"
    assert message.fields["message"].startswith("secmon test message on route chat, sent at ")
    backup = http_sink.at("backup")[0].fields["message"]
    assert backup.startswith('<!DOCTYPE html>\n<html lang="vi">')


def test_notify_test_one_route_and_errors(tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    path = config(tmp_path, http_sink, HttpSink())
    db = str(tmp_path / "db")
    ok = run("notify", "test", "--route", "chat", "-c", str(path), "--db", db, "--lang", "en")
    assert ok.exit_code == 0  # type: ignore[attr-defined]
    assert ok.stdout.startswith("Route chat (en, text):\n  ✓ json://alert:****@")  # type: ignore[attr-defined]
    unknown = run("notify", "test", "--route", "mail", "-c", str(path), "--db", db, "--lang", "vi")
    assert unknown.stderr == (  # type: ignore[attr-defined]
        "Lỗi: không có tuyến 'mail'; các tuyến đã cấu hình: chat, backup\n")
    assert unknown.exit_code == 1  # type: ignore[attr-defined]
    missing = run("notify", "test", "-c", str(path), "--db", db, "--lang", "en",
                  env={"HOOK_PASS": ""})
    assert missing.stderr == (  # type: ignore[attr-defined]
        f"Error: {path}:5:12: route 'chat': environment variable HOOK_PASS is not set (or "
        "empty); set it for secmon (e.g. Environment= or EnvironmentFile= in the systemd unit)\n")
    empty = tmp_path / "empty.yaml"
    empty.write_text("version: 1\n", encoding="utf-8")
    none = run("notify", "test", "-c", str(empty), "--db", db, "--lang", "en")
    assert none.stderr == (  # type: ignore[attr-defined]
        "Error: no alert routes are configured: add a notify: section with routes to "
        "secmon.yaml (see docs/notify.md)\n")


def test_outbox_lists_waiting_and_failed_alerts_and_retry_sends_them(
        tmp_path: Path, http_sink: HttpSink) -> None:  # noqa: F811
    path = config(tmp_path, http_sink, HttpSink())
    db = tmp_path / "secmon.db"
    rig = Rig(db, ManualClock(T0), settings(route("chat", "json://x/1")))
    with rig.store() as store:
        store.record([incident_detection(), incident_detection(ip="198.51.100.7")])
        with store.transaction() as conn:
            conn.execute("UPDATE outbox SET status = 'failed', attempts = 8, "
                         "last_error = 'json://x/1: A Connection error occurred' WHERE id = 1")
    common = ["-c", str(path), "--db", str(db), "--lang", "en", "--tz", "Asia/Ho_Chi_Minh"]
    listing = run("notify", "outbox", *common)
    assert listing.stdout == (  # type: ignore[attr-defined]
        "ID  Route  Kind          Incident  Status   Attempts  Due                  Last error\n"
        "--  -----  ------------  --------  -------  --------  -------------------  "
        "---------------------------------------\n"
        "1   chat   New incident  #1        failed   8         2026-03-14 13:00:00  "
        "json://x/1: A Connection error occurred\n"
        "2   chat   New incident  #2        pending  0         2026-03-14 13:00:00\n"
        "\n"
        "1 pending, 1 failed, 0 waiting for a summary.\n"
    )
    retried = run("notify", "retry", "1", "--no-send", *common)
    assert retried.stdout == "1 failed alerts are queued again.\n"  # type: ignore[attr-defined]
    again = run("notify", "retry", *common)
    assert again.stdout == "No failed alerts to retry.\n"  # type: ignore[attr-defined]

    with rig.store() as store, store.transaction() as conn:
        conn.execute("UPDATE outbox SET status = 'failed', attempts = 8")
    sent = run("notify", "retry", *common)
    assert sent.stdout == (  # type: ignore[attr-defined]
        "2 failed alerts are queued again.\n"
        "Delivery: 2 sent, 0 to be retried, 0 failed.\n"
    )
    assert len(http_sink.at("chat")) == 2
    done = run("notify", "outbox", *common)
    assert done.stdout == "The alert outbox is empty: nothing pending or failed.\n"  # type: ignore[attr-defined]
    everything = run("notify", "outbox", "--all", "--format", "jsonl", *common)
    assert [line.split(', "due"')[0] for line in everything.stdout.splitlines()] == [  # type: ignore[attr-defined]
        '{"id": 1, "route": "chat", "kind": "opened", "incident": 1, "status": "sent", '
        '"attempts": 1',
        '{"id": 2, "route": "chat", "kind": "opened", "incident": 2, "status": "sent", '
        '"attempts": 1',
    ]
