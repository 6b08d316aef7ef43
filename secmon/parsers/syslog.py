"""Syslog lines: RFC 3164, RFC 5424, rsyslog's ISO-8601 form, with or without <PRI>.

    Mar 14 06:00:01 host prog[pid]: msg                      (RFC 3164, file)
    <38>Mar 14 06:00:01 host prog: msg                       (RFC 3164, network)
    2026-03-14T06:00:01.123456+07:00 host prog[pid]: msg     (rsyslog default on Debian)
    <34>1 2026-03-14T06:00:01.003Z host app procid msgid [sd] msg   (RFC 5424)

`parse_screened` is `parse` for the one-shot scan: it splits the header,
asks a screen whether any rule could want the (program, message), and for
lines none can want returns only their timestamp, without building the time
or the Event.

Year-less RFC 3164 times take the year of `ctx.reference_time`, or the year
before if that puts them more than a day after it (December lines read in
January). Afterwards the parser follows the log: a jump back of more than
half a year means the log went into a new year (a daemon running over New
Year), and a line more than half a year after both the reference time and
the latest line is a stray from the year before. Times without a zone are in
`ctx.tz`; RFC 5424's nil time "-" takes `ctx.reference_time`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ..events import Event
from .base import (
    MONTHS,
    TIME_CACHE_SIZE,
    LocalTimes,
    ParseContext,
    new_event,
    parse_iso_time,
)

FACILITIES: tuple[str, ...] = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
    "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITY_NAMES: tuple[str, ...] = (
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
)  # fmt: skip

# The tag: "prog[pid]: " or "prog: " (possessive: no backtracking on hostile text).
_TAG = r"(?:([^\s\[\]:]++)(?:\[([^\]\s]*+)\])?:(?: |$))?"

_RFC3164 = re.compile(
    r"([A-Z][a-z]{2} {1,2}\d{1,2} \d\d:\d\d:\d\d)(?:\.(\d{1,9}))? (\S++)(?: |$)" + _TAG,
    re.ASCII,
)
_HOSTLESS_TAG = re.compile(r"([^\s\[\]:]++)(?:\[([^\]\s]*+)\])?:", re.ASCII)
_ISO_STAMP = re.compile(
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?", re.ASCII
)
_ISO = re.compile(r"(\d{4}-\d\d-\d\dT\S++) (\S++)(?: |$)" + _TAG, re.ASCII)
_SD = r"(?:\[(?:[^\"\]]++|\"(?:[^\"\\]++|\\.)*+\")*+\])++"
# rsyslog's RepeatedMsgReduction (on in Ubuntu's default rsyslog.conf) logs a run of
# identical messages once, then "message repeated N times: [ <message>]".
_REPEATED = re.compile(r"message repeated (\d{1,9}) times: \[ ?(.*)\]", re.ASCII | re.DOTALL)
_RFC5424 = re.compile(r"1 (\S++) (\S++) (\S++) (\S++) (\S++) (-|" + _SD + r")(?: |$)", re.ASCII)

# (program, message) -> could any rule want this line? (see DetectionEngine.screen)
Screen = Callable[[str | None, str], bool]

_HALF_YEAR = timedelta(days=183)
_ONE_DAY = timedelta(days=1)


class SyslogParser:
    """One syslog source. Keeps the current year and a timestamp cache."""

    type_name = "syslog"

    def __init__(self, ctx: ParseContext):
        self._source = ctx.source
        self._tz = ctx.tz
        self._local = LocalTimes(ctx.tz)
        self._reference = ctx.reference_time
        reference_local = ctx.reference_time.astimezone(ctx.tz)
        self._reference_local = reference_local.replace(tzinfo=None)
        self._year = reference_local.year
        self._high_water: datetime | None = None  # latest RFC 3164 wall time so far
        self._cache: dict[str, datetime] = {}  # RFC 3164 stamp -> time
        # "Mar 14 06:00" -> (that minute's time at second 0, its timestamp, True)
        self._minutes: dict[str, tuple[datetime, float, bool]] = {}
        self._last_key = ""
        self._last_time = ctx.reference_time
        # ISO stamp without fraction (+ zone) -> (time, timestamp)
        self._iso_cache: dict[str, tuple[datetime, float]] = {}

    def parse(self, line: str, line_no: int = 0, offset: int = 0) -> Event | None:
        try:
            return self._parse(line, line_no, offset)  # type: ignore[return-value]
        except (ValueError, OverflowError, IndexError):  # pragma: no cover - defensive
            return None

    def parse_screened(
        self, line: str, line_no: int, offset: int, wanted: Screen
    ) -> Event | float | None:
        """Like `parse`, but a line for which `wanted(program, message)` is false gives
        only its timestamp (seconds since the epoch, as `event.time.timestamp()`).

        None still means the line is not syslog. RFC 5424 lines are never screened.
        """
        try:
            return self._parse(line, line_no, offset, wanted)
        except (ValueError, OverflowError, IndexError):  # pragma: no cover - defensive
            return None

    def _parse(
        self, line: str, line_no: int, offset: int, wanted: Screen | None = None
    ) -> Event | float | None:
        pos = 0
        pri: str | None = None
        if line[:1] == "<":
            end = line.find(">", 1, 5)
            pri = line[1:end]
            if end < 2 or not (pri.isascii() and pri.isdecimal()):
                return None
            if int(pri) > 191:
                return None
            pos = end + 1
        first = line[pos : pos + 1]
        if first.isalpha():
            return self._rfc3164(line, pos, pri, line_no, offset, wanted)
        if first == "1" and line[pos + 1 : pos + 2] == " ":
            return self._rfc5424(line, pos, pri, line_no, offset)
        if first.isdigit():
            return self._iso(line, pos, pri, line_no, offset, wanted)
        return None

    # --- the three forms ---------------------------------------------------

    def _rfc3164(
        self,
        line: str,
        pos: int,
        pri: str | None,
        line_no: int,
        offset: int,
        wanted: Screen | None,
    ) -> Event | float | None:
        m = _RFC3164.match(line, pos)
        if m is None:
            return None
        stamp, fraction, host, program, pid = m.group(1, 2, 3, 4, 5)
        message = line[m.end() :]
        if host[-1] == ":":
            # No host name: "Mar 14 06:00:01 sshd[811]: msg".
            tag = _HOSTLESS_TAG.fullmatch(host)
            if tag is not None:
                host = None
                program, pid = tag.group(1, 2)
                message = line[m.end(3) + 1 :]
        repeat = 0
        if message[:17] == "message repeated ":
            message, repeat = _unwrap_repeated(message)
        if wanted is not None and not wanted(program, message):
            minute = self._minutes.get(stamp[:-3])
            if minute is not None and not fraction:  # the common case, inlined
                second = int(stamp[-2:])
                if second <= 60:
                    return minute[1] + (second if second < 60 else 59)
            return self._timestamp_3164(stamp, fraction)
        time = self._time_3164(stamp)
        if time is None:
            return None
        if fraction:
            time = time.replace(microsecond=int(fraction[:6].ljust(6, "0")))
        return new_event(
            time,
            self._source,
            "syslog",
            message,
            line,
            host,
            program,
            _fields(pid, repeat, pri),
            line_no,
            offset,
        )

    def _iso(
        self,
        line: str,
        pos: int,
        pri: str | None,
        line_no: int,
        offset: int,
        wanted: Screen | None,
    ) -> Event | float | None:
        m = _ISO.match(line, pos)
        if m is None:
            return None
        stamp, host, program, pid = m.group(1, 2, 3, 4)
        message = line[m.end() :]
        repeat = 0
        if message[:17] == "message repeated ":
            message, repeat = _unwrap_repeated(message)
        if wanted is not None and not wanted(program, message):
            return self._iso_timestamp(stamp)
        time = self._iso_time(stamp)
        if time is None:
            return None
        return new_event(
            time,
            self._source,
            "syslog",
            message,
            line,
            host,
            program,
            _fields(pid, repeat, pri),
            line_no,
            offset,
        )

    def _rfc5424(
        self, line: str, pos: int, pri: str | None, line_no: int, offset: int
    ) -> Event | None:
        m = _RFC5424.match(line, pos)
        if m is None:
            return None
        stamp, host, app, procid, msgid, sd = m.group(1, 2, 3, 4, 5, 6)
        if stamp == "-":
            time: datetime | None = self._reference
        else:
            time = self._iso_time(stamp)
        if time is None:
            return None
        message = line[m.end() :]
        if message[:1] == "\ufeff":
            message = message[1:]
        fields: dict[str, Any] = {}
        if message[:17] == "message repeated ":
            message, repeat = _unwrap_repeated(message)
            if repeat:
                fields["repeat"] = repeat
        if procid != "-":
            fields["pid"] = procid
        if msgid != "-":
            fields["msgid"] = msgid
        if sd != "-":
            fields["sd"] = sd
        if pri is not None:
            _add_pri(fields, pri)
        return new_event(
            time,
            self._source,
            "syslog",
            message,
            line,
            None if host == "-" else host,
            None if app == "-" else app,
            fields,
            line_no,
            offset,
        )

    # --- time ----------------------------------------------------------------

    def _iso_second(self, stamp: str) -> tuple[datetime, float, str | None] | None:
        """(time of the whole second, its timestamp, fraction digits) of an ISO stamp;
        cached on the whole-second part and zone."""
        m = _ISO_STAMP.fullmatch(stamp)
        if m is None:
            return None
        seconds, fraction, zone = m.group(1, 2, 3)
        key = seconds + zone if zone else seconds
        cached = self._iso_cache.get(key)
        if cached is None:
            parsed = parse_iso_time(key, self._tz)
            if parsed is None:
                return None
            cacheable = True
            if not zone:
                parsed, cacheable = self._local.aware(parsed.replace(tzinfo=None))
            cached = (parsed, parsed.timestamp())
            if cacheable:
                if len(self._iso_cache) >= TIME_CACHE_SIZE:
                    self._iso_cache.clear()
                self._iso_cache[key] = cached
        return cached[0], cached[1], fraction

    def _iso_time(self, stamp: str) -> datetime | None:
        """An ISO-8601 stamp as an aware time."""
        second = self._iso_second(stamp)
        if second is None:
            return None
        time, _, fraction = second
        if fraction:
            return time.replace(microsecond=int(fraction[:6].ljust(6, "0")))
        return time

    def _iso_timestamp(self, stamp: str) -> float | None:
        """`_iso_time(stamp).timestamp()`, without building the time."""
        second = self._iso_second(stamp)
        if second is None:
            return None
        return _with_fraction(second[1], second[2])

    def _time_3164(self, stamp: str) -> datetime | None:
        """The aware time of an RFC 3164 stamp ('Mar 14 06:00:01'), cached per stamp."""
        if stamp == self._last_key:
            return self._last_time
        time = self._cache.get(stamp)
        if time is None:
            minute = self._minute(stamp)
            if minute is None:
                return None
            time, _, cacheable = minute
            if cacheable:
                time = time.replace(second=min(int(stamp[-2:]), 59))
                if len(self._cache) >= TIME_CACHE_SIZE:
                    self._cache.clear()
                self._cache[stamp] = time
        self._last_key = stamp
        self._last_time = time
        return time

    def _timestamp_3164(self, stamp: str, fraction: str | None) -> float | None:
        """`_time_3164(stamp)` (with `fraction`) as a timestamp, without building the time."""
        minute = self._minute(stamp)
        if minute is None:
            return None
        _, ts, cacheable = minute
        if cacheable:
            ts += min(int(stamp[-2:]), 59)
        return _with_fraction(ts, fraction)

    def _minute(self, stamp: str) -> tuple[datetime, float, bool] | None:
        """(time, timestamp, True) of `stamp`'s minute at second 0, from the cache of
        minutes; or (time, timestamp, False) of `stamp` itself where it may not be
        cached (the repeated hour when clocks go back). None if `stamp` is no time.

        A minute is resolved (year, zone) once, by the first stamp seen in it.
        """
        if int(stamp[-2:]) > 60:
            return None
        key = stamp[:-3]
        cached = self._minutes.get(key)
        if cached is not None:
            return cached
        resolved = self._year_less(stamp)
        if resolved is None:
            return None
        time, cacheable = resolved
        if not cacheable:
            return time, time.timestamp(), False
        base = time.replace(second=0)
        cached = (base, base.timestamp(), True)
        if len(self._minutes) >= TIME_CACHE_SIZE:
            self._minutes.clear()
        self._minutes[key] = cached
        return cached

    def _year_less(self, stamp: str) -> tuple[datetime, bool] | None:
        """The aware time of 'Mar 14 06:00:01' and whether it may be cached.

        The year: see the module docstring. Comparisons are on local wall
        time; the margins (a day, half a year) dwarf any DST shift.
        """
        month = MONTHS.get(stamp[:3])
        if month is None:
            return None
        day_text, clock = stamp[3:].split()
        day = int(day_text)
        hour, minute, second = int(clock[:2]), int(clock[3:5]), int(clock[6:8])
        if not (0 < day <= 31 and hour < 24 and minute < 60 and second < 61):
            return None
        second = min(second, 59)  # a leap second is logged as :60
        year = self._year
        naive = _naive(year, month, day, hour, minute, second)
        if naive is None:
            # Feb 29 outside a leap year: the last leap year, for this line only.
            for back in range(1, 9):
                leap = _naive(year - back, month, day, hour, minute, second)
                if leap is not None:
                    return self._local.aware(leap)
            return None  # no such day (Feb 30)
        if self._high_water is None:
            if naive > self._reference_local + _ONE_DAY:
                earlier = _naive(year - 1, month, day, hour, minute, second)
                if earlier is not None:
                    naive, year = earlier, year - 1
        elif naive < self._high_water - _HALF_YEAR:
            later = _naive(year + 1, month, day, hour, minute, second)
            if later is not None:
                naive, year = later, year + 1
        elif naive > max(self._high_water, self._reference_local) + _HALF_YEAR:
            # A stray line from late last year among this year's (out of order).
            earlier = _naive(year - 1, month, day, hour, minute, second)
            if earlier is not None:
                return self._local.aware(earlier)
        if year != self._year:
            self._year = year
            self._cache.clear()
            self._minutes.clear()
        if self._high_water is None or naive > self._high_water:
            self._high_water = naive
        return self._local.aware(naive)


def _unwrap_repeated(message: str) -> tuple[str, int]:
    """(the repeated message, N) of "message repeated N times: [ msg]"; else (message, 0).

    The line stands for N occurrences of msg: rules match msg, and stateful rules
    count the line N times (`repeat` field).
    """
    m = _REPEATED.fullmatch(message)
    if m is None:
        return message, 0
    return m.group(2), int(m.group(1))


def _naive(year: int, month: int, day: int, hour: int, minute: int, second: int) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def _with_fraction(ts: float, fraction: str | None) -> float:
    """`ts` plus fractional digits, rounded as datetime.timestamp() rounds."""
    if not fraction:
        return ts
    return (int(ts) * 1_000_000 + int(fraction[:6].ljust(6, "0"))) / 1_000_000


def _fields(pid: str | None, repeat: int, pri: str | None) -> dict[str, Any]:
    """The parser fields of an RFC 3164 or ISO line."""
    fields: dict[str, Any] = {} if pid is None else {"pid": pid}
    if repeat:
        fields["repeat"] = repeat
    if pri is not None:
        _add_pri(fields, pri)
    return fields


def _add_pri(fields: dict[str, Any], pri: str) -> None:
    value = int(pri)
    fields["facility"] = FACILITIES[value >> 3]
    fields["severity"] = SEVERITY_NAMES[value & 7]
