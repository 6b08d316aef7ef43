"""How a template value is written where it lands: prose, Markdown, a shell command.

Values come from logs, so they are attacker-controlled. Everywhere: control
and bidi characters become visible escapes (a value can never add a line)
and very long values are cut with a marker. In commands every value is
shell-quoted (`shlex.quote`), so `x; rm -rf /` stays one harmless argument;
rendered text is then escaped as a whole for Markdown or HTML (render.py),
since playbook texts are plain text, not markup. Dates read in their own (display) time zone
in prose and in UTC in commands (what `journalctl --since`, `find -newermt` and
`date -d` all accept).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from ..templating import Environment, make_environment
from ..textsafe import terminal_safe
from .variables import Missing

MAX_VALUE_CHARS = 512


def clean(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """`text` on one line with control/bidi characters escaped, cut past `limit`."""
    cut = len(text) - limit
    if cut <= 0:
        return terminal_safe(text)
    return f"{terminal_safe(text[:limit])}… [+{cut} ký tự / chars]"


def format_time(moment: datetime, tz: tzinfo) -> str:
    """'2024-03-14 13:10:00 +07:00' in `tz`."""
    local = moment.astimezone(tz)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def format_time_utc(moment: datetime) -> str:
    """'2024-03-14 06:10:00 UTC': the form used inside commands."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def prose_value(value: Any) -> str:
    """A value as plain one-line text (a date in its own time zone)."""
    if isinstance(value, Missing):
        return str.__str__(value)
    if isinstance(value, datetime):
        return format_time(value, value.tzinfo or UTC)
    if isinstance(value, tuple | list):
        return ", ".join(clean(str(item)) for item in value)
    return clean(str(value))


def shell_value(value: Any) -> str:
    """A value as shell words: each item one quoted argument, never an option."""
    if isinstance(value, Missing):
        return shlex.quote(str.__str__(value))
    if isinstance(value, datetime):
        return shlex.quote(format_time_utc(value))
    if isinstance(value, tuple | list):
        return " ".join(_shell_word(str(item)) for item in value)
    return _shell_word(str(value))


def _shell_word(text: str) -> str:
    text = clean(text)
    if text.startswith("-"):
        # `passwd -l {{ user }}` with the user name "-d" must not become an option.
        text = f"«giá trị bắt đầu bằng - / value starts with -: {text}»"
    return shlex.quote(text)


_MD_SPECIAL = "\\`*_{}[]<>#!|~&"
_MD_MAP = {ord(ch): "\\" + ch for ch in _MD_SPECIAL}
_MD_LEADING = "-+="


def md_escape(text: str) -> str:
    """`text` that Markdown shows literally (no links, HTML, emphasis, code or lists)."""
    return "\n".join(_md_line(line.translate(_MD_MAP)) for line in text.split("\n"))


def _md_line(line: str) -> str:
    body = line.lstrip(" ")
    indent = line[: len(line) - len(body)]
    if body and body[0] in _MD_LEADING:
        return f"{indent}\\{body}"
    digits = len(body) - len(body.lstrip("0123456789"))
    if (
        digits
        and body[digits : digits + 1] in (".", ")")
        and body[digits + 1 : digits + 2]
        in (
            "",
            " ",
        )
    ):
        return f"{indent}{body[:digits]}\\{body[digits:]}"
    return line


def md_fence(code: str) -> str:
    """A backtick fence longer than any backtick run in `code`."""
    longest = run = 0
    for ch in code:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def finalizer(kind: str) -> Callable[[Any], str]:
    """The `{{ ... }}` output function for `kind`: 'text' (prose) or 'shell' (commands)."""
    if kind == "shell":
        return shell_value
    if kind == "text":
        return prose_value
    raise ValueError(f"unknown template kind {kind!r}")


def playbook_environment(kind: str) -> Environment:
    """A sandboxed environment for playbook texts ('text') or commands ('shell').

    Text renders to plain text; render.py then escapes all of it (authored
    words and values alike) for Markdown or HTML. Dates are shown in the zone
    they carry, so callers convert them to the display zone first.
    """
    return make_environment(html=False, sandboxed=True, finalize=finalizer(kind))


def is_template(text: str) -> bool:
    """Whether `text` has any Jinja2 syntax; plain text renders as itself."""
    return "{" in text
