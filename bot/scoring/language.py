"""Language of a post, decided cheaply; lingua only when the cheap vote cannot tell.

A vote of function words ("het", "niet", "ikke", "och"), letters only some
languages use (ø, ß, ñ, ç) and, inside the scorer, the languages of the cue
phrases found in the post settles almost every post in microseconds. lingua
(~0.5 ms a call, ~300 MB of models) is built lazily, only the first time a post
stays unclear, and never downloads anything: the models ship inside the wheel.
A post's own `lang` always wins (the scorer checks it before calling this).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
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
_LETTER_KEYS = frozenset(_LETTERS) | frozenset(c.upper() for c in _LETTERS)


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


def votes(
    text: str, token_lists: Iterable[list[str]], cue_langs: Iterable[str] = ()
) -> dict[str, int]:
    """Votes per language: function words, telling letters, and cue phrases found."""
    get = _stopwords().get
    tally: dict[str, int] = {}
    for tokens in token_lists:
        for token in tokens:
            codes = get(token)
            if codes:
                for code in codes:
                    tally[code] = tally.get(code, 0) + 1
    if not text.isascii():  # every telling letter is non-ASCII
        for letter in {c.lower() for c in _LETTER_KEYS.intersection(text)}:
            for code in _LETTERS[letter]:
                tally[code] = tally.get(code, 0) + 1
    for code in cue_langs:
        tally[code] = tally.get(code, 0) + 1
    return tally


def leader(tally: dict[str, int]) -> tuple[str | None, bool]:
    """(leading language or None, whether its lead is clear enough to skip lingua)."""
    if not tally:
        return None, False
    top = max(tally.values())
    best = next(code for code in SUPPORTED if tally.get(code) == top)
    if len(tally) == 1:
        return best, top >= MIN_VOTES
    runner_up = max(v for code, v in tally.items() if code != best)
    return best, top >= MIN_VOTES and top - runner_up >= MIN_VOTES


def quick_language(text: str) -> str | None:
    """The language whose own words and letters clearly dominate, else None."""
    best, sure = leader(votes(text, [tokenize(fold(text))]))
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
