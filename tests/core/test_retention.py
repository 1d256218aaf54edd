"""Retention: raw posts older than retention_days are pruned; summaries and spike baselines keep
their numbers through the hourly aggregates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.permissions import Actor
from bot.retention import prune
from bot.store.database import Database
from bot.store.tables import AlertRow, MentionHourlyRow, MentionRow, PostRow
from bot.views import SummaryView
from tests.core.helpers import RASH, RecordingChat, config, pipeline, post

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
NEGATIVE = "Tundra cup leaks everywhere, waste of money, get IceKeep instead"


async def total(db: Database, table: type) -> int:
    async with db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(table)) or 0)


async def summary(db: Database, clock: ManualClock, text: str) -> SummaryView:
    result = await CommandService(config(), db, clock).run_text(text, Actor("cli", "t"))
    assert isinstance(result.view, SummaryView)
    return result.view


async def test_pruning_keeps_what_summaries_need(any_db: Database) -> None:
    clock = ManualClock(NOW - timedelta(days=100))
    pipe = pipeline(config(), any_db, clock, RecordingChat())
    old = [
        post(f"old{i}", NEGATIVE, author=f"a{i}", followers=30_000, at=clock.now())
        for i in range(3)
    ]
    old.append(post("oldrash", RASH, author="b", followers=500, at=clock.now()))
    await pipe.ingestor.ingest("src", old)
    await pipe.deliver()
    clock.set(NOW)
    await pipe.ingestor.ingest("src", [post("new", RASH, author="c", at=NOW - timedelta(hours=1))])
    before = await summary(any_db, clock, "summary all 120d")

    report = await prune(any_db, clock, retention_days=90)
    assert (report.posts, report.mentions) == (4, 4)
    assert await total(any_db, PostRow) == 1 and await total(any_db, MentionRow) == 1
    assert await total(any_db, MentionHourlyRow) == 2  # two (brand, severity...) keys that hour
    async with any_db.read() as s:
        kept = (await s.scalars(select(AlertRow))).all()
    old_alerts = [a for a in kept if a.created_at < NOW - timedelta(days=90)]
    assert len(old_alerts) == 4  # the alerts and their audit trail stay; their raw posts go
    assert all(a.post_id is None and a.mention_id is None for a in old_alerts)

    after = await summary(any_db, clock, "summary all 120d")
    assert after.total == before.total == 5
    assert after.by_severity == before.by_severity
    assert after.top_claims == before.top_claims
    assert after.alternatives == before.alternatives
    assert after.languages == before.languages and after.sources == before.sources
    assert [p.native_id for p in after.top_posts] == ["new"]  # raw posts are gone, as promised

    assert (await prune(any_db, clock, retention_days=90)).posts == 0  # idempotent


async def test_pruned_history_still_feeds_spike_baselines(db: Database) -> None:
    clock = ManualClock(NOW - timedelta(days=20))
    pipe = pipeline(config(), db, clock, RecordingChat())
    await pipe.ingestor.ingest_history(
        "h",
        [post(f"h{i}", NEGATIVE, author=f"h{i}", at=clock.now()) for i in range(6)],
        None,
        alert_after=NOW,
    )
    clock.set(NOW)
    async with db.read() as s:
        before = await pipe.spikes._series(s, "Tundra", None, NOW)
    assert sum(sum(h.values()) for h in before.hourly.values()) == 6
    await prune(db, clock, retention_days=7)
    assert await total(db, PostRow) == 0
    async with db.read() as s:
        after = await pipe.spikes._series(s, "Tundra", None, NOW)
    assert after.hourly == before.hourly
