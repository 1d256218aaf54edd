"""Is a brand's negative volume spiking right now? A pure function of data, time and policy.

After every poll the mention count and the severity-weighted sum are each
tested over several windows ending now: the alert window (the "last hour"),
the fast window (about one poll interval, so a burst is seen at the next poll)
and the halvings in between (30 and 15 minutes), so a wave is seen by the
window of its own length (before three days of history only the alert and fast
windows: against the brand's level so far, or the floor in its first hours).
Any one that fires makes a spike, and the alert states the window that fired.
Each test needs the observed value to reach all of: the minimum count, the
point the baseline calls surprising at the window's significance, and the
window's ratio above the expected value. In the
alert window a clear multiple (5x at `balanced`) with at least the minimum
count needs less: that is what "5.2x above" means to the reader, and the
significance only has to show that the baseline is known well enough to say so
(see `_clear_multiple`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.models import Severity
from bot.spikes import wording
from bot.spikes.baseline import (
    PRIOR_COUNT,
    Basis,
    Estimate,
    Expectation,
    Plan,
    Pooling,
    estimates,
    expect,
    floor_expectation,
    grid,
    plan,
    warm_up_estimates,
    weight_scale,
)
from bot.spikes.dispersion import dispersion, neighbourhood
from bot.spikes.policy import SpikePolicy
from bot.spikes.series import HOUR, HourCounts, RecentMention, Series, hour_start, require_aware
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
    # what set it: "minimum", "significance", "ratio", "floor", or "multiple" (a clear
    # multiple in the alert window, which needs less significance)
    limit: str
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
    # per measure (count, then weighted): the alert window, the fast window, the ones between
    triggers: tuple[Trigger, ...]
    drivers: tuple[RecentMention, ...]  # the posts behind it, heaviest first
    pooling: Pooling | None = None  # how the alert window's usual count was pooled

    @property
    def basis(self) -> Basis:
        return self.plan.basis

    @property
    def basis_text(self) -> str:
        return self.plan.describe(self.now - self.policy.window, self.policy.zone, self.pooling)

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
    learned = chosen.basis in (Basis.HOUR_OF_WEEK, Basis.HOUR_OF_DAY)
    table = grid(series, start, now, policy) if learned else None
    cells = neighbourhood(series, start, now, chosen, policy.zone) if learned else []
    scale = weight_scale(series.totals, policy)
    recent = [m for m in series.recent if start < min(m.at, now) <= now]
    by_severity: dict[Severity, int] = {}
    for m in recent:
        by_severity[m.severity] = by_severity.get(m.severity, 0) + 1
    # The windows in between need a learned daily rhythm: not with the floor or a warm-up.
    windows = policy.windows
    if not learned:
        windows = tuple(dict.fromkeys((policy.window, policy.fast_window)))
    triggers = []
    pooling = None
    for measure in (Measure.COUNT, Measure.WEIGHTED):
        unit = 1.0 if measure is Measure.COUNT else scale
        scaled = _valuer(measure, policy, unit)
        phi = 1.0
        usual: list[Estimate] = []
        if table is not None:
            phi = dispersion([[scaled(c) for c in cell] for cell in cells])
            usual = estimates(table, chosen, policy, scaled, phi)
        elif chosen.basis is Basis.WARM_UP:
            usual = warm_up_estimates(series, start, now, policy, scaled)
        if usual and pooling is None:
            pooling = _pooling(usual, start, now)
        for window in windows:
            inside = [m for m in recent if min(m.at, now) > now - window]
            triggers.append(_test(usual, now, window, measure, inside, chosen, policy, unit, phi))
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
        pooling=pooling,
    )


def _pooling(usual: list[Estimate], start: datetime, end: datetime) -> Pooling:
    """The alert window's pooling, weighted by how much of each hour it covers."""
    first = hour_start(start)
    shares = [
        (min(end, first + (k + 1) * HOUR) - max(start, first + k * HOUR)) / HOUR
        for k in range(len(usual))
    ]
    total = sum(shares) or 1.0
    weight = sum(s * e.own_weight for s, e in zip(shares, usual, strict=True)) / total
    return Pooling(
        days=min((e.days for e in usual), default=0),
        weekday_days=min((e.weekday_days for e in usual), default=0),
        own_weight=weight,
    )


def _valuer(measure: Measure, policy: SpikePolicy, unit: float) -> Callable[[HourCounts], float]:
    """An hour's value for the measure in units of `unit`: its mention count or
    severity-weighted sum (called for every hour of the baseline, so kept lean)."""
    if measure is Measure.COUNT:
        return lambda counts: float(sum(counts.values()))
    weights = {s: w / unit for s, w in policy.severity_weights.items()}

    def weighted(counts: HourCounts) -> float:
        total = 0.0
        for severity, n in counts.items():
            total += n * weights.get(severity, 0.0)
        return total

    return weighted


def _test(
    usual: list[Estimate],
    now: datetime,
    window: timedelta,
    measure: Measure,
    inside: list[RecentMention],
    chosen: Plan,
    policy: SpikePolicy,
    unit: float,
    phi: float,
) -> Trigger:
    if measure is Measure.COUNT:
        observed = float(len(inside))
        minimum = float(policy.min_count)
        floor_rate = policy.floor_per_hour
    else:
        observed = sum(policy.weight(m.severity) for m in inside)
        minimum = policy.weighted_minimum
        floor_rate = policy.floor_per_hour * policy.weight(Severity.MEDIUM)

    if chosen.basis is Basis.FLOOR:
        expected = floor_expectation(now - window, now, floor_rate).mean
        bounds = {"minimum": minimum, "floor": expected * policy.floor_factor}
        low, high = 0.0, expected
    else:
        exp = expect(usual, hour_start(now - policy.window), now - window, now, unit, phi)
        expected = exp.mean * unit
        quantiles = spread(exp.mean, exp.variance, policy.alpha_for(window))
        bounds = {
            "minimum": minimum,
            "significance": quantiles.surprising * unit,
            "ratio": policy.ratio_for(window) * expected,
        }
        low, high = quantiles.low * unit, quantiles.high * unit
        if window == policy.window:  # a clear multiple needs less evidence (see module doc)
            clear = max(minimum, _clear_multiple(exp, policy) * unit)
            if clear < max(bounds.values()):
                bounds = {"multiple": clear}
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


def _clear_multiple(exp: Expectation, policy: SpikePolicy) -> float:
    """Where the alert window becomes a clear multiple, in effective counts.

    The multiple is a ratio of two rates estimated alike: the usual is its samples'
    mean plus half a mention spread over them (`PRIOR_COUNT`), so the hour's rate is
    its count plus half a mention (the standard add-1/2 correction for a ratio of small
    counts): 6 against a usual of 1.3 is 6.5 / 1.3 = 5x. The significance only guards
    against a shaky baseline: it counts Poisson noise and the estimate's own error but
    not the day-to-day wobble (an hour at 5x its usual is the spike the alert means,
    be it a burst or a bad day), at `clear_alpha`. Against a well-known usual the
    multiple then decides (but for 5 against 1.0-1.1, which waits for a sixth), while
    a usual whose estimate is too uncertain (a few days that swing between 0 and 3 an
    hour) is held back.
    """
    guard = spread(exp.mean, exp.mean + exp.error, policy.clear_alpha).surprising
    return max(guard, policy.clear_multiple * exp.mean - PRIOR_COUNT)


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
