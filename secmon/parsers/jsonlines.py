"""JSON lines: one object per line, keys named by `ctx.json_mapping`.

    {"time": "2026-03-14T06:00:01+07:00", "src_ip": "203.0.113.9", "message": "login failed"}

Dotted names reach nested objects ("client.ip"); a key that itself contains
the dots is tried first. The time is an ISO-8601 string (no zone: `ctx.tz`),
a web-log time ('14/Mar/2026:06:00:01 +0700'), or epoch seconds,
milliseconds, microseconds or nanoseconds (number or digit string; the unit
is told by the size). Every top-level scalar goes into `fields` as it is.

When a mapping key is left at its default and missing from an object, the
usual names of other tools are tried (`@timestamp`, `ts`, `msg`,
`remote_addr`, ...), so common JSON logs work without configuration. A key
set explicitly in the mapping is used alone. An object without a usable time
is not an event (None): the caller counts it as skipped.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..events import Event
from .base import JsonMapping, ParseContext, new_event, parse_clf_time, parse_iso_time

_DEFAULT = JsonMapping()
TIME_FALLBACKS: tuple[str, ...] = (
    "@timestamp", "timestamp", "ts", "time_iso8601", "time_local", "datetime", "date",
)  # fmt: skip
MESSAGE_FALLBACKS: tuple[str, ...] = ("msg", "log", "request")
SRC_IP_FALLBACKS: tuple[str, ...] = (
    "remote_addr", "client_ip", "clientip", "remote_ip", "ip", "client.ip", "source.ip",
)  # fmt: skip
HOST_FALLBACKS: tuple[str, ...] = ("hostname",)

_SCALARS = (str, int, float, bool)
# nginx without `escape=json` writes bytes as \xHH, which JSON does not allow.
_NGINX_BYTE = re.compile(r"\\x([0-9A-Fa-f]{2})")
_DECODER = json.JSONDecoder()


class JsonLinesParser:
    """One JSON-lines source."""

    type_name = "json"

    def __init__(self, ctx: ParseContext):
        self._source = ctx.source
        self._tz = ctx.tz
        mapping = ctx.json_mapping
        self._time_keys = _keys(mapping.time, _DEFAULT.time, TIME_FALLBACKS)
        self._message_keys = _keys(mapping.message, _DEFAULT.message, MESSAGE_FALLBACKS)
        self._src_ip_keys = _keys(mapping.src_ip, _DEFAULT.src_ip, SRC_IP_FALLBACKS)
        self._host_keys = _keys(mapping.host, _DEFAULT.host, HOST_FALLBACKS)
        self._program_keys = _keys(mapping.program, _DEFAULT.program, ())

    def parse(self, line: str, line_no: int = 0, offset: int = 0) -> Event | None:
        try:
            return self._parse(line, line_no, offset)
        except (ValueError, OverflowError, IndexError, TypeError):  # pragma: no cover
            return None

    def _parse(self, line: str, line_no: int, offset: int) -> Event | None:
        obj = _load_object(line)
        if obj is None:
            return None
        time = None
        for key in self._time_keys:
            value = _lookup(obj, key)
            if value is not None:
                time = parse_time_value(value, self._tz)
                break
        if time is None:
            return None
        fields: dict[str, Any] = {
            key: value for key, value in obj.items() if value is None or isinstance(value, _SCALARS)
        }
        src_ip = _first_text(obj, self._src_ip_keys)
        if src_ip is not None:
            fields["src_ip"] = src_ip
        message = _first_text(obj, self._message_keys)
        return new_event(
            time,
            self._source,
            "json",
            line if message is None else message,
            line,
            _first_text(obj, self._host_keys),
            _first_text(obj, self._program_keys),
            fields,
            line_no,
            offset,
        )


def parse_time_value(value: Any, tz: tzinfo) -> datetime | None:
    """A JSON time value as an aware datetime, or None (see module doc)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return _from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    parsed = parse_iso_time(text, tz)
    if parsed is not None:
        return parsed
    if text[:1].isdigit() and len(text) <= 24:
        try:
            return _from_epoch(float(text))
        except ValueError:
            pass
    return parse_clf_time(text)


def _from_epoch(number: float) -> datetime | None:
    if number != number:  # NaN
        return None
    size = abs(number)
    if size >= 1e17:
        number /= 1e9
    elif size >= 1e14:
        number /= 1e6
    elif size >= 1e11:
        number /= 1e3
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _load_object(line: str) -> dict[str, Any] | None:
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        obj = _DECODER.decode(text)
    except ValueError:
        if "\\x" not in text:
            return None
        try:
            obj = _DECODER.decode(_NGINX_BYTE.sub(r"\\u00\1", text))
        except (ValueError, RecursionError):
            return None
    except RecursionError:
        return None
    return obj if isinstance(obj, dict) else None


def _keys(
    configured: str | None, default: str | None, fallbacks: tuple[str, ...]
) -> tuple[str, ...]:
    if configured is None:
        return ()
    if configured != default:
        return (configured,)
    return (configured,) + tuple(key for key in fallbacks if key != configured)


def _lookup(obj: dict[str, Any], key: str) -> Any:
    if key in obj:
        return obj[key]
    if "." not in key:
        return None
    value: Any = obj
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _first_text(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = _lookup(obj, key)
        if value is None or isinstance(value, (dict, list)):
            continue
        return value if isinstance(value, str) else str(value)
    return None
