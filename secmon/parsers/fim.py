"""The `fim` log type: web-root watch events in their JSON form, one object per line.

    {"time": "2026-03-14T10:00:00+07:00", "root": "/var/www/html",
     "path": "/var/www/html/uploads/anh.jpg.php", "change": "created",
     "script": true, "double_ext": true, "in_upload_dir": true, "markers": "eval-decode"}

This is the `raw` text of every event the web-root watcher makes, so recorded
events replay through `secmon rules test --type fim`, and rule tests are
written this way. `time`, `root`, `path` and `change` are required; every
other top-level value becomes a field as it is. `markers`, `deface_markers`
and `spam_words` may also be written as lists (they become comma strings,
the form rules match). The event's source is the root, its message
"<change> <path>".
"""

from __future__ import annotations

import json
from typing import Any

from ..events import Event
from .base import ParseContext, new_event, parse_iso_time

CHANGES: frozenset[str] = frozenset({"created", "modified", "deleted", "touched"})
LIST_FIELDS: tuple[str, ...] = ("markers", "deface_markers", "spam_words")
_SCALARS = (str, int, float, bool)
_DECODER = json.JSONDecoder()
_MAX_LINE = 1 << 20


class FimEventParser:
    """One source of fim events (JSON lines)."""

    type_name = "fim"

    def __init__(self, ctx: ParseContext):
        self._tz = ctx.tz

    def parse(self, line: str, line_no: int = 0, offset: int = 0) -> Event | None:
        try:
            return self._parse(line, line_no, offset)
        except (ValueError, TypeError, RecursionError):  # pragma: no cover - last defence
            return None

    def _parse(self, line: str, line_no: int, offset: int) -> Event | None:
        text = line.strip()
        if not text.startswith("{") or len(text) > _MAX_LINE:
            return None
        try:
            obj = _DECODER.decode(text)
        except (ValueError, RecursionError):
            return None
        if not isinstance(obj, dict):
            return None
        when = obj.get("time")
        root, path, change = obj.get("root"), obj.get("path"), obj.get("change")
        if not isinstance(when, str) or not all(isinstance(v, str) for v in (root, path, change)):
            return None
        if change not in CHANGES or not root or not path:
            return None
        time = parse_iso_time(when.strip(), self._tz)
        if time is None:
            return None
        fields: dict[str, Any] = {}
        for key, value in obj.items():
            if key in ("time", "host"):
                continue
            if key in LIST_FIELDS and isinstance(value, list):
                value = ",".join(str(v) for v in value if isinstance(v, _SCALARS))
            if value is None or isinstance(value, _SCALARS):
                fields[key] = value
        host = obj.get("host")
        return new_event(
            time,
            root,
            "fim",
            f"{change} {path}",
            line,
            host if isinstance(host, str) else None,
            None,
            fields,
            line_no,
            offset,
        )
