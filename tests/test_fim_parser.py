"""The `fim` log type: web-root watch events in their JSON form (secmon.parsers.fim)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from secmon.events import Event
from secmon.parsers.base import ParseContext
from secmon.parsers.detect import detect_type
from secmon.parsers.registry import make_parser

CTX = ParseContext(
    source="recorded.jsonl",
    tz=timezone(timedelta(hours=7)),
    reference_time=datetime(2026, 3, 15, tzinfo=UTC),
)
SAMPLE = Path(__file__).parent / "data" / "parsers" / "fim.jsonl"


def parse(line: str) -> Event | None:
    return make_parser("fim", CTX).parse(line, 3, 120)


def test_a_minimal_line() -> None:
    line = (
        '{"time": "2026-03-14T10:02:11", "host": "portal", "root": "/var/www/html",'
        ' "path": "/var/www/html/uploads/a.php", "change": "created", "script": true,'
        ' "markers": ["eval-decode", "exec-input"], "size": 120, "sha256": null,'
        ' "nested": {"x": 1}}'
    )
    assert parse(line) == Event(
        time=datetime(2026, 3, 14, 10, 2, 11, tzinfo=timezone(timedelta(hours=7))),
        source="/var/www/html",
        parser="fim",
        message="created /var/www/html/uploads/a.php",
        raw=line,
        host="portal",
        program=None,
        fields={
            "root": "/var/www/html",
            "path": "/var/www/html/uploads/a.php",
            "change": "created",
            "script": True,
            "markers": "eval-decode,exec-input",
            "size": 120,
            "sha256": None,
        },
        line_no=3,
        offset=120,
    )


@pytest.mark.parametrize(
    "line",
    [
        "",
        "not json",
        "[1, 2]",
        '{"time": "2026-03-14T10:02:11+07:00", "root": "/r", "path": "/r/a"}',  # no change
        '{"time": "2026-03-14T10:02:11+07:00", "root": "/r", "change": "created"}',  # no path
        '{"time": "2026-03-14T10:02:11+07:00", "path": "/r/a", "change": "created"}',  # no root
        '{"root": "/r", "path": "/r/a", "change": "created"}',  # no time
        '{"time": 1773442801, "root": "/r", "path": "/r/a", "change": "created"}',  # not ISO
        '{"time": "yesterday", "root": "/r", "path": "/r/a", "change": "created"}',
        '{"time": "2026-03-14T10:02:11+07:00", "root": "/r", "path": "/r/a", "change": "renamed"}',
        '{"time": "2026-03-14T10:02:11+07:00", "root": "", "path": "/r/a", "change": "created"}',
        '{"time": "2026-03-14T10:02:11+07:00", "root": 1, "path": "/r/a", "change": "created"}',
        '{"time": "2026-03-14T10:02:11+07:00", "message": "login failed"}',  # ordinary JSON
    ],
)
def test_lines_that_are_not_fim_events(line: str) -> None:
    assert parse(line) is None


def test_recorded_events_are_told_apart_from_other_json() -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert detect_type(lines) == "fim"
    assert all(parse(line) is not None for line in lines)
    assert detect_type(['{"time": "2026-03-14T10:00:00Z", "message": "x"}']) == "json"
