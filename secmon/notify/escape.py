"""Make attacker-controlled text harmless in an alert, for each message format.

Every value a template prints goes through `escaper(fmt)` (the Jinja2
`finalize` of that format's environment), so a log line cannot change the
message's structure, forge a field, add a link or ping everyone:

- all formats (`neutralise`): bad UTF-8 replaced; control, line-separator,
  bidi and zero-width characters shown as visible `\\xNN` / `\\uNNNN` escapes
  (a value can never start a new line or reorder text); mentions disarmed
  (`@` becomes the full-width `＠`, so `@channel`, `@all`, `@here`,
  `@everyone`, `<@U1>` and e-mail addresses ping nobody; `<!` / `<#` become
  `‹!` / `‹#`, so Slack's `<!channel>` is plain text); links defanged
  (`http://` -> `hxxp://`, other `scheme://` -> `scheme[:]//`, and a dot
  between a word and a letter -> `[.]`, so `evil.com` is no link);
- markdown: then every ASCII punctuation character is backslash-escaped
  (CommonMark lets any of them be escaped, and Apprise converts CommonMark
  for each chat service), so no emphasis, heading, list, quote, table,
  code, link or raw HTML can start inside a value;
- html: the environment autoescapes (&, <, >, ", ') after neutralising.

Values are cut to a length by `truncate` before they reach a template
(message.py), so an escape sequence is never cut in half.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any

FORMATS: tuple[str, ...] = ("text", "markdown", "html")

# C0/C1 controls, DEL, soft hyphen, Arabic letter mark, Mongolian vowel
# separator, zero-width and bidi controls, line/paragraph separators, word
# joiner and invisible operators, BOM, interlinear annotations, tag characters.
_INVISIBLE_RANGES = (
    (0x00, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x61C, 0x61C), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F), (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB), (0xE0000, 0xE007F),
)


def _visible(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


_INVISIBLE_MAP = {code: _visible(code) for low, high in _INVISIBLE_RANGES
                  for code in range(low, high + 1)}
_SURROGATE = re.compile("[\ud800-\udfff]")
_MENTION_OPEN = re.compile(r"<(?=[!#@＠])")
_HTTP = re.compile(r"(?i)h(?:tt|xx)(ps?)(?=://)")
_SCHEME = re.compile(r"(?i)(?<!hxxp)(?<!hxxps)://")
_DOT = re.compile(r"(?<=\w)[.\u3002\uff0e\uff61](?=[^\W\d_])")
_WIDE_DOT = re.compile(r"[\u3002\uff0e\uff61]")
_MD_MAP = {ord(ch): "\\" + ch for ch in string.punctuation}


def valid_text(text: str) -> str:
    """`text` with lone surrogates (undecodable bytes) replaced by U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def neutralise(text: str) -> str:
    """One line of plain text that cannot ping, link, or add lines."""
    text = valid_text(text).translate(_INVISIBLE_MAP)
    text = _MENTION_OPEN.sub("‹", text)
    text = text.replace("@", "＠")
    text = _HTTP.sub(r"hxx\1", text)
    text = _SCHEME.sub("[:]//", text)
    text = _DOT.sub("[.]", text)
    return _WIDE_DOT.sub("[.]", text)


def escape_markdown(text: str) -> str:
    """`text` that CommonMark shows literally: every ASCII punctuation escaped."""
    return text.translate(_MD_MAP)


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with a marker saying how much was cut."""
    text = valid_text(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[+{len(text) - limit}]"


def _plain(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def escaper(fmt: str) -> Callable[[Any], str]:
    """The output function for every `{{ ... }}` of a template in format `fmt`."""
    if fmt == "markdown":
        return lambda value: escape_markdown(neutralise(_plain(value)))
    if fmt in ("text", "html"):  # html: the environment then escapes entities
        return lambda value: neutralise(_plain(value))
    raise ValueError(f"unknown message format {fmt!r}; use one of {', '.join(FORMATS)}")
