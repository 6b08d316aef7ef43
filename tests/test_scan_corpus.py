"""`secmon scan` on realistic mixed logs finds every attacker and no benign address.

The logs come from bench/corpus.py, written apart from the rules (it never
reads them), with ground truth: which IPs attack (and the categories a correct
detector must report for them) and which are benign (staff, citizens,
crawlers, uptime monitors, innocent search words) and must raise nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import corpus
from secmon.cli import main

CASES = [
    ("auth", 30_000, 11, {}),
    ("auth", 20_000, 12, {"time_format": "iso"}),
    ("access", 30_000, 11, {}),
    ("access", 20_000, 12, {"xff": True}),
    ("mail", 20_000, 11, {}),
]


def scan_jsonl(path: Path, home: Path) -> list[dict]:
    result = CliRunner().invoke(
        main, ["scan", "--no-db", "--format", "jsonl", "--tz", "Asia/Ho_Chi_Minh", str(path)],
        env={"HOME": str(home), "LANG": "C.UTF-8"}, catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize(("kind", "lines", "seed", "options"), CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_every_attacker_found_and_no_benign_address_flagged(tmp_path, kind, lines, seed,
                                                            options):
    log = tmp_path / f"{kind}.log"
    truth = corpus.write(kind, log, lines, seed, **options)
    assert truth.attackers, "the corpus must contain attacks"

    reported: dict[str, set[str]] = {}
    for record in scan_jsonl(log, tmp_path):
        ip = record["key"].get("src_ip")
        if ip:
            reported.setdefault(ip, set()).add(record["category"])

    missed = {ip: sorted(set(cats) - reported.get(ip, set()))
              for ip, cats in truth.attackers.items() if set(cats) - reported.get(ip, set())}
    assert missed == {}, f"attackers not reported with their categories: {missed}"
    flagged = {ip: sorted(reported[ip]) for ip in truth.benign if ip in reported}
    assert flagged == {}, f"benign addresses flagged: {flagged}"
