"""Commercial markers and the hidden-agenda flag: who profits when a post says "don't buy X"?

A de-influencing post that recommends an alternative while carrying a discount code,
an affiliate link or "link in bio" may well be paid for by that alternative. With a
disclosure (#ad, #reklame, "paid partnership", ...) it is a disclosed promotion;
without one it is a possible undisclosed promotion, which is also a breach of the
advertising rules in every market the trend lives in. Markers of every language
count in every post: a Danish caption with an English "link in bio" is normal.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from bot.models import Severity, Stance
from bot.scoring.cues import all_languages
from bot.scoring.text import fold, fold_cached, fold_phrase, hashtags, phrase_pattern

NEUTRAL_FILE = Path(__file__).with_name("promotion.toml")
UNDISCLOSED = "undisclosed"
DISCLOSED = "disclosed"
NONE = "none"
_UNDISCLOSED_PREFIX = "possible undisclosed promotion"
_DISCLOSED_PREFIX = "disclosed promotion"
GENERIC = "generic"
_WORD_RE = re.compile(r"\w+")
_URL_RE = re.compile(r"(?i)\bhttps?://[^\s<>\"')\]]+")
_QUOTE = "\"'\u201c\u201d\u00ab\u00bb"


@dataclass(frozen=True, slots=True)
class Markers:
    """What a post's text shows, each as the words a person can check in the post."""

    disclosures: tuple[str, ...] = ()
    commercial: tuple[str, ...] = ()  # codes, affiliate links, "link in bio", ...
    sells: bool = False  # a code or an affiliate link: something is for sale through it

    @property
    def found(self) -> bool:
        return bool(self.disclosures or self.commercial)


@dataclass(frozen=True, slots=True)
class Promotion:
    """A de-influencing post that promotes something else with commercial markers."""

    kind: str  # UNDISCLOSED or DISCLOSED
    alternative: str | None  # a competitor's name, GENERIC, or None (a code for something)
    evidence: tuple[str, ...]

    def reason(self) -> str:
        shown = ", ".join(f'"{e}"' for e in self.evidence[:3])
        if self.kind == DISCLOSED:
            return f"{_DISCLOSED_PREFIX} of {self._what()}: {shown}"
        return f"{_UNDISCLOSED_PREFIX} of {self._what()}: {shown}, and no #ad or other disclosure"

    def _what(self) -> str:
        if self.alternative is None:
            return "another product"
        if self.alternative == GENERIC:
            return "a generic alternative"
        return self.alternative


class PromotionWeights(BaseModel):
    """`[policy.promotion]`: severity levels a flag adds (0 turns it off), up to critical."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    undisclosed: int = Field(
        1, ge=0, le=4, description="levels added for a possible undisclosed promotion"
    )
    disclosed: int = Field(
        1, ge=0, le=4, description="levels added for a disclosed promotion of an alternative"
    )

    def raised(self, severity: Severity, kind: str) -> Severity:
        """`severity` after a flag of `kind` (NONE stays NONE: no risk, nothing to raise)."""
        levels = {UNDISCLOSED: self.undisclosed, DISCLOSED: self.disclosed}.get(kind, 0)
        if severity is Severity.NONE or not levels:
            return severity
        return Severity(min(int(severity) + levels, int(Severity.CRITICAL)))


def flag(stance: Stance, alternative: str | None, markers: Markers) -> Promotion | None:
    """The flag for a post about one brand, or None.

    Only a post that discourages the brand can hide an agenda against it; it must
    promote something: a named or generic alternative, or a code or affiliate link.
    """
    if stance is not Stance.NEGATIVE or not markers.found:
        return None
    if alternative is None and not markers.sells:
        return None  # "half these videos should say #ad": talk about ads, not an ad
    if markers.disclosures:
        return Promotion(DISCLOSED, alternative, (*markers.disclosures, *markers.commercial))
    return Promotion(UNDISCLOSED, alternative, markers.commercial)


def kind_of_reason(text: str) -> str | None:
    """The flag a stored reason line stands for (UNDISCLOSED / DISCLOSED), or None."""
    if text.startswith(_UNDISCLOSED_PREFIX):
        return UNDISCLOSED
    if text.startswith(_DISCLOSED_PREFIX):
        return DISCLOSED
    return None


class MarkerFinder:
    """Built once from every language's `[promotion]` cues plus the neutral file."""

    def __init__(
        self,
        disclosure: Iterable[str],
        commercial: Iterable[str],
        code_words: Iterable[str],
        neutral: Mapping[str, Any],
    ) -> None:
        disclosure_tags, disclosure_phrases = _split_tags(disclosure)
        commercial_tags, commercial_phrases = _split_tags(commercial)
        self._disclosure_tags = disclosure_tags
        self._commercial_tags = commercial_tags
        self._disclosure = _PhraseSet(disclosure_phrases)
        self._commercial = _PhraseSet(commercial_phrases)
        # matched in the text as written: a code's capitals are part of what makes it one
        words = sorted({v for w in code_words for v in (w, fold_phrase(w))}, key=len, reverse=True)
        self._code_anchors = frozenset(_anchor(fold_phrase(w)) for w in words)
        shape = str(neutral["code_shape"])
        self._code_re = (
            re.compile(
                r"(?i:(?<![\w#@])(?:"
                + "|".join(r"\s+".join(map(re.escape, w.split())) for w in words)
                + r")(?!\w))\s*[:=\-\u2013]?\s*["
                + _QUOTE
                + r"]?(?P<code>"
                + shape
                + r")(?![\w-])"
            )
            if words
            else None
        )
        self._hosts = tuple(str(h).lower() for h in neutral.get("affiliate_hosts", []))
        self._params = frozenset(str(p).lower() for p in neutral.get("affiliate_params", []))
        self._link_anchors = frozenset({"http", "https", *(_anchor(host) for host in self._hosts)})
        self._bare_host_re = (
            re.compile(
                r"(?i)(?<![\w./])(?:" + "|".join(map(re.escape, self._hosts)) + r")/[^\s<>]*"
            )
            if self._hosts
            else None
        )

    def find(self, text: str) -> Markers:
        """Most posts hold no marker word at all: one word split answers them (~5 µs)."""
        folded = fold_cached(text)
        words = set(_WORD_RE.findall(folded))
        tags = {f"#{tag}" for tag in hashtags(folded)} if "#" in folded else set()
        disclosures = _ordered(
            [*sorted(tags & self._disclosure_tags), *self._disclosure.find(folded, words)]
        )
        codes = self._codes(text) if words & self._code_anchors else []
        links = self._links(text) if words & self._link_anchors else []
        leads = [code.split(" ")[0] for code in codes]
        phrases = [p for p in self._commercial.find(folded, words) if not _holds(p, leads)]
        commercial = _ordered([*codes, *links, *phrases, *sorted(tags & self._commercial_tags)])
        return Markers(disclosures, commercial, sells=bool(codes or links))

    def _codes(self, text: str) -> list[str]:
        """'code GLOW15': a code has a digit or is in capitals, so 'dress code and' is none."""
        if self._code_re is None:
            return []
        found = []
        for m in self._code_re.finditer(text):
            code = m.group("code")
            if any(c.isdigit() for c in code) or (code.isalpha() and code.isupper()):
                lead = m.group(0)[: m.start("code") - m.start()].strip(" :=-\u2013" + _QUOTE)
                found.append(f"{fold(lead)} {code}")
        return found

    def _links(self, text: str) -> list[str]:
        urls = _URL_RE.findall(text)
        if self._bare_host_re is not None:
            urls += [u for u in self._bare_host_re.findall(text) if "://" not in u]
        found = []
        for url in urls:
            parts = urlsplit(url if "://" in url else "https://" + url)
            host = (parts.hostname or "").removeprefix("www.")
            keys = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
            if any(host == h or host.endswith("." + h) for h in self._hosts) or (
                keys & self._params
            ):
                found.append(f"affiliate link ({host})")
        return found


def _split_tags(phrases: Iterable[str]) -> tuple[frozenset[str], list[str]]:
    folded = [fold_phrase(p) for p in phrases]
    tags = frozenset(p for p in folded if p.startswith("#") and " " not in p)
    return tags, [p for p in folded if p not in tags]


def _anchor(phrase: str) -> str:
    """The word every match of `phrase` contains: its longest, the last one on a tie
    (the noun: "min kod" -> "kod"), so common small words rarely open a search."""
    words = _WORD_RE.findall(phrase)
    return max(reversed(words), key=len) if words else ""


class _PhraseSet:
    """Phrases keyed by their longest word: only those whose word is in the post are tried.

    One alternation of ~100 phrases with word-boundary look-behinds cost ~250 µs a
    post; a set intersection and a couple of single-phrase searches cost ~2 µs.
    """

    def __init__(self, phrases: Iterable[str]) -> None:
        self._by_anchor: dict[str, list[re.Pattern[str]]] = {}
        for phrase in sorted(set(phrases), key=len, reverse=True):
            anchor = _anchor(phrase)
            if anchor:
                self._by_anchor.setdefault(anchor, []).append(re.compile(phrase_pattern(phrase)))

    def find(self, folded: str, words: set[str]) -> list[str]:
        found: list[tuple[int, int, str]] = []
        for anchor in words & self._by_anchor.keys():
            for pattern in self._by_anchor[anchor]:
                found += [
                    (m.start(), -len(m.group(0)), m.group(0)) for m in pattern.finditer(folded)
                ]
        kept: list[str] = []
        end = -1
        for start, minus_len, text in sorted(found):  # leftmost-longest, no overlaps
            if start >= end:
                kept.append(" ".join(text.split()))
                end = start - minus_len
        return kept


def _holds(phrase: str, words: Sequence[str]) -> bool:
    """Whether `phrase` repeats a code's lead word ("use my code" beside "code ANNA15")."""
    return any(word in phrase.split() for word in words)


def _ordered(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@lru_cache(maxsize=1)
def marker_finder() -> MarkerFinder:
    """Every language's markers in one finder (cue files are read once per process)."""
    sections = [lf.data.get("promotion", {}) for lf in all_languages().values()]
    neutral = tomllib.loads(NEUTRAL_FILE.read_text(encoding="utf-8"))
    return MarkerFinder(
        (p for s in sections for p in s.get("disclosure", [])),
        (p for s in sections for p in s.get("commercial", [])),
        (p for s in sections for p in s.get("code_words", [])),
        neutral,
    )
