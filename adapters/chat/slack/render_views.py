"""Command results (help, status, brands, summary, drill-down, mutes, notices) as Block Kit."""

from __future__ import annotations

from adapters.chat.slack.escape import escape, link, one_line
from adapters.chat.slack.render import (
    Block,
    SlackMessage,
    clip_markup,
    context,
    divider,
    fallback,
    fields_section,
    fit_blocks,
    header,
    section,
    sections,
)
from adapters.chat.slack.render_alert import author_text, reach_text, render_alert
from adapters.chat.slack.render_creators import render_creator, render_creators
from bot.timeutil import short_time
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
    View,
)

POST_LINE_TEXT = 280
MAX_POSTS = 10
NOTICE_ICON = {"info": "✅", "error": "⚠️", "denied": "⛔"}


def post_block(post: PostLine) -> Block:
    """One post in a list: severity, author, reach, link, clipped text and reasons."""
    emoji = SEVERITY_EMOJI[post.severity]
    alert = f" · alert #{post.alert_id}" if post.alert_id else ""
    head = (
        f"{emoji} *{post.severity.label}* ({post.score}) · {author_text(post)} on "
        f"{escape(post.source)} · {reach_text(post)} · {escape(post.lang or '?')}{alert}"
    )
    text = clip_markup(escape(one_line(post.text)), POST_LINE_TEXT)
    lines = [head, f"> {text}"]
    if post.reasons:
        lines.append("_" + clip_markup(escape("; ".join(post.reasons)), 400) + "_")
    if post.url:
        lines.append(link(post.url, "Open the post"))
    return section("\n".join(lines))


def _counted(items: tuple[Counted, ...], limit: int = 10) -> str:
    return ", ".join(f"{escape(c.name)} ({c.count})" for c in items[:limit]) or "none"


def render_notice(view: Notice) -> SlackMessage:
    icon = NOTICE_ICON.get(view.level, "ℹ️")
    return SlackMessage(fallback(view.text), [section(f"{icon} {escape(view.text)}")])


def render_help(view: HelpView) -> SlackMessage:
    lines = [f"`{escape(usage)}` — {escape(what)}" for usage, what in view.lines]
    blocks = [header("/deinfluence commands"), *sections(lines)]
    return SlackMessage("deinfluence commands", blocks)


def render_status(view: StatusView) -> SlackMessage:
    leader = f" · scheduler leader: {escape(view.leader)}" if view.leader else ""
    blocks: list[Block] = [
        header(f"Status at {short_time(view.now)}"),
        section(
            f"{view.posts} posts stored · {view.open_alerts} open alerts · "
            f"{view.undelivered} undelivered · {view.active_mutes} active mutes{leader}"
        ),
    ]
    lines = []
    for s in view.sources:
        line = f"*{escape(s.name)}* ({escape(s.type)}): {escape(s.state)}, {s.posts_fetched} posts"
        if s.last_success:
            line += f", last success {short_time(s.last_success)}"
        if s.last_error:
            line += f", last error: {escape(one_line(s.last_error))}"
        if s.backoff_until:
            line += f", backing off until {short_time(s.backoff_until)}"
        if s.quota_left is not None:
            line += f", quota left {s.quota_left}"
        lines.append(line)
    blocks += sections(lines or ["No sources configured."])
    if view.delivery_problems:
        blocks += sections([f"⚠️ {escape(p)}" for p in view.delivery_problems])
    text = (
        f"{view.posts} posts, {view.open_alerts} open alerts, {view.undelivered} undelivered, "
        f"{view.active_mutes} active mutes"
    )
    return SlackMessage(text, fit_blocks(blocks, ""))


def render_brands(view: BrandsView) -> SlackMessage:
    lines = [
        f"*{escape(b.name)}*: {b.open_alerts} open alerts, {b.mentions_24h} mentions in 24h"
        + (f" · aliases: {escape(', '.join(b.aliases))}" if b.aliases else "")
        + (f" · competitors: {escape(', '.join(b.competitors))}" if b.competitors else "")
        for b in view.brands
    ]
    blocks = [header("Watched brands"), *sections(lines or ["No brands."])]
    return SlackMessage(f"{len(view.brands)} watched brands", fit_blocks(blocks, ""))


def render_summary(view: SummaryView, *, chart_note: str = "") -> SlackMessage:
    by_severity = ", ".join(f"{c.name} {c.count}" for c in view.by_severity) or "none"
    blocks: list[Block] = [
        header(f"Summary: {view.brand or 'all brands'}, last {view.window}"),
        context([f"{short_time(view.since)} – {short_time(view.until)}"]),
        fields_section(
            [
                ("Mentions", str(view.total)),
                ("By severity", escape(by_severity)),
                ("Muted / suppressed", f"{view.muted} / {view.suppressed}"),
                ("Marked wrong (hidden)", str(view.hidden_wrong)),
                ("Top claims", _counted(view.top_claims)),
                ("Competitors recommended", _counted(view.alternatives)),
                ("Languages", _counted(view.languages)),
                ("Sources", _counted(view.sources)),
            ]
        ),
    ]
    if view.open_spikes:
        spikes = "\n".join(f"🚨 {escape(line)}" for line in view.open_spikes)
        blocks.append(section(f"*Open spikes*\n{spikes}"))
    if view.agenda:
        agenda = "\n".join(f"• {escape(line)}" for line in view.agenda)
        blocks.append(section(f"*Hidden agendas and opportunities*\n{agenda}"))
    if view.top_posts:
        blocks += [divider(), section("*Top posts by reach*")]
        blocks += [post_block(p) for p in view.top_posts[:MAX_POSTS]]
    if chart_note:
        blocks.append(context([chart_note]))
    text = (
        f"Summary for {view.brand or 'all brands'}, last {view.window}: "
        f"{view.total} mentions ({by_severity})"
    )
    return SlackMessage(fallback(text), fit_blocks(blocks, "Use /deinfluence drill <brand>."))


def render_drill(view: DrillView) -> SlackMessage:
    blocks: list[Block] = [
        header(view.title),
        context([f"page {view.page} of {view.pages} · {view.total} posts"]),
    ]
    blocks += [post_block(p) for p in view.posts]
    if not view.posts:
        blocks.append(section("No posts in this window."))
    if view.page < view.pages:
        blocks.append(context([f"More: add page {view.page + 1} to the drill command."]))
    text = f"{view.title} (page {view.page}/{view.pages}, {view.total} posts)"
    return SlackMessage(fallback(text), fit_blocks(blocks, "Ask for the next page."))


def render_mutes(view: MutesView) -> SlackMessage:
    lines = [
        f"*#{m.mute_id}* {escape(m.matchers)} · {escape(m.state)} · until {short_time(m.ends_at)}"
        f" · by {escape(m.created_by)}" + (f" · _{escape(one_line(m.reason))}_" if m.reason else "")
        for m in view.mutes
    ]
    blocks = [header("Mutes"), *sections(lines or ["No mutes."])]
    if view.mutes:
        blocks.append(context(["Lift one early with `/deinfluence unmute <mute-id>`."]))
    return SlackMessage(f"{len(view.mutes)} mutes", fit_blocks(blocks, ""))


def render_view(view: View, *, chart_note: str = "") -> SlackMessage:
    """Any core view as a Slack message."""
    match view:
        case Notice():
            return render_notice(view)
        case HelpView():
            return render_help(view)
        case StatusView():
            return render_status(view)
        case BrandsView():
            return render_brands(view)
        case SummaryView():
            return render_summary(view, chart_note=chart_note)
        case DrillView():
            return render_drill(view)
        case MutesView():
            return render_mutes(view)
        case AlertCard():
            return render_alert(view)
        case CreatorView():
            return render_creator(view, post_block)
        case CreatorsView():
            return render_creators(view)
    raise TypeError(f"no Slack renderer for {type(view).__name__}")


def render_result(result: CommandResult, *, chart_note: str = "") -> SlackMessage:
    """A command result; the fallback text is the core's own plain answer."""
    message = render_view(result.view, chart_note=chart_note)
    return SlackMessage(
        fallback(result.text) if result.text else message.text, message.blocks, message.attachments
    )
