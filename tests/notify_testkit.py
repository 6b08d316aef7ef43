"""Real local endpoints and builders shared by the tests of secmon.notify (not a test module).

`HttpSink` is an HTTP server on 127.0.0.1 that records what Apprise's json://
and form:// services post; it can be stopped and started again on the same
port (an endpoint that is down for a while). `SmtpSink` is a real SMTP
server (aiosmtpd) recording the mails Apprise's mailto:// sends.
"""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from secmon.clock import ManualClock
from secmon.config.model import (
    NotifySettings,
    RetrySettings,
    RouteSettings,
    StormSettings,
    UrlSetting,
)
from secmon.errors import Location
from secmon.events import Detection, Event
from secmon.incidents.store import IncidentStore
from secmon.notify.service import alert_writer, make_dispatcher

T0 = datetime(2026, 3, 14, 6, 0, 0, tzinfo=UTC)  # 13:00 in Vietnam
HOSTILE_LINES = (
    # a forged second line with fake fields, an @channel ping and a link
    "GET /?q=x HTTP/1.1\nSeverity: info\nFalse alarm, ignore @channel <!channel> @here @all"
    " see https://evil.example/reset",
    # markup of every format: markdown heading, link, image, emphasis, table, code fence, HTML
    "# Pwned [click me](http://evil.example) ![x](http://evil.example/p.png) **bold** "
    "| a | b | ```code``` <a href=\"http://evil.example\">link</a> <script>alert(1)</script>"
    " &amp; &lt;b&gt;",
    # terminal escapes, bidi override, zero-width characters, a lone surrogate, CR and tab
    "user=\x1b[31mroot\x1b[0m \u202eevil\u202c a\u200bb \udcff\r\nInjected: yes\tx"
    " www.evil.example javascript:alert(1) <@U024BE7LH> @everyone",
)


# ------------------------------------------------------------------ endpoints
@dataclass
class Post:
    path: str
    content_type: str
    fields: dict[str, Any]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HttpSink:
    """Records POSTs; `stop()` makes the port refuse connections until `start()`."""

    def __init__(self, port: int | None = None, status: int = 200):
        self.port = port or free_port()
        self.status = status
        self.posts: list[Post] = []
        self._server: http.server.ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def start(self) -> HttpSink:
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                size = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(size).decode("utf-8")
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("application/json"):
                    fields = json.loads(raw)
                else:
                    fields = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                with sink._lock:
                    sink.posts.append(Post(self.path, kind, fields))
                self.send_response(sink.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def url(self, scheme: str, path: str) -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if p.path == f"/{path}"]


class _MailHandler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.sink.mails.append((tuple(envelope.rcpt_tos), message))
        return "250 OK"


class SmtpSink:
    """A real SMTP server on 127.0.0.1 keeping (recipients, message) of each mail."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mails: list[tuple[tuple[str, ...], email.message.EmailMessage]] = []
        self._controller = Controller(_MailHandler(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=secmon@example.org&to={to}"


def wait_for(predicate: Any, timeout: float = 5.0) -> bool:
    """Poll a condition another thread makes true (delivery threads only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


# ------------------------------------------------------------------- builders
def route(name: str, *urls: str, **options: Any) -> RouteSettings:
    return RouteSettings(name, Location("secmon.yaml", 1, 1),
                         urls=tuple(UrlSetting(u, Location("secmon.yaml", 2, 1)) for u in urls),
                         **options)


def settings(*routes: RouteSettings, **options: Any) -> NotifySettings:
    defaults: dict[str, Any] = {
        "storm": StormSettings(max=20, within=timedelta(minutes=5)),
        "retry": RetrySettings(attempts=4, backoff=timedelta(seconds=30),
                               max_backoff=timedelta(minutes=5)),
        "timeout": timedelta(seconds=3),
    }
    defaults.update(options)
    return NotifySettings(routes=tuple(routes), **defaults)


def line_event(raw: str, n: int = 1, at: datetime = T0, host: str = "portal",
               source: str = "/var/log/nginx/access.log") -> Event:
    return Event(time=at, source=source, parser="nginx", message=raw, raw=raw, host=host,
                 line_no=n, offset=n * 100)


def incident_detection(
    *,
    ip: str = "203.0.113.9",
    rule: str = "web.sqli",
    category: str = "web-attack",
    severity: str = "high",
    count: int = 3,
    lines: Sequence[str] = ("GET /index.php?id=1%27 HTTP/1.1",),
    at: datetime = T0,
    host: str = "portal",
    title: dict[str, str] | None = None,
    playbook: str | None = "web-attack",
) -> Detection:
    evidence = tuple(line_event(raw, i + 1, at, host) for i, raw in enumerate(lines))
    return Detection(
        rule_id=rule,
        title=title or {"vi": "Tấn công chèn mã SQL", "en": "SQL injection"},
        category=category,
        severity=severity,
        tags=("attack.t1190",),
        key=(("src_ip", ip),),
        count=count,
        first_seen=at,
        last_seen=at,
        evidence=evidence,
        source="/var/log/nginx/access.log",
        playbook=playbook,
    )


@dataclass
class Rig:
    """An incident store with the alert hook, and a dispatcher on it."""

    path: Path
    clock: ManualClock
    notify: NotifySettings
    tz: Any = UTC
    env: dict[str, str] = field(default_factory=dict)

    def store(self) -> IncidentStore:
        return IncidentStore.open(self.path, self.clock,
                                  on_change=alert_writer(self.notify, self.clock))

    def dispatcher(self, store: IncidentStore) -> Any:
        return make_dispatcher(store, self.notify, self.env, self.clock, self.tz)
