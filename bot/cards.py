"""Builds the neutral views of alerts and posts from stored rows."""

from __future__ import annotations

from bot.alerts import ACKNOWLEDGED, RESOLVED, SUPPRESSED
from bot.models import Severity
from bot.opportunities import KIND as OPPORTUNITY
from bot.store.tables import AlertRow, MentionRow, PostRow
from bot.timeutil import short_time
from bot.views import Action, AlertCard, PostLine


def post_line(post: PostRow, mention: MentionRow | None, alert_id: int | None = None) -> PostLine:
    return PostLine(
        source=post.source,
        native_id=post.native_id,
        url=post.url,
        author=post.author_handle,
        followers=post.author_followers,
        verified=post.author_verified,
        text=post.text,
        lang=(mention.lang if mention is not None and mention.lang else post.lang),
        created_at=post.created_at,
        views=post.views,
        likes=post.likes,
        severity=Severity(mention.severity) if mention else Severity.NONE,
        score=mention.score if mention else 0,
        reach=mention.reach if mention else "",
        reasons=tuple(r["text"] for r in (mention.reasons if mention else [])),
        brand=mention.brand if mention else "",
        alert_id=alert_id,
    )


def _history(alert: AlertRow) -> tuple[str, ...]:
    lines = []
    if alert.status == SUPPRESSED and alert.muted_by:
        lines.append(f"muted by mute #{alert.muted_by}")
    if alert.acked_by and alert.acked_at:
        lines.append(f"acknowledged by {alert.acked_by} at {short_time(alert.acked_at)}")
    if alert.resolved_at:
        who = f" by {alert.resolved_by}" if alert.resolved_by else ""
        lines.append(f"resolved{who} at {short_time(alert.resolved_at)}")
    if alert.wrong_by:
        lines.append(f"marked wrong (false positive) by {alert.wrong_by}")
    for note in alert.details.get("notes", []):
        lines.append(str(note))
    return tuple(lines)


def _actions(alert: AlertRow) -> tuple[Action, ...]:
    if alert.kind == "digest":
        return ()
    if alert.kind == "spike":  # the posts behind it, and owning it; a wave is never "wrong"
        spike = [Action.ACK, Action.MUTE_1H, Action.MUTE_24H, Action.SHOW_POSTS]
        if alert.status == ACKNOWLEDGED:
            spike.remove(Action.ACK)
        return (Action.SHOW_POSTS,) if alert.status == RESOLVED else tuple(spike)
    if alert.status == RESOLVED or alert.wrong_by:
        return (Action.SHOW_POSTS,)
    actions = [Action.ACK, Action.MUTE_1H, Action.MUTE_24H, Action.SHOW_POSTS, Action.WRONG]
    if alert.status == ACKNOWLEDGED or alert.kind == OPPORTUNITY:  # nothing to own
        actions.remove(Action.ACK)
    return tuple(actions)


def alert_card(alert: AlertRow, mention: MentionRow | None, post: PostRow | None) -> AlertCard:
    line = post_line(post, mention, alert.id) if post is not None else None
    return AlertCard(
        alert_id=alert.id,
        kind=alert.kind,
        brand=alert.brand,
        severity=Severity(alert.severity),
        score=alert.score,
        status=alert.status,
        title=alert.title,
        post=line,
        reasons=line.reasons if line else tuple(alert.details.get("reasons", [])),
        history=_history(alert),
        actions=_actions(alert),
        updated_at=alert.updated_at,
    )


def mention_title(severity: Severity, brand: str, author: str, source: str) -> str:
    return f"{severity.label.capitalize()} risk: {brand} — @{author.lstrip('@')} on {source}"
