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
from bot.scoring.analysis import (
    BASE_LANGUAGE,
    Analysis,
    Segment,
    analyse,
    find_cues,
    mask,
    segments,
)
from bot.scoring.cues import cue_set, negator_languages
from bot.scoring.entities import COMPETITOR, OTHER, TARGET, Entity
from bot.scoring.language import detector, leader, lingua_language, votes
from bot.scoring.policy import ScoringPolicy
from bot.scoring.text import fold_cached, fold_phrase, phrase_pattern


def _names_re(names: dict[str, str]) -> re.Pattern[str] | None:
    """One regex over folded names; the group name indexes `names` order.

    No look-behind (it slows the scan down ~10x): `_competitor_hits` checks the
    left word boundary of the few matches instead.
    """
    if not names:
        return None
    parts = []
    for i, name in enumerate(names):
        body = r"\s+".join(re.escape(part) for part in name.split(" "))
        right = r"(?!\w)" if name[-1:].isalnum() else ""
        parts.append(f"(?P<n{i}>{body}{right})")
    return re.compile("|".join(parts))


def _outcome(result: Analysis) -> tuple[object, ...]:
    """What a language choice can change that the policy sees."""
    return result.stance, {c.claim for c in result.claims}, result.alternative


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
        preload_language: bool = False,
    ) -> None:
        if preload_language:
            detector()  # lingua is a rare fallback now; build it up front only if asked
        self._brands = {b.name: b for b in brands}
        self._policy = policy
        self._matcher = matcher or BrandMatcher(brands)
        self._competitors: dict[str, tuple[list[str], re.Pattern[str] | None]] = {}
        self._competitor_anchors: dict[str, tuple[str, ...]] = {}
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
            self._competitor_anchors[brand.name] = tuple({n[:3] for n in ordered})
            extra = [phrase_pattern(p) for p in brand.generic_alternatives]
            # the look-ahead lets the scan skip characters no phrase starts with
            starts = "".join(
                sorted({re.escape(fold_phrase(p)[:1]) for p in brand.generic_alternatives})
            )
            self._generic[brand.name] = (
                re.compile(f"(?=[{starts}])(?:{'|'.join(extra)})") if extra else None
            )

    def score(self, post: Post, brand: str) -> Score:
        folded = fold_cached(post.text)
        entities = self._entities(folded, brand)
        masked, kept = mask(folded, entities)
        segs = segments(masked, kept)
        cue_langs = find_cues(segs)
        generic = self._generic.get(brand)
        if post.lang:
            lang: str | None = post.lang
            result = analyse(masked, segs, kept, cue_set((lang, BASE_LANGUAGE)), generic)
        else:
            lang, result = self._decide(post.text, masked, segs, kept, cue_langs, generic)
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

    @staticmethod
    def _decide(
        text: str,
        masked: str,
        segs: list[Segment],
        kept: list[Entity],
        cue_langs: list[str],
        generic: re.Pattern[str] | None,
    ) -> tuple[str | None, Analysis]:
        """The post's language and analysis when the post does not say its language.

        A cheap vote (function words, letters, cue languages) settles most posts.
        When it is unclear, the language only matters if the post holds cue or
        negator words of more than one candidate language AND the analysis differs
        between them; only then does lingua (~0.5 ms) decide.
        """
        best, sure = leader(votes(text, [seg.tokens for seg in segs], cue_langs))
        first = analyse(
            masked, segs, kept, cue_set((best or BASE_LANGUAGE, BASE_LANGUAGE)), generic
        )
        if sure:
            return best, first
        negators = negator_languages()
        material = set(cue_langs)
        for seg in segs:
            for word in negators.keys() & set(seg.tokens):
                material.update(negators[word])
        material.discard(BASE_LANGUAGE)
        material.discard(best or BASE_LANGUAGE)
        outcome = _outcome(first)
        if all(
            _outcome(analyse(masked, segs, kept, cue_set((code, BASE_LANGUAGE)), generic))
            == outcome
            for code in sorted(material)
        ):
            return best, first
        lang = lingua_language(text) or best
        if lang == best:
            return best, first
        return lang, analyse(
            masked, segs, kept, cue_set((lang or BASE_LANGUAGE, BASE_LANGUAGE)), generic
        )

    def _entities(self, folded: str, brand: str) -> list[Entity]:
        found = self._matcher.all_occurrences(folded)
        entities = [Entity(TARGET, brand, o.start, o.end) for o in found.get(brand, ())]
        comp_names, comp_re = self._competitors.get(brand, ([], None))
        if comp_re is not None and any(a in folded for a in self._competitor_anchors[brand]):
            for m in comp_re.finditer(folded):
                start = m.start()
                if start and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                    continue
                index = int((m.lastgroup or "n0")[1:])
                entities.append(Entity(COMPETITOR, comp_names[index], start, m.end()))
        competitor_set = set(comp_names)
        for other, occurrences in found.items():
            if other == brand:
                continue
            kind = COMPETITOR if other in competitor_set else OTHER
            entities.extend(Entity(kind, other, o.start, o.end) for o in occurrences)
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
        return max(_frac(followers, lo_f, hi_f), _frac(views, lo_v, hi_v))


def _frac(value: int, lo: int, hi: int) -> float:
    if hi <= lo:
        return 1.0
    if value <= lo:
        return 0.0  # log(1) / log(hi / lo): skip the two logs
    if value >= hi:
        return 1.0
    return min(max(math.log(value / lo) / math.log(hi / lo), 0.0), 1.0)


__all__ = ["Claim", "Scorer", "humanize"]
