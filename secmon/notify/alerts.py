"""Queue alerts in the outbox, inside the transaction of the incident change.

`AlertWriter` is the incident store's `on_change` hook. For each change
that people should hear of and each route that takes it (routing.py):

- digest-level incidents wait for the route's daily digest (one entry per
  incident, updated in place);
- an alert of the same incident not sent yet is updated in place (the
  later change is folded into it, nothing is lost);
- otherwise a new alert is queued, due now, or when the per-incident rate
  limit allows (`rate.per_incident` after the incident's last alert);
- during a storm (storm.py) it is held for the route's storm summary.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from ..clock import Clock
from ..config.model import NotifySettings, StormSettings
from ..incidents.model import IncidentChange
from . import outbox, storm
from .payload import AlertSnapshot, from_json, snapshot, summary_json, to_json
from .routing import ALERT, Route, alert_kind, dispositions

_NO_TITLES: Mapping[str, Mapping[str, str]] = MappingProxyType({})


class AlertWriter:
    """Writes outbox rows for incident changes; pass it as IncidentStore(on_change=...)."""

    def __init__(
        self,
        routes: Sequence[Route],
        settings: NotifySettings,
        clock: Clock,
        playbook_titles: Mapping[str, Mapping[str, str]] = _NO_TITLES,
    ):
        self._routes = tuple(routes)
        self._settings = settings
        self._clock = clock
        self._titles = playbook_titles

    def __call__(self, conn: sqlite3.Connection, changes: Sequence[IncidentChange]) -> None:
        batch = _Batch(conn, self._clock.now(), self._settings.storm)
        for change in changes:
            kind = alert_kind(change)
            if kind is None:
                continue
            chosen = dispositions(self._routes, change)
            if not chosen:
                continue
            item = snapshot(conn, change, kind, batch.now, self._titles)
            for route, how in chosen:
                if how == ALERT:
                    self._alert(batch, route, item)
                else:
                    self._digest(conn, route, item)

    def _digest(self, conn: sqlite3.Connection, route: Route, item: AlertSnapshot) -> None:
        now = item.changed_at
        waiting = outbox.unsent_for(conn, route.name, item.incident_id, ("digest",))
        if waiting is not None:
            outbox.update_payload(conn, waiting.id, to_json(from_json(waiting.payload)
                                                            .folded(item)), now)
            return
        outbox.insert(conn, route=route.name, kind=item.kind, status="digest",
                      payload=to_json(item), now=now, incident_id=item.incident_id)

    def _alert(self, batch: _Batch, route: Route, item: AlertSnapshot) -> None:
        conn, now = batch.conn, item.changed_at
        unsent = outbox.unsent_for(conn, route.name, item.incident_id, ("pending", "held"))
        if unsent is not None:
            folded = from_json(unsent.payload).folded(item)
            outbox.update_payload(conn, unsent.id, to_json(folded), now)
            return
        due = now
        last = outbox.last_alert_time(conn, route.name, item.incident_id)
        if last is not None and now < last + self._settings.rate.per_incident:
            due = last + self._settings.rate.per_incident
        parent = batch.storm_for(route.name)
        row_id = outbox.insert(conn, route=route.name, kind=item.kind,
                               status="pending" if parent is None else "held",
                               payload=to_json(item), now=now, due_at=due,
                               incident_id=item.incident_id, parent_id=parent)
        waiting = outbox.unsent_for(conn, route.name, item.incident_id, ("digest",))
        if waiting is not None:  # the alert now covers what the digest would have said
            outbox.supersede(conn, waiting.id, row_id, now)


class _Batch:
    """Storm bookkeeping for one hook call: the window is counted once per
    route and then kept up to date here, so a call with thousands of changes
    stays linear."""

    def __init__(self, conn: sqlite3.Connection, now: datetime, settings: StormSettings):
        self.conn = conn
        self.now = now
        self._settings = settings
        self._recent: dict[str, int] = {}
        self._storm: dict[str, int] = {}

    def storm_for(self, route: str) -> int | None:
        """Count one more alert on `route`; the storm summary to hold it for, if any."""
        if route not in self._recent:
            since = storm.window_start(self.now, self._settings)
            self._recent[route] = outbox.alerts_since(self.conn, route, since)
        in_storm = storm.in_storm(self._recent[route], self._settings)
        self._recent[route] += 1
        if not in_storm:
            return None
        if route not in self._storm:
            summary = outbox.open_summary(self.conn, route, "storm")
            if summary is not None:
                self._storm[route] = summary.id
            else:
                last = outbox.last_summary_time(self.conn, route, "storm")
                self._storm[route] = outbox.insert(
                    self.conn, route=route, kind="storm", status="pending",
                    payload=summary_json(started=self.now.isoformat()), now=self.now,
                    due_at=storm.summary_due(self.now, self._settings, last))
        return self._storm[route]
