"""The daemon's long-lived parts: the database lock, the store with its hooks,
the alert dispatcher thread, the detection engine with its saved state."""

from __future__ import annotations

import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Any

from ..clock import Clock
from ..errors import SecmonError
from ..incidents.store import IncidentStore
from ..rules.engine import DetectionEngine, SnapshotError
from ..rules.model import RuleSet
from .setup import DaemonSetup

log = logging.getLogger("secmon.daemon")


class DaemonLockError(SecmonError):
    pass


class DatabaseLock:
    """One daemon per database (`DB.lock` beside it): a second one would count every
    line twice. The kernel drops the lock when the process ends, even by SIGKILL."""

    def __init__(self, db_path: Path):
        self.path = Path(f"{db_path}.lock")
        self._db = db_path
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise DaemonLockError(
                f"không tạo được tệp khóa {self.path}: {reason} (thư mục của cơ sở dữ liệu phải"
                f" ghi được bởi tài khoản chạy secmon) / cannot create the lock file {self.path}:"
                f" {reason} (the database's folder must be writable by the account running"
                f" secmon)"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise DaemonLockError(
                f"một tiến trình secmon run khác (pid {holder}) đang dùng cơ sở dữ liệu"
                f" {self._db}; dừng nó trước (systemctl stop secmon) / another secmon run"
                f" (pid {holder}) is using the database {self._db}; stop it first"
                f" (systemctl stop secmon)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def open_store(db_path: Path, setup: DaemonSetup, clock: Clock) -> IncidentStore:
    """The store, queuing alerts (notify routes) and planning checklists (playbooks)
    in the transaction of each incident change."""
    writer = None
    if setup.alert_routes:
        from ..notify.service import alert_writer

        writer = alert_writer(setup.runtime.settings.notify, clock, setup.playbook_titles)
    return IncidentStore.open(db_path, clock, on_change=writer, plan_checklist=setup.planner)


def start_dispatcher(db_path: Path, setup: DaemonSetup, clock: Clock) -> Any:
    """The notify dispatcher on a thread of its own (None without alert routes)."""
    if not setup.alert_routes:
        return None
    from ..notify.dispatcher import DispatcherThread
    from ..notify.service import open_dispatcher

    runtime = setup.runtime
    notify, env, tz = runtime.settings.notify, runtime.env, runtime.tz

    def failed(exc: BaseException) -> None:
        log.error("lỗi khi gửi cảnh báo / error while sending alerts: %s", exc)

    thread = DispatcherThread(
        lambda: open_dispatcher(db_path, notify, env, clock, tz), on_error=failed
    )
    thread.start()
    return thread


def hooks_changed(old: DaemonSetup, new: DaemonSetup) -> bool:
    """Whether the store's hooks (alerts, checklists) differ: it must be reopened."""
    a, b = old.runtime.settings, new.runtime.settings
    return (
        a.notify != b.notify
        or a.playbooks != b.playbooks
        or a.reporting != b.reporting
        or old.playbook_titles != new.playbook_titles
    )


def restored_engine(ruleset: RuleSet, saved: str | dict[str, Any] | None) -> DetectionEngine:
    """An engine for `ruleset` holding the saved detector state (JSON text or a snapshot);
    state that cannot be read back is logged and started afresh."""
    engine = DetectionEngine(ruleset)
    if saved:
        try:
            engine.restore(json.loads(saved) if isinstance(saved, str) else saved)
        except (ValueError, SnapshotError) as exc:
            log.warning("không khôi phục được trạng thái bộ phát hiện / cannot restore the"
                        " detector state: %s", exc)
    return engine
