"""Rule self-tests wired to the real parsers (for `secmon rules check` and tests).

Test lines in rule files are parsed exactly as the parser behind the rule's
`parser` would parse a log, in a fixed zone and year, so a rule's tests give
the same result on every machine.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from .events import Event
from .parsers.base import JsonMapping, ParseContext
from .parsers.registry import make_parser
from .rules.model import RuleSet
from .rules.selftest import RuleTestFailure, run_rule_tests

# Year-less syslog stamps in rule tests are read as 2026, in Vietnam's zone.
SELFTEST_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SELFTEST_REFERENCE = datetime(2026, 3, 31, tzinfo=timezone.utc)
# Event.parser value -> the log type that produces it.
LOG_TYPE_OF_PARSER = {"web": "nginx"}


def selftest_parser(json_mapping: JsonMapping | None = None) -> Callable[[str, str], Event | None]:
    """parse(parser_name, line) for run_rule_tests.

    A fresh parser for every line: parsers keep per-source state (the year of
    RFC 3164 dates follows the log), and test lines of unrelated rules are no log.
    """
    mapping = json_mapping or JsonMapping()

    def parse(parser_name: str, line: str) -> Event | None:
        context = ParseContext(source=f"selftest-{parser_name}", tz=SELFTEST_TZ,
                               reference_time=SELFTEST_REFERENCE, json_mapping=mapping)
        return make_parser(LOG_TYPE_OF_PARSER.get(parser_name, parser_name), context).parse(line)

    return parse


def check_rule_tests(ruleset: RuleSet, json_mapping: JsonMapping | None = None
                     ) -> list[RuleTestFailure]:
    return run_rule_tests(ruleset, selftest_parser(json_mapping))
