"""Creator profiles and the creators ranking as Block Kit. Handles and post text are escaped."""

from __future__ import annotations

from collections.abc import Callable

from adapters.chat.slack.escape import escape, one_line
from adapters.chat.slack.render import (
    Block,
    SlackMessage,
    context,
    divider,
    fallback,
    fields_section,
    fit_blocks,
    header,
    section,
    sections,
    thousands,
)
from bot.timeutil import short_time
from bot.views import SEVERITY_EMOJI, CreatorsView, CreatorView, PostLine

MAX_RECENT = 5


def render_creator(view: CreatorView, post_block: Callable[[PostLine], Block]) -> SlackMessage:
    """`post_block` renders one recent mention (the drill-down's own, passed in)."""
    handle = escape(view.handle)
    blocks: list[Block] = [
        header(f"@{view.handle} on {view.source}"),
        fields_section(
            [
                ("Followers", thousands(view.followers)),
                ("Posts seen", str(view.posts_seen)),
                ("First seen", short_time(view.first_seen) if view.first_seen else "—"),
                ("Last seen", short_time(view.last_seen) if view.last_seen else "—"),
            ]
        ),
    ]
    if view.followers_over_time:
        series = " → ".join(f"{p.followers:,} ({p.at:%Y-%m-%d})" for p in view.followers_over_time)
        blocks.append(context([f"Followers over time: {series}"]))
    if view.watch:
        blocks.append(section(f"👁 {escape(one_line(view.watch))}"))
    lines = []
    for b in view.mentions:
        stances = ", ".join(f"{c.name} {c.count}" for c in b.by_stance)
        severities = ", ".join(f"{c.name} {c.count}" for c in b.by_severity)
        lines.append(
            f"*{escape(b.brand)}*: {b.total} mentions ({stances})"
            + (f" · negative by severity: {severities}" if severities else "")
        )
    blocks += sections(lines or ["No mentions of watched brands."], heading="*Mentions*")
    signals = [
        f"{'⚑ *' if s.fired else '· '}{escape(s.text)}{'*' if s.fired else ''}"
        for s in view.signals
    ]
    blocks += sections(signals, heading="*Credibility signals*")
    if view.recent:
        blocks += [divider(), section("*Recent mentions*")]
        blocks += [post_block(p) for p in view.recent[:MAX_RECENT]]
    if view.also_on:
        blocks.append(
            context([f"Also seen on {escape(', '.join(view.also_on))}: add the source to choose."])
        )
    text = f"@{handle} on {escape(view.source)}: {view.posts_seen} posts seen"
    return SlackMessage(fallback(text), fit_blocks(blocks, "Use /deinfluence drill <brand>."))


def render_creators(view: CreatorsView) -> SlackMessage:
    scope = view.brand or "all brands"
    blocks: list[Block] = [
        header(f"Creators: {scope}, last {view.window}"),
        context(
            [
                f"{short_time(view.since)} – {short_time(view.until)} · ranked by the reach "
                "(views, or followers without views) of their negative posts"
            ]
        ),
    ]
    lines = [
        f"{i}. {SEVERITY_EMOJI[c.worst]} *@{escape(c.handle)}* on {escape(c.source)} · "
        f"{c.negative_posts} negative posts · ~{c.reach:,} reach · "
        f"followers {thousands(c.followers)} · {escape(', '.join(c.brands))}"
        + (" · 👁 watched" if c.watched else "")
        for i, c in enumerate(view.creators, start=1)
    ]
    blocks += sections(lines or ["No negative mentions in this window."])
    if view.creators:
        blocks.append(context(["Profile: `/deinfluence creator <handle> [source]`."]))
    text = f"Creators for {scope}, last {view.window}: {len(view.creators)} with negative posts"
    return SlackMessage(fallback(text), fit_blocks(blocks, ""))
