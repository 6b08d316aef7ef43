"""`secmon run`: the composition root and the pipeline loop.

    wake (file changes, or a short tick) -> poll every due input (bounded)
    -> parse -> engine.process -> merge detections -> store.record(detections,
    checkpoints, state={"engine": snapshot, "daemon": status}) in ONE transaction

so a crash replays at most the uncommitted lines and never duplicates an
incident; the detector state committed with the checkpoints is restored at
start (committer.py says when commits happen). `engine.advance(now)` runs
every loop for absence rules, then the optional loop hooks (`hook.step(now)`).
Alerts are sent by the notify dispatcher on its own thread, woken after each
commit that changed incidents.

SIGTERM / SIGINT: stop reading, handle what was received, commit, exit 0.
SIGHUP: reload config and rules; a config with problems is refused (they
are logged) and the old one keeps running. Under systemd: READY=1 once the
inputs run, WATCHDOG=1 from the loop, STOPPING=1.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..clock import Clock
from ..errors import InputError, SecmonError
from ..events import Checkpoint
from ..incidents.store import IncidentStore
from ..rules.engine import DetectionEngine
from ..runtime import Runtime
from ..sources.watch import ChangeWaker
from .committer import INTERVAL as COMMIT_INTERVAL
from .committer import Committer
from .inputs import BUILTIN_INPUTS, InputBatch, InputContext, InputFactory, LiveInput
from .setup import DaemonSetup, prepare
from .signals import SignalFlags
from .status import ENGINE_KEY, HEARTBEAT, STATUS_KEY, SourceCount, StatusBook, status_entry
from .systemd import SystemdNotifier
from .texts import say
from .wiring import (
    DaemonLockError,
    DatabaseLock,
    hooks_changed,
    open_store,
    restored_engine,
    start_dispatcher,
)

__all__ = ["Daemon", "DaemonLockError", "LoopHook"]

log = logging.getLogger("secmon.daemon")

QUEUE_TICK = 0.2  # seconds between polls of network, journal and web-root inputs
MAX_WAIT = 1.0  # longest wait, so signals are seen within about a second
WATCH_UPDATE = 5.0  # seconds between looks for new folders to watch


class LoopHook(Protocol):
    """Called once per loop on the loop's thread (e.g. a notify dispatcher's step)."""

    def step(self, now: datetime) -> None: ...


class Daemon:
    """One `secmon run`. `load` builds the Runtime from the config (again on SIGHUP)."""

    def __init__(
        self,
        load: Callable[[], Runtime],
        *,
        clock: Clock,
        env: Mapping[str, str],
        flags: SignalFlags | None = None,
        inputs: Sequence[InputFactory] = BUILTIN_INPUTS,
        hooks: Sequence[LoopHook] = (),
        commit_interval: float | None = None,
        heartbeat: float = HEARTBEAT,
    ):
        self._load = load
        self._clock = clock
        self.flags = flags or SignalFlags()
        self._factories = tuple(inputs)
        self._hooks = tuple(hooks)
        self._heartbeat = heartbeat
        self._systemd = SystemdNotifier(env)
        self._pending = Committer(clock, interval=commit_interval or COMMIT_INTERVAL)
        self._inputs: list[LiveInput] = []
        self._last_watchdog = float("-inf")
        self._next_watch_update = 0.0
        self._last_reload: dict[str, Any] | None = None
        self._store: IncidentStore | None = None
        self._engine: DetectionEngine | None = None
        self._setup: DaemonSetup | None = None
        self._waker: ChangeWaker | None = None
        self._dispatcher: Any = None
        self._lock: DatabaseLock | None = None
        self._started_at = clock.now()
        self._rule_errors: set[str] = set()

    # ------------------------------------------------------------- running
    def run(self) -> int:
        """Run until asked to stop; 0 after a clean stop. Start problems raise."""
        setup = prepare(self._load())
        runtime = setup.runtime
        self._check_inputs(setup)
        self._lock = DatabaseLock(runtime.db_path)
        self._lock.acquire()
        try:
            self._store = open_store(runtime.db_path, setup, self._clock)
            self._engine = restored_engine(setup.ruleset, self._store.load_state(ENGINE_KEY))
            self._pending.restore(self._store.load_state(STATUS_KEY))
            self._setup = setup
            self._inputs = self._start_inputs(setup, self._store.load_checkpoints(), [])
            self._waker = ChangeWaker(self._watch_dirs())
            self._dispatcher = start_dispatcher(runtime.db_path, setup, self._clock)
            self._write_status("running")
            self._systemd.notify("READY=1")
            log.info(
                "secmon run: đã bắt đầu / started: %d luật / rules, nguồn / inputs: %s,"
                " CSDL / database %s",
                len(setup.ruleset.rules),
                ", ".join(i.name for i in self._inputs),
                runtime.db_path,
            )
            self._loop()
            return self._shutdown()
        finally:
            self._close()

    def _loop(self) -> None:
        flags, clock, pending = self.flags, self._clock, self._pending
        more = False
        while not flags.stop.is_set():
            if flags.reload.is_set():
                flags.reload.clear()
                self._reload()
            woke = self._wait(0.0 if more else self._timeout())
            now = clock.monotonic()
            more = False
            if not pending.failing:
                for item in self._inputs:
                    if item.due(woke, now):
                        batch = self._poll(item)
                        self._handle(item, batch)
                        more = more or batch.more
                    if flags.stop.is_set():
                        break
            wall = clock.now()
            self._advance(wall)
            for hook in self._hooks:
                hook.step(wall)
            if pending.ready():
                self._commit()
            if clock.monotonic() - pending.last_status >= self._heartbeat:
                self._write_status("running")
            self._ping_watchdog()

    def _timeout(self) -> float:
        queued = any(item.name != "files" for item in self._inputs)
        timeout = QUEUE_TICK if queued else MAX_WAIT
        if self._pending.pending:
            timeout = min(timeout, max(0.0, self._pending.due() - self._clock.monotonic()))
        return timeout

    def _wait(self, timeout: float) -> bool:
        waker = self._waker
        if waker is None:
            return False
        woke = waker.wait(timeout)
        now = self._clock.monotonic()
        if woke or now >= self._next_watch_update:  # new folders matching a glob
            self._next_watch_update = now + WATCH_UPDATE
            waker.update(self._watch_dirs())
        return woke

    def _poll(self, item: LiveInput) -> InputBatch:
        try:
            return item.poll()
        except (OSError, SecmonError) as exc:
            self._pending.counters["errors"] += 1
            name = item.name
            log.error("lỗi khi đọc nguồn %s / error reading input %s: %s", name, name, exc)
            return InputBatch()

    def _handle(self, item: LiveInput, batch: InputBatch) -> None:
        self._pending.take(item.name, batch)
        if not batch.records:
            return
        process = self._engine_().process
        found = []
        for record in batch.records:
            event = record.event
            if event is None:
                continue
            try:
                out = process(event)
            except Exception as exc:  # noqa: BLE001 - one bad event must not stop the loop
                self._rule_error(exc)
                continue
            if out:
                found.extend(out)
        if found:
            self._pending.add(found)

    def _advance(self, now: datetime) -> None:
        try:
            out = self._engine_().advance(now)
        except Exception as exc:  # noqa: BLE001
            self._rule_error(exc)
            return
        if out:
            self._pending.add(out)

    def _rule_error(self, exc: Exception) -> None:
        self._pending.counters["errors"] += 1
        text = f"{type(exc).__name__}: {exc}"
        if text not in self._rule_errors and len(self._rule_errors) < 100:
            self._rule_errors.add(text)
            log.exception("lỗi khi xử lý một sự kiện; bỏ qua sự kiện đó / error while handling an"
                          " event; the event is skipped")

    # ------------------------------------------------------------ commits
    def _commit(self) -> bool:
        changes = self._pending.commit(self._store_(), self._engine_(), self._status_text)
        if changes and self._dispatcher is not None:
            self._dispatcher.wake()
        return changes is not None

    def _write_status(self, state: str) -> bool:
        return self._pending.write_status(self._store_(), self._status_text(state))

    def _status_text(self, state: str, merged: Mapping[str, SourceCount] | None = None) -> str:
        book = self._pending.book
        if merged is not None:
            book = StatusBook()
            book.committed = dict(merged)
        setup = self._setup
        path = setup.runtime.settings.path if setup else None
        return status_entry(
            book,
            state=state,
            pid=os.getpid(),
            started_at=self._started_at,
            now=self._clock.now(),
            config=str(path) if path else None,
            inputs={item.name: _safe_info(item) for item in self._inputs},
            rules=len(setup.ruleset.rules) if setup else 0,
            engine_keys=self._engine.state_size() if self._engine else {},
            counters=self._pending.counters,
            last_reload=self._last_reload,
        )

    def _ping_watchdog(self) -> None:
        interval = self._systemd.watchdog_interval
        if interval is None:
            return
        now = self._clock.monotonic()
        if now - self._last_watchdog >= min(interval, 1.0):
            self._last_watchdog = now
            self._systemd.notify("WATCHDOG=1")

    # ------------------------------------------------------------ reload
    def _reload(self) -> None:
        log.info("nhận SIGHUP: nạp lại cấu hình và luật / SIGHUP: reloading config and rules")
        at = self._clock.now().isoformat()
        self._systemd.notify("RELOADING=1")
        try:
            setup = prepare(self._load())
            self._check_inputs(setup)
        except (InputError, SecmonError) as exc:
            errors = [str(p) for p in exc.problems] if isinstance(exc, InputError) else [str(exc)]
            log.error(
                "cấu hình mới có lỗi, không nạp; vẫn chạy cấu hình cũ / the new config has"
                " problems and is refused; the old config keeps running:\n%s",
                "\n".join(errors),
            )
            self._last_reload = {"at": at, "ok": False, "errors": errors}
            self._write_status("running")
            self._systemd.notify("READY=1")
            return
        if not self._commit():
            log.error("chưa nạp lại được: chưa ghi được cơ sở dữ liệu / cannot reload while the"
                      " database refuses writes; send SIGHUP again later")
            self._systemd.notify("READY=1")
            return
        old = self._setup
        assert old is not None and self._lock is not None
        db_path = old.runtime.db_path
        if setup.runtime.db_path != db_path:
            log.warning(
                "đổi đường dẫn cơ sở dữ liệu chỉ có hiệu lực khi khởi động lại; vẫn dùng %s /"
                " a new database path takes effect on restart only; still using %s",
                db_path,
                db_path,
            )
            setup = replace(setup, runtime=replace(setup.runtime, db_path=db_path))
        self._engine = restored_engine(setup.ruleset, self._engine_().snapshot())
        running = self._inputs
        if hooks_changed(old, setup):
            # The inputs were given the old store: build them all again.
            self._stop_inputs(running)
            running = []
            self._stop_dispatcher()
            self._store_().close()
            self._store = open_store(db_path, setup, self._clock)
            self._dispatcher = start_dispatcher(db_path, setup, self._clock)
        self._setup = setup
        self._inputs = self._start_inputs(setup, self._store_().load_checkpoints(), running)
        if self._waker is not None:
            self._waker.update(self._watch_dirs())
        self._pending.counters["reloads"] += 1
        self._last_reload = {"at": at, "ok": True, "errors": []}
        self._write_status("running")
        self._systemd.notify("READY=1")
        log.info(
            "đã nạp lại / reloaded: %d luật / rules, nguồn / inputs: %s",
            len(setup.ruleset.rules),
            ", ".join(i.name for i in self._inputs),
        )

    def _check_inputs(self, setup: DaemonSetup) -> None:
        settings = setup.runtime.settings
        extra = any(factory not in BUILTIN_INPUTS for factory in self._factories)
        if settings.inputs.empty and not settings.web_roots and not extra:
            raise SecmonError(say("no_inputs", setup.runtime.lang, path=settings.path))

    # ------------------------------------------------------------ inputs
    def _start_inputs(
        self, setup: DaemonSetup, checkpoints: dict[str, Checkpoint], running: list[LiveInput]
    ) -> list[LiveInput]:
        """Inputs for `setup`: a running one built from equal settings is kept, the
        others are stopped (what they hold is handled and committed) and new ones started."""
        runtime = setup.runtime
        context = InputContext(
            runtime.settings, runtime.tz, self._clock, checkpoints, runtime.env, self._store
        )
        wanted = [made for factory in self._factories if (made := factory(context)) is not None]
        old = {item.name: item for item in running}
        keep = {made.name for made in wanted if made.name in old and old[made.name].key == made.key}
        self._stop_inputs([item for name, item in old.items() if name not in keep])
        result: list[LiveInput] = []
        try:
            for made in wanted:
                if made.name in keep:
                    result.append(old[made.name])
                    continue
                made.start()
                result.append(made)
        except BaseException:
            self._stop_inputs([item for item in result if item.name not in keep], drain=False)
            raise
        return result

    def _stop_inputs(self, items: Sequence[LiveInput], drain: bool = True) -> None:
        """Stop `items`; what they had received is handled and committed."""
        for item in items:
            item.stop()
        if drain and items:
            for item in items:
                self._handle(item, self._poll(item))
            self._commit()

    def _watch_dirs(self) -> list[Path]:
        dirs: set[Path] = set()
        for item in self._inputs:
            dirs.update(item.watch_dirs())
        return sorted(dirs)

    # ------------------------------------------------------------ stopping
    def _shutdown(self) -> int:
        log.info("đang dừng / stopping")
        self._systemd.notify("STOPPING=1")
        for item in self._inputs:
            item.stop()
        for item in self._inputs:
            self._handle(item, self._poll(item))
        ok = self._commit()
        self._write_status("stopped")
        log.info("đã dừng / stopped")
        return 0 if ok else 1

    def _stop_dispatcher(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.stop(timeout=5.0)
            self._dispatcher = None

    def _close(self) -> None:
        for item in self._inputs:
            try:
                item.stop()
            except Exception:  # noqa: BLE001 - closing down anyway
                pass
        self._stop_dispatcher()
        if self._waker is not None:
            self._waker.stop()
            self._waker = None
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._lock is not None:
            self._lock.release()

    def _store_(self) -> IncidentStore:
        assert self._store is not None
        return self._store

    def _engine_(self) -> DetectionEngine:
        assert self._engine is not None
        return self._engine


def _safe_info(item: LiveInput) -> dict[str, Any]:
    try:
        return item.info()
    except Exception:  # noqa: BLE001 - status is best effort
        return {}
