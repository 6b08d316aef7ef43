"""Apprise stays behind one module, and is not loaded until something is sent."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SECMON = Path(__file__).resolve().parent.parent / "secmon"


def importers_of(package: str) -> list[str]:
    found = []
    for path in sorted(SECMON.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if package not in text:
            continue
        tree = ast.parse(text)
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            if any(name == package or name.startswith(package + ".") for name in names):
                found.append(str(path.relative_to(SECMON.parent)))
    return sorted(set(found))


def test_only_the_sender_imports_apprise() -> None:
    assert importers_of("apprise") == ["secmon/notify/apprise_sender.py"]


def test_queueing_alerts_does_not_load_apprise() -> None:
    code = (
        "import sys\n"
        "import secmon.notify.service, secmon.notify.dispatcher\n"
        "print('apprise' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=SECMON.parent)
    assert result.stdout == "False\n"
