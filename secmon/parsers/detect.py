"""Guess a log's type from a sample of its lines."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from .base import ParseContext
from .registry import PARSER_TYPES

# Most specific first: on a tie the earlier type wins. "nginx" stands for the
# web access parser (nginx and apache share it); see _web_flavour. "fim"
# (recorded web-root events) is JSON with required keys: tried before "json".
DETECTION_ORDER: tuple[str, ...] = ("fim", "json", "nginx-error", "apache-error", "nginx", "syslog")

# Any fixed leap-year date: the guess does not depend on the year.
_REFERENCE = datetime(2024, 12, 31, tzinfo=UTC)


def detect_type(lines: Sequence[str]) -> str | None:
    """The type that parses most of the non-blank `lines`; None if none parses half."""
    sample = [line for line in lines if line.strip()]
    if not sample:
        return None
    ctx = ParseContext(source="<sample>", tz=UTC, reference_time=_REFERENCE)
    best: str | None = None
    best_count = 0
    for name in DETECTION_ORDER:
        parser = PARSER_TYPES[name](ctx)
        count = sum(1 for line in sample if parser.parse(line) is not None)
        if count > best_count:
            best, best_count = name, count
    if best is None or best_count * 2 < len(sample):
        return None
    if best == "nginx":
        return _web_flavour(sample, ctx)
    return best


def _web_flavour(sample: list[str], ctx: ParseContext) -> str:
    """'apache' when the sample shows an Apache habit, else 'nginx' (same parser).

    Apache habits: vhost_combined (Debian's other_vhosts_access.log) and
    quotes escaped as \\" (nginx writes \\x22).
    """
    parser = PARSER_TYPES["apache"](ctx)
    for line in sample:
        event = parser.parse(line)
        if event is None:
            continue
        if event.fields.get("vhost") is not None or '\\"' in line:
            return "apache"
    return "nginx"
