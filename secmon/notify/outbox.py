"""The alert outbox table: rows, states and the queries on them.

A row is one alert (or storm summary, or digest) for one route:

    pending ──claim──► sending ──Apprise confirms──► sent
       ▲                  │
       └──── retry ◄──────┴── failed attempt (backoff) ... last attempt ──► failed
    held    : waiting to be listed in a storm summary (its parent row)
    digest  : waiting to be listed in the route's daily digest (its parent row)
    summarized : listed in a summary that was sent (or superseded by a later alert)

Every function takes the SQLite connection of the incident database; the
caller holds the transaction (writes run inside BEGIN IMMEDIATE, so a
claim is exclusive: two senders never take the same row). Times are
stored as fixed-width UTC text, so text order is time order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..incidents.correlate import parse_utc, utc_text

STATUSES: tuple[str, ...] = (
    "pending", "sending", "sent", "failed", "held", "digest", "summarized",
)
WAITING: tuple[str, ...] = ("pending", "sending", "failed", "held", "digest")
SUMMARY_KINDS: tuple[str, ...] = ("storm", "digest")
ERROR_CHARS = 1000  # characters of the last error kept


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    route: str
    kind: str  # opened | escalated | reopened | resolved | storm | digest
    incident_id: int | None
    status: str
    parent_id: int | None
    payload: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    attempts: int
    last_error: str | None
    last_attempt_at: datetime | None
    claimed_by: str | None
    claimed_until: datetime | None
    delivered: tuple[str, ...]
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    """Rows by status, every status present (for `secmon status`)."""

    by_status: dict[str, int]

    @property
    def pending(self) -> int:
        return self.by_status["pending"] + self.by_status["sending"]

    @property
    def failed(self) -> int:
        return self.by_status["failed"]

    @property
    def waiting(self) -> int:
        """Alerts held for a storm summary or the daily digest."""
        return self.by_status["held"] + self.by_status["digest"]


_COLUMNS = (
    "id, route, kind, incident_id, status, parent_id, payload, created_at, updated_at, due_at, "
    "attempts, last_error, last_attempt_at, claimed_by, claimed_until, delivered, sent_at"
)


def _opt(text: str | None) -> datetime | None:
    return None if text is None else parse_utc(text)


def _row(values: Sequence[Any]) -> OutboxRow:
    return OutboxRow(
        id=values[0],
        route=values[1],
        kind=values[2],
        incident_id=values[3],
        status=values[4],
        parent_id=values[5],
        payload=values[6],
        created_at=parse_utc(values[7]),
        updated_at=parse_utc(values[8]),
        due_at=parse_utc(values[9]),
        attempts=values[10],
        last_error=values[11],
        last_attempt_at=_opt(values[12]),
        claimed_by=values[13],
        claimed_until=_opt(values[14]),
        delivered=tuple(json.loads(values[15])),
        sent_at=_opt(values[16]),
    )


def _select(conn: sqlite3.Connection, tail: str, params: Sequence[Any] = ()) -> list[OutboxRow]:
    return [_row(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM outbox {tail}", list(params))]


# ------------------------------------------------------------------- writing
def insert(
    conn: sqlite3.Connection,
    *,
    route: str,
    kind: str,
    status: str,
    payload: str,
    now: datetime,
    due_at: datetime | None = None,
    incident_id: int | None = None,
    parent_id: int | None = None,
) -> int:
    cursor = conn.execute(
        "INSERT INTO outbox (route, kind, incident_id, status, parent_id, payload, created_at, "
        "updated_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [route, kind, incident_id, status, parent_id, payload, utc_text(now), utc_text(now),
         utc_text(due_at or now)],
    )
    return int(cursor.lastrowid or 0)


def update_payload(conn: sqlite3.Connection, row_id: int, payload: str, now: datetime) -> None:
    conn.execute("UPDATE outbox SET payload = ?, updated_at = ? WHERE id = ?",
                 [payload, utc_text(now), row_id])


def supersede(conn: sqlite3.Connection, row_id: int, by: int, now: datetime) -> None:
    """Mark a waiting row as covered by row `by` (a later alert on the same incident)."""
    conn.execute("UPDATE outbox SET status = 'summarized', parent_id = ?, updated_at = ? "
                 "WHERE id = ?", [by, utc_text(now), row_id])


# ---------------------------------------------------------- enqueue queries
def unsent_for(conn: sqlite3.Connection, route: str, incident_id: int,
               statuses: Sequence[str]) -> OutboxRow | None:
    """The newest row of the incident on the route in one of `statuses`, never
    tried yet (so no target has its older content)."""
    marks = ", ".join("?" * len(statuses))
    rows = _select(conn, f"WHERE route = ? AND incident_id = ? AND status IN ({marks}) "
                         "AND attempts = 0 AND delivered = '[]' ORDER BY id DESC LIMIT 1",
                   [route, incident_id, *statuses])
    return rows[0] if rows else None


def last_alert_time(conn: sqlite3.Connection, route: str, incident_id: int) -> datetime | None:
    """When the incident's newest alert on the route was queued (digest entries aside)."""
    row = conn.execute(
        "SELECT MAX(o.created_at) FROM outbox o INDEXED BY outbox_by_incident "
        "WHERE o.route = ? AND o.incident_id = ? "
        "AND o.status != 'digest' AND NOT EXISTS "
        "(SELECT 1 FROM outbox p WHERE p.id = o.parent_id AND p.kind = 'digest')",
        [route, incident_id],
    ).fetchone()
    return _opt(row[0]) if row else None


def alerts_since(conn: sqlite3.Connection, route: str, since: datetime) -> int:
    """Alerts queued on the route since `since`, sent one by one or held for a
    storm summary (the storm window); digest entries do not count."""
    row = conn.execute(
        "SELECT COUNT(*) FROM outbox o WHERE o.route = ? AND o.created_at >= ? "
        "AND o.incident_id IS NOT NULL AND o.status != 'digest' AND NOT EXISTS "
        "(SELECT 1 FROM outbox p WHERE p.id = o.parent_id AND p.kind = 'digest')",
        [route, utc_text(since)],
    ).fetchone()
    return int(row[0])


def open_summary(conn: sqlite3.Connection, route: str, kind: str) -> OutboxRow | None:
    """The route's storm summary (or digest) still gathering rows: pending, not claimed."""
    rows = _select(conn, "WHERE route = ? AND kind = ? AND status = 'pending' "
                         "ORDER BY id DESC LIMIT 1", [route, kind])
    return rows[0] if rows else None


def last_summary_time(conn: sqlite3.Connection, route: str, kind: str) -> datetime | None:
    row = conn.execute("SELECT MAX(created_at) FROM outbox WHERE route = ? AND kind = ?",
                       [route, kind]).fetchone()
    return _opt(row[0]) if row else None


def children(conn: sqlite3.Connection, parent_id: int) -> list[OutboxRow]:
    """The rows a storm summary or digest lists, oldest first."""
    return _select(conn, "WHERE parent_id = ? AND status IN ('held', 'digest', 'summarized') "
                         "AND kind NOT IN ('storm', 'digest') ORDER BY id", [parent_id])


def adopt_digest_rows(conn: sqlite3.Connection, route: str, parent_id: int) -> int:
    """Give every digest-waiting row of the route to digest row `parent_id`."""
    cursor = conn.execute(
        "UPDATE outbox SET parent_id = ? WHERE route = ? AND status = 'digest' "
        "AND parent_id IS NULL", [parent_id, route])
    return cursor.rowcount


# ------------------------------------------------------------------ sending
def claim_next(conn: sqlite3.Connection, owner: str, now: datetime,
               lease: timedelta) -> OutboxRow | None:
    """Take the next due row: pending and due, or sending with an expired claim
    (its sender died). Counts the attempt. Call inside a write transaction."""
    stamp = utc_text(now)
    rows = _select(
        conn,
        "WHERE (status = 'pending' AND due_at <= ?) OR (status = 'sending' AND claimed_until < ?) "
        "ORDER BY due_at, id LIMIT 1",
        [stamp, stamp],
    )
    if not rows:
        return None
    row = rows[0]
    conn.execute(
        "UPDATE outbox SET status = 'sending', claimed_by = ?, claimed_until = ?, "
        "attempts = attempts + 1, last_attempt_at = ?, updated_at = ? WHERE id = ?",
        [owner, utc_text(now + lease), stamp, stamp, row.id],
    )
    return _select(conn, "WHERE id = ?", [row.id])[0]


def next_due(conn: sqlite3.Connection) -> datetime | None:
    """When the next pending row falls due (None: nothing pending)."""
    row = conn.execute("SELECT MIN(due_at) FROM outbox WHERE status = 'pending'").fetchone()
    return _opt(row[0]) if row else None


def finish(
    conn: sqlite3.Connection,
    row_id: int,
    owner: str,
    now: datetime,
    *,
    status: str,
    delivered: Iterable[str],
    error: str | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Record the outcome of an attempt; False if the claim was lost meanwhile."""
    stamp = utc_text(now)
    cursor = conn.execute(
        "UPDATE outbox SET status = ?, delivered = ?, last_error = ?, "
        "due_at = COALESCE(?, due_at), "
        "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, claimed_by = NULL, "
        "claimed_until = NULL, updated_at = ? WHERE id = ? AND claimed_by = ?",
        [status, json.dumps(sorted(set(delivered))),
         None if error is None else error[:ERROR_CHARS],
         None if due_at is None else utc_text(due_at), status, stamp, stamp, row_id, owner],
    )
    if cursor.rowcount and status == "sent":
        conn.execute("UPDATE outbox SET status = 'summarized', sent_at = ?, updated_at = ? "
                     "WHERE parent_id = ? AND status IN ('held', 'digest')",
                     [stamp, stamp, row_id])
    return bool(cursor.rowcount)


# ------------------------------------------------------------ people's view
def retry_failed(conn: sqlite3.Connection, now: datetime, ids: Sequence[int] = (),
                 route: str | None = None) -> int:
    """Put failed rows (all, those of `route`, or `ids`) back in the queue, due now,
    with a fresh attempt count. Returns how many."""
    where: list[str] = ["status = 'failed'"]
    params: list[Any] = []
    if ids:
        where.append(f"id IN ({', '.join('?' * len(ids))})")
        params.extend(ids)
    if route is not None:
        where.append("route = ?")
        params.append(route)
    stamp = utc_text(now)
    cursor = conn.execute(
        f"UPDATE outbox SET status = 'pending', attempts = 0, due_at = ?, updated_at = ? "
        f"WHERE {' AND '.join(where)}", [stamp, stamp, *params])
    return cursor.rowcount


def get(conn: sqlite3.Connection, ids: Sequence[int]) -> list[OutboxRow]:
    if not ids:
        return []
    return _select(conn, f"WHERE id IN ({', '.join('?' * len(ids))}) ORDER BY id", list(ids))


def rows(conn: sqlite3.Connection, statuses: Sequence[str] = WAITING,
         limit: int | None = None) -> list[OutboxRow]:
    """Rows in `statuses`, oldest first."""
    marks = ", ".join("?" * len(statuses))
    tail = f"WHERE status IN ({marks}) ORDER BY id"
    params: list[Any] = list(statuses)
    if limit is not None:
        tail += " LIMIT ?"
        params.append(limit)
    return _select(conn, tail, params)


def counts(conn: sqlite3.Connection) -> OutboxCounts:
    found = dict.fromkeys(STATUSES, 0)
    for status, number in conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status"):
        found[status] = number
    return OutboxCounts(found)


def last_daily(conn: sqlite3.Connection, route: str) -> datetime | None:
    row = conn.execute("SELECT last_daily FROM outbox_schedule WHERE route = ?",
                       [route]).fetchone()
    return _opt(row[0]) if row else None


def set_last_daily(conn: sqlite3.Connection, route: str, when: datetime) -> None:
    conn.execute("INSERT INTO outbox_schedule (route, last_daily) VALUES (?, ?) "
                 "ON CONFLICT (route) DO UPDATE SET last_daily = excluded.last_daily",
                 [route, utc_text(when)])


def digest_waiting(conn: sqlite3.Connection, route: str) -> int:
    """How many digest entries of the route no digest has taken yet."""
    row = conn.execute("SELECT COUNT(*) FROM outbox WHERE route = ? AND status = 'digest' "
                       "AND parent_id IS NULL", [route]).fetchone()
    return int(row[0])
