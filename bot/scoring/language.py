"""Language of a post, decided cheaply; lingua only when the cheap vote cannot tell.

A vote of function words ("het", "niet", "ikke", "och"), letters only some
languages use (ø, ß, ñ, ç) and, inside the scorer, the languages of the cue
phrases found in the post settles almost every post in microseconds. lingua
(~0.5 ms a call, ~300 MB of models) is built lazily, only the first time a post
stays unclear, and never downloads anything: the models ship inside the wheel.
A post's own `lang` always wins (the scorer checks it before calling this).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.scoring.cues import all_languages
from bot.scoring.phrases import tokenize
from bot.scoring.text import fold, fold_phrase

SUPPORTED = ("en", "nl", "da", "de", "sv", "no", "fr", "es")
MIN_VOTES = 2  # votes needed, and the lead over the runner-up, to call a language sure
_lock = threading.Lock()
_detector: Any = None

# Letters (before folding) that only some of our languages write.
_LETTERS: dict[str, tuple[str, ...]] = {
    "ø": ("da", "no"),
    "æ": ("da", "no"),
    "å": ("da", "no", "sv"),
    "ä": ("sv", "de"),
    "ö": ("sv", "de"),
    "ü": ("de",),
    "ß": ("de",),
    "ñ": ("es",),
    "¿": ("es",),
    "¡": ("es",),
    "á": ("es",),
    "í": ("es",),
    "ó": ("es",),
    "ú": ("es",),
    "ç": ("fr",),
    "œ": ("fr",),
    "è": ("fr",),
    "ê": ("fr",),
    "à": ("fr",),
    "â": ("fr",),
    "î": ("fr",),
    "ô": ("fr",),
    "û": ("fr",),
    "ù": ("fr",),
    "ë": ("nl", "fr"),
    "ï": ("nl", "fr"),
}
_LETTER_RE = re.compile(
    "["
    + "".join(sorted({c for letter in _LETTERS for c in (letter, letter.upper()) if len(c) == 1}))
    + "]"
)


@lru_cache(maxsize=1)
def _stopwords() -> dict[str, tuple[str, ...]]:
    """Function word -> the languages that use it (a shared word votes for each)."""
    owner: dict[str, list[str]] = {}
    for code, lf in all_languages().items():
        for word in lf.data.get("stopwords", []):
            langs = owner.setdefault(fold_phrase(str(word)), [])
            if code not in langs:
                langs.append(code)
    return {word: tuple(langs) for word, langs in owner.items()}


@dataclass(frozen=True)
class _Ballot:
    """Votes as packed ints: 32 bits per language, so a post's tally is one `sum` in C."""

    codes: tuple[str, ...]  # SUPPORTED first (their order breaks ties), then any other
    bits: dict[str, int]  # language -> its unit vote
    words: dict[str, int]  # function word -> its votes
    letters: dict[str, int]  # telling letter -> its votes
    shifts: tuple[int, ...]


_WIDTH = 32  # bits per language: a post never holds 2**32 votes
_MASK = (1 << _WIDTH) - 1


@lru_cache(maxsize=1)
def _ballot() -> _Ballot:
    codes = tuple(dict.fromkeys([*SUPPORTED, *all_languages()]))
    bits = {code: 1 << (_WIDTH * i) for i, code in enumerate(codes)}
    return _Ballot(
        codes,
        bits,
        {word: sum(bits[c] for c in langs) for word, langs in _stopwords().items()},
        {letter: sum(bits[c] for c in langs) for letter, langs in _LETTERS.items()},
        tuple(_WIDTH * i for i in range(len(codes))),
    )


def votes(text: str, tokens: Iterable[str], cue_langs: Iterable[str] = ()) -> list[int]:
    """Votes per language, in `_ballot().codes` order: function words, letters, cues.

    Python never loops over the tokens: map, filter and sum run in C.
    """
    ballot = _ballot()
    packed = sum(filter(None, map(ballot.words.get, tokens)))
    if not text.isascii():  # every telling letter is non-ASCII
        letters = _LETTER_RE.findall(text)
        if letters:
            packed += sum(ballot.letters[c] for c in {c.lower() for c in letters})
    packed += sum(map(ballot.bits.__getitem__, cue_langs))
    return [(packed >> shift) & _MASK for shift in ballot.shifts]


def main_languages(tokens: Iterable[str]) -> frozenset[str]:
    """Languages with at least half as many function words among `tokens` as the leader.

    Many short function words are shared ("je", "de", "en"), so one is no evidence.
    """
    counts = votes("", tokens)  # function words only
    floor = max(1, (max(counts) + 1) // 2)
    return frozenset(code for code, n in zip(_ballot().codes, counts, strict=True) if n >= floor)


def function_word_languages(word: str) -> tuple[str, ...]:
    """The languages in which folded `word` is a function word ("les": French)."""
    return _stopwords().get(word, ())


def leader(counts: list[int]) -> tuple[str | None, bool]:
    """(leading language or None, whether its lead is clear enough to skip lingua).

    A tie for the lead goes to the language listed first in SUPPORTED.
    """
    top = max(counts)
    if not top:
        return None, False
    best = _ballot().codes[counts.index(top)]
    runner_up = sorted(counts)[-2] if len(counts) > 1 else 0
    return best, top >= MIN_VOTES and top - runner_up >= MIN_VOTES


def quick_language(text: str) -> str | None:
    """The language whose own words and letters clearly dominate, else None."""
    best, sure = leader(votes(text, tokenize(fold(text))))
    return best if sure else None


def _build() -> Any:
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [IsoCode639_1.from_str("nb" if code == "no" else code) for code in SUPPORTED]
    return (
        LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
        .with_preloaded_language_models()
        .build()
    )


def detector() -> Any:
    """The shared lingua detector, built on first use."""
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                _detector = _build()
    return _detector


def lingua_language(text: str) -> str | None:
    """lingua's answer among SUPPORTED, or None."""
    language = detector().detect_language_of(text)
    if language is None:
        return None
    code = str(language.iso_code_639_1.name).lower()
    return "no" if code in {"nb", "nn"} else code if code in SUPPORTED else None


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text` among SUPPORTED, or None when nothing can tell."""
    if not text.strip():
        return None
    quick = quick_language(text)
    if quick is not None:
        return quick
    return lingua_language(text)
