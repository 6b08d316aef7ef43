"""The daemon keeps to the layers of DESIGN.md: only the CLI uses it, it never uses the CLI,
and importing it does nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SECMON = Path(__file__).resolve().parent.parent / "secmon"


def secmon_imports(path: Path) -> set[str]:
    package = ".".join(("secmon", *path.relative_to(SECMON).parent.parts))
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
            else:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
    return {name for name in found if name.startswith("secmon")}


def test_only_the_cli_uses_the_daemon() -> None:
    users = sorted(
        str(path.relative_to(SECMON.parent))
        for path in SECMON.rglob("*.py")
        if "daemon" not in path.relative_to(SECMON).parts
        and any(name.startswith("secmon.daemon") for name in secmon_imports(path))
    )
    assert users == ["secmon/cli_daemon.py"]


def test_the_daemon_never_uses_the_cli() -> None:
    for path in (SECMON / "daemon").glob("*.py"):
        assert not any(name.startswith("secmon.cli") for name in secmon_imports(path)), path


def test_importing_the_daemon_starts_nothing() -> None:
    code = (
        "import threading, secmon.daemon.service, secmon.daemon.inputs, secmon.daemon.journal,"
        " secmon.daemon.status, secmon.cli_daemon;"
        " print(threading.active_count())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "1"
