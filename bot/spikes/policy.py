"""Spike-detection settings (`[spikes]` in the config), validated once at startup.

The sensitivity names a preset (significance level and ratio threshold) so an
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


# (upper-tail significance, minimum observed/expected ratio, multiple of the floor);
# `more` is looser on all three, so it flags a superset of `balanced`, which flags a
# superset of `fewer`.
PRESETS: dict[Sensitivity, tuple[float, float, float]] = {
    Sensitivity.FEWER: (1e-5, 3.0, 1.5),
    Sensitivity.BALANCED: (1e-4, 2.0, 1.0),
    Sensitivity.MORE: (1e-3, 1.5, 0.7),
}

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
    max_days: int = Field(14, ge=1, description="recent days the hour-of-day baseline uses")
    floor_per_hour: float = Field(10.0, gt=0, description="assumed usual rate with thin history")
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
    def weighted_minimum(self) -> float:
        if self.min_weighted is not None:
            return self.min_weighted
        return self.min_count * self.severity_weights[Severity.HIGH]

    def weight(self, severity: Severity) -> float:
        return self.severity_weights.get(severity, 0.0)
