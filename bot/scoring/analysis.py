"""Stance, claims and alternative toward one brand, from cue hits in the post.

The post is folded, every brand and competitor mention is masked as an entity,
and the text is cut into segments ("Tundra cup - leaked. GlowLab - keep it").
A segment belongs to the entities it names, or to the ones before it, so cues
about another product never count against the brand under test. Each cue adds a
signed weight; the sum decides the stance and the last cue breaks a tie (the
clause after "but" wins). Every counted cue becomes a human-readable reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.models import GENERIC_ALTERNATIVE, Claim, ClaimHit, Reason, Stance
from bot.scoring.cues import CLAIM_KINDS, STANCE_KINDS, CueSet, union_index
from bot.scoring.entities import COMPETITOR, TARGET, Entity
from bot.scoring.phrases import (
    ENTITY_CLOSE,
    ENTITY_OPEN,
    MAX_ENTITIES,
    SEPARATOR,
    Phrase,
    longest_first,
    negated,
    tokenize,
)
from bot.scoring.templates import template_hits
from bot.scoring.text import CURRENCY_RE

BASE_LANGUAGE = "en"  # English cues always apply: code-switching ("niet kopen, not worth it")
Hit = tuple[int, int, Phrase]
# Where a post is cut into segments: after sentence-end punctuation (groups 1 and 2,
# kept with the segment before), at newlines, spaced dashes, list numbers ("2) "),
# 🧵 and ";". The leading look-ahead lets the scan skip most characters with one
# class test; a bare alternation (with look-behinds) made it ~3x slower.
_CUT_RE = re.compile(
    r"(?=[.!?…\n;🧵–—\-\d])(?:([.!?…])\s+|\n+|[–—-](?<=\s[–—-])[–—-]*\s+"
    r"|\d(?<=\s\d)\d*[).]\s|🧵|;|([.!?])(?=[^\s.!?\ue000\d]))"
)
_MONEY_HINT_RE = re.compile(r"\d")  # no digit, no amount: skip the slower currency scan
_ENTITY_RE = re.compile(ENTITY_OPEN + r"(\d+)" + ENTITY_CLOSE)
_TOPIC_RE = re.compile(r"#d[ei]s?-?influenc\w*")
WEIGHTS = {
    "negative": -1.0,
    "positive": 1.0,
    "strong_positive": 3.0,
    "hedge": -1.0,
    "sarcasm": -1.0,
}
CLAIM_WEIGHT = -1.0
GENERIC_WEIGHT = -0.5
TEMPLATE_WEIGHT = 2.0
COMPARISON_WEIGHT = 0.5  # cues in a competitor-only segment count half, reversed
TOPIC_WEIGHT = -0.5  # a #deinfluencing post leans negative unless a cue says otherwise
_STANCE = frozenset(STANCE_KINDS)
_CLAIMS = frozenset(CLAIM_KINDS)
_GENERIC = frozenset({"generic"})


@dataclass(slots=True)
class Segment:
    text: str
    tokens: list[str]
    owners: frozenset[str]
    entities: tuple[Entity, ...]
    question: bool
    hits: list[Hit] = field(default_factory=list)  # the hits that count (analyse sets them)
    all_hits: list[Hit] = field(default_factory=list)  # every language's (find_cues)


@dataclass
class Analysis:
    stance: Stance
    claims: list[ClaimHit] = field(default_factory=list)
    alternative: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    total: float = 0.0


def mask(folded: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Replace each non-overlapping entity span by one entity token; return text and entities."""
    kept: list[Entity] = []
    for ent in sorted(entities, key=lambda e: (e.start, -(e.end - e.start))):
        if (not kept or ent.start >= kept[-1].end) and len(kept) < MAX_ENTITIES:
            kept.append(ent)
    out, pos = [], 0
    for i, ent in enumerate(kept):
        out.append(folded[pos : ent.start])
        out.append(f" {ENTITY_OPEN}{i}{ENTITY_CLOSE} ")
        pos = ent.end
    out.append(folded[pos:])
    return "".join(out), kept


def _pieces(masked: str) -> list[str]:
    # split() yields piece, group 1, group 2, piece, ...; a cut's punctuation (group 1
    # or 2) stays with the piece before it.
    parts: list[str | None] = _CUT_RE.split(masked)
    last = len(parts) - 1
    pieces = [f"{parts[i]}{parts[i + 1] or parts[i + 2] or ''}" for i in range(0, last, 3)]
    pieces.append(parts[last] or "")
    return pieces


def segments(masked: str, entities: list[Entity]) -> list[Segment]:
    """Cut masked text into segments; each knows the entities it (or the one before) names."""
    result: list[Segment] = []
    owners: frozenset[str] = frozenset()
    ents: tuple[Entity, ...] = ()
    for piece in _pieces(masked):
        if not piece or piece.isspace():
            continue
        tokens = tokenize(piece)
        if ENTITY_OPEN in piece:
            found = [entities[int(i)] for i in _ENTITY_RE.findall(piece)]
            owners = frozenset(e.kind for e in found)
            ents = tuple(found)
        question = ("?" in piece or "¿" in piece) and CURRENCY_RE.search(piece) is None
        result.append(Segment(piece, tokens, owners, ents, question, [], []))
    return result


def find_cues(segs: list[Segment]) -> list[str]:
    """Fill every segment's hits from all languages' cues; return the languages they reveal.

    One lookup for the whole post: the segments' tokens joined by a separator
    token no phrase can match, so no phrase spans two segments. A span only
    reveals a language when no other language has a cue there too ("marketing",
    "top" and "perfect" are cues in several files); English is left out, since
    English cues turn up in every language's posts.
    """
    tokens: list[str] = []
    ends: list[int] = []
    for seg in segs:
        tokens += seg.tokens
        ends.append(len(tokens))
        tokens.append(SEPARATOR)
    hits = union_index().find(tokens)
    if not hits:
        return []
    i, count, offset = 0, len(hits), 0
    for seg, end in zip(segs, ends, strict=True):
        if i < count and hits[i][0] < end:
            own = []
            while i < count and hits[i][0] < end:
                start, stop, phrase = hits[i]
                own.append((start - offset, stop - offset, phrase))
                i += 1
            seg.all_hits = own
        offset = end + 1
    spans: dict[tuple[int, int], set[str]] = {}
    for start, stop, phrase in hits:
        spans.setdefault((start, stop), set()).add(phrase.lang)
    return [
        code
        for found in spans.values()
        if len(found) == 1 and (code := next(iter(found))) != BASE_LANGUAGE
    ]


def _scope_weight(seg: Segment) -> float | None:
    """1 for the brand's own segments, -0.5 for competitor-only ones, None to ignore."""
    if not seg.owners or TARGET in seg.owners:
        return 1.0
    if COMPETITOR in seg.owners:
        return -COMPARISON_WEIGHT
    return None


class _Tally:
    """Running sum of signed cue weights, with the reasons behind them."""

    def __init__(self) -> None:
        self.total = 0.0
        self.last_sign = 0.0
        self.negative_evidence = False
        self.reasons: list[Reason] = []

    def add(self, weight: float, kind: str, text: str) -> None:
        self.total += weight
        if weight:
            self.last_sign = 1.0 if weight > 0 else -1.0
        self.negative_evidence = self.negative_evidence or weight < 0
        self.reasons.append(Reason(kind, text))

    def stance(self) -> Stance:
        if self.total < 0 or (self.total == 0 and self.last_sign < 0):
            return Stance.NEGATIVE
        if self.total > 0 or (self.total == 0 and self.last_sign > 0):
            return Stance.POSITIVE
        return Stance.NEGATIVE if self.negative_evidence else Stance.NEUTRAL


def _active(hits: list[Hit], langs: tuple[str, ...]) -> list[Hit]:
    """Hits of the post's languages, the post's own language first where two share a span."""
    primary = langs[0]
    kept = [h for h in hits if h[2].lang in langs]
    if len(kept) > 1 and primary != BASE_LANGUAGE:
        kept.sort(key=lambda h: (h[0], h[2].lang != primary))
    return kept


def analyse(
    masked: str,
    segs: list[Segment],
    entities: list[Entity],
    cues: CueSet,
    extra_generic: re.Pattern[str] | None,
) -> Analysis:
    """Stance toward the target entity, with claims, alternative and reasons.

    `segs` come from `segments` with hits from `find_cues` (every language);
    only the hits of `cues.langs` count.
    """
    tally = _Tally()
    claims: list[ClaimHit] = []
    generic: list[str] = []
    recommended: list[str] = []
    mentioned_comp: list[str] = []
    langs = cues.langs
    # Post-level gates: most posts hold no amount, no brand-specific generic phrase and
    # no template's first word, so those per-segment scans are skipped outright.
    money = cues.amount_re is not None and CURRENCY_RE.search(masked) is not None
    extra = extra_generic if extra_generic is not None and extra_generic.search(masked) else None
    firsts = cues.template_firsts.intersection([t for seg in segs for t in seg.tokens])
    slot_first = bool(cues.slot_first)
    for seg in segs:
        scope = _scope_weight(seg)
        if scope is None:
            continue
        if seg.entities:
            mentioned_comp.extend(e.name for e in seg.entities if e.kind == COMPETITOR)
        hits = seg.hits = _active(seg.all_hits, langs) if seg.all_hits else []
        if hits:
            _stance_cues(cues, seg, scope, tally)
        if not seg.question and (firsts or (slot_first and ENTITY_OPEN in seg.text)):
            _templates(cues, seg, entities, tally, recommended)
        if scope > 0 and (hits or money or extra is not None):
            for claim, phrase in _claim_hits(cues, seg, money):
                if not seg.question:
                    tally.add(CLAIM_WEIGHT, "claim", f'{claim.value} claim: "{phrase}"')
                if all(c.claim is not claim for c in claims):
                    claims.append(ClaimHit(claim, phrase))
            for phrase in _generic_hits(cues, seg, extra)[:1]:
                generic.append(phrase)
                tally.add(
                    GENERIC_WEIGHT, "alternative", f'suggests a generic alternative: "{phrase}"'
                )
    topic = _TOPIC_RE.search(masked)
    if topic is not None and not all(seg.question for seg in segs if _scope_weight(seg) == 1.0):
        tally.add(TOPIC_WEIGHT, "stance", f'negative lean: "{topic.group(0)}" post')
    if not tally.reasons:
        return Analysis(Stance.NEUTRAL)
    stance = tally.stance()
    if stance is not Stance.NEGATIVE:
        kept = [r for r in tally.reasons if r.kind in {"stance", "sarcasm"}]
        return Analysis(stance, reasons=kept, total=tally.total)
    named = recommended or mentioned_comp
    alternative: str | None = named[0] if named else None
    if alternative is None and generic:
        alternative = GENERIC_ALTERNATIVE
    return Analysis(stance, claims, alternative, tally.reasons, tally.total)


def _stance_cues(cues: CueSet, seg: Segment, scope: float, tally: _Tally) -> None:
    tokens = seg.tokens
    hits = [h for h in seg.hits if h[2].kind in _STANCE]
    if not hits:
        return
    if len(hits) > 1:
        hits = longest_first(hits)
    sarcastic = any(p.kind == "sarcasm" for _, _, p in hits)
    hedged = any(p.kind == "hedge" for _, _, p in hits)
    for start, end, phrase in hits:
        kind = phrase.kind
        if seg.question and kind != "strong_positive":
            continue
        text = " ".join(tokens[start:end])
        weight, label = WEIGHTS[kind], kind.replace("strong_", "")
        self_negated = phrase.tokens[0] in cues.negators
        if kind == "positive" and (
            sarcastic or (not self_negated and negated(tokens, start, 3, cues.negators))
        ):
            weight, label = -1.0, "negative"
            text = text if sarcastic else "not " + text
        elif kind == "negative" and not hedged and negated(tokens, start, 2, cues.negators):
            continue  # "zero regrets", "no complaints": a denied complaint is no complaint
        prefix = "" if scope > 0 else "about a competitor, "
        tally.add(
            weight * scope,
            "sarcasm" if kind == "sarcasm" else "stance",
            f'{prefix}{label}: "{text}" ({phrase.lang})',
        )


def _claim_hits(cues: CueSet, seg: Segment, money: bool = True) -> list[tuple[Claim, str]]:
    """Claims in the segment; `money` False when the post holds no amount at all."""
    tokens = seg.tokens
    found: list[tuple[int, Claim, str]] = []
    for start, end, phrase in seg.hits:
        if phrase.kind in _CLAIMS and not negated(tokens, start, 2, cues.negators):
            found.append((start, Claim(phrase.kind), " ".join(tokens[start:end]).lstrip("#")))
    if money and cues.amount_re is not None and _MONEY_HINT_RE.search(seg.text) is not None:
        for m in CURRENCY_RE.finditer(seg.text):
            follow = cues.amount_re.match(seg.text, m.end())
            if follow is not None:
                found.append(
                    (-1, Claim.PRICE, " ".join(seg.text[m.start() : follow.end()].split()))
                )
    if len(found) < 2:
        return [(claim, text) for _, claim, text in found]
    seen: set[Claim] = set()
    result = []
    for _, claim, text in sorted(found, key=lambda f: f[0]):
        if claim not in seen:
            seen.add(claim)
            result.append((claim, text))
    return result


def _generic_hits(cues: CueSet, seg: Segment, extra: re.Pattern[str] | None) -> list[str]:
    hits = [" ".join(seg.tokens[s:e]) for s, e, p in seg.hits if p.kind in _GENERIC]
    if extra is not None:
        hits.extend(m.group(0) for m in extra.finditer(seg.text))
    return hits


def _templates(
    cues: CueSet, seg: Segment, entities: list[Entity], tally: _Tally, recommended: list[str]
) -> None:
    for kind, entity, text in template_hits(cues, seg.tokens, entities):
        if entity is not None and entity.kind == TARGET:
            sign = -1.0 if kind == "target_negative" else 1.0
            tally.add(
                sign * TEMPLATE_WEIGHT,
                "stance",
                f'{"negative" if sign < 0 else "recommended"}: "{text}"',
            )
        elif kind == "recommend":
            name = entity.name if entity is not None else None
            tally.add(
                -TEMPLATE_WEIGHT,
                "alternative",
                f"recommends {name} instead" if name else f'recommends something else: "{text}"',
            )
            if name:
                recommended.append(name)
