"""Is a brand's negative volume spiking right now? A pure function of data, time and policy.

Four tests run after every poll: the mention count and the severity-weighted
sum, each over the alert window (the "last hour") and over a short window
(about one poll interval, so a burst is seen at the next poll instead of after
it has filled an hour). Any one that fires makes a spike. Each test needs the
observed value to reach all of: the minimum count, the point the baseline
calls surprising at the sensitivity's significance, and the sensitivity's
ratio above the expected value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.models import Severity
from bot.spikes import wording
from bot.spikes.baseline import (
    Basis,
    Plan,
    earlier_hours,
    expect,
    floor_expectation,
    plan,
    weight_scale,
)
from bot.spikes.policy import SpikePolicy
from bot.spikes.series import HourCounts, RecentMention, Series, require_aware
from bot.spikes.stats import spread


class Measure(StrEnum):
    COUNT = "count"
    WEIGHTED = "weighted"


@dataclass(frozen=True, slots=True)
class Trigger:
    """One test: a measure over a window against its baseline."""

    measure: Measure
    window: timedelta
    mentions: int  # negative mentions in this window
    observed: float  # the measure: equal to mentions for counts
    expected: float
    low: float  # the usual range (10th-90th percentile of the baseline)
    high: float
    threshold: float  # observed must reach this to fire
    limit: str  # what set the threshold: "minimum", "significance", "ratio" or "floor"
    fired: bool

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else math.inf


@dataclass(frozen=True, slots=True)
class SpikeCheck:
    """The verdict for one brand (or brand+source) at one moment, with its reasons."""

    brand: str
    source: str | None
    now: datetime
    policy: SpikePolicy
    plan: Plan
    count: int  # negative mentions in the alert window
    weighted: float  # their severity-weighted sum
    by_severity: Mapping[Severity, int]
    triggers: tuple[Trigger, ...]  # slow count, fast count, slow weighted, fast weighted
    drivers: tuple[RecentMention, ...]  # the posts behind it, heaviest first

    @property
    def basis(self) -> Basis:
        return self.plan.basis

    @property
    def basis_text(self) -> str:
        return self.plan.describe(self.now - self.policy.window, self.policy.zone)

    @property
    def is_spike(self) -> bool:
        return any(t.fired for t in self.triggers)

    @property
    def below_threshold(self) -> bool:
        """Nothing fires: the lifecycle counts this towards resolving an open spike."""
        return not self.is_spike

    @property
    def fired(self) -> tuple[Trigger, ...]:
        return tuple(t for t in self.triggers if t.fired)

    @property
    def headline(self) -> Trigger:
        """The test an alert leads with: the first that fired, else the hourly count."""
        return next((t for t in self.triggers if t.fired), self.triggers[0])

    @property
    def expected(self) -> float:
        return self.triggers[0].expected

    @property
    def usual(self) -> tuple[float, float]:
        return (self.triggers[0].low, self.triggers[0].high)

    @property
    def ratio(self) -> float:
        return self.triggers[0].ratio

    def explain(self) -> str:
        """The maths in a manager's words, e.g. '31 negative mentions in the last hour; …'."""
        return wording.explain(self)


def assess(
    series: Series,
    now: datetime,
    policy: SpikePolicy,
    *,
    brand: str,
    source: str | None = None,
) -> SpikeCheck:
    """Evaluate the window ending at `now` (call after every poll)."""
    require_aware(now, "now")
    start = now - policy.window
    chosen = plan(series, start, policy)
    earlier = earlier_hours(series, start, now, chosen, policy.zone)
    scale = weight_scale(series.totals, policy)
    recent = [m for m in series.recent if start < min(m.at, now) <= now]
    by_severity: dict[Severity, int] = {}
    for m in recent:
        by_severity[m.severity] = by_severity.get(m.severity, 0) + 1
    triggers = []  # slow count, fast count, slow weighted, fast weighted
    for measure in (Measure.COUNT, Measure.WEIGHTED):
        for window in (policy.window, policy.fast_window):
            inside = [m for m in recent if min(m.at, now) > now - window]
            triggers.append(_test(earlier, now, window, measure, inside, chosen, policy, scale))
    drivers = sorted(recent, key=lambda m: (policy.weight(m.severity), m.reach, m.at), reverse=True)
    return SpikeCheck(
        brand=brand,
        source=source,
        now=now,
        policy=policy,
        plan=chosen,
        count=len(recent),
        weighted=sum(policy.weight(m.severity) for m in recent),
        by_severity=by_severity,
        triggers=tuple(triggers),
        drivers=tuple(drivers[: policy.max_posts]),
    )


def _test(
    earlier: Mapping[datetime, list[HourCounts]],
    now: datetime,
    window: timedelta,
    measure: Measure,
    inside: list[RecentMention],
    chosen: Plan,
    policy: SpikePolicy,
    scale: float,
) -> Trigger:
    if measure is Measure.COUNT:
        observed = float(len(inside))
        minimum = float(policy.min_count)
        unit = 1.0
        floor_rate = policy.floor_per_hour
    else:
        observed = sum(policy.weight(m.severity) for m in inside)
        minimum = policy.weighted_minimum
        unit = scale
        floor_rate = policy.floor_per_hour * policy.weight(Severity.MEDIUM)

    def value(counts: HourCounts) -> float:
        if measure is Measure.COUNT:
            return float(sum(counts.values()))
        return sum(n * policy.weight(s) for s, n in counts.items())

    if chosen.basis is Basis.FLOOR:
        expected = floor_expectation(now - window, now, floor_rate).mean
        bounds = {"minimum": minimum, "floor": expected * policy.floor_factor}
        low, high = 0.0, expected
    else:
        exp = expect(earlier, now - window, now, value, unit)
        expected = exp.mean * unit
        quantiles = spread(exp.mean, exp.variance, policy.alpha)
        bounds = {
            "minimum": minimum,
            "significance": quantiles.surprising * unit,
            "ratio": policy.ratio * expected,
        }
        low, high = quantiles.low * unit, quantiles.high * unit
    limit = max(bounds, key=lambda k: bounds[k])
    threshold = bounds[limit]
    return Trigger(
        measure=measure,
        window=window,
        mentions=len(inside),
        observed=observed,
        expected=expected,
        low=low,
        high=high,
        threshold=threshold,
        limit=limit,
        fired=observed >= threshold - 1e-9,
    )


def is_clear(
    check: SpikeCheck, last_spike_at: datetime, resolve_after: timedelta | None = None
) -> bool:
    """True when an open spike may resolve: under threshold now and for `resolve_after`.

    `last_spike_at` is the last check that was a spike (the lifecycle keeps it),
    like Alertmanager's keep_firing_for: a brief dip does not resolve the alert.
    """
    require_aware(last_spike_at, "last_spike_at")
    wait = check.policy.resolve_after if resolve_after is None else resolve_after
    return check.below_threshold and check.now - last_spike_at >= wait
