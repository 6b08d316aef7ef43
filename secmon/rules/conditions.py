"""`where:` conditions: per-field tests compiled once into small functions.

    where:
      program: sshd                      # a scalar: equals
      method: [POST, PUT]                # a list: equals any of them
      status: {ge: 400, lt: 500}         # several modifiers: all must hold
      user_agent: {contains: [sqlmap, nikto], nocase: true}
      src_ip: {not: {cidr: [10.0.0.0/8]}}

A missing (None) field fails every positive test (and so passes `not`).
String tests compare the field as text (case-sensitive unless `nocase`);
numeric tests convert a numeric string and fail on anything else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import Location
from ..yamlsrc import YamlList, YamlMap
from .allowlist import IPNetwork, NetworkMembership, parse_network
from .regex import LinearRegex, PatternError, encode
from .schema import Reader, type_name

Test = Callable[[Any], bool]

MODIFIERS: tuple[str, ...] = (
    "equals",
    "in",
    "contains",
    "startswith",
    "endswith",
    "re",
    "cidr",
    "gt",
    "ge",
    "lt",
    "le",
    "not",
    "nocase",
)
_NUMERIC = ("gt", "ge", "lt", "le")
_NUMBER_TEXT = re.compile(r"[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})(?:[eE][+-]?\d{1,4})?")


@dataclass(frozen=True, slots=True)
class FieldCondition:
    """One `where:` entry: `test(value of field)` must be true."""

    field: str
    test: Test
    location: Location
    # When the condition is exactly "equals one of these strings" (case-sensitive),
    # the engine can index rules by them instead of testing each event.
    index_values: frozenset[str] | None = None


def to_text(value: Any) -> str | None:
    """A field value as text for string tests (None stays None)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_number(value: Any) -> float | int | None:
    """A field value as a number, or None when it is not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and len(value) <= 64:
        text = value.strip()
        if _NUMBER_TEXT.fullmatch(text):
            number = float(text)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
    return None


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and value is not None


def _equals(values: list[Any], nocase: bool) -> Test:
    numbers = {v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)}
    texts = {to_text(v) for v in values if isinstance(v, (str, bool))}
    if nocase:
        texts = {t.casefold() for t in texts if t is not None}

    def test(value: Any) -> bool:
        if value is None:
            return False
        if numbers and to_number(value) in numbers:
            return True
        if texts:
            text = to_text(value)
            if nocase and text is not None:
                text = text.casefold()
            return text in texts
        return False

    return test


def _string_test(kind: str, values: list[Any], nocase: bool) -> Test:
    wanted = tuple(str(to_text(v)) for v in values)
    if nocase:
        wanted = tuple(w.casefold() for w in wanted)

    def text_of(value: Any) -> str | None:
        text = to_text(value)
        return text.casefold() if nocase and text is not None else text

    if kind == "contains":

        def test(value: Any) -> bool:
            text = text_of(value)
            return text is not None and any(w in text for w in wanted)
    elif kind == "startswith":

        def test(value: Any) -> bool:
            text = text_of(value)
            return text is not None and text.startswith(wanted)
    else:

        def test(value: Any) -> bool:
            text = text_of(value)
            return text is not None and text.endswith(wanted)

    return test


def _numeric_test(kind: str, limit: float) -> Test:
    def test(value: Any) -> bool:
        number = to_number(value)
        if number is None:
            return False
        if kind == "gt":
            return number > limit
        if kind == "ge":
            return number >= limit
        if kind == "lt":
            return number < limit
        return number <= limit

    return test


def _regex_test(regex: LinearRegex) -> Test:
    def test(value: Any) -> bool:
        text = to_text(value)
        return text is not None and regex.search(encode(text))

    return test


def _cidr_test(networks: tuple[IPNetwork, ...]) -> Test:
    member = NetworkMembership(networks)

    def test(value: Any) -> bool:
        return member(to_text(value))

    return test


def _negate(inner: Test) -> Test:
    def test(value: Any) -> bool:
        return not inner(value)

    return test


def _all(tests: list[Test]) -> Test:
    def test(value: Any) -> bool:
        return all(t(value) for t in tests)

    return test


class ConditionReader:
    """Compiles `where:` mappings, reporting every problem to the Reader."""

    def __init__(self, reader: Reader):
        self.reader = reader

    def where(self, value: Any, at: Location) -> tuple[FieldCondition, ...]:
        mapping = self.reader.mapping(value, at, "'where'")
        if mapping is None:
            return ()
        out = []
        for field, spec in mapping.items():
            if not isinstance(field, str) or not field.strip():
                self.reader.add(mapping.key_at(field), "a field name in 'where' must be text")
                continue
            test = self.condition(spec, mapping.value_at(field), field, nocase=False)
            if test is not None:
                out.append(FieldCondition(field, test, mapping.key_at(field), _index_values(spec)))
        return tuple(out)

    def _values(self, spec: Any, at: Location, what: str) -> list[Any] | None:
        """One scalar or a non-empty list of scalars."""
        if isinstance(spec, YamlList):
            if not spec:
                self.reader.add(at, f"{what} needs at least one value")
                return None
            bad = [i for i, item in enumerate(spec) if not _scalar(item)]
            for index in bad:
                self.reader.add(
                    spec.item_at(index),
                    f"{what} values must be text or numbers, not {type_name(spec[index])}",
                )
            return None if bad else list(spec)
        if _scalar(spec):
            return [spec]
        self.reader.add(at, f"{what} must be a value or a list of values, not {type_name(spec)}")
        return None

    def condition(self, spec: Any, at: Location, field: str, nocase: bool) -> Test | None:
        if isinstance(spec, YamlMap):
            return self._modifiers(spec, field)
        values = self._values(spec, at, f"the condition on '{field}'")
        return None if values is None else _equals(values, nocase)

    def _modifiers(self, spec: YamlMap, field: str) -> Test | None:
        reader = self.reader
        what = f"the condition on '{field}'"
        reader.unknown_keys(spec, MODIFIERS, what)
        nocase = False
        if "nocase" in spec:
            nocase = bool(reader.boolean(spec, "nocase"))
        tests: list[Test] = []
        failed = False
        for key, value in spec.items():
            if key == "nocase" or key not in MODIFIERS:
                failed = failed or key not in MODIFIERS
                continue
            test = self._modifier(key, value, spec.value_at(key), field, nocase)
            if test is None:
                failed = True
            else:
                tests.append(test)
        if failed:
            return None
        if not tests:
            reader.add(
                spec.location,
                f"{what} tests nothing: give a value or a modifier such as equals, "
                "contains, re, cidr or ge",
            )
            return None
        return tests[0] if len(tests) == 1 else _all(tests)

    def _modifier(
        self, key: str, value: Any, at: Location, field: str, nocase: bool
    ) -> Test | None:
        what = f"'{key}' on '{field}'"
        if key == "not":
            inner = self.condition(value, at, field, nocase)
            return None if inner is None else _negate(inner)
        if key in _NUMERIC:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.reader.add(at, f"{what} needs a number, not {type_name(value)}")
                return None
            return _numeric_test(key, value)
        values = self._values(value, at, what)
        if values is None:
            return None
        if key in ("equals", "in"):
            return _equals(values, nocase)
        if key in ("contains", "startswith", "endswith"):
            return _string_test(key, values, nocase)
        if key == "re":
            return self._regex(values, value, at, what, nocase)
        return self._cidr(values, value, at, what)

    def _regex(
        self, values: list[Any], raw: Any, at: Location, what: str, nocase: bool
    ) -> Test | None:
        ok = True
        for index, pattern in enumerate(values):
            where = raw.item_at(index) if isinstance(raw, YamlList) else at
            if not isinstance(pattern, str):
                self.reader.add(where, f"{what} needs a pattern as text, not {type_name(pattern)}")
                ok = False
                continue
            try:
                LinearRegex(pattern)
            except PatternError as exc:
                self.reader.add(where, str(exc))
                ok = False
        if not ok:
            return None
        joined = values[0] if len(values) == 1 else "|".join(f"(?:{p})" for p in values)
        return _regex_test(LinearRegex(joined, nocase=nocase))

    def _cidr(self, values: list[Any], raw: Any, at: Location, what: str) -> Test | None:
        networks = []
        for index, text in enumerate(values):
            where = raw.item_at(index) if isinstance(raw, YamlList) else at
            try:
                networks.append(parse_network(str(text)))
            except ValueError as exc:
                self.reader.add(where, f"{what}: {exc}")
        if len(networks) != len(values):
            return None
        return _cidr_test(tuple(networks))


def _index_values(spec: Any) -> frozenset[str] | None:
    """The strings a condition is a plain case-sensitive equality to, else None."""
    if isinstance(spec, str):
        return frozenset((spec,))
    if isinstance(spec, YamlList):
        return frozenset(spec) if spec and all(isinstance(v, str) for v in spec) else None
    if isinstance(spec, YamlMap) and len(spec) == 1:
        ((key, value),) = spec.items()
        if key in ("equals", "in"):
            return _index_values(value)
    return None
