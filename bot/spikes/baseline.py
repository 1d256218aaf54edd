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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.models import Severity
from bot.spikes.policy import DEFAULT_WEIGHTS, SpikePolicy
from bot.spikes.series import HOUR, HourCounts, Series, hour_start

# Pseudo-mentions of an even severity mix, so a thin history cannot claim that
# every mention always weighs exactly the same.
_PRIOR_MENTIONS = 2.0
# Half a mention spread over the sample periods: a rate is never exactly zero.
_PRIOR_COUNT = 0.5


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
        earlier = (hour_start(shifted(first_bucket, k * step, zone)) for k in range(1, most + 1))
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
            series.counts(hour_start(shifted(bucket, k * chosen.step_days, zone)))
            for k in range(1, chosen.periods + 1)
        ]
        bucket += HOUR
    return out


def expect(
    earlier: Mapping[datetime, list[HourCounts]],
    start: datetime,
    end: datetime,
    value: Callable[[HourCounts], float],
    scale: float,
) -> Expectation:
    """Predictive distribution of `value` summed over [start, end), in units of `scale`.

    Each UTC hour the window overlaps contributes its overlap fraction f of the
    matching earlier hours' robust mean m, with variance
    f*m (Poisson) + f^2*(extra day-to-day variance) + f^2*(estimation error).
    """
    mean = variance = 0.0
    for bucket, hours in earlier.items():
        f = (min(end, bucket + HOUR) - max(start, bucket)) / HOUR
        if f <= 0 or not hours:
            continue
        m, s2 = _robust_moments([value(counts) / scale for counts in hours])
        n = len(hours)
        mean += f * m
        variance += f * m + f * f * max(0.0, s2 - m) + f * f * max(s2, m) / n
    return Expectation(mean, variance, scale)


def floor_expectation(start: datetime, end: datetime, per_hour: float) -> Expectation:
    """Thin history: assume the floor rate, plain Poisson."""
    mean = per_hour * ((end - start) / HOUR)
    return Expectation(mean, mean, 1.0)


def _robust_moments(samples: list[float]) -> tuple[float, float]:
    """Mean and variance after capping outliers (an earlier spike must not become normal)."""
    n = len(samples)
    med = statistics.median(samples)
    cap = med + 3.0 * math.sqrt(med) + 3.0
    kept = [min(x, cap) for x in samples]
    raw = sum(kept) / n
    mean = raw + _PRIOR_COUNT / n
    if n < 2:
        return mean, mean
    return mean, sum((x - raw) ** 2 for x in kept) / (n - 1)
