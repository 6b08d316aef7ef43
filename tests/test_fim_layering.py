"""The web-root watch keeps to the layers of DESIGN.md."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SECMON = Path(__file__).resolve().parent.parent / "secmon"


def imports_of(relative: str) -> set[str]:
    """Modules imported by one file, relative imports resolved to secmon.*."""
    path = SECMON / relative
    package = ".".join(("secmon", *Path(relative).parent.parts))
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                found.add(node.module or "")
            else:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                found.add(".".join([*base, node.module] if node.module else base))
    return found


def secmon_imports(relative: str) -> set[str]:
    return {name for name in imports_of(relative) if name.startswith("secmon")}


def test_watchdog_stays_in_watch_py() -> None:
    importers = sorted(
        str(path.relative_to(SECMON.parent))
        for path in SECMON.rglob("*.py")
        if "watchdog" in path.read_text(encoding="utf-8")
        and any(
            n == "watchdog" or n.startswith("watchdog.")
            for n in imports_of(str(path.relative_to(SECMON)))
        )
    )
    assert importers == ["secmon/sources/watch.py"]


def test_the_watcher_needs_only_events_and_the_clock() -> None:
    assert secmon_imports("sources/webroot.py") == {
        "secmon.clock",
        "secmon.events",
        "secmon.sources.webroot_changes",
        "secmon.sources.webroot_scan",
        "secmon.sources.webshell_markers",
    }
    assert secmon_imports("sources/webroot_changes.py") == {
        "secmon.sources.webroot_scan",
        "secmon.sources.webshell_markers",
    }
    assert secmon_imports("sources/webroot_scan.py") == set()
    assert secmon_imports("sources/webshell_markers.py") == set()
    assert secmon_imports("parsers/fim.py") == {"secmon.events", "secmon.parsers.base"}


def test_the_baseline_store_does_not_know_the_sources() -> None:
    assert not any(
        name.startswith("secmon.sources") for name in secmon_imports("incidents/baseline.py")
    )


def test_importing_starts_nothing() -> None:
    code = (
        "import sys, threading\n"
        "import secmon.sources.webroot, secmon.parsers.fim\n"
        "print(threading.active_count(), 'watchdog' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "1 False\n"
