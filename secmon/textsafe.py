"""Make attacker-controlled text safe to print on a terminal.

Log lines may carry ANSI escape sequences or other control characters that
would move the cursor, recolour or hide output, or forge extra lines. They are
shown as visible escapes instead.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, limit: int | None = None) -> str:
    """Control and bidi-override characters as \\xNN / \\uNNNN; cut to `limit` with '…'."""
    safe = _CONTROL.sub(_escape, text)
    if limit is not None and len(safe) > limit:
        return safe[: max(limit - 1, 0)] + "…"
    return safe
