"""Text folding shared by the matcher and the scorer, so both see the same characters.

Folding is case-insensitive and strips diacritics (é -> e, ø -> o, æ -> ae), keeps
emojis and punctuation, and never changes the meaning of a span's position
between two folded strings: cues and aliases are folded exactly like the text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPECIAL = {"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "ß": "ss", "đ": "d", "ł": "l", "œ": "oe"}
_QUOTES = {
    "\u2019": "'",
    "\u2018": "'",
    "\u02bc": "'",
    "\u201c": '"',
    "\u201d": '"',
    "«": '"',
    "»": '"',
}


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x00C0, 0x0250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base != char and base:
            table[code] = base
    for char, repl in {**_SPECIAL, **_QUOTES}.items():
        table[ord(char)] = repl
    for code in range(0x0250):
        table.setdefault(code, chr(code))  # a missing key costs translate an exception per char
    table[0x00A0] = " "
    return table


_TABLE = _build_table()
_CHARS = {chr(code): repl for code, repl in _TABLE.items() if chr(code) != repl}
# Only the characters that fold to something else (accents, ø, quotes); emojis and
# other non-ASCII characters are left to casefold without a call per character.
_FOLDED_RE = re.compile("[" + "".join(re.escape(char) for char in sorted(_CHARS)) + "]")
HASHTAG_RE = re.compile(r"#(\w+)")
# An amount: a currency sign then a number, or a number then a currency. The first
# character is consumed by a class and the alternatives look back at it, so the
# engine skips to candidate characters in C (a leading look-ahead tried every position).
CURRENCY_RE = re.compile(
    r"[$€£\d](?:(?<=[$€£])\s?\d[\d.,]*"
    r"|(?<=\d)[\d.,]*\s?(?:€|\$|£|kr\b|sek\b|nok\b|dkk\b|eur\b|euros?\b|dollars?\b"
    r"|kron(?:or|er|en)\b|chf\b|franken\b|stutz\b|balles\b|spenn\b|pesos?\b|quid\b))"
)


def fold(text: str) -> str:
    """Lower-case, diacritic-free form of `text` used for every comparison.

    A letter stretched three times or more counts once ("sooo" is "so",
    "cuidadooo" is "cuidado", "sååå" is "så"): how people stress a word in a caption.
    "de-influencing" is written "deinfluencing".
    """
    # ASCII: lower() is casefold there, ~20x cheaper than translate. Otherwise only the
    # few characters that change are looked up (translate looked up every character,
    # ~40 ns each): the same per-character mapping, then casefold.
    folded = text.lower() if text.isascii() else _FOLDED_RE.sub(_fold_char, text).casefold()
    if "-influenc" in folded:  # "de-influencing" is "deinfluencing": one spelling for the cues
        folded = folded.replace("de-influenc", "deinfluenc")
    return _STRETCHED_RE.sub(_squeeze, folded)


# Any character three times (a letter class here would cost ~5x: "." lets the engine
# test each position cheaply); `_squeeze` then keeps "!!!", "000" and "😭😭😭" as they are.
_STRETCHED_RE = re.compile(r"(.)\1{2,}")


def _squeeze(match: re.Match[str]) -> str:
    char = match.group(1)
    return char if char.isalpha() else match.group()


def _fold_char(match: re.Match[str]) -> str:
    return _CHARS[match.group()]


@lru_cache(maxsize=64)
def fold_cached(text: str) -> str:
    """`fold` for a post text that the matcher and then the scorer both fold."""
    return fold(text)


@lru_cache(maxsize=4096)
def fold_phrase(text: str) -> str:
    """Fold a configured phrase and squeeze its whitespace."""
    return " ".join(fold(text).split())


def hashtags(text: str) -> tuple[str, ...]:
    """Hashtags in `text`, without the '#', in order of appearance."""
    return tuple(HASHTAG_RE.findall(text))


def phrase_pattern(phrase: str, *, in_hashtags: bool = False) -> str:
    """Regex source for a folded cue phrase.

    Words match on word boundaries with flexible whitespace; a `*` at either end
    of the phrase makes that end open (a stem: "overhyp*" matches "overhyped").
    Unless `in_hashtags`, a phrase never matches inside a #hashtag or @handle.
    """
    folded = fold_phrase(phrase)
    open_left = folded.startswith("*")
    open_right = folded.endswith("*")
    core = folded.strip("*").strip()
    body = r"\s+".join(re.escape(part) for part in core.split(" "))
    boundary = r"(?<!\w)" if in_hashtags else r"(?<![\w#@])"
    left = "" if open_left or not core[:1].isalnum() else boundary
    right = "" if open_right or not core[-1:].isalnum() else r"(?!\w)"
    return f"{left}{body}{right}"


def levenshtein_within_one(a: str, b: str) -> bool:
    """True when `a` and `b` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]
