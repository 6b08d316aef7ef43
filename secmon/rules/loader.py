"""Load rule files into a RuleSet, or fail with every problem at file:line:col.

    load_rules([builtin_dir, local_dir]) -> RuleSet

Paths are folders (their `*.yaml` / `*.yml` files, in name order) or single
files. All rules of all files are read first; then references (`from`,
`first`, `then`) are resolved, cycles refused, and `overrides:` applied in
load order, so a later file can tune a rule shipped in an earlier one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import InputError, Location, Problem, ProblemCollector
from ..events import SEVERITIES
from ..yamlsrc import YamlList, YamlMap, load_yaml_file
from .allowlist import Allowlist
from .model import STATEFUL_KINDS, Rule, RuleSet
from .rulereader import choice, read_allowlist, read_params, read_rule
from .schema import Reader, did_you_mean, type_name

TOP_KEYS = ("version", "allowlist", "rules", "overrides")
OVERRIDE_KEYS = ("id", "enabled", "severity", "allowlist", *STATEFUL_KINDS)
RULE_FILE_SUFFIXES = (".yaml", ".yml")


def rule_files(paths: Sequence[Path], problems: ProblemCollector) -> list[Path]:
    """The files to read, in order, each once."""
    files: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.suffix in RULE_FILE_SUFFIXES and p.is_file()
            )
            if not found:
                problems.add(Location(str(path)), "no rule files (*.yaml, *.yml) in this folder")
        elif path.is_file():
            found = [path]
        else:
            problems.add(Location(str(path)), "no such rule file or folder")
            continue
        for file in found:
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(file)
    return files


class _Loading:
    """State of one load: rules read so far, overrides waiting, problems."""

    def __init__(self) -> None:
        self.problems = ProblemCollector()
        self.rules: dict[str, Rule] = {}  # rules without problems
        self.defined: dict[str, Location] = {}  # every rule id seen, valid or not
        self.references: dict[str, dict[str, Location]] = {}
        self.overrides: list[YamlMap] = []
        self.allowlist = Allowlist()

    def read_file(self, path: Path) -> None:
        try:
            data = load_yaml_file(path)
        except InputError as exc:
            self.problems.problems.extend(exc.problems)
            return
        reader = Reader(self.problems)
        start = Location(str(path), 1, 1)
        if data is None:
            reader.add(start, "the rule file is empty; start it with 'version: 1'")
            return
        if not isinstance(data, YamlMap):
            reader.add(
                start,
                f"a rule file must be a mapping with 'version: 1' and 'rules:', "
                f"not {type_name(data)}",
            )
            return
        reader.unknown_keys(data, TOP_KEYS, "a rule file")
        if "version" not in data:
            reader.add(data.location, "missing 'version: 1' at the top of the file")
        elif data["version"] != 1 or isinstance(data["version"], bool):
            reader.add(
                data.value_at("version"),
                f"unsupported version {data['version']!r}: secmon reads rule files of version 1",
            )
        if "allowlist" in data:
            found = read_allowlist(reader, data["allowlist"], data.value_at("allowlist"))
            if found is not None:
                self.allowlist = self.allowlist.merged(found)
        for key in ("rules", "overrides"):
            items = data.get(key)
            if key in data and not isinstance(items, YamlList):
                reader.add(data.value_at(key), f"'{key}' must be a list, not {type_name(items)}")
                continue
            for index, item in enumerate(items or ()):
                assert isinstance(items, YamlList)
                if not isinstance(item, YamlMap):
                    reader.add(
                        items.item_at(index),
                        f"each of '{key}' must be a mapping, not {type_name(item)}",
                    )
                elif key == "rules":
                    self._add_rule(Reader(self.problems), item)
                else:
                    self.overrides.append(item)

    def _add_rule(self, reader: Reader, mapping: YamlMap) -> None:
        found = read_rule(reader, mapping)
        rule_id = found.rule_id
        if rule_id is None:
            return
        if rule_id in self.defined:
            self.problems.add(
                mapping.value_at("id"),
                f"duplicate rule id '{rule_id}': already defined at {self.defined[rule_id]}",
                rule_id,
            )
            return
        self.defined[rule_id] = mapping.location
        self.references[rule_id] = found.references
        if found.rule is not None:
            self.rules[rule_id] = found.rule

    def check_references(self) -> None:
        known = list(self.defined)
        for rule_id, refs in self.references.items():
            for ref, at in refs.items():
                if ref not in self.defined:
                    self.problems.add(
                        at, f"unknown rule '{ref}'{did_you_mean(ref, known)}", rule_id
                    )

    def check_cycles(self) -> None:
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        reported: set[frozenset[str]] = set()
        path: list[str] = []

        def visit(rule_id: str) -> None:
            state[rule_id] = 1
            path.append(rule_id)
            for dep in self.rules[rule_id].depends_on:
                if dep not in self.rules:
                    continue
                if state.get(dep) == 1:
                    cycle = path[path.index(dep) :] + [dep]
                    members = frozenset(cycle)
                    if members not in reported:
                        reported.add(members)
                        self.problems.add(
                            self.references[rule_id][dep],
                            f"rules build on each other in a cycle: {' -> '.join(cycle)}",
                            rule_id,
                        )
                elif dep not in state:
                    visit(dep)
            path.pop()
            state[rule_id] = 2

        for rule_id in self.rules:
            if rule_id not in state:
                visit(rule_id)

    def apply_overrides(self) -> None:
        for mapping in self.overrides:
            reader = Reader(self.problems)
            if not reader.required(mapping, "id", "an override"):
                continue
            rule_id = mapping["id"]
            reader.subject = rule_id if isinstance(rule_id, str) else ""
            reader.unknown_keys(mapping, OVERRIDE_KEYS, "an override")
            if rule_id not in self.defined:
                shown = rule_id if isinstance(rule_id, str) else type_name(rule_id)
                reader.add(
                    mapping.value_at("id"),
                    f"override of unknown rule '{shown}'"
                    f"{did_you_mean(str(rule_id), list(self.defined))}",
                )
                continue
            if rule_id not in self.rules:
                continue  # the rule itself has problems, reported already
            rule = self._override(reader, self.rules[rule_id], mapping)
            if rule is not None:
                self.rules[rule_id] = rule

    def _override(self, reader: Reader, rule: Rule, mapping: YamlMap) -> Rule | None:
        changes: dict[str, Any] = {}
        if "enabled" in mapping:
            changes["enabled"] = reader.boolean(mapping, "enabled")
        if "severity" in mapping:
            changes["severity"] = choice(reader, mapping, "severity", SEVERITIES)
        if "allowlist" in mapping:
            extra = read_allowlist(reader, mapping["allowlist"], mapping.value_at("allowlist"))
            changes["allowlist"] = None if extra is None else rule.allowlist.merged(extra)
        for kind in STATEFUL_KINDS:
            if kind not in mapping:
                continue
            if rule.kind != kind:
                what = "a match" if rule.kind == "match" else f"a {rule.kind}"
                reader.add(
                    mapping.key_at(kind),
                    f"rule '{rule.id}' is {what} rule: it has no {kind} to override",
                )
                changes["stateful"] = None
                continue
            params = read_params(reader, kind, mapping[kind], mapping.value_at(kind), partial=True)
            assert rule.stateful is not None
            changes["stateful"] = (
                None if params is None else dataclasses.replace(rule.stateful, **params)
            )
        if any(value is None for value in changes.values()) or any(
            key not in OVERRIDE_KEYS for key in mapping
        ):
            return None
        return dataclasses.replace(rule, **changes)


def load_rules(paths: Sequence[Path], *, extra_allowlist: Allowlist | None = None) -> RuleSet:
    """Read, check and compile the rules in `paths`; InputError lists every problem."""
    loading = _Loading()
    files = rule_files(paths, loading.problems)
    for path in files:
        loading.read_file(path)
    loading.check_references()
    loading.check_cycles()
    loading.apply_overrides()
    loading.problems.raise_if_any()
    allowlist = loading.allowlist.merged(extra_allowlist or Allowlist())
    return RuleSet(tuple(loading.rules.values()), allowlist, tuple(files))


def check_rules(paths: Sequence[Path]) -> list[Problem]:
    """Every problem in the rules at `paths`, sorted; [] when they load."""
    try:
        load_rules(paths)
    except InputError as exc:
        return list(exc.problems)
    return []
