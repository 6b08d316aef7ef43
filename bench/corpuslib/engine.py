"""Benign background traffic and time stamps.

Benign traffic comes from *sources* that start *sessions* (a login, a visit);
a random source starts them at a rate shaped by a weekly profile, a periodic
one on a schedule. `render` writes each timed line with its stamp.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from math import log
from random import Random

from .common import Item, Line

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


Session = Callable[[Random, float], list[Line]]


@dataclass(frozen=True)
class Source:
    """Benign traffic of one kind.

    A random source starts sessions at a rate shaped by `weights` (168 relative
    values, Monday 00h first, in the log's local time); a periodic one starts
    one every `period` (low, high) seconds, the first at a multiple of `align`
    plus `phase`. `session(rng, t)` returns its lines, sorted, none before t.
    """

    name: str
    session: Session
    weights: tuple[float, ...] = ()
    period: tuple[float, float] | None = None
    align: float = 0.0
    phase: float = 0.0


def weekly(hours: Sequence[float], weekend: float = 1.0) -> tuple[float, ...]:
    """168 weights from a 24-hour profile; Saturday and Sunday scaled by `weekend`."""
    if len(hours) != 24:
        raise ValueError("a day profile needs 24 values")
    return tuple(h * (weekend if day >= 5 else 1.0) for day in range(7) for h in hours)


FLAT = weekly([1.0] * 24)
CITIZENS = weekly(
    [
        0.15,
        0.1,
        0.06,
        0.05,
        0.05,
        0.1,
        0.3,
        0.7,
        1.4,
        1.8,
        1.9,
        1.7,
        1.1,
        1.0,
        1.6,
        1.8,
        1.7,
        1.4,
        1.0,
        1.0,
        1.0,
        0.9,
        0.6,
        0.3,
    ],
    weekend=0.6,
)
OFFICE = weekly(
    [
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0.3,
        1.0,
        1.0,
        1.0,
        0.8,
        0.2,
        0.7,
        1.0,
        1.0,
        1.0,
        0.5,
        0.05,
        0.02,
        0.02,
        0.02,
        0,
        0,
    ],
    weekend=0.03,
)
EVENINGS = weekly(
    [
        0.1,
        0.05,
        0,
        0,
        0,
        0,
        0.1,
        0.2,
        0.05,
        0.05,
        0.05,
        0.05,
        0.1,
        0.05,
        0.05,
        0.05,
        0.05,
        0.1,
        0.3,
        0.6,
        0.8,
        0.7,
        0.4,
        0.2,
    ],
    weekend=1.5,
)


def _slot(t: float, utc_offset: float) -> tuple[int, float]:
    """(weekly hour slot, epoch time the slot ends) for time t."""
    local_hour = int((t + utc_offset) // 3600)
    weekday = (local_hour // 24 + 3) % 7  # 1970-01-01 was a Thursday
    return weekday * 24 + local_hour % 24, (local_hour + 1) * 3600 - utc_offset


def mean_lines(session: Session, rng: Random, start: float, samples: int = 48) -> float:
    total = 0
    for i in range(samples):
        total += len(session(rng, start + i * 3607.0))
    return max(1.0, total / samples)


class Background:
    """Merges the sessions of all sources into one time-ordered stream of lines.

    Random sources are scaled so that `count` lines span about `span` seconds;
    periodic sources keep their real period unless they would fill more than
    40 % of the lines, in which case they are thinned.
    """

    PERIODIC_CAP = 0.4

    def __init__(
        self,
        sources: Sequence[Source],
        means: Mapping[str, float],
        *,
        start: float,
        span: float,
        count: int,
        utc_offset: float,
    ):
        self._sources = list(sources)
        self._start = start
        self._count = count
        self._offset = utc_offset
        periodic = [s for s in sources if s.period]
        self._random = [s for s in sources if not s.period]
        expected = 0.0  # lines the periodic sources write over the span, at their real pace
        for source in periodic:
            low, high = source.period or (1.0, 1.0)
            expected += span / ((low + high) / 2) * means[source.name]
        self._stretch = max(1.0, expected / (self.PERIODIC_CAP * count)) if count else 1.0
        remaining = max(count - expected / self._stretch, count * (1 - self.PERIODIC_CAP))
        per_slot = [
            sum(s.weights[slot] * means[s.name] for s in self._random) for slot in range(168)
        ]
        capacity = 0.0
        t = start
        while t < start + span:
            slot, end = _slot(t, utc_offset)
            capacity += (min(end, start + span) - t) * per_slot[slot]
            t = end
        if capacity <= 0:
            raise ValueError("no benign traffic source is active in the chosen time span")
        scale = remaining / capacity
        self._rates = [scale * sum(s.weights[slot] for s in self._random) for slot in range(168)]
        self._cumulative = []
        for slot in range(168):
            running, cum = 0.0, []
            for s in self._random:
                running += s.weights[slot]
                cum.append(running)
            self._cumulative.append(cum)

    def lines(self, rng: Random) -> Iterator[Item]:
        """Exactly `count` benign lines, in time order.

        Session lines wait in a heap until nothing can come before them; lines
        that nothing can precede go out at once (most short sessions).
        """
        count = self._count
        if count <= 0:
            return
        sources, randoms = self._sources, self._random
        rates, cumulative = self._rates, self._cumulative
        stretch = self._stretch
        random, uniform = rng.random, rng.uniform
        push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace
        starts: list[tuple[float, int]] = []  # next session of each periodic source
        for index, source in enumerate(sources):
            if source.period:
                if source.align:
                    first = (self._start // source.align + 1) * source.align + source.phase
                else:
                    first = self._start + uniform(0, source.period[1] * stretch)
                starts.append((first, index))
        heapq.heapify(starts)
        slot, slot_end = _slot(self._start, self._offset)
        pending: list[Item] = []
        seq = emitted = 0
        base = self._start
        while True:  # random sessions start as a Poisson process whose rate changes by the hour
            rate = rates[slot]
            if rate > 0:
                next_random = base + -log(1.0 - random()) / rate
                if next_random < slot_end:
                    break
            base = slot_end
            slot, slot_end = (slot + 1) % 168, slot_end + 3600
        while True:
            if starts and starts[0][0] < next_random:
                t, index = starts[0]
                source = sources[index]
                low, high = source.period  # type: ignore[misc]
                gap = uniform(low, high) * stretch
                if source.align:  # thinned cron jobs still run on the minute
                    gap = max(1, round(gap / source.align)) * source.align
                replace(starts, (t + gap, index))
            else:
                t = base = next_random
                cum = cumulative[slot]
                source = randoms[bisect_right(cum, random() * cum[-1])]
                while True:
                    rate = rates[slot]
                    if rate > 0:
                        next_random = base + -log(1.0 - random()) / rate
                        if next_random < slot_end:
                            break
                    base = slot_end
                    slot, slot_end = (slot + 1) % 168, slot_end + 3600
            while pending and pending[0][0] <= t:
                yield pop(pending)
                emitted += 1
                if emitted == count:
                    return
            session = source.session(rng, t)
            bound = next_random  # nothing still to come can precede this moment
            if starts and starts[0][0] < bound:
                bound = starts[0][0]
            if pending and pending[0][0] < bound:
                bound = pending[0][0]
            for when, before, after in session:
                if when <= bound:
                    yield (when, 0, before, after)
                    emitted += 1
                    if emitted == count:
                        return
                else:
                    seq += 1
                    push(pending, (when, seq, before, after))


def render(items: Iterable[Item], style: str, tz: tzinfo) -> Iterator[str]:
    """Lines with their time stamps: "rfc3164", "iso" (rsyslog) or "nginx"."""
    if style not in ("rfc3164", "iso", "nginx"):
        raise ValueError(f"unknown time style {style!r}")
    minutes = [f"{m // 60:02d}:{m % 60:02d}:" for m in range(1440)]
    seconds = [f"{s:02d}" for s in range(60)]
    last_sec = -1
    block = -1
    day = -1
    offset = 0
    zone = ""
    prefix = ""
    stamp = ""
    iso = style == "iso"
    suffix = ""
    for t, _, before, after in items:
        sec = int(t)
        if sec != last_sec:
            last_sec = sec
            if sec // 900 != block:
                block = sec // 900
                delta = datetime.fromtimestamp(sec, tz).utcoffset()
                offset = int(delta.total_seconds()) if delta else 0
                sign = "+" if offset >= 0 else "-"
                hours, mins = divmod(abs(offset) // 60, 60)
                zone = f"{sign}{hours:02d}:{mins:02d}" if iso else f" {sign}{hours:02d}{mins:02d}"
                suffix = zone if style == "nginx" else ""
                day = -1
            local = sec + offset
            if local // 86400 != day:
                day = local // 86400
                d = date.fromordinal(_EPOCH_ORDINAL + day)
                month = MONTHS[d.month - 1]
                if style == "rfc3164":
                    prefix = f"{month} {d.day:>2} "
                elif iso:
                    prefix = d.isoformat() + "T"
                else:
                    prefix = f"{d.day:02d}/{month}/{d.year}:"
            rest = local % 86400
            stamp = prefix + minutes[rest // 60] + seconds[rest % 60] + suffix
        if iso:
            yield f"{before}{stamp}.{int((t - sec) * 1e6):06d}{zone}{after}"
        else:
            yield before + stamp + after
