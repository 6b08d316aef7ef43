"""Playbook YAML files -> PlaybookSet, strictly.

Every problem reads `file:line:col: [playbook-id] message`; all problems of
all files are collected, then raised together as one InputError.

`paths` are loaded in order (each a file or a folder of *.yaml/*.yml). A
playbook id, rule or category may appear once per path; a later path
overrides an earlier one (the user's folder after the built-in one replaces
a shipped playbook with the same id, or takes over a rule or category).
Exactly one playbook must be the fallback (`applies_to: {fallback: true}`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, Location, Problem
from ..events import CATEGORIES
from ..templating import Template
from ..yamlsrc import YamlList, YamlMap, load_yaml_file, location_of
from .model import (
    LANGS,
    PHASES,
    AppliesTo,
    Deadline,
    LocalText,
    Playbook,
    PlaybookSet,
    Step,
    did_you_mean,
    parse_deadline,
)
from .textcheck import TemplateChecker

VERSION = 1
_ID = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_TOP_KEYS = ("version", "playbook")
_PLAYBOOK_KEYS = ("id", "title", "applies_to", "summary", "steps")
_APPLIES_KEYS = ("categories", "rules", "fallback")
_STEP_KEYS = ("id", "phase", "title", "details", "commands", "evidence", "deadline")
_STEP_REQUIRED = ("id", "phase", "title", "details")


def load_playbooks(paths: Sequence[Path]) -> PlaybookSet:
    """Load playbooks from files and folders; raise InputError listing every problem."""
    problems, playbook_set = _load(paths)
    if problems or playbook_set is None:
        raise InputError(problems)
    return playbook_set


def check_playbooks(paths: Sequence[Path]) -> list[Problem]:
    """Every problem in the playbooks at `paths`, sorted (empty: all good)."""
    return sorted(_load(paths)[0])


@dataclass(frozen=True, slots=True)
class _Loaded:
    playbook: Playbook
    layer: int
    claims: dict[tuple[str, str], Location]  # ("category"|"rule", name) -> where


def _load(paths: Sequence[Path]) -> tuple[list[Problem], PlaybookSet | None]:
    problems: list[Problem] = []
    checker = TemplateChecker()
    loaded: list[_Loaded] = []
    for layer, path in enumerate(paths):
        for file in _files(Path(path), problems):
            reader = _FileReader(str(file), problems, checker)
            result = reader.read()
            if result is not None:
                loaded.append(_Loaded(result, layer, reader.claims))
    playbook_set = _assemble(loaded, problems, paths)
    return problems, playbook_set


def _files(path: Path, problems: list[Problem]) -> list[Path]:
    if path.is_dir():
        try:
            entries = list(path.iterdir())
        except OSError as exc:
            problems.append(Problem(Location(str(path)), f"cannot read folder: {exc.strerror}"))
            return []
        return sorted(
            p
            for p in entries
            if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith(".")
        )
    if path.is_file():
        return [path]
    problems.append(Problem(Location(str(path)), "no such playbook file or folder"))
    return []


def _assemble(
    loaded: list[_Loaded], problems: list[Problem], paths: Sequence[Path]
) -> PlaybookSet | None:
    final: dict[str, _Loaded] = {}
    for item in loaded:
        pid = item.playbook.id
        previous = final.get(pid)
        if previous is not None and previous.layer == item.layer:
            problems.append(
                Problem(
                    item.playbook.location,
                    f"duplicate playbook id (also at {previous.playbook.location});"
                    " give each playbook its own id",
                    pid,
                )
            )
            continue
        final[pid] = item
    owners: dict[tuple[str, str], _Loaded] = {}
    for item in sorted(final.values(), key=lambda it: (it.layer, it.playbook.location)):
        for claim, location in sorted(item.claims.items(), key=lambda kv: kv[1]):
            owner = owners.get(claim)
            if owner is not None and owner.layer == item.layer:
                kind, name = claim
                problems.append(
                    Problem(
                        location,
                        f"{kind} '{name}' is already claimed by playbook '{owner.playbook.id}'"
                        f" ({owner.claims[claim]}); each {kind} picks one playbook",
                        item.playbook.id,
                    )
                )
                continue
            owners[claim] = item
    fallbacks = sorted(
        (item.playbook for item in final.values() if item.playbook.applies_to.fallback),
        key=lambda pb: pb.location,
    )
    for extra in fallbacks[1:]:
        problems.append(
            Problem(
                extra.location,
                f"a second fallback playbook (the first is '{fallbacks[0].id}' at"
                f" {fallbacks[0].location}); keep 'fallback: true' on one playbook only",
                extra.id,
            )
        )
    if not fallbacks and not problems:
        where = Location(str(paths[0])) if paths else Location("<no playbook paths>")
        problems.append(
            Problem(
                where,
                "no fallback playbook: load the built-in playbooks too, or mark one"
                " playbook 'applies_to: {fallback: true}'",
            )
        )
    if problems:
        return None
    return PlaybookSet(
        playbooks={pid: item.playbook for pid, item in sorted(final.items())},
        by_rule={name: item.playbook.id for (kind, name), item in owners.items() if kind == "rule"},
        by_category={
            name: item.playbook.id for (kind, name), item in owners.items() if kind == "category"
        },
        fallback_id=fallbacks[0].id,
    )


class _FileReader:
    """Reads one playbook file, adding a Problem for everything wrong in it."""

    def __init__(self, path: str, problems: list[Problem], checker: TemplateChecker):
        self.path = path
        self.problems = problems
        self.checker = checker
        self.subject = ""
        self.claims: dict[tuple[str, str], Location] = {}
        self.categories: tuple[str, ...] = ()
        self.compiled: dict[tuple[str, str], Template] = {}

    def problem(self, location: Location, message: str) -> None:
        self.problems.append(Problem(location, message, self.subject))

    # -- structure -------------------------------------------------------

    def read(self) -> Playbook | None:
        try:
            doc = load_yaml_file(self.path)
        except InputError as exc:
            self.problems.extend(exc.problems)
            return None
        top = Location(self.path)
        if not isinstance(doc, YamlMap):
            self.problem(
                location_of(doc, top),
                "a playbook file is a mapping with 'version: 1' and 'playbook:'",
            )
            return None
        body = doc.get("playbook")
        if isinstance(body, YamlMap) and isinstance(body.get("id"), str):
            self.subject = body["id"]
        self.keys(doc, _TOP_KEYS, _TOP_KEYS)
        if "version" in doc:
            version = doc["version"]
            if type(version) is not int or version != VERSION:
                self.problem(
                    doc.value_at("version"),
                    f"unsupported version {version!r}: this secmon reads 'version: {VERSION}'",
                )
        if "playbook" not in doc:
            return None
        if not isinstance(body, YamlMap):
            self.problem(doc.value_at("playbook"), "'playbook' must be a mapping")
            return None
        return self.playbook(body)

    def keys(self, mapping: YamlMap, allowed: Sequence[str], required: Sequence[str]) -> bool:
        ok = True
        for key in mapping:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed) or f"; expected {', '.join(allowed)}"
                self.problem(mapping.key_at(key), f"unknown key '{key}'{hint}")
                ok = False
        for key in required:
            if key not in mapping:
                self.problem(mapping.location, f"missing key '{key}'")
                ok = False
        return ok

    def playbook(self, body: YamlMap) -> Playbook | None:
        complete = self.keys(body, _PLAYBOOK_KEYS, _PLAYBOOK_KEYS)
        pid = self.ident(body, "id", "playbook id")
        title = self.text(body, "title", template=False)
        applies = self.applies_to(body)
        summary = self.text(body, "summary", template=True)
        steps = self.steps(body)
        if not complete or None in (pid, title, applies, summary, steps):
            return None
        assert pid and title and applies and summary and steps is not None
        return Playbook(pid, title, summary, applies, steps, body.location, dict(self.compiled))

    def ident(self, mapping: YamlMap, key: str, what: str) -> str | None:
        if key not in mapping:
            return None
        value = mapping[key]
        if not isinstance(value, str) or not _ID.fullmatch(value):
            self.problem(
                mapping.value_at(key),
                f"{what} {value!r} must be lowercase letters and digits joined by '-', '.' or '_'",
            )
            return None
        return value

    def text(self, mapping: YamlMap, key: str, *, template: bool) -> LocalText | None:
        if key not in mapping:
            return None
        value = mapping[key]
        if not isinstance(value, YamlMap):
            self.problem(mapping.value_at(key), f"'{key}' must be a mapping {{vi: ..., en: ...}}")
            return None
        ok = self.keys(value, LANGS, LANGS)
        for lang in LANGS:
            if lang not in value:
                continue
            text = value[lang]
            if not isinstance(text, str) or not text.strip():
                self.problem(value.value_at(lang), f"'{key}.{lang}' must be non-empty text")
                ok = False
            elif template:
                ok = self.template(text, value.value_at(lang), "text") and ok
        return LocalText(value["vi"], value["en"]) if ok else None

    def strings(
        self, mapping: YamlMap, key: str, what: str
    ) -> tuple[list[tuple[str, Location]], bool]:
        """The good entries of a list of texts (with where each is), and whether all were good."""
        value = mapping[key]
        if not isinstance(value, YamlList):
            self.problem(mapping.value_at(key), f"'{key}' must be a list of {what}")
            return [], False
        items: list[tuple[str, Location]] = []
        seen: set[str] = set()
        for index, item in enumerate(value):
            where = value.item_at(index)
            if not isinstance(item, str) or not item.strip():
                self.problem(where, f"'{key}' entries must be non-empty text ({what})")
            elif item in seen:
                self.problem(where, f"'{item}' is listed twice in '{key}'")
            else:
                seen.add(item)
                items.append((item, where))
        return items, len(items) == len(value)

    def applies_to(self, body: YamlMap) -> AppliesTo | None:
        if "applies_to" not in body:
            return None
        value = body["applies_to"]
        if not isinstance(value, YamlMap):
            self.problem(body.value_at("applies_to"), "'applies_to' must be a mapping")
            return None
        ok = self.keys(value, _APPLIES_KEYS, ())
        categories: list[str] = []
        rules: list[str] = []
        if "categories" in value:
            items, good = self.strings(value, "categories", "incident categories")
            ok = good and ok
            for name, where in items:
                if name not in CATEGORIES:
                    self.problem(
                        where,
                        f"unknown category '{name}'{did_you_mean(name, CATEGORIES)};"
                        f" categories are {', '.join(CATEGORIES)}",
                    )
                    ok = False
                else:
                    categories.append(name)
                    self.claims[("category", name)] = where
        self.categories = tuple(categories)
        if "rules" in value:
            items, good = self.strings(value, "rules", "rule ids")
            ok = good and ok
            for name, where in items:
                if not _ID.fullmatch(name):
                    self.problem(where, f"'{name}' is not a rule id (like 'ssh.brute-force')")
                    ok = False
                else:
                    rules.append(name)
                    self.claims[("rule", name)] = where
        fallback = value.get("fallback", False)
        if type(fallback) is not bool:
            self.problem(value.value_at("fallback"), "'fallback' must be true or false")
            ok = False
        if ok and not categories and not rules and not fallback:
            self.problem(
                value.location,
                "'applies_to' matches no incident: list categories or rules,"
                " or set 'fallback: true'",
            )
            ok = False
        return AppliesTo(tuple(categories), tuple(rules), fallback is True) if ok else None

    def steps(self, body: YamlMap) -> tuple[Step, ...] | None:
        if "steps" not in body:
            return None
        value = body["steps"]
        if not isinstance(value, YamlList) or not value:
            self.problem(body.value_at("steps"), "'steps' must be a non-empty list of steps")
            return None
        steps: list[Step] = []
        seen: dict[str, Location] = {}
        phases: list[tuple[str, Location]] = []
        ok = True
        for index, item in enumerate(value):
            if not isinstance(item, YamlMap):
                self.problem(value.item_at(index), "a step must be a mapping (id, phase, ...)")
                ok = False
                continue
            sid = item.get("id")
            if isinstance(sid, str) and sid in seen:
                self.problem(
                    item.value_at("id"), f"duplicate step id '{sid}' (first at {seen[sid]})"
                )
                ok = False
            elif isinstance(sid, str):
                seen[sid] = item.value_at("id")
            if item.get("phase") in PHASES:
                phases.append((item["phase"], value.item_at(index)))
            step = self.step(item)
            ok = step is not None and ok
            if step is not None:
                steps.append(step)
        if phases and not any(phase == "report" for phase, _ in phases):
            self.problem(
                body.key_at("steps"),
                "no 'report' step: every playbook must notify and report (Circular 20/2017 Art. 9)",
            )
            ok = False
        last = value[-1]
        if isinstance(last, YamlMap) and last.get("phase") in PHASES and last["phase"] != "review":
            self.problem(
                value.item_at(len(value) - 1),
                f"the last step is '{last['phase']}': a playbook ends with a 'review' step"
                " (Circular 20/2017 Art. 11, stage 4)",
            )
            ok = False
        return tuple(steps) if ok else None

    def step(self, item: YamlMap) -> Step | None:
        ok = self.keys(item, _STEP_KEYS, _STEP_REQUIRED)
        sid = self.ident(item, "id", "step id")
        phase = item.get("phase")
        if "phase" in item and phase not in PHASES:
            self.problem(
                item.value_at("phase"),
                f"unknown phase {phase!r}{did_you_mean(str(phase), PHASES)};"
                f" phases are {', '.join(PHASES)}",
            )
            ok = False
        title = self.text(item, "title", template=True)
        details = self.text(item, "details", template=True)
        commands: list[str] = []
        if "commands" in item:
            entries, good = self.strings(item, "commands", "shell commands")
            ok = good and ok
            for command, where in entries:
                ok = self.template(command, where, "shell") and ok
                commands.append(command)
        evidence = item.get("evidence", False)
        if type(evidence) is not bool:
            self.problem(item.value_at("evidence"), "'evidence' must be true or false")
            ok = False
        deadline: Deadline | None = None
        if "deadline" in item:
            raw = item["deadline"]
            try:
                if not isinstance(raw, str):
                    raise ValueError(
                        f"deadline must be text like 'detected + 5d' or 'immediately', not {raw!r}"
                    )
                deadline = parse_deadline(raw)
            except ValueError as exc:
                self.problem(item.value_at("deadline"), str(exc))
                ok = False
        if not ok or sid is None or title is None or details is None:
            return None
        return Step(
            sid, str(phase), title, details, tuple(commands), evidence, deadline, item.location
        )

    def template(self, source: str, where: Location, kind: str) -> bool:
        messages, template = self.checker.check(source, kind, self.categories)
        for message in messages:
            self.problem(where, message)
        if template is not None:
            self.compiled[(kind, source)] = template
        return not messages
