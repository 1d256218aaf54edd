"""Alerts and their outbox of deliveries (one per route), so nothing decided is ever lost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import RouteConfig
from bot.models import Severity
from bot.store.tables import AlertRow, DeliveryRow, MentionRow, PostRow

PENDING = "pending"
IN_FLIGHT = "in_flight"
DELIVERED = "delivered"
FAILED = "failed"
PARKED = "parked"
HELD = "held"  # quiet hours: waits for the catch-up digest
FOLDED = "folded"  # delivered inside a catch-up digest
UNDELIVERED_STATES = (PENDING, IN_FLIGHT, FAILED, PARKED)


async def alerts_by_key(session: AsyncSession, keys: Sequence[str]) -> dict[str, AlertRow]:
    found: dict[str, AlertRow] = {}
    for start in range(0, len(keys), 500):
        rows = await session.scalars(
            select(AlertRow).where(AlertRow.dedup_key.in_(keys[start : start + 500]))
        )
        found.update({r.dedup_key: r for r in rows})
    return found


async def routes_of(session: AsyncSession, alert_ids: Sequence[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if not alert_ids:
        return out
    rows = await session.execute(
        select(DeliveryRow.alert_id, DeliveryRow.route).where(DeliveryRow.alert_id.in_(alert_ids))
    )
    for alert_id, route in rows:
        out.setdefault(alert_id, set()).add(route)
    return out


@dataclass(frozen=True)
class Outgoing:
    """An alert to queue for its routes; `thread_alert_id` holds it under an open spike."""

    alert_id: int
    routes: Sequence[RouteConfig]
    thread_alert_id: int | None = None
    escalate: bool = False
    severity: Severity | None = None  # a post alert's; None (spikes, digests) is never held
    channel: Literal["alerts", "opportunity"] = "alerts"  # which of the route's channels


def _channel(item: Outgoing, route: RouteConfig) -> str:
    if item.channel == "opportunity" and route.opportunity_channel:
        return route.opportunity_channel
    return route.channel


def _state(item: Outgoing, route: RouteConfig, now: datetime) -> str:
    """Non-critical post alerts wait out the route's quiet hours (then come as one digest)."""
    held = item.severity is not None and item.severity < Severity.CRITICAL
    return HELD if held and route.is_quiet(now) else PENDING


async def add_deliveries(session: AsyncSession, items: Sequence[Outgoing], now: datetime) -> None:
    """Queue messages in the outbox with one executemany; spikes get their escalation timer."""
    rows = [
        {
            "alert_id": item.alert_id,
            "route": route.name,
            "kind": "message",
            "platform": route.platform,
            "channel": _channel(item, route),
            # on-call is for risks; an opportunity or a threaded post pings nobody
            "mention": None if item.thread_alert_id or item.channel != "alerts" else route.oncall,
            "thread_alert_id": item.thread_alert_id,
            "state": _state(item, route, now),
            "delivered_version": 0,
            "attempts": 0,
            "escalation_round": 0,
            "next_escalation_at": now + route.ack_timeout if item.escalate else None,
            "next_attempt_at": now,
            "updated_at": now,
        }
        for item in items
        for route in item.routes
    ]
    if rows:
        await session.execute(insert(DeliveryRow), rows)


def post_alert_values(
    key: str,
    kind: str,
    post: PostRow,
    mention: MentionRow,
    *,
    severity: Severity,
    status: str,
    title: str,
    muted_by: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The columns of a new alert about one (post, brand) mention, for a bulk insert."""
    return {
        "dedup_key": key,
        "kind": kind,
        "brand": mention.brand,
        "mention_id": mention.id,
        "post_id": post.id,
        "severity": int(severity),
        "score": mention.score,
        "status": status,
        "version": 1,
        "title": title,
        "muted_by": muted_by,
        "details": {},
        "created_at": now,
        "updated_at": now,
    }


def bump(alert: AlertRow, now: datetime) -> None:
    """Mark that delivered messages must be edited to show the alert's new state."""
    alert.version += 1
    alert.updated_at = now


async def due_deliveries(
    session: AsyncSession, now: datetime, platforms: Sequence[str], limit: int = 100
) -> list[int]:
    """Deliveries to post (pending, retry due) or to edit (delivered but older than the alert).

    Only for `platforms` this process is connected to: a CLI command run beside the bot
    leaves Slack and Discord deliveries to the bot instead of failing them.
    """
    query = (
        select(DeliveryRow.id)
        .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
        .where(DeliveryRow.platform.in_(platforms))
        .where(
            or_(
                (DeliveryRow.state.in_((PENDING, FAILED, PARKED)))
                & (DeliveryRow.next_attempt_at <= now),
                (DeliveryRow.state == DELIVERED)
                & (DeliveryRow.kind == "message")
                & (DeliveryRow.delivered_version < AlertRow.version)
                & (DeliveryRow.next_attempt_at <= now),
            )
        )
        .order_by(DeliveryRow.id)
        .limit(limit)
    )
    return list(await session.scalars(query))


async def in_flight(session: AsyncSession, platforms: Sequence[str]) -> list[int]:
    return list(
        await session.scalars(
            select(DeliveryRow.id).where(
                DeliveryRow.state == IN_FLIGHT, DeliveryRow.platform.in_(platforms)
            )
        )
    )


async def load_alert(
    session: AsyncSession, alert_id: int
) -> tuple[AlertRow, MentionRow | None, PostRow | None] | None:
    alert = await session.get(AlertRow, alert_id)
    if alert is None:
        return None
    mention = await session.get(MentionRow, alert.mention_id) if alert.mention_id else None
    post = await session.get(PostRow, alert.post_id) if alert.post_id else None
    return alert, mention, post


async def deliveries_of(session: AsyncSession, alert_id: int) -> list[DeliveryRow]:
    return list(await session.scalars(select(DeliveryRow).where(DeliveryRow.alert_id == alert_id)))


async def delivery_problems(session: AsyncSession, limit: int = 10) -> list[str]:
    """Why alerts are stuck, one line per (platform, channel, error): `not_in_channel` and co."""
    rows = await session.execute(
        select(
            DeliveryRow.platform,
            DeliveryRow.channel,
            DeliveryRow.last_error,
            func.count(),
            func.max(DeliveryRow.next_attempt_at),
        )
        .where(DeliveryRow.state.in_((FAILED, PARKED)), DeliveryRow.last_error.is_not(None))
        .group_by(DeliveryRow.platform, DeliveryRow.channel, DeliveryRow.last_error)
        .order_by(func.count().desc())
        .limit(limit)
    )
    return [
        f"{platform} {channel}: {count} alert(s) undelivered: {error} (retrying)"
        for platform, channel, error, count, _ in rows
    ]


async def count_undelivered(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(DeliveryRow)
            .where(DeliveryRow.state.in_(UNDELIVERED_STATES))
        )
        or 0
    )
