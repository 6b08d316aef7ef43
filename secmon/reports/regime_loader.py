"""Regime YAML -> Regime, strictly: every problem as `file:line:col: message`.

The shipped regime is `secmon/reports/regimes/vn-2017.yaml`; a user's copy
is named by `reporting.regime` in secmon.yaml. All problems of the file are
collected and raised together as one InputError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ..config.reporting import ReportingSettings
from ..errors import InputError, Location, Problem
from ..playbooks.model import LANGS, Deadline, LocalText, did_you_mean, parse_deadline
from ..yamlsrc import YamlList, YamlMap, load_yaml_file, location_of
from .fields import VALUES, check_condition
from .regime import (
    BLOCKS,
    REPORT_KINDS,
    Choice,
    FormField,
    FormSection,
    Period,
    Regime,
    ReportSpec,
    SummarySpec,
)

VERSION = 1
BUILTIN_REGIME = Path(__file__).resolve().parent / "regimes" / "vn-2017.yaml"

_TOP = ("version", "regime")
_REGIME = ("id", "name", "legal_basis", "notice", "header", "roles", "reports", "summary",
           "periods")
_REGIME_REQUIRED = ("id", "name", "legal_basis", "roles", "reports", "summary", "periods")
_REPORT = ("title", "form", "when", "step", "deadline", "subject", "recipients", "sections")
_REPORT_REQUIRED = ("title", "form", "when", "sections")
_SECTION = ("title", "fields", "block")
_FIELD = ("label", "value", "required", "choices", "hint")
_CHOICE = ("label", "when")
_SUMMARY = ("title", "form", "recipients")
_PERIOD = ("label", "start", "end", "due")
_ID = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*")
_MONTH_DAY = re.compile(r"(\d\d)-(\d\d)")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

T = TypeVar("T")


def load_regime(path: Path | None = None) -> Regime:
    """The regime at `path` (default: the shipped one); InputError lists every problem."""
    problems, regime = _Reader(str(path or BUILTIN_REGIME)).read()
    if problems or regime is None:
        raise InputError(problems)
    return regime


def check_regime(path: Path) -> list[Problem]:
    """Every problem of the regime file at `path`, sorted (empty: valid)."""
    return sorted(_Reader(str(path)).read()[0])


def check_recipients(regime: Regime, reporting: ReportingSettings) -> None:
    """Raise InputError (at the config's lines) for recipient roles the regime lacks."""
    roles = sorted(regime.roles)
    problems = [
        Problem(
            recipient.location,
            f"unknown recipient role '{recipient.role}'{did_you_mean(recipient.role, roles)}; "
            f"the reporting regime {regime.path} has the roles {', '.join(roles)}",
        )
        for recipient in reporting.recipients
        if recipient.role not in regime.roles
    ]
    if problems:
        raise InputError(problems)


class _Reader:
    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []

    def problem(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message))

    def read(self) -> tuple[list[Problem], Regime | None]:
        try:
            doc = load_yaml_file(self.path)
        except InputError as exc:
            return exc.problems, None
        if not isinstance(doc, YamlMap):
            self.problem(location_of(doc, Location(self.path)),
                         "a regime file is a mapping with 'version: 1' and 'regime:'")
            return self.problems, None
        self.keys(doc, _TOP, _TOP)
        if "version" in doc and (type(doc["version"]) is not int or doc["version"] != VERSION):
            self.problem(doc.value_at("version"),
                         f"unsupported version {doc['version']!r}: this secmon reads "
                         f"'version: {VERSION}'")
        body = self.mapping(doc, "regime")
        regime = self.regime(body) if body is not None else None
        return self.problems, None if self.problems else regime

    # -- generic ---------------------------------------------------------
    def keys(self, data: YamlMap, allowed: Sequence[str], required: Sequence[str]) -> bool:
        ok = True
        for key in data:
            if key not in allowed:
                hint = did_you_mean(str(key), allowed) or f"; expected {', '.join(allowed)}"
                self.problem(data.key_at(key), f"unknown key '{key}'{hint}")
                ok = False
        for key in required:
            if key not in data:
                self.problem(data.location, f"missing key '{key}'")
                ok = False
        return ok

    def mapping(self, data: YamlMap, key: str) -> YamlMap | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, YamlMap):
            self.problem(data.value_at(key), f"'{key}' must be a mapping")
            return None
        return value

    def listing(self, data: YamlMap, key: str, item: Callable[[Any, Location], T | None],
                what: str) -> tuple[T, ...] | None:
        if key not in data:
            return None
        value = data[key]
        if not isinstance(value, YamlList) or not value:
            self.problem(data.value_at(key), f"'{key}' must be a non-empty list of {what}")
            return None
        items = [item(entry, value.item_at(i)) for i, entry in enumerate(value)]
        if any(x is None for x in items):
            return None
        return tuple(x for x in items if x is not None)

    def text(self, data: YamlMap, key: str) -> LocalText | None:
        if key not in data:
            return None
        return self.local(data[key], data.value_at(key), key)

    def local(self, value: Any, where: Location, what: str) -> LocalText | None:
        if not isinstance(value, YamlMap):
            self.problem(where, f"'{what}' must be a mapping {{vi: ..., en: ...}}")
            return None
        ok = self.keys(value, LANGS, LANGS)
        for lang in LANGS:
            if lang in value and (not isinstance(value[lang], str) or not value[lang].strip()):
                self.problem(value.value_at(lang), f"'{what}.{lang}' must be non-empty text")
                ok = False
        return LocalText(" ".join(value["vi"].split()), " ".join(value["en"].split())) if ok \
            else None

    def ident(self, data: YamlMap, key: str, what: str) -> str | None:
        value = data.get(key)
        if not isinstance(value, str) or not _ID.fullmatch(value):
            self.problem(data.value_at(key), f"{what} {value!r} must be lowercase letters and "
                                             "digits joined by '-', '.' or '_'")
            return None
        return value

    # -- structure -------------------------------------------------------
    def regime(self, body: YamlMap) -> Regime | None:
        complete = self.keys(body, _REGIME, _REGIME_REQUIRED)
        regime_id = self.ident(body, "id", "regime id") if "id" in body else None
        name = self.text(body, "name")
        legal = self.listing(body, "legal_basis",
                             lambda v, at: self.local(v, at, "legal_basis"), "{vi, en} texts")
        notice = self.text(body, "notice") if "notice" in body else None
        header = self.header(body)
        roles = self.roles(body)
        reports = self.reports(body, set(roles or {}))
        summary = self.summary(body, set(roles or {}))
        periods = self.periods(body)
        parts = (regime_id, name, legal, roles, reports, summary, periods, header)
        if not complete or any(p is None for p in parts):
            return None
        assert regime_id and name and legal and roles is not None and reports is not None
        assert summary is not None and periods is not None and header is not None
        return Regime(regime_id, name, legal, roles, reports, summary, periods, header, notice,
                      self.path)

    def header(self, body: YamlMap) -> dict[str, tuple[str, ...]] | None:
        section = self.mapping(body, "header")
        if section is None:
            return {} if "header" not in body else None
        if not self.keys(section, LANGS, LANGS):
            return None
        lines: dict[str, tuple[str, ...]] = {}
        for lang in LANGS:
            value = section[lang]
            if not isinstance(value, YamlList) or not all(isinstance(v, str) for v in value):
                self.problem(section.value_at(lang), f"'header.{lang}' must be a list of lines")
                return None
            lines[lang] = tuple(value)
        return lines

    def roles(self, body: YamlMap) -> dict[str, LocalText] | None:
        section = self.mapping(body, "roles")
        if section is None:
            return None
        roles: dict[str, LocalText] = {}
        for role, value in section.items():
            if not isinstance(role, str) or not _ID.fullmatch(role):
                self.problem(section.key_at(role), f"role {role!r} must be a lowercase word")
                continue
            text = self.local(value, section.value_at(role), f"roles.{role}")
            if text is not None:
                roles[role] = text
        return roles if len(roles) == len(section) and roles else None

    def recipients(self, data: YamlMap, roles: set[str]) -> tuple[str, ...] | None:
        if "recipients" not in data:
            return ()
        value = data["recipients"]
        if not isinstance(value, YamlList) or not all(isinstance(v, str) for v in value):
            self.problem(data.value_at("recipients"), "'recipients' must be a list of role ids")
            return None
        ok = True
        for index, role in enumerate(value):
            if role not in roles:
                self.problem(value.item_at(index),
                             f"unknown role '{role}'{did_you_mean(role, sorted(roles))}; "
                             f"roles are {', '.join(sorted(roles))}")
                ok = False
        return tuple(value) if ok else None

    def reports(self, body: YamlMap, roles: set[str]) -> dict[str, ReportSpec] | None:
        section = self.mapping(body, "reports")
        if section is None:
            return None
        specs: dict[str, ReportSpec] = {}
        ok = True
        for kind in section:
            if kind not in REPORT_KINDS:
                self.problem(section.key_at(kind),
                             f"unknown report kind '{kind}'{did_you_mean(str(kind), REPORT_KINDS)}"
                             f"; kinds are {', '.join(REPORT_KINDS)}")
                ok = False
                continue
            spec = self.report(kind, section[kind], section.value_at(kind), roles)
            ok = spec is not None and ok
            if spec is not None:
                specs[kind] = spec
        for kind in REPORT_KINDS:
            if kind not in section:
                self.problem(section.location, f"missing report kind '{kind}'")
                ok = False
        return specs if ok else None

    def report(self, kind: str, data: Any, at: Location, roles: set[str]) -> ReportSpec | None:
        if not isinstance(data, YamlMap):
            self.problem(at, f"report '{kind}' must be a mapping")
            return None
        complete = self.keys(data, _REPORT, _REPORT_REQUIRED)
        title, form = self.text(data, "title"), self.text(data, "form")
        when = self.text(data, "when")
        step = self.ident(data, "step", "checklist step id") if "step" in data else None
        deadline = self.deadline(data)
        subject = data.get("subject", "")
        if not isinstance(subject, str):
            self.problem(data.value_at("subject"), "'subject' must be text")
        recipients = self.recipients(data, roles)
        sections = self.listing(data, "sections", self.section, "sections")
        if "step" in data and step is None or "deadline" in data and deadline is None:
            return None
        if not complete or None in (title, form, when, recipients, sections):
            return None
        assert title and form and when and recipients is not None and sections
        return ReportSpec(kind, title, form, when, sections, recipients, step, deadline,
                          str(subject))

    def deadline(self, data: YamlMap) -> Deadline | None:
        if "deadline" not in data:
            return None
        raw = data["deadline"]
        try:
            if not isinstance(raw, str):
                raise ValueError("deadline must be text like 'detected + 5d' or 'immediately'")
            return parse_deadline(raw)
        except ValueError as exc:
            self.problem(data.value_at("deadline"), str(exc))
            return None

    def section(self, data: Any, at: Location) -> FormSection | None:
        if not isinstance(data, YamlMap):
            self.problem(at, "a section must be a mapping (title, fields, block)")
            return None
        complete = self.keys(data, _SECTION, ("title",))
        title = self.text(data, "title")
        fields = self.listing(data, "fields", self.field, "fields") if "fields" in data else ()
        block = data.get("block")
        if block is not None and block not in BLOCKS:
            self.problem(data.value_at("block"),
                         f"unknown block {block!r}{did_you_mean(str(block), BLOCKS)}; blocks are "
                         f"{', '.join(BLOCKS)}")
            return None
        if not complete or title is None or fields is None:
            return None
        if not fields and block is None:
            self.problem(data.location, "a section needs 'fields' or a 'block'")
            return None
        return FormSection(title, fields, block)

    def field(self, data: Any, at: Location) -> FormField | None:
        if not isinstance(data, YamlMap):
            self.problem(at, "a field must be a mapping (label, value, required, choices, hint)")
            return None
        complete = self.keys(data, _FIELD, ("label",))
        label = self.text(data, "label")
        value = data.get("value")
        ok = True
        if value is not None and value not in VALUES:
            known = ", ".join(sorted(VALUES))
            self.problem(data.value_at("value"),
                         f"unknown value {value!r}{did_you_mean(str(value), sorted(VALUES))}; "
                         f"values are {known}")
            ok = False
        required = data.get("required", False)
        if type(required) is not bool:
            self.problem(data.value_at("required"), "'required' must be true or false")
            ok = False
        choices = self.listing(data, "choices", self.choice, "choices") if "choices" in data \
            else ()
        if choices and value is not None:
            self.problem(data.key_at("choices"), "a field has either 'value' or 'choices'")
            ok = False
        hint = self.text(data, "hint") if "hint" in data else None
        if not (complete and ok) or label is None or choices is None:
            return None
        return FormField(label, value, required, choices, hint, data.location)

    def choice(self, data: Any, at: Location) -> Choice | None:
        if not isinstance(data, YamlMap):
            self.problem(at, "a choice must be a mapping (label, when)")
            return None
        complete = self.keys(data, _CHOICE, ("label",))
        label = self.text(data, "label")
        when = data.get("when")
        if when is not None:
            why = check_condition(when) if isinstance(when, str) else "'when' must be text"
            if why:
                self.problem(data.value_at("when"), why)
                return None
        if not complete or label is None:
            return None
        return Choice(label, when)

    def summary(self, body: YamlMap, roles: set[str]) -> SummarySpec | None:
        data = self.mapping(body, "summary")
        if data is None:
            return None
        complete = self.keys(data, _SUMMARY, ("title", "form"))
        title, form = self.text(data, "title"), self.text(data, "form")
        recipients = self.recipients(data, roles)
        if not complete or title is None or form is None or recipients is None:
            return None
        return SummarySpec(title, form, recipients)

    def periods(self, body: YamlMap) -> dict[str, Period] | None:
        data = self.mapping(body, "periods")
        if data is None:
            return None
        periods: dict[str, Period] = {}
        for pid, value in data.items():
            at = data.value_at(pid)
            if not isinstance(pid, str) or not _ID.fullmatch(pid):
                self.problem(data.key_at(pid), f"period id {pid!r} must be a lowercase word")
                continue
            if not isinstance(value, YamlMap):
                self.problem(at, f"period '{pid}' must be a mapping (label, start, end, due)")
                continue
            if not self.keys(value, _PERIOD, ("label", "start", "end")):
                continue
            label = self.text(value, "label")
            start, end = self.month_day(value, "start"), self.month_day(value, "end")
            due = self.month_day(value, "due") if "due" in value else None
            if label is None or start is None or end is None or ("due" in value and due is None):
                continue
            if end < start:
                self.problem(value.value_at("end"), f"period '{pid}' ends before it starts")
                continue
            periods[pid] = Period(pid, label, start, end, due)
        return periods if len(periods) == len(data) else None

    def month_day(self, data: YamlMap, key: str) -> tuple[int, int] | None:
        value = data[key]
        match = _MONTH_DAY.fullmatch(value) if isinstance(value, str) else None
        if match:
            month, day = int(match[1]), int(match[2])
            if 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]:
                return month, day
        self.problem(data.value_at(key), f"'{key}' must be a month and day in quotes, like "
                                         f"\"06-20\", not {value!r}")
        return None
