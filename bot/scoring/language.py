"""Language detection restricted to the languages we have cue files for.

A clear vote of function words ("het", "niet", "ikke", "och") settles most posts
in microseconds; only unclear ones go to lingua. The lingua detector is built
once, lazily (its n-gram models cost memory, measured in bench/README_scorer.md),
and never downloads anything: the models ship inside the wheel. A post's own
`lang` always wins (the scorer checks it before calling this).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from typing import Any

from bot.scoring.cues import all_languages
from bot.scoring.text import fold

SUPPORTED = ("en", "nl", "da", "de", "sv", "no", "fr", "es")
_lock = threading.Lock()
_detector: Any = None
_WORD_RE = re.compile(r"[\w']+")
MIN_VOTES = 2  # function words needed, and the lead over the runner-up, to skip lingua


@lru_cache(maxsize=1)
def _stopwords() -> dict[str, str | None]:
    """Function word -> its only language (None when several languages share it)."""
    owner: dict[str, str | None] = {}
    for code, lf in all_languages().items():
        for word in lf.data.get("stopwords", []):
            key = fold(str(word))
            owner[key] = code if owner.get(key, code) == code else None
    return owner


def quick_language(text: str) -> str | None:
    """The language whose own function words clearly dominate, else None."""
    owner = _stopwords()
    votes: dict[str, int] = {}
    for word in _WORD_RE.findall(fold(text)):
        code = owner.get(word)
        if code is not None:
            votes[code] = votes.get(code, 0) + 1
    if not votes:
        return None
    ranked = sorted(votes.values(), reverse=True)
    best = max(votes, key=lambda c: votes[c])
    runner_up = ranked[1] if len(ranked) > 1 else 0
    return best if ranked[0] >= MIN_VOTES and ranked[0] - runner_up >= MIN_VOTES else None


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


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of `text` among SUPPORTED, or None when lingua cannot tell."""
    if not text.strip():
        return None
    quick = quick_language(text)
    if quick is not None:
        return quick
    language = detector().detect_language_of(text)
    if language is None:
        return None
    code = str(language.iso_code_639_1.name).lower()
    return "no" if code in {"nb", "nn"} else code if code in SUPPORTED else None
