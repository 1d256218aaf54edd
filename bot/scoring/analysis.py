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
from bot.scoring.cues import CLAIM_KINDS, STANCE_KINDS, CueSet, Template
from bot.scoring.phrases import (
    ENTITY_CLOSE,
    ENTITY_OPEN,
    Phrase,
    entity_index,
    longest_first,
    negated,
    tokenize,
)
from bot.scoring.text import CURRENCY_RE

TARGET, COMPETITOR, OTHER = "target", "competitor", "other"
_SPLIT_RE = re.compile(
    r"(?<=[.!?…])\s+|\n+|\s+[–—-]+\s+|\s\d+[).]\s|🧵|;|(?<=[.!?])(?=[^\s.!?\ue000\d])"
)
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


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str
    name: str
    start: int
    end: int


@dataclass(slots=True)
class Segment:
    text: str
    tokens: list[str]
    owners: frozenset[str]
    entities: tuple[Entity, ...]
    question: bool
    hits: list[tuple[int, int, Phrase]] = field(default_factory=list)


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
        if not kept or ent.start >= kept[-1].end:
            kept.append(ent)
    out, pos = [], 0
    for i, ent in enumerate(kept):
        out.append(folded[pos : ent.start])
        out.append(f" {ENTITY_OPEN}{i}{ENTITY_CLOSE} ")
        pos = ent.end
    out.append(folded[pos:])
    return "".join(out), kept


def segments(masked: str, entities: list[Entity]) -> list[Segment]:
    result: list[Segment] = []
    owners: frozenset[str] = frozenset()
    ents: tuple[Entity, ...] = ()
    for piece in _SPLIT_RE.split(masked):
        if not piece or not piece.strip():
            continue
        tokens = tokenize(piece)
        found = [entities[i] for i in (entity_index(t) for t in tokens) if i is not None]
        if found:
            owners = frozenset(e.kind for e in found)
            ents = tuple(found)
        rhetorical = CURRENCY_RE.search(piece) is not None
        question = ("?" in piece or "¿" in piece) and not rhetorical
        result.append(Segment(piece, tokens, owners, ents, question))
    return result


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


def analyse(
    masked: str, entities: list[Entity], cues: CueSet, extra_generic: re.Pattern[str] | None
) -> Analysis:
    """Stance toward the target entity, with claims, alternative and reasons."""
    segs = segments(masked, entities)
    tally = _Tally()
    claims: list[ClaimHit] = []
    generic: list[str] = []
    recommended: list[str] = []
    mentioned_comp: list[str] = []
    for seg in segs:
        scope = _scope_weight(seg)
        if scope is None:
            continue
        mentioned_comp.extend(e.name for e in seg.entities if e.kind == COMPETITOR)
        seg.hits = cues.index.find(seg.tokens)
        _stance_cues(cues, seg, scope, tally)
        if not seg.question:
            _templates(cues, seg, entities, tally, recommended)
        if scope > 0:
            for claim, phrase in _claim_hits(cues, seg):
                if not seg.question:
                    tally.add(CLAIM_WEIGHT, "claim", f'{claim.value} claim: "{phrase}"')
                if all(c.claim is not claim for c in claims):
                    claims.append(ClaimHit(claim, phrase))
            for phrase in _generic_hits(cues, seg, extra_generic)[:1]:
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
    hits = longest_first([h for h in seg.hits if h[2].kind in _STANCE])
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


def _claim_hits(cues: CueSet, seg: Segment) -> list[tuple[Claim, str]]:
    tokens = seg.tokens
    found: list[tuple[int, Claim, str]] = []
    for start, end, phrase in (h for h in seg.hits if h[2].kind in _CLAIMS):
        if not negated(tokens, start, 2, cues.negators):
            found.append((start, Claim(phrase.kind), " ".join(tokens[start:end]).lstrip("#")))
    if cues.amount_re is not None:
        for m in CURRENCY_RE.finditer(seg.text):
            follow = cues.amount_re.match(seg.text, m.end())
            if follow is not None:
                found.append(
                    (-1, Claim.PRICE, " ".join(seg.text[m.start() : follow.end()].split()))
                )
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
    for kind, entity, text in _template_hits(cues, seg.tokens, entities):
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


def _slot(tokens: list[str], pos: int, cues: CueSet) -> tuple[int, int | None] | None:
    """Position and entity number (None for a pronoun) of a slot within two filler words."""
    for skip in range(3):
        i = pos + skip
        if i >= len(tokens):
            return None
        ent = entity_index(tokens[i])
        if ent is not None:
            return i, ent
        if tokens[i] in cues.pronouns:
            return i, None
    return None


def _template_match(
    tpl: Template, tokens: list[str], i: int, cues: CueSet
) -> tuple[int, int | None, bool] | None:
    n = len(tpl.before)
    if tokens[i : i + n] != list(tpl.before):
        return None
    slot = (
        _slot(tokens, i + n, cues)
        if n
        else ((i, entity_index(tokens[i])) if entity_index(tokens[i]) is not None else None)
    )
    if slot is None:
        return None
    pos, ent = slot
    after = list(tpl.after)
    if tokens[pos + 1 : pos + 1 + len(after)] != after:
        return None
    denied = any(t in cues.negators for t in tokens[i + n : pos]) or negated(
        tokens, i, 2, cues.negators
    )
    return pos + 1 + len(after), ent, denied


def _template_hits(
    cues: CueSet, tokens: list[str], entities: list[Entity]
) -> list[tuple[str, Entity | None, str]]:
    """(kind, entity or None, phrase) for slot templates, longest match first."""
    raw: list[tuple[int, int, str, Entity | None]] = []
    for i, tok in enumerate(tokens):
        candidates = cues.templates_by_first.get(tok, ())
        if tok.startswith(ENTITY_OPEN):
            candidates = (*candidates, *cues.templates_by_first.get("", ()))
        for tpl in candidates:
            found = _template_match(tpl, tokens, i, cues)
            if found is None:
                continue
            end, ent, denied = found
            kind = "target_negative" if tpl.kind == "recommend" and denied else tpl.kind
            if ent is not None:
                raw.append((i, end, kind, entities[ent]))
            elif kind == "recommend":
                before = [
                    entities[e] for e in (entity_index(t) for t in tokens[:i]) if e is not None
                ]
                raw.append(
                    (
                        i,
                        end,
                        kind,
                        next((e for e in reversed(before) if e.kind == COMPETITOR), None),
                    )
                )
    taken: list[tuple[int, int, str, Entity | None]] = []
    for hit in sorted(raw, key=lambda h: (h[0] - h[1], h[0])):
        if all(hit[1] <= t[0] or hit[0] >= t[1] for t in taken):
            taken.append(hit)
    out: list[tuple[str, Entity | None, str]] = []
    for s, e, kind, entity in sorted(taken, key=lambda h: h[0]):
        words = [entities[x].name if (x := entity_index(t)) is not None else t for t in tokens[s:e]]
        out.append((kind, entity, " ".join(words)))
    return out
