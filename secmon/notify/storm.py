"""Storm control: when too many alerts would go out, one summary instead.

On each route, when `storm.max` alerts have been queued within
`storm.within`, further alerts are held and listed in one storm summary
(which says that storm control is on) instead of being sent one by one.
The first summary goes out a minute after the storm begins (gathering what
arrives meanwhile); while the flood goes on, at most one more per
`within`. When the window has fewer than `max` alerts again, alerts go out
one by one as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..config.model import StormSettings

GATHER = timedelta(minutes=1)  # how long the first summary of a storm collects alerts


def window_start(now: datetime, storm: StormSettings) -> datetime:
    return now - storm.within


def in_storm(recent_alerts: int, storm: StormSettings) -> bool:
    """True when `recent_alerts` queued within the window leave no room for one more."""
    return recent_alerts >= storm.max


def summary_due(now: datetime, storm: StormSettings, last_summary: datetime | None) -> datetime:
    """When a new storm summary, started now, goes out."""
    due = now + min(GATHER, storm.within)
    if last_summary is not None:
        due = max(due, last_summary + storm.within)
    return due
