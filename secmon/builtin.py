"""Where the rules (and later playbooks) shipped with secmon are found.

In an installed wheel they live in the package (`secmon/_builtin/`); in a
source checkout or editable install they are the top-level folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def builtin_dir(name: str) -> Path:
    """The shipped folder `name` ('rules', 'playbooks'); raise if missing."""
    for candidate in (_PACKAGE_DIR / "_builtin" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"built-in {name} folder not found; reinstall secmon")


def builtin_rules_dir() -> Path:
    return builtin_dir("rules")


def demo_data_dir() -> Path:
    return _PACKAGE_DIR / "demo_data"
