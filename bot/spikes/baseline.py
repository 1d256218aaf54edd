"""What a window's count usually is, learned from the brand's own history.

Same local hour on the same weekday of earlier weeks when there are enough
weeks (a Monday-morning rhythm is normal, not a spike); else the same local
hour on recent days; before three days, the brand's own level over the hours
seen so far (see `warm_up_estimates`); before a few hours, an assumed floor
rate. Earlier periods are found by stepping back in local wall-clock time, so
"Tuesday 14:00" stays 14:00 across a daylight-saving change.

Three or four same-weekday samples of a quiet hour (about one mention) say
little: 1, 2, 2 against a true 0.9. So an hour's usual is pooled (`estimates`):
the same local hour on the last `max_days` days (many samples) times a weekday
factor from whole-day totals (many mentions), and the same-weekday samples
pull it toward themselves by how much they can be trusted (empirical Bayes: the
weight comes from their number, the pooled dispersion and how far same-weekday
hours sit from that product across the day). A quiet hour ends up near the
product, a busy one or a real weekly rhythm (a Monday rush) near its own weeks.
Earlier spikes are left out of every average.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.models import Severity
from bot.spikes.policy import DEFAULT_WEIGHTS, SpikePolicy
from bot.spikes.series import HOUR, HourCounts, Series, hour_start
from bot.spikes.stats import outlier_cap

# Pseudo-mentions of an even severity mix, so a thin history cannot claim that
# every mention always weighs exactly the same.
_PRIOR_MENTIONS = 2.0
# Half a mention spread over the sample periods: a rate is never exactly zero.
PRIOR_COUNT = 0.5
# The same-weekday samples may move the pooled product by at most this many of their
# own standard errors (limited translation): a rhythm of one hour that the spread
# pooled over the day cannot see is not averaged away.
_MAX_SHIFT_SD = 2.0
# Relative variance of same-weekday hours around the pooled product is never assumed
# below this (a 10% sd), so the hour's own weeks always keep some weight.
_MIN_TAU2 = 0.01
# Before three days an hour's usual rests on the brand's level over all hours seen so far.
# How far one hour of the day sits from that level is not known yet: assume at least a
# 60% sd (social posting swings from about 0.4x the day's mean at night to 1.6x in the
# evening), more if the hours seen so far swing more.
_UNSEEN_RHYTHM = 0.36
# How far above the level the busiest hour of a day may sit (in rhythm sds, or as a
# multiple of the median hour) before a sample counts as an earlier spike.
_PEAK = 2.0
# Hours the warm-up level averages: the last three days at most (then hour-of-day applies).
_WARM_UP_MAX_HOURS = 72


class Basis(StrEnum):
    HOUR_OF_WEEK = "hour_of_week"
    HOUR_OF_DAY = "hour_of_day"
    WARM_UP = "warm_up"
    FLOOR = "floor"


@dataclass(frozen=True, slots=True)
class Plan:
    """Which baseline applies, and how many earlier periods it averages."""

    basis: Basis
    periods: int
    step_days: int

    def describe(self, start: datetime, zone: ZoneInfo, pooling: Pooling | None = None) -> str:
        day = start.astimezone(zone).strftime("%A")
        if self.basis is Basis.HOUR_OF_WEEK:
            own = f"the same hour on the previous {self.periods} {day}s"
            if pooling is None or pooling.own_weight >= 0.9:
                return own
            share = round(100 * pooling.own_weight)
            return (
                f"{own} ({share}%) pooled with the same hour on the previous {pooling.days} "
                f"days, scaled to {day}s by whole-day totals ({100 - share}%)"
            )
        if self.basis is Basis.HOUR_OF_DAY:
            text = f"the same hour on the previous {self.periods} days"
            if pooling is not None and pooling.weekday_days:
                text += (
                    f", scaled to {day}s by the whole-day totals of "
                    f"{_days(pooling.weekday_days, day)}"
                )
            return text
        if self.basis is Basis.WARM_UP:
            text = f"the brand's level over the last {self.periods} hours, any hour of the day"
            if pooling is not None and pooling.days:
                same = "the previous day" if pooling.days == 1 else f"{pooling.days} previous days"
                share = round(100 * pooling.own_weight)
                text += f", pulled toward this hour on {same} ({share}%)"
            return text + " (not a full three days of history yet)"
        return "the floor (not enough history yet)"


def _days(n: int, day: str) -> str:
    return f"{n} {day}" + ("" if n == 1 else "s")


@dataclass(frozen=True, slots=True)
class Pooling:
    """How the usual count of the alert window was pooled (for the explanation)."""

    days: int  # same-hour days behind the hour-of-day level
    weekday_days: int  # whole same-weekday days behind the weekday factor (0: none)
    own_weight: float  # weight of the same-weekday hours (hour-of-week), 0 for hour-of-day


@dataclass(frozen=True, slots=True)
class Estimate:
    """An hour's usual value and how well it is known."""

    mean: float
    error: float  # variance of `mean` as an estimate of the true usual value
    own_weight: float = 0.0  # weight of the same-weekday samples (hour-of-week)
    days: int = 0  # same-hour days behind the hour-of-day level
    weekday_days: int = 0  # whole same-weekday days behind the weekday factor


@dataclass(frozen=True, slots=True)
class Expectation:
    """Predictive mean and variance of a window's value, in effective-count units.

    A weighted sum W is treated as `scale` times a count (quasi-Poisson):
    W / scale has variance about equal to its mean when scale = E[w^2] / E[w].
    """

    mean: float
    variance: float
    scale: float
    error: float = 0.0  # the part of `variance` that is the estimate's own error


def shifted(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same local wall-clock time `days` earlier, as UTC."""
    local = moment.astimezone(zone)
    return (local - timedelta(days=days)).astimezone(UTC)


@lru_cache(maxsize=65536)
def earlier_hour(bucket: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The UTC hour bucket of the same local time `days` earlier (cached: every poll asks
    for the same few hundred)."""
    return hour_start(shifted(bucket, days, zone))


@lru_cache(maxsize=4096)
def earlier_days(bucket: datetime, days: int, zone: ZoneInfo) -> tuple[datetime, ...]:
    """`earlier_hour` for 1 to `days` days back (cached: a row of the grid)."""
    return tuple(earlier_hour(bucket, j, zone) for j in range(1, days + 1))


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
    hours = len(warm_up_hours(series, start))
    if hours >= policy.warm_up_hours:
        return Plan(Basis.WARM_UP, hours, 1)
    return Plan(Basis.FLOOR, 0, 0)


def warm_up_hours(series: Series, start: datetime) -> list[datetime]:
    """The complete hours of history before the window starting at `start`, the last
    `_WARM_UP_MAX_HOURS` at most (a first hour watched only in part is left out)."""
    first = series.first_hour
    if first is None:
        return []
    covered = series.covered_from
    if covered is not None and covered > first:
        first += HOUR
    cutoff = hour_start(start)
    count = min(max(0, int((cutoff - first) / HOUR)), _WARM_UP_MAX_HOURS)
    return [cutoff - (count - k) * HOUR for k in range(count)]


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


@dataclass(frozen=True, slots=True)
class Grid:
    """The history an hour's usual is pooled from, fetched once per check.

    Row o is the UTC hour `first_row + o`: the local day of the window's start from
    about local midnight (`day_rows` rows; a daylight-saving day is off by an hour at
    one end), then any later hour the window reaches. Column j - 1 of a row is the
    same local hour j days earlier (so column 7k - 1 is its weekday k weeks back);
    None where unknown (before the history starts, or not yet over).
    """

    first_row: datetime
    weekday: int  # local weekday of the window's start (Monday 0)
    day_rows: int
    window_rows: tuple[int, ...]  # the rows of the hours the window overlaps
    cells: tuple[tuple[HourCounts | None, ...], ...]


def grid(series: Series, start: datetime, end: datetime, policy: SpikePolicy) -> Grid:
    """The rows and earlier days `estimates` needs for the window [start, end)."""
    zone = policy.zone
    first = series.first_hour
    cutoff = hour_start(start)
    hour_of_day = start.astimezone(zone).hour
    first_row = cutoff - hour_of_day * HOUR
    buckets = []
    bucket = cutoff
    while bucket < end:
        buckets.append(bucket)
        bucket += HOUR
    rows = max(24, hour_of_day + len(buckets))
    columns = max(
        min(policy.history // timedelta(days=1), policy.max_days),
        7 * (policy.history // timedelta(days=7)),
    )
    cells = []
    hourly = series.hourly
    empty: HourCounts = {}
    for o in range(rows):
        cells.append(
            tuple(
                hourly.get(hour, empty) if first is not None and first <= hour < cutoff else None
                for hour in earlier_days(first_row + o * HOUR, columns, zone)
            )
        )
    window_rows = tuple(hour_of_day + k for k in range(len(buckets)))
    weekday = start.astimezone(zone).weekday()
    return Grid(first_row, weekday, 24, window_rows, tuple(cells))


def robust_level(samples: Sequence[float], phi: float) -> tuple[float, int]:
    """Mean of the samples leaving out those above `outlier_cap` of their median (earlier
    spikes), plus half a mention spread over them so a rate is never exactly zero;
    and how many were kept."""
    if not samples:
        return 0.0, 0
    cap = outlier_cap(statistics.median(samples), phi)
    kept = [x for x in samples if x <= cap]
    return (sum(kept) + PRIOR_COUNT) / len(kept), len(kept)


def weekday_factor(
    days: Sequence[tuple[int, float]], weekday: int, phi: float
) -> tuple[float, float, int]:
    """How much busier `weekday` is than the average day, from whole-day totals.

    `days` holds (weekday, total) of complete earlier days, earlier spikes already
    left out. The raw ratio (mean of that weekday's totals over the mean of all) is
    shrunk toward 1 by how well its few days know it (empirical Bayes): the
    day-to-day noise within a weekday (at least Poisson: `phi` / mean day) against
    the spread between weekdays beyond that noise. Returns (factor, its variance,
    days of that weekday); (1, 0, 0) with no such day.
    """
    same = [t for d, t in days if d == weekday]
    if not same or len(days) < 2:
        return 1.0, 0.0, 0
    mean = sum(t for _, t in days) / len(days)
    if mean <= 0:
        return 1.0, 0.0, 0
    groups: dict[int, list[float]] = {}
    for d, t in days:
        groups.setdefault(d, []).append(t / mean)
    within = sum(sum((r - sum(g) / len(g)) ** 2 for r in g) for g in groups.values())
    df = len(days) - len(groups)
    noise = phi / mean
    if df >= 3:
        noise = max(noise, within / df)
    total = sum((t / mean - 1.0) ** 2 for _, t in days) / (len(days) - 1)
    between = max(0.0, total - noise)
    raw = sum(same) / len(same) / mean
    error = noise / len(same)
    weight = between / (between + error) if between + error > 0 else 0.0
    return 1.0 + weight * (raw - 1.0), weight * error, len(same)


def shrink(
    own: Sequence[float], prior: float, prior_error: float, tau2: float, phi: float
) -> tuple[float, float, float]:
    """Pull the pooled `prior` toward an hour's own same-weekday samples (empirical Bayes).

    The prior's variance is its estimation error plus `tau2` x prior^2 (how far
    same-weekday hours sit from the pooled product, see `weekday_spread`); the own
    mean's is `phi` x prior / n. The own samples get weight V0 / (V0 + Vy), but the
    answer stays within `_MAX_SHIFT_SD` standard errors of their own mean. Returns
    (mean, its variance, the own samples' weight).
    """
    level, n = robust_level(own, phi)
    if n == 0:
        return prior, prior_error, 0.0
    v0 = tau2 * prior * prior + prior_error
    vy = phi * max(prior, 1e-6) / n
    weight = v0 / (v0 + vy)
    mean = weight * level + (1.0 - weight) * prior
    reach = _MAX_SHIFT_SD * math.sqrt(phi * max(level, prior) / n)
    mean = min(max(mean, level - reach), level + reach)
    return mean, v0 * vy / (v0 + vy), weight


def weekday_spread(rows: Sequence[tuple[Sequence[float], float, float]], phi: float) -> float:
    """Relative variance of same-weekday hours around the pooled product, by moments.

    `rows` holds, per hour of the day, (its same-weekday samples, the pooled
    product, that product's error). What their means' squared distance to the
    product exceeds sampling noise, relative to the product squared; at least
    `_MIN_TAU2`. A real weekly rhythm (a Monday rush) makes it large, so those
    hours keep their own weeks; a flat week makes it small, so a quiet hour's
    three samples lean on the product.
    """
    excess = scale = 0.0
    for own, prior, error in rows:
        level, n = robust_level(own, phi)
        if n < 2:
            continue
        excess += (level - prior) ** 2 - phi * prior / n - error
        scale += prior * prior
    return max(_MIN_TAU2, excess / scale) if scale > 0 else _MIN_TAU2


def estimates(
    table: Grid, chosen: Plan, policy: SpikePolicy, value: Callable[[HourCounts], float], phi: float
) -> list[Estimate]:
    """The usual value of each hour the window overlaps (see the module doc)."""
    days_cap = min(policy.history // timedelta(days=1), policy.max_days)
    rows = [[None if c is None else value(c) for c in row] for row in table.cells]
    levels = []
    caps = []
    for row in rows:
        recent = [x for x in row[:days_cap] if x is not None]
        levels.append(robust_level(recent, phi))
        caps.append(outlier_cap(statistics.median(recent), phi) if recent else math.inf)
    # Whole earlier days, each hour's earlier spikes replaced by that hour's level.
    days: list[tuple[int, float]] = []
    start_weekday = table.weekday
    for j in range(days_cap):
        total = 0.0
        for o in range(table.day_rows):
            x = rows[o][j]
            if x is None:
                break
            total += x if x <= caps[o] else levels[o][0]
        else:
            days.append(((start_weekday - j - 1) % 7, total))
    factors = {}

    def prior(o: int) -> tuple[float, float, int, int]:
        weekday = (start_weekday + o // 24) % 7
        if weekday not in factors:
            factors[weekday] = weekday_factor(days, weekday, phi)
        factor, factor_error, same = factors[weekday]
        level, n = levels[o]
        mean = level * factor
        error = phi * mean / max(n, 1) + level * level * factor_error
        return mean, error, n, same

    weeks = chosen.periods if chosen.basis is Basis.HOUR_OF_WEEK else 0

    def own(o: int) -> list[float]:
        found = (rows[o][7 * k - 1] for k in range(1, weeks + 1))
        return [x for x in found if x is not None]

    tau2 = _MIN_TAU2
    if weeks:
        spread_rows = []
        for o in range(table.day_rows):
            mean, error, _, _ = prior(o)
            spread_rows.append((own(o), mean, error))
        tau2 = weekday_spread(spread_rows, phi)
    out = []
    for o in table.window_rows:
        mean, error, n, same = prior(o)
        weight = 0.0
        if weeks:
            mean, error, weight = shrink(own(o), mean, error, tau2, phi)
        out.append(Estimate(mean, error, weight, n, same))
    return out


def warm_up_estimates(
    series: Series,
    start: datetime,
    end: datetime,
    policy: SpikePolicy,
    value: Callable[[HourCounts], float],
) -> list[Estimate]:
    """The usual value of each hour the window overlaps, from less than three days.

    The level is the mean over the hours seen so far, earlier spikes left out (hours
    beyond twice the median hour and its noise: an evening may be that busy). The
    window's hour may sit anywhere in a daily rhythm not yet known, so the estimate's
    error carries that rhythm: at least `_UNSEEN_RHYTHM` x level^2, or the spread the
    hours seen so far show.
    Where this hour was seen on earlier days, those samples pull the level toward
    themselves (`shrink`, as the same-weekday hours do once weeks exist): a busy
    brand's one sample is worth a lot, a quiet brand's little. A sample far above
    what the rhythm allows (an earlier spike) is left out.
    """
    hours = warm_up_hours(series, start)
    samples = [value(series.counts(h)) for h in hours]
    cap = outlier_cap(_PEAK * statistics.median(samples), 1.0) if samples else math.inf
    kept = [x for x in samples if x <= cap] or [0.0]
    n = len(kept)
    level = (sum(kept) + PRIOR_COUNT) / n
    spread = sum((x - level) ** 2 for x in kept) / max(n - 1, 1)
    tau2 = max(_UNSEEN_RHYTHM, (spread - level) / (level * level))
    error = level / n  # Poisson error of the level itself
    ceiling = outlier_cap(level * (1.0 + _PEAK * math.sqrt(tau2)), 1.0)
    seen = set(hours)
    zone = policy.zone
    out = []
    bucket = hour_start(start)
    while bucket < end:
        earlier = (earlier_hour(bucket, j, zone) for j in range(1, policy.min_days))
        own = [x for h in earlier if h in seen and (x := value(series.counts(h))) <= ceiling]
        if own:
            mean, variance, weight = shrink(own, level, error, tau2, 1.0)
        else:
            mean, variance, weight = level, error + tau2 * level * level, 0.0
        out.append(Estimate(mean, variance, weight, len(own), 0))
        bucket += HOUR
    return out


def expect(
    usual: Sequence[Estimate],
    first_hour: datetime,
    start: datetime,
    end: datetime,
    scale: float,
    phi: float = 1.0,
) -> Expectation:
    """Predictive distribution of a value summed over [start, end), in units of `scale`.

    `usual` holds the estimate of each UTC hour from `first_hour` on (see
    `estimates`, already in units of `scale`). Each hour contributes its overlap
    fraction f of its usual m, with variance f*m (Poisson) + f^2*(phi-1)*m
    (day-to-day wobble) + f^2*e (e: the estimate's own error, also summed apart as
    `error` for the clear-multiple test). `phi` is the pooled dispersion (see
    `dispersion`): a per-hour variance from three or four samples is too noisy to
    trust.
    """
    mean = variance = error = 0.0
    for k, est in enumerate(usual):
        bucket = first_hour + k * HOUR
        f = (min(end, bucket + HOUR) - max(start, bucket)) / HOUR
        if f <= 0:
            continue
        m = est.mean
        mean += f * m
        error += f * f * est.error
        variance += f * m + f * f * (phi - 1.0) * m
    return Expectation(mean, variance + error, scale, error)


def floor_expectation(start: datetime, end: datetime, per_hour: float) -> Expectation:
    """Thin history: assume the floor rate, plain Poisson."""
    mean = per_hour * ((end - start) / HOUR)
    return Expectation(mean, mean, 1.0)
