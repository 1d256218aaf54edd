"""Count distributions for "how surprising is this many?", in the stdlib.

A window's count is modelled as negative binomial with a given mean and
variance: Poisson noise plus the day-to-day wobble of the rate plus the
uncertainty of estimating that rate from a few weeks. With no extra variance
it is plain Poisson.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class Spread:
    """Integer summary of a predictive count distribution."""

    low: int  # 10th percentile
    high: int  # 90th percentile
    surprising: int  # smallest k with P(X >= k) <= alpha


def spread(mean: float, variance: float, alpha: float) -> Spread:
    """Quantiles of the count distribution; inputs are rounded so results can be cached."""
    mean = max(mean, 1e-6)
    variance = max(variance, mean)
    return _spread(_round(mean), _round(variance), alpha)


def _round(value: float) -> float:
    """Three significant digits: plenty for integer quantiles, and it makes caching work."""
    return float(f"{value:.3g}")


@lru_cache(maxsize=65536)
def _spread(mean: float, variance: float, alpha: float) -> Spread:
    step, log_p0 = _recurrence(mean, variance)
    low = high = surprising = -1
    cdf = 0.0
    log_pmf = log_p0
    k = 0
    limit = int(mean + 60 * math.sqrt(variance) + 100)
    while k <= limit:
        pmf = math.exp(log_pmf)
        if low < 0 and cdf + pmf >= 0.10:
            low = k
        if high < 0 and cdf + pmf >= 0.90:
            high = k
        if surprising < 0 and 1.0 - cdf <= alpha:
            surprising = k
            break
        cdf += pmf
        log_pmf += step(k)
        k += 1
    if surprising < 0:
        surprising = k
    return Spread(low=max(low, 0), high=max(high, low, 0), surprising=surprising)


def _recurrence(mean: float, variance: float) -> tuple[Callable[[int], float], float]:
    """log P(X=0) and log P(X=k+1)/P(X=k) for Poisson or negative binomial."""
    if variance <= mean * (1 + 1e-9):
        log_mean = math.log(mean)
        return (lambda k: log_mean - math.log(k + 1)), -mean
    r = mean * mean / (variance - mean)
    p = mean / variance  # P(success); mean = r (1 - p) / p
    log_q = math.log1p(-p)
    return (lambda k: math.log((k + r) / (k + 1)) + log_q), r * math.log(p)


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed exactly (k is a small count)."""
    term = math.exp(-mean)
    below = 0.0
    for j in range(max(k, 0)):
        below += term
        term *= mean / (j + 1)
    return max(0.0, 1.0 - below)


def outlier_cap(median: float, phi: float, sds: float = 2.5) -> float:
    """Above this a sample is an outlier: `sds` sd over the median, plus one for small counts."""
    return median + sds * math.sqrt(phi * max(median, 1.0)) + 1.0
