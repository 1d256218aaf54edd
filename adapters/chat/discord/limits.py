"""Discord's message and embed limits, and the text helpers that keep us inside them.

Post text is data: every string that came from a social post goes through `safe()`
so it can neither format nor ping, then through `clip()` so it fits.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import discord

MESSAGE_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_COUNT_LIMIT = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
BUTTON_LABEL_LIMIT = 80
CHOICE_NAME_LIMIT = 100
ELLIPSIS = "…"

_MENTION = re.compile(r"@(everyone|here|[!&]?\d+)", re.IGNORECASE)
_SNOWFLAKE = re.compile(r"[1-9]\d{0,19}")


def clip(text: str, limit: int) -> str:
    """Cut to `limit` characters with "…"; never leave a dangling escape backslash."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)].rstrip()
    if cut.endswith("\\") and not cut.endswith("\\\\"):
        cut = cut[:-1]
    return cut + ELLIPSIS


def one_line(text: str) -> str:
    return " ".join(text.split())


def defuse_mentions(text: str) -> str:
    """@everyone, @here, <@id>, <@&id> become inert (a zero-width space after the @)."""
    return _MENTION.sub("@\u200b\\1", text)


def safe(text: str, limit: int | None = None) -> str:
    """Untrusted text as plain data: markdown escaped, mentions defused, clipped first."""
    raw = clip(text, limit) if limit is not None else text
    return defuse_mentions(discord.utils.escape_markdown(raw))


def is_snowflake(value: str | None) -> bool:
    return value is not None and _SNOWFLAKE.fullmatch(value.strip()) is not None


def safe_url(url: str | None) -> str | None:
    """An http(s) link fit for an embed, or None; characters that break markdown are quoted."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    quoted = quote(url.strip(), safe=":/?#@!$&*+,;=%~-._[]")
    return quoted if len(quoted) <= 2000 else None


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """Enforce every embed limit in place: per-piece lengths, 25 fields, 6000 characters in all.

    Fields that do not fit are dropped from the end and counted in the footer, so the
    reader knows something was left out (drill-downs show the rest).
    """
    if embed.title:
        embed.title = clip(embed.title, TITLE_LIMIT)
    if embed.description:
        embed.description = clip(embed.description, DESCRIPTION_LIMIT)
    if embed.author.name:
        embed.set_author(
            name=clip(embed.author.name, AUTHOR_LIMIT),
            url=embed.author.url,
            icon_url=embed.author.icon_url,
        )
    fields = [
        (
            clip(f.name or "", FIELD_NAME_LIMIT) or "\u200b",
            clip(f.value or "", FIELD_VALUE_LIMIT) or "\u200b",
            bool(f.inline),
        )
        for f in embed.fields
    ]
    dropped = max(len(fields) - FIELD_COUNT_LIMIT, 0)
    fields = fields[:FIELD_COUNT_LIMIT]
    footer = embed.footer.text or ""

    def total() -> int:
        note = f" · {dropped} more not shown" if dropped else ""
        return (
            len(embed.title or "")
            + len(embed.description or "")
            + len(embed.author.name or "")
            + len(footer + note)
            + sum(len(n) + len(v) for n, v, _ in fields)
        )

    while total() > EMBED_TOTAL_LIMIT and fields:
        fields.pop()
        dropped += 1
    if total() > EMBED_TOTAL_LIMIT and embed.description:
        excess = total() - EMBED_TOTAL_LIMIT
        embed.description = clip(embed.description, max(len(embed.description) - excess, 1))
    embed.clear_fields()
    for name, value, inline in fields:
        embed.add_field(name=name, value=value, inline=inline)
    if dropped:
        footer = f"{footer} · {dropped} more not shown" if footer else f"{dropped} more not shown"
    if footer:
        embed.set_footer(text=clip(footer, FOOTER_LIMIT), icon_url=embed.footer.icon_url)
    return embed
