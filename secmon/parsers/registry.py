"""The log types secmon knows, by the name used in config and on the command line."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..errors import SecmonError
from .access import ApacheAccessParser, NginxAccessParser
from .base import LineParser, ParseContext
from .fim import FimEventParser
from .jsonlines import JsonLinesParser
from .nginx_error import ApacheErrorParser, NginxErrorParser
from .syslog import SyslogParser

PARSER_TYPES: Mapping[str, type] = MappingProxyType(
    {
        "syslog": SyslogParser,
        "nginx": NginxAccessParser,
        "apache": ApacheAccessParser,
        "nginx-error": NginxErrorParser,
        "apache-error": ApacheErrorParser,
        "json": JsonLinesParser,
        "fim": FimEventParser,
    }
)


def make_parser(type_name: str, ctx: ParseContext) -> LineParser:
    """A new parser of `type_name` for one source (parsers keep per-source state)."""
    cls = PARSER_TYPES.get(type_name)
    if cls is None:
        known = ", ".join(sorted(PARSER_TYPES))
        raise SecmonError(f"unknown log type '{type_name}'; known types: {known}")
    parser: LineParser = cls(ctx)
    return parser
