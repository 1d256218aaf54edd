"""Platform queries from tracked hashtags + brand aliases, and the client-side filter.

Why: some platforms can search `#tag (BrandA OR "Brand B")` (X, Reddit), some
only a hashtag (Mastodon) or nothing (RSS). Whatever the query could not
express, `PostFilter` checks on our side, so every source hands the core the
same kind of post: it carries a tracked hashtag and (when brands are watched
and the filter is on) names a brand alias. The filter is deliberately loose:
exclusions and real brand matching stay in the core matcher.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.config import BrandConfig

DEFAULT_HASHTAGS = ("deinfluencing",)


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Tracked hashtags without '#', casefolded, unique, in order; default when empty."""
    out: dict[str, None] = {}
    for tag in tags:
        clean = tag.strip().lstrip("#").strip().casefold()
        if clean:
            out.setdefault(clean, None)
    return list(out) or list(DEFAULT_HASHTAGS)


def brand_terms(brands: Sequence[BrandConfig]) -> list[str]:
    """Every brand name and alias (with its #/@ sigil), unique ignoring case."""
    out: dict[str, str] = {}
    for brand in brands:
        for term in (brand.name, *brand.aliases):
            clean = term.strip().replace('"', "")
            if clean:
                out.setdefault(clean.casefold(), clean)
    return list(out.values())


def _quote(term: str) -> str:
    return f'"{term}"' if re.search(r"\s", term) else term


def _group(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"


@dataclass(frozen=True, slots=True)
class BuiltQuery:
    """The query text and whether the brand part fitted into it."""

    text: str
    has_brands: bool


def boolean_query(
    tags: Sequence[str],
    terms: Sequence[str],
    *,
    tag_prefix: str = "#",
    suffix: str = "",
    max_len: int = 512,
) -> BuiltQuery:
    """`(#a OR #b) (BrandA OR "Brand B")<suffix>`, dropping the brand part if it is too long.

    `tag_prefix=""` searches the tag as a plain word (Reddit has no hashtags).
    """
    tag_part = _group([f"{tag_prefix}{t}" for t in tags])
    if terms:
        brand_part = _group([_quote(t) for t in terms])
        text = f"{tag_part} {brand_part}{suffix}"
        if len(text) <= max_len:
            return BuiltQuery(text, True)
    return BuiltQuery(f"{tag_part}{suffix}", False)  # never cut: a cut query means something else


def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(term.casefold()) + r"(?![\w])")


class PostFilter:
    """Keeps posts that carry a tracked hashtag and, if asked, mention a brand alias."""

    def __init__(
        self,
        hashtags: Iterable[str],
        brands: Sequence[BrandConfig],
        *,
        require_tag: bool = True,
        require_brand: bool = True,
    ) -> None:
        self.tags = normalise_tags(hashtags)
        self._tag_patterns = [_term_pattern(t) for t in self.tags]
        terms = brand_terms(brands)
        self._brand_patterns = [_term_pattern(t) for t in terms]
        self._require_tag = require_tag
        self._require_brand = require_brand and bool(terms)

    def has_tag(self, text: str, hashtags: Iterable[str]) -> bool:
        folded = {h.lstrip("#").casefold() for h in hashtags}
        if folded.intersection(self.tags):
            return True
        lowered = text.casefold()
        return any(p.search(lowered) for p in self._tag_patterns)

    def has_brand(self, text: str, hashtags: Iterable[str]) -> bool:
        lowered = text.casefold() + " " + " ".join(f"#{h.casefold()}" for h in hashtags)
        return any(p.search(lowered) for p in self._brand_patterns)

    def wants(self, text: str, hashtags: Iterable[str]) -> bool:
        tags = list(hashtags)
        if self._require_tag and not self.has_tag(text, tags):
            return False
        return not self._require_brand or self.has_brand(text, tags)
