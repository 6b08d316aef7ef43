"""The daily round of each route: its digest of low-severity incidents, and
another try for the alerts that failed.

Once a day, at the route's `digest.hour` (08:00 for routes without a
digest) in the display time zone, the first sender to notice:
- queues every failed alert of the route again, with a fresh attempt count;
- if the route has a digest and incidents are waiting for it, queues one
  digest message listing them (the rows become its children).
The time of the round is stored per route, so a restart neither repeats
nor skips it; a round missed while secmon was down runs at the next start.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from . import outbox
from .payload import summary_json
from .routing import Route

DEFAULT_HOUR = 8  # daily retry round of routes without a digest


@dataclass(frozen=True, slots=True)
class DailyRound:
    route: str
    retried: int
    digest_id: int | None
    listed: int


def round_hour(route: Route) -> int:
    return route.digest.hour if route.digest is not None else DEFAULT_HOUR


def last_slot(now: datetime, tz: tzinfo, hour: int) -> datetime:
    """The latest moment at or before `now` when the local clock read hour:00."""
    local = now.astimezone(tz)
    slot = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if slot > local:
        slot = (local - timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return slot


def round_due(now: datetime, tz: tzinfo, hour: int, last_round: datetime | None) -> bool:
    return last_round is None or last_round < last_slot(now, tz, hour)


def run_round(conn: sqlite3.Connection, route: Route, now: datetime,
              tz: tzinfo) -> DailyRound | None:
    """Do the route's daily round if it is due (call inside a write transaction)."""
    if not round_due(now, tz, round_hour(route), outbox.last_daily(conn, route.name)):
        return None
    outbox.set_last_daily(conn, route.name, now)
    retried = outbox.retry_failed(conn, now, route=route.name)
    digest_id, listed = None, 0
    if route.digest is not None and outbox.digest_waiting(conn, route.name):
        day = now.astimezone(tz).date().isoformat()
        digest_id = outbox.insert(conn, route=route.name, kind="digest", status="pending",
                                  payload=summary_json(day=day, retried=retried), now=now)
        listed = outbox.adopt_digest_rows(conn, route.name, digest_id)
    return DailyRound(route.name, retried, digest_id, listed)
