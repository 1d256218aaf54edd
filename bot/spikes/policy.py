"""Spike-detection settings (`[spikes]` in the config), validated once at startup.

The sensitivity names a preset (significance level, ratio threshold, clear multiple) so an
operator picks "fewer / balanced / more" instead of tuning statistics; the
preset can still be overridden for experiments.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.durations import Duration
from bot.models import Severity
from bot.spikes.stats import poisson_tail


def _weights(value: object) -> object:
    if isinstance(value, dict):
        return {Severity.parse(k) if isinstance(k, str) else k: v for k, v in value.items()}
    return value


Weights = Annotated[dict[Severity, float], BeforeValidator(_weights)]


class Sensitivity(StrEnum):
    """How readily a brand's volume counts as a spike."""

    FEWER = "fewer"
    BALANCED = "balanced"
    MORE = "more"


# (upper-tail significance, minimum observed/expected ratio, multiple of the floor,
# clear multiple); `more` is looser on all four, so it flags a superset of `balanced`,
# which flags a superset of `fewer`.
PRESETS: dict[Sensitivity, tuple[float, float, float, float]] = {
    Sensitivity.FEWER: (1e-5, 3.0, 1.5, 8.0),
    Sensitivity.BALANCED: (1e-4, 2.0, 1.0, 5.0),
    Sensitivity.MORE: (1e-3, 1.5, 0.7, 4.0),
}
# A window shorter than the alert window must also be this much further above its
# usual count than the ratio asks: a few minutes' count is where a baseline that is
# off (a weekday not yet in the history, a cluster of critical posts) shows as 2-3x.
SHORT_WINDOW_RATIO = 1.5

DEFAULT_WEIGHTS: dict[Severity, float] = {
    Severity.LOW: 1.0,
    Severity.MEDIUM: 2.0,
    Severity.HIGH: 4.0,
    Severity.CRITICAL: 8.0,
}


class SpikePolicy(BaseModel):
    """Everything the detector needs besides the data; defaults suit a 5-minute poll."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sensitivity: Sensitivity = Sensitivity.BALANCED
    min_count: int = Field(5, ge=1, description="never a spike with fewer mentions in the window")
    min_weighted: float | None = Field(
        None, gt=0, description="weighted floor; default min_count x the high weight"
    )
    window: Duration = Field(timedelta(hours=1), description="the 'last hour' of the alert")
    fast_window: Duration = Field(
        timedelta(minutes=5), description="short window so a burst shows at the next poll"
    )
    history: Duration = Field(timedelta(days=28), description="how far back baselines look")
    min_weeks: int = Field(3, ge=1, description="weeks needed for the hour-of-week baseline")
    min_days: int = Field(3, ge=1, description="days needed for the hour-of-day baseline")
    max_days: int = Field(21, ge=1, description="recent days the hour-of-day baseline uses")
    warm_up_hours: int = Field(
        3, ge=1, le=72, description="hours of history before the brand's level replaces the floor"
    )
    floor_per_hour: float = Field(
        10.0, gt=0, description="assumed usual rate before warm_up_hours of history"
    )
    severity_weights: Weights = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    timezone: str = Field("UTC", description="IANA zone for 'a Tuesday 14:00' and local rhythms")
    resolve_after: Duration = Field(
        timedelta(hours=1), description="back under threshold this long before a spike resolves"
    )
    max_posts: int = Field(10, ge=1, le=100, description="driving posts listed on an alert")
    significance: float | None = Field(None, gt=0, lt=0.5, description="overrides the preset")
    min_ratio: float | None = Field(None, ge=1, description="overrides the preset")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name)") from None
        return value

    @field_validator("severity_weights")
    @classmethod
    def _weights_valid(cls, value: dict[Severity, float]) -> dict[Severity, float]:
        if any(w < 0 for w in value.values()):
            raise ValueError("weights must not be negative")
        merged = {**DEFAULT_WEIGHTS, **value}
        merged.setdefault(Severity.NONE, 0.0)
        if not any(merged[s] > 0 for s in DEFAULT_WEIGHTS):
            raise ValueError("at least one severity needs a positive weight")
        return merged

    @model_validator(mode="after")
    def _windows_fit(self) -> SpikePolicy:
        if self.fast_window > self.window:
            raise ValueError("fast_window must not be longer than window")
        if self.window > timedelta(days=1):
            raise ValueError("window must be at most 1d (baselines compare with earlier days)")
        if self.history < timedelta(days=self.min_days):
            raise ValueError("history must cover at least min_days")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def alpha(self) -> float:
        """Upper-tail probability below which an observed count is surprising."""
        return self.significance or PRESETS[self.sensitivity][0]

    @property
    def ratio(self) -> float:
        return self.min_ratio or PRESETS[self.sensitivity][1]

    @property
    def floor_factor(self) -> float:
        """With thin history a spike is this many times the floor rate."""
        return PRESETS[self.sensitivity][2]

    @property
    def windows(self) -> tuple[timedelta, ...]:
        """Windows tested after every poll: the alert window, the fast window, then halvings
        of the alert window at least twice the fast window (1h, 5m, 15m, 30m by default).

        A burst fills 5 minutes, a steadier wave 15-30, a slow one the hour; each is
        seen soonest by the window of its own length.
        """
        between: list[timedelta] = []
        half = self.window / 2
        while half >= 2 * self.fast_window:
            between.append(timedelta(minutes=half // timedelta(minutes=1)))
            half /= 2
        ordered = [self.window, self.fast_window, *sorted(between)]
        return tuple(dict.fromkeys(ordered))

    def alpha_for(self, window: timedelta) -> float:
        """Significance for one window: those in between get alpha x window / alert window.

        Sliding every poll, a 15-minute window has four independent chances an hour
        to look surprising by luck, so its alpha is a quarter (a multiple-testing
        correction). The alert window and the fast window keep the full alpha: the
        fast window is the one that sees a burst at the next poll.
        """
        if window in (self.window, self.fast_window):
            return self.alpha
        return self.alpha * (window / self.window)

    def ratio_for(self, window: timedelta) -> float:
        """The ratio a window must reach: `SHORT_WINDOW_RATIO` times more if it is shorter
        than the alert window."""
        return self.ratio * (SHORT_WINDOW_RATIO if window < self.window else 1.0)

    @property
    def clear_multiple(self) -> float:
        """At this multiple of usual (of rates: the count plus half a mention, like the
        usual), with at least min_count mentions in the alert window, a spike needs
        only `clear_alpha` significance: the alert's own arithmetic ("5.2x above")
        already says spike, and the test is only there to stop a shaky baseline from
        saying it. Never below the ratio the operator set."""
        return max(PRESETS[self.sensitivity][3], self.ratio)

    @property
    def clear_alpha(self) -> float:
        """The significance a clear multiple needs: how rare the smallest clear multiple
        is when the usual is known exactly (min_count mentions against a usual of
        min_count / clear_multiple: 5 against 1.0 at `balanced`, 1 in 270).

        The test is then about the baseline, not luck: a well-known usual is held to
        the multiple, one whose own estimate is too uncertain (a few swinging days)
        is held back. Never stricter than alpha.
        """
        n = self.min_count
        return min(0.5, max(self.alpha, poisson_tail(n, n / self.clear_multiple)))

    @property
    def weighted_minimum(self) -> float:
        if self.min_weighted is not None:
            return self.min_weighted
        return self.min_count * self.severity_weights[Severity.HIGH]

    def weight(self, severity: Severity) -> float:
        return self.severity_weights.get(severity, 0.0)
