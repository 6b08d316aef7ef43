"""Web access logs of nginx and Apache: combined, common, vhost_combined, extras.

    203.0.113.9 - - [14/Mar/2026:06:00:01 +0700] "GET /?q=1 HTTP/1.1" 200 512 "-" "curl/8.5.0"
    portal.example.gov.vn:443 203.0.113.9 - - [...] "GET / HTTP/1.1" 200 512 "-" "..."
    ... "curl/8.5.0" "198.51.100.7" 0.123          (nginx: $http_x_forwarded_for, $request_time)

Every line that has the shape gives an Event, also when the request is not
`METHOD target PROTO` (TLS handshakes, scanner junk): those are attack
signals. The request target is kept raw (`uri`, `path`, `query`) and decoded
for matching (`path_decoded`, `query_decoded`, `decoded`): the log's own
escapes (\\xHH, \\") undone, percent-decoding repeated until stable (at most
five rounds; attackers double-encode), %uHHHH too, "+" as a space in the
query, bad UTF-8 replaced, lower-cased.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, cast

from ..events import Event
from .base import TIME_CACHE_SIZE, ParseContext, new_event, parse_clf_time

_QUOTED = r'"((?:[^"\\]++|\\.)*+)"'

# Possessive quantifiers everywhere: no backtracking on hostile lines.
_ACCESS = re.compile(
    r"(?:(\S++) )?"  # vhost:port (vhost_combined); tried first, given up if no "[" follows
    r"(\S++) (\S++) (\S++) "  # %h %l %u
    r"\[([^\]]{1,40})\] "  # [%t]
    + _QUOTED  # "%r"
    + r" (\d{1,3}) (\d{1,20}|-)"  # %>s %b
    r"(?: " + _QUOTED + " " + _QUOTED + ")?",  # "referer" "user agent"
    re.ASCII | re.DOTALL,
)
_EXTRA = re.compile(_QUOTED + r"|(\S++)", re.ASCII | re.DOTALL)
_NUMBER = re.compile(r"(?:(?:rt|request_time)=)?(\d{1,9}(?:\.\d{1,9})?)", re.ASCII)
_METHOD = re.compile(r"[A-Z][A-Z0-9_-]{0,31}", re.ASCII)
_LOG_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|(.))", re.DOTALL)
_PERCENT_U = re.compile(r"%[uU]([0-9A-Fa-f]{4})")

DECODE_ROUNDS = 5
_MAX_EXTRAS = 8  # appended fields looked at; a hostile tail is not walked to its end
# Methods that surely match _METHOD, checked without the regex.
_COMMON_METHODS = frozenset(("GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"))
_SECONDS = tuple(timedelta(seconds=value) for value in range(60))


class WebAccessParser:
    """One access log. Caches the time conversion per distinct time text and per minute."""

    type_name = "web"

    def __init__(self, ctx: ParseContext):
        self._source = ctx.source
        self._cache: dict[str, datetime] = {}
        self._minutes: dict[str, datetime | None] = {}
        self._requests = RequestSplitter()

    def parse(self, line: str, line_no: int = 0, offset: int = 0) -> Event | None:
        try:
            return self._parse(line, line_no, offset)
        except (ValueError, OverflowError, IndexError):  # pragma: no cover - defensive
            return None

    def _parse(self, line: str, line_no: int, offset: int) -> Event | None:
        groups = split_access_line(line) or _regex_groups(line)
        if groups is None:
            return None
        vhost_port, src_ip, ident, user, stamp, request, status, size, referer, agent, end = groups
        time = self._cache.get(stamp)
        if time is None:
            time = self._new_time(stamp)
            if time is None:
                return None
            if len(self._cache) >= TIME_CACHE_SIZE:
                self._cache.clear()
            self._cache[stamp] = time
        vhost = port = None
        if vhost_port is not None:
            vhost, port = split_vhost(vhost_port)
        xff: str | None = None
        request_time: float | None = None
        if end < len(line):
            xff, request_time = _extras(line, end)
        method, uri, protocol, target = self._requests.split(request)
        fields: dict[str, Any] = {
            "src_ip": src_ip,
            "ident": ident,
            "user": None if user == "-" else user,
            "method": method,
            "uri": uri,
            "path": target[0],
            "query": target[1],
            "protocol": protocol,
            "request": request,
            "status": int(status),
            "bytes": 0 if size == "-" else int(size),
            "referer": None if referer is None or referer == "-" else referer,
            "user_agent": None if agent is None or agent == "-" else agent,
            "vhost": vhost,
            "port": port,
            "xff": xff,
            "request_time": request_time,
            "path_decoded": target[2],
            "query_decoded": target[3],
            "decoded": target[4],
        }
        return new_event(
            time, self._source, "web", line, line, vhost, None, fields, line_no, offset
        )

    def _new_time(self, stamp: str) -> datetime | None:
        """parse_clf_time(stamp), from the same minute's time when seen before.

        Building the zone and the datetime costs several microseconds; adding
        the seconds to the minute's time gives the very same value.
        """
        seconds = stamp[18:20]
        if len(stamp) != 26 or not (seconds.isascii() and seconds.isdigit()):
            return parse_clf_time(stamp)
        key = stamp[:18] + stamp[20:]
        if key in self._minutes:
            minute = self._minutes[key]
        else:
            # Only the seconds differ, so this fails exactly when `stamp`'s other parts do.
            minute = parse_clf_time(key[:18] + "00" + key[18:])
            if len(self._minutes) >= TIME_CACHE_SIZE:
                self._minutes.clear()
            self._minutes[key] = minute
        value = int(seconds)
        if minute is None or value >= 60:
            return None
        return minute + _SECONDS[value]


class NginxAccessParser(WebAccessParser):
    type_name = "nginx"


class ApacheAccessParser(WebAccessParser):
    type_name = "apache"


# --- the fixed structure, split without the regex ---------------------------

# _ACCESS's groups and the end of its match:
# (vhost_port, src_ip, ident, user, time, request, status, bytes, referer, user_agent, end).
AccessGroups = tuple[str | None, str, str, str, str, str, str, str, str | None, str | None, int]


def split_access_line(line: str) -> AccessGroups | None:
    """_ACCESS's groups for a line of the usual shape, found with str.partition.

    None when the line is anything else (a backslash anywhere, an odd time,
    a missing piece...): the caller then asks _ACCESS, which stays the
    definition of the format. Every check below keeps the result equal to the
    regex's; tests compare the two on odd and hostile lines.
    """
    if "\\" in line:
        return None  # quoted fields with escapes: the regex's job
    head, sep, rest = line.partition(" [")
    # isprintable() is False for the whitespace that ends a \S field (tab, CR...).
    if not sep or not head.isprintable():
        return None
    parts = head.split(" ")
    vhost_port: str | None
    if len(parts) == 3:
        vhost_port = None
        src_ip, ident, user = parts
    elif len(parts) == 4:
        vhost_port, src_ip, ident, user = parts
    else:
        return None
    stamp = rest[:26]
    # 26 characters with a space before the zone and no "[" or "]" is the only
    # time that parses; it also keeps the regex from reading a 3-field head as
    # vhost + host + ident with the time's first half as the user.
    if rest[26:29] != '] "' or stamp[20] != " " or "[" in stamp or "]" in stamp or "" in parts:
        return None
    request, sep, rest = rest[29:].partition('"')
    if not sep:
        return None
    pieces = rest.split(" ", 3)  # "", status, bytes[, the rest]
    if len(pieces) < 3 or pieces[0]:
        return None
    status = pieces[1]
    size = pieces[2]
    if not (1 <= len(status) <= 3 and status.isascii() and status.isdigit()):
        return None
    if size != "-" and not (1 <= len(size) <= 20 and size.isascii() and size.isdigit()):
        return None
    if len(pieces) == 3:
        return vhost_port, src_ip, ident, user, stamp, request, status, size, None, None, len(line)
    tail = pieces[3]
    if not tail.startswith('"'):
        end = len(line) - len(tail) - 1  # the regex stops after the byte count
        return vhost_port, src_ip, ident, user, stamp, request, status, size, None, None, end
    referer, sep, rest = tail[1:].partition('"')
    if not sep or not rest.startswith(' "'):
        return None
    agent, sep, rest = rest[2:].partition('"')
    if not sep:
        return None
    end = len(line) - len(rest)
    return vhost_port, src_ip, ident, user, stamp, request, status, size, referer, agent, end


def _regex_groups(line: str) -> AccessGroups | None:
    m = _ACCESS.match(line)
    if m is None:
        return None
    return cast(AccessGroups, (*m.group(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), m.end()))


# --- request line and decoding (also used by the error-log parsers) ----------

# (path, query, path_decoded, query_decoded, decoded) of a request target.
TargetParts = tuple[str, str, str, str, str]
_NO_TARGET: TargetParts = ("", "", "", "", "")


# (method, uri, protocol, target parts) of a request line.
RequestParts = tuple[str | None, str, str | None, TargetParts]
_JUNK: RequestParts = (None, "", None, _NO_TARGET)


class RequestSplitter:
    """Splits request lines and decodes their targets, caching per distinct request.

    One per parser (logs repeat the same requests, floods most of all); the
    cache is emptied past TIME_CACHE_SIZE entries.
    """

    __slots__ = ("_requests",)

    def __init__(self) -> None:
        self._requests: dict[str, RequestParts] = {}

    def split(self, request: str | None) -> RequestParts:
        """(method, uri, protocol, target parts); junk gives (None, "", None, empty parts)."""
        if not request:
            return _JUNK
        parts = self._requests.get(request)
        if parts is None:
            parts = split_request(request)
            if len(self._requests) >= TIME_CACHE_SIZE:
                self._requests.clear()
            self._requests[request] = parts
        return parts

    def add_fields(self, fields: dict[str, Any], request: str | None) -> None:
        """Set method, uri, path, query, protocol and the decoded forms in `fields`."""
        method, uri, protocol, (path, query, path_decoded, query_decoded, decoded) = self.split(
            request
        )
        fields["method"] = method
        fields["uri"] = uri
        fields["path"] = path
        fields["query"] = query
        fields["protocol"] = protocol
        fields["path_decoded"] = path_decoded
        fields["query_decoded"] = query_decoded
        fields["decoded"] = decoded


def split_request(request: str) -> RequestParts:
    """(method, uri, protocol, target parts) of 'METHOD target PROTO' (or 'METHOD target')."""
    method, sep, rest = request.partition(" ")
    if not sep or (method not in _COMMON_METHODS and _METHOD.fullmatch(method) is None):
        return _JUNK
    uri, sep, protocol = rest.rpartition(" ")
    if not sep or not protocol.startswith("HTTP/"):
        if " " in rest:
            return _JUNK
        uri, protocol = rest, ""  # HTTP/0.9: "GET /"
    return method, uri, protocol or None, split_target(uri)


def split_target(uri: str) -> TargetParts:
    """(path, query, path_decoded, query_decoded, decoded) of a raw request target."""
    path, _, query = uri.partition("?")
    path_decoded = decode_path(path)
    if not query:
        return path, query, path_decoded, "", path_decoded
    query_decoded = decode_query(query)
    return path, query, path_decoded, query_decoded, path_decoded + "?" + query_decoded


def decode_path(text: str) -> str:
    """A URL path as the application sees it, for matching (see module doc)."""
    if "%" not in text and "\\" not in text:
        return text.lower()
    return _decode(text, plus=False)


def decode_query(text: str) -> str:
    """A query string decoded for matching; "+" is a space."""
    if "%" not in text and "+" not in text and "\\" not in text:
        return text.lower()
    return _decode(text, plus=True)


def _decode(text: str, plus: bool) -> str:
    if "\\" in text:
        text = _LOG_ESCAPE.sub(_unescape_log, text)
    if plus:
        text = text.replace("+", " ")  # form encoding: only at the first level
    for _ in range(DECODE_ROUNDS):
        if "%" not in text:
            break
        decoded = percent_decode(text)
        if "%u" in decoded or "%U" in decoded:
            decoded = _PERCENT_U.sub(_unescape_percent_u, decoded)
        if decoded == text:
            break
        text = decoded
    return text.lower()


def _hex_bytes() -> dict[bytes, bytes]:
    table: dict[bytes, bytes] = {}
    for value in range(256):
        digits = f"{value:02x}"
        high, low = digits[0], digits[1]
        for h in {high, high.upper()}:
            for lo in {low, low.upper()}:
                table[(h + lo).encode()] = bytes((value,))
    return table


_HEX_BYTE: Mapping[bytes, bytes] = MappingProxyType(_hex_bytes())


def percent_decode(text: str) -> str:
    """One round of %XX decoding; the bytes are read as UTF-8, bad sequences replaced.

    urllib's unquote does the same, about twice as slowly.
    """
    parts = text.encode("utf-8", "surrogatepass").split(b"%")
    out = [parts[0]]
    get = _HEX_BYTE.get
    for part in parts[1:]:
        byte = get(part[:2])
        if byte is None:
            out.append(b"%")
            out.append(part)
        else:
            out.append(byte)
            out.append(part[2:])
    return b"".join(out).decode("utf-8", "replace")


def _unescape_log(m: re.Match[str]) -> str:
    """nginx writes a byte as \\xHH (kept as %HH so UTF-8 decodes); Apache writes \\" and \\\\."""
    hex_digits = m.group(1)
    if hex_digits is not None:
        return "%" + hex_digits
    return m.group(2)


def _unescape_percent_u(m: re.Match[str]) -> str:
    code = int(m.group(1), 16)
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def split_vhost(text: str) -> tuple[str, int | None]:
    """'portal.example.gov.vn:443' -> ('portal.example.gov.vn', 443); no port -> None."""
    head, sep, tail = text.rpartition(":")
    if sep and tail.isascii() and tail.isdigit() and len(tail) <= 5 and head:
        return head, int(tail)
    return text, None


def _extras(line: str, start: int) -> tuple[str | None, float | None]:
    """The fields nginx setups append: the first quoted one is X-Forwarded-For,
    the first number (bare, quoted or rt=...) the request time."""
    if len(line) - start >= 4 and line.startswith(' "', start) and line.endswith('"'):
        token = line[start + 2 : -1]
        if '"' not in token and "\\" not in token:  # the usual single ' "$http_x_forwarded_for"'
            if token == "-" or token == "":
                return None, None
            number = _NUMBER.fullmatch(token)
            if number is not None:
                return None, float(number.group(1))
            return token, None
    xff: str | None = None
    request_time: float | None = None
    seen_quoted = False
    for count, m in enumerate(_EXTRA.finditer(line, start)):
        if count == _MAX_EXTRAS:
            break
        quoted, bare = m.group(1, 2)
        token = bare if quoted is None else quoted
        if request_time is None:
            number = _NUMBER.fullmatch(token)
            if number is not None:
                request_time = float(number.group(1))
                continue
        if quoted is not None and not seen_quoted:
            seen_quoted = True
            xff = None if quoted in ("-", "") else quoted
        if seen_quoted and request_time is not None:
            break
    return xff, request_time
