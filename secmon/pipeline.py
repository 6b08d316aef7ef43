"""The pipeline for one-shot input: files -> parsers -> rules -> merged detections.

`secmon scan`, `secmon demo` and the benchmarks use it; the daemon runs the
same stages on live sources. Nothing here writes to the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .clock import Clock
from .errors import SecmonError
from .events import SEVERITY_RANK, Detection, Event
from .parsers.base import JsonMapping, LineParser, ParseContext
from .parsers.detect import detect_type
from .parsers.registry import make_parser
from .rules.engine import DetectionEngine
from .sources.oneshot import read_lines, reference_time, sample_lines

EVIDENCE_PER_DETECTION = 10
PROGRESS_EVERY_LINES = 50_000
MERGE_AT = 20_000  # detections kept before merging them (one per rule and key)


class UnknownFormatError(SecmonError):
    def __init__(self, path: Path):
        self.path = path
        super().__init__(f"cannot tell the log format of {path}; name it with --type")


@dataclass(slots=True)
class SourceStats:
    source: str
    type_name: str
    lines: int = 0
    parsed: int = 0
    malformed: int = 0
    bytes: int = 0


@dataclass(frozen=True, slots=True)
class Progress:
    bytes_done: int
    bytes_total: int
    lines: int
    elapsed: float


@dataclass(slots=True)
class ScanResult:
    detections: list[Detection] = field(default_factory=list)
    sources: list[SourceStats] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def lines(self) -> int:
        return sum(s.lines for s in self.sources)

    @property
    def malformed(self) -> int:
        return sum(s.malformed for s in self.sources)


def order_inputs(paths: Iterable[Path]) -> list[Path]:
    """Oldest first (auth.log.2.gz before auth.log.1 before auth.log), so windows see time in order."""
    unique = dict.fromkeys(paths)
    return sorted(unique, key=lambda p: (os.stat(p).st_mtime, str(p)))


def resolve_type(path: Path, type_name: str) -> str:
    if type_name != "auto":
        return type_name
    detected = detect_type(sample_lines(path))
    if detected is None:
        raise UnknownFormatError(path)
    return detected


def scan_paths(
    paths: Sequence[Path],
    engine: DetectionEngine,
    *,
    type_name: str,
    tz: tzinfo,
    clock: Clock,
    json_mapping: JsonMapping | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    on_event: Callable[[Event, SourceStats], None] | None = None,
) -> ScanResult:
    """Run every line of `paths` through `engine`; return merged detections and counts."""
    result = ScanResult()
    ordered = order_inputs(paths)
    types = {path: resolve_type(path, type_name) for path in ordered}
    total_bytes = sum(os.stat(p).st_size for p in ordered)
    started = clock.monotonic()
    done_bytes = 0
    detections: list[Detection] = []
    lines_so_far = 0
    for path in ordered:
        stats = SourceStats(str(path), types[path])
        result.sources.append(stats)
        context = ParseContext(
            source=str(path),
            tz=tz,
            reference_time=reference_time(path),
            json_mapping=json_mapping or JsonMapping(),
        )
        parser = make_parser(types[path], context)
        report = None
        if on_progress is not None:
            report = _progress_reporter(on_progress, clock, started, done_bytes, total_bytes,
                                        lines_so_far)
        _scan_file(path, parser, engine, stats, detections, on_event, report)
        stats.parsed = stats.lines - stats.malformed
        stats.bytes = os.stat(path).st_size
        done_bytes += stats.bytes
        lines_so_far += stats.lines
    detections.extend(engine.finish())
    result.detections = merge_detections(detections)
    result.elapsed = clock.monotonic() - started
    if on_progress is not None:
        on_progress(Progress(total_bytes, total_bytes, lines_so_far, result.elapsed))
    return result


def _scan_file(
    path: Path,
    parser: LineParser,
    engine: DetectionEngine,
    stats: SourceStats,
    detections: list[Detection],
    on_event: Callable[[Event, SourceStats], None] | None,
    report: Callable[[int, int], None] | None,
) -> None:
    """The hot loop: every line of `path` through `parser` and `engine`.

    A syslog parser is given the engine's screen, so lines that no rule can
    want cost only their header and timestamp (the Event is built only when
    an absence rule needs its time). Not with `on_event`, which sees every event.
    """
    parse = parser.parse
    screened = getattr(parser, "parse_screened", None)
    screen = None
    if screened is not None and on_event is None:
        screen = engine.screen(parser.type_name)
    parse_screened: Callable[..., Event | float | None] = screened or parse
    process = engine.process
    skip = engine.skip
    lines = 0
    malformed = 0
    merge_at = max(MERGE_AT, 2 * len(detections))
    for raw in read_lines(path):
        lines += 1
        if report is not None and lines % PROGRESS_EVERY_LINES == 0:
            report(raw.offset, lines)
        if screen is not None:
            got = parse_screened(raw.text, raw.line_no, raw.offset, screen)
            if isinstance(got, float):  # no rule wants the line: only its time counts
                if not skip(got):
                    continue
                got = parse(raw.text, raw.line_no, raw.offset)  # an absence rule is due
            event = got
        else:
            event = parse(raw.text, raw.line_no, raw.offset)
        if event is None:
            malformed += 1
            continue
        if on_event is not None:
            on_event(event, stats)
        found = process(event)
        if found:
            detections.extend(found)
            if len(detections) > merge_at:
                # a rule reporting on most lines must not keep one detection per line
                detections[:] = merge_detections(detections)
                merge_at = max(MERGE_AT, 2 * len(detections))
    stats.lines = lines
    stats.malformed = malformed


def _progress_reporter(
    on_progress: Callable[[Progress], None],
    clock: Clock,
    started: float,
    done_bytes: int,
    total_bytes: int,
    lines_before: int,
) -> Callable[[int, int], None]:
    def report(offset: int, lines: int) -> None:
        on_progress(
            Progress(done_bytes + offset, total_bytes, lines_before + lines,
                     clock.monotonic() - started)
        )

    return report


def merge_detections(detections: Iterable[Detection]) -> list[Detection]:
    """One detection per (rule, key): counts added, times widened, evidence bounded.

    The order is stable: by first_seen, then rule id and key.
    """
    merged: dict[tuple[str, tuple[tuple[str, str], ...]], Detection] = {}
    for det in detections:
        slot = (det.rule_id, det.key)
        previous = merged.get(slot)
        merged[slot] = det if previous is None else _merge_pair(previous, det)
    return sorted(merged.values(), key=lambda d: (d.first_seen, d.rule_id, d.key))


def _merge_pair(a: Detection, b: Detection) -> Detection:
    evidence = a.evidence + b.evidence
    if len(evidence) > EVIDENCE_PER_DETECTION:
        half = EVIDENCE_PER_DETECTION // 2
        evidence = evidence[:half] + evidence[-half:]
    severity = a.severity if SEVERITY_RANK[a.severity] >= SEVERITY_RANK[b.severity] else b.severity
    latest = b if b.last_seen >= a.last_seen else a
    return Detection(
        rule_id=a.rule_id,
        title=a.title,
        category=a.category,
        severity=severity,
        tags=a.tags,
        key=a.key,
        count=a.count + b.count,
        first_seen=min(a.first_seen, b.first_seen),
        last_seen=max(a.last_seen, b.last_seen),
        evidence=evidence,
        source=latest.source,
        playbook=a.playbook or b.playbook,
    )


def detection_record(det: Detection) -> dict[str, object]:
    """The JSON object of the `secmon scan --format jsonl` contract."""
    return {
        "rule": det.rule_id,
        "category": det.category,
        "severity": det.severity,
        "tags": list(det.tags),
        "key": dict(det.key),
        "count": det.count,
        "first_seen": _iso(det.first_seen),
        "last_seen": _iso(det.last_seen),
        "source": det.source,
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat()
