"""Speed and memory of the web-root watch on a generated WordPress-like tree.

    python bench/bench_fim_scan.py [--files 20000] [--changed 200] [--seed 7] [--dir DIR]

Builds a tree of PHP/HTML/JS/image files (sizes 1-40 KiB) in a temporary
folder (or DIR), then measures, with a real incident database:
taking the baseline (every file hashed), an unchanged scan (stat only),
a scan with `--changed` files edited (hashed and inspected), and the peak
Python memory of the unchanged scan. Data is generated, never committed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secmon.clock import ManualClock  # noqa: E402
from secmon.incidents.baseline import SEEN, BaselineStore  # noqa: E402
from secmon.incidents.store import IncidentStore  # noqa: E402
from secmon.sources.webroot import WebRootWatcher  # noqa: E402

KINDS = [("php", 0.55), ("html", 0.1), ("js", 0.15), ("css", 0.05), ("jpg", 0.15)]


def build(root: Path, files: int, rng: random.Random) -> None:
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    for number in range(files):
        folder = root / f"wp-content/plugins/p{number // 400:03d}/inc{(number // 40) % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        ext = rng.choices(names, weights)[0]
        size = rng.randint(1, 40) * 1024
        body = (f"<?php // file {number}\n" if ext == "php" else "") + "x" * size
        (folder / f"f{number:06d}.{ext}").write_text(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--changed", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = args.dir or Path(tempfile.mkdtemp(prefix="secmon-fim-bench-"))
    root = work / "www"
    build(root, args.files, rng)
    clock = ManualClock(datetime(2026, 3, 14, tzinfo=UTC))
    result: dict[str, float | int] = {"files": args.files}
    with IncidentStore.open(work / "secmon.db", clock) as store:
        watcher = WebRootWatcher([root], clock=clock)
        baselines = BaselineStore(store, clock)
        started = time.perf_counter()
        baselines.take(str(root), watcher.snapshot(str(root)))
        result["baseline_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        assert watcher.scan(baselines.view(SEEN)) == []
        elapsed = time.perf_counter() - started
        result["unchanged_scan_s"] = round(elapsed, 3)
        result["unchanged_files_per_s"] = round(args.files / elapsed)
        tracemalloc.start()
        for _ in watcher.iter_scan(baselines.view(SEEN)):
            pass
        result["unchanged_scan_peak_kib"] = round(tracemalloc.get_traced_memory()[1] / 1024)
        tracemalloc.stop()
        php = sorted(root.rglob("*.php"))
        for path in rng.sample(php, min(args.changed, len(php))):
            path.write_text(path.read_text() + "\n<?php eval(base64_decode($_POST['x'])); ?>\n")
        started = time.perf_counter()
        changes = watcher.scan(baselines.view(SEEN))
        result["changed_scan_s"] = round(time.perf_counter() - started, 3)
        result["changed_found"] = sum(1 for c in changes if c.inspection.markers)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
