"""Wiring of secmon.notify for the daemon and the CLI.

    writer = alert_writer(settings.notify, clock)          # None: no routes
    store = IncidentStore.open(db, clock, on_change=writer) # alerts queued with incidents
    thread = DispatcherThread(lambda: open_dispatcher(db, settings.notify, env, clock, tz))
    thread.start(); ...; store.record(...); thread.wake(); ...; thread.stop()
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..clock import Clock
from ..config.model import NotifySettings
from ..errors import SecmonError
from ..incidents.store import IncidentStore
from . import outbox
from .alerts import AlertWriter
from .dispatcher import Dispatcher, Sender
from .message import MessageRenderer
from .routing import Route, routes_from_settings
from .texts import CLI, say

if TYPE_CHECKING:  # pragma: no cover - apprise loads only when something is sent
    from .apprise_sender import SendResult, Target

_NO_TITLES: Mapping[str, Mapping[str, str]] = MappingProxyType({})


class NotifyError(SecmonError):
    """A notify command that cannot run as asked; `text` holds vi and en."""

    def __init__(self, key: str, **values: object):
        self.text = {lang: say(CLI, key, lang, **values) for lang in ("vi", "en")}
        super().__init__(self.text["en"])


def alert_writer(settings: NotifySettings, clock: Clock,
                 playbook_titles: Mapping[str, Mapping[str, str]] = _NO_TITLES
                 ) -> AlertWriter | None:
    """The incident store's on_change hook, or None when no route is configured."""
    if not settings.routes:
        return None
    return AlertWriter(routes_from_settings(settings), settings, clock, playbook_titles)


def make_dispatcher(
    store: IncidentStore,
    settings: NotifySettings,
    env: Mapping[str, str],
    clock: Clock,
    tz: tzinfo,
    *,
    sender: Sender | None = None,
    owns_store: bool = False,
) -> Dispatcher:
    """A dispatcher on `store` (secrets resolved now: InputError with places)."""
    from .apprise_sender import AppriseSender
    from .targets import build_targets

    return Dispatcher(
        store,
        routes_from_settings(settings),
        build_targets(settings, env),
        MessageRenderer(tz, settings.templates),
        sender or AppriseSender(settings.timeout.total_seconds()),
        settings,
        clock,
        tz,
        owns_store=owns_store,
    )


def open_dispatcher(db_path: Path, settings: NotifySettings, env: Mapping[str, str],
                    clock: Clock, tz: tzinfo, *, sender: Sender | None = None) -> Dispatcher:
    """A dispatcher with a store of its own (for a thread); close() closes both."""
    store = IncidentStore.open(db_path, clock)
    try:
        return make_dispatcher(store, settings, env, clock, tz, sender=sender, owns_store=True)
    except BaseException:
        store.close()
        raise


@dataclass(frozen=True, slots=True)
class RouteTest:
    route: Route
    results: tuple[tuple[Target, SendResult], ...]

    @property
    def failed(self) -> int:
        return sum(1 for _, result in self.results if not result.ok)


def chosen_routes(settings: NotifySettings, name: str | None) -> tuple[Route, ...]:
    routes = routes_from_settings(settings)
    if not routes:
        raise NotifyError("no_routes")
    if name is None:
        return routes
    picked = tuple(r for r in routes if r.name == name)
    if not picked:
        raise NotifyError("unknown_route", name=name, names=", ".join(r.name for r in routes))
    return picked


def send_test(settings: NotifySettings, env: Mapping[str, str], clock: Clock, tz: tzinfo,
              route: str | None = None, sender: Sender | None = None) -> list[RouteTest]:
    """Send a test message on each route (or one) to each of its URLs, right away."""
    from .apprise_sender import AppriseSender
    from .targets import build_targets

    routes = chosen_routes(settings, route)
    targets = build_targets(settings, env, only=route)
    renderer = MessageRenderer(tz, settings.templates)
    send = sender or AppriseSender(settings.timeout.total_seconds())
    found = []
    for item in routes:
        message = renderer.test(item.name, item.language, item.format, clock.now())
        results = tuple((t, send.send(t, message)) for t in targets[item.name])
        found.append(RouteTest(item, results))
    return found


def outbox_counts(store: IncidentStore) -> outbox.OutboxCounts:
    """Alerts by outbox status (for `secmon status`)."""
    return outbox.counts(store.connection)


def outbox_rows(store: IncidentStore, include_done: bool = False,
                limit: int | None = None) -> list[outbox.OutboxRow]:
    statuses: Sequence[str] = outbox.STATUSES if include_done else outbox.WAITING
    return outbox.rows(store.connection, statuses, limit)


def requeue_failed(store: IncidentStore, clock: Clock, ids: Sequence[int] = ()) -> int:
    """Queue failed alerts (all, or `ids`) again with a fresh attempt count."""
    with store.transaction() as conn:
        return outbox.retry_failed(conn, clock.now(), ids)
