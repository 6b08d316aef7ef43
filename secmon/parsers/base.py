"""The parser interface: one object per source turns lines into Events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Protocol

from ..events import Event


@dataclass(frozen=True, slots=True)
class JsonMapping:
    """Which keys of a JSON log object hold the time, message and source IP.

    Dotted names reach into nested objects ("client.ip").
    """

    time: str = "time"
    message: str = "message"
    src_ip: str = "src_ip"
    host: str | None = "host"
    program: str | None = None


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a parser needs to know about its source.

    `reference_time` is the file's mtime (or now, for live input): year-less
    syslog timestamps take its year, and a date later than it belongs to the
    year before (a December line read in January).
    """

    source: str
    tz: tzinfo
    reference_time: datetime
    json_mapping: JsonMapping = field(default_factory=JsonMapping)


class LineParser(Protocol):
    """Parses the lines of one source, in order; may keep per-source state."""

    type_name: str

    def parse(self, line: str, line_no: int = 0, offset: int = 0) -> Event | None:
        """The Event for `line` (no trailing newline), or None if it is not of this format."""
        ...
