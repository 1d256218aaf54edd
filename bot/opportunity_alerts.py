"""Open `opportunity` alerts inside the ingest transaction, one per (post, brand), ever.

Only routes with an `opportunity_channel` get them, and only in that channel; mutes
apply as for any alert (a silence is someone's explicit choice); a post's later
growth never re-sends one (an opportunity is news once).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import OPEN, SUPPRESSED
from bot.config import Config, RouteConfig
from bot.models import Severity
from bot.mutes import Mute, first_matching
from bot.opportunities import KIND, dedup_key, title
from bot.store import alerts as alert_store
from bot.store.tables import AlertRow, MentionRow, PostRow


def opportunity_routes(config: Config, brand: str) -> tuple[RouteConfig, ...]:
    return tuple(r for r in config.routes if r.opportunity_channel and r.covers(brand))


async def open_opportunities(
    session: AsyncSession,
    config: Config,
    found: Sequence[tuple[PostRow, MentionRow]],
    mutes: list[Mute],
    now: datetime,
    *,
    alert_after: datetime | None = None,
) -> list[int]:
    """Create the alerts and queue their deliveries; returns the ids queued for chat."""
    keys = {dedup_key(post.id, mention.brand): (post, mention) for post, mention in found}
    existing = await alert_store.alerts_by_key(session, list(keys))
    rows, routes_by_key = [], {}
    for key, (post, mention) in keys.items():
        routes = opportunity_routes(config, mention.brand)
        if key in existing or mention.wrong or not routes:
            continue
        if alert_after is not None and post.created_at < alert_after:
            continue  # backfilled history: stored and scored, nobody told
        mute = first_matching(
            mutes,
            now,
            brand=mention.brand,
            source=post.source,
            author=post.author_handle,
            severity=Severity(mention.severity),
        )
        rows.append(
            alert_store.post_alert_values(
                key,
                KIND,
                post,
                mention,
                severity=Severity.NONE,
                status=SUPPRESSED if mute is not None else OPEN,
                title=title(mention.brand, post.author_handle, post.source),
                muted_by=mute.id if mute is not None else None,
                now=now,
            )
        )
        if mute is None:
            routes_by_key[key] = routes
    if not rows:
        return []
    await session.execute(insert(AlertRow), rows)
    created = await alert_store.alerts_by_key(session, list(routes_by_key))
    outgoing = [
        alert_store.Outgoing(created[key].id, routes, severity=Severity.NONE, channel="opportunity")
        for key, routes in routes_by_key.items()
    ]
    await alert_store.add_deliveries(session, outgoing, now)
    return [item.alert_id for item in outgoing]
