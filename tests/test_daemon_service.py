"""The daemon loop in-process (a thread): commits, restarts, reload, locking, hooks.

The real-process behaviour (signals, kill -9, rotation, syslog clients) is
in test_daemon_e2e.py; here the same Daemon class runs on a thread and is
stopped through its flags.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from daemon_testkit import (
    T0,
    attack_line,
    config_text,
    counts,
    files_inputs,
    lines_read,
    query,
    status,
    until,
)

from secmon.clock import SystemClock
from secmon.daemon.inputs import (
    BUILTIN_INPUTS,
    InputBatch,
    InputContext,
    InputFactory,
    InputRecord,
)
from secmon.daemon.service import Daemon, DaemonLockError
from secmon.errors import InputError, SecmonError
from secmon.events import Event
from secmon.runtime import Runtime, make_runtime

BRUTE, FAIL = "t.ssh-brute", "t.ssh-fail"


def loader(config: Path) -> Callable[[], Runtime]:
    clock = SystemClock()
    return lambda: make_runtime(config=config, lang=None, db=None, tz_name=None, clock=clock,
                                env={})


class Running:
    """A Daemon on a thread; `stop()` asks it to stop like SIGTERM would."""

    def __init__(self, config: Path, **options: Any):
        self.daemon = Daemon(loader(config), clock=SystemClock(), env={}, **options)
        self.result: list[object] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.result.append(self.daemon.run())
        except BaseException as exc:  # handed to the test
            self.result.append(exc)

    def __enter__(self) -> Running:
        self.thread.start()
        return self

    def wait_running(self, db: Path) -> None:
        def ready() -> bool:
            if self.result:
                raise AssertionError(f"the daemon ended: {self.result[0]!r}")
            entry = status(db)
            return bool(entry and entry["state"] == "running")

        assert until(ready)

    def stop(self) -> object:
        self.daemon.flags.request_stop()
        self.thread.join(20)
        assert not self.thread.is_alive()
        return self.result[0]

    def __exit__(self, *exc: object) -> None:
        if self.thread.is_alive():
            self.stop()


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    auth = tmp_path / "auth.log"
    auth.write_text("")
    db = tmp_path / "secmon.db"
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(db, files_inputs(auth)))
    return auth, db, config


def append(path: Path, *lines: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("".join(lines))


def test_lines_become_incidents_and_the_status_is_kept(files: tuple[Path, Path, Path]) -> None:
    auth, db, config = files
    with Running(config) as running:
        running.wait_running(db)
        append(auth, *(attack_line(i, "192.0.2.1") for i in range(6)), "garbage\n")
        assert until(lambda: counts(db) == {(FAIL, "192.0.2.1"): 6, (BRUTE, "192.0.2.1"): 5})
        assert until(lambda: lines_read(db) == 7)
        assert running.stop() == 0
    entry = status(db)
    assert entry is not None and entry["state"] == "stopped"
    assert entry["sources"][str(auth)] == {
        "input": "files", "lines": 7, "malformed": 1,
        "last_event_time": "2026-03-14T06:00:05+07:00",
        "last_read_at": entry["sources"][str(auth)]["last_read_at"],
    }
    assert entry["rules"] == 2 and entry["counters"]["commits"] >= 1
    [(offset,)] = query(db, "SELECT offset FROM checkpoints WHERE source = ?", (str(auth),))
    assert offset == auth.stat().st_size
    engine = json.loads(query(db, "SELECT value FROM state WHERE name = 'engine'")[0][0])
    assert list(engine["rules"]) == [BRUTE]  # the one failure after the detection waits


def test_an_attack_across_a_restart_is_still_detected(files: tuple[Path, Path, Path]) -> None:
    auth, db, config = files
    with Running(config) as running:
        running.wait_running(db)
        append(auth, *(attack_line(i, "192.0.2.2") for i in range(3)))
        assert until(lambda: lines_read(db) == 3)
        assert running.stop() == 0
    assert counts(db) == {(FAIL, "192.0.2.2"): 3}
    append(auth, *(attack_line(3 + i, "192.0.2.2") for i in range(2)))  # while stopped
    with Running(config) as running:
        assert until(lambda: counts(db).get((BRUTE, "192.0.2.2")) == 5)
        assert running.stop() == 0
    assert counts(db) == {(FAIL, "192.0.2.2"): 5, (BRUTE, "192.0.2.2"): 5}
    assert lines_read(db) == 5


def test_reload_refuses_a_broken_config_and_takes_a_good_one(
    tmp_path: Path, files: tuple[Path, Path, Path]
) -> None:
    auth, db, config = files
    good = config.read_text()
    stricter = tmp_path / "rules2"
    stricter.mkdir()
    rules = (Path(__file__).parent / "data" / "daemon" / "rules" / "attack.yaml").read_text()
    (stricter / "attack.yaml").write_text(rules.replace("count: 5", "count: 4"))
    with Running(config) as running:
        running.wait_running(db)
        append(auth, *(attack_line(i, "192.0.2.3") for i in range(3)))
        assert until(lambda: lines_read(db) == 3)
        config.write_text(good.replace("language: en", "language: fr"))
        running.daemon.flags.request_reload()
        assert until(lambda: (status(db) or {}).get("last_reload"))
        assert status(db)["last_reload"]["errors"] == [  # type: ignore[index]
            f"{config}:4:11: 'language' must be one of vi, en, not 'fr'"]
        config.write_text(config_text(db, files_inputs(auth), rules=stricter))
        running.daemon.flags.request_reload()
        assert until(lambda: (status(db) or {}).get("last_reload", {}).get("ok") is True)
        append(auth, attack_line(3, "192.0.2.3"))  # the 4th: fires under the new rule
        assert until(lambda: counts(db).get((BRUTE, "192.0.2.3")) == 4)
        assert running.stop() == 0
    assert status(db)["counters"]["reloads"] == 1  # type: ignore[index]


def test_one_daemon_per_database(files: tuple[Path, Path, Path]) -> None:
    _, db, config = files
    with Running(config) as running:
        running.wait_running(db)
        with pytest.raises(DaemonLockError) as err:
            Daemon(loader(config), clock=SystemClock(), env={}).run()
        assert "another secmon run" in str(err.value) and str(db) in str(err.value)
        assert running.stop() == 0


def test_an_unwritable_database_folder_is_said_plainly(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(blocker / "secmon.db", files_inputs(tmp_path / "a.log")))
    with pytest.raises(DaemonLockError) as err:
        Daemon(loader(config), clock=SystemClock(), env={}).run()
    assert str(err.value).endswith(
        f"cannot create the lock file {blocker}/secmon.db.lock: File exists (the database's"
        " folder must be writable by the account running secmon)"
    )


def test_a_config_without_inputs_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(tmp_path / "x.db", "  start_at: end\n"))
    with pytest.raises(SecmonError) as err:
        Daemon(loader(config), clock=SystemClock(), env={}).run()
    assert "has no inputs: add inputs.files, inputs.journald or inputs.syslog" in str(err.value)


def test_every_start_problem_is_reported_at_once(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text("version: 1\nrules:\n- id: x\n  treshold: 1\n")
    config = tmp_path / "secmon.yaml"
    config.write_text(config_text(tmp_path / "x.db", files_inputs(tmp_path / "a.log"), rules=rules)
                      + "notify:\n  routes:\n    - {name: chat, urls: ['json://${NO_SUCH_VAR}/x']}\n")
    with pytest.raises(InputError) as err:
        Daemon(loader(config), clock=SystemClock(), env={}).run()
    text = str(err.value)
    assert str(rules / "bad.yaml") + ":4:3" in text
    assert "NO_SUCH_VAR" in text
    assert not (tmp_path / "x.db").exists()


class ListInput:
    """An extra input (like the web-root watch): events handed in by the test."""

    name = "extra"
    key = ("extra",)

    def __init__(self) -> None:
        self.waiting: list[Event] = []
        self.committed: list[int] = []
        self.started = self.stopped = False

    def start(self) -> None:
        self.started = True

    def due(self, woke: bool, now: float) -> bool:
        return True

    def poll(self) -> InputBatch:
        events, self.waiting = self.waiting, []
        batch = InputBatch([InputRecord("extra:web", e) for e in events])
        if events:
            count = len(events)
            batch.after_commit.append(lambda: self.committed.append(count))
        return batch

    def watch_dirs(self) -> list[Path]:
        return []

    def info(self) -> dict[str, Any]:
        return {"waiting": len(self.waiting)}

    def stop(self) -> None:
        self.stopped = True


class StepCounter:
    def __init__(self) -> None:
        self.calls: list[datetime] = []

    def step(self, now: datetime) -> None:
        self.calls.append(now)


def test_extra_inputs_and_loop_hooks(files: tuple[Path, Path, Path]) -> None:
    _, db, config = files
    extra = ListInput()
    seen: list[InputContext] = []

    def factory(ctx: InputContext) -> ListInput:
        seen.append(ctx)
        return extra

    hook = StepCounter()
    factories: Sequence[InputFactory] = (*BUILTIN_INPUTS, factory)
    with Running(config, inputs=factories, hooks=[hook]) as running:
        running.wait_running(db)
        assert extra.started
        line = attack_line(0, "192.0.2.4")
        extra.waiting = [Event(T0, "extra:web", "syslog", "Failed password for root from"
                               " 192.0.2.4 port 1 ssh2", line, "portal", "sshd")]
        assert until(lambda: counts(db).get((FAIL, "192.0.2.4")) == 1)
        assert until(lambda: extra.committed == [1])
        assert until(lambda: len(hook.calls) > 3)
        assert running.stop() == 0
    assert extra.stopped
    assert seen[0].store is not None and seen[0].settings.inputs.files
    entry = status(db)
    assert entry is not None and entry["inputs"]["extra"] == {"waiting": 0}
    assert entry["sources"]["extra:web"]["lines"] == 1
