"""How much an hour's count wobbles around its usual level, pooled over nearby hours.

A per-hour variance from three or four earlier samples is too noisy to trust: one
noisy sample or one earlier spike would make every later count look usual. The
dispersion (variance / mean) is pooled instead, over the hours around the window.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.spikes.baseline import PRIOR_COUNT, Plan, earlier_hour
from bot.spikes.series import HOUR, HourCounts, Series, hour_start
from bot.spikes.stats import outlier_cap

# Degrees of freedom the dispersion estimate gathers (24 hours with three weeks).
_DISPERSION_DF = 48
# A sample this many standard deviations above its hour's median is left out of the
# spread: an earlier spike, not the busier weekend an hour-of-day baseline mixes in.
_SPREAD_SD = 4.0


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
            cap = outlier_cap(med, phi, _SPREAD_SD)
            kept = [x for x in samples if x <= cap]
            if len(kept) < 2:
                continue
            m = sum(kept) / len(kept) + PRIOR_COUNT / len(kept)
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
