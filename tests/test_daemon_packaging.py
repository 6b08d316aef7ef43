"""The systemd unit shipped in packaging/: hardening as documented, valid for systemd."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent.parent / "packaging" / "secmon.service"


def directives() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "[")):
            continue
        key, _, value = line.partition("=")
        found.setdefault(key, []).append(value)
    return found


def test_unit_runs_the_daemon_as_a_notify_service_with_a_watchdog() -> None:
    unit = directives()
    assert unit["Type"] == ["notify"]
    assert unit["ExecStart"] == ["/opt/secmon/bin/secmon run -c /etc/secmon/secmon.yaml"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["WatchdogSec"] == ["60s"]
    assert unit["Restart"] == ["on-failure"]


def test_unit_hardening() -> None:
    unit = directives()
    expected = {
        "ProtectSystem": "strict",
        "ReadWritePaths": "/var/lib/secmon",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "CAP_DAC_READ_SEARCH",
        "AmbientCapabilities": "CAP_DAC_READ_SEARCH",
        "User": "secmon",
        "StateDirectory": "secmon",
        "PrivateTmp": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }
    assert {key: unit[key] for key in expected} == {k: [v] for k, v in expected.items()}


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    copy = tmp_path / "secmon.service"
    copy.write_text(UNIT.read_text(encoding="utf-8"))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True,
                            text=True, timeout=60)
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if line.strip() and "is not executable" not in line]  # not installed here
    assert complaints == []
