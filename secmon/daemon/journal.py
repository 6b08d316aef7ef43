"""The journald input of `secmon run`: journal records become syslog-like Events.

JournaldSource follows the units with journalctl; the cursor of the last
record handled is the checkpoint (`Checkpoint("journald:UNITS", 0, 0,
seqnum, cursor)`), committed with the incidents, so a restart resumes right
after it. journalctl ending on its own (journal rotated away, killed) is run
again from that cursor after a pause that doubles up to a minute.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..clock import Clock
from ..config.inputs import JournaldSettings
from ..errors import SecmonError
from ..events import Checkpoint, Event
from ..sources.journald import JournaldSource, JournalRecord
from .inputs import MAX_BATCH, InputBatch, InputContext, InputRecord

log = logging.getLogger(__name__)

JOURNAL_RESTART = (1.0, 60.0)  # first and longest pause before journalctl is run again
_SEQNUM = re.compile(r"(?:^|;)i=([0-9a-fA-F]{1,16})(?:;|$)")
_SEVERITY = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")


def journal_source_name(units: Sequence[str]) -> str:
    return "journald:" + ",".join(units) if units else "journald"


def journal_event(record: JournalRecord, source: str) -> Event:
    """The Event of one journal record (parser 'syslog', so syslog rules see it)."""
    fields: dict[str, Any] = {}
    if record.pid:
        fields["pid"] = record.pid
    if record.unit:
        fields["unit"] = record.unit
    if record.priority is not None:
        fields["severity"] = _SEVERITY[record.priority]
    tag = record.program or "-"
    if record.pid:
        tag += f"[{record.pid}]"
    raw = f"{record.time.isoformat()} {record.host or '-'} {tag}: {record.message}"
    found = _SEQNUM.search(record.cursor)
    return Event(
        time=record.time,
        source=source,
        parser="syslog",
        message=record.message,
        raw=raw,
        host=record.host,
        program=record.program,
        fields=fields,
        line_no=int(found.group(1), 16) if found else 0,
        offset=0,
    )


class JournalInput:
    name = "journald"

    def __init__(
        self,
        settings: JournaldSettings,
        cursor: str | None,
        *,
        clock: Clock,
        runner: Sequence[str] = ("journalctl",),
        max_batch: int = MAX_BATCH,
    ):
        self.settings = settings
        self.key = ("journald", settings, tuple(runner))
        self.source_name = journal_source_name(settings.units)
        self._cursor = cursor
        self._clock = clock
        self._runner = tuple(runner)
        self._max = max_batch
        self._source: JournaldSource | None = None
        self._pause = JOURNAL_RESTART[0]
        self._retry_at: float | None = None
        self._restarts = 0

    def start(self) -> None:
        self._source = self._open()
        self._source.start()

    def _open(self) -> JournaldSource:
        return JournaldSource(
            self.settings.units,
            self._cursor,
            runner=self._runner,
            directory=self.settings.directory,
        )

    def due(self, woke: bool, now: float) -> bool:
        return True

    def poll(self) -> InputBatch:
        source = self._source
        if source is None:
            self._maybe_restart()
            return InputBatch()
        records = source.drain(self._max)
        batch = InputBatch(more=len(records) >= self._max)
        for record in records:
            event = journal_event(record, self.source_name)
            batch.records.append(InputRecord(self.source_name, event))
        if records:
            self._cursor = records[-1].cursor
            seq = batch.records[-1].event.line_no if batch.records[-1].event else 0
            batch.checkpoints[self.source_name] = Checkpoint(
                self.source_name, 0, 0, seq, self._cursor
            )
            self._pause = JOURNAL_RESTART[0]
        elif (reason := source.failure()) is not None:
            log.warning(
                "%s; chạy lại sau %.0f giây từ con trỏ đã lưu / running it again in %.0f s"
                " from the saved cursor",
                reason,
                self._pause,
                self._pause,
            )
            source.stop()
            self._source = None
            self._retry_at = self._clock.monotonic() + self._pause
            self._pause = min(self._pause * 2, JOURNAL_RESTART[1])
        return batch

    def _maybe_restart(self) -> None:
        if self._retry_at is None or self._clock.monotonic() < self._retry_at:
            return
        source = self._open()
        try:
            source.start()
        except SecmonError as exc:
            log.warning("%s", exc)
            self._retry_at = self._clock.monotonic() + self._pause
            self._pause = min(self._pause * 2, JOURNAL_RESTART[1])
            return
        self._source = source
        self._retry_at = None
        self._restarts += 1

    def watch_dirs(self) -> list[Path]:
        return []

    def info(self) -> dict[str, Any]:
        source = self._source
        stats = source.stats() if source is not None else None
        return {
            "units": list(self.settings.units),
            "running": source is not None,
            "restarts": self._restarts,
            "cursor": self._cursor,
            **(_plain(stats) if stats is not None else {}),
        }

    def stop(self) -> None:
        if self._source is not None:
            self._source.stop()


def journal_input(ctx: InputContext) -> JournalInput | None:
    settings = ctx.settings.inputs.journald
    if settings is None:
        return None
    name = journal_source_name(settings.units)
    saved = ctx.checkpoints.get(name)
    if saved is None:  # the units changed: the journal position is still good
        others = [cp for n, cp in ctx.checkpoints.items() if n.startswith("journald")]
        saved = others[0] if len(others) == 1 else None
    return JournalInput(settings, saved.fingerprint if saved else None, clock=ctx.clock)


def _plain(stats: Any) -> dict[str, Any]:
    return {name: getattr(stats, name) for name in stats.__dataclass_fields__}
