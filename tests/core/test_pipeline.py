"""The pipeline end to end on a real store: dedup, update in place, mutes, crash safety, polling."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.sources.replay import ReplaySource
from bot.clock import ManualClock
from bot.models import Severity
from bot.mutes import MuteSpec
from bot.ports import SourceAuthError, SourcePage
from bot.store import alerts as alert_store
from bot.store.database import Database
from bot.store.mutes import add_mute
from bot.store.tables import AlertRow, DeliveryRow, PostRow, SourceHealthRow
from tests.core.helpers import RASH, Reach, RecordingChat, config, pipeline, post, redeliver

SMALL_RASH: Reach = {"followers": 500, "views": 1000}  # safety claim, small reach: high


async def test_new_risky_post_alerts_once_with_reasons(db: Database, clock: ManualClock) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    report = await pipe.ingestor.ingest("src", [post("p1", RASH, **SMALL_RASH)])
    assert (report.new, report.mentions, report.alerts_created) == (1, 1, 1)
    await pipe.deliver()
    [(channel, card, _)] = chat.posted
    assert channel == "#alerts"
    assert card.brand == "GlowLab" and card.severity is Severity.HIGH
    assert any("safety" in r for r in card.reasons)
    assert card.post is not None and card.post.url == "https://example.com/p1"


async def test_growing_post_edits_its_alert_instead_of_reposting(
    db: Database, clock: ManualClock
) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", RASH, **SMALL_RASH)])
    await pipe.deliver()
    clock.advance(timedelta(hours=2))
    report = await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500, views=2_000_000)])
    assert report.alerts_raised == 1 and report.alerts_created == 0
    await pipe.deliver()
    assert len(chat.posted) == 1
    [(ref, card)] = chat.updated
    assert ref.message_id == "m1"
    assert card.severity is Severity.CRITICAL
    assert any("severity rose from high to critical" in h for h in card.history)


async def test_muted_alert_is_recorded_not_sent(db: Database, clock: ManualClock) -> None:
    now = clock.now()
    async with db.transaction() as s:
        add_mute(
            s,
            MuteSpec(brand="GlowLab"),
            starts_at=now,
            ends_at=now + timedelta(hours=1),
            created_by="console:op",
            reason="",
            now=now,
        )
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    report = await pipe.ingestor.ingest("src", [post("p1", RASH, **SMALL_RASH)])
    await pipe.deliver()
    assert report.suppressed == 1 and chat.posted == []
    async with db.read() as s:
        alert = await s.scalar(select(AlertRow))
    assert alert is not None and alert.status == "suppressed" and alert.muted_by == 1
    clock.advance(timedelta(hours=2))  # the mute expired: a new post alerts again
    await pipe.ingestor.ingest("src", [post("p2", RASH, **SMALL_RASH)])
    await pipe.deliver()
    assert len(chat.posted) == 1


async def test_crash_during_chat_call_neither_loses_nor_duplicates(
    db: Database, clock: ManualClock
) -> None:
    """The decision is committed before the chat call; a restart delivers it exactly once."""
    failing = RecordingChat(fail_with=ConnectionError("process killed mid-call"))
    first = pipeline(config(), db, clock, failing)
    await first.ingestor.ingest("src", [post("p1", RASH, **SMALL_RASH)])
    await first.deliver()
    assert failing.posted == []

    # "Restart": a new pipeline on the same database, chat working again.
    chat = RecordingChat()
    second = pipeline(config(), db, clock, chat)
    await second.deliverer.recover()
    clock.advance(timedelta(minutes=10))
    await second.deliver()
    await second.ingestor.ingest("src", [post("p1", RASH, **SMALL_RASH)])  # polled again
    await second.deliver()
    assert len(chat.posted) == 1


async def test_delivery_left_in_flight_by_a_crash_is_settled_on_restart(
    db: Database, clock: ManualClock
) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", RASH, **SMALL_RASH)])
    async with db.transaction() as s:  # killed after the claim, before the chat call returned
        row = await s.scalar(select(DeliveryRow))
        assert row is not None
        row.state = alert_store.IN_FLIGHT
    assert await pipe.deliverer.recover() == 1
    await pipe.deliver()
    assert len(chat.posted) == 1
    assert (await pipe.deliver()).posted == 0


async def test_acknowledged_alert_is_edited_in_place(db: Database, clock: ManualClock) -> None:
    from bot.permissions import Actor

    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", RASH, **SMALL_RASH)])
    await pipe.deliver()
    from bot.commands.service import CommandService

    service = CommandService(pipe.config, db, clock, on_change=redeliver(pipe))
    result = await service.run_text("ack 1", Actor("console", "op"))
    assert result.ok
    [(_, card)] = chat.updated
    assert card.status == "acknowledged"
    assert "acknowledged by console:op" in card.history[0]
    assert len(chat.posted) == 1


def _write_replay(path: Path, rows: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _row(i: int, hours: int, text: str = RASH) -> dict[str, Any]:
    return {
        "id": f"r{i}",
        "source": "tiktok",
        "lang": "en",
        "text": text,
        "author": {"handle": f"c{i}", "followers": 500, "verified": False},
        "metrics": {"views": 100, "likes": 1, "comments": 0, "shares": 0},
        "created_at": f"2026-11-02T{10 + hours:02d}:00:00+00:00",
    }


async def test_replay_poll_walks_pages_and_resumes_from_the_cursor(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    _write_replay(path, [_row(i, 0) for i in range(5)] + [{"broken": True}] + [_row(9, 5)])
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    source = ReplaySource("replay", path, clock, page_size=2)
    report = await pipe.poller.poll(source, page_budget=10)
    # three full pages (the bad line counts toward a page) and the empty one that ends the walk
    assert report.pages == 4 and report.ingest.new == 5 and report.ingest.skipped == 1
    restarted = ReplaySource("replay", path, clock, page_size=2)  # r9 is in the future
    again = await pipe.poller.poll(restarted, page_budget=10)
    assert again.ingest.fetched == 0
    clock.advance(timedelta(hours=6))
    later = await pipe.poller.poll(restarted, page_budget=10)
    assert later.ingest.new == 1
    async with db.read() as s:
        assert len((await s.scalars(select(PostRow))).all()) == 6


async def test_page_budget_stops_a_poll_and_the_next_poll_continues(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    _write_replay(path, [_row(i, 0) for i in range(6)])
    pipe = pipeline(config(), db, clock, RecordingChat())
    source = ReplaySource("replay", path, clock, page_size=2)
    assert (await pipe.poller.poll(source, page_budget=2)).ingest.new == 4
    assert (await pipe.poller.poll(source, page_budget=2)).ingest.new == 2


class FailingSource:
    name = "broken"

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        raise SourceAuthError("401 from the API: token revoked")

    async def aclose(self) -> None:
        return None


async def test_source_failure_is_recorded_in_health_and_backs_off(
    db: Database, clock: ManualClock
) -> None:
    pipe = pipeline(config(), db, clock, RecordingChat())
    report = await pipe.poller.poll(FailingSource(), page_budget=3)
    assert report.state == "auth failed" and "token revoked" in (report.error or "")
    async with db.read() as s:
        health = await s.get(SourceHealthRow, "broken")
    assert health is not None and health.state == "auth failed"
    assert health.backoff_until is not None and health.backoff_until > clock.now()
    skipped = await pipe.poller.poll(FailingSource(), page_budget=3)
    assert skipped.skipped_for_backoff


async def test_pushed_delivery_is_stored_once(db: Database, clock: ManualClock) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    first = await pipe.receive("vendor", "delivery-1", [post("w1", RASH, **SMALL_RASH)])
    replay = await pipe.receive("vendor", "delivery-1", [post("w1", RASH, **SMALL_RASH)])
    assert first is not None and first.new == 1
    assert replay is None
    assert len(chat.posted) == 1


async def test_lookalike_and_positive_posts_do_not_alert(db: Database, clock: ManualClock) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    await pipe.ingestor.ingest(
        "src",
        [
            post(
                "t1",
                "My Toyota Tundra broke down again, worst truck, never buying",
                followers=900_000,
            ),
            post(
                "g1",
                "The only thing I'm NOT de-influencing is GlowLab serum, holy grail",
                followers=900_000,
            ),
        ],
    )
    await pipe.deliver()
    assert chat.posted == []
