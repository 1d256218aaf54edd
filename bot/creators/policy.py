"""Creator settings (`[creators]` in the config): signal thresholds and score weights.

Signals adjust a de-influencing mention's 0-100 score by their weight (positive:
more worth a look, negative: its reach is probably overstated), clamped to 0-100.
Severity stays the rubric's, so routing and the eval do not move with history.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.durations import Duration

Weight = Annotated[int, Field(ge=-50, le=50)]


class SignalWeights(BaseModel):
    """Points added to a mention's score when a signal fires (negative lowers it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low_engagement: Weight = Field(-10, description="possible bought followers")
    follower_jump: Weight = Field(-5, description="sudden follower jump")
    repeat_critic: Weight = Field(10, description="keeps de-influencing the same brand")
    shared_alternative: Weight = Field(
        5, description="de-influences many brands, recommending the same alternative"
    )


def _compact(value: int) -> str:
    for size, unit in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if value >= size:
            text = f"{value / size:.1f}".removesuffix(".0")
            return f"{text}{unit}"
    return str(value)


class CreatorPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    size_bands: list[int] = Field(
        default_factory=lambda: [10_000, 100_000, 1_000_000],
        description="follower counts where a size band starts (each band's lower edge counts)",
    )
    window: Duration = Field(
        timedelta(days=90), description="how far back posts and mentions count for signals"
    )
    min_band_creators: int = Field(
        5, ge=1, le=10_000, description="other creators a band needs before its median counts"
    )
    low_engagement_ratio: float = Field(
        0.25, gt=0, lt=1, description="fires below this fraction of the band's median"
    )
    follower_jump_ratio: float = Field(
        0.5, gt=0, description="fires when followers grow by at least this fraction …"
    )
    follower_jump_min: int = Field(1_000, ge=1, description="… and by at least this many …")
    follower_jump_within: Duration = Field(timedelta(days=7), description="… within this long")
    repeat_critic_posts: int = Field(
        3, ge=2, le=1000, description="negative posts about one brand (this one included)"
    )
    shared_alternative_brands: int = Field(
        3, ge=2, le=1000, description="brands de-influenced while recommending one alternative"
    )
    peer_refresh: Duration = Field(
        timedelta(hours=1), description="how often ingest recomputes the size bands' medians"
    )
    weights: SignalWeights = Field(default_factory=SignalWeights)

    @field_validator("size_bands")
    @classmethod
    def _ascending(cls, value: list[int]) -> list[int]:
        if any(v <= 0 for v in value):
            raise ValueError("follower counts must be positive")
        if value != sorted(set(value)):
            raise ValueError("must be ascending without repeats, e.g. [10000, 100000, 1000000]")
        return value

    def band_of(self, followers: int) -> int:
        """0 for the smallest band; a count equal to an edge belongs to the band it starts."""
        return sum(1 for edge in self.size_bands if followers >= edge)

    def band_label(self, band: int) -> str:
        edges = self.size_bands
        if not edges:
            return "all sizes"
        if band == 0:
            return f"<{_compact(edges[0])}"
        if band >= len(edges):
            return f"≥{_compact(edges[-1])}"
        return f"{_compact(edges[band - 1])}–{_compact(edges[band])}"
