"""Score one post for one (already matched) brand: stance, claims, alternative, reach.

The scorer keeps the four apart and explains each as a Reason; the policy alone
turns them into risk, severity and a 0-100 score, so a brand team's tuning
changes the outcome without touching cues.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from bot.config import BrandConfig
from bot.matching import BrandMatcher
from bot.models import Claim, Post, ReachTier, Reason, Score, Stance
from bot.scoring.analysis import COMPETITOR, OTHER, TARGET, Entity, analyse, mask
from bot.scoring.cues import cue_set
from bot.scoring.language import detect_language, detector
from bot.scoring.policy import ScoringPolicy
from bot.scoring.text import fold, fold_phrase, phrase_pattern

BASE_LANGUAGE = "en"  # English cues always apply: code-switching ("niet kopen, not worth it")


def _names_re(names: dict[str, str]) -> re.Pattern[str] | None:
    """One regex over folded names; the group name indexes `names` order."""
    if not names:
        return None
    parts = [f"(?P<n{i}>{phrase_pattern(n, in_hashtags=True)})" for i, n in enumerate(names)]
    return re.compile("|".join(parts))


def humanize(count: int) -> str:
    """420000 -> '420k', 1200000 -> '1.2M'."""
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"
    if count >= 1_000:
        return f"{count / 1_000:.1f}".rstrip("0").rstrip(".") + "k"
    return str(count)


class Scorer:
    """Deterministic, explainable scorer; build once, call `score` per (post, brand)."""

    def __init__(
        self,
        brands: Sequence[BrandConfig],
        policy: ScoringPolicy,
        matcher: BrandMatcher | None = None,
        *,
        preload_language: bool = True,
    ) -> None:
        if preload_language:
            detector()  # build lingua now (~1-2 s), not inside the first poll
        self._brands = {b.name: b for b in brands}
        self._policy = policy
        self._matcher = matcher or BrandMatcher(brands)
        self._competitors: dict[str, tuple[list[str], re.Pattern[str] | None]] = {}
        self._generic: dict[str, re.Pattern[str] | None] = {}
        for brand in brands:
            names: dict[str, str] = {}
            for comp in brand.competitors:
                for alias in sorted(comp.all_names, key=len, reverse=True):
                    names.setdefault(fold_phrase(alias), comp.name)
            ordered = sorted(names, key=len, reverse=True)
            self._competitors[brand.name] = (
                [names[n] for n in ordered],
                _names_re(dict.fromkeys(ordered, "")),
            )
            extra = [phrase_pattern(p) for p in brand.generic_alternatives]
            self._generic[brand.name] = re.compile("|".join(extra)) if extra else None

    def score(self, post: Post, brand: str) -> Score:
        lang = post.lang or detect_language(post.text)
        folded = fold(post.text)
        entities = self._entities(folded, brand)
        masked, kept = mask(folded, entities)
        cues = cue_set((lang or BASE_LANGUAGE, BASE_LANGUAGE))
        result = analyse(masked, kept, cues, self._generic.get(brand))
        policy = self._policy
        reach = policy.reach.tier(post.author.followers, post.metrics.views)
        claims = {hit.claim for hit in result.claims}
        risk = policy.risk(result.stance, claims, result.alternative is not None)
        severity = policy.severity(True, result.stance, risk, reach)
        reasons = list(result.reasons)
        if result.stance is Stance.NEGATIVE and not claims:
            reasons.append(Reason("claim", "no specific claim"))
        reasons.append(Reason("reach", self._reach_text(post, reach)))
        score = policy.score(severity, risk, reach, self._reach_fraction(post, reach))
        return Score(
            stance=result.stance,
            claims=tuple(result.claims),
            alternative=result.alternative,
            reach=reach,
            risk=risk,
            score=score,
            severity=severity,
            reasons=tuple(reasons),
            lang=lang,
        )

    def _entities(self, folded: str, brand: str) -> list[Entity]:
        entities = [
            Entity(TARGET, brand, o.start, o.end) for o in self._matcher.occurrences(folded, brand)
        ]
        comp_names, comp_re = self._competitors.get(brand, ([], None))
        if comp_re is not None:
            for m in comp_re.finditer(folded):
                index = int((m.lastgroup or "n0")[1:])
                entities.append(Entity(COMPETITOR, comp_names[index], m.start(), m.end()))
        competitor_set = set(comp_names)
        for other in self._brands:
            if other == brand:
                continue
            kind = COMPETITOR if other in competitor_set else OTHER
            entities.extend(
                Entity(kind, other, o.start, o.end)
                for o in self._matcher.occurrences(folded, other)
            )
        return entities

    def _reach_text(self, post: Post, reach: ReachTier) -> str:
        thresholds = self._policy.reach
        followers = post.author.followers
        views = post.metrics.views
        parts = []
        if (
            reach is ReachTier.LARGE
            and (views or 0) >= thresholds.large_min_views
            and ((followers or 0) < thresholds.large_min_followers)
        ) or (reach is ReachTier.MID and (followers or 0) < thresholds.small_max_followers):
            parts.append(f"{humanize(views or 0)} views")
        elif followers is not None:
            parts.append(f"{humanize(followers)} followers")
        else:
            parts.append(
                "followers unknown" + (f", {humanize(views)} views" if views is not None else "")
            )
        return f"reach: {reach.value} ({parts[0]})"

    def _reach_fraction(self, post: Post, reach: ReachTier) -> float:
        """Where the post sits inside its reach tier, 0..1 on a log scale."""
        t = self._policy.reach
        followers = max(post.author.followers or 0, 1)
        views = max(post.metrics.views or 0, 1)
        if reach is ReachTier.SMALL:
            lo_f, hi_f, lo_v, hi_v = 1, t.small_max_followers, 1, t.small_max_views
        elif reach is ReachTier.MID:
            lo_f, hi_f, lo_v, hi_v = (
                t.small_max_followers,
                t.large_min_followers,
                t.small_max_views,
                t.large_min_views,
            )
        else:
            lo_f, hi_f, lo_v, hi_v = (
                t.large_min_followers,
                t.large_min_followers * 100,
                t.large_min_views,
                t.large_min_views * 100,
            )

        def frac(value: int, lo: int, hi: int) -> float:
            if hi <= lo:
                return 1.0
            return min(max(math.log(max(value, lo) / lo) / math.log(hi / lo), 0.0), 1.0)

        return max(frac(followers, lo_f, hi_f), frac(views, lo_v, hi_v))


__all__ = ["Claim", "Scorer", "humanize"]
