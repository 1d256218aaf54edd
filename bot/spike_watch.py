"""After every poll: is any brand's negative volume spiking? Open, refresh or resolve spike alerts.

Per brand, and per brand and source where the brand as a whole is not spiking
(a TikTok wave can drown in a brand's total; one wave should not page twice).
The maths is `bot.spikes`; this module only feeds it from the store and turns
its verdicts into the on-call lifecycle of `bot.oncall`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.durations import format_duration
from bot.models import Severity
from bot.oncall import OnCall
from bot.retention import aggregates
from bot.spikes import RecentMention, Series, SpikeCheck, assess
from bot.store.database import Database
from bot.store.tables import MentionRow, PostRow
from bot.timeutil import as_utc

DRIVER_LINES = 5
CRITICAL_RATIO = 5.0  # a wave this many times the usual volume is critical, not just high


@dataclass
class SpikeReport:
    opened: list[int]
    resolved: list[int]


def _hour_bucket(db: Database) -> Any:
    """The hour a mention falls in, in UTC, the way each database spells it."""
    if db.is_sqlite:
        return func.strftime("%Y-%m-%d %H:00:00", MentionRow.post_created_at)
    return func.date_trunc("hour", func.timezone("UTC", MentionRow.post_created_at))


def _as_hour(value: Any) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


class SpikeWatch:
    def __init__(self, config: Config, db: Database, clock: Clock, oncall: OnCall) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.oncall = oncall
        self.policy = config.spikes

    async def evaluate(self) -> SpikeReport:
        report = SpikeReport([], [])
        now = self.clock.now()
        async with self.db.transaction() as session:
            for brand in self.config.brands:
                if not self.config.routes_for(brand.name):
                    continue  # nobody to tell
                check = await self._check(session, brand.name, None, now)
                spiking = await self._apply(session, check, report)
                if spiking:
                    continue
                for source in await self._recent_sources(session, brand.name, now):
                    await self._apply(
                        session, await self._check(session, brand.name, source, now), report
                    )
        return report

    async def _recent_sources(self, session: AsyncSession, brand: str, now: datetime) -> list[str]:
        rows = await session.scalars(
            select(PostRow.source)
            .join(MentionRow, MentionRow.post_id == PostRow.id)
            .where(
                MentionRow.brand == brand,
                MentionRow.post_created_at > now - self.policy.window,
                MentionRow.stance == "negative",
            )
            .distinct()
        )
        return sorted(set(rows))

    async def _check(
        self, session: AsyncSession, brand: str, source: str | None, now: datetime
    ) -> SpikeCheck:
        return assess(
            await self._series(session, brand, source, now),
            now,
            self.policy,
            brand=brand,
            source=source,
        )

    async def _series(
        self, session: AsyncSession, brand: str, source: str | None, now: datetime
    ) -> Series:
        bucket = _hour_bucket(self.db)
        where = [
            MentionRow.brand == brand,
            MentionRow.stance == "negative",
            MentionRow.wrong.is_(False),
            MentionRow.post_created_at > now - self.policy.history - self.policy.window,
            MentionRow.post_created_at <= now,
        ]
        query = select(bucket, MentionRow.severity, func.count()).where(*where)
        if source is not None:
            query = query.join(PostRow, PostRow.id == MentionRow.post_id).where(
                PostRow.source == source
            )
        hourly: dict[datetime, dict[Severity, int]] = {}
        for hour, severity, count in await session.execute(
            query.group_by(bucket, MentionRow.severity)
        ):
            hourly.setdefault(_as_hour(hour), {})[Severity(severity)] = int(count)
        since = now - self.policy.history - self.policy.window
        for row in await aggregates(session, brand, since, now):  # hours already pruned
            if row.stance == "negative" and (source is None or row.source == source):
                counts = hourly.setdefault(row.hour, {})
                counts[Severity(row.severity)] = counts.get(Severity(row.severity), 0) + row.count
        recent_query = (
            select(MentionRow, PostRow)
            .join(PostRow, PostRow.id == MentionRow.post_id)
            .where(
                *where[:3],
                MentionRow.post_created_at > now - self.policy.window,
                MentionRow.post_created_at <= now,
            )
        )
        if source is not None:
            recent_query = recent_query.where(PostRow.source == source)
        recent = [
            RecentMention(
                at=min(mention.post_created_at, post.first_seen_at),
                severity=Severity(mention.severity),
                ref=str(mention.id),
                reach=max(post.views or 0, post.author_followers or 0),
            )
            for mention, post in await session.execute(recent_query)
        ]
        return Series(hourly=hourly, recent=recent)

    async def _apply(self, session: AsyncSession, check: SpikeCheck, report: SpikeReport) -> bool:
        """Open, refresh or resolve the spike alert for this check; True while spiking."""
        active = await self.oncall.active_spike(session, check.brand, check.source)
        if check.is_spike:
            facts = await self._facts(session, check)
            critical = (
                check.ratio >= CRITICAL_RATIO or check.by_severity.get(Severity.CRITICAL, 0) >= 3
            )
            severity = Severity.CRITICAL if critical else Severity.HIGH
            where = f" on {check.source}" if check.source else ""
            title = (
                f"Spike: {check.brand}{where}: {check.count} negative mentions "
                f"in the last {format_duration(self.policy.window)}"
            )
            if active is None:
                facts["wave_start"] = (check.now - self.policy.window).isoformat()
                alert = await self.oncall.open_spike(
                    session, check.brand, check.source, facts, severity, title
                )
                report.opened.append(alert.id)
            else:
                self.oncall.still_spiking(active, facts, severity, title)
            return True
        if active is not None and self.oncall.back_under(session, active):
            report.resolved.append(active.id)
        return False

    async def _facts(self, session: AsyncSession, check: SpikeCheck) -> dict[str, Any]:
        """What the spike message shows: the maths in words and the posts that drive it."""
        ids = [int(d.ref) for d in check.drivers]
        lines = [check.explain(), f"baseline: {check.basis_text}"]
        if ids:
            rows = await session.execute(
                select(MentionRow, PostRow)
                .join(PostRow, PostRow.id == MentionRow.post_id)
                .where(MentionRow.id.in_(ids))
            )
            by_id = {m.id: (m, p) for m, p in rows}
            for mention_id in ids[:DRIVER_LINES]:
                if mention_id in by_id:
                    mention, post = by_id[mention_id]
                    text = " ".join(post.text.split())[:90]
                    lines.append(
                        f"[{Severity(mention.severity).label}] @{post.author_handle} "
                        f"on {post.source}: {text}"
                    )
            if len(ids) > DRIVER_LINES:
                lines.append(f"… {len(ids) - DRIVER_LINES} more under Show posts (drill)")
        return {
            "observed": check.count,
            "weighted": check.weighted,
            "reasons": lines,
            "mention_ids": ids,
            "last_spike_at": check.now.isoformat(),
        }
