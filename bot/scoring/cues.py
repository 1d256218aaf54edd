"""Per-language cue lists, loaded from `cues/<lang>.toml` and indexed once.

The lists are data so that adding a language means adding one file (plus
labelled examples); the scorer never hard-codes a word of any language.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.models import Claim
from bot.scoring.phrases import PhraseIndex, tokenize
from bot.scoring.text import fold_phrase

CUE_DIR = Path(__file__).with_name("cues")
SLOT = "{x}"
STANCE_KINDS = ("negative", "positive", "strong_positive", "hedge", "sarcasm")
CLAIM_KINDS = tuple(c.value for c in Claim)
RHETORICAL = "rhetorical"  # question openers that state a complaint ("am I the only one…")
WONDER = "wonder"  # a question without "?": "wondering if it's worth it"
CHEAPER = "cheaper"  # price phrases that also count when said of a rival ("half the price")
SALE = "sale"  # an amount beside these is an offer, not a complaint ("on sale for $20")
STORE = "store"  # a shop: the generic alternative of a complaint, nothing by itself
TEMPLATE_KINDS = ("recommend", "target_negative")


@dataclass(frozen=True)
class Template:
    """A phrase with an entity slot, e.g. 'buy {X} instead' or 'koop liever {X}'."""

    kind: str
    lang: str
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class LanguageFile:
    lang: str
    data: dict[str, Any]


@dataclass(frozen=True)
class CueSet:
    """The cues of several languages merged (a post's language plus English).

    Phrase cues of every language live in one shared index (`union_index`), found
    in one pass; a CueSet says which languages' hits count (`langs`) and holds
    the word lists and templates of those languages.
    """

    langs: tuple[str, ...]
    negators: frozenset[str]
    pronouns: frozenset[str]
    than: frozenset[str]  # "better than {X}" is no recommendation of X: no slot after these
    templates: tuple[Template, ...]
    amount_re: re.Pattern[str] | None  # words after an amount that make it a price ("$40 for")
    paid_re: re.Pattern[str] | None  # words an amount follows that make it a price ("cost $68")
    false_friends: frozenset[str]  # the first language's words that English cues must not read
    negation_follows: bool  # the first language may negate after the verb ("anbefaler den ikke")
    templates_by_first: dict[str, tuple[Template, ...]]
    template_firsts: frozenset[str]
    slot_first: dict[str, tuple[Template, ...]]  # "{X} is better": by the word after the slot


@lru_cache(maxsize=1)
def all_languages() -> dict[str, LanguageFile]:
    """Every cue file, by language code."""
    files = {}
    for path in sorted(CUE_DIR.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        files[str(data["lang"])] = LanguageFile(str(data["lang"]), data)
    return files


def known_languages() -> tuple[str, ...]:
    return tuple(all_languages())


def _template(kind: str, lang: str, text: str) -> Template:
    folded = fold_phrase(text)
    before, _, after = folded.partition(SLOT)
    return Template(kind, lang, tuple(tokenize(before)), tuple(tokenize(after)))


@lru_cache(maxsize=1)
def union_index() -> PhraseIndex:
    """Every language's phrase cues in one index; each phrase knows its language."""
    index = PhraseIndex()
    for lf in all_languages().values():
        data = lf.data
        for kind in (*STANCE_KINDS, RHETORICAL, WONDER):
            index.add_all(kind, lf.lang, data.get("stance", {}).get(kind, []))
        for kind in (*CLAIM_KINDS, CHEAPER, SALE):
            index.add_all(kind, lf.lang, data.get("claims", {}).get(kind, []))
        for kind in ("generic", STORE):
            index.add_all(kind, lf.lang, data.get("alternative", {}).get(kind, []))
        disclosures = data.get("promotion", {}).get("disclosure", [])
        index.silence(fold_phrase(tag) for tag in disclosures if tag.startswith("#"))
    return index


@lru_cache(maxsize=1)
def contrast_words() -> frozenset[str]:
    """Every language's "but": a brand named after it is what the next sentences are about."""
    return frozenset(
        fold_phrase(w) for lf in all_languages().values() for w in lf.data.get("contrast", [])
    )


@lru_cache(maxsize=1)
def question_openers() -> frozenset[str]:
    """Every language's words a real question starts with ("is", "lohnt", "vale"): a question
    holding an amount is a question when it starts with one ("is it worth $28?"), else the
    amount makes it a complaint ("45 € für nen Becher, ernsthaft?")."""
    return frozenset(
        fold_phrase(w) for lf in all_languages().values() for w in lf.data.get("question_words", [])
    )


@lru_cache(maxsize=1)
def negator_languages() -> dict[str, tuple[str, ...]]:
    """Negator word -> the languages it negates in (to see when a post's language matters)."""
    owners: dict[str, list[str]] = {}
    for lf in all_languages().values():
        for word in lf.data.get("negators", []):
            owners.setdefault(fold_phrase(word), []).append(lf.lang)
    return {word: tuple(langs) for word, langs in owners.items()}


@lru_cache(maxsize=64)
def cue_set(langs: tuple[str, ...]) -> CueSet:
    """Merged word lists and templates for `langs` (unknown codes are skipped)."""
    table = all_languages()
    chosen = [table[code] for code in dict.fromkeys(langs) if code in table]
    templates: list[Template] = []
    negators: set[str] = set()
    pronouns: set[str] = set()
    than: set[str] = set()
    amounts: set[str] = set()
    paid: set[str] = set()
    for lf in chosen:
        data = lf.data
        alt = data.get("alternative", {})
        templates.extend(
            _template(kind, lf.lang, t) for kind in TEMPLATE_KINDS for t in alt.get(kind, [])
        )
        negators.update(fold_phrase(n) for n in data.get("negators", []))
        pronouns.update(fold_phrase(p) for p in alt.get("pronouns", []))
        than.update(fold_phrase(p) for p in alt.get("than", []))
        amounts.update(fold_phrase(a) for a in data.get("amount_for", []))
        paid.update(fold_phrase(a) for a in data.get("amount_after", []))
    amount_re = re.compile(r"\s*(?:" + _alternation(amounts) + r")(?!\w)") if amounts else None
    paid_re = re.compile(r"(?<!\w)(?:" + _alternation(paid) + r")\s*$") if paid else None
    by_first: dict[str, list[Template]] = {}
    for tpl in templates:
        by_first.setdefault(tpl.before[0] if tpl.before else "", []).append(tpl)
    slot_first: dict[str, list[Template]] = {}
    for tpl in by_first.get("", []):
        slot_first.setdefault(tpl.after[0] if tpl.after else "", []).append(tpl)
    return CueSet(
        slot_first={k: tuple(v) for k, v in slot_first.items()},
        templates_by_first={k: tuple(v) for k, v in by_first.items()},
        template_firsts=frozenset(k for k in by_first if k),
        langs=tuple(lf.lang for lf in chosen),
        negators=frozenset(negators),
        pronouns=frozenset(pronouns),
        than=frozenset(than),
        templates=tuple(templates),
        amount_re=amount_re,
        paid_re=paid_re,
        false_friends=frozenset(
            fold_phrase(w) for w in (chosen[0].data.get("false_friends", []) if chosen else [])
        ),
        negation_follows=bool(chosen and chosen[0].data.get("negation_follows", False)),
    )


def _alternation(phrases: set[str]) -> str:
    """Longest first, any run of spaces between words."""
    ordered = sorted(phrases, key=len, reverse=True)
    return "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in ordered)


def match_words() -> tuple[list[str], dict[str, list[str]]]:
    """Context words of every language, and each language's look-alike words.

    Look-alike words keep their language: "les" (a Dutch lesson) or "såg" (Swedish
    "saw", folded "sag") must not veto a French or German post.
    """
    files = all_languages().values()
    context = [w for lf in files for w in lf.data.get("match", {}).get("context", [])]
    lookalike = {lf.lang: list(lf.data.get("match", {}).get("lookalike", [])) for lf in files}
    return context, lookalike
