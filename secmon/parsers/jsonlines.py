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

An HTTP access record (nginx/Apache `log_format ... escape=json`, Caddy,
Traefik) becomes a `web` event with the fields of the access-log parser, so
the web rules see it: an object with a request line (`request`) or a method
and a target (`method`/`request_method` + `uri`/`request_uri`/`path`), and a
numeric `status`. Its message is the raw line, like a web access line.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..events import Event
from .access import RequestSplitter, TargetParts, split_target, split_vhost
from .base import (
    TIME_CACHE_SIZE,
    JsonMapping,
    ParseContext,
    new_event,
    parse_clf_time,
    parse_iso_time,
)

_DEFAULT = JsonMapping()
TIME_FALLBACKS: tuple[str, ...] = (
    "@timestamp", "timestamp", "ts", "time_iso8601", "time_local", "datetime", "date",
)  # fmt: skip
MESSAGE_FALLBACKS: tuple[str, ...] = ("msg", "log", "request")
SRC_IP_FALLBACKS: tuple[str, ...] = (
    "remote_addr", "client_ip", "clientip", "remote_ip", "ip", "client.ip", "source.ip",
)  # fmt: skip
HOST_FALLBACKS: tuple[str, ...] = ("hostname",)

# HTTP access records: the names nginx/Apache JSON formats, Caddy and Traefik use.
WEB_REQUEST_KEYS: tuple[str, ...] = ("request", "request_line")
WEB_METHOD_KEYS: tuple[str, ...] = ("method", "request_method", "request.method", "RequestMethod")
WEB_TARGET_KEYS: tuple[str, ...] = (
    "request_uri", "uri", "request.uri", "path", "RequestPath",
)  # fmt: skip
WEB_QUERY_KEYS: tuple[str, ...] = ("args", "query_string")  # nginx $uri + $args
WEB_PROTOCOL_KEYS: tuple[str, ...] = (
    "server_protocol", "protocol", "request.proto", "RequestProtocol",
)  # fmt: skip
WEB_STATUS_KEYS: tuple[str, ...] = ("status", "DownstreamStatus")
WEB_SRC_IP_KEYS: tuple[str, ...] = (
    "remote_addr", "client_ip", "client.ip", "request.client_ip", "request.remote_ip",
    "ClientHost", "remote_ip", "clientip", "ip", "source.ip", "src_ip",
)  # fmt: skip
WEB_BYTES_KEYS: tuple[str, ...] = (
    "body_bytes_sent", "bytes", "size", "bytes_sent", "DownstreamContentSize",
)  # fmt: skip
WEB_AGENT_KEYS: tuple[str, ...] = (
    "http_user_agent", "user_agent", "request.headers.User-Agent", "request_User-Agent",
)  # fmt: skip
WEB_REFERER_KEYS: tuple[str, ...] = (
    "http_referer", "referer", "referrer", "request.headers.Referer", "request_Referer",
)  # fmt: skip
WEB_VHOST_KEYS: tuple[str, ...] = (
    "host", "http_host", "request.host", "RequestHost", "server_name", "vhost",
)  # fmt: skip
WEB_XFF_KEYS: tuple[str, ...] = (
    "http_x_forwarded_for", "x_forwarded_for",
    "request.headers.X-Forwarded-For", "request_X-Forwarded-For",
)  # fmt: skip
# (key, divisor to seconds): nginx/Apache seconds, Caddy seconds, Traefik nanoseconds.
WEB_DURATION_KEYS: tuple[tuple[str, float], ...] = (
    ("request_time", 1.0), ("duration", 1.0), ("Duration", 1e9),
)  # fmt: skip

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
        # A src_ip key set in the mapping is tried first for web records too.
        configured = (mapping.src_ip,) if mapping.src_ip != _DEFAULT.src_ip else ()
        self._web_src_ip_keys = configured + WEB_SRC_IP_KEYS
        self._requests = RequestSplitter()
        self._targets: dict[str, TargetParts] = {}

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
        web = self._web_fields(obj)
        if web is not None:
            vhost = web["vhost"]
            host = vhost if vhost is not None else _first_text(obj, self._host_keys)
            return new_event(
                time, self._source, "web", line, line, host, None, web, line_no, offset
            )
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

    def _web_fields(self, obj: dict[str, Any]) -> dict[str, Any] | None:
        """The web access fields of an HTTP access record; None if `obj` is not one."""
        status = _web_int(_first_value(obj, WEB_STATUS_KEYS))
        if status is None:
            return None
        request = _first_string(obj, WEB_REQUEST_KEYS)
        if request is not None:
            method, uri, protocol, target = self._requests.split(request)
        else:
            method = _first_string(obj, WEB_METHOD_KEYS)
            uri_value = _first_string(obj, WEB_TARGET_KEYS)
            if method is None or uri_value is None:
                return None
            uri = uri_value
            if "?" not in uri:
                query = _first_string(obj, WEB_QUERY_KEYS)
                if query and query != "-":
                    uri = uri + "?" + query
            protocol = _absent(_first_string(obj, WEB_PROTOCOL_KEYS))
            target = self._target(uri)
            request = f"{method} {uri} {protocol}" if protocol else f"{method} {uri}"
        size = _web_int(_first_value(obj, WEB_BYTES_KEYS))
        vhost_text = _absent(_first_text(obj, WEB_VHOST_KEYS))
        return {
            "src_ip": _absent(_first_text(obj, self._web_src_ip_keys)),
            "method": method,
            "uri": uri,
            "path": target[0],
            "query": target[1],
            "protocol": protocol,
            "request": request,
            "status": status,
            "bytes": 0 if size is None else size,
            "referer": _absent(_first_header(obj, WEB_REFERER_KEYS)),
            "user_agent": _absent(_first_header(obj, WEB_AGENT_KEYS)),
            "vhost": None if vhost_text is None else split_vhost(vhost_text)[0],
            "xff": _absent(_first_header(obj, WEB_XFF_KEYS)),
            "request_time": _web_duration(obj),
            "path_decoded": target[2],
            "query_decoded": target[3],
            "decoded": target[4],
        }

    def _target(self, uri: str) -> TargetParts:
        parts = self._targets.get(uri)
        if parts is None:
            parts = split_target(uri)
            if len(self._targets) >= TIME_CACHE_SIZE:
                self._targets.clear()
            self._targets[uri] = parts
        return parts


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


def _first_value(obj: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = _lookup(obj, key)
        if value is not None:
            return value
    return None


def _first_string(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first value under `keys` that is a non-empty string."""
    for key in keys:
        value = _lookup(obj, key)
        if isinstance(value, str) and value:
            return value
    return None


def _first_header(obj: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """Like _first_text, but a list of strings (Caddy's headers) gives its items joined."""
    for key in keys:
        value = _lookup(obj, key)
        if isinstance(value, list):
            items = [item for item in value if isinstance(item, str)]
            if items:
                return ", ".join(items)
            continue
        if value is None or isinstance(value, dict):
            continue
        return value if isinstance(value, str) else str(value)
    return None


def _absent(text: str | None) -> str | None:
    """nginx and Apache write "-" (or nothing) for a missing value."""
    return None if text is None or text in ("-", "") else text


def _web_int(value: Any) -> int | None:
    """An HTTP status or a byte count: a JSON integer or a digit string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and 0 < len(value) <= 20 and value.isascii() and value.isdigit():
        return int(value)
    return None


def _web_duration(obj: dict[str, Any]) -> float | None:
    """The request time in seconds, or None."""
    for key, divisor in WEB_DURATION_KEYS:
        value = obj.get(key)
        if value is None or isinstance(value, bool):
            continue
        if isinstance(value, str):
            if not value or len(value) > 24:
                continue
            try:
                value = float(value)
            except ValueError:
                continue
        if isinstance(value, (int, float)) and value == value:
            return float(value) / divisor
    return None
