"""`secmon rules test`: how each line of a file parsed and which rules matched it.

Like fail2ban-regex and `cscli explain`: stateless rule conditions only (building
blocks included), no detector state, nothing recorded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from .events import Event
from .parsers.base import JsonMapping, ParseContext
from .parsers.registry import make_parser
from .pipeline import resolve_type
from .rules.engine import DetectionEngine
from .sources.oneshot import read_lines, reference_time

OnMatch = Callable[[int, str, str, dict[str, Any]], None]


@dataclass
class ExplainReport:
    type_name: str
    lines: int = 0
    parsed: int = 0
    malformed: int = 0
    matched: int = 0
    allowlisted: int = 0  # lines only allowlisted rules matched
    per_rule: Counter[str] = field(default_factory=Counter)
    unmatched_samples: list[tuple[int, str]] = field(default_factory=list)
    malformed_samples: list[tuple[int, str]] = field(default_factory=list)


def explain_file(
    path: Path,
    engine: DetectionEngine,
    *,
    type_name: str,
    tz: tzinfo,
    json_mapping: JsonMapping | None = None,
    keep_unmatched: int = 20,
    on_match: OnMatch | None = None,
) -> ExplainReport:
    resolved = resolve_type(path, type_name)
    report = ExplainReport(resolved)
    context = ParseContext(
        source=str(path),
        tz=tz,
        reference_time=reference_time(path),
        json_mapping=json_mapping or JsonMapping(),
    )
    parser = make_parser(resolved, context)
    parse = parser.parse
    # syslog: lines that no rule can match are told apart without building their Event
    screened = getattr(parser, "parse_screened", None)
    screen = engine.screen(parser.type_name, explain=True) if screened else None
    parse_screened: Callable[..., Event | float | None] = screened or parse
    for raw in read_lines(path):
        report.lines += 1
        if screen is not None:
            event = parse_screened(raw.text, raw.line_no, raw.offset, screen)
            if isinstance(event, float):
                report.parsed += 1
                if len(report.unmatched_samples) < keep_unmatched:
                    report.unmatched_samples.append((raw.line_no, raw.text))
                continue
        else:
            event = parse(raw.text, raw.line_no, raw.offset)
        if event is None:
            report.malformed += 1
            if len(report.malformed_samples) < keep_unmatched:
                report.malformed_samples.append((raw.line_no, raw.text))
            continue
        report.parsed += 1
        found = engine.explain(event)
        matches = [m for m in found if not m.allowlisted]
        if found and not matches:
            report.allowlisted += 1
            continue
        if not matches:
            if len(report.unmatched_samples) < keep_unmatched:
                report.unmatched_samples.append((raw.line_no, raw.text))
            continue
        report.matched += 1
        for match in matches:
            report.per_rule[match.rule.id] += 1
            if on_match is not None:
                on_match(raw.line_no, match.rule.id, match.rule.category, dict(match.fields))
    return report
