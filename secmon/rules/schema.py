"""Small checks shared by the rule-file readers: keys, types, durations, names.

Every check reports to a ProblemCollector at the exact file:line:col and
returns None (or a safe empty value) so loading goes on and finds every
problem in one pass.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from ..errors import Location, ProblemCollector
from ..yamlsrc import YamlList, YamlMap

_DURATION = re.compile(r"(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?")
RULE_ID = re.compile(r"[a-z0-9]+(?:[.\-][a-z0-9]+)*")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Reader:
    """Typed access to YAML mappings that reports problems instead of raising."""

    def __init__(self, problems: ProblemCollector, subject: str = ""):
        self.problems = problems
        self.subject = subject

    def add(self, location: Location, message: str) -> None:
        self.problems.add(location, message, self.subject)

    def unknown_keys(self, mapping: YamlMap, allowed: Iterable[str], what: str = "") -> None:
        allowed = tuple(allowed)
        for key in mapping:
            if key not in allowed:
                where = f" in {what}" if what else ""
                self.add(
                    mapping.key_at(key),
                    f"unknown key '{key}'{where}{did_you_mean(str(key), allowed)}",
                )

    def mapping(self, value: Any, at: Location, what: str) -> YamlMap | None:
        if isinstance(value, YamlMap):
            return value
        self.add(at, f"{what} must be a mapping, not {type_name(value)}")
        return None

    def required(self, mapping: YamlMap, key: str, what: str) -> bool:
        if key in mapping:
            return True
        self.add(mapping.location, f"{what} is missing required key '{key}'")
        return False

    def text(self, mapping: YamlMap, key: str, *, empty_ok: bool = False) -> str | None:
        value = mapping.get(key)
        if isinstance(value, str) and (empty_ok or value.strip()):
            return value
        if isinstance(value, str):
            self.add(mapping.value_at(key), f"'{key}' must not be empty")
        else:
            self.add(mapping.value_at(key), f"'{key}' must be text, not {type_name(value)}")
        return None

    def boolean(self, mapping: YamlMap, key: str) -> bool | None:
        value = mapping.get(key)
        if isinstance(value, bool):
            return value
        self.add(mapping.value_at(key), f"'{key}' must be true or false, not {type_name(value)}")
        return None

    def count(self, mapping: YamlMap, key: str, minimum: int = 1) -> int | None:
        value = mapping.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            self.add(mapping.value_at(key), f"'{key}' must be at least {minimum}, not {value}")
        else:
            self.add(
                mapping.value_at(key),
                f"'{key}' must be a whole number, not {type_name(value)}",
            )
        return None

    def names(
        self, mapping: YamlMap, key: str, *, single_ok: bool = True
    ) -> tuple[str, ...] | None:
        """A list of non-empty strings (or one string when `single_ok`)."""
        value = mapping.get(key)
        if single_ok and isinstance(value, str) and value.strip():
            return (value,)
        if not isinstance(value, YamlList):
            expected = "a list of text" + (" or one text" if single_ok else "")
            self.add(mapping.value_at(key), f"'{key}' must be {expected}, not {type_name(value)}")
            return None
        out: list[str] = []
        ok = True
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                out.append(item)
            else:
                ok = False
                self.add(
                    value.item_at(index),
                    f"'{key}' entries must be non-empty text, not {type_name(item)}",
                )
        return tuple(out) if ok else None

    def duration(self, mapping: YamlMap, key: str) -> timedelta | None:
        value = mapping.get(key)
        at = mapping.value_at(key)
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.add(at, f"'{key}': {exc}")
            return None

    def bilingual(self, mapping: YamlMap, key: str) -> dict[str, str] | None:
        value = mapping.get(key)
        at = mapping.value_at(key)
        if not isinstance(value, YamlMap):
            self.add(at, f"'{key}' must be a mapping {{vi: ..., en: ...}}, not {type_name(value)}")
            return None
        self.unknown_keys(value, ("vi", "en"), f"'{key}'")
        missing = [lang for lang in ("vi", "en") if lang not in value]
        if missing:
            self.add(
                value.location, f"'{key}' needs both vi and en (missing: {', '.join(missing)})"
            )
            return None
        out: dict[str, str] = {}
        for lang in ("vi", "en"):
            text = value[lang]
            if not isinstance(text, str) or not text.strip():
                self.add(value.value_at(lang), f"'{key}.{lang}' must be non-empty text")
                return None
            out[lang] = text
        return out


def parse_duration(value: Any) -> timedelta:
    """'30s', '5m', '2h', '1d', '1h30m' -> timedelta; ValueError saying what is wrong."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"a duration must be text like 5m, not {type_name(value)}")
    if isinstance(value, (int, float)):
        raise ValueError(
            f"a plain number ({value}) is ambiguous: give a unit, like {value}s or {value}m"
        )
    if not isinstance(value, str):
        raise ValueError(f"a duration must be text like 5m, not {type_name(value)}")
    found = _DURATION.fullmatch(value.strip())
    if not value.strip() or found is None:
        raise ValueError(
            f"'{value}' is not a duration: use s, m, h, d, like 30s, 5m, 2h, 1d or 1h30m"
        )
    days, hours, minutes, seconds = (int(part) if part else 0 for part in found.groups())
    total = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    if total <= timedelta(0):
        raise ValueError(f"'{value}' must be longer than zero")
    return total


def format_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"
