"""Which attack scenarios a corpus holds: kinds, sizes, addresses, start times.

Every scenario is measured before the log is written (its generator is run
once and counted), so that the truth file knows each scenario's lines and
times and the attack share never exceeds what was asked for.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo
from random import Random

from .common import AddressBook, Context, Item, Line, Plan, ScenarioType
from .truth import ScenarioNote


def scenario_rng(seed: int, kind: str, index: int) -> Random:
    return Random(f"{seed}:{kind}:scenario:{index}")


def ordered(lines: Iterator[Line]) -> Iterator[Item]:
    last = float("-inf")
    for t, before, after in lines:
        if t < last:
            raise AssertionError(f"scenario went back in time: {before}{after}")
        last = t
        yield (t, 0, before, after)


def _measure(
    kind_type: ScenarioType, ctx: Context, plan: Plan, rng: Random
) -> tuple[int, float, float]:
    count, first, last = 0, 0.0, 0.0
    for t, _, _ in kind_type.make(rng, ctx, plan):
        if count == 0:
            first = t
        last = t
        count += 1
    return count, first, last


def plan_scenarios(
    types: Sequence[ScenarioType],
    ctx: Context,
    seed: int,
    zone: tzinfo,
    budget: int | None,
    names: Sequence[str] | None,
    scale: float,
) -> tuple[list[Plan], list[ScenarioNote]]:
    """Choose the scenarios, their sizes and start times; measure their lines."""
    by_name = {s.name: s for s in types}
    rng = Random(f"{seed}:{ctx.kind}:plan")
    book = AddressBook(ctx.kind, Random(f"{seed}:{ctx.kind}:addresses"))
    plans: list[Plan] = []
    notes: list[ScenarioNote] = []
    remaining = budget if budget is not None else 0

    def sizes(st: ScenarioType) -> tuple[int, int]:
        return max(1, round(st.sizes[0] * scale)), max(1, round(st.sizes[1] * scale))

    def attempt(st: ScenarioType, cap: int | None = None, fixed: int | None = None) -> bool:
        nonlocal remaining
        limit = remaining if cap is None else min(cap, remaining)
        low, high = sizes(st)
        size = rng.randint(low, high) if fixed is None else fixed
        user = rng.choice(st.users) if st.users else None
        index = len(plans)
        plan = Plan(st.name, index, "0.0.0.0", user, size, 0.0)
        count, first, last = _measure(st, ctx, plan, scenario_rng(seed, ctx.kind, index))
        while budget is not None and count > limit:
            smaller = min(size - 1, int(size * limit / count))
            if smaller < low:
                return False
            size = smaller
            plan = replace(plan, size=size)
            count, first, last = _measure(st, ctx, plan, scenario_rng(seed, ctx.kind, index))
        length = last - first
        earliest = ctx.start + 0.02 * ctx.span
        latest = max(earliest, ctx.start + 0.92 * ctx.span - length)
        t0 = rng.uniform(earliest, latest)
        ip = book.attacker() if st.address == "attacker" else book.office()
        plans.append(replace(plan, ip=ip, t0=t0))
        fields = {"ip": ip, "user": user or "-", "size": size}
        notes.append(
            ScenarioNote(
                scenario=st.name,
                log=ctx.kind,
                ip=ip,
                user=user,
                categories=st.categories,
                expect=st.expect,
                first_seen=_iso(t0 + first - plan.t0, zone),
                last_seen=_iso(t0 + last - plan.t0, zone),
                lines=count,
                summary={lang: text.format(**fields) for lang, text in st.summary.items()},
            )
        )
        remaining -= count
        return True

    if names is not None:
        wanted = [_scenario_spec(text) for text in names]
        unknown = [name for name, _ in wanted if name not in by_name]
        if unknown:
            raise ValueError(f"unknown {ctx.kind} scenarios {unknown}; known: {', '.join(by_name)}")
        for name, size in wanted:
            attempt(by_name[name], fixed=size)
        return plans, notes
    # The first round gives every kind of scenario a fair share, so that a small
    # corpus holds many kinds of attack rather than one flood; later rounds fill up.
    cap: int | None = max(1, 2 * remaining // len(types))
    while True:
        order = list(types)
        rng.shuffle(order)
        added = [attempt(st, cap) for st in order if sizes(st)[0] <= remaining]
        if not any(added) and cap is None:
            return plans, notes
        cap = None


def _scenario_spec(text: str) -> tuple[str, int | None]:
    """ "name" or "name:size" (size: attempts, requests ... of that scenario)."""
    name, _, size = text.strip().partition(":")
    if not size:
        return name, None
    if not size.isdigit() or int(size) < 1:
        raise ValueError(f"bad scenario size in {text!r}: use name:N with N >= 1")
    return name, int(size)


def _iso(t: float, zone: tzinfo) -> str:
    return datetime.fromtimestamp(t, zone).isoformat(timespec="seconds")
