"""The severity policy (RUBRIC.md by default), as tunable data.

The scorer keeps stance, claims, alternative and reach apart; this module is
the only place that turns them into a risk, a 0-100 score and a severity.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.models import Claim, ReachTier, Severity, Stance
from bot.scoring.promotion import PromotionWeights


class ReachThresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    small_max_followers: int = Field(10_000, gt=0, description="small: fewer followers than this")
    small_max_views: int = Field(50_000, gt=0, description="... and fewer views than this")
    large_min_followers: int = Field(250_000, gt=0)
    large_min_views: int = Field(1_000_000, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ReachThresholds:
        if self.large_min_followers < self.small_max_followers:
            raise ValueError("large_min_followers must be at least small_max_followers")
        if self.large_min_views < self.small_max_views:
            raise ValueError("large_min_views must be at least small_max_views")
        return self

    def tier(self, followers: int | None, views: int | None) -> ReachTier:
        followers = followers or 0
        views = views or 0
        if followers >= self.large_min_followers or views >= self.large_min_views:
            return ReachTier.LARGE
        if followers < self.small_max_followers and views < self.small_max_views:
            return ReachTier.SMALL
        return ReachTier.MID


_DEFAULT_CLAIM_RISK = {
    Claim.HYPE: 1,
    Claim.PRICE: 1,
    Claim.QUALITY: 2,
    Claim.SERVICE: 2,
    Claim.ETHICS: 2,
    Claim.SAFETY: 3,
}

_DEFAULT_TABLE = {
    "0": ["low", "low", "low"],
    "1": ["low", "medium", "high"],
    "2": ["medium", "high", "high"],
    "3": ["high", "critical", "critical"],
}

MAX_RISK = 3
_TIER_COLUMN = {ReachTier.SMALL: 0, ReachTier.MID: 1, ReachTier.LARGE: 2}
_RISK_KEYS = tuple(str(risk) for risk in range(MAX_RISK + 1))  # severity_table's keys


class ScoringPolicy(BaseModel):
    """Weights and thresholds; the defaults are RUBRIC.md."""

    model_config = ConfigDict(extra="forbid")

    reach: ReachThresholds = Field(default_factory=ReachThresholds)
    neutral_risk: int = Field(0, ge=0, le=MAX_RISK)
    negative_base_risk: int = Field(1, ge=0, le=MAX_RISK, description="negative with no claim")
    claim_risk: dict[Claim, int] = Field(default_factory=lambda: dict(_DEFAULT_CLAIM_RISK))
    alternative_bonus: int = Field(1, ge=0, le=MAX_RISK)
    severity_table: dict[str, list[Severity]] = Field(
        default_factory=lambda: {
            k: [Severity.parse(s) for s in v] for k, v in _DEFAULT_TABLE.items()
        },
        description="risk (0-3) -> severity for reach small, mid, large",
    )
    promotion: PromotionWeights = Field(default_factory=PromotionWeights)

    @field_validator("claim_risk")
    @classmethod
    def _claim_risk_range(cls, value: dict[Claim, int]) -> dict[Claim, int]:
        for claim, risk in value.items():
            if not 0 <= risk <= MAX_RISK:
                raise ValueError(f"{claim.value}: risk must be between 0 and {MAX_RISK}")
        return {**_DEFAULT_CLAIM_RISK, **value}

    @field_validator("severity_table", mode="before")
    @classmethod
    def _parse_table(cls, value: object) -> object:
        if not isinstance(value, dict):
            return value
        parsed: dict[str, list[Severity]] = {}
        for risk, row in value.items():
            if not isinstance(row, list) or len(row) != 3:
                raise ValueError(f"row {risk!r} must list three severities (small, mid, large)")
            parsed[str(risk)] = [
                s if isinstance(s, Severity) else Severity.parse(str(s)) for s in row
            ]
        return parsed

    @model_validator(mode="after")
    def _table_complete(self) -> ScoringPolicy:
        missing = [str(r) for r in range(MAX_RISK + 1) if str(r) not in self.severity_table]
        if missing:
            raise ValueError(f"severity_table is missing rows for risk {', '.join(missing)}")
        return self

    def risk(self, stance: Stance, claims: Iterable[Claim], has_alternative: bool) -> int:
        if stance is Stance.POSITIVE:
            return 0
        if stance is Stance.NEUTRAL:
            return self.neutral_risk
        risk = self.negative_base_risk
        claim_risk = self.claim_risk
        for claim in claims:
            if claim_risk[claim] > risk:
                risk = claim_risk[claim]
        if has_alternative:
            risk += self.alternative_bonus
        return min(MAX_RISK, risk)

    def severity(
        self, mentions_brand: bool, stance: Stance, risk: int, reach: ReachTier
    ) -> Severity:
        if not mentions_brand or stance is Stance.POSITIVE:
            return Severity.NONE
        key = _RISK_KEYS[risk] if 0 <= risk <= MAX_RISK else str(risk)
        return self.severity_table[key][_TIER_COLUMN[reach]]

    def score(self, severity: Severity, risk: int, reach: ReachTier, reach_fraction: float) -> int:
        """0-100: the severity band, refined by risk and by where reach sits in its tier.

        Bands: none 0, low 1-24, medium 25-49, high 50-74, critical 75-100, so sorting
        by score never contradicts sorting by severity.
        """
        if severity is Severity.NONE:
            return 0
        low = (int(severity) - 1) * 25 + 1
        width = 24 if severity is not Severity.CRITICAL else 25
        tier_rank = _TIER_COLUMN[reach]
        within = (risk / MAX_RISK) * 0.5 + (
            (tier_rank + min(max(reach_fraction, 0.0), 1.0)) / 3
        ) * 0.5
        return low + round(width * within)
