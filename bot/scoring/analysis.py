"""Stance, claims and alternative toward one brand, from the cue hits of one Reading.

Each cue adds a signed weight; the sum decides the stance and the last cue breaks
a tie (the clause after "but" wins). Every counted cue becomes a human-readable
reason. One loop over the segments sorts each segment's hits once into stance
cues, claims and a generic alternative, then writes the segment's reasons in a
fixed order: stance cues, templates, claims, generic. Everything works on token
indexes of the post's one token list (see `reading`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from bot.models import GENERIC_ALTERNATIVE, Claim, ClaimHit, Reason, Stance
from bot.scoring.cues import (
    CHEAPER,
    CLAIM_KINDS,
    RHETORICAL,
    SALE,
    STORE,
    WONDER,
    CueSet,
    contrast_words,
)
from bot.scoring.entities import TARGET
from bot.scoring.listing import list_headers, listed, may_hold_lists
from bot.scoring.phrases import longest_first, negated, negated_after
from bot.scoring.reading import BASE_LANGUAGE, Hit, Reading, Segment
from bot.scoring.templates import template_hits, template_spots
from bot.scoring.text import CURRENCY_RE

_MONEY_HINT_RE = re.compile(r"\d")  # no digit, no amount: skip the slower currency scan
_OUTRAGE_RE = re.compile(r"\s?[?!]+")  # an amount that ends in "??" or "!!" is a complaint
_INCREDULOUS = ("??", "?!", "!?")  # ... or one in a sentence that ends like that
_DENIED_AFTER = 4  # words after "the only one that doesn't" that it denies
_AMOUNT = -1  # where an amount's claim sorts among a segment's claims: first
_PAID_REACH = 24  # characters before an amount searched for "cost", "kostet", "pagué"
_TOPIC_RE = re.compile(r"#d[ei]s?-?influenc\w*")
WEIGHTS = {  # the stance kinds
    "negative": -1.0,
    "positive": 1.0,
    "strong_positive": 3.0,
    "hedge": -1.0,
    "sarcasm": -1.0,
}
_LABELS = {kind: kind.replace("strong_", "") for kind in WEIGHTS}
CLAIM_WEIGHT = -1.0
GENERIC_WEIGHT = -0.5
TEMPLATE_WEIGHT = 2.0
TOPIC_WEIGHT = -0.5  # a #deinfluencing post leans negative unless a cue says otherwise
_CLAIMS = {**{kind: Claim(kind) for kind in CLAIM_KINDS}, CHEAPER: Claim.PRICE}
_KEPT_WHEN_NOT_NEGATIVE = frozenset({"stance", "sarcasm"})
_PRAISE = frozenset({"positive", "strong_positive"})
# Reason openings that mean "the brand wins over a rival" (opportunities look for them).
RECOMMENDED = "recommended"
ABOUT_RIVAL = "about a competitor, "


@dataclass(slots=True)
class Analysis:
    stance: Stance
    claims: list[ClaimHit] = field(default_factory=list)
    alternative: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    total: float = 0.0


def active(
    hits: list[Hit], langs: tuple[str, ...], false_friends: frozenset[str] = frozenset()
) -> list[Hit]:
    """Hits of the post's languages, the post's own language first where two share a start.

    An English one-word cue that is another word in the post's language ("fire" is
    four in Norwegian, "worst" a sausage in Dutch) does not count.
    """
    primary = langs[0]
    kept = [
        h
        for h in hits
        if h[2].lang in langs
        and not (
            false_friends
            and h[2].lang == BASE_LANGUAGE
            and len(h[2].tokens) == 1
            and h[2].tokens[0] in false_friends
        )
    ]
    if len(kept) > 1 and primary != BASE_LANGUAGE:
        kept.sort(key=lambda h: (h[0], h[2].lang != primary))
    return kept


def analyse(reading: Reading, cues: CueSet, extra_generic: re.Pattern[str] | None) -> Analysis:
    """Stance toward the target entity, with claims, alternative and reasons.

    `reading.hits` holds every language's cues; only the hits of `cues.langs` count.
    Every weight is non-zero (cue weights times a scope of 1 or -0.5), so when the
    sum is zero, the last weight's sign decides.
    """
    weights: list[float] = []
    reasons: list[Reason] = []
    claims: list[ClaimHit] = []
    generic = False
    shop: str | None = None  # the first shop named where the brand is discussed
    recommended: list[str] = []
    competitor: str | None = None  # the first competitor named in a segment that counts
    masked = reading.masked
    tokens = reading.tokens
    hits = active(reading.hits, cues.langs, cues.false_friends) if reading.hits else []
    headers = list_headers(tokens, hits, cues.negators) if may_hold_lists(masked) else []
    if headers:  # a list header's words speak for its items, not for the post
        hits = [h for h in hits if not any(x.lo <= h[0] < x.colon for x in headers)]
    # Post-level gates: most posts hold no amount, no brand-specific generic phrase and
    # few template words, so those per-segment scans are skipped outright.
    money = reading.money and cues.amount_re is not None
    extra = extra_generic if extra_generic is not None and extra_generic.search(masked) else None
    spots = template_spots(cues, tokens, reading.entity_spots)
    h = k = 0
    for seg in reading.segments:
        hi = seg.hi
        own: list[Hit] = []
        if h < len(hits) and hits[h][0] < hi:
            j = bisect_left(hits, (hi,), h)  # (hi,) sorts before every hit starting at hi
            own, h = hits[h:j], j
        here: list[int] = []
        if k < len(spots) and spots[k] < hi:
            j = bisect_left(spots, hi, k)
            here, k = spots[k:j], j
        scope = seg.scope
        if scope is None:
            continue
        if competitor is None:
            competitor = seg.competitor
        stance: list[Hit] = []
        claimed: list[Hit] = []
        suggested: str | None = None  # the segment's first generic phrase
        question = seg.question
        rhetoric: list[Hit] = []
        wonders = False
        sales: list[Hit] = []
        generics: list[Hit] = []
        for hit in own:
            kind = hit[2].kind
            if kind in WEIGHTS:
                stance.append(hit)
            elif kind in _CLAIMS:
                claimed.append(hit)
            elif kind == "generic":
                generics.append(hit)
                if suggested is None:
                    suggested = " ".join(tokens[hit[0] : hit[1]])
            elif kind == RHETORICAL:
                rhetoric.append(hit)
            elif kind == WONDER:
                wonders = True
            elif kind == SALE:
                sales.append(hit)
            elif kind == STORE and shop is None and scope > 0 and not seg.question:
                shop = " ".join(tokens[hit[0] : hit[1]])
        if rhetoric:  # "am I the only one whose…?" states, it does not ask; nor is it praise
            question = False
            stance = [h for h in stance if not any(r[0] <= h[0] and h[1] <= r[1] for r in rhetoric)]
        elif wonders:
            question = True
        if claimed and stance:  # "pricey, but worth every cent": the price is conceded
            claimed = _conceded(tokens, seg, stance, claimed)
        if stance and claimed:  # "faded my dark spots" is praise, not a faded colour
            claimed = _outside_praise(stance, claimed, cues.negators)
        if len(claimed) > 1:  # "ble dårlig" (fell ill) is safety, not also "dårlig" quality
            claimed = _outermost(claimed)
        if stance:
            _stance_cues(cues, tokens, seg, question, stance, scope, weights, reasons)
        if here and not question:
            _templates(cues, tokens, seg, here, reading, weights, reasons, recommended)
        # "on sale at Matas for 199 kr": news of an offer, neither a price complaint nor
        # another place to buy; but "buy any pair on sale" is the generic alternative
        offer = bool(sales) and not _within(sales, generics)
        priced = money and not offer
        if offer:
            suggested = None
        if scope < 0:  # a rival's segment: only "half the price" says something of the brand
            claimed = [hit for hit in claimed if hit[2].kind == CHEAPER]
            priced = False
        if claimed or priced:
            for claim, phrase, worded in _claim_hits(cues, tokens, seg, claimed, priced):
                if not question:
                    if worded:
                        weights.append(CLAIM_WEIGHT)
                    reasons.append(Reason("claim", f'{claim.value} claim: "{phrase}"'))
                if all(c.claim is not claim for c in claims):
                    claims.append(ClaimHit(claim, phrase))
        if scope < 0:
            continue
        if suggested is None and extra is not None and not offer:
            found = extra.search(seg.text)
            suggested = found.group(0) if found is not None else None
        if suggested is not None and not question:  # "is it at the drugstore yet?" asks
            generic = True
            weights.append(GENERIC_WEIGHT)
            reasons.append(Reason("alternative", f'suggests a generic alternative: "{suggested}"'))
    for header in headers:
        keep = listed(header, tokens, reading.entities)
        if keep is not None:
            weights.append(TEMPLATE_WEIGHT if keep else -TEMPLATE_WEIGHT)
            label = "positive" if keep else "negative"
            reasons.append(Reason("stance", f'{label}: listed under "{header.text}"'))
    topic = _TOPIC_RE.search(masked) if "#d" in masked else None
    if topic is not None and not all(seg.question for seg in reading.segments if seg.scope == 1.0):
        weights.append(TOPIC_WEIGHT)
        reasons.append(Reason("stance", f'negative lean: "{topic.group(0)}" post'))
    if not weights:  # no reasons, or only an amount
        return Analysis(Stance.NEUTRAL)
    total = 0.0
    for weight in weights:  # in order, one by one: the same float sum as ever
        total += weight
    if total < 0 or (total == 0 and weights[-1] < 0):
        alternative = recommended[0] if recommended else competitor
        if alternative is None and generic:
            alternative = GENERIC_ALTERNATIVE
        elif alternative is None and shop is not None:  # "...just get the one from Matas"
            alternative = GENERIC_ALTERNATIVE
            reasons.append(Reason("alternative", f'suggests a generic alternative: "{shop}"'))
        return Analysis(Stance.NEGATIVE, claims, alternative, reasons, total)
    kept = [r for r in reasons if r.kind in _KEPT_WHEN_NOT_NEGATIVE]
    return Analysis(Stance.POSITIVE, reasons=kept, total=total)


def _stance_cues(
    cues: CueSet,
    tokens: list[str],
    seg: Segment,
    question: bool,
    hits: list[Hit],
    scope: float,
    weights: list[float],
    reasons: list[Reason],
) -> None:
    """Stance reasons of one segment; `hits` are its stance hits in text order."""
    if len(hits) > 1 and _overlap(hits):
        hits = longest_first(hits)
    sarcastic = hedged = False
    for hit in hits:
        kind = hit[2].kind
        sarcastic = sarcastic or kind == "sarcasm"
        hedged = hedged or kind == "hedge"
    negators = cues.negators
    after = cues.negation_follows
    lo = seg.lo
    prefix = "" if scope > 0 else ABOUT_RIVAL
    for start, end, phrase in hits:
        kind = phrase.kind
        if question and kind != "strong_positive":
            continue
        text = tokens[start] if end == start + 1 else " ".join(tokens[start:end])
        weight, label = WEIGHTS[kind], _LABELS[kind]
        # words are negated, an emoji is not ("ikke reklame 🫶" denies the ad, not the ❤)
        worded = phrase.tokens[0] not in negators and phrase.tokens[0][:1].isalnum()
        if kind == "positive" and (
            sarcastic
            or (
                worded
                and (
                    negated(tokens, start, 3, negators, lo)
                    or (after and negated_after(tokens, end, 2, negators, seg.hi))
                )
            )
        ):
            weight, label = -1.0, "negative"
            text = text if sarcastic else "not " + text
        elif (
            kind == "negative"
            and not hedged
            and worded
            and (
                negated(tokens, start, 2, negators, lo)
                or (after and negated_after(tokens, end, 1, negators, seg.hi))
            )
        ):
            # "zero regrets", "no complaints", "jeg fortryder ikke": a denied complaint is none
            continue
        weights.append(weight * scope)
        reasons.append(
            Reason(
                "sarcasm" if kind == "sarcasm" else "stance",
                f'{prefix}{label}: "{text}" ({phrase.lang})',
            )
        )


def _conceded(tokens: list[str], seg: Segment, stance: list[Hit], claimed: list[Hit]) -> list[Hit]:
    """Claims before a "but" that praise follows are conceded, not complained about."""
    contrast = contrast_words()
    turn = next((i for i in range(seg.lo, seg.hi) if tokens[i] in contrast), None)
    if turn is None or not any(h[0] > turn and h[2].kind in _PRAISE for h in stance):
        return claimed
    return [h for h in claimed if h[0] > turn]


def _outside_praise(stance: list[Hit], claimed: list[Hit], negators: frozenset[str]) -> list[Hit]:
    """Claim hits that are not part of a longer positive cue.

    Praise that ends in a negator denies what follows it: in "the only sunscreen that
    doesn't sting my eyes" the sting is no claim (up to `_DENIED_AFTER` words on).
    """
    praise = [
        (s, e + _DENIED_AFTER if p.tokens[-1] in negators else e)
        for s, e, p in stance
        if p.kind in _PRAISE and e - s > 1
    ]
    if not praise:
        return claimed
    return [h for h in claimed if not any(s <= h[0] and h[1] <= e for s, e in praise)]


def _outermost(hits: list[Hit]) -> list[Hit]:
    """Hits not inside a longer hit (the same words read as one claim, the longer one)."""
    return [
        h
        for h in hits
        if not any(s <= h[0] and h[1] <= e and e - s > h[1] - h[0] for s, e, _ in hits)
    ]


def _within(hits: list[Hit], others: list[Hit]) -> bool:
    """Whether every hit lies inside one of `others` (the same words read two ways)."""
    return all(any(s <= h[0] and h[1] <= e for s, e, _ in others) for h in hits)


def _overlap(hits: list[Hit]) -> bool:
    """Whether hits sorted by start overlap (else `longest_first` would keep them all)."""
    end = hits[0][1]
    for start, stop, _ in hits[1:]:
        if start < end:
            return True
        end = stop
    return False


def _templates(
    cues: CueSet,
    tokens: list[str],
    seg: Segment,
    spots: list[int],
    reading: Reading,
    weights: list[float],
    reasons: list[Reason],
    recommended: list[str],
) -> None:
    for kind, entity, text in template_hits(cues, tokens, spots, seg.lo, seg.hi, reading.entities):
        if entity is not None and entity.kind == TARGET:
            negative = kind == "target_negative"
            weights.append(-TEMPLATE_WEIGHT if negative else TEMPLATE_WEIGHT)
            label = "negative" if negative else RECOMMENDED
            reasons.append(Reason("stance", f'{label}: "{text}"'))
        elif kind == "recommend":
            name = entity.name if entity is not None else None
            weights.append(-TEMPLATE_WEIGHT)
            reasons.append(
                Reason(
                    "alternative",
                    f"recommends {name} instead"
                    if name
                    else f'recommends something else: "{text}"',
                )
            )
            if name:
                recommended.append(name)


def _claim_hits(
    cues: CueSet, tokens: list[str], seg: Segment, claimed: list[Hit], money: bool
) -> list[tuple[Claim, str, bool]]:
    """(claim, phrase, said in words) in the segment; `money`: the post holds an amount.

    A claim read only from an amount ("12,95 € für 50 ml") is not said in words: it
    is a claim when the post complains, but it does not make a post a complaint. An
    amount ending in "??" or "!!" ("499 €??") is the writer's opinion of the price.
    """
    found: list[tuple[int, Claim, str, bool]] = []
    for start, end, phrase in claimed:
        if not negated(tokens, start, 3, cues.negators, seg.lo):
            said = tokens[start] if end == start + 1 else " ".join(tokens[start:end])
            found.append((start, _CLAIMS[phrase.kind], said.lstrip("#"), True))
    text = seg.text
    amount_re, paid_re = cues.amount_re, cues.paid_re
    if money and amount_re is not None and _MONEY_HINT_RE.search(text) is not None:
        # "400€ por el AeroCurl??": the sentence's own disbelief is about its amount, and so
        # is a "?" in a sentence that does not open like a question ("but £180 for a shirt?")
        incredulous = any(mark in text for mark in _INCREDULOUS) or (
            "?" in text and not seg.question
        )
        for m in CURRENCY_RE.finditer(text):
            start, end = m.start(), m.end()
            outrage = _OUTRAGE_RE.match(text, end)
            paid = paid_re.search(text, max(0, start - _PAID_REACH), start) if paid_re else None
            if paid is not None:  # "cost $68": the amount after a verb of paying
                start, end = paid.start(), start + len(text[start:end].rstrip(".,"))
            else:  # "$40 for a lip oil", "229 kr??"
                follow = amount_re.match(text, end) or outrage
                if follow is None:
                    continue
                end = follow.end()
            said = " ".join(text[start:end].split())
            found.append((_AMOUNT, Claim.PRICE, said, incredulous or outrage is not None))
    if len(found) < 2:
        return [(claim, said, worded) for _, claim, said, worded in found]
    worded = {claim for _, claim, _, w in found if w}
    seen: set[Claim] = set()
    result = []
    for _, claim, said, _ in sorted(found, key=lambda f: f[0]):
        if claim not in seen:
            seen.add(claim)
            result.append((claim, said, claim in worded))
    return result
