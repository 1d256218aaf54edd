"""What a window's count usually is, learned from the brand's own history.

Same local hour on the same weekday of earlier weeks when there are enough
weeks (a Monday-morning rhythm is normal, not a spike); else the same local
hour on recent days; else an assumed floor rate. Earlier periods are found by
stepping back in local wall-clock time, so "Tuesday 14:00" stays 14:00 across
a daylight-saving change.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.models import Severity
from bot.spikes.policy import DEFAULT_WEIGHTS, SpikePolicy
from bot.spikes.series import HOUR, HourCounts, Series, hour_start

# Pseudo-mentions of an even severity mix, so a thin history cannot claim that
# every mention always weighs exactly the same.
_PRIOR_MENTIONS = 2.0
# Half a mention spread over the sample periods: a rate is never exactly zero.
_PRIOR_COUNT = 0.5
# Degrees of freedom the dispersion estimate gathers (24 hours with three weeks).
_DISPERSION_DF = 48
# A sample this many standard deviations above its hour's median is left out of the
# spread: an earlier spike, not the busier weekend an hour-of-day baseline mixes in.
_SPREAD_SD = 4.0


class Basis(StrEnum):
    HOUR_OF_WEEK = "hour_of_week"
    HOUR_OF_DAY = "hour_of_day"
    FLOOR = "floor"


@dataclass(frozen=True, slots=True)
class Plan:
    """Which baseline applies, and how many earlier periods it averages."""

    basis: Basis
    periods: int
    step_days: int

    def describe(self, start: datetime, zone: ZoneInfo) -> str:
        if self.basis is Basis.HOUR_OF_WEEK:
            day = start.astimezone(zone).strftime("%A")
            return f"the same hour on the previous {self.periods} {day}s"
        if self.basis is Basis.HOUR_OF_DAY:
            return f"the same hour on the previous {self.periods} days"
        return "the floor (not enough history yet)"


@dataclass(frozen=True, slots=True)
class Expectation:
    """Predictive mean and variance of a window's value, in effective-count units.

    A weighted sum W is treated as `scale` times a count (quasi-Poisson):
    W / scale has variance about equal to its mean when scale = E[w^2] / E[w].
    """

    mean: float
    variance: float
    scale: float


def shifted(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same local wall-clock time `days` earlier, as UTC."""
    local = moment.astimezone(zone)
    return (local - timedelta(days=days)).astimezone(UTC)


@lru_cache(maxsize=65536)
def earlier_hour(bucket: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The UTC hour bucket of the same local time `days` earlier (cached: every poll asks
    for the same few hundred)."""
    return hour_start(shifted(bucket, days, zone))


def plan(series: Series, start: datetime, policy: SpikePolicy) -> Plan:
    """Pick the richest baseline the history supports for a window starting at `start`."""
    first = series.first_hour
    zone = policy.zone
    first_bucket = hour_start(start)
    max_weeks = policy.history // timedelta(days=7)
    max_days = min(policy.history // timedelta(days=1), policy.max_days)

    def available(step: int, most: int) -> int:
        if first is None:
            return 0
        earlier = (earlier_hour(first_bucket, k * step, zone) for k in range(1, most + 1))
        return sum(1 for hour in earlier if hour >= first)

    weeks = available(7, max_weeks)
    if weeks >= policy.min_weeks:
        return Plan(Basis.HOUR_OF_WEEK, weeks, 7)
    days = available(1, max_days)
    if days >= policy.min_days:
        return Plan(Basis.HOUR_OF_DAY, days, 1)
    return Plan(Basis.FLOOR, 0, 0)


def weight_scale(totals: Mapping[Severity, int], policy: SpikePolicy) -> float:
    """E[w^2] / E[w] of the brand's severity mix, shrunk toward an even mix."""
    even = [policy.weight(s) for s in DEFAULT_WEIGHTS]
    first = sum(even) / len(even) * _PRIOR_MENTIONS
    second = sum(w * w for w in even) / len(even) * _PRIOR_MENTIONS
    for severity, n in totals.items():
        w = policy.weight(severity)
        first += n * w
        second += n * w * w
    return second / first if first > 0 else 1.0


def earlier_hours(
    series: Series, start: datetime, end: datetime, chosen: Plan, zone: ZoneInfo
) -> dict[datetime, list[HourCounts]]:
    """For each UTC hour overlapping [start, end): the matching hours of earlier periods."""
    out: dict[datetime, list[HourCounts]] = {}
    bucket = hour_start(start)
    while bucket < end:
        out[bucket] = [
            series.counts(earlier_hour(bucket, k * chosen.step_days, zone))
            for k in range(1, chosen.periods + 1)
        ]
        bucket += HOUR
    return out


def expect(
    earlier: Mapping[datetime, list[float]],
    start: datetime,
    end: datetime,
    scale: float,
    phi: float = 1.0,
) -> Expectation:
    """Predictive distribution of a value summed over [start, end), in units of `scale`.

    `earlier` maps each UTC hour the window overlaps to the values (already in
    units of `scale`) of the matching earlier hours. Each hour contributes its
    overlap fraction f of their robust mean m, with variance
    f*m (Poisson) + f^2*(phi-1)*m (day-to-day wobble) + f^2*phi*m/n (estimation error).
    `phi` is the pooled dispersion (see `dispersion`): a per-hour variance from
    three or four samples is too noisy to trust.
    """
    mean = variance = 0.0
    for bucket, samples in earlier.items():
        f = (min(end, bucket + HOUR) - max(start, bucket)) / HOUR
        if f <= 0 or not samples:
            continue
        m = _robust_mean(samples, phi)
        n = len(samples)
        mean += f * m
        variance += f * m + f * f * (phi - 1.0) * m + f * f * phi * m / n
    return Expectation(mean, variance, scale)


def neighbourhood(
    series: Series, start: datetime, end: datetime, chosen: Plan, zone: ZoneInfo
) -> list[list[HourCounts]]:
    """Earlier samples of the window's hours and the hours around them, for `dispersion`.

    Nearest hours first, until the samples give `_DISPERSION_DF` degrees of
    freedom (24 hours with three weeks, 4 with two weeks of days), at
    most 12 hours either side. Hours before the history starts are unknown,
    not zero, so they are left out.
    """
    first = series.first_hour
    if first is None or chosen.periods < 2:
        return []
    low, high = hour_start(start), hour_start(end - timedelta(microseconds=1))
    order = [low + k * HOUR for k in range(int((high - low) / HOUR) + 1)]
    for k in range(1, 13):
        order += [low - k * HOUR, high + k * HOUR]
    cells = []
    df = 0
    for bucket in order:
        earlier = (
            earlier_hour(bucket, k * chosen.step_days, zone) for k in range(1, chosen.periods + 1)
        )
        known = [series.counts(hour) for hour in earlier if hour >= first]
        if len(known) >= 2:
            cells.append(known)
            df += len(known) - 1
            if df >= _DISPERSION_DF:
                break
    return cells


def dispersion(table: list[list[float]]) -> float:
    """Variance / mean of an hour's value around its usual level, from the hours nearby.

    `table` holds, per hour (see `neighbourhood`), its earlier periods' values in
    effective-count units. Each hour's Pearson sum against its own mean (so the
    daily rhythm cancels) over the chi-squared median is one estimate, and the
    answer is the median over hours. With three weeks one hour alone has two
    degrees of freedom: a per-hour variance let one noisy sample or one earlier
    spike make every later count look usual, and the median of twenty hours
    ignores a few spiky ones. Samples `_SPREAD_SD` sd above their hour's median
    (an earlier spike) are left out as well, but a busier weekend mixed into an
    hour-of-day baseline stays in: that spread is real. Never below 1 (Poisson).
    """
    medians = [statistics.median(samples) for samples in table]
    phi = 1.0
    for _ in range(12):
        ratios = []
        for samples, med in zip(table, medians, strict=True):
            cap = _cap(med, phi, _SPREAD_SD)
            kept = [x for x in samples if x <= cap]
            if len(kept) < 2:
                continue
            m = sum(kept) / len(kept) + _PRIOR_COUNT / len(kept)
            pearson = sum((x - m) ** 2 for x in kept) / m
            ratios.append(pearson / _chi2_median(len(kept) - 1))
        new = max(1.0, statistics.median(ratios)) if ratios else 1.0
        if abs(new - phi) < 0.01 * phi:
            return new
        phi = new
    return phi


def _chi2_median(df: int) -> float:
    """Median of a chi-squared variable (Wilson-Hilferty), what one hour's Pearson sum
    divided by its dispersion usually is."""
    return df * (1.0 - 2.0 / (9.0 * df)) ** 3


def floor_expectation(start: datetime, end: datetime, per_hour: float) -> Expectation:
    """Thin history: assume the floor rate, plain Poisson."""
    mean = per_hour * ((end - start) / HOUR)
    return Expectation(mean, mean, 1.0)


def _cap(median: float, phi: float, sds: float = 2.5) -> float:
    """Above this a sample is an outlier: `sds` sd over the median, plus one for small counts."""
    return median + sds * math.sqrt(phi * max(median, 1.0)) + 1.0


def _robust_mean(samples: list[float], phi: float) -> float:
    """Mean with outliers capped (an earlier spike must not become normal), plus a prior
    so a rate is never exactly zero."""
    cap = _cap(statistics.median(samples), phi)
    return sum(min(x, cap) for x in samples) / len(samples) + _PRIOR_COUNT / len(samples)
