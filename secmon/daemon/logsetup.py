"""Daemon logging to stderr in a form journald reads well.

Under systemd (JOURNAL_STREAM set) each line carries a `<N>` syslog priority
prefix and no timestamp (journald adds its own); elsewhere lines start with
the local time and the level. Messages of several lines are logged line by
line, each with its prefix.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TextIO

# logging level -> syslog priority (sd-daemon(3))
_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


def _priority(level: int) -> int:
    for threshold in (logging.CRITICAL, logging.ERROR, logging.WARNING, logging.INFO):
        if level >= threshold:
            return _PRIORITY[threshold]
    return 7


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        prefix = f"<{_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in text.splitlines() or [""])


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        lines = text.splitlines() or [""]
        return "\n".join([lines[0], *("    " + line for line in lines[1:])])


def setup_logging(
    env: Mapping[str, str], stream: TextIO | None = None, level: int = logging.INFO
) -> logging.Handler:
    """Send the `secmon` loggers to stderr; returns the handler (to remove it again)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JournalFormatter() if env.get("JOURNAL_STREAM") else PlainFormatter())
    logger = logging.getLogger("secmon")
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return handler
