"""A spike check's maths as one sentence a manager can read aloud."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.durations import format_duration
from bot.models import Severity
from bot.spikes.baseline import Basis

if TYPE_CHECKING:
    from bot.spikes.detector import SpikeCheck, Trigger


def explain(check: SpikeCheck) -> str:
    head = check.headline
    parts = [_subject(check, head), _usual(check, head), _verdict(check, head)]
    heavier = [t for t in check.fired if t.measure == "weighted" and t.ratio >= 1.25 * head.ratio]
    if head.measure == "count" and heavier:
        best = max(heavier, key=lambda t: t.ratio)
        parts.append(
            f"severity-weighted it is {ratio_text(best.ratio)} above usual (more severe posts)"
        )
    return "; ".join(parts)


def window_words(window: timedelta) -> str:
    """'hour', '5 minutes', '2 hours': the tail of 'in the last …'."""
    seconds = int(window.total_seconds())
    if seconds == 3600:
        return "hour"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    if seconds % 60 == 0:
        return f"{seconds // 60} minutes"
    return format_duration(window)


def ratio_text(ratio: float) -> str:
    if math.isinf(ratio):
        return "far"
    return f"{ratio:.1f}×" if ratio < 10 else f"{ratio:.0f}×"


def number(value: float) -> str:
    return str(round(value))


def span(low: float, high: float) -> str:
    lo, hi = round(low), round(high)
    return f"{lo}–{hi}" if lo != hi else f"{lo}"


def local_span(start: datetime, end: datetime, check: SpikeCheck) -> tuple[str, str]:
    """(weekday, 'HH:MM–HH:MM') of the window in the policy's time zone."""
    zone = check.policy.zone
    a, b = start.astimezone(zone), end.astimezone(zone)
    return a.strftime("%A"), f"{a:%H:%M}–{b:%H:%M}"


def _mentions(n: int) -> str:
    return f"{n} negative mention" + ("" if n == 1 else "s")


def _subject(check: SpikeCheck, head: Trigger) -> str:
    slow = head.window == check.policy.window
    text = f"{_mentions(head.mentions)} in the last {window_words(head.window)}"
    if head.measure == "weighted":
        if slow:
            mix = [
                f"{check.by_severity[s]} {s.label}"
                for s in sorted(check.by_severity, reverse=True)
                if s is not Severity.NONE
            ]
            text += f" ({', '.join(mix)})" if mix else ""
        text += f" weigh {number(head.observed)} by severity"
    if not slow:
        text += f" ({check.count} in the last {window_words(check.policy.window)})"
    return text


def _usual(check: SpikeCheck, head: Trigger) -> str:
    start = check.now - head.window
    if check.basis is Basis.FLOOR:
        per_hour = check.policy.floor_per_hour
        if head.measure == "weighted":
            per_hour *= check.policy.weight(Severity.MEDIUM)
            return (
                "not enough history yet, so the floor of "
                f"{number(per_hour)} severity-weighted per hour applies"
            )
        return f"not enough history yet, so the floor of {number(per_hour)} per hour applies"
    day, hours = local_span(start, check.now, check)
    rng = span(head.low, head.high)
    usual = "usual weight" if head.measure == "weighted" else "usual"
    if check.basis is Basis.HOUR_OF_WEEK:
        return f"{usual} for a {day} {hours} is {rng}"
    if check.basis is Basis.WARM_UP:
        # a few hours or days of history: the level so far, the daily rhythm not yet known
        return (
            f"{usual} for {hours}, judged from the last {check.plan.periods} hours "
            f"(no full three days of history yet), is {rng}"
        )
    if check.pooling is not None and check.pooling.weekday_days:
        # the same hour on recent days, scaled by how busy this weekday's whole days were
        return (
            f"{usual} for a {day} {hours} (the last {check.plan.periods} days at this hour, "
            f"scaled to {day}s) is {rng}"
        )
    return f"{usual} for {hours} over the last {check.plan.periods} days is {rng}"


def _verdict(check: SpikeCheck, head: Trigger) -> str:
    versus = "the floor" if check.basis is Basis.FLOOR else "usual"
    if head.fired:
        if check.basis is Basis.FLOOR:
            return f"{ratio_text(head.ratio)} the floor"
        return f"{ratio_text(head.ratio)} above"
    if head.observed <= head.high:
        return "within the usual range"
    return (
        f"{ratio_text(head.ratio)} {versus}, under the alert threshold of "
        f"{number(math.ceil(head.threshold - 1e-9))}"
    )
