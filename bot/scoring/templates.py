"""Slot templates ("buy {X} instead", "{X} is better"): who is recommended or dismissed.

Templates are looked up by their first word (or, for a slot-first template, by
the word after the entity), so a post only pays for the few words that start one.
They work on one segment, tokens lo..hi of the post's token list.
"""

from __future__ import annotations

from itertools import compress, count

from bot.scoring.cues import CueSet, Template
from bot.scoring.entities import COMPETITOR, Entity
from bot.scoring.phrases import CLAUSE_END, ENTITY_IDS, negated


def _slot(tokens: list[str], pos: int, hi: int, cues: CueSet) -> tuple[int, int | None] | None:
    """Position and entity number (None for a pronoun) of a slot within two filler words.

    "than" is no filler: "mejor que ZestUp" says better than ZestUp, not "buy ZestUp".
    """
    for i in range(pos, pos + 3):
        if i >= hi:
            return None
        tok = tokens[i]
        ent = ENTITY_IDS.get(tok)
        if ent is not None:
            return i, ent
        if tok in cues.pronouns:
            return i, None
        if tok in cues.than or tok in CLAUSE_END:  # nor does a slot reach across ":"
            return None
    return None


def _template_match(
    tpl: Template, tokens: list[str], i: int, lo: int, hi: int, cues: CueSet
) -> tuple[int, int | None, bool] | None:
    n = len(tpl.before)
    if n > 1 and (i + n > hi or not _words_match(tpl.before, tokens, i)):
        return None
    if n:
        slot = _slot(tokens, i + n, hi, cues)
    else:
        ent = ENTITY_IDS.get(tokens[i])
        slot = None if ent is None else (i, ent)
    if slot is None:
        return None
    pos, ent = slot
    after = tpl.after
    if after and (
        pos + 1 + len(after) > hi or tuple(tokens[pos + 1 : pos + 1 + len(after)]) != after
    ):
        return None
    negators = cues.negators
    denied = any(t in negators for t in tokens[i + n : pos]) or negated(tokens, i, 2, negators, lo)
    return pos + 1 + len(after), ent, denied


def _words_match(words: tuple[str, ...], tokens: list[str], i: int) -> bool:
    """`words` at tokens[i:]; a "*" takes any one word or name ("switched from * to {X}")."""
    if "*" not in words:
        return tuple(tokens[i : i + len(words)]) == words
    return all(
        want == got or (want == "*" and got not in CLAUSE_END)
        for want, got in zip(words, tokens[i : i + len(words)], strict=True)
    )


def template_spots(cues: CueSet, tokens: list[str], entity_spots: list[int]) -> list[int]:
    """Token indexes where a template of `cues` may start, in text order.

    A template's first word, or an entity followed by the word after a slot-first
    template's slot ("{X} is better": an entity before "is"); other entities can
    start no template, so most posts are left with no spot at all.
    """
    firsts = cues.template_firsts
    spots = (
        list(compress(count(), map(firsts.__contains__, tokens)))
        if not firsts.isdisjoint(tokens)
        else []
    )
    slot_first = cues.slot_first
    if slot_first and entity_spots:
        # an entity ending its segment looks up "" (tokens[i + 1] is then the separator)
        entities = (
            entity_spots
            if "" in slot_first
            else [i for i in entity_spots if tokens[i + 1] in slot_first]
        )
        if entities:
            return sorted(spots + entities) if spots else entities
    return spots


def template_hits(
    cues: CueSet,
    tokens: list[str],
    spots: list[int],
    lo: int,
    hi: int,
    entities: list[Entity],
) -> list[tuple[str, Entity | None, str]]:
    """(kind, entity or None, phrase) for slot templates in tokens lo..hi, longest first.

    `spots`: the indexes in lo..hi that `template_spots` found.
    """
    raw: list[tuple[int, int, str, Entity | None]] = []
    last = hi - 1
    by_first = cues.templates_by_first
    for i in spots:
        tok = tokens[i]
        candidates = by_first.get(tok)
        if candidates is None:  # an entity token: slot-first templates by the next word
            following = tokens[i + 1] if i < last else ""
            candidates = cues.slot_first.get(following, ())
        for tpl in candidates:
            found = _template_match(tpl, tokens, i, lo, hi, cues)
            if found is None:
                continue
            end, ent, denied = found
            kind = "target_negative" if tpl.kind == "recommend" and denied else tpl.kind
            if ent is not None:
                if entities[ent].tag:  # "…mil veces mejor #zonnebloemspf": a tag, not a slot
                    continue
                raw.append((i, end, kind, entities[ent]))
            elif kind == "recommend":
                before = [entities[e] for e in map(ENTITY_IDS.get, tokens[lo:i]) if e is not None]
                raw.append(
                    (
                        i,
                        end,
                        kind,
                        next((e for e in reversed(before) if e.kind == COMPETITOR), None),
                    )
                )
    if not raw:
        return []
    taken: list[tuple[int, int, str, Entity | None]] = []
    for hit in sorted(raw, key=lambda h: (h[0] - h[1], h[0])):
        if all(hit[1] <= t[0] or hit[0] >= t[1] for t in taken):
            taken.append(hit)
    out: list[tuple[str, Entity | None, str]] = []
    for s, e, kind, entity in sorted(taken, key=lambda h: h[0]):
        words = [
            entities[x].name if (x := ENTITY_IDS.get(t)) is not None else t for t in tokens[s:e]
        ]
        out.append((kind, entity, " ".join(words)))
    return out
