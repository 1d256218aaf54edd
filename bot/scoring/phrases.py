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
from dataclasses import dataclass
from itertools import compress, count

from bot.scoring.text import fold_phrase

ENTITY_OPEN, ENTITY_CLOSE = "\ue000", "\ue001"
# Word tokens are tried first (most tokens are words); no word character starts the
# other alternatives, so the tokens are the same in any order.
TOKEN_RE = re.compile(r"[\w'’]+|[#@][\w.]+|\ue000\d+\ue001|\S")
MAX_ENTITIES = 512  # mask() keeps at most this many entities per post
ENTITY_IDS = {f"{ENTITY_OPEN}{i}{ENTITY_CLOSE}": i for i in range(MAX_ENTITIES)}
ENTITY_TOKENS = frozenset(ENTITY_IDS)
CLAUSE_END = frozenset(",;:.!?()…")
_ELISION_RE = re.compile(r"(?:qu|[cdjlmnst])['’](?=\w)")
SEPARATOR = "\x00"  # joins token lists; no phrase (not even "*") matches it
_MIN_STEM = 3


def tokenize(text: str) -> list[str]:
    return TOKEN_RE.findall(text)


def entity_index(token: str) -> int | None:
    """The entity number of a masked-entity token, else None."""
    return ENTITY_IDS.get(token)


@dataclass(frozen=True, slots=True)
class Phrase:
    kind: str
    lang: str
    tokens: tuple[str, ...]
    stem_last: bool
    order: int = 0  # position among the candidates of its first word, kept in the hits


class PhraseIndex:
    """Phrases keyed by their first token (exact) or first-token stem.

    `find` asks a per-word memo which phrases may start at each distinct word, so
    a post costs two set operations plus work on the few words that start a cue;
    the memo is a vocabulary cache (bounded, cleared when full), never a post cache.
    """

    MEMO_LIMIT = 200_000

    def __init__(self) -> None:
        self.exact: dict[str, list[Phrase]] = {}
        self.stems: dict[str, list[Phrase]] = {}
        self._memo: dict[str, _Starts] = {}
        self._count = 0
        self._seen: set[str] = set()
        self._relevant: set[str] = set()
        self._silent: set[str] = set()

    def silence(self, tokens: Iterable[str]) -> None:
        """Tokens that start no phrase: "#reklam" discloses an ad, it is no hype claim."""
        self._silent.update(tokens)
        self._forget()

    def add(self, kind: str, lang: str, text: str) -> None:
        tokens = tokenize(fold_phrase(text))
        stem_last = len(tokens) > 1 and tokens[-1] == "*"
        if stem_last:
            tokens = tokens[:-1]
        if not tokens:
            return
        phrase = Phrase(kind, lang, tuple(tokens), stem_last, self._count)
        self._count += 1
        if stem_last and len(tokens) == 1 and len(tokens[0]) >= _MIN_STEM:
            self.stems.setdefault(tokens[0][:_MIN_STEM], []).append(phrase)
        else:
            self.exact.setdefault(tokens[0], []).append(phrase)
        self._forget()

    def add_all(self, kind: str, lang: str, texts: Iterable[str]) -> None:
        for text in texts:
            self.add(kind, lang, text)

    def _forget(self) -> None:
        self._memo.clear()
        self._seen.clear()
        self._relevant.clear()

    def _starting(self, word: str) -> list[Phrase]:
        found = list(self.exact.get(word, ()))
        found.extend(
            p for p in self.stems.get(word[:_MIN_STEM], ()) if word.startswith(p.tokens[0])
        )
        return found

    def _candidates(self, tok: str) -> tuple[Phrase, ...]:
        """Phrases that may start at token `tok` (a #hashtag only starts one-word claims)."""
        if tok in self._silent:
            return ()
        hashtag = tok[:1] == "#"
        word = tok[1:] if hashtag else tok
        found = self._starting(word)
        elided = _ELISION_RE.match(word)
        if elided is not None:  # French "l'usine", "d'abord": the word after the elision too
            found += self._starting(word[elided.end() :])
        if hashtag:
            found = [p for p in found if len(p.tokens) == 1 and p.kind not in _NOT_IN_HASHTAGS]
        return tuple(found)

    def _learn(self, words: set[str]) -> None:
        if len(self._seen) > self.MEMO_LIMIT:
            self._forget()
        for word in words:
            found = self._candidates(word)
            if found:
                self._memo[word] = _Starts.of(found)
                self._relevant.add(word)
            self._seen.add(word)

    def find(self, tokens: list[str]) -> list[tuple[int, int, Phrase]]:
        """Every (start, end, phrase) occurrence; hashtag tokens only match one-word claims.

        Python only visits the tokens that start a phrase (`compress` picks them
        in C); most of those are function words that only start two-word phrases,
        which cost one dict lookup of the next token.
        """
        if not self._seen.issuperset(tokens):
            self._learn(set(tokens).difference(self._seen))
        hits: list[tuple[int, int, Phrase]] = []
        memo = self._memo
        last = len(tokens) - 1
        for i in compress(count(), map(self._relevant.__contains__, tokens)):
            starts = memo[tokens[i]]
            if starts.simple:  # one-word phrases only, already in candidate order
                if len(starts.single) == 1:
                    hits.append((i, i + 1, starts.single[0]))
                else:
                    hits.extend([(i, i + 1, p) for p in starts.single])
                continue
            following = starts.by_next.get(tokens[i + 1]) if i < last else None
            if starts.pairs_only:
                if following is None:
                    continue
                if len(following) == 1:  # one phrase: no candidate order to sort
                    phrase = following[0]
                    end = i + 2 if len(phrase.tokens) == 2 else _match_rest(tokens, i, phrase, 2)
                    if end is not None:
                        hits.append((i, end, phrase))
                    continue
                found = _followers(tokens, i, following)
            else:
                found = [(i, i + 1, p) for p in starts.single]
                if following is not None:
                    found += _followers(tokens, i, following)
                for phrase in starts.loose:
                    end = _match_rest(tokens, i, phrase)
                    if end is not None:
                        found.append((i, end, phrase))
            if len(found) > 1:
                found.sort(key=_candidate_order)
            hits += found
        return hits


def _followers(
    tokens: list[str], i: int, phrases: tuple[Phrase, ...]
) -> list[tuple[int, int, Phrase]]:
    """Hits of the phrases whose second word is token i + 1 (already checked)."""
    found = []
    for phrase in phrases:
        end = i + 2 if len(phrase.tokens) == 2 else _match_rest(tokens, i, phrase, 2)
        if end is not None:
            found.append((i, end, phrase))
    return found


def _candidate_order(hit: tuple[int, int, Phrase]) -> tuple[bool, int]:
    """Exact first words before stems, then the order the cue files list them."""
    phrase = hit[2]
    return phrase.stem_last and len(phrase.tokens) == 1, phrase.order


@dataclass(frozen=True, slots=True)
class _Starts:
    """Phrases starting at one word: one-word ones, by exact next word, and the rest."""

    single: tuple[Phrase, ...]  # sorted by candidate order (its keys are unique)
    by_next: dict[str, tuple[Phrase, ...]]
    loose: tuple[Phrase, ...]
    simple: bool  # only one-word phrases start here
    pairs_only: bool  # only phrases keyed by their second word start here

    @classmethod
    def of(cls, phrases: tuple[Phrase, ...]) -> _Starts:
        single: list[Phrase] = []
        by_next: dict[str, list[Phrase]] = {}
        loose: list[Phrase] = []
        for phrase in phrases:
            n = len(phrase.tokens)
            if n == 1:
                single.append(phrase)
            elif phrase.tokens[1] != "*" and not (n == 2 and phrase.stem_last):
                by_next.setdefault(phrase.tokens[1], []).append(phrase)
            else:
                loose.append(phrase)
        single.sort(key=lambda p: _candidate_order((0, 0, p)))
        return cls(
            tuple(single),
            {k: tuple(v) for k, v in by_next.items()},
            tuple(loose),
            not by_next and not loose,
            bool(by_next) and not single and not loose,
        )


_NOT_IN_HASHTAGS = frozenset(
    {
        "negative",
        "positive",
        "strong_positive",
        "hedge",
        "sarcasm",
        "generic",
        "store",
        "rhetorical",
        "wonder",
    }
)


def _match_rest(tokens: list[str], start: int, phrase: Phrase, first: int = 1) -> int | None:
    """End of `phrase` matched at `start` (its words before `first` already match), or None."""
    n = len(phrase.tokens)
    if start + n > len(tokens):
        return None
    for offset in range(first, n):
        want, got = phrase.tokens[offset], tokens[start + offset]
        if want == "*":
            if got == SEPARATOR:
                return None
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


def negated(
    tokens: list[str], start: int, span: int, negators: frozenset[str], lo: int = 0
) -> bool:
    """A negator among the `span` words before `start`, within the same clause.

    `lo` is where the segment starts in `tokens` (a negator never reaches across).
    """
    seen = 0
    i = start - 1
    while i >= lo and seen < span:
        tok = tokens[i]
        if tok in CLAUSE_END:
            return False
        if tok in negators:
            return True
        seen += 1
        i -= 1
    return False


def negated_after(
    tokens: list[str], end: int, span: int, negators: frozenset[str], hi: int
) -> bool:
    """A negator among the `span` words after `end`, within the clause and segment (< hi)."""
    for i in range(end, min(end + span, hi)):
        tok = tokens[i]
        if tok in CLAUSE_END:
            return False
        if tok in negators:
            return True
    return False
