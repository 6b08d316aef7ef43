"""The web-root watch end to end: real folders -> watcher -> shipped rules -> incident store.

This is what the daemon does with the web roots (on start, and on each batch
of watchdog hints): compare with the "seen" baseline, run the events through
the rules, record the incidents, then store the changes as seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import pytest

from secmon.builtin import builtin_rules_dir
from secmon.clock import ManualClock
from secmon.events import Detection
from secmon.incidents.baseline import SEEN, BaselineStore
from secmon.incidents.store import IncidentStore
from secmon.rules.engine import DetectionEngine
from secmon.rules.loader import load_rules
from secmon.rules.model import RuleSet
from secmon.sources.webroot import FileChange, WebRootWatcher

DATA = Path(__file__).parent / "data" / "fim"
T0 = datetime(2026, 3, 14, 3, 0, 0, tzinfo=UTC)


@lru_cache(maxsize=1)
def shipped() -> RuleSet:
    return load_rules([builtin_rules_dir()])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class Monitor:
    """The daemon's web-root loop, in a test: detect, record, then remember."""

    def __init__(self, root: Path, store: IncidentStore, clock: ManualClock):
        self.watcher = WebRootWatcher([root], ignore=["wp-content/cache/**"], clock=clock)
        self.baselines = BaselineStore(store, clock)
        self.store = store
        self.engine = DetectionEngine(shipped())

    def start(self) -> list[Detection]:
        for root in self.watcher.roots:
            if not self.baselines.view(SEEN).knows(root):
                self.baselines.take(root, self.watcher.snapshot(root))
        return self.handle(self.watcher.scan(self.baselines.view(SEEN)))

    def hinted(self, paths: list[str]) -> list[Detection]:
        return self.handle(self.watcher.changes(paths, self.baselines.view(SEEN)))

    def handle(self, changes: list[FileChange]) -> list[Detection]:
        detections: list[Detection] = []
        for change in changes:
            if change.reportable:
                detections.extend(self.engine.process(self.watcher.to_event(change)))
        self.store.record(detections)
        self.baselines.apply(changes)
        return detections


def portal(tmp_path: Path) -> Path:
    root = tmp_path / "html"
    write(root / "index.php", (DATA / "benign" / "wordpress-index.php").read_text())
    write(
        root / "wp-content" / "themes" / "xa" / "footer.php",
        (DATA / "benign" / "footer.php").read_text(),
    )
    write(
        root / "wp-content" / "plugins" / "lct" / "lct.php",
        (DATA / "benign" / "plugin-icon.php").read_text(),
    )
    write(root / "wp-content" / "uploads" / "2026" / "03" / "anh.jpg", "JFIF")
    return root


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "secmon.db"


@pytest.fixture
def store(db: Path, clock: ManualClock) -> Iterator[IncidentStore]:
    with IncidentStore.open(db, clock) as opened:
        yield opened


def rule_ids(detections: list[Detection]) -> Counter[str]:
    return Counter(d.rule_id for d in detections)


def test_first_start_takes_the_baseline_quietly(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    monitor = Monitor(portal(tmp_path), store, clock)
    assert monitor.start() == []
    assert store.list_incidents() == []


def test_webshell_dropped_while_stopped_is_an_incident_at_start(
    tmp_path: Path, db: Path, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    with IncidentStore.open(db, clock) as store:
        Monitor(root, store, clock).start()
    shell = write(
        root / "wp-content" / "uploads" / "2026" / "03" / "anh.jpg.php",
        (DATA / "webshells" / "packed.php").read_text(),
    )
    clock.advance(3600)
    with IncidentStore.open(db, clock) as store:
        detections = Monitor(root, store, clock).start()
        assert rule_ids(detections) == Counter(
            {"fim.script-in-upload": 1, "fim.double-extension": 1, "fim.webshell-markers": 1}
        )
        (incident,) = store.list_incidents()
        assert (incident.category, incident.severity, incident.key) == (
            "webshell",
            "critical",
            {"path": str(shell)},
        )
        (evidence, *_rest) = store.evidence(incident.id)
        assert f'"path": "{shell}"' in evidence.raw
    with IncidentStore.open(db, clock) as store:  # reported once, not at every start
        assert Monitor(root, store, clock).start() == []


def test_defacement_of_the_home_page(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    monitor = Monitor(root, store, clock)
    monitor.start()
    write(root / "index.php", (DATA / "deface" / "index.html").read_text())
    write(
        root / "wp-content" / "themes" / "xa" / "footer.php",
        (DATA / "deface" / "footer-seo.php").read_text(),
    )
    detections = monitor.hinted([str(root / "index.php"), str(root / "wp-content" / "themes")])
    assert rule_ids(detections) == Counter({"fim.index-changed": 1, "fim.defacement-content": 2})
    (incident,) = store.list_incidents()
    assert (incident.category, incident.severity, incident.key) == (
        "defacement",
        "critical",
        {"root": str(root)},
    )


def test_a_planned_deployment_after_a_new_baseline_is_quiet(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    monitor = Monitor(root, store, clock)
    monitor.start()
    for number in range(30):
        write(root / "wp-content" / "plugins" / "lich" / f"f{number}.php", "<?php // plugin")
    monitor.baselines.take(str(root), monitor.watcher.snapshot(str(root)))  # `secmon fim baseline`
    assert monitor.start() == []


def test_many_files_changed_at_once(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    for number in range(250):
        write(root / "tin-tuc" / f"bai-{number:03d}.html", f"<p>Bài {number}</p>")
    monitor = Monitor(root, store, clock)
    monitor.start()
    for number in range(250):
        write(root / "tin-tuc" / f"bai-{number:03d}.html", f"<p>Bài {number} đã sửa</p>")
    detections = monitor.hinted([str(root / "tin-tuc")])
    assert rule_ids(detections) == Counter({"fim.mass-change": 1})
    (mass,) = detections
    assert (mass.category, mass.severity, mass.count, mass.key) == (
        "defacement",
        "critical",
        200,
        (("root", str(root)),),
    )


def test_ransomware_renaming_files(
    tmp_path: Path, store: IncidentStore, clock: ManualClock
) -> None:
    root = portal(tmp_path)
    for number in range(30):
        write(root / "wp-content" / "uploads" / "van-ban" / f"vb-{number:02d}.pdf", "%PDF")
    monitor = Monitor(root, store, clock)
    monitor.start()
    folder = root / "wp-content" / "uploads" / "van-ban"
    for number in range(30):
        (folder / f"vb-{number:02d}.pdf").rename(folder / f"vb-{number:02d}.pdf.locked")
    detections = monitor.hinted([str(folder)])
    assert rule_ids(detections) == Counter({"fim.ransomware": 1})
    assert (detections[0].category, detections[0].severity) == ("malware", "critical")
