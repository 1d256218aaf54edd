"""The store on SQLite and PostgreSQL alike: identity, updates, outbox, mutes, cursors, audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.models import Severity
from bot.mutes import MuteSpec
from bot.store import alerts as alert_store
from bot.store import audit
from bot.store import sources as source_store
from bot.store.database import Database
from bot.store.mutes import add_mute, live_mutes, recent_mutes
from bot.store.posts import upsert_posts
from bot.store.tables import AlertRow, AuditRow, MentionRow, PostRow
from tests.core.helpers import RASH, RecordingChat, config, pipeline, post


async def count(db: Database, table: type) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_migrations_reach_head(any_db: Database) -> None:
    assert await any_db.current_revision() == Database.head_revision()
    await any_db.upgrade()  # idempotent
    assert await any_db.current_revision() == Database.head_revision()


async def test_a_post_seen_again_updates_metrics_not_identity(
    any_db: Database, clock: ManualClock
) -> None:
    first = post("p1", "hello", views=100)
    async with any_db.transaction() as s:
        [stored] = await upsert_posts(s, [first], clock.now())
        assert stored.is_new
    clock.advance(timedelta(hours=1))
    again = post("p1", "hello", views=5000, followers=900)
    async with any_db.transaction() as s:
        [stored] = await upsert_posts(s, [again, again], clock.now())
        assert not stored.is_new and stored.changed
    async with any_db.read() as s:
        rows = (await s.scalars(select(PostRow))).all()
    assert len(rows) == 1
    assert (rows[0].views, rows[0].author_followers) == (5000, 900)
    assert rows[0].created_at == first.created_at
    assert rows[0].last_seen_at == clock.now()


async def test_same_native_id_on_two_sources_is_two_posts(
    any_db: Database, clock: ManualClock
) -> None:
    async with any_db.transaction() as s:
        await upsert_posts(
            s, [post("1", "a", source="x"), post("1", "a", source="reddit")], clock.now()
        )
    assert await count(any_db, PostRow) == 2


async def test_pipeline_keeps_one_mention_and_one_alert_per_post_and_brand(
    any_db: Database, clock: ManualClock
) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(), any_db, clock, chat)
    for _ in range(3):
        await pipe.ingestor.ingest("src", [post("p1", RASH, followers=20_000)])
        await pipe.deliver()
    assert await count(any_db, PostRow) == 1
    assert await count(any_db, MentionRow) == 1
    assert await count(any_db, AlertRow) == 1
    assert len(chat.posted) == 1


async def test_cursor_and_health_round_trip(any_db: Database, clock: ManualClock) -> None:
    async with any_db.transaction() as s:
        assert await source_store.get_cursor(s, "m") is None
        await source_store.save_cursor(s, "m", {"min_id": "42"}, clock.now())
    async with any_db.transaction() as s:
        await source_store.save_cursor(s, "m", {"min_id": "43"}, clock.now())
        row = await source_store.health_row(s, "m")
        row.state = "ok"
    async with any_db.read() as s:
        assert await source_store.get_cursor(s, "m") == {"min_id": "43"}
        assert (await source_store.all_health(s))["m"].state == "ok"


async def test_seen_keys_make_a_replay_visible(any_db: Database, clock: ManualClock) -> None:
    async with any_db.transaction() as s:
        assert await source_store.first_time(s, "ingest:w", "d1", clock.now())
    async with any_db.transaction() as s:
        assert not await source_store.first_time(s, "ingest:w", "d1", clock.now())
        assert await source_store.first_time(s, "ingest:w", "d2", clock.now())


async def test_mutes_persist_and_expire_by_time(any_db: Database, clock: ManualClock) -> None:
    now = clock.now()
    async with any_db.transaction() as s:
        add_mute(
            s,
            MuteSpec(brand="GlowLab", max_severity=Severity.HIGH),
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            created_by="slack:U1",
            reason="drama",
            now=now,
        )
    async with any_db.read() as s:
        [live] = await live_mutes(s, now + timedelta(minutes=30))
        assert live.spec.max_severity is Severity.HIGH and live.reason == "drama"
        assert await live_mutes(s, now + timedelta(hours=1)) == []
        assert [m.state(now + timedelta(hours=2)) for m in await recent_mutes(s, now)] == [
            "expired"
        ]


async def test_audit_log_keeps_who_did_what(any_db: Database, clock: ManualClock) -> None:
    async with any_db.transaction() as s:
        audit.record(
            s,
            at=clock.now(),
            actor="slack:U1",
            platform="slack",
            action="ack",
            target="alert:1",
            note="x",
        )
    async with any_db.read() as s:
        row = await s.scalar(select(AuditRow))
    assert row is not None
    assert (row.actor, row.action, row.detail) == ("slack:U1", "ack", {"note": "x"})
    assert row.at == clock.now()


async def test_undelivered_alert_is_kept_and_retried(any_db: Database, clock: ManualClock) -> None:
    chat = RecordingChat(fail_with=RuntimeError("chat is down"))
    pipe = pipeline(config(), any_db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=20_000)])
    report = await pipe.deliver()
    assert report.failed == 1 and chat.posted == []
    async with any_db.read() as s:
        assert await alert_store.count_undelivered(s) == 1
    chat.fail_with = None
    assert (await pipe.deliver()).posted == 0  # not due yet: backing off
    clock.advance(timedelta(minutes=5))
    assert (await pipe.deliver()).posted == 1
    assert (await pipe.deliver()).posted == 0
    async with any_db.read() as s:
        assert await alert_store.count_undelivered(s) == 0
