"""Deliver the outbox: apart from detection, with timeouts, capped exponential
backoff, attempt counts and errors recorded, and exactly one sender per row.

`Dispatcher.step()` does what is due now: the daily rounds (digest.py),
then, one row at a time, claim (a write transaction: the row becomes
`sending` under this sender's name for a lease, so a second dispatcher on
the same database skips it), render, send to every target that has not
confirmed it yet, and record the outcome: `sent` once every target
confirmed; otherwise back to `pending` after a backoff of
backoff * 2^(attempt-1), at most max_backoff; `failed` after the last
attempt (retried by the daily round or `secmon notify retry`). A row whose
sender died mid-send is taken again when its lease runs out.

`DispatcherThread` runs steps in a thread of its own, so a slow or hung
endpoint never stalls log reading; `wake()` asks for a step at once.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Protocol

from ..clock import Clock
from ..config.model import NotifySettings, RetrySettings
from ..incidents.store import IncidentStore
from ..templating import TemplateError
from . import outbox
from .digest import DailyRound, run_round
from .message import Message, MessageRenderer
from .payload import from_json, summary_from_json
from .routing import Route

if TYPE_CHECKING:  # pragma: no cover - apprise loads only when something is sent
    from .apprise_sender import SendResult, Target

LEASE_MARGIN = timedelta(seconds=60)


class Sender(Protocol):
    def send(self, target: Target, message: Message) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Attempt:
    """The outcome of one delivery attempt of one outbox row."""

    row_id: int
    route: str
    kind: str
    outcome: str  # sent | retry | failed
    attempts: int
    error: str = ""
    due_at: datetime | None = None  # next try (retry)


@dataclass(frozen=True, slots=True)
class StepReport:
    rounds: tuple[DailyRound, ...] = ()
    attempts: tuple[Attempt, ...] = ()

    def count(self, outcome: str) -> int:
        return sum(1 for a in self.attempts if a.outcome == outcome)


def backoff_delay(attempts: int, retry: RetrySettings) -> timedelta:
    """Wait after the `attempts`-th failed attempt: doubling from backoff, capped."""
    factor = 2 ** min(max(attempts - 1, 0), 30)
    return min(retry.max_backoff, retry.backoff * factor)


class Dispatcher:
    """Delivers due outbox rows of one incident database (one thread)."""

    def __init__(
        self,
        store: IncidentStore,
        routes: Sequence[Route],
        targets: Mapping[str, Sequence[Target]],
        renderer: MessageRenderer,
        sender: Sender,
        settings: NotifySettings,
        clock: Clock,
        tz: tzinfo,
        *,
        owner: str | None = None,
        owns_store: bool = False,
    ):
        self.store = store
        self._routes = {r.name: r for r in routes}
        self._targets = {name: tuple(t) for name, t in targets.items()}
        self._renderer = renderer
        self._sender = sender
        self._settings = settings
        self._clock = clock
        self._tz = tz
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._owns_store = owns_store
        widest = max((len(t) for t in self._targets.values()), default=1)
        self._lease = settings.timeout * 3 * max(widest, 1) + LEASE_MARGIN

    def close(self) -> None:
        if self._owns_store:
            self.store.close()

    # ---------------------------------------------------------------- steps
    def step(self, limit: int = 200, stop: Callable[[], bool] | None = None) -> StepReport:
        """Daily rounds that are due, then up to `limit` due rows (fewer if
        `stop()` turns true). A target that fails is not tried again within
        the step: the other rows for it fail with its error at once, so one
        dead endpoint costs one timeout per step, not one per alert."""
        rounds = []
        for route in self._routes.values():
            with self.store.transaction() as conn:
                done = run_round(conn, route, self._clock.now(), self._tz)
            if done is not None:
                rounds.append(done)
        attempts = []
        down: dict[str, str] = {}  # target key -> its error in this step
        for _ in range(limit):
            if stop is not None and stop():
                break
            with self.store.transaction() as conn:
                row = outbox.claim_next(conn, self.owner, self._clock.now(), self._lease)
            if row is None:
                break
            attempts.append(self._deliver(row, down))
        return StepReport(tuple(rounds), tuple(attempts))

    def next_due(self) -> datetime | None:
        return outbox.next_due(self.store.connection)

    # ------------------------------------------------------------- delivery
    def _deliver(self, row: outbox.OutboxRow, down: dict[str, str]) -> Attempt:
        route = self._routes.get(row.route)
        targets = self._targets.get(row.route)
        if route is None or targets is None:
            return self._finish(row, row.delivered, [
                f"route '{row.route}' is not in the config any more; add it back and run "
                "'secmon notify retry', or leave the alert failed"], final=True)
        try:
            message = self._message(row, route)
        except (TemplateError, ValueError, KeyError) as exc:
            return self._finish(row, row.delivered, [f"cannot render the message: {exc}"])
        delivered = set(row.delivered)
        errors = []
        for target in targets:
            if target.key in delivered:
                continue
            if target.key in down:
                errors.append(f"{target.display}: {down[target.key]} (not tried again yet)")
                continue
            result = self._sender.send(target, message)
            if result.ok:
                delivered.add(target.key)
            else:
                down[target.key] = result.error
                errors.append(f"{target.display}: {result.error}")
        return self._finish(row, delivered, errors)

    def _message(self, row: outbox.OutboxRow, route: Route) -> Message:
        lang, fmt = route.language, route.format
        if row.kind in outbox.SUMMARY_KINDS:
            items = [from_json(child.payload)
                     for child in outbox.children(self.store.connection, row.id)]
            if row.kind == "storm":
                storm = self._settings.storm
                return self._renderer.storm(items, lang, fmt, within=storm.within,
                                            limit=storm.max)
            info = summary_from_json(row.payload)
            return self._renderer.digest(items, lang, fmt, day=row.created_at,
                                         retried=int(info.get("retried", 0)))
        return self._renderer.alert(from_json(row.payload), lang, fmt)

    def _finish(self, row: outbox.OutboxRow, delivered: Sequence[str] | set[str],
                errors: Sequence[str], final: bool = False) -> Attempt:
        now = self._clock.now()
        if not errors:
            status, due, error = "sent", None, None
        elif final or row.attempts >= self._settings.retry.attempts:
            status, due, error = "failed", None, "; ".join(errors)
        else:
            status = "pending"
            due = now + backoff_delay(row.attempts, self._settings.retry)
            error = "; ".join(errors)
        with self.store.transaction() as conn:
            outbox.finish(conn, row.id, self.owner, now, status=status, delivered=delivered,
                          error=error, due_at=due)
        outcome = {"sent": "sent", "pending": "retry", "failed": "failed"}[status]
        return Attempt(row.id, row.route, row.kind, outcome, row.attempts, error or "", due)


class DispatcherThread:
    """Runs a dispatcher in its own thread until stopped.

    `factory` is called in the thread (SQLite connections belong to the
    thread that opened them); `on_error` gets unexpected exceptions, and the
    loop goes on after them.
    """

    def __init__(
        self,
        factory: Callable[[], Dispatcher],
        *,
        interval: float = 5.0,
        on_error: Callable[[BaseException], None] | None = None,
        on_step: Callable[[StepReport], None] | None = None,
    ):
        self._factory = factory
        self._interval = interval
        self._on_error = on_error
        self._on_step = on_step
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="secmon-notify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Deliver now rather than at the next interval (after new alerts)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the loop to end after the send in flight; True if it ended in time."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            dispatcher = self._factory()
        except BaseException as exc:  # noqa: BLE001 - reported, the thread ends
            self._report(exc)
            return
        try:
            while not self._stop.is_set():
                try:
                    report = dispatcher.step(stop=self._stop.is_set)
                    if self._on_step is not None:
                        self._on_step(report)
                except Exception as exc:  # noqa: BLE001 - keep delivering after a bad step
                    self._report(exc)
                self._wake.wait(self._interval)
                self._wake.clear()
        finally:
            dispatcher.close()

    def _report(self, exc: BaseException) -> None:
        if self._on_error is not None:
            self._on_error(exc)
