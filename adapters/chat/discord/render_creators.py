"""Creator profiles and the creators ranking as Discord embeds; handles and text go via `safe()`."""

from __future__ import annotations

from collections.abc import Callable

import discord

from adapters.chat.discord.limits import FIELD_VALUE_LIMIT, fit_embed, one_line, safe
from bot.timeutil import short_time
from bot.views import SEVERITY_EMOJI, CreatorsView, CreatorView, PostLine

NEUTRAL_COLOUR = 0x5865F2
WARNING_COLOUR = 0xFF7043
MAX_RECENT = 5


def _lines(lines: list[str], limit: int = FIELD_VALUE_LIMIT) -> str:
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > limit - 20:
            out.append(f"… {len(lines) - index} more")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out) or "—"


def creator_embed(view: CreatorView, post_text: Callable[[PostLine], str]) -> discord.Embed:
    """`post_text` renders one recent mention (the drill-down's own, passed in)."""
    fired = any(s.fired for s in view.signals)
    followers = f"{view.followers:,}" if view.followers is not None else "unknown"
    description = [f"**{followers}** followers · **{view.posts_seen}** posts seen"]
    if view.first_seen and view.last_seen:
        description.append(
            f"first seen {short_time(view.first_seen)} · last seen {short_time(view.last_seen)}"
        )
    if view.watch:
        description.append(f"👁 {safe(one_line(view.watch), 400)}")
    embed = discord.Embed(
        title=f"@{safe(view.handle, 100)} on {safe(view.source, 40)}",
        description="\n".join(description),
        colour=WARNING_COLOUR if fired else NEUTRAL_COLOUR,
    )
    if view.followers_over_time:
        series = " → ".join(f"{p.followers:,} ({p.at:%Y-%m-%d})" for p in view.followers_over_time)
        embed.add_field(name="Followers over time", value=safe(series, 1000), inline=False)
    for b in view.mentions[:8]:
        stances = ", ".join(f"{c.name} {c.count}" for c in b.by_stance)
        severities = ", ".join(f"{c.name} {c.count}" for c in b.by_severity)
        value = f"{b.total} mentions ({stances})" + (
            f"\nnegative by severity: {severities}" if severities else ""
        )
        embed.add_field(name=safe(b.brand, 200), value=value)
    signals = [
        ("⚑ **" + safe(one_line(s.text), 300) + "**") if s.fired else "· " + safe(s.text, 300)
        for s in view.signals
    ]
    embed.add_field(name="Credibility signals", value=_lines(signals), inline=False)
    for index, post in enumerate(view.recent[:MAX_RECENT], start=1):
        embed.add_field(name=f"Recent mention {index}", value=post_text(post), inline=False)
    if view.also_on:
        embed.set_footer(text=f"Also seen on {', '.join(view.also_on)}: give the source to choose")
    return fit_embed(embed)


def creators_embed(view: CreatorsView) -> discord.Embed:
    scope = safe(view.brand, 100) if view.brand else "all brands"
    embed = discord.Embed(
        title=f"Creators: {scope} — last {safe(view.window, 20)}",
        description=(
            f"{short_time(view.since)} → {short_time(view.until)} · ranked by the reach "
            "(views, or followers without views) of their negative posts"
        ),
        colour=NEUTRAL_COLOUR,
    )
    for index, c in enumerate(view.creators, start=1):
        followers = f"{c.followers:,}" if c.followers is not None else "?"
        watched = " · 👁 watched" if c.watched else ""
        embed.add_field(
            name=f"{index}. @{safe(c.handle, 100)} on {safe(c.source, 40)}",
            value=(
                f"{SEVERITY_EMOJI[c.worst]} {c.negative_posts} negative posts · "
                f"~{c.reach:,} reach · {followers} followers{watched}\n"
                f"brands: {safe(', '.join(c.brands), 400)}"
            ),
            inline=False,
        )
    if not view.creators:
        embed.description = f"{embed.description}\nNo negative mentions in this window."
    return fit_embed(embed)
