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
from dataclasses import dataclass
from functools import lru_cache

from bot.config import BrandConfig
from bot.models import BrandMatch, Post
from bot.scoring.cues import match_words
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
_CACHE_SIZE = 16  # recent texts whose occurrences are kept (one post, several brands)
_ANCHOR = 3  # every alias (and every one-typo spelling we accept) starts with one of these


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One accepted alias occurrence: span in the folded text, and the alias matched."""

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
                "context", "", [*context_words, *brand.context, *competitor_names, *strong_aliases]
            )
            words.add_all("lookalike", "", [*lookalike_words, *brand.lookalike_context])
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
        for name, rules in self._rules.items():
            anchors = rules.anchors
            if (
                anchors[0] in folded_text
                if len(anchors) == 1
                else any(map(folded_text.__contains__, anchors))
            ):
                occurrences = self._find(rules, folded_text)
                if occurrences:
                    found[name] = occurrences
        if len(self._cache) >= _CACHE_SIZE:
            self._cache.pop(next(iter(self._cache)))
        self._cache[folded_text] = found
        return found

    def _find(self, rules: _BrandRules, text: str) -> list[Occurrence]:
        candidates: list[tuple[int, int, str, bool]] = []
        for m in rules.alias_re.finditer(text):
            core = _core(m.group(0))
            start = _word_start(text, m.start(), core in rules.at_forms)
            if start is None:
                continue
            if core not in rules.display and core.endswith("s") and core[:-1] in rules.display:
                core = core[:-1]
            weak = core in rules.weak
            candidates.append((start, m.end(), rules.display.get(core, core), weak))
        if rules.fuzzy:
            taken = [(s, e) for s, e, _, _ in candidates]
            for m in rules.fuzzy_re.finditer(text):
                word, start = m.group(0), m.start()
                if len(word) < _FUZZY_MIN - 1 or any(s <= start < e for s, e in taken):
                    continue
                if start and _is_word_char(text[start - 1]):
                    continue
                for form, alias in rules.fuzzy.get(word[:_ANCHOR], ()):
                    if word != form and levenshtein_within_one(word, form):
                        candidates.append((start, m.end(), alias, True))
                        break
        if not candidates:
            return []
        excluded = (
            [m.span() for m in rules.exclusion_re.finditer(text)]
            if rules.exclusion_re and any(a in text for a in rules.exclusion_anchors)
            else []
        )
        accepted: list[Occurrence] = []
        strong_seen = False
        pending: list[tuple[int, int, str]] = []
        for start, end, alias, weak in sorted(candidates):
            if any(s <= start and end <= e for s, e in excluded):
                continue
            if not weak:
                accepted.append(Occurrence(start, end, alias))
                strong_seen = True
            else:
                pending.append((start, end, alias))
        if pending:
            words = _words(text)
            hits = rules.words.find(words)
            for start, end, alias in pending:
                first = len(TOKEN_RE.findall(text, 0, start))
                last = len(TOKEN_RE.findall(text, 0, end))
                if _looks_alike(hits, first, last):
                    continue
                if strong_seen or _has_context(hits, text, first, last, end):
                    accepted.append(Occurrence(start, end, alias))
        return sorted(accepted, key=lambda o: o.start)


Hit = tuple[int, int, Phrase]


def _looks_alike(hits: list[Hit], first: int, last: int) -> bool:
    """A look-alike word within WINDOW tokens of the occurrence (tokens first..last)."""
    window_lo, window_hi = max(0, first - WINDOW), last + WINDOW
    return any(
        phrase.kind == "lookalike"
        and s < window_hi
        and e > window_lo
        and not (s >= first and e <= last)
        for s, e, phrase in hits
    )


def _has_context(hits: list[Hit], text: str, first: int, last: int, end: int) -> bool:
    """Product context anywhere in the post, outside the occurrence itself."""
    if text[end : end + 1] == "-" and text[end + 1 : end + 2].isalpha():
        return True  # a compound like "Nordlys-kappa" names a product
    if CURRENCY_RE.search(text):
        return True
    return any(phrase.kind == "context" and (e <= first or s >= last) for s, e, phrase in hits)


@lru_cache(maxsize=64)
def _words(text: str) -> list[str]:
    """Tokens of folded text without '#'/'@'; cached because every brand looks at the same post."""
    tokens: list[str] = TOKEN_RE.findall(text)
    if "#" in text or "@" in text:
        return [t.lstrip("#@") for t in tokens]
    return tokens


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _word_start(text: str, start: int, at_allowed: bool) -> int | None:
    """Where an alias found at `start` really starts ('#' or '@' included), or None mid-word.

    The alias regex has no look-behind (it made the scan ~10x slower), so the
    word boundary is checked here, for the few matches only.
    """
    if start == 0:
        return 0
    before = text[start - 1]
    if before == "#" or (before == "@" and at_allowed):
        return start - 1
    if before == "@" or before.isalnum() or before == "_":
        return None
    return start


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
    extra = [f"#{fold(tag)}" for tag in post.hashtags if f"#{fold(tag)}" not in folded]
    return folded if not extra else folded + " " + " ".join(extra)
