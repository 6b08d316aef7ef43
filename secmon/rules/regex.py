"""Linear-time regular expressions (RE2) for attacker-controlled text.

The only module of `rules/` that imports `re2`. Patterns are compiled as
UTF-8 bytes and matched against text encoded once per event, so a group of
rules can share one encoding and one `re2.Set` pass.

google-re2's Python match objects are slow to build (several microseconds
each); when the wrapper exposes its compiled RE2 object we read the group
spans from it directly, else we fall back to the public API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import re2  # type: ignore[import-untyped]

LINEAR_HINT = (
    "secmon needs linear-time regexes (RE2 syntax): backreferences, look-ahead, "
    "look-behind and possessive quantifiers are not supported"
)


class PatternError(ValueError):
    """A pattern RE2 refuses; the message says why and what secmon needs."""


def _options(nocase: bool = False) -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # we report the problem ourselves, at its file:line:col
    if nocase:
        options.case_sensitive = False
    return options


def _error_text(exc: Exception) -> str:
    detail = exc.args[0] if exc.args else str(exc)
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail)


def encode(text: str) -> bytes:
    """Text as the UTF-8 bytes RE2 reads (bad code points replaced, never fatal)."""
    return text.encode("utf-8", "replace")


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


class LinearRegex:
    """One compiled RE2 pattern: test a match and read its named groups."""

    __slots__ = ("pattern", "group_names", "_regex", "_raw", "_anchor", "_names")

    def __init__(self, pattern: str, *, nocase: bool = False):
        self.pattern = pattern
        try:
            self._regex = re2.compile(encode(pattern), _options(nocase))
        except re2.error as exc:
            raise PatternError(
                f"regular expression '{pattern}' is not valid: {_error_text(exc)}; {LINEAR_HINT}"
            ) from None
        index = {_decode(name): number for name, number in self._regex.groupindex.items()}
        # group number -> name, in pattern order
        self._names: tuple[tuple[int, str], ...] = tuple(
            sorted((number, name) for name, number in index.items())
        )
        self.group_names: tuple[str, ...] = tuple(name for _, name in self._names)
        self._raw = getattr(self._regex, "_regexp", None)
        self._anchor = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
        if self._raw is None or self._anchor is None or not hasattr(self._raw, "Match"):
            self._raw = None

    def _spans(self, data: bytes) -> Sequence[tuple[int, int]] | None:
        if self._raw is not None:
            spans = self._raw.Match(self._anchor, data, 0, len(data))
            return None if spans[0][0] < 0 else spans
        found = self._regex.search(data)
        if found is None:
            return None
        return [found.span(number) for number in range(self._regex.groups + 1)]

    def search(self, data: bytes) -> bool:
        return self._spans(data) is not None

    def groups(self, data: bytes) -> dict[str, str] | None:
        """The named groups that took part in the first match, or None if no match."""
        if self._raw is not None:
            spans = self._raw.Match(self._anchor, data, 0, len(data))
            if spans[0][0] < 0:
                return None
        else:
            spans = self._spans(data)
            if spans is None:
                return None
        found: dict[str, str] = {}
        for number, name in self._names:
            start, end = spans[number]
            if start >= 0:
                found[name] = data[start:end].decode("utf-8", "replace")
        return found


class PatternSet:
    """Several patterns searched in one pass; `match` says which of them occur."""

    __slots__ = ("_set", "_match", "size")

    def __init__(self, patterns: Sequence[str]):
        self._set: Any = re2.Set.SearchSet(_options())
        for pattern in patterns:
            try:
                self._set.Add(encode(pattern))
            except re2.error as exc:
                raise PatternError(
                    f"regular expression '{pattern}' is not valid: {_error_text(exc)}; "
                    f"{LINEAR_HINT}"
                ) from None
        self._set.Compile()
        self.size = len(patterns)
        # the wrapper's Match only encodes str and turns [] into None; skip it for bytes
        raw = getattr(self._set, "_set", None)
        self._match = raw.Match if raw is not None and hasattr(raw, "Match") else self._set.Match

    @property
    def search(self) -> Callable[[bytes], list[int] | None]:
        """The bare search: indices of the patterns found in `data` in no set order,
        empty or None when none is (one call less than `match`, for hot loops)."""
        return self._match  # type: ignore[no-any-return]

    def match(self, data: bytes) -> list[int]:
        """Indices (in `patterns` order) of the patterns found in `data`."""
        found = self._match(data)
        if not found:
            return []
        if len(found) > 1:
            found = sorted(found)
        return found
