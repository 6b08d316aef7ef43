"""Errors that carry the place in a user's file where the problem is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True, order=True)
class Location:
    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong in a user-written file."""

    location: Location
    message: str
    subject: str = ""  # e.g. the rule id the problem belongs to

    def __str__(self) -> str:
        where = f"{self.location}: "
        about = f"[{self.subject}] " if self.subject else ""
        return f"{where}{about}{self.message}"


class SecmonError(Exception):
    """Base of every error secmon reports to the user."""


class InputError(SecmonError):
    """A user file (rule, config, playbook) is invalid; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ProblemCollector:
    """Collects problems while loading, then raises them all at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, location: Location, message: str, subject: str = "") -> None:
        self.problems.append(Problem(location, message, subject))

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def display_path(path: str | Path) -> str:
    return str(path)
