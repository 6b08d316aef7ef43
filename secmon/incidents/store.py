"""The incident store: one SQLite file (WAL) written through sqlite-utils.

`record()` turns detections into incidents (the decisions are made by the
pure functions in correlate.py) and commits them in one transaction with
the source checkpoints and detector state that produced them, so a crash
replays at most uncommitted lines and never duplicates an incident.
People move incidents through their lifecycle with acknowledge / contain /
resolve / reopen; every change lands in the incident's timeline.

One store object is used by one thread; several stores (processes) may
share one file: every write takes the write lock first (BEGIN IMMEDIATE)
and waits up to `busy_timeout` seconds for it.

`on_change` (optional) is called inside the write transaction of every
record() and status change with the SQLite connection and the changes, so
companion tables (the alert outbox of secmon.notify) are written atomically
with the incidents; if it raises, nothing of the call is stored.

`plan_checklist` (optional) gives each new incident its checklist in the
transaction that opens it (see checklists.py); `set_step` ticks steps off.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..clock import Clock
from ..events import SEVERITIES, SEVERITY_RANK, Checkpoint, Detection, Event
from .checklists import (
    CHECKLIST_NOTE_LIMIT,
    ChecklistPlan,
    ChecklistPlanner,
    ChecklistRecord,
    StepRecord,
    insert_checklist,
    plan_text,
    select_checklists,
    step_text,
    update_step,
)
from .correlate import (
    QUIET_KINDS,
    RAW_LIMIT,
    REOPEN_WITHIN,
    Step,
    canonical_key,
    check_detection,
    clean_text,
    detection_hash,
    evidence_plan,
    step,
    summarize,
    timeline_entries,
    utc_text,
)
from .migrations import (
    connect,
    incident_row,
    migrate,
    row_checkpoint,
    row_evidence,
    row_incident,
    row_timeline,
    write_transaction,
)
from .model import (
    OPEN_STATUSES,
    STATUSES,
    EvidenceLine,
    Incident,
    IncidentChange,
    IncidentError,
    IncidentStats,
    StoreError,
    TimelineEntry,
    UnknownIncidentError,
    apply_transition,
)

SYSTEM_ACTOR = "secmon"

# Called inside the write transaction with the connection and what changed.
ChangeHook = Callable[[sqlite3.Connection, Sequence[IncidentChange]], None]
NOTE_LIMIT = 10_000  # characters of one note kept
_HASH_CHUNK = 500  # hashes per "IN (...)" lookup


@dataclass(frozen=True, slots=True)
class _Recorded:
    detection: Detection
    digest: str
    key_json: str


@dataclass(slots=True)
class _Work:
    """The steps of one record() call on one incident (local to that call)."""

    start: Incident | None
    steps: list[Step] = field(default_factory=list)
    detections: list[_Recorded] = field(default_factory=list)

    @property
    def current(self) -> Incident | None:
        return self.steps[-1].incident if self.steps else self.start


class IncidentStore:
    """Incidents, their timeline and evidence, checkpoints and detector state."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        *,
        reopen_within: timedelta = REOPEN_WITHIN,
        busy_timeout: float = 10.0,
        on_change: ChangeHook | None = None,
        plan_checklist: ChecklistPlanner | None = None,
    ):
        self.path = Path(path)
        self._clock = clock
        self._reopen_within = reopen_within
        self._on_change = on_change
        self._plan_checklist = plan_checklist
        self._db: Database | None = connect(self.path, busy_timeout)
        try:
            migrate(self._db, clock, str(self.path))
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(
        cls,
        path: Path,
        clock: Clock,
        *,
        reopen_within: timedelta = REOPEN_WITHIN,
        busy_timeout: float = 10.0,
        on_change: ChangeHook | None = None,
        plan_checklist: ChecklistPlanner | None = None,
    ) -> IncidentStore:
        """Open (creating folders and file if needed) and upgrade the schema."""
        return cls(path, clock, reopen_within=reopen_within, busy_timeout=busy_timeout,
                   on_change=on_change, plan_checklist=plan_checklist)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> IncidentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- recording
    def record(
        self,
        detections: Sequence[Detection],
        checkpoints: Sequence[Checkpoint] = (),
        state: Mapping[str, str] | None = None,
    ) -> list[IncidentChange]:
        """Store detections, checkpoints and detector state in ONE transaction.

        Returns one change per incident touched, in the order first touched;
        a detection stored before (same content hash) changes nothing.
        """
        for detection in detections:
            check_detection(detection)
        for name, value in (state or {}).items():
            if not isinstance(value, str):
                raise ValueError(f"state {name!r} must be JSON text, not {type(value).__name__}")
        now = self._clock.now()
        keyed = [(d, canonical_key(d.key)) for d in detections]
        recorded = [_Recorded(d, detection_hash(d, key), key) for d, key in keyed]
        with self._write():
            stored = self._stored_hashes([r.digest for r in recorded])
            work: dict[tuple[str, str], _Work] = {}
            for r in recorded:
                if r.digest in stored:
                    continue
                stored.add(r.digest)
                group = (r.detection.category, r.key_json)
                item = work.get(group)
                if item is None:
                    item = work[group] = _Work(self._latest(*group))
                item.steps.append(step(item.current, r.detection, now, self._reopen_within))
                item.detections.append(r)
            changes = [self._save(item, now) for item in work.values()]
            self._save_checkpoints(checkpoints, now)
            self._save_state(state or {}, now)
            if changes and self._on_change is not None:
                self._on_change(self._db_().conn, changes)
        return changes

    def _save(self, item: _Work, now: datetime) -> IncidentChange:
        outcome = summarize(item.steps)
        incident = outcome.incident
        plan: ChecklistPlan | None = None
        if incident.id == 0:
            if self._plan_checklist is not None:
                plan = self._plan_checklist(incident)
                incident = replace(incident, playbook=plan.playbook)
            table = self._db_().table("incidents").insert(incident_row(incident))
            incident = replace(incident, id=int(table.last_rowid or 0))
        else:
            self._update(incident)
        self._save_detections(incident.id, item.detections, now)
        self._save_evidence(incident, item.detections)
        self._save_timeline(incident.id, item.steps, now)
        if plan is not None:
            insert_checklist(self._db_().conn, incident.id, plan, now)
            self._add_timeline(incident.id, now, "checklist", SYSTEM_ACTOR, plan_text(plan))
        before = None if item.steps[0].kind == "opened" else item.steps[0].before
        return IncidentChange(
            kind=outcome.kind,
            incident=self._get(incident.id),
            previous_severity=before.severity if before else None,
            previous_count=before.count if before else 0,
            fields={"reason": outcome.reason} if outcome.reason else {},
        )

    def _save_detections(self, incident_id: int, items: Sequence[_Recorded], now: datetime) -> None:
        recorded_at = utc_text(now)
        rows = [
            (
                r.digest,
                incident_id,
                r.detection.rule_id,
                r.detection.category,
                r.detection.severity,
                r.key_json,
                r.detection.count,
                utc_text(r.detection.first_seen),
                utc_text(r.detection.last_seen),
                clean_text(r.detection.source),
                recorded_at,
            )
            for r in items
        ]
        self._db_().conn.executemany(  # bulk insert: sqlite-utils' insert_all is 5x slower
            "INSERT INTO detections (hash, incident_id, rule_id, category, severity, key_json, "
            "count, first_seen, last_seen, source, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def _save_evidence(self, incident: Incident, items: Sequence[_Recorded]) -> None:
        """Append evidence; only the first 20 and last 20 lines ever stay."""
        lines: list[tuple[str, Event]] = [
            (r.detection.rule_id, e) for r in items for e in r.detection.evidence
        ]
        total_before = incident.evidence_total - len(lines)
        plan = evidence_plan(total_before, len(lines))
        db = self._db_()
        db.execute(
            "DELETE FROM evidence WHERE incident_id = ? AND position >= ? AND position < ?",
            [incident.id, plan.drop_from, plan.drop_to],
        )
        rows = [
            {
                "incident_id": incident.id,
                "position": total_before + index,
                "time": utc_text(lines[index][1].time),
                "source": clean_text(lines[index][1].source),
                "line_no": lines[index][1].line_no,
                "raw": clean_text(lines[index][1].raw, RAW_LIMIT),
                "rule_id": lines[index][0],
            }
            for index in plan.keep
        ]
        if rows:
            db.table("evidence").insert_all(rows)

    def _save_timeline(self, incident_id: int, steps: Sequence[Step], now: datetime) -> None:
        entries = timeline_entries(steps)
        first = entries[0]
        if first.kind in QUIET_KINDS:  # continue the run of quiet entries already stored
            query = "SELECT id, kind, actor FROM timeline WHERE incident_id = ? ORDER BY id DESC"
            last = self._db_().execute(query + " LIMIT 1", [incident_id]).fetchone()
            if last and last[1] == first.kind and last[2] == SYSTEM_ACTOR:
                self._db_().execute(
                    "UPDATE timeline SET at = ?, text = ? WHERE id = ?",
                    [utc_text(now), first.text, last[0]],
                )
                entries = entries[1:]
        for e in entries:
            self._add_timeline(
                incident_id, now, e.kind, SYSTEM_ACTOR, e.text, e.old_status, e.new_status
            )

    def _save_checkpoints(self, checkpoints: Sequence[Checkpoint], now: datetime) -> None:
        rows = [
            {
                "source": c.source,
                "device": c.device,
                "inode": c.inode,
                "offset": c.offset,
                "fingerprint": c.fingerprint,
                "updated_at": utc_text(now),
            }
            for c in checkpoints
        ]
        if rows:
            self._db_().table("checkpoints").upsert_all(rows, pk="source")

    def _save_state(self, state: Mapping[str, str], now: datetime) -> None:
        rows = [{"name": k, "value": v, "updated_at": utc_text(now)} for k, v in state.items()]
        if rows:
            self._db_().table("state").upsert_all(rows, pk="name")

    def _stored_hashes(self, hashes: Sequence[str]) -> set[str]:
        found: set[str] = set()
        unique = sorted(set(hashes))
        for start in range(0, len(unique), _HASH_CHUNK):
            chunk = unique[start : start + _HASH_CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self._db_().execute(
                f"SELECT hash FROM detections WHERE hash IN ({marks})", chunk
            )
            found.update(row[0] for row in rows)
        return found

    def _latest(self, category: str, key_json: str) -> Incident | None:
        """The newest open incident of (category, key), else the newest of any status."""
        rows = self._select(
            "WHERE category = ? AND key_json = ? "
            "ORDER BY status IN ('new', 'acknowledged', 'contained') DESC, id DESC LIMIT 1",
            [category, key_json],
        )
        return rows[0] if rows else None

    # -------------------------------------------------------------- queries
    def list_incidents(
        self,
        status: Sequence[str] | None = None,
        min_severity: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[Incident]:
        """Incidents, the most recently seen first (ties: newest id first).

        `since` keeps those whose last_seen is at or after it.
        """
        where: list[str] = []
        params: list[Any] = []
        if status is not None:
            bad = [s for s in status if s not in STATUSES]
            if bad:
                raise ValueError(f"unknown status {bad[0]!r}; use one of {', '.join(STATUSES)}")
            where.append(f"status IN ({', '.join('?' * len(status))})" if status else "0")
            params.extend(status)
        if min_severity is not None:
            if min_severity not in SEVERITY_RANK:
                raise ValueError(
                    f"unknown severity {min_severity!r}; use one of {', '.join(SEVERITIES)}"
                )
            wanted = [s for s in SEVERITIES if SEVERITY_RANK[s] >= SEVERITY_RANK[min_severity]]
            where.append(f"severity IN ({', '.join('?' * len(wanted))})")
            params.extend(wanted)
        if since is not None:
            where.append("last_seen >= ?")
            params.append(utc_text(since))
        sql = "WHERE " + " AND ".join(where) if where else ""
        sql += " ORDER BY last_seen DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(max(0, limit))
        return self._select(sql, params)

    def get(self, incident_id: int) -> Incident:
        """The incident; UnknownIncidentError ("no incident #42") if there is none."""
        return self._get(incident_id)

    def timeline(self, incident_id: int) -> list[TimelineEntry]:
        """The incident's timeline, oldest first."""
        self._get(incident_id)
        query = "SELECT * FROM timeline WHERE incident_id = ? ORDER BY id"
        return [row_timeline(row) for row in self._db_().query(query, [incident_id])]

    def evidence(self, incident_id: int) -> list[EvidenceLine]:
        """The kept evidence lines (the first 20 and the last 20), in arrival order."""
        self._get(incident_id)
        query = "SELECT * FROM evidence WHERE incident_id = ? ORDER BY position"
        return [row_evidence(row) for row in self._db_().query(query, [incident_id])]

    def evidence_total(self, incident_id: int) -> int:
        """How many evidence lines the incident has seen, kept or not."""
        return self._get(incident_id).evidence_total

    def stats(self) -> IncidentStats:
        by_status = dict.fromkeys(STATUSES, 0)
        by_severity = dict.fromkeys(SEVERITIES, 0)
        open_by_severity = dict.fromkeys(SEVERITIES, 0)
        rows = self._db_().execute(
            "SELECT status, severity, COUNT(*) FROM incidents GROUP BY status, severity"
        )
        for status, severity, count in rows:
            by_status[status] += count
            by_severity[severity] += count
            if status in OPEN_STATUSES:
                open_by_severity[severity] += count
        return IncidentStats(by_status, by_severity, open_by_severity, sum(by_status.values()))

    # ------------------------------------------------------------ lifecycle
    def acknowledge(self, incident_id: int, by: str, note: str = "") -> Incident:
        return self._transition(incident_id, "acknowledged", by, note)

    def contain(self, incident_id: int, by: str, note: str = "") -> Incident:
        return self._transition(incident_id, "contained", by, note)

    def resolve(
        self, incident_id: int, by: str, note: str = "", false_positive: bool = False
    ) -> Incident:
        wanted = "false_positive" if false_positive else "resolved"
        return self._transition(incident_id, wanted, by, note)

    def reopen(self, incident_id: int, by: str, note: str = "") -> Incident:
        return self._transition(incident_id, "new", by, note, kind="reopened")

    def add_note(self, incident_id: int, text: str, by: str) -> Incident:
        actor, note = _actor(by), clean_text(text.strip(), NOTE_LIMIT)
        if not note:
            raise IncidentError(
                "ghi chú trống; hãy viết điều đã làm hoặc đã thấy",
                "the note is empty; write what was done or seen",
            )
        now = self._clock.now()
        with self._write():
            self._update(replace(self._get(incident_id), updated_at=now))
            self._add_timeline(incident_id, now, "note", actor, note)
        return self._get(incident_id)

    def assign(self, incident_id: int, who: str, by: str) -> Incident:
        """Set who handles the incident; an empty `who` removes the assignee."""
        actor, assignee = _actor(by), clean_text(who.strip(), 255)
        now = self._clock.now()
        with self._write():
            incident = self._get(incident_id)
            self._update(replace(incident, assignee=assignee or None, updated_at=now))
            self._add_timeline(incident_id, now, "assigned", actor, assignee)
        return self._get(incident_id)

    def _transition(
        self, incident_id: int, wanted: str, by: str, note: str, kind: str = "status"
    ) -> Incident:
        actor, text = _actor(by), clean_text(note.strip(), NOTE_LIMIT)
        now = self._clock.now()
        with self._write():
            incident = self._get(incident_id)
            self._update(apply_transition(incident, wanted, now))
            self._add_timeline(incident_id, now, kind, actor, text, incident.status, wanted)
            if self._on_change is not None:
                change = IncidentChange(
                    kind="status",
                    incident=self._get(incident_id),
                    previous_severity=incident.severity,
                    previous_count=incident.count,
                    fields={"old_status": incident.status, "new_status": wanted, "by": actor},
                )
                self._on_change(self._db_().conn, [change])
        return self._get(incident_id)

    # ------------------------------------------------------------ checklists
    def checklist(self, incident_id: int) -> ChecklistRecord | None:
        """The incident's checklist, or None if it has none yet."""
        self._get(incident_id)
        return select_checklists(self._db_().conn, [incident_id]).get(incident_id)

    def checklists(self, incident_ids: Sequence[int] | None = None) -> dict[int, ChecklistRecord]:
        """Checklists by incident id, of `incident_ids` (all when None)."""
        return select_checklists(self._db_().conn, incident_ids)

    def attach_checklist(
        self, incident_id: int, plan: ChecklistPlan, by: str = SYSTEM_ACTOR
    ) -> ChecklistRecord:
        """Give an incident stored without one its checklist (and playbook);
        an incident that already has a checklist keeps it."""
        actor = _actor(by)
        now = self._clock.now()
        with self._write():
            incident = self._get(incident_id)
            conn = self._db_().conn
            if incident_id not in select_checklists(conn, [incident_id]):
                self._update(replace(incident, playbook=plan.playbook, updated_at=now))
                insert_checklist(conn, incident_id, plan, now)
                self._add_timeline(incident_id, now, "checklist", actor, plan_text(plan))
            return select_checklists(conn, [incident_id])[incident_id]

    def set_step(
        self, incident_id: int, step_id: str, done: bool, by: str, note: str = ""
    ) -> StepRecord:
        """Mark one checklist step done (or not done again), with who, when and
        a note; the change goes into the incident's timeline."""
        actor, text = _actor(by), clean_text(note.strip(), CHECKLIST_NOTE_LIMIT)
        now = self._clock.now()
        with self._write():
            incident = self._get(incident_id)
            record = update_step(
                self._db_().conn, incident_id, step_id, done=done, by=actor, note=text, now=now
            )
            self._update(replace(incident, updated_at=now))
            kind = "step_done" if done else "step_undone"
            self._add_timeline(incident_id, now, kind, actor, step_text(step_id, done, text))
        return record

    # ---------------------------------------------------- checkpoints, state
    def load_checkpoints(self) -> dict[str, Checkpoint]:
        """Every source's checkpoint, by source."""
        rows = self._db_().query("SELECT * FROM checkpoints ORDER BY source")
        return {row["source"]: row_checkpoint(row) for row in rows}

    def load_state(self, name: str) -> str | None:
        """The JSON text last stored under `name` through record(), or None."""
        row = self._db_().execute("SELECT value FROM state WHERE name = ?", [name]).fetchone()
        return None if row is None else str(row[0])

    # ------------------------------------------------- companion tables
    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection, for reading companion tables (the outbox)."""
        return self._db_().conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT) on the connection."""
        with self._write():
            yield self._db_().conn

    # ------------------------------------------------------------- plumbing
    def _db_(self) -> Database:
        if self._db is None:
            raise StoreError(
                f"kho sự cố {self.path} đã đóng", f"the incident store {self.path} is closed"
            )
        return self._db

    def _write(self) -> AbstractContextManager[None]:
        return write_transaction(self._db_(), str(self.path))

    def _get(self, incident_id: int) -> Incident:
        rows = self._select("WHERE id = ?", [incident_id])
        if not rows:
            raise UnknownIncidentError(incident_id)
        return rows[0]

    def _select(self, tail: str, params: Sequence[Any]) -> list[Incident]:
        rows = self._db_().query(f"SELECT * FROM incidents {tail}", list(params))
        return [row_incident(row) for row in rows]

    def _update(self, incident: Incident) -> None:
        row = incident_row(incident)
        sets = ", ".join(f"{name} = ?" for name in row)
        self._db_().execute(
            f"UPDATE incidents SET {sets} WHERE id = ?", [*row.values(), incident.id]
        )

    def _add_timeline(
        self,
        incident_id: int,
        at: datetime,
        kind: str,
        actor: str,
        text: str = "",
        old_status: str | None = None,
        new_status: str | None = None,
    ) -> None:
        self._db_().execute(
            "INSERT INTO timeline (incident_id, at, kind, actor, text, old_status, new_status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [incident_id, utc_text(at), kind, actor, text, old_status, new_status],
        )


def _actor(by: str) -> str:
    actor = clean_text(by.strip(), 255)
    if not actor:
        raise IncidentError("hãy cho biết ai thực hiện (--by)", "say who is doing this (--by)")
    return actor
