"""An installed wheel carries the built-in rules and runs the demo."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


@pytest.mark.slow
def test_installed_wheel_finds_builtin_rules_and_runs_demo(tmp_path: Path, repo_root: Path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", str(dist), str(repo_root)],
        check=True,
    )
    (wheel,) = dist.glob("secmon-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped_rules = [n for n in names if n.startswith("secmon/_builtin/rules/")]
    assert any(n.endswith("ssh.yaml") for n in shipped_rules)
    assert any(n.startswith("secmon/demo_data/") and n.endswith(".log") for n in names)

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "HOME": str(tmp_path)}
    env.pop("SECMON_CONFIG", None)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import secmon.builtin as b; print(b.builtin_rules_dir())"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )
    assert Path(probe.stdout.strip()) == site / "secmon" / "_builtin" / "rules"

    demo = subprocess.run(
        [sys.executable, "-c", "from secmon.cli import main; main()", "demo", "--lang", "en"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert demo.returncode == 0, demo.stderr
    assert "Incidents recorded" in demo.stdout
    assert "brute-force" in demo.stdout
