"""Slot templates ("buy {X} instead", "{X} is better"): who is recommended or dismissed.

Templates are looked up by their first word (or, for a slot-first template, by
the word after the entity), so a post only pays for the few words that start one.
"""

from __future__ import annotations

from bot.scoring.cues import CueSet, Template
from bot.scoring.entities import COMPETITOR, Entity
from bot.scoring.phrases import ENTITY_TOKENS, entity_index, negated


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


def _entity_slot(tokens: list[str], i: int) -> tuple[int, int | None] | None:
    ent = entity_index(tokens[i])
    return None if ent is None else (i, ent)


def _template_match(
    tpl: Template, tokens: list[str], i: int, cues: CueSet
) -> tuple[int, int | None, bool] | None:
    n = len(tpl.before)
    if n > 1 and tuple(tokens[i : i + n]) != tpl.before:
        return None
    slot = _slot(tokens, i + n, cues) if n else _entity_slot(tokens, i)
    if slot is None:
        return None
    pos, ent = slot
    after = tpl.after
    if after and tuple(tokens[pos + 1 : pos + 1 + len(after)]) != after:
        return None
    denied = any(t in cues.negators for t in tokens[i + n : pos]) or negated(
        tokens, i, 2, cues.negators
    )
    return pos + 1 + len(after), ent, denied


def template_hits(
    cues: CueSet, tokens: list[str], entities: list[Entity]
) -> list[tuple[str, Entity | None, str]]:
    """(kind, entity or None, phrase) for slot templates, longest match first."""
    raw: list[tuple[int, int, str, Entity | None]] = []
    firsts = cues.template_firsts.intersection(tokens)
    has_entity = bool(cues.slot_first) and not ENTITY_TOKENS.isdisjoint(tokens)
    if not firsts and not has_entity:
        return []
    last = len(tokens) - 1
    for i, tok in enumerate(tokens):
        if tok in firsts:
            candidates = cues.templates_by_first[tok]
        elif has_entity and tok in ENTITY_TOKENS:
            following = tokens[i + 1] if i < last else ""
            candidates = cues.slot_first.get(following, ())
        else:
            continue
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
