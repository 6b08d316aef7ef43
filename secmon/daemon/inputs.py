"""Input adapters for `secmon run`: tailed lines, syslog messages and journal
records become Events, with the checkpoints to commit once they are handled.

Every input follows `LiveInput`: `start()`, `poll()` -> `InputBatch` (never
blocks), `stop()`; after `stop()` a last `poll()` hands over what was already
received. Each record names the source it is counted under in the status
(a file path, `syslog+udp://10.0.0.5`, `journald:ssh.service`); `event` is
None for a line that did not parse (counted as malformed, never fatal).

- files: FileTailer; one parser per file, its type from the config or, for
  `auto`, guessed from the file's first lines (else from the lines read);
- syslog: SyslogReceiver; the header host name is the event's host, else
  the sender's address. No checkpoint: UDP and TCP syslog are at-most-once
  (messages received but not yet committed are lost if secmon crashes);
- journald (journal.py): JournaldSource; the cursor of the last record is the
  checkpoint; journalctl ending on its own is restarted from it after a pause;
- web roots (webroots.py): the web-root watch, `fim` events.

Other inputs plug in through an `InputFactory`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path, PurePath
from typing import Any, Protocol

from ..clock import Clock
from ..config.inputs import FileInputSettings, SyslogSettings
from ..config.model import Settings
from ..errors import SecmonError
from ..events import Checkpoint, Event
from ..parsers.base import JsonMapping, LineParser, ParseContext
from ..parsers.detect import detect_type
from ..parsers.registry import make_parser
from ..sources.oneshot import sample_lines
from ..sources.syslog_receiver import SyslogReceiver
from ..sources.tail import FileTailer, TailLine

log = logging.getLogger(__name__)

MAX_BATCH = 5000  # records per poll of one input
MAX_SENDERS = 256  # syslog senders counted one by one in the status; the rest together
OTHER_SENDERS = "syslog+other"


@dataclass(frozen=True, slots=True)
class InputRecord:
    source: str  # the name the status counts it under
    event: Event | None  # None: the line did not parse


@dataclass(slots=True)
class InputBatch:
    """One poll's records. `checkpoints` are committed with the incidents the records
    produce; `after_commit` callbacks run once that transaction is committed (an input
    keeping its own progress, like the web-root baseline, stores it there: a crash in
    between repeats an alert rather than losing one)."""

    records: list[InputRecord] = field(default_factory=list)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    more: bool = False  # the input holds more than it gave: poll again without waiting
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class LiveInput(Protocol):
    @property
    def name(self) -> str:
        """Unique among the inputs: "files", "syslog", "journald", ..."""
        ...

    @property
    def key(self) -> Hashable:
        """What it was built from: on reload an input with an equal key keeps running."""
        ...

    def start(self) -> None: ...

    def due(self, woke: bool, now: float) -> bool:
        """Whether to poll now (`woke`: files changed; `now`: the monotonic time)."""
        ...

    def poll(self) -> InputBatch: ...

    def watch_dirs(self) -> list[Path]:
        """Directories whose changes should wake the loop."""
        ...

    def info(self) -> dict[str, Any]:
        """Live details for the status (JSON-ready)."""
        ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class InputContext:
    """What an input factory may use to build its input."""

    settings: Settings
    tz: tzinfo
    clock: Clock
    checkpoints: Mapping[str, Checkpoint]
    env: Mapping[str, str]
    # The daemon's IncidentStore, for the loop's thread only. When a reload reopens
    # the store, every input is built again (none keeps a closed store).
    store: Any = None


InputFactory = Callable[[InputContext], "LiveInput | None"]


# ------------------------------------------------------------------ files
class FileInput:
    name = "files"

    def __init__(
        self,
        specs: Sequence[FileInputSettings],
        *,
        checkpoints: Mapping[str, Checkpoint],
        start_at: str,
        poll_interval: float,
        tz: tzinfo,
        json_mapping: JsonMapping,
        clock: Clock,
        max_batch: int = MAX_BATCH,
    ):
        self._specs = tuple(specs)
        self._checkpoints = dict(checkpoints)
        self._start_at = start_at
        self._interval = poll_interval
        self._tz = tz
        self._json = json_mapping
        self._clock = clock
        self._max = max_batch
        self.key = ("files", self._specs, start_at, poll_interval, str(tz), json_mapping)
        self._tailer: FileTailer | None = None
        self._parsers: dict[str, LineParser] = {}
        self._types: dict[str, str] = {}
        self._undetected: set[str] = set()
        self._next_poll = 0.0
        self._more = False
        self._stopped = False

    def start(self) -> None:
        ours = {name: cp for name, cp in self._checkpoints.items() if name.startswith("/")}
        self._tailer = FileTailer(
            [spec.path for spec in self._specs],
            checkpoints=ours,
            start_at="beginning" if self._start_at == "beginning" else "end",
            max_batch_lines=self._max,
            clock=self._clock,
        )

    def due(self, woke: bool, now: float) -> bool:
        return woke or self._more or now >= self._next_poll

    def poll(self) -> InputBatch:
        tailer = self._tailer
        if tailer is None or self._stopped:
            return InputBatch()
        self._next_poll = self._clock.monotonic() + self._interval
        batch = tailer.poll()
        records: list[InputRecord] = []
        append = records.append
        current = ""
        parse: Callable[[str, int, int], Event | None] | None = None
        for line in batch.lines:
            if line.source != current:
                current = line.source
                parser = self._parser(current, batch.lines)
                parse = parser.parse if parser is not None else None
            event = parse(line.text, line.line_no, line.offset) if parse is not None else None
            append(InputRecord(current, event))
        self._more = len(batch.lines) >= self._max
        return InputBatch(records, batch.checkpoints, self._more)

    def watch_dirs(self) -> list[Path]:
        return self._tailer.watch_dirs() if self._tailer is not None else []

    def info(self) -> dict[str, Any]:
        return {"types": dict(sorted(self._types.items()))}

    def stop(self) -> None:
        self._stopped = True
        if self._tailer is not None:
            self._tailer.close()

    def _type_of(self, source: str) -> str:
        for spec in self._specs:
            if source == spec.path:
                return spec.type
        for spec in self._specs:
            if any(ch in spec.path for ch in "*?[") and PurePath(source).match(spec.path):
                return spec.type
        return "auto"

    def _parser(self, source: str, lines: Sequence[TailLine]) -> LineParser | None:
        parser = self._parsers.get(source)
        if parser is not None:
            return parser
        type_name = self._type_of(source)
        if type_name == "auto":
            detected = self._detect(source, lines)
            if detected is None:
                return None
            type_name = detected
        context = ParseContext(source, self._tz, self._clock.now(), self._json)
        parser = self._parsers[source] = make_parser(type_name, context)
        self._types[source] = type_name
        return parser

    def _detect(self, source: str, lines: Sequence[TailLine]) -> str | None:
        try:
            detected = detect_type(sample_lines(Path(source)))
        except (OSError, SecmonError):
            detected = None
        if detected is None:
            detected = detect_type([line.text for line in lines if line.source == source][:64])
        if detected is None and source not in self._undetected:
            self._undetected.add(source)
            log.warning(
                "không nhận ra định dạng nhật ký của %s; các dòng của nó được đếm là lỗi định dạng"
                " cho tới khi nhận ra được. Hãy ghi rõ 'type' cho tệp này trong inputs.files /"
                " cannot tell the log format of %s; its lines count as malformed until it can."
                " Set its 'type' in inputs.files",
                source,
                source,
            )
        elif detected is not None:
            self._undetected.discard(source)
            log.info("%s: định dạng / format %s", source, detected)
        return detected


def file_input(ctx: InputContext) -> FileInput | None:
    inputs = ctx.settings.inputs
    if not inputs.files:
        return None
    return FileInput(
        inputs.files,
        checkpoints=ctx.checkpoints,
        start_at=inputs.start_at,
        poll_interval=inputs.poll_interval.total_seconds(),
        tz=ctx.tz,
        json_mapping=ctx.settings.json_mapping,
        clock=ctx.clock,
    )


# ----------------------------------------------------------------- syslog
class SyslogInput:
    name = "syslog"

    def __init__(
        self, settings: SyslogSettings, *, tz: tzinfo, clock: Clock, max_batch: int = MAX_BATCH
    ):
        self.settings = settings
        self.key = ("syslog", settings, str(tz))
        self._tz = tz
        self._clock = clock
        self._max = max_batch
        self._receiver: SyslogReceiver | None = None
        self._parsers: dict[str, LineParser] = {}
        self._names: set[str] = set()
        self._seq = 0

    def start(self) -> None:
        settings = self.settings
        receiver = SyslogReceiver(
            settings.bind,
            settings.udp_port,
            settings.tcp_port,
            allowed=settings.allowed,
            clock=self._clock,
        )
        receiver.start()
        self._receiver = receiver
        log.info(
            "nhận syslog tại / receiving syslog on %s (udp %s, tcp %s)",
            settings.bind,
            receiver.udp_port_bound if receiver.udp_port_bound is not None else "-",
            receiver.tcp_port_bound if receiver.tcp_port_bound is not None else "-",
        )

    def due(self, woke: bool, now: float) -> bool:
        return True

    def poll(self) -> InputBatch:
        receiver = self._receiver
        if receiver is None:
            return InputBatch()
        messages = receiver.drain(self._max)
        records: list[InputRecord] = []
        for message in messages:
            self._seq += 1
            source = message.source
            parser = self._parsers.get(source)
            if parser is None:
                if len(self._parsers) >= 4096:
                    self._parsers.clear()
                context = ParseContext(source, self._tz, self._clock.now())
                parser = self._parsers[source] = make_parser("syslog", context)
            event = parser.parse(message.text, self._seq, 0)
            if event is not None and not event.host:
                event = replace(event, host=message.peer_ip)
            if source not in self._names:
                if len(self._names) < MAX_SENDERS:
                    self._names.add(source)
                else:
                    source = OTHER_SENDERS
            records.append(InputRecord(source, event))
        return InputBatch(records, {}, len(messages) >= self._max)

    def watch_dirs(self) -> list[Path]:
        return []

    def info(self) -> dict[str, Any]:
        receiver = self._receiver
        if receiver is None:
            return {}
        stats = receiver.stats()
        return {
            "bind": self.settings.bind,
            "udp_port": receiver.udp_port_bound,
            "tcp_port": receiver.tcp_port_bound,
            **{name: getattr(stats, name) for name in stats.__dataclass_fields__},
        }

    def stop(self) -> None:
        if self._receiver is not None:
            self._receiver.stop()


def syslog_input(ctx: InputContext) -> SyslogInput | None:
    settings = ctx.settings.inputs.syslog
    if settings is None:
        return None
    return SyslogInput(settings, tz=ctx.tz, clock=ctx.clock)


# --------------------------------------------------------------- journald
def journal_input(ctx: InputContext) -> LiveInput | None:
    """The journald input (`inputs.journald`); see secmon.daemon.journal."""
    from .journal import journal_input as make  # imports inputs: loaded on first use

    return make(ctx)


# --------------------------------------------------------------- web roots
def webroot_input(ctx: InputContext) -> LiveInput | None:
    """The web-root watch (`web_roots:`); see secmon.daemon.webroots."""
    from .webroots import webroot_input as make  # imports inputs: loaded on first use

    return make(ctx)


BUILTIN_INPUTS: tuple[InputFactory, ...] = (file_input, journal_input, syslog_input, webroot_input)
