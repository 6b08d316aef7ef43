"""Playbook types: steps with phases and deadlines, and the set chosen from.

A playbook is loaded from YAML (see loader.py) into these frozen types. Its
texts are Jinja2 template sources, rendered per incident by render.py.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..errors import Location
from ..templating import Template

LANGS: tuple[str, ...] = ("vi", "en")

# Response phases, in the order a checklist normally runs. stages.py maps
# each to the stages of Circular 20/2017 Art. 11.
PHASES: tuple[str, ...] = ("detect", "contain", "eradicate", "recover", "report", "review")

# What a deadline counts from: when secmon detected the incident (the
# incident's created_at), when staff acknowledged it, when the response ended.
ANCHORS: tuple[str, ...] = ("detected", "acknowledged", "resolved")
IMMEDIATELY = "immediately"
_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1)}
_MAX_AMOUNT = 9999


@dataclass(frozen=True, slots=True)
class LocalText:
    """A user-facing text in Vietnamese and English."""

    vi: str
    en: str

    def get(self, lang: str) -> str:
        if lang == "vi":
            return self.vi
        if lang == "en":
            return self.en
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, else ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


@dataclass(frozen=True, slots=True)
class Deadline:
    """'immediately', or an anchor plus an offset ('detected + 5d')."""

    anchor: str | None  # None when immediate
    offset: timedelta = timedelta(0)

    @property
    def immediate(self) -> bool:
        return self.anchor is None

    @property
    def expression(self) -> str:
        if self.anchor is None:
            return IMMEDIATELY
        days, seconds = self.offset.days, self.offset.seconds
        if seconds == 0:
            return f"{self.anchor} + {days}d"
        return f"{self.anchor} + {days * 24 + seconds // 3600}h"

    def due(self, anchors: Mapping[str, datetime | None]) -> datetime | None:
        """When it falls due given the anchor times (None: the anchor has not happened)."""
        start = anchors.get(self.anchor or "detected")
        return None if start is None else start + self.offset


def parse_deadline(text: str) -> Deadline:
    """Parse 'immediately' or '<anchor> + <N>d|h'; ValueError says what is wrong."""
    stripped = text.strip()
    if stripped == IMMEDIATELY:
        return Deadline(None)
    anchor, plus, amount = (part.strip() for part in stripped.partition("+"))
    if not plus:
        hint = did_you_mean(stripped, (IMMEDIATELY,))
        raise ValueError(
            f"deadline {text!r} is not 'immediately' or '<anchor> + <N>d|h'"
            f" (e.g. 'detected + 5d'){hint}"
        )
    if anchor not in ANCHORS:
        raise ValueError(
            f"unknown deadline anchor {anchor!r}{did_you_mean(anchor, ANCHORS)};"
            f" use one of {', '.join(ANCHORS)}"
        )
    number, unit = amount[:-1], amount[-1:]
    if unit not in _UNITS or not number.isascii() or not number.isdigit():
        raise ValueError(
            f"deadline offset {amount!r} must be a whole number of days or hours,"
            " like '5d' or '12h'"
        )
    value = int(number)
    if not 1 <= value <= _MAX_AMOUNT:
        raise ValueError(f"deadline offset {amount!r} must be between 1 and {_MAX_AMOUNT}")
    return Deadline(anchor, value * _UNITS[unit])


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    phase: str
    title: LocalText  # template sources
    details: LocalText
    commands: tuple[str, ...] = ()  # template sources; shown, never run
    evidence: bool = False  # the output of this step is evidence to keep
    deadline: Deadline | None = None
    location: Location = field(default=Location(""), compare=False)


@dataclass(frozen=True, slots=True)
class AppliesTo:
    categories: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    fallback: bool = False


@dataclass(frozen=True, slots=True)
class Playbook:
    id: str
    title: LocalText
    summary: LocalText  # template source
    applies_to: AppliesTo
    steps: tuple[Step, ...]
    location: Location = field(default=Location(""), compare=False)
    # (kind, source) -> compiled template, filled by the loader so renders do
    # not compile again; a text missing here is compiled when rendered.
    compiled: Mapping[tuple[str, str], Template] = field(
        default_factory=dict, compare=False, repr=False
    )

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps)


@dataclass(frozen=True, slots=True)
class StepState:
    """What staff recorded for one step of one incident's checklist."""

    done: bool = False
    by: str | None = None
    at: datetime | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class PlaybookSet:
    """Loaded playbooks and which one each rule and category picks.

    Built by loader.load_playbooks, which checks that every rule and category
    has one owner and that there is exactly one fallback playbook.
    """

    playbooks: Mapping[str, Playbook]
    by_rule: Mapping[str, str]
    by_category: Mapping[str, str]
    fallback_id: str

    def for_incident(
        self, category: str, rule_ids: Sequence[str], *, preferred: str | None = None
    ) -> Playbook:
        """The playbook for an incident: `preferred` (a rule's `incident.playbook`)
        if loaded, else the first of its rules that a playbook claims, else its
        category's playbook, else the fallback."""
        if preferred is not None and preferred in self.playbooks:
            return self.playbooks[preferred]
        for rule_id in rule_ids:
            if rule_id in self.by_rule:
                return self.playbooks[self.by_rule[rule_id]]
        if category in self.by_category:
            return self.playbooks[self.by_category[category]]
        return self.playbooks[self.fallback_id]

    def get(self, playbook_id: str) -> Playbook | None:
        return self.playbooks.get(playbook_id)

    @property
    def fallback(self) -> Playbook:
        return self.playbooks[self.fallback_id]

    def __iter__(self) -> Iterator[Playbook]:
        return iter(self.playbooks[key] for key in sorted(self.playbooks))

    def __len__(self) -> int:
        return len(self.playbooks)

    def __contains__(self, playbook_id: object) -> bool:
        return playbook_id in self.playbooks
