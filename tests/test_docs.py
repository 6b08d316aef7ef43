"""Every command is documented in README.md (a command nobody can find is a bug)."""

from __future__ import annotations

import re

import click

from secmon.cli import main


def command_paths(group: click.Group, prefix: str = "secmon") -> list[tuple[str, str]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += command_paths(command, f"{prefix} {name}")
        else:
            found.append((prefix, name))
    return found


def test_every_command_appears_in_the_readme(repo_root):
    readme = (repo_root / "README.md").read_text(encoding="utf-8")
    missing = []
    for prefix, name in command_paths(main):
        lines = [line for line in readme.splitlines() if f"`{prefix} " in line or
                 (prefix == "secmon" and f"`secmon {name}" in line)]
        if not any(re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", line) for line in lines):
            missing.append(f"{prefix} {name}")
    assert missing == []
