"""De-influencing lists: "things I'm de-influencing this month: 1) … 2) …".

A list header says what every item under it is (negative, or positive for "the
only things I'm NOT de-influencing:"), whatever the item's own words; the header's
own words say nothing about any one brand. A header is a clause that names no
brand, names de-influencing or holds a verdict cue ("things I regret buying"), and
ends in ":" or right before a "1)" list number.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import compress, count

from bot.scoring.entities import TARGET, Entity
from bot.scoring.phrases import ENTITY_IDS, SEPARATOR, Phrase

_TOPIC = ("deinfluenc", "desinfluenc")
_STARTS = frozenset(".!?…:" + SEPARATOR)  # what a header clause starts after
_ENDS = frozenset([":", "1"])  # a header ends in ":" or before a "1)"
_VERDICTS = frozenset({"negative", "strong_positive"})  # cues that make a clause a header
_KEEP = frozenset(["✅", "✔", "👍", "💚"])  # item marks (emoji are tokens of their own)
_DROP = frozenset(["❌", "✖", "🚫", "👎"])


@dataclass(frozen=True, slots=True)
class Header:
    lo: int  # its first token
    colon: int  # the token ending it: ":" or the list number
    end: int  # its items end here: the next header or the end of the post
    positive: bool
    text: str


def may_hold_lists(masked: str) -> bool:
    """A cheap gate: a header ends in ":" or before "1)"."""
    return ":" in masked or "1)" in masked or "1." in masked


def list_headers(
    tokens: list[str], hits: list[tuple[int, int, Phrase]], negators: frozenset[str]
) -> list[Header]:
    ends = list(compress(count(), map(_ENDS.__contains__, tokens)))  # the scan runs in C
    ends = [i for i in ends if tokens[i] == ":" or tokens[i + 1 : i + 2] in ([")"], ["."])]
    found: list[tuple[int, int, bool, str]] = []
    for colon in ends:
        lo = colon
        while lo > 0 and tokens[lo - 1] not in _STARTS:
            lo -= 1
        words = tokens[lo:colon]
        if any(w in ENTITY_IDS for w in words):
            continue
        own = [(s, e, p) for s, e, p in hits if lo <= s < colon]
        kinds = {p.kind for _, _, p in own}
        if any(w.startswith(_TOPIC) for w in words):  # "things I'm (not) de-influencing:"
            positive = "strong_positive" in kinds or any(w in negators for w in words)
        elif kinds & _VERDICTS:  # "things I regret buying:", "Sachen, die ich nicht nachkaufe:"
            # "les seuls produits que je ne déconseille PAS:" denies the verdict
            positive = not any(
                p.kind == "negative" and not _denied(tokens, s, e, lo, negators) for s, e, p in own
            )
        else:
            continue
        found.append((lo, colon, positive, " ".join(words)))
    return [
        Header(lo, colon, found[n + 1][0] if n + 1 < len(found) else len(tokens), positive, text)
        for n, (lo, colon, positive, text) in enumerate(found)
    ]


def _denied(tokens: list[str], start: int, end: int, lo: int, negators: frozenset[str]) -> bool:
    """A negator in the two words before a header's cue or right after it."""
    return any(t in negators for t in tokens[max(lo, start - 2) : start]) or (
        end < len(tokens) and tokens[end] in negators
    )


def listed(header: Header, tokens: list[str], entities: list[Entity]) -> bool | None:
    """How the brand under test is listed under `header`: True positive, False negative.

    None when it is not one of the items. An item marked ✅ is an exception to a
    de-influencing list (and ❌ to a keep list).
    """
    positive = header.positive
    for tok in tokens[header.colon + 1 : header.end]:
        if tok in _KEEP:
            positive = True
        elif tok in _DROP:
            positive = False
        else:
            number = ENTITY_IDS.get(tok)
            if number is not None and entities[number].kind == TARGET:
                return positive
    return None
