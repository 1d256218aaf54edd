"""Token-level phrase index: hundreds of cue phrases matched in one pass over a post.

A big regex alternation is tried phrase by phrase at every character; here each
token looks up only the phrases that start with it (or with a stem of it), so
the cost grows with the post, not with the size of the cue lists.
Phrase syntax: words, emojis and symbols; `word*` is a stem; a lone `*` is any
one token. Text and phrases are tokenised alike, after folding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.scoring.text import fold_phrase

ENTITY_OPEN, ENTITY_CLOSE = "\ue000", "\ue001"
TOKEN_RE = re.compile(r"\ue000\d+\ue001|[#@][\w.]+|[\w'’]+|\S")
CLAUSE_END = frozenset(",;:.!?()…")
_MIN_STEM = 3


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


def entity_index(token: str) -> int | None:
    """The entity number of a masked-entity token, else None."""
    if token.startswith(ENTITY_OPEN):
        return int(token[1:-1])
    return None


@dataclass(frozen=True, slots=True)
class Phrase:
    kind: str
    lang: str
    tokens: tuple[str, ...]
    stem_last: bool


@dataclass
class PhraseIndex:
    """Phrases keyed by their first token (exact) or first-token stem."""

    exact: dict[str, list[Phrase]] = field(default_factory=dict)
    stems: dict[str, list[Phrase]] = field(default_factory=dict)

    def add(self, kind: str, lang: str, text: str) -> None:
        tokens = tokenize(fold_phrase(text))
        stem_last = len(tokens) > 1 and tokens[-1] == "*"
        if stem_last:
            tokens = tokens[:-1]
        if not tokens:
            return
        phrase = Phrase(kind, lang, tuple(tokens), stem_last)
        if stem_last and len(tokens) == 1 and len(tokens[0]) >= _MIN_STEM:
            self.stems.setdefault(tokens[0][:_MIN_STEM], []).append(phrase)
        else:
            self.exact.setdefault(tokens[0], []).append(phrase)

    def add_all(self, kind: str, lang: str, texts: Iterable[str]) -> None:
        for text in texts:
            self.add(kind, lang, text)

    def find(
        self, tokens: list[str], kinds: frozenset[str] | None = None
    ) -> list[tuple[int, int, Phrase]]:
        """Every (start, end, phrase) occurrence; hashtag tokens only match one-word claims."""
        hits: list[tuple[int, int, Phrase]] = []
        for i, tok in enumerate(tokens):
            hashtag = tok[:1] == "#"
            word = tok[1:] if hashtag else tok
            candidates: list[Phrase] = list(self.exact.get(word, ()))
            for phrase in self.stems.get(word[:_MIN_STEM], ()):
                if word.startswith(phrase.tokens[0]):
                    candidates.append(phrase)
            for phrase in candidates:
                if kinds is not None and phrase.kind not in kinds:
                    continue
                if hashtag and (len(phrase.tokens) > 1 or phrase.kind in _NOT_IN_HASHTAGS):
                    continue
                end = _match_rest(tokens, i, phrase)
                if end is not None:
                    hits.append((i, end, phrase))
        return hits


_NOT_IN_HASHTAGS = frozenset(
    {"negative", "positive", "strong_positive", "hedge", "sarcasm", "generic"}
)


def _match_rest(tokens: list[str], start: int, phrase: Phrase) -> int | None:
    n = len(phrase.tokens)
    if start + n > len(tokens):
        return None
    for offset in range(1, n):
        want, got = phrase.tokens[offset], tokens[start + offset]
        if want == "*":
            continue
        if offset == n - 1 and phrase.stem_last:
            if not got.startswith(want):
                return None
        elif got != want:
            return None
    return start + n


def longest_first(hits: list[tuple[int, int, Phrase]]) -> list[tuple[int, int, Phrase]]:
    """Drop hits overlapping a longer one; result in text order."""
    taken: list[tuple[int, int, Phrase]] = []
    for hit in sorted(hits, key=lambda h: (h[0] - h[1], h[0])):
        if all(hit[1] <= s or hit[0] >= e for s, e, _ in taken):
            taken.append(hit)
    return sorted(taken, key=lambda h: h[0])


def negated(tokens: list[str], start: int, span: int, negators: frozenset[str]) -> bool:
    """A negator among the `span` words before `start`, within the same clause."""
    seen = 0
    i = start - 1
    while i >= 0 and seen < span:
        tok = tokens[i]
        if tok in CLAUSE_END:
            return False
        if tok in negators:
            return True
        seen += 1
        i -= 1
    return False
