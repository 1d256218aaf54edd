"""Pruning raw posts after `retention_days`, keeping the hourly aggregates that summaries and
spike baselines need. Runs daily on the leader; each batch is one transaction, so a crash
half-way leaves every hour either still raw or already aggregated, never both or neither."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.spikes import hour_start
from bot.store.database import Database
from bot.store.tables import FollowerSnapshotRow, MentionHourlyRow, MentionRow, PostRow

log = logging.getLogger(__name__)

BATCH = 2000
Key = tuple[str, str, datetime, str, int, str]  # brand, source, hour, stance, severity, lang


@dataclass
class PruneReport:
    posts: int = 0
    mentions: int = 0
    cutoff: datetime | None = None


@dataclass
class Bucket:
    count: int = 0
    claims: Counter[str] | None = None
    alternatives: Counter[str] | None = None

    def add(self, mention: MentionRow) -> None:
        self.count += 1
        self.claims = (self.claims or Counter()) + Counter(c["claim"] for c in mention.claims)
        if mention.alternative:
            self.alternatives = (self.alternatives or Counter()) + Counter([mention.alternative])


def cutoff_for(now: datetime, retention_days: int) -> datetime:
    """Whole hours only, so an aggregated hour is complete."""
    return hour_start(now - timedelta(days=retention_days))


async def prune(db: Database, clock: Clock, retention_days: int, batch: int = BATCH) -> PruneReport:
    report = PruneReport(cutoff=cutoff_for(clock.now(), retention_days))
    assert report.cutoff is not None
    while True:
        async with db.transaction() as session:
            done = await _prune_batch(session, report.cutoff, batch, report)
        if done:
            break
    async with db.transaction() as session:  # follower counts age out with the posts
        await session.execute(
            delete(FollowerSnapshotRow).where(FollowerSnapshotRow.at < report.cutoff)
        )
    if report.posts:
        log.info(
            "retention: pruned %d posts (%d mentions aggregated) older than %s",
            report.posts,
            report.mentions,
            report.cutoff.isoformat(),
        )
    return report


async def _prune_batch(
    session: AsyncSession, cutoff: datetime, batch: int, report: PruneReport
) -> bool:
    post_ids = list(
        await session.scalars(
            select(PostRow.id).where(PostRow.created_at < cutoff).order_by(PostRow.id).limit(batch)
        )
    )
    if not post_ids:
        return True
    rows = await session.execute(
        select(MentionRow, PostRow.source)
        .join(PostRow, PostRow.id == MentionRow.post_id)
        .where(MentionRow.post_id.in_(post_ids), MentionRow.wrong.is_(False))
    )
    buckets: dict[Key, Bucket] = {}
    for mention, source in rows:
        key = (
            mention.brand,
            source,
            hour_start(mention.post_created_at),
            mention.stance,
            mention.severity,
            mention.lang or "",
        )
        buckets.setdefault(key, Bucket()).add(mention)
        report.mentions += 1
    await _add_to_aggregates(session, buckets)
    await session.execute(delete(PostRow).where(PostRow.id.in_(post_ids)))  # mentions cascade
    report.posts += len(post_ids)
    return len(post_ids) < batch


async def _add_to_aggregates(session: AsyncSession, buckets: dict[Key, Bucket]) -> None:
    for (brand, source, hour, stance, severity, lang), bucket in buckets.items():
        row = await session.scalar(
            select(MentionHourlyRow).where(
                MentionHourlyRow.brand == brand,
                MentionHourlyRow.source == source,
                MentionHourlyRow.hour == hour,
                MentionHourlyRow.stance == stance,
                MentionHourlyRow.severity == severity,
                MentionHourlyRow.lang == lang,
            )
        )
        if row is None:
            row = MentionHourlyRow(
                brand=brand,
                source=source,
                hour=hour,
                stance=stance,
                severity=severity,
                lang=lang,
                count=0,
                claims={},
                alternatives={},
            )
            session.add(row)
        row.count += bucket.count
        row.claims = _merge(row.claims, bucket.claims)
        row.alternatives = _merge(row.alternatives, bucket.alternatives)


def _merge(stored: dict[str, Any], extra: Counter[str] | None) -> dict[str, Any]:
    merged = Counter({k: int(v) for k, v in (stored or {}).items()})
    merged.update(extra or Counter())
    return dict(merged)


async def aggregates(
    session: AsyncSession, brand: str | None, since: datetime, until: datetime
) -> list[MentionHourlyRow]:
    """The aggregated hours inside a window (only hours whose raw posts were pruned)."""
    query = select(MentionHourlyRow).where(
        MentionHourlyRow.hour >= hour_start(since), MentionHourlyRow.hour <= until
    )
    if brand is not None:
        query = query.where(MentionHourlyRow.brand == brand)
    return list(await session.scalars(query))
