"""Web server error logs: nginx's error.log, and Apache's as type "apache-error".

    2026/03/14 06:00:01 [error] 1234#1234: *5 open() "/var/www/html/.env" failed
      (2: No such file or directory), client: 203.0.113.9, server: portal.example.gov.vn,
      request: "GET /.env HTTP/1.1", host: "portal.example.gov.vn"
    [Sat Mar 14 06:00:01.123456 2026] [php:error] [pid 1234:tid 5678]
      [client 203.0.113.9:5050] AH01071: Got error 'PHP message: ...', referer: http://...

Neither log carries a zone: times are in `ctx.tz`. nginx appends its context
(", client: ..., server: ...") after the message, and the message may quote
attacker text (a decoded file name). The context taken is the first
", client: " whose whole tail has nginx's shape up to the end of the line.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from ..events import Event
from .access import RequestSplitter
from .base import MONTHS, TIME_CACHE_SIZE, LocalTimes, ParseContext, new_event

_NGINX = re.compile(
    r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[([a-z]++)\] (\d{1,20})#(\d{1,20}): (?:\*(\d{1,20}) )?",
    re.ASCII,
)
_Q = r'"((?:[^"\\]++|\\.)*+)"'
_NGINX_TAIL = re.compile(
    r", client: ([^\s,]++), server: ([^\s,]*+)"
    r"(?:, request: " + _Q + r")?"
    r"(?:, subrequest: " + _Q + r")?"
    r"(?:, upstream: " + _Q + r")?"
    r"(?:, host: " + _Q + r")?"
    r'(?:, referrer: "(.*+))?',
    re.ASCII | re.DOTALL,
)
_CLIENT = ", client: "
_MAX_CLIENT_TRIES = 8

_APACHE = re.compile(
    r"\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) {1,2}(\d{1,2}) "
    r"(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? (\d{4})\] "
    r"\[(?:([^\s:\]]*+):)?([a-z0-9]++)\] "
    r"(?:\[pid (\d{1,20})(?::tid (\d{1,20}))?\] )?"
    r"(?:\[client (\[[0-9A-Fa-f:.]++\]:\d++|[^\s\]]++)\] )?",
    re.ASCII,
)
_APACHE_CODE = re.compile(r"(AH\d{5}): ", re.ASCII)
_REFERER = ", referer: "


class NginxErrorParser:
    """One nginx error log."""

    type_name = "nginx-error"

    def __init__(self, ctx: ParseContext):
        self._source = ctx.source
        self._local = LocalTimes(ctx.tz)
        self._cache: dict[str, datetime] = {}
        self._requests = RequestSplitter()

    def parse(self, line: str, line_no: int = 0, offset: int = 0) -> Event | None:
        try:
            return self._parse(line, line_no, offset)
        except (ValueError, OverflowError, IndexError):  # pragma: no cover - defensive
            return None

    def _parse(self, line: str, line_no: int, offset: int) -> Event | None:
        m = _NGINX.match(line)
        if m is None:
            return None
        stamp, level, pid, tid, connection = m.group(1, 2, 3, 4, 5)
        time = self._cache.get(stamp)
        if time is None:
            naive = datetime(
                int(stamp[0:4]), int(stamp[5:7]), int(stamp[8:10]),
                int(stamp[11:13]), int(stamp[14:16]), int(stamp[17:19]),
            )  # fmt: skip
            time, cacheable = self._local.aware(naive)
            if cacheable:
                if len(self._cache) >= TIME_CACHE_SIZE:
                    self._cache.clear()
                self._cache[stamp] = time
        fields: dict[str, Any] = {
            "level": level,
            "pid": int(pid),
            "tid": int(tid),
            "connection": None if connection is None else int(connection),
            "src_ip": None,
            "server": None,
            "request": None,
            "upstream": None,
            "vhost": None,
            "referrer": None,
        }
        start = m.end()
        message = line[start:]
        tail = _find_tail(line, start)
        if tail is not None:
            message = line[start : tail.start()]
            client, server, request, _sub, upstream, host, referrer = tail.group(
                1, 2, 3, 4, 5, 6, 7
            )
            if referrer is not None and referrer.endswith('"'):
                referrer = referrer[:-1]
            fields.update(
                src_ip=client,
                server=server or None,
                request=request,
                upstream=upstream,
                vhost=host,
                referrer=referrer,
            )
        if fields["request"] is not None:
            self._requests.add_fields(fields, fields["request"])
        return new_event(
            time,
            self._source,
            "nginx-error",
            message,
            line,
            fields["vhost"],
            "nginx",
            fields,
            line_no,
            offset,
        )


def _find_tail(line: str, start: int) -> re.Match[str] | None:
    """nginx's context after the message (see module doc); None if there is none."""
    first: re.Match[str] | None = None
    at = line.find(_CLIENT, start)
    tries = 0
    while at >= 0 and tries < _MAX_CLIENT_TRIES:
        tries += 1
        m = _NGINX_TAIL.match(line, at)
        if m is not None:
            if m.end() == len(line):
                return m
            if first is None:
                first = m
        at = line.find(_CLIENT, at + 1)
    return first


class ApacheErrorParser:
    """One Apache error log (2.4 format, 2.2 too)."""

    type_name = "apache-error"

    def __init__(self, ctx: ParseContext):
        self._source = ctx.source
        self._local = LocalTimes(ctx.tz)
        self._cache: dict[tuple[str, ...], datetime] = {}

    def parse(self, line: str, line_no: int = 0, offset: int = 0) -> Event | None:
        try:
            return self._parse(line, line_no, offset)
        except (ValueError, OverflowError, IndexError):  # pragma: no cover - defensive
            return None

    def _parse(self, line: str, line_no: int, offset: int) -> Event | None:
        m = _APACHE.match(line)
        if m is None:
            return None
        month_name, day, hour, minute, second, fraction, year = m.group(1, 2, 3, 4, 5, 6, 7)
        key = (year, month_name, day, hour, minute, second)
        time = self._cache.get(key)
        if time is None:
            month = MONTHS.get(month_name)
            if month is None:
                return None
            naive = datetime(int(year), month, int(day), int(hour), int(minute), int(second))
            time, cacheable = self._local.aware(naive)
            if cacheable:
                if len(self._cache) >= TIME_CACHE_SIZE:
                    self._cache.clear()
                self._cache[key] = time
        if fraction:
            time = time.replace(microsecond=int(fraction.ljust(6, "0")))
        module, level, pid, tid, client = m.group(8, 9, 10, 11, 12)
        src_ip, src_port = (None, None) if client is None else _split_client(client)
        message = line[m.end() :]
        referrer = None
        cut = message.rfind(_REFERER)
        if cut >= 0:
            referrer = message[cut + len(_REFERER) :]
            message = message[:cut]
        code = _APACHE_CODE.match(message)
        fields: dict[str, Any] = {
            "module": module,
            "level": level,
            "pid": None if pid is None else int(pid),
            "tid": None if tid is None else int(tid),
            "src_ip": src_ip,
            "src_port": src_port,
            "code": None if code is None else code.group(1),
            "referrer": referrer,
        }
        return new_event(
            time,
            self._source,
            "apache-error",
            message,
            line,
            None,
            "apache",
            fields,
            line_no,
            offset,
        )


def _split_client(client: str) -> tuple[str, int | None]:
    """'203.0.113.9:5050' -> ('203.0.113.9', 5050); Apache 2.2 logs no port."""
    head, sep, tail = client.rpartition(":")
    if not sep or not (tail.isascii() and tail.isdigit()) or not head:
        return client, None
    if "." in head and ":" not in head:  # IPv4 with port
        return head, int(tail)
    if head.startswith("[") and head.endswith("]"):  # [IPv6]:port
        return head[1:-1], int(tail)
    if head.count(":") >= 2:  # Apache 2.4 appends the port to a bare IPv6 address
        return head, int(tail)
    return client, None
