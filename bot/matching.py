"""Find watched brands in posts, and reject look-alikes (a truck, a biome, a flower).

One regex per brand finds alias occurrences in the folded text (case and
diacritics ignored, flexible whitespace, word boundaries). Each occurrence is then
judged: inside a configured exclusion ("Toyota Tundra") it never counts; an
ambiguous alias ("tundra", "nordlys", "glow lab") or a one-typo spelling
("glowlabb") counts only when the post has product context and no look-alike
words near it. Context and look-alike words come from the per-language cue
files plus the brand's own configuration, so nothing here is brand-specific.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from typing import NamedTuple, TypeVar

from bot.config import BrandConfig
from bot.models import BrandMatch, Post
from bot.scoring.cues import match_words
from bot.scoring.language import function_word_languages, main_languages
from bot.scoring.phrases import TOKEN_RE, Phrase, PhraseIndex
from bot.scoring.text import (
    CURRENCY_RE,
    fold,
    fold_cached,
    fold_phrase,
    levenshtein_within_one,
    phrase_pattern,
)

WINDOW = 6  # tokens either side of an ambiguous occurrence searched for look-alike words
_SUFFIX = r"(?:'s|'\w{1,3}|s)?"
_FUZZY_MIN = 6
_STEM_MIN = 6  # letters a context word needs before its inflections count too
_CACHE_SIZE = 16  # recent texts whose occurrences are kept (one post, several brands)
_T = TypeVar("_T")
_DIGIT_RE = re.compile(r"\d")  # every currency amount has a digit
_ANCHOR = 3  # every alias (and every one-typo spelling we accept) starts with one of these


class Occurrence(NamedTuple):
    """One accepted alias occurrence: span in the folded text, and the alias matched.

    A named tuple: cheaper to build than a frozen dataclass, and as immutable.
    """

    start: int
    end: int
    alias: str


@dataclass(frozen=True)
class _BrandRules:
    name: str
    alias_re: re.Pattern[str]
    display: dict[str, str]
    weak: frozenset[str]
    anchors: tuple[str, ...]
    fuzzy_re: re.Pattern[str]
    fuzzy: dict[str, list[tuple[str, str]]]
    exclusion_re: re.Pattern[str] | None
    exclusion_anchors: tuple[str, ...]
    words: PhraseIndex
    at_forms: frozenset[str]
    memo: dict[str, tuple[bool, str, bool]] = field(default_factory=dict)  # see _alias_of
    fuzzy_memo: dict[str, str | None] = field(default_factory=dict)  # see _one_typo


def _alias_forms(brand: BrandConfig) -> dict[str, str]:
    """Folded alias text (without #/@) -> configured alias, longest first."""
    forms: dict[str, str] = {}
    for alias in [brand.name, *brand.aliases]:
        folded = fold_phrase(alias).lstrip("#@")
        if folded:
            forms.setdefault(folded, alias)
            squeezed = folded.replace(" ", "")
            if "#" in alias and squeezed != folded:
                forms.setdefault(squeezed, alias)
    return dict(sorted(forms.items(), key=lambda kv: -len(kv[0])))


def _union(phrases: Sequence[str]) -> re.Pattern[str] | None:
    parts = sorted({phrase_pattern(p, in_hashtags=True) for p in phrases if p.strip()}, key=len)
    return re.compile("|".join(reversed(parts))) if parts else None


class BrandMatcher:
    """Precompiled matchers for every watched brand; cheap enough for 100k posts."""

    def __init__(self, brands: Sequence[BrandConfig]) -> None:
        context_words, lookalike_words = match_words()
        self._cache: dict[str, dict[str, list[Occurrence]]] = {}
        self._rules: dict[str, _BrandRules] = {}
        competitor_names = [n for b in brands for c in b.competitors for n in c.all_names]
        for brand in brands:
            forms = _alias_forms(brand)
            alts = "|".join(r"\s+".join(re.escape(w) for w in f.split(" ")) for f in forms)
            weak = {fold_phrase(a).lstrip("#@") for a in brand.ambiguous}
            fuzzy: dict[str, list[tuple[str, str]]] = {}
            for form, alias in forms.items():
                if " " not in form and len(form) >= _FUZZY_MIN:
                    fuzzy.setdefault(form[:_ANCHOR], []).append((form, alias))
            anchors = tuple(sorted({f[:_ANCHOR] for f in forms}))
            words = PhraseIndex()
            strong_aliases = [a for a in brand.aliases if fold_phrase(a).lstrip("#@") not in weak]
            words.add_all(
                "context",
                "",
                [
                    *_inflected(context_words),
                    *_inflected(brand.context),
                    *competitor_names,
                    *strong_aliases,
                ],
            )
            for lang, lookalikes in lookalike_words.items():
                words.add_all("lookalike", lang, lookalikes)
            words.add_all("lookalike", "", brand.lookalike_context)
            self._rules[brand.name] = _BrandRules(
                name=brand.name,
                alias_re=re.compile(f"(?:{alts}){_SUFFIX}(?!\\w)"),
                display=forms,
                weak=frozenset(weak),
                anchors=anchors,
                fuzzy_re=re.compile(
                    r"(?:{})\w*".format("|".join(re.escape(a) for a in fuzzy)) if fuzzy else r"(?!)"
                ),
                fuzzy=fuzzy,
                exclusion_re=_union(brand.exclusions),
                exclusion_anchors=tuple(
                    {fold_phrase(e)[:_ANCHOR] for e in brand.exclusions if e.strip()}
                ),
                words=words,
                at_forms=frozenset(f for f, alias in forms.items() if "@" in alias),
            )
        self._ordered = list(self._rules.values())
        owners: dict[str, list[int]] = {}
        for index, rules in enumerate(self._ordered):
            for anchor in rules.anchors:
                owners.setdefault(anchor, []).append(index)
        self._anchors = list(owners)
        self._anchor_owners = {anchor: tuple(found) for anchor, found in owners.items()}

    @property
    def brands(self) -> tuple[str, ...]:
        return tuple(self._rules)

    def match(self, post: Post) -> list[BrandMatch]:
        """Every watched brand the post really mentions, in configuration order."""
        found = self.all_occurrences(_post_text(post))
        return [BrandMatch(brand=name, alias=occ[0].alias) for name, occ in found.items()]

    def mentions(self, post: Post, brand: str) -> BrandMatch | None:
        """The first accepted mention of `brand`, or None (unknown brand: None)."""
        occurrences = self.all_occurrences(_post_text(post)).get(brand)
        return BrandMatch(brand=brand, alias=occurrences[0].alias) if occurrences else None

    def occurrences(self, folded_text: str, brand: str) -> list[Occurrence]:
        """Accepted occurrences of `brand` in already folded text (used by the scorer)."""
        return self.all_occurrences(folded_text).get(brand, [])

    def all_occurrences(self, folded_text: str) -> dict[str, list[Occurrence]]:
        """Brand -> accepted occurrences, for brands found at least once (configuration order).

        Cached for the last few texts: the pipeline asks for the same post again
        when it scores it, once per matched brand; the cache is far smaller than
        any stream (or the bench), so it never answers for a different post.
        """
        cached = self._cache.get(folded_text)
        if cached is not None:
            return cached
        found: dict[str, list[Occurrence]] = {}
        # which anchors the text holds, tested in C; then only those brands, in order
        present = list(filter(folded_text.__contains__, self._anchors))
        if present:
            owners = self._anchor_owners
            indexes = owners[present[0]] if len(present) == 1 else _merged(owners, present)
            for index in indexes:
                rules = self._ordered[index]
                occurrences = self._find(rules, folded_text)
                if occurrences:
                    found[rules.name] = occurrences
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[folded_text] = found
        return found

    def _find(self, rules: _BrandRules, text: str) -> list[Occurrence]:
        candidates: list[tuple[int, int, str, bool]] = []
        memo = rules.memo
        for m in rules.alias_re.finditer(text):
            matched = m.group()
            known = memo.get(matched)
            if known is None:
                known = _remember(memo, matched, _alias_of(rules, matched))
            at_allowed, alias, weak = known
            start = m.start()
            if start:  # the word boundary the regex does not check (no look-behind: ~10x faster)
                before = text[start - 1]
                if before == "#" or (before == "@" and at_allowed):
                    start -= 1
                elif before == "@" or before.isalnum() or before == "_":
                    continue
            candidates.append((start, m.end(), alias, weak))
        if rules.fuzzy:
            fuzzy_memo = rules.fuzzy_memo
            for m in rules.fuzzy_re.finditer(text):
                word = m.group()
                if word in fuzzy_memo:
                    typo = fuzzy_memo[word]
                else:
                    typo = _remember(fuzzy_memo, word, _one_typo(rules, word))
                if typo is None:
                    continue
                start = m.start()
                # inside an alias match (fuzzy matches never overlap each other)
                if any(s <= start < e for s, e, _, _ in candidates):
                    continue
                if start and _is_word_char(text[start - 1]):
                    continue
                candidates.append((start, m.end(), typo, True))
        if not candidates:
            return []
        excluded = (
            [m.span() for m in rules.exclusion_re.finditer(text)]
            if rules.exclusion_re is not None
            and any(map(text.__contains__, rules.exclusion_anchors))
            else None
        )
        accepted: list[Occurrence] = []
        strong_seen = False
        pending: list[tuple[int, int, str]] = []
        for start, end, alias, weak in sorted(candidates) if len(candidates) > 1 else candidates:
            if excluded and any(s <= start and end <= e for s, e in excluded):
                continue
            if not weak:
                accepted.append(Occurrence(start, end, alias))
                strong_seen = True
            else:
                pending.append((start, end, alias))
        if not pending:
            return accepted  # in text order already: candidates were sorted
        words = _words(text)
        hits = rules.words.find(words)
        lookalikes = [h for h in hits if h[2].kind == "lookalike"]
        if lookalikes:
            lookalikes = _own_words(lookalikes, words)
        context = [h for h in hits if h[2].kind == "context"]
        tags = _hashtag_indexes(text) if lookalikes and "#" in text else frozenset()
        amount: bool | None = None
        added = False
        for start, end, alias in pending:
            # token positions only when a look-alike or context word needs them
            span = _token_span(text, start, end) if lookalikes else None
            if span is not None and _looks_alike(lookalikes, *span, tags, text[start] == "#"):
                continue
            if not strong_seen and not _compound(text, end):
                if amount is None:
                    amount = _DIGIT_RE.search(text) is not None and bool(CURRENCY_RE.search(text))
                if not amount:
                    if not context:
                        continue
                    first, last = span or _token_span(text, start, end)
                    if not any(e <= first or s >= last for s, e, _ in context):
                        continue
            accepted.append(Occurrence(start, end, alias))
            added = True
        return sorted(accepted, key=lambda o: o.start) if added and strong_seen else accepted


_MEMO_LIMIT = 50_000  # distinct matched strings remembered per brand (a vocabulary, not posts)


def _remember(memo: dict[str, _T], key: str, value: _T) -> _T:
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value


def _alias_of(rules: _BrandRules, matched: str) -> tuple[bool, str, bool]:
    """(may start at '@', configured alias, ambiguous) for an alias regex match."""
    core = _core(matched)
    at_allowed = core in rules.at_forms
    if core not in rules.display and core.endswith("s") and core[:-1] in rules.display:
        core = core[:-1]
    return at_allowed, rules.display.get(core, core), core in rules.weak


def _one_typo(rules: _BrandRules, word: str) -> str | None:
    """The alias `word` misspells by one edit (not the alias itself), else None."""
    if len(word) < _FUZZY_MIN - 1:
        return None
    for form, alias in rules.fuzzy.get(word[:_ANCHOR], ()):
        if word != form and levenshtein_within_one(word, form):
            return alias
    return None


def _inflected(words: Sequence[str]) -> list[str]:
    """Longer one-word context nouns also match their inflections ("læbeolien", "serumet").

    Short words stay exact: "sko" must not take "skole", nor "mærke" "mærkelig".
    """
    return [
        f"{w}*" if len(w) >= _STEM_MIN and w.isalpha() and not w.endswith("*") else w for w in words
    ]


def _merged(owners: dict[str, tuple[int, ...]], present: list[str]) -> list[int]:
    return sorted({index for anchor in present for index in owners[anchor]})


Hit = tuple[int, int, Phrase]


def _token_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Token indexes (first, last) of the characters start..end of `text`."""
    return len(TOKEN_RE.findall(text, 0, start)), len(TOKEN_RE.findall(text, 0, end))


def _own_words(lookalikes: list[Hit], words: list[str]) -> list[Hit]:
    """Drop look-alike words that are function words of the language the post is in.

    "les" is a Dutch lesson but a French article, and "car" an English truck but
    French "because": in a French post neither says anything about the brand.
    """
    main: frozenset[str] | None = None
    kept = []
    for hit in lookalikes:
        start, end, phrase = hit
        owners = function_word_languages(words[start]) if end == start + 1 else ()
        if owners:
            main = main_languages(words) if main is None else main
            if any(lang in main and lang != phrase.lang for lang in owners):
                continue
        kept.append(hit)
    return kept


def _looks_alike(
    lookalikes: list[Hit], first: int, last: int, tags: frozenset[int], tagged: bool
) -> bool:
    """A look-alike word within WINDOW tokens of the occurrence (tokens first..last).

    A hashtag names the topic of the whole post, so a look-alike hashtag (#toyota)
    or a look-alike word anywhere around a hashtag occurrence (#nordlys) counts too.
    """
    window_lo, window_hi = max(0, first - WINDOW), last + WINDOW
    return any(
        (tagged or s in tags or (s < window_hi and e > window_lo))
        and not (s >= first and e <= last)
        for s, e, _ in lookalikes
    )


def _compound(text: str, end: int) -> bool:
    """A compound like "Nordlys-kappa" names a product."""
    return text[end : end + 1] == "-" and text[end + 1 : end + 2].isalpha()


@lru_cache(maxsize=64)
def _hashtag_indexes(text: str) -> frozenset[int]:
    """Indexes of the #hashtag tokens among `_words(text)`."""
    return frozenset(i for i, token in enumerate(TOKEN_RE.findall(text)) if token[:1] == "#")


@lru_cache(maxsize=64)
def _words(text: str) -> list[str]:
    """Tokens of folded text without '#'/'@'; cached because every brand looks at the same post."""
    tokens: list[str] = TOKEN_RE.findall(text)
    if "#" in text or "@" in text:
        return list(map(str.lstrip, tokens, repeat("#@")))
    return tokens


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _core(matched: str) -> str:
    core = " ".join(matched.lstrip("#@").split())
    for suffix in ("'s",):
        if core.endswith(suffix):
            return core[: -len(suffix)]
    if "'" in core:
        return core.split("'")[0]
    return core


def _post_text(post: Post) -> str:
    """Folded text plus hashtags the text does not already contain."""
    folded = fold_cached(post.text)
    extra = None
    for tag in post.hashtags:
        tagged = f"#{fold(tag)}"
        if tagged not in folded:
            extra = [*extra, tagged] if extra else [tagged]
    return folded if not extra else folded + " " + " ".join(extra)
