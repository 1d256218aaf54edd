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
from bot.scoring.phrases import TOKEN_RE, PhraseIndex
from bot.scoring.text import CURRENCY_RE, fold, fold_phrase, levenshtein_within_one, phrase_pattern

WINDOW = 6  # tokens either side of an ambiguous occurrence searched for look-alike words
_SUFFIX = r"(?:'s|'\w{1,3}|s)?"
_FUZZY_MIN = 6
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
    words: PhraseIndex


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
        self._rules: dict[str, _BrandRules] = {}
        competitor_names = [n for b in brands for c in b.competitors for n in c.all_names]
        for brand in brands:
            forms = _alias_forms(brand)
            alts = "|".join(
                (r"(?<![\w@])" if "@" not in forms[f] else r"(?<!\w)@?")
                + r"\s+".join(re.escape(w) for w in f.split(" "))
                for f in forms
            )
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
                alias_re=re.compile(f"#?(?:{alts}){_SUFFIX}(?!\\w)"),
                display=forms,
                weak=frozenset(weak),
                anchors=anchors,
                fuzzy_re=re.compile(
                    r"(?<!\w)(?:{})\w*".format("|".join(re.escape(a) for a in fuzzy))
                    if fuzzy
                    else r"(?!)"
                ),
                fuzzy=fuzzy,
                exclusion_re=_union(brand.exclusions),
                words=words,
            )

    @property
    def brands(self) -> tuple[str, ...]:
        return tuple(self._rules)

    def match(self, post: Post) -> list[BrandMatch]:
        """Every watched brand the post really mentions, in configuration order."""
        folded = _post_text(post)
        found = []
        for name, rules in self._rules.items():
            occurrences = self._find(rules, folded)
            if occurrences:
                found.append(BrandMatch(brand=name, alias=occurrences[0].alias))
        return found

    def mentions(self, post: Post, brand: str) -> BrandMatch | None:
        """The first accepted mention of `brand`, or None (unknown brand: None)."""
        rules = self._rules.get(brand)
        if rules is None:
            return None
        occurrences = self._find(rules, _post_text(post))
        return BrandMatch(brand=brand, alias=occurrences[0].alias) if occurrences else None

    def occurrences(self, folded_text: str, brand: str) -> list[Occurrence]:
        """Accepted occurrences of `brand` in already folded text (used by the scorer)."""
        rules = self._rules.get(brand)
        return self._find(rules, folded_text) if rules is not None else []

    def _find(self, rules: _BrandRules, text: str) -> list[Occurrence]:
        if not any(anchor in text for anchor in rules.anchors):
            return []
        candidates: list[tuple[int, int, str, bool]] = []
        for m in rules.alias_re.finditer(text):
            core = _core(m.group(0))
            if core not in rules.display and core.endswith("s") and core[:-1] in rules.display:
                core = core[:-1]
            weak = core in rules.weak
            candidates.append((m.start(), m.end(), rules.display.get(core, core), weak))
        if rules.fuzzy:
            taken = [(s, e) for s, e, _, _ in candidates]
            for m in rules.fuzzy_re.finditer(text):
                word, start = m.group(0), m.start()
                if len(word) < _FUZZY_MIN - 1 or any(s <= start < e for s, e in taken):
                    continue
                for form, alias in rules.fuzzy.get(word[:_ANCHOR], ()):
                    if word != form and levenshtein_within_one(word, form):
                        candidates.append((start, m.end(), alias, True))
                        break
        if not candidates:
            return []
        excluded = (
            [m.span() for m in rules.exclusion_re.finditer(text)] if rules.exclusion_re else []
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
        for start, end, alias in pending:
            if self._looks_alike(rules, text, start, end):
                continue
            if strong_seen or self._has_context(rules, text, start, end):
                accepted.append(Occurrence(start, end, alias))
        return sorted(accepted, key=lambda o: o.start)

    @staticmethod
    def _looks_alike(rules: _BrandRules, text: str, start: int, end: int) -> bool:
        toks = _tokens(text)
        words = [w for _, _, w in toks]
        first = next((i for i, t in enumerate(toks) if t[1] > start), len(toks))
        last = next((i for i, t in enumerate(toks) if t[0] >= end), len(toks))
        window_lo, window_hi = max(0, first - WINDOW), last + WINDOW
        for s, e, phrase in rules.words.find(words):
            if (
                phrase.kind == "lookalike"
                and s < window_hi
                and e > window_lo
                and not (s >= first and e <= last)
            ):
                return True
        return False

    @staticmethod
    def _has_context(rules: _BrandRules, text: str, start: int, end: int) -> bool:
        if text[end : end + 1] == "-" and text[end + 1 : end + 2].isalpha():
            return True  # a compound like "Nordlys-kappa" names a product
        if CURRENCY_RE.search(text):
            return True
        toks = _tokens(text)
        words = [w for _, _, w in toks]
        for s, e, phrase in rules.words.find(words):
            if phrase.kind == "context" and (toks[e - 1][1] <= start or toks[s][0] >= end):
                return True
        return False


@lru_cache(maxsize=64)
def _tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, token) of folded text; cached because every brand looks at the same post."""
    return [(m.start(), m.end(), m.group(0).lstrip("#@")) for m in TOKEN_RE.finditer(text)]


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
    folded = fold(post.text)
    extra = [f"#{fold(tag)}" for tag in post.hashtags if f"#{fold(tag)}" not in folded]
    return folded if not extra else folded + " " + " ".join(extra)
