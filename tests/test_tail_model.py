"""Model-based test of FileTailer: random writes, rotations, crashes and restarts.

A model writer appends lines and partial lines to two logs and rotates them
(rename, copytruncate, delete and re-create); a model daemon polls, commits
all of a batch or only a prefix of it (a crash), and restarts from what it
committed. At the end, the committed lines of each log must be exactly the
lines written to it, generation after generation, in order: none lost, none
twice. Expected lines come from the one-shot reader (same decoding rules).

The model only rotates a log when the tailer has committed a position in
its current file (one older generation pending at most): two rotations
before the old file is finished lose the generation in between, a known
limit (see the module docstring of secmon.sources.tail).
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from secmon.events import Checkpoint
from secmon.sources.fingerprint import FINGERPRINT_BYTES, fingerprint_of
from secmon.sources.oneshot import read_lines
from secmon.sources.tail import FileTailer, TailLine

STEPS = 300


@dataclass
class Generation:
    content: bytearray = field(default_factory=bytearray)
    slot: int | None = 0  # 0: at the log's path, n: at path.n, None: deleted


@dataclass
class Log:
    path: Path
    gens: list[Generation] = field(default_factory=lambda: [Generation()])
    writer: int = 0  # the generation the writer appends to (it may not have reopened)
    fresh: bool = False  # a file the tailer has not polled since it appeared

    def where(self, gen: Generation) -> Path:
        assert gen.slot is not None
        return self.path if gen.slot == 0 else self.path.with_name(f"{self.path.name}.{gen.slot}")


class Model:
    def __init__(self, seed: int, root: Path) -> None:
        self.rng = random.Random(seed)
        self.root = root
        self.dir = root / "logs"
        self.dir.mkdir()
        self.logs = [Log(self.dir / "a.log"), Log(self.dir / "b.log")]
        for log in self.logs:
            log.path.write_bytes(b"")
        self.max_batch = self.rng.choice([3, 7, 50])
        self.seq = 0
        self.tailer: FileTailer | None = None
        self.committed: dict[str, Checkpoint] = {}
        self.delivered: dict[str, list[TailLine]] = {str(log.path): [] for log in self.logs}
        self.trace: list[str] = []

    # --- the writer ---------------------------------------------------------

    def _text(self, log: Log) -> bytes:
        self.seq += 1
        payload = "".join(self.rng.choice("abcxyzệ ") for _ in range(self.rng.randrange(0, 30)))
        if self.rng.random() < 0.01:  # longer than the 64 KiB limit: cut
            payload = "ệ" * 30_000 + payload
        return f"{log.path.name}:{self.seq}:{payload}".encode()

    def _append(self, log: Log, data: bytes) -> None:
        gen = log.gens[log.writer]
        self.trace.append(f"write {log.path.name} gen {log.writer}: {data[:20]!r}")
        with open(log.where(gen), "ab") as handle:
            handle.write(data)
        gen.content += data

    def append_lines(self, log: Log) -> None:
        for _ in range(self.rng.randrange(1, 5)):
            end = b"\r\n" if self.rng.random() < 0.1 else b"\n"
            self._append(log, self._text(log) + end)

    def append_partial(self, log: Log) -> None:
        self._append(log, self._text(log))

    def reopen(self, log: Log) -> None:
        self.trace.append(f"reopen {log.path.name}")
        log.writer = len(log.gens) - 1

    def _position_in_current_file(self, log: Log) -> bool:
        """Has the tailer committed a position in the file now at the path?"""
        cp = self.committed.get(str(log.path))
        if log.fresh or cp is None:
            return False
        info = os.stat(log.path)
        if (info.st_dev, info.st_ino) != (cp.device, cp.inode):
            return False
        with open(log.path, "rb") as handle:
            return fingerprint_of(handle.read(FINGERPRINT_BYTES)) == cp.fingerprint

    def _can_rotate(self, log: Log, *, copy: bool = False) -> bool:
        """Rotate only when no older file of the log is pending.

        A copy (copytruncate) is recognised by the fingerprint of the committed
        position: a file without one yet (no complete first line) whose content
        moves to a copy is read from its new start after a restart.
        """
        if not self._position_in_current_file(log):
            return False
        return not copy or bool(self.committed[str(log.path)].fingerprint)

    def _can_stop(self) -> bool:
        """A deleted file is read through the tailer's open handle: stopping loses it."""
        return all(
            len(log.gens) < 2
            or log.gens[-2].slot is not None
            or self._position_in_current_file(log)
            for log in self.logs
        )

    def _shift(self, log: Log) -> None:
        """logrotate's numbering: path.1 -> path.2 ... (oldest first)."""
        kept = sorted((g for g in log.gens if g.slot), key=lambda g: -g.slot)  # type: ignore[operator]
        for gen in kept:
            old = log.where(gen)
            gen.slot = gen.slot + 1  # type: ignore[operator]
            old.rename(log.where(gen))

    def rotate_rename(self, log: Log) -> None:
        if not self._can_rotate(log):
            return
        self.trace.append(f"rename {log.path.name}")
        self._shift(log)
        current = log.gens[-1]
        log.path.rename(log.path.with_name(log.path.name + ".1"))
        current.slot = 1
        log.path.write_bytes(b"")
        log.gens.append(Generation())
        log.fresh = True  # the writer keeps its old file until it reopens

    def copytruncate(self, log: Log) -> None:
        if not self._can_rotate(log, copy=True):
            return
        self.trace.append(f"copytruncate {log.path.name}")
        self._shift(log)
        copy = log.path.with_name(log.path.name + ".1")
        shutil.copyfile(log.path, copy)
        with open(log.path, "r+b") as handle:
            handle.truncate(0)
        log.gens[-1].slot = 1
        log.gens.append(Generation())
        log.writer = len(log.gens) - 1
        log.fresh = True

    def delete_recreate(self, log: Log) -> None:
        if self.tailer is None or not self._can_rotate(log):
            return  # deleted while down: its unread lines are gone for anyone
        self.trace.append(f"delete {log.path.name}")
        log.path.unlink()
        log.gens[-1].slot = None
        log.path.write_bytes(b"")
        log.gens.append(Generation())
        log.writer = len(log.gens) - 1
        log.fresh = True

    # --- the daemon ---------------------------------------------------------

    def _up(self) -> FileTailer:
        if self.tailer is None:
            self.tailer = FileTailer(
                [str(self.dir / "*.log")],
                checkpoints=dict(self.committed),
                start_at="beginning",
                max_batch_lines=self.max_batch,
            )
        for log in self.logs:
            log.fresh = False
        return self.tailer

    def poll(self, *, crash: bool = False) -> int:
        crash = crash and self._can_stop()
        batch = self._up().poll()
        assert len(batch.lines) <= self.max_batch
        done = self.rng.randrange(0, len(batch.lines) + 1) if crash else len(batch.lines)
        self.trace.append(
            f"poll: {[(Path(line.source).name, line.text[:20]) for line in batch.lines]}"
            + (f" crash after {done}" if crash else "")
        )
        for line in batch.lines[:done]:
            self.delivered[line.source].append(line)
            self.committed[line.source] = line.checkpoint
        if crash:
            self.close()
        else:
            self.committed.update(batch.checkpoints)
        return len(batch.lines)

    def restart(self) -> None:
        if self.tailer is not None and self._can_stop():
            self.trace.append("restart")
            self.tailer.close()
            self.tailer = None

    # --- running and checking -----------------------------------------------

    def step(self) -> None:
        log = self.rng.choice(self.logs)
        actions = [
            (30, lambda: self.append_lines(log)),
            (8, lambda: self.append_partial(log)),
            (8, lambda: self.reopen(log)),
            (6, lambda: self.rotate_rename(log)),
            (5, lambda: self.copytruncate(log)),
            (4, lambda: self.delete_recreate(log)),
            (4, self.restart),
            (6, lambda: self.poll(crash=True)),
            (29, self.poll),
        ]
        (action,) = self.rng.choices([a for _, a in actions], [w for w, _ in actions])
        action()

    def finish(self) -> None:
        for log in self.logs:
            self.reopen(log)
            self._append(log, self._text(log) + b"\n")  # the writer has moved on
        while self.poll():
            pass
        self.close()

    def close(self) -> None:
        if self.tailer is not None:
            self.tailer.close()
            self.tailer = None

    def expected(self, log: Log) -> list[str]:
        lines: list[str] = []
        scratch = self.root / "expected.txt"
        for gen in log.gens:
            scratch.write_bytes(bytes(gen.content))
            lines.extend(raw.text for raw in read_lines(scratch))
        return lines


def check_positions(lines: list[TailLine]) -> None:
    """Consecutive lines of one file: offsets chain, line numbers count up."""
    for before, after in zip(lines, lines[1:], strict=False):
        cp = before.checkpoint
        if (after.checkpoint.device, after.checkpoint.inode) == (cp.device, cp.inode):
            if after.offset:  # 0: the file was truncated and is read again
                assert after.offset == cp.offset
                assert after.line_no == before.line_no + 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_rotations_and_restarts_lose_and_repeat_nothing(tmp_path: Path, seed: int) -> None:
    model = Model(seed, tmp_path)
    try:
        for _ in range(STEPS):
            model.step()
        model.finish()
    finally:
        model.close()
    for log in model.logs:
        got = [line.text for line in model.delivered[str(log.path)]]
        expected = model.expected(log)
        assert got == expected, (log.path.name, model.trace)
        check_positions(model.delivered[str(log.path)])
    rotations = sum(len(log.gens) - 1 for log in model.logs)
    assert rotations >= 5  # the run did exercise rotation
