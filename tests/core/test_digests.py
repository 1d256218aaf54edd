"""Digests on a cron schedule in the route's zone (across a DST change), and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import ManualClock
from bot.scheduler import JobSpec, trigger_of
from bot.store import alerts as alert_store
from bot.store.database import Database
from bot.store.tables import DeliveryRow
from tests.core.helpers import RASH, RecordingChat, config, pipeline, post

AMS = ZoneInfo("Europe/Amsterdam")
ROUTE = {
    "name": "team",
    "platform": "console",
    "channel": "#alerts",
    "min_severity": "medium",
    "timezone": "Europe/Amsterdam",
    "digest": "0 9 * * *",
    "quiet_hours": "22:00-07:00",
}


async def noop() -> None:
    return None


def test_daily_digest_stays_at_nine_local_across_the_dst_change() -> None:
    trigger = trigger_of(
        JobSpec(
            "digest:team", noop, timedelta(days=1), cron="0 9 * * *", timezone="Europe/Amsterdam"
        )
    )
    now = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)  # summer time ends on Sunday 25 October
    fires = []
    previous = None
    for _ in range(4):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    assert [f.astimezone(AMS).hour for f in fires] == [9, 9, 9, 9]
    # 24 Oct is still summer time (UTC+2); from 25 Oct 03:00 it is UTC+1
    assert [f.astimezone(UTC).hour for f in fires] == [7, 8, 8, 8]


async def test_scheduled_digest_is_posted_once_with_the_summary(db: Database) -> None:
    clock = ManualClock(datetime(2026, 11, 3, 8, 0, tzinfo=UTC))  # 09:00 in Amsterdam
    chat = RecordingChat()
    pipe = pipeline(config([ROUTE]), db, clock, chat)
    await pipe.ingestor.ingest(
        "src", [post("p1", RASH, followers=500, at=clock.now() - timedelta(hours=2))]
    )
    await pipe.deliver()
    await pipe.digest("team")
    await pipe.digest("team")  # the same minute again (a second replica, a restart): still one
    digests = [card for _, card, _ in chat.posted if card.kind == "digest"]
    assert len(digests) == 1
    assert digests[0].title.startswith("Digest for all brands: last 1d")
    assert any("1 mentions" in line or "mentions" in line for line in digests[0].reasons)
    assert digests[0].actions == ()


async def test_quiet_hours_hold_non_critical_alerts_then_send_one_catch_up(db: Database) -> None:
    clock = ManualClock(datetime(2026, 11, 2, 22, 30, tzinfo=UTC))  # 23:30 in Amsterdam
    chat = RecordingChat()
    pipe = pipeline(config([ROUTE]), db, clock, chat)
    await pipe.ingestor.ingest(
        "src",
        [
            post("p1", RASH, followers=500, author="a", at=clock.now()),  # high: held
            post("p2", RASH, followers=900_000, author="b", at=clock.now()),  # critical: now
        ],
    )
    await pipe.tick()
    assert [card.severity.label for _, card, _ in chat.posted] == ["critical"]
    async with db.read() as s:
        states = sorted(d.state for d in (await s.scalars(select(DeliveryRow))).all())
        assert await alert_store.count_undelivered(s) == 0  # held is not lost nor failed
    assert states == ["delivered", "held"]

    # A restart during the night changes nothing; the morning tick sends one catch-up.
    clock.set(datetime(2026, 11, 3, 5, 59, tzinfo=UTC))  # 06:59 local, still quiet
    restarted = pipeline(config([ROUTE]), db, clock, chat)
    await restarted.tick()
    assert len(chat.posted) == 1
    clock.set(datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 07:00 local
    await restarted.tick()
    await restarted.tick()
    catch_up = [card for _, card, _ in chat.posted if card.kind == "digest"]
    assert len(catch_up) == 1
    assert "1 alert held" in catch_up[0].title
    assert any("[high]" in line for line in catch_up[0].reasons)
    async with db.read() as s:
        states = sorted(d.state for d in (await s.scalars(select(DeliveryRow))).all())
    assert states == ["delivered", "delivered", "folded"]


def test_quiet_window_wraps_midnight_in_local_time() -> None:
    route = config([ROUTE]).routes[0]
    assert route.is_quiet(datetime(2026, 7, 1, 20, 30, tzinfo=UTC))  # 22:30 CEST
    assert not route.is_quiet(datetime(2026, 7, 1, 19, 30, tzinfo=UTC))  # 21:30 CEST
    assert route.is_quiet(datetime(2026, 12, 1, 5, 30, tzinfo=UTC))  # 06:30 CET
    assert not route.is_quiet(datetime(2026, 12, 1, 6, 0, tzinfo=UTC))  # 07:00 CET


async def test_held_opportunities_catch_up_in_the_opportunity_channel(db: Database) -> None:
    route = {**ROUTE, "opportunity_channel": "#wins"}
    clock = ManualClock(datetime(2026, 11, 2, 22, 30, tzinfo=UTC))  # 23:30 in Amsterdam
    chat = RecordingChat()
    pipe = pipeline(config([route]), db, clock, chat)
    praise = "the only thing I'm not de-influencing: my GlowLab serum, worth it #deinfluencing"
    await pipe.ingestor.ingest(
        "src",
        [
            post("p1", RASH, followers=500, author="a", at=clock.now()),  # high: held
            post("p2", praise, followers=400_000, author="b", at=clock.now()),  # opportunity
        ],
    )
    await pipe.tick()
    assert chat.posted == []  # both wait out the night
    clock.set(datetime(2026, 11, 3, 6, 0, tzinfo=UTC))  # 07:00 local
    await pipe.tick()
    by_channel = {channel: card for channel, card, _ in chat.posted}
    assert set(by_channel) == {"#alerts", "#wins"}
    assert "1 alert held" in by_channel["#alerts"].title
    assert any("[high]" in line for line in by_channel["#alerts"].reasons)
    assert "1 opportunity held" in by_channel["#wins"].title
    assert any(line.startswith("[opportunity] #") for line in by_channel["#wins"].reasons)
    assert not any("Opportunity" in line for line in by_channel["#alerts"].reasons)
