"""Opportunities: the trend cutting our way, for the marketing team rather than on-call.

Two kinds, from a scored mention that is positive about a watched brand:
- the brand is recommended *instead of* a competitor the post runs down
  ("FlowJug broke twice, back to my Tundra cup");
- a high-reach creator is positive about the brand under a de-influencing hashtag
  ("the only thing I'm not de-influencing: ...").
They become `opportunity` alerts in a route's opportunity channel, never in its
alerts channel, and only where a route asks for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Post, ReachTier, Score, Stance
from bot.scoring.analysis import ABOUT_RIVAL, RECOMMENDED
from bot.scoring.text import fold, fold_phrase, hashtags

KIND = "opportunity"
_TIERS = {"mid": (ReachTier.MID, ReachTier.LARGE), "large": (ReachTier.LARGE,)}
# What the scorer says when a post recommends the brand or runs a competitor down.
_RECOMMENDED = f"{RECOMMENDED}:"
_COMPETITOR_DOWN = f"{ABOUT_RIVAL}negative"


class OpportunityPolicy(BaseModel):
    """`[opportunities]`: what counts; the routes' `opportunity_channel` says where it goes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_reach: Literal["mid", "large"] = Field(
        "large", description="reach tier from which a positive #deinfluencing post counts"
    )


@dataclass(frozen=True, slots=True)
class Opportunity:
    brand: str
    reason: str  # a line a marketer can read: why this post is worth a look


def dedup_key(post_id: int, brand: str) -> str:
    return f"{KIND}:{post_id}:{brand}"


def title(brand: str, author: str, source: str) -> str:
    return f"Opportunity: {brand} — @{author.lstrip('@')} on {source}"


def find(
    post: Post,
    brand: str,
    score: Score,
    tracked: Iterable[str],
    policy: OpportunityPolicy,
) -> Opportunity | None:
    """The opportunity in one (post, brand) mention, or None."""
    if score.stance is not Stance.POSITIVE:
        return None
    if score.compared_with and any(
        r.text.startswith((_RECOMMENDED, _COMPETITOR_DOWN)) for r in score.reasons
    ):
        rivals = " and ".join(score.compared_with[:2])
        return Opportunity(brand, f"opportunity: recommended instead of {rivals}")
    tag = under_hashtag(post, tracked)
    if tag is not None and score.reach in _TIERS[policy.min_reach]:
        return Opportunity(
            brand,
            f"opportunity: positive under #{tag} from a {score.reach.value}-reach creator",
        )
    return None


def under_hashtag(post: Post, tracked: Iterable[str]) -> str | None:
    """The first tracked hashtag the post carries (in its text or the source's tag list)."""
    wanted = {fold_phrase(t).lstrip("#"): t.lstrip("#") for t in tracked}
    for tag in (*post.hashtags, *hashtags(post.text)):
        found = wanted.get(fold(tag).lstrip("#"))
        if found is not None:
            return found
    return None
