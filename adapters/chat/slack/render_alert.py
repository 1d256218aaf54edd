"""Alert cards as Block Kit: one pure function for new and updated alerts alike."""

from __future__ import annotations

from typing import Any

from adapters.chat.slack import ids
from adapters.chat.slack.escape import actors, escape, link, one_line, quote_block
from adapters.chat.slack.render import (
    MAX_BUTTON_TEXT,
    Block,
    SlackMessage,
    clip_markup,
    context,
    fallback,
    fields_section,
    fit_blocks,
    header,
    plain,
    section,
    sections,
    thousands,
)
from bot.timeutil import short_time
from bot.views import Action, AlertCard, PostLine

POST_TEXT_LIMIT = 700
REASON_LIMIT = 300
MAX_REASONS = 8
MAX_HISTORY = 10

BUTTON_LABELS = {
    Action.ACK: "Acknowledge",
    Action.MUTE_1H: "Mute brand 1h",
    Action.MUTE_24H: "Mute brand 24h",
    Action.SHOW_POSTS: "Show posts",
    Action.WRONG: "Wrong (false positive)",
}
STATUS_LABELS = {
    "open": "Open",
    "acknowledged": "✅ Acknowledged",
    "resolved": "☑️ Resolved",
    "suppressed": "🔕 Muted",
    "escalated": "⏫ Escalated",
}


def reach_text(post: PostLine) -> str:
    parts = []
    if post.followers is not None:
        parts.append(f"{thousands(post.followers)} followers")
    if post.views is not None:
        parts.append(f"{thousands(post.views)} views")
    if post.likes is not None:
        parts.append(f"{thousands(post.likes)} likes")
    tier = escape(post.reach) if post.reach else "unknown"
    return f"{tier} ({', '.join(parts)})" if parts else tier


def author_text(post: PostLine) -> str:
    verified = " ✓ verified" if post.verified else ""
    return f"@{escape(one_line(post.author.lstrip('@')))}{verified}"


def _status(card: AlertCard) -> str:
    return STATUS_LABELS.get(card.status, escape(card.status))


def _fields(card: AlertCard) -> Block:
    pairs = [
        ("Severity", f"{card.badge} {card.grade} (score {card.score})"),
        ("Brand", escape(card.brand)),
        ("Status", _status(card)),
    ]
    post = card.post
    if post is not None:
        pairs += [
            ("Source", escape(post.source)),
            ("Author", author_text(post)),
            ("Reach", reach_text(post)),
            ("Language", escape(post.lang or "unknown")),
            ("Posted", short_time(post.created_at)),
        ]
    else:
        pairs.append(("Kind", escape(card.kind)))
    return fields_section(pairs)


def _reasons(card: AlertCard) -> list[Block]:
    if not card.reasons:
        return []
    lines = [
        f"• {clip_markup(escape(one_line(r)), REASON_LIMIT)}" for r in card.reasons[:MAX_REASONS]
    ]
    if len(card.reasons) > MAX_REASONS:
        lines.append(f"• … and {len(card.reasons) - MAX_REASONS} more (Show posts)")
    return sections(lines, heading=f"*{card.reasons_heading}*")


def _history(card: AlertCard) -> list[Block]:
    if not card.history:
        return []
    lines = [f"↳ {actors(line)}" for line in card.history[-MAX_HISTORY:]]
    return sections(lines)


def _button(action: Action, alert_id: int) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": ids.action_id(action),
        "text": plain(BUTTON_LABELS[action], MAX_BUTTON_TEXT),
        "value": ids.button_value(alert_id),
    }
    if action is Action.ACK:
        button["style"] = "primary"
    if action is Action.WRONG:
        button["style"] = "danger"
        button["confirm"] = {
            "title": plain("Mark as a false positive?", 100),
            "text": plain("The alert is resolved and its post is hidden from summaries.", 300),
            "confirm": plain("Mark wrong", 30),
            "deny": plain("Cancel", 30),
        }
    return button


def alert_fallback(card: AlertCard, mention: str | None = None) -> str:
    text = fallback(f"{card.badge} {card.title} (alert #{card.alert_id}, {card.status})")
    return f"{mention} {text}" if mention else text


def render_alert(card: AlertCard, *, mention: str | None = None) -> SlackMessage:
    """A new or updated alert. `mention` is an already-built `<!subteam^…>` from our config."""
    blocks: list[Block] = []
    if mention:
        blocks.append(section(f"{mention} new {card.grade} alert for {escape(card.brand)}"))
    blocks.append(header(f"{card.badge} {card.title}"))
    blocks.append(_fields(card))
    if card.post is not None:
        blocks.append(section(quote_block(card.post.text, POST_TEXT_LIMIT)))
    blocks += _reasons(card)
    parts = [f"alert #{card.alert_id}"]
    if card.post is not None and card.post.url:
        parts.insert(0, link(card.post.url, f"Open the post on {card.post.source}"))
    if card.updated_at is not None:
        parts.append(f"updated {short_time(card.updated_at)}")
    blocks.append(context(parts))
    blocks += _history(card)
    if card.actions:
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.ACTIONS_BLOCK,
                "elements": [_button(a, card.alert_id) for a in card.actions],
            }
        )
    blocks = fit_blocks(blocks, f"Use /deinfluence drill {card.alert_id}.")
    stripe = {
        "color": f"#{card.colour:06X}",
        "fallback": f"{card.grade} alert #{card.alert_id}",
        "blocks": [context([f"{card.badge} {card.grade} · score {card.score} · {_status(card)}"])],
    }
    return SlackMessage(alert_fallback(card, mention), blocks, [stripe])
