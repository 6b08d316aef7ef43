"""The daemon's status: counters kept while running, read back by `secmon status`.

The daemon keeps per-source counters (lines read, malformed, the newest
event's own time, when the newest line was read). Counters of committed
lines are written to the `state` table (name `daemon`) in the same
transaction as the checkpoints, so after a crash they count each line once,
like the incidents; a heartbeat refreshes the entry every few seconds while
the daemon is idle. `secmon status` reads that entry and the checkpoints from
the database (a second reader never blocks the daemon: WAL) and stats each
file to tell how many bytes are still unread.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from typing import Any

from ..events import SEVERITIES, Checkpoint
from ..i18n import Translator
from ..tables import render_table
from ..textsafe import terminal_safe
from .inputs import InputRecord
from .texts import say

STATUS_KEY = "daemon"
ENGINE_KEY = "engine"
STATUS_VERSION = 1
HEARTBEAT = 5.0  # seconds between status writes while idle
SILENT_AFTER = 3 * HEARTBEAT + 5  # no heartbeat for this long: not responding


@dataclass(slots=True)
class SourceCount:
    input: str
    lines: int = 0
    malformed: int = 0
    last_event_time: datetime | None = None  # the log's own time of the newest event
    last_read_at: datetime | None = None  # wall time the newest line was read

    def plain(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "lines": self.lines,
            "malformed": self.malformed,
            "last_event_time": _iso(self.last_event_time),
            "last_read_at": _iso(self.last_read_at),
        }


class StatusBook:
    """Counters of the running daemon: `pending` until the lines are committed."""

    def __init__(self) -> None:
        self.committed: dict[str, SourceCount] = {}
        self._pending: dict[str, SourceCount] = {}

    def count(self, input_name: str, records: Iterable[InputRecord], now: datetime) -> int:
        """Count a batch's records; returns how many there were."""
        pending = self._pending
        n = 0
        current = None
        slot: SourceCount | None = None
        for record in records:
            n += 1
            if record.source != current or slot is None:
                current = record.source
                slot = pending.get(current)
                if slot is None:
                    slot = pending[current] = SourceCount(input_name)
            slot.lines += 1
            slot.last_read_at = now
            event = record.event
            if event is None:
                slot.malformed += 1
            elif slot.last_event_time is None or event.time > slot.last_event_time:
                slot.last_event_time = event.time
        return n

    def merged(self) -> dict[str, SourceCount]:
        """The committed counters with the pending ones added (nothing changes yet)."""
        merged = {name: replace(slot) for name, slot in self.committed.items()}
        for source, more in self._pending.items():
            slot = merged.get(source)
            if slot is None:
                merged[source] = replace(more)
                continue
            slot.input = more.input
            slot.lines += more.lines
            slot.malformed += more.malformed
            slot.last_read_at = _later(slot.last_read_at, more.last_read_at)
            slot.last_event_time = _later(slot.last_event_time, more.last_event_time)
        return merged

    def accept(self, merged: dict[str, SourceCount]) -> None:
        """The pending counters were committed as `merged` (from merged())."""
        self.committed = merged
        self._pending = {}

    def restore(self, data: Mapping[str, Any]) -> None:
        """Take back the committed counters of the status entry written before."""
        for source, row in dict(data.get("sources") or {}).items():
            try:
                self.committed[str(source)] = SourceCount(
                    str(row.get("input", "")),
                    int(row.get("lines", 0)),
                    int(row.get("malformed", 0)),
                    _parse(row.get("last_event_time")),
                    _parse(row.get("last_read_at")),
                )
            except (TypeError, ValueError, AttributeError):
                continue

    def sources(self) -> dict[str, dict[str, Any]]:
        return {name: slot.plain() for name, slot in sorted(self.committed.items())}


def status_entry(
    book: StatusBook,
    *,
    state: str,
    pid: int,
    started_at: datetime,
    now: datetime,
    config: str | None,
    inputs: Mapping[str, Mapping[str, Any]],
    rules: int,
    engine_keys: Mapping[str, int],
    counters: Mapping[str, Any],
    last_reload: Mapping[str, Any] | None,
) -> str:
    """The JSON text stored under STATUS_KEY."""
    data = {
        "version": STATUS_VERSION,
        "state": state,
        "pid": pid,
        "started_at": _iso(started_at),
        "heartbeat_at": _iso(now),
        "config": config,
        "rules": rules,
        "engine_keys": dict(engine_keys),
        "sources": book.sources(),
        "inputs": {name: dict(info) for name, info in inputs.items()},
        "counters": dict(counters),
        "last_reload": dict(last_reload) if last_reload else None,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)


# ---------------------------------------------------------------- reading
@dataclass(frozen=True, slots=True)
class SourceStatus:
    source: str
    input: str
    lines: int
    malformed: int
    last_event_time: datetime | None
    quiet_seconds: float | None  # since the newest line was read
    lag_bytes: int | None  # file size minus the committed offset (files only)
    note: str = ""  # "rotated": the path holds a newer file; "missing": no file there


@dataclass(frozen=True, slots=True)
class DaemonStatus:
    state: str  # running | silent | stopped | never
    pid: int | None = None
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    heartbeat_age: float | None = None
    sources: tuple[SourceStatus, ...] = ()
    inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    open_by_severity: Mapping[str, int] = field(default_factory=dict)
    outbox: tuple[int, int] | None = None  # (pending, failed)
    last_reload: Mapping[str, Any] | None = None


def file_lag(
    cp: Checkpoint, stat: Callable[[str], os.stat_result] = os.stat
) -> tuple[int | None, str]:
    """Bytes not yet committed of a tailed file, and a note."""
    try:
        info = stat(cp.source)
    except OSError:
        return None, "missing"
    if (info.st_dev, info.st_ino) == (cp.device, cp.inode):
        return max(0, info.st_size - cp.offset), ""
    return info.st_size, "rotated"  # the rest of the rotated file is not counted


def read_status(
    entry: str | None,
    checkpoints: Mapping[str, Checkpoint],
    open_by_severity: Mapping[str, int],
    now: datetime,
    *,
    outbox: tuple[int, int] | None = None,
    stat: Callable[[str], os.stat_result] = os.stat,
) -> DaemonStatus:
    """The status from the stored entry, the checkpoints and the open incidents."""
    data: dict[str, Any] = {}
    if entry:
        try:
            loaded = json.loads(entry)
        except ValueError:
            loaded = None
        data = loaded if isinstance(loaded, dict) else {}
    heartbeat = _parse(data.get("heartbeat_at"))
    age = (now - heartbeat).total_seconds() if heartbeat else None
    state = str(data.get("state") or "never")
    if state == "running" and (age is None or age > SILENT_AFTER):
        state = "silent"
    rows: list[SourceStatus] = []
    sources = dict(data.get("sources") or {})
    names = sorted(set(sources) | {n for n in checkpoints if n.startswith("/")})
    for name in names:
        row = sources.get(name) or {}
        cp = checkpoints.get(name)
        lag, note = file_lag(cp, stat) if cp is not None and name.startswith("/") else (None, "")
        read_at = _parse(row.get("last_read_at"))
        rows.append(
            SourceStatus(
                source=name,
                input=str(row.get("input") or ("files" if name.startswith("/") else "")),
                lines=int(row.get("lines") or 0),
                malformed=int(row.get("malformed") or 0),
                last_event_time=_parse(row.get("last_event_time")),
                quiet_seconds=(now - read_at).total_seconds() if read_at else None,
                lag_bytes=lag,
                note=note,
            )
        )
    return DaemonStatus(
        state=state,
        pid=data.get("pid"),
        started_at=_parse(data.get("started_at")),
        heartbeat_at=heartbeat,
        heartbeat_age=age,
        sources=tuple(rows),
        inputs=dict(data.get("inputs") or {}),
        open_by_severity=dict(open_by_severity),
        outbox=outbox,
        last_reload=data.get("last_reload"),
    )


def render_status(status: DaemonStatus, lang: str, tz: tzinfo, db: str) -> str:
    """`secmon status` as text in `lang`."""
    t = Translator(lang)
    out: list[str] = []
    age = f"{status.heartbeat_age:.0f}" if status.heartbeat_age is not None else "?"
    if status.state == "running":
        out.append(say("running", lang, pid=status.pid, started=_local(status.started_at, tz),
                       age=age))
    elif status.state == "silent":
        out.append(say("silent", lang, pid=status.pid, age=age))
    elif status.state == "stopped":
        out.append(say("stopped", lang, stopped=_local(status.heartbeat_at, tz)))
    else:
        out.append(say("never", lang, db=db))
    reload = status.last_reload
    if reload and not reload.get("ok", True):
        out.append(say("last_reload_failed", lang, at=_local(_parse(reload.get("at")), tz)))
        out.extend("  " + terminal_safe(str(line)) for line in reload.get("errors") or [])
    out.append("")
    if status.sources:
        rows = [
            (
                s.source,
                s.input,
                s.lines,
                s.malformed,
                _lag(s, lang),
                _local(s.last_event_time, tz),
                _seconds(s.quiet_seconds),
            )
            for s in status.sources
        ]
        headers = [say(k, lang) for k in ("col_source", "col_input", "col_lines",
                                           "col_malformed", "col_lag", "col_last", "col_idle")]
        out.append(render_table(headers, rows, max_cell=70))
    else:
        out.append(say("no_sources", lang))
    syslog = status.inputs.get("syslog")
    if syslog:
        out.append(say("syslog_rx", lang, bind=syslog.get("bind"),
                       udp=syslog.get("udp_port") or "-", tcp=syslog.get("tcp_port") or "-",
                       received=syslog.get("received", 0),
                       dropped=syslog.get("dropped_queue_full", 0),
                       denied=int(syslog.get("denied_datagrams", 0))
                       + int(syslog.get("denied_connections", 0))))
    journald = status.inputs.get("journald")
    if journald:
        units = ", ".join(journald.get("units") or []) or say("all_units", lang)
        state = say("journald_running" if journald.get("running") else "journald_waiting", lang)
        out.append(say("journald_rx", lang, units=units, state=state,
                       restarts=journald.get("restarts", 0)))
    out.append("")
    counts = status.open_by_severity
    parts = ", ".join(f"{t(f'severity.{s}')} {counts.get(s, 0)}" for s in reversed(SEVERITIES))
    out.append(say("open_incidents", lang, total=sum(counts.values()), parts=parts))
    if status.outbox is not None:
        out.append(say("outbox", lang, pending=status.outbox[0], failed=status.outbox[1]))
    return "\n".join(out)


def status_record(status: DaemonStatus) -> dict[str, Any]:
    """`secmon status --format json`."""
    return {
        "state": status.state,
        "pid": status.pid,
        "started_at": _iso(status.started_at),
        "heartbeat_at": _iso(status.heartbeat_at),
        "heartbeat_age": status.heartbeat_age,
        "sources": [
            {
                "source": s.source,
                "input": s.input,
                "lines": s.lines,
                "malformed": s.malformed,
                "lag_bytes": s.lag_bytes,
                "note": s.note,
                "last_event_time": _iso(s.last_event_time),
                "quiet_seconds": s.quiet_seconds,
            }
            for s in status.sources
        ],
        "inputs": dict(status.inputs),
        "open_by_severity": dict(status.open_by_severity),
        "outbox": {"pending": status.outbox[0], "failed": status.outbox[1]}
        if status.outbox is not None
        else None,
        "last_reload": status.last_reload,
    }


def _lag(s: SourceStatus, lang: str) -> str:
    if s.note == "missing":
        return say("missing", lang)
    if s.lag_bytes is None:
        return "-"
    if s.note == "rotated":
        return say("rotated", lang, lag=s.lag_bytes)
    return str(s.lag_bytes)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    seconds = int(value)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def _local(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
