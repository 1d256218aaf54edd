"""Creators on a real store (SQLite and PostgreSQL): follower snapshots, signals in ingest,
and the watchlist in the alert decision."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.models import Post
from bot.permissions import Actor
from bot.store import creators as store
from bot.store.database import Database
from bot.store.posts import upsert_posts
from bot.store.tables import AlertRow, FollowerSnapshotRow, MentionRow, PostRow
from tests.core.helpers import RecordingChat, config, pipeline, post

OPERATOR = Actor("console", "operator")
CRITIC = "GlowLab serum gave me a rash, do not buy it, get DewDrop instead"
MILD = "GlowLab serum is a bit overpriced honestly"
ROUTES: list[dict[str, Any]] = [
    {"name": "high", "platform": "console", "channel": "#high", "min_severity": "high"},
    {"name": "tundra", "platform": "console", "channel": "#t", "brands": ["Tundra"]},
]


async def snapshots(db: Database) -> list[tuple[str, str, int]]:
    async with db.read() as s:
        rows = await s.scalars(select(FollowerSnapshotRow).order_by(FollowerSnapshotRow.id))
        return [(r.source, r.handle, r.followers) for r in rows]


async def store_posts(db: Database, clock: ManualClock, *posts: Post) -> None:
    async with db.transaction() as s:
        await upsert_posts(s, list(posts), clock.now())


async def test_follower_counts_are_noted_when_they_change_at_most_every_6h(
    any_db: Database, clock: ManualClock
) -> None:
    await store_posts(any_db, clock, post("a", "hi", author="@Jo", followers=1000))
    await store_posts(any_db, clock, post("a", "hi", author="@Jo", followers=1000))  # same
    clock.advance(timedelta(hours=5, minutes=59))
    await store_posts(any_db, clock, post("b", "hi", author="@Jo", followers=1200))  # too soon
    clock.advance(timedelta(minutes=1))
    await store_posts(
        any_db,
        clock,
        post("a", "hi", author="@Jo", followers=1300),  # a re-seen post counts too
        post("c", "hi", author="other", source="instagram", followers=50),
    )
    assert await snapshots(any_db) == [
        ("tiktok", "jo", 1000),
        ("tiktok", "jo", 1300),
        ("instagram", "other", 50),
    ]
    async with any_db.read() as s:
        series = await store.follower_series(s, "tiktok", "@JO")
    assert [p.followers for p in series] == [1000, 1300]


async def test_signals_adjust_the_score_and_show_as_reasons(
    any_db: Database, clock: ManualClock
) -> None:
    cfg = config()
    pipe = pipeline(cfg, any_db, clock, RecordingChat())
    for i in range(5):  # peers of the same size band on tiktok, no brand mentioned
        await pipe.ingestor.ingest(
            "s",
            [
                post(
                    f"peer{i}",
                    "lovely day",
                    author=f"peer{i}",
                    followers=200_000,
                    views=10**6,
                    likes=4000,
                )
            ],
        )
    plain = pipe.ingestor.scorer.score(post("x", CRITIC, followers=200_000, views=10**6), "GlowLab")
    for day in range(3):
        clock.advance(timedelta(days=1))
        await pipe.ingestor.ingest(
            "s",
            [post(f"jo{day}", CRITIC, author="Jo", followers=200_000, views=10**6, likes=1)],
        )
    async with any_db.read() as s:
        rows = (
            await s.execute(
                select(PostRow.native_id, MentionRow)
                .join(PostRow, PostRow.id == MentionRow.post_id)
                .order_by(PostRow.native_id)
            )
        ).all()
    by_post = {native: mention for native, mention in rows}
    first = [r["text"] for r in by_post["jo0"].reasons if r["kind"] == "creator"]
    assert first == [
        "engagement 0.0003% vs 0.4% median for 100k–1M creators on tiktok: "
        "possible bought followers"
    ]
    assert by_post["jo0"].score == plain.score - 10
    assert by_post["jo0"].severity == int(plain.severity)  # severity stays the rubric's
    third = [r["text"] for r in by_post["jo2"].reasons if r["kind"] == "creator"]
    assert third[-1] == "3 negative posts about GlowLab in the last 90 days: repeat critic"
    assert by_post["jo2"].score == plain.score - 10 + 10


async def test_a_page_of_several_posts_counts_them_all_for_repeat_critic(
    any_db: Database, clock: ManualClock
) -> None:
    pipe = pipeline(config(), any_db, clock, RecordingChat())
    await pipe.ingestor.ingest(
        "s", [post(f"p{i}", CRITIC, author="jo", views=None, followers=None) for i in range(3)]
    )
    async with any_db.read() as s:
        mentions = list(await s.scalars(select(MentionRow)))
    assert len(mentions) == 3
    for m in mentions:
        assert any("repeat critic" in r["text"] for r in m.reasons)


async def test_a_watched_creator_alerts_on_every_new_post_whatever_its_severity(
    any_db: Database, clock: ManualClock
) -> None:
    cfg = config(ROUTES)
    chat = RecordingChat()
    pipe = pipeline(cfg, any_db, clock, chat)
    service = CommandService(cfg, any_db, clock)
    await pipe.ingestor.ingest("s", [post("before", MILD, author="jo", followers=100)])
    result = await service.run_text("watch @Jo tiktok 2d bought followers?", OPERATOR)
    assert result.ok, result.text
    clock.advance(timedelta(hours=1))
    report = await pipe.ingestor.ingest(
        "s",
        [
            post("mild", MILD, author="jo", followers=100),
            post("again", MILD + "!", author="JO", followers=100),  # no grouping while watched
            post("elsewhere", MILD, author="jo", source="instagram", followers=100),
        ],
    )
    assert report.alerts_created == 2 and report.alerts_grouped == 0
    await pipe.deliver()
    assert [channel for channel, _, _ in chat.posted] == ["#high", "#high"]  # not Tundra's
    card = chat.posted[0][1]
    assert card.severity < 3
    assert card.reasons[-1] == "watched creator: bought followers? (until 2026-11-04 12:00 UTC)"
    # a post seen before the watch is not new; after expiry nothing low alerts
    clock.advance(timedelta(days=2))
    report = await pipe.ingestor.ingest(
        "s",
        [
            post("before", MILD, author="jo", followers=100, likes=99),
            post("late", MILD, author="jo", followers=100),
        ],
    )
    assert report.alerts_created == 0
    async with any_db.read() as s:
        assert len(list(await s.scalars(select(AlertRow)))) == 2


async def test_follower_counts_age_out_with_the_posts(any_db: Database, clock: ManualClock) -> None:
    from bot.retention import prune

    await store_posts(any_db, clock, post("old", "hi", author="jo", followers=10))
    clock.advance(timedelta(days=100))
    await store_posts(any_db, clock, post("new", "hi", author="jo", followers=20, at=clock.now()))
    await prune(any_db, clock, retention_days=90)
    assert await snapshots(any_db) == [("tiktok", "jo", 20)]


async def test_incremental_peer_cache_equals_a_full_recount(any_db: Database) -> None:
    """New posts, grown metrics, a deleted post and posts ageing out of the window."""
    from dataclasses import replace as _replace
    from datetime import UTC, datetime, timedelta

    from bot.clock import ManualClock
    from bot.store import creators as creator_store
    from bot.store.posts import upsert_posts
    from tests.core.helpers import post as make_post

    start = datetime(2026, 11, 1, tzinfo=UTC)
    clock = ManualClock(start)
    window = timedelta(days=2)
    cache = creator_store.PeerCache(timedelta(hours=1))

    async def store(posts: list[object]) -> None:
        async with any_db.transaction() as session:
            await upsert_posts(session, posts, clock.now())  # type: ignore[arg-type]

    async def both() -> tuple[dict[str, object], dict[str, object]]:
        async with any_db.read() as session:
            since = clock.now() - window
            cached = await cache.get(session, "tiktok", since, clock.now())
            full = await creator_store.peers(session, "tiktok", since)
        return dict(cached), dict(full)

    await store(
        [
            make_post(
                f"a{i}",
                "x",
                author=f"c{i % 4}",
                followers=1000 * (i + 1),
                views=100 * (i + 1),
                likes=i,
                at=clock.now(),
            )
            for i in range(8)
        ]
    )
    cached, full = await both()
    assert cached == full and len(full) == 4

    clock.advance(timedelta(hours=2))
    grown = make_post("a1", "x", author="c1", followers=5000, views=9000, likes=900, at=start)
    gone = _replace(make_post("a2", "x", author="c2", at=start), deleted=True)
    fresh = make_post(
        "b1", "x", author="newcomer", followers=700, views=50, likes=5, at=clock.now()
    )
    await store([grown, gone, fresh])
    cached, full = await both()
    assert cached == full and "newcomer" in full

    clock.advance(timedelta(days=2, hours=1))  # the first posts age out of the window
    await store(
        [make_post("c1", "x", author="late", followers=100, views=10, likes=1, at=clock.now())]
    )
    cached, full = await both()
    assert cached == full and set(full) == {"late"}
