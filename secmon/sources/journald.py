"""journald input: follow the systemd journal for some units (for `secmon run`).

Runs `journalctl --output=json --all --no-pager --follow` (an argument list,
never a shell) with `--after-cursor=C --no-tail` to resume after the last
record the daemon committed, or `--lines=0` to start from now; one `--unit=U` per unit
(no units: the whole journal). A reader thread turns each JSON line into a
`JournalRecord` on a bounded queue; when the queue is full the reader waits
(journalctl then waits too: the journal keeps the entries, nothing is lost).
`drain()` never blocks. The cursor of the last drained record is what the
daemon stores with its checkpoint, to pass back as `cursor` after a restart.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from ..errors import SecmonError
from .syslog_framing import cut_message

UNIT_NAME = re.compile(r"[A-Za-z0-9@._:-]+")
# journal cursors: "s=<hex>;i=<hex>;b=<hex>;m=<hex>;t=<hex>;x=<hex>"
_CURSOR = re.compile(r"[A-Za-z0-9=;]{1,512}")
MAX_JSON_LINE = 4 << 20  # a longer journalctl output line is skipped and counted
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STDERR_KEPT = 2048
_PRIORITIES = frozenset("01234567")


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One journal entry, as much of it as secmon uses."""

    time: datetime  # __REALTIME_TIMESTAMP, UTC, microseconds
    host: str | None  # _HOSTNAME
    program: str | None  # SYSLOG_IDENTIFIER, else _COMM
    pid: str | None  # _PID, else SYSLOG_PID
    message: str  # MESSAGE (byte arrays decoded, bad UTF-8 replaced, long ones cut)
    cursor: str  # __CURSOR
    unit: str | None = None  # _SYSTEMD_UNIT
    priority: int | None = None  # PRIORITY 0 (emerg) .. 7 (debug)


@dataclass(frozen=True, slots=True)
class JournaldStats:
    records: int = 0  # records put on the queue
    malformed: int = 0  # lines that are not a journal entry with a time and a cursor
    oversized: int = 0  # lines over MAX_JSON_LINE bytes, skipped
    queued: int = 0


def parse_record(line: str | bytes, max_message: int = 64 * 1024) -> JournalRecord | None:
    """A line of `journalctl --output=json`, or None if it is not a usable entry."""
    try:
        entry = json.loads(line)
    except ValueError:  # also bad UTF-8 outside strings
        return None
    if not isinstance(entry, dict):
        return None
    cursor = _text(entry.get("__CURSOR"))
    stamp = _text(entry.get("__REALTIME_TIMESTAMP"))
    if not cursor or stamp is None or not stamp.isascii() or not stamp.isdigit():
        return None
    try:
        time = _EPOCH + timedelta(microseconds=int(stamp))
    except OverflowError:
        return None
    priority = _text(entry.get("PRIORITY"))
    return JournalRecord(
        time=time,
        host=_text(entry.get("_HOSTNAME")),
        program=_text(entry.get("SYSLOG_IDENTIFIER")) or _text(entry.get("_COMM")),
        pid=_text(entry.get("_PID")) or _text(entry.get("SYSLOG_PID")),
        message=_message(entry.get("MESSAGE"), max_message),
        cursor=cursor,
        unit=_text(entry.get("_SYSTEMD_UNIT")),
        priority=int(priority) if priority in _PRIORITIES else None,
    )


def _raw(value: Any) -> str | bytes | None:
    """A field's value: text, bytes (journalctl writes a byte array for binary or
    non-UTF-8 data), the first of several values, or None (null, or anything else)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value:
        if all(isinstance(item, int) and not isinstance(item, bool) for item in value):
            try:
                return bytes(value)
            except ValueError:  # numbers outside 0..255
                return None
        return _raw(value[0])
    return None


def _text(value: Any) -> str | None:
    raw = _raw(value)
    if isinstance(raw, str) and not raw.isascii():  # lone surrogates from \ud800 escapes
        raw = raw.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def _message(value: Any, max_message: int) -> str:
    raw = _raw(value)
    if raw is None:
        return ""
    if isinstance(raw, str):
        if raw.isascii() and len(raw) <= max_message:
            return raw
        raw = raw.encode("utf-8", "surrogatepass")
    return cut_message(raw[:max_message], max(0, len(raw) - max_message))


def check_units(units: Sequence[str]) -> tuple[str, ...]:
    """The units, or SecmonError naming each name that is not a plain unit name."""
    bad = [repr(unit) for unit in units if not UNIT_NAME.fullmatch(unit)]
    if bad:
        listed = ", ".join(bad)
        raise SecmonError(
            f"tên unit systemd không hợp lệ: {listed} (chỉ gồm chữ, số và @ . _ : -, ví dụ"
            f" ssh.service) / invalid systemd unit names: {listed} (letters, digits and"
            f" @ . _ : - only, e.g. ssh.service)"
        )
    return tuple(units)


def journalctl_command(
    units: Sequence[str],
    cursor: str | None,
    runner: Sequence[str] = ("journalctl",),
    directory: str | os.PathLike[str] | None = None,
) -> list[str]:
    """The argument list that follows `units` after `cursor` (or from now)."""
    units = check_units(units)
    if cursor is not None and not _CURSOR.fullmatch(cursor):
        raise SecmonError(
            f"con trỏ journald đã lưu không hợp lệ: {cursor[:80]!r}; xoá checkpoint của nguồn"
            f" journald để đọc lại từ bây giờ / the stored journald cursor is invalid:"
            f" {cursor[:80]!r}; delete the journald checkpoint to start again from now"
        )
    argv = [*runner, "--output=json", "--all", "--no-pager", "--follow"]
    if directory is not None:
        argv.append(f"--directory={os.fspath(directory)}")
    if cursor:
        # --no-tail: with --follow, journalctl otherwise shows only 10 entries after the cursor
        argv += [f"--after-cursor={cursor}", "--no-tail"]
    else:
        argv.append("--lines=0")
    argv.extend(f"--unit={unit}" for unit in units)
    return argv


class JournaldSource:
    """Follows the journal of `units` with a journalctl child process.

    `runner` is the program (and any first arguments) to run instead of
    `journalctl`; `directory` reads the journal files of one folder (e.g.
    forwarded journals) instead of the system journal.
    """

    def __init__(
        self,
        units: Sequence[str],
        cursor: str | None,
        *,
        runner: Sequence[str] = ("journalctl",),
        directory: str | os.PathLike[str] | None = None,
        queue_size: int = 10_000,
        max_message: int = 64 * 1024,
    ):
        if isinstance(runner, str):
            runner = (runner,)
        if not runner:
            raise ValueError("runner must name a program")
        self.units = check_units(units)
        self.command = journalctl_command(self.units, cursor, runner, directory)
        self.max_message = max_message
        self._cursor = cursor
        self._queue: queue.Queue[JournalRecord] = queue.Queue(maxsize=queue_size)
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._counts = dict.fromkeys(("records", "malformed", "oversized"), 0)
        self._stderr = b""
        self._process: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []

    @property
    def source(self) -> str:
        """A name for Event.source: 'journald' or 'journald:ssh.service,nginx.service'."""
        return "journald:" + ",".join(self.units) if self.units else "journald"

    @property
    def cursor(self) -> str | None:
        """The cursor of the last drained record (the one given at start until then)."""
        return self._cursor

    def __enter__(self) -> JournaldSource:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start journalctl; SecmonError if it cannot be run."""
        if self._process is not None:
            raise RuntimeError("JournaldSource already started")
        program = self.command[0]
        if shutil.which(program) is None:
            raise SecmonError(_missing(program))
        try:
            process = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except (FileNotFoundError, PermissionError):
            raise SecmonError(_missing(program)) from None
        self._process = process
        assert process.stdout is not None and process.stderr is not None
        self._threads = [
            threading.Thread(
                target=self._read, args=(process.stdout,), daemon=True, name="secmon-journald"
            ),
            threading.Thread(
                target=self._keep_stderr,
                args=(process.stderr,),
                daemon=True,
                name="secmon-journald-stderr",
            ),
        ]
        for thread in self._threads:
            thread.start()

    def drain(self, max_items: int = 1000) -> list[JournalRecord]:
        """Up to `max_items` records, oldest first; never blocks."""
        items: list[JournalRecord] = []
        while len(items) < max_items:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if items:
            self._cursor = items[-1].cursor
        self._ready.clear()
        if not self._queue.empty():
            self._ready.set()
        return items

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a record is waiting to be drained (True) or `timeout` passes."""
        return self._ready.wait(timeout)

    def stats(self) -> JournaldStats:
        return JournaldStats(**self._counts, queued=self._queue.qsize())

    @property
    def diagnostics(self) -> str:
        """What journalctl said on stderr so far (its last 2 KiB), e.g. the hint that the
        secmon user must be in group 'systemd-journal' or 'adm' to see system messages."""
        return self._stderr.decode("utf-8", "replace").strip()

    def failure(self) -> str | None:
        """Why journalctl ended on its own (None while it runs or after stop())."""
        process = self._process
        if process is None or self._stopping.is_set() or process.poll() is None:
            return None
        for thread in self._threads[1:]:
            thread.join(timeout=1)  # collect the last of stderr
        said = self.diagnostics or "-"
        return (
            f"journalctl đã dừng (mã thoát {process.returncode}): {said} /"
            f" journalctl exited with status {process.returncode}: {said}"
        )

    def stop(self) -> None:
        """Stop journalctl and the reader; records already queued stay drainable."""
        self._stopping.set()
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for thread in self._threads:
            thread.join(timeout=3)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def _read(self, stdout: IO[bytes]) -> None:
        try:
            self._read_lines(stdout)
        except (OSError, ValueError):  # the pipe was closed under us by stop()
            pass

    def _read_lines(self, stdout: IO[bytes]) -> None:
        while not self._stopping.is_set():
            line = stdout.readline(MAX_JSON_LINE + 1)
            if not line:
                return
            if len(line) > MAX_JSON_LINE:
                self._counts["oversized"] += 1
                while line and not line.endswith(b"\n"):  # skip the rest of it
                    line = stdout.readline(MAX_JSON_LINE)
                continue
            record = parse_record(line, self.max_message)
            if record is None:
                if line.strip():
                    self._counts["malformed"] += 1
                continue
            self._put(record)

    def _put(self, record: JournalRecord) -> None:
        while not self._stopping.is_set():
            try:
                self._queue.put(record, timeout=0.2)
            except queue.Full:
                continue
            self._counts["records"] += 1
            self._ready.set()
            return

    def _keep_stderr(self, stderr: IO[bytes]) -> None:
        try:
            descriptor = stderr.fileno()
            for chunk in iter(lambda: os.read(descriptor, 4096), b""):
                self._stderr = (self._stderr + chunk)[-_STDERR_KEPT:]
        except (OSError, ValueError):  # closed by stop()
            pass


def _missing(program: str) -> str:
    return (
        f"không chạy được lệnh {program!r}: máy này không có journalctl (systemd)? Hãy cài"
        f" systemd, hoặc bỏ nguồn journald khỏi cấu hình và đọc tệp nhật ký (ví dụ"
        f" /var/log/auth.log) / cannot run {program!r}: is journalctl (systemd) missing on this"
        f" machine? Install systemd, or remove the journald source from the config and read"
        f" log files (e.g. /var/log/auth.log) instead"
    )
