"""Pure renderers: core views in, Discord embeds and message content out, always within limits.

Nothing here talks to Discord; the notifier and the command handlers send what these return.
Text from social posts goes through `safe()`; only our own templates write markdown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from adapters.chat.discord.limits import (
    FIELD_VALUE_LIMIT,
    MESSAGE_LIMIT,
    clip,
    fit_embed,
    is_snowflake,
    one_line,
    safe,
    safe_url,
)
from adapters.chat.discord.render_creators import creator_embed, creators_embed
from bot.models import Severity
from bot.timeutil import as_utc, short_time
from bot.views import (
    SEVERITY_EMOJI,
    AlertCard,
    BrandsView,
    CommandResult,
    Counted,
    CreatorsView,
    CreatorView,
    DrillView,
    HelpView,
    MutesView,
    Notice,
    PostLine,
    StatusView,
    SummaryView,
)

CHART_FILENAME = "summary.png"
QUOTE_LIMIT = 700
LINE_TEXT_LIMIT = 160
NEUTRAL_COLOUR = 0x5865F2
NOTICE_ICON = {"info": "✅", "error": "⚠️", "denied": "⛔"}


@dataclass(frozen=True)
class Rendered:
    """One Discord message: content (≤ 2000 chars), embeds, and the chart attachment's name."""

    content: str | None = None
    embeds: tuple[discord.Embed, ...] = field(default_factory=tuple)
    chart_filename: str | None = None
    chart_alt: str | None = None


def _number(value: int | None) -> str | None:
    return f"{value:,}" if value is not None else None


def reach_text(post: PostLine) -> str:
    parts = [post.reach or "unknown"]
    for value, unit in (
        (post.followers, "followers"),
        (post.views, "views"),
        (post.likes, "likes"),
    ):
        if value is not None:
            parts.append(f"{value:,} {unit}")
    return " · ".join(parts)


def author_text(post: PostLine) -> str:
    tick = " ✓" if post.verified else ""
    return f"@{safe(post.author.lstrip('@'), 100)}{tick}"


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """A post's text as a block quote, collapsed to one paragraph, escaped and clipped."""
    return "> " + safe(one_line(text), limit) if text.strip() else "> (no text)"


def _bullets(lines: tuple[str, ...] | list[str], limit: int = FIELD_VALUE_LIMIT) -> str:
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        item = f"• {safe(one_line(line), 300)}"
        if used + len(item) + 1 > limit - 20:
            out.append(f"… {len(lines) - index} more")
            break
        out.append(item)
        used += len(item) + 1
    return "\n".join(out)


# --- alerts --------------------------------------------------------------------------------------


def alert_content(card: AlertCard, mention: str | None) -> str:
    """The line above the embed; the only place the route's on-call role is ever written.

    It carries no severity or status: edits keep it as posted, the embed shows the current state.
    """
    ping = f"<@&{mention.strip()}> " if mention and is_snowflake(mention) else ""
    text = f"{ping}New {card.kind} alert for **{safe(card.brand, 100)}** (#{card.alert_id})"
    return clip(text, MESSAGE_LIMIT)


def alert_embed(card: AlertCard) -> discord.Embed:
    post = card.post
    embed = discord.Embed(
        title=f"{card.badge} #{card.alert_id} {safe(card.title)}",
        colour=card.colour,
        url=safe_url(post.url) if post else None,
        description=quote(post.text) if post else None,
        timestamp=as_utc(post.created_at)
        if post
        else (as_utc(card.updated_at) if card.updated_at else None),
    )
    embed.add_field(name="Brand", value=safe(card.brand, 200))
    embed.add_field(name="Severity", value=f"{card.grade} · {card.score}/100")
    embed.add_field(name="Status", value=safe(card.status, 100))
    if post is not None:
        embed.add_field(name="Source", value=safe(post.source, 100))
        embed.add_field(name="Author", value=author_text(post))
        embed.add_field(name="Reach", value=reach_text(post))
        embed.add_field(name="Language", value=safe(post.lang or "unknown", 20))
    if card.reasons:
        embed.add_field(name=card.reasons_heading, value=_bullets(card.reasons), inline=False)
    if card.history:
        embed.add_field(name="History", value=_bullets(card.history), inline=False)
    link = safe_url(post.url) if post else None
    if link:
        embed.add_field(name="Link", value=f"[Open the post]({link})", inline=False)
    embed.set_footer(text=f"deinfluence · {card.kind} alert #{card.alert_id}")
    return fit_embed(embed)


def alert_message(card: AlertCard, mention: str | None = None) -> Rendered:
    return Rendered(content=alert_content(card, mention), embeds=(alert_embed(card),))


# --- command results ------------------------------------------------------------------------------


def notice_content(view: Notice) -> str:
    return clip(f"{NOTICE_ICON.get(view.level, '')} {view.text}".strip(), MESSAGE_LIMIT)


def help_embed(view: HelpView) -> discord.Embed:
    lines = [f"`{usage}` — {what}" for usage, what in view.lines]
    return fit_embed(
        discord.Embed(title="/deinfluence", description="\n".join(lines), colour=NEUTRAL_COLOUR)
    )


def status_embed(view: StatusView) -> discord.Embed:
    summary = (
        f"{view.posts:,} posts stored · {view.open_alerts:,} open alerts · "
        f"{view.undelivered:,} undelivered · {view.active_mutes:,} active mutes"
    )
    if view.leader:
        summary += f"\nScheduler leader: {safe(view.leader, 100)}"
    embed = discord.Embed(
        title=f"Status at {short_time(view.now)}", description=summary, colour=NEUTRAL_COLOUR
    )
    for source in view.sources:
        lines = [f"**{safe(source.state, 50)}** · {source.posts_fetched:,} posts fetched"]
        if source.last_success:
            lines.append(f"last success {short_time(source.last_success)}")
        if source.last_error:
            when = f" ({short_time(source.last_error_at)})" if source.last_error_at else ""
            lines.append(f"last error{when}: {safe(one_line(source.last_error), 300)}")
        if source.backoff_until:
            lines.append(f"backing off until {short_time(source.backoff_until)}")
        if source.quota_left is not None:
            lines.append(f"quota left: {source.quota_left:,}")
        embed.add_field(
            name=f"{safe(source.name, 60)} ({safe(source.type, 30)})",
            value="\n".join(lines),
            inline=False,
        )
    if not view.sources:
        embed.add_field(name="Sources", value="No sources configured.", inline=False)
    if view.delivery_problems:
        problems = "\n".join(safe(p, 300) for p in view.delivery_problems)
        embed.add_field(name="Delivery problems", value=safe(problems, 1000), inline=False)
    return fit_embed(embed)


def brands_embed(view: BrandsView) -> discord.Embed:
    embed = discord.Embed(title="Watched brands", colour=NEUTRAL_COLOUR)
    for brand in view.brands:
        lines = [f"{brand.open_alerts:,} open alerts · {brand.mentions_24h:,} mentions in 24h"]
        if brand.aliases:
            lines.append("aliases: " + safe(", ".join(brand.aliases), 400))
        if brand.competitors:
            lines.append("competitors: " + safe(", ".join(brand.competitors), 400))
        embed.add_field(name=safe(brand.name, 200), value="\n".join(lines), inline=False)
    if not view.brands:
        embed.description = "No brands configured."
    return fit_embed(embed)


def _severity_icon(name: str) -> str:
    try:
        return SEVERITY_EMOJI[Severity.parse(name)]
    except ValueError:
        return "•"


def _counted(items: tuple[Counted, ...], limit: int = 10) -> str:
    shown = [f"{safe(c.name, 80)}: {c.count:,}" for c in items[:limit]]
    if len(items) > limit:
        shown.append(f"… {len(items) - limit} more")
    return "\n".join(shown) or "—"


def post_line_text(post: PostLine, text_limit: int = LINE_TEXT_LIMIT) -> str:
    """One post in a list: who, reach, a short quote, why, and the link."""
    alert = f"#{post.alert_id} " if post.alert_id else ""
    head = (
        f"{SEVERITY_EMOJI[post.severity]} {alert}{author_text(post)} on {safe(post.source, 40)}"
        f" · {reach_text(post)}"
    )
    lines = [head, quote(post.text, text_limit)]
    if post.reasons:
        lines.append("why: " + safe(one_line("; ".join(post.reasons)), 200))
    link = safe_url(post.url)
    if link:
        lines.append(f"[open]({link})")
    return "\n".join(lines)


def summary_embed(view: SummaryView, *, with_chart: bool) -> discord.Embed:
    scope = safe(view.brand, 100) if view.brand else "all brands"
    counts = " · ".join(f"{_severity_icon(c.name)} {c.name} {c.count:,}" for c in view.by_severity)
    description = [
        f"{short_time(view.since)} → {short_time(view.until)}",
        f"**{view.total:,}** mentions" + (f" — {counts}" if counts else ""),
        f"suppressed {view.suppressed:,} · muted {view.muted:,} · "
        f"marked wrong {view.hidden_wrong:,}",
    ]
    embed = discord.Embed(
        title=f"Summary: {scope} — last {safe(view.window, 20)}",
        description="\n".join(description),
        colour=NEUTRAL_COLOUR,
    )
    if view.open_spikes:
        spikes = "\n".join(f"🚨 {safe(one_line(line), 200)}" for line in view.open_spikes)
        embed.add_field(name="Open spikes", value=safe(spikes, 1000), inline=False)
    if view.agenda:
        embed.add_field(
            name="Hidden agendas and opportunities",
            value=safe("\n".join(f"• {one_line(line)}" for line in view.agenda), 1000),
            inline=False,
        )
    for index, post in enumerate(view.top_posts[:5], start=1):
        embed.add_field(name=f"Top post {index}", value=post_line_text(post), inline=False)
    embed.add_field(name="Top claims", value=_counted(view.top_claims))
    embed.add_field(name="Recommended instead", value=_counted(view.alternatives))
    embed.add_field(name="Languages", value=_counted(view.languages))
    embed.add_field(name="Sources", value=_counted(view.sources))
    if with_chart:
        embed.set_image(url=f"attachment://{CHART_FILENAME}")
        if view.chart_alt:
            embed.set_footer(text=one_line(view.chart_alt))
    return fit_embed(embed)


def drill_embed(view: DrillView) -> discord.Embed:
    embed = discord.Embed(
        title=safe(view.title),
        description=f"Page {view.page}/{view.pages} · {view.total:,} posts",
        colour=NEUTRAL_COLOUR,
    )
    for post in view.posts:
        name = f"{post.severity.label} · {post.score}/100 · {post.brand}"
        embed.add_field(name=safe(name, 200), value=post_line_text(post, 300), inline=False)
    if not view.posts:
        embed.description = f"{embed.description}\nNo posts in this window."
    if view.page < view.pages:
        embed.set_footer(text=f"More: use the page option ({view.page + 1} of {view.pages})")
    return fit_embed(embed)


def mutes_embed(view: MutesView) -> discord.Embed:
    embed = discord.Embed(title="Mutes", colour=NEUTRAL_COLOUR)
    for mute in view.mutes:
        lines = [
            f"**{mute.state}** · {short_time(mute.starts_at)} → {short_time(mute.ends_at)}",
            f"by {safe(mute.created_by, 100)}",
        ]
        if mute.reason:
            lines.append(safe(one_line(mute.reason), 500))
        embed.add_field(
            name=f"#{mute.mute_id} {safe(mute.matchers, 200)}", value="\n".join(lines), inline=False
        )
    if not view.mutes:
        embed.description = "No mutes."
    return fit_embed(embed)


def render_result(result: CommandResult) -> Rendered:
    """Any command result as one message; the chart is attached only for summaries."""
    view = result.view
    match view:
        case Notice():
            return Rendered(content=notice_content(view))
        case HelpView():
            return Rendered(embeds=(help_embed(view),))
        case StatusView():
            return Rendered(embeds=(status_embed(view),))
        case BrandsView():
            return Rendered(embeds=(brands_embed(view),))
        case SummaryView():
            chart = result.chart_png is not None
            return Rendered(
                embeds=(summary_embed(view, with_chart=chart),),
                chart_filename=CHART_FILENAME if chart else None,
                chart_alt=clip(one_line(view.chart_alt), 1000)
                if chart and view.chart_alt
                else None,
            )
        case DrillView():
            return Rendered(embeds=(drill_embed(view),))
        case MutesView():
            return Rendered(embeds=(mutes_embed(view),))
        case AlertCard():
            return Rendered(embeds=(alert_embed(view),))
        case CreatorView():
            return Rendered(embeds=(creator_embed(view, post_line_text),))
        case CreatorsView():
            return Rendered(embeds=(creators_embed(view),))
    return Rendered(content=clip(safe(result.text), MESSAGE_LIMIT))
