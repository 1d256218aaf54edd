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
from bot.models import (
    GENERIC_ALTERNATIVE,
    Claim,
    ClaimHit,
    Post,
    ReachTier,
    Reason,
    Score,
    Severity,
    Stance,
)
from bot.scoring.analysis import Analysis, analyse
from bot.scoring.cues import CueSet, cue_set, negator_languages, union_index
from bot.scoring.entities import COMPETITOR, OTHER, TARGET, Entity
from bot.scoring.language import detector, leader, lingua_language, votes
from bot.scoring.policy import ReachThresholds, ScoringPolicy
from bot.scoring.promotion import NONE as NO_PROMOTION
from bot.scoring.promotion import flag, marker_finder
from bot.scoring.reading import BASE_LANGUAGE, Reading, cue_languages, read
from bot.scoring.text import fold_cached, fold_phrase, phrase_pattern


def _names_re(names: Sequence[str]) -> re.Pattern[str] | None:
    """One regex over folded names, longest first; the match text tells which name.

    No look-behind and no groups: every branch starts with a literal, so the engine
    jumps to candidate characters in C (named groups made it try every position);
    `_entities` checks the left word boundary of the few matches instead.
    """
    if not names:
        return None
    parts = []
    for name in names:
        body = r"\s+".join(re.escape(part) for part in name.split(" "))
        right = r"(?!\w)" if name[-1:].isalnum() else ""
        parts.append(f"{body}{right}")
    return re.compile("|".join(parts))


_NO_COMPETITORS: tuple[dict[str, str], None] = ({}, None)


def _outcome(result: Analysis) -> tuple[object, ...]:
    """What a language choice can change that the policy sees."""
    return result.stance, {c.claim for c in result.claims}, result.alternative


def _without_disclosure_tags(
    claims: list[ClaimHit], reasons: list[Reason], disclosures: tuple[str, ...]
) -> list[ClaimHit]:
    """A disclosure is not a claim: "#reklam" or "Werbung:" discloses an ad, no hype complaint."""
    tags = {d.lstrip("#").rstrip(":") for d in disclosures}
    dropped = [hit for hit in claims if hit.phrase in tags]
    for hit in dropped:
        text = f'{hit.claim.value} claim: "{hit.phrase}"'
        reasons[:] = [r for r in reasons if r.text != text]
    return [hit for hit in claims if hit.phrase not in tags]


def humanize(count: int) -> str:
    """420000 -> '420k', 1200000 -> '1.2M'."""
    if count >= 1_000_000:
        return _one_decimal(count, 1_000_000) + "M"
    if count >= 1_000:
        return _one_decimal(count, 1_000) + "k"
    return str(count)


def _one_decimal(count: int, unit: int) -> str:
    """`f"{count / unit:.1f}"` without its trailing ".0", in integer arithmetic.

    Float formatting is a large slice of C code to run once per post; this rounds
    the same way: to the nearest tenth, and a decimal tie the way the float
    `count / unit` lies (exactly on it: to even). Past 2**53 floats lose units.
    """
    if count >= 1 << 53:
        return f"{count / unit:.1f}".rstrip("0").rstrip(".")
    step = unit // 10
    tenths, rest = divmod(count, step)
    if rest * 2 > step:
        tenths += 1
    elif rest * 2 == step:
        num, den = (count / unit).as_integer_ratio()
        side = num * 20 - (2 * tenths + 1) * den  # the float minus the tie, times 20 * den
        if side > 0 or (side == 0 and tenths % 2):
            tenths += 1
    whole, tenth = divmod(tenths, 10)
    return f"{whole}.{tenth}" if tenth else str(whole)


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
        self._index = union_index()
        self._pairs: dict[str, CueSet] = {}  # language -> its cues with English (see _cues)
        self._markers = marker_finder()
        self._matcher = matcher or BrandMatcher(brands)
        # brand -> (folded competitor name -> competitor, one regex over those names)
        self._competitors: dict[str, tuple[dict[str, str], re.Pattern[str] | None]] = {}
        self._competitor_anchors: dict[str, tuple[str, ...]] = {}
        self._generic: dict[str, re.Pattern[str] | None] = {}
        for brand in brands:
            names: dict[str, str] = {}
            for comp in brand.competitors:
                for alias in sorted(comp.all_names, key=len, reverse=True):
                    names.setdefault(fold_phrase(alias), comp.name)
            ordered = sorted(names, key=len, reverse=True)
            self._competitors[brand.name] = (names, _names_re(ordered))
            # a name's longest word appears verbatim in any match (only the spaces
            # between words may vary), so the regex runs only on posts holding one
            self._competitor_anchors[brand.name] = tuple(
                {max(n.split(" "), key=len) for n in ordered}
            )
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
        reading = read(folded, entities, self._index)
        generic = self._generic.get(brand)
        if post.lang:
            lang: str | None = post.lang
            result = analyse(reading, cue_set((lang, BASE_LANGUAGE)), generic)
        else:
            lang, result = self._decide(post.text, reading, generic)
        others = tuple(dict.fromkeys(e.name for e in entities if e.kind != TARGET))
        return self._scored(post, result, lang, others)

    def _scored(
        self, post: Post, result: Analysis, lang: str | None, others: tuple[str, ...]
    ) -> Score:
        """The policy's risk, severity and score for an analysis, with the reach reason."""
        policy = self._policy
        thresholds = policy.reach
        followers = post.author.followers
        views = post.metrics.views
        reach = thresholds.tier(followers, views)
        stance = result.stance
        claims = result.claims  # one hit per claim
        reasons = result.reasons  # a fresh list of this call's analysis
        promotion = None
        if stance is Stance.NEGATIVE:  # only a discouraging post can hide an agenda
            markers = self._markers.find(post.text)
            if markers.disclosures:
                claims = _without_disclosure_tags(claims, reasons, markers.disclosures)
            promotion = flag(stance, result.alternative, markers)
        risk = policy.risk(stance, [hit.claim for hit in claims], result.alternative is not None)
        severity = policy.severity(True, stance, risk, reach)
        alternative = result.alternative
        if alternative and alternative != GENERIC_ALTERNATIVE:
            said = f"recommends {alternative} instead"
            if all(r.text != said for r in reasons):  # named beside the brand, not in a template
                reasons.append(Reason("alternative", f"names {alternative} as the alternative"))
        if promotion is not None:
            severity = policy.promotion.raised(severity, promotion.kind)
            reasons.append(Reason("promotion", promotion.reason()))
        if stance is Stance.NEGATIVE and not claims:
            reasons.append(Reason("claim", "no specific claim"))
        reasons.append(Reason("reach", _reach_text(thresholds, followers, views, reach)))
        # the score of severity NONE is 0 whatever the reach: skip the logs
        fraction = (
            0.0
            if severity is Severity.NONE
            else _reach_fraction(thresholds, followers, views, reach)
        )
        return Score(
            stance=stance,
            claims=tuple(claims),
            alternative=result.alternative,
            reach=reach,
            risk=risk,
            score=policy.score(severity, risk, reach, fraction),
            severity=severity,
            reasons=tuple(reasons),
            lang=lang,
            promotion=promotion.kind if promotion is not None else NO_PROMOTION,
            compared_with=others,
        )

    def _cues(self, lang: str | None) -> CueSet:
        """`lang`'s cues with English; `lang` comes from the vote (a known language)."""
        code = lang or BASE_LANGUAGE
        cues = self._pairs.get(code)
        if cues is None:
            cues = self._pairs[code] = cue_set((code, BASE_LANGUAGE))
        return cues

    def _decide(
        self, text: str, reading: Reading, generic: re.Pattern[str] | None
    ) -> tuple[str | None, Analysis]:
        """The post's language and analysis when the post does not say its language.

        A cheap vote (function words, letters, cue languages) settles most posts.
        When it is unclear, the language only matters if the post holds cue or
        negator words of more than one candidate language AND the analysis differs
        between them; only then does lingua (~0.5 ms) decide.
        """
        cue_langs = cue_languages(reading.hits)
        best, sure = leader(votes(text, reading.tokens, cue_langs))
        first = analyse(reading, self._cues(best), generic)
        if sure:
            return best, first
        negators = negator_languages()
        material = set(cue_langs)
        for word in negators.keys() & set(reading.tokens):
            material.update(negators[word])
        material.discard(BASE_LANGUAGE)
        material.discard(best or BASE_LANGUAGE)
        outcome = _outcome(first)
        if all(
            _outcome(analyse(reading, self._cues(code), generic)) == outcome
            for code in sorted(material)
        ):
            return best, first
        lang = lingua_language(text) or best
        if lang == best:
            return best, first
        return lang, analyse(reading, self._cues(lang), generic)

    def _entities(self, folded: str, brand: str) -> list[Entity]:
        found = self._matcher.all_occurrences(folded)
        entities = [
            Entity(TARGET, brand, o.start, o.end, folded[o.start] == "#")
            for o in found.get(brand, ())
        ]
        names, comp_re = self._competitors.get(brand, _NO_COMPETITORS)
        if comp_re is not None and any(map(folded.__contains__, self._competitor_anchors[brand])):
            for m in comp_re.finditer(folded):
                start = m.start()
                if start and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                    continue
                matched = m.group()
                name = names.get(matched) or names[" ".join(matched.split())]
                entities.append(
                    Entity(COMPETITOR, name, start, m.end(), start > 0 and folded[start - 1] == "#")
                )
        if len(found) > (brand in found):
            competitors = set(names.values())
            for other, occurrences in found.items():
                if other == brand:
                    continue
                kind = COMPETITOR if other in competitors else OTHER
                entities.extend(
                    Entity(kind, other, o.start, o.end, folded[o.start] == "#") for o in occurrences
                )
        return entities


def _reach_text(
    thresholds: ReachThresholds, followers: int | None, views: int | None, reach: ReachTier
) -> str:
    if (
        reach is ReachTier.LARGE
        and (views or 0) >= thresholds.large_min_views
        and ((followers or 0) < thresholds.large_min_followers)
    ) or (reach is ReachTier.MID and (followers or 0) < thresholds.small_max_followers):
        shown = f"{humanize(views or 0)} views"
    elif followers is not None:
        shown = f"{humanize(followers)} followers"
    else:
        shown = "followers unknown" + (f", {humanize(views)} views" if views is not None else "")
    return f"reach: {reach.value} ({shown})"


def _reach_fraction(
    t: ReachThresholds, followers: int | None, views: int | None, reach: ReachTier
) -> float:
    """Where the post sits inside its reach tier, 0..1 on a log scale."""
    followers = max(followers or 0, 1)
    views = max(views or 0, 1)
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
