"""Plain (JSON-ready) forms of events and times for detector snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import SecmonError
from ..events import Event

SNAPSHOT_VERSION = 1


class SnapshotError(SecmonError):
    """A detector snapshot cannot be read back."""


def time_to_plain(when: datetime) -> str:
    return when.isoformat()


def time_from_plain(text: Any) -> datetime:
    when = datetime.fromisoformat(str(text))
    if when.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return when


def _plain_value(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def event_to_plain(event: Event) -> dict[str, Any]:
    return {
        "time": time_to_plain(event.time),
        "source": event.source,
        "parser": event.parser,
        "message": event.message,
        "raw": event.raw,
        "host": event.host,
        "program": event.program,
        "fields": {str(k): _plain_value(v) for k, v in event.fields.items()},
        "line_no": event.line_no,
        "offset": event.offset,
    }


def _text(data: Mapping[str, Any], key: str, optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"event field {key!r} must be text")
    return value


def event_from_plain(data: Mapping[str, Any]) -> Event:
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        raise ValueError("event 'fields' must be a mapping")
    return Event(
        time=time_from_plain(data["time"]),
        source=_text(data, "source"),
        parser=_text(data, "parser"),
        message=_text(data, "message"),
        raw=_text(data, "raw"),
        host=_text(data, "host", optional=True),
        program=_text(data, "program", optional=True),
        fields=dict(fields),
        line_no=int(data.get("line_no") or 0),
        offset=int(data.get("offset") or 0),
    )
