"""The parser interface: one object per source turns lines into Events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Protocol

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


# --- helpers shared by the parsers (time handling) ---------------------------

MONTHS: Mapping[str, int] = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}

# Parsers cache converted timestamps per distinct text; past this many entries
# the cache is emptied (logs repeat the same second, so it refills at once).
TIME_CACHE_SIZE = 4096

_UTC = UTC


class LocalTimes:
    """Turns the naive wall-clock times of one source into aware ones in its zone.

    Daylight-saving time is handled by the zone (zoneinfo). In the hour that
    repeats when clocks go back, a time earlier than the last one resolved is
    taken as the second pass (fold=1), since a log is written in order.
    """

    __slots__ = ("_tz", "_last_utc")

    def __init__(self, tz: tzinfo):
        self._tz = tz
        self._last_utc: datetime | None = None

    def aware(self, naive: datetime) -> tuple[datetime, bool]:
        """(the aware time, whether it may be cached: False in a repeated hour)."""
        first = naive.replace(tzinfo=self._tz, fold=0)
        offset = first.utcoffset()
        second = naive.replace(tzinfo=self._tz, fold=1)
        ambiguous = offset != second.utcoffset() and second.utcoffset() is not None
        chosen = first
        if ambiguous and self._last_utc is not None:
            if first.astimezone(_UTC) < self._last_utc:
                chosen = second
        self._last_utc = chosen.astimezone(_UTC)
        return chosen, not ambiguous


def parse_iso_time(text: str, tz: tzinfo) -> datetime | None:
    """An ISO-8601 date-time ('2026-03-14T06:00:01.5+07:00', 'Z', no zone -> `tz`).

    More than 6 fractional digits are cut to microseconds. None if not ISO-8601.
    """
    if len(text) < 10 or len(text) > 64 or not text[:4].isdigit():
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def parse_clf_time(text: str) -> datetime | None:
    """A web-log time '14/Mar/2026:06:00:01 +0700' (always carries its offset)."""
    if len(text) != 26 or text[2] != "/" or text[6] != "/" or text[11] != ":":
        return None
    month = MONTHS.get(text[3:6])
    sign = text[21]
    digits = text[22:26]
    if month is None or sign not in "+-" or not digits.isdigit():
        return None
    try:
        minutes = int(digits[:2]) * 60 + int(digits[2:])
        zone = (
            _UTC
            if minutes == 0
            else timezone(timedelta(minutes=minutes if sign == "+" else -minutes))
        )
        return datetime(
            int(text[7:11]),
            month,
            int(text[0:2]),
            int(text[12:14]),
            int(text[15:17]),
            int(text[18:20]),
            tzinfo=zone,
        )
    except ValueError:
        return None


# --- fast Event construction -------------------------------------------------

_EVENT_FIELDS = (
    "time", "source", "parser", "message", "raw",
    "host", "program", "fields", "line_no", "offset",
)  # fmt: skip
_new_object = object.__new__
(
    _set_time, _set_source, _set_parser, _set_message, _set_raw,
    _set_host, _set_program, _set_fields, _set_line_no, _set_offset,
) = (getattr(Event, name).__set__ for name in _EVENT_FIELDS)  # fmt: skip


def new_event(
    time: datetime,
    source: str,
    parser: str,
    message: str,
    raw: str,
    host: str | None,
    program: str | None,
    fields: Mapping[str, Any],
    line_no: int,
    offset: int,
) -> Event:
    """The same Event as `Event(...)` with these values, built about twice as fast.

    A frozen dataclass's __init__ sets each slot through object.__setattr__;
    on the parsers' hot path the slot descriptors are called directly. Event
    has no __post_init__; tests check that the slots listed here are all of
    Event's fields.
    """
    event = _new_object(Event)
    _set_time(event, time)
    _set_source(event, source)
    _set_parser(event, parser)
    _set_message(event, message)
    _set_raw(event, raw)
    _set_host(event, host)
    _set_program(event, program)
    _set_fields(event, fields)
    _set_line_no(event, line_no)
    _set_offset(event, offset)
    return event
