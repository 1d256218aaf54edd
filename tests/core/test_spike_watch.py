"""Spike detection on real stored mentions: open with its maths in words, refresh, resolve,
per source, and the posts that drive it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.models import Post
from bot.permissions import Actor
from bot.pipeline import Pipeline
from bot.store.database import Database
from bot.store.tables import AlertRow
from tests.core.helpers import RecordingChat, config, pipeline, post

NOW = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)  # a Tuesday
ROUTE = {
    "name": "team",
    "platform": "console",
    "channel": "#alerts",
    "min_severity": "critical",
    "oncall": "oncall-group",
    "resolve_after": "30m",
}
NEGATIVE = "GlowLab serum is overpriced, do not buy it #deinfluencing"


def negative_posts(
    n: int, start: datetime, spread: timedelta, *, tag: str, source: str = "tiktok"
) -> list[Post]:
    step = spread / max(n, 1)
    return [
        post(
            f"{tag}{i}",
            NEGATIVE,
            author=f"{tag}-creator{i}",
            followers=500,
            source=source,
            at=start + step * i,
        )
        for i in range(n)
    ]


async def setup(db: Database) -> tuple[Pipeline, RecordingChat, ManualClock]:
    clock = ManualClock(NOW)
    chat = RecordingChat()
    return pipeline(config([ROUTE]), db, clock, chat), chat, clock


async def spikes(db: Database) -> list[AlertRow]:
    async with db.read() as s:
        from sqlalchemy import select

        return list((await s.scalars(select(AlertRow).where(AlertRow.kind == "spike"))).all())


async def test_a_wave_without_history_opens_one_spike_against_the_floor(db: Database) -> None:
    pipe, chat, clock = await setup(db)
    await pipe.ingestor.ingest(
        "src", negative_posts(14, NOW - timedelta(minutes=40), timedelta(minutes=40), tag="w")
    )
    report = await pipe.spikes.evaluate()
    await pipe.deliver()
    assert len(report.opened) == 1
    [(_, card, mention)] = [p for p in chat.posted if p[1].kind == "spike"]
    assert mention == "oncall-group"
    assert card.title.startswith("Spike: GlowLab: 14 negative mentions in the last 1h")
    assert "not enough history yet" in card.reasons[0]
    assert any("@w-creator" in line for line in card.reasons)
    drill = await CommandService(pipe.config, db, clock).run_text(
        f"drill {card.alert_id}", Actor("cli", "t")
    )
    assert "14 posts" in drill.text

    # More of the same wave edits the spike; it does not open a second one.
    clock.advance(timedelta(minutes=5))
    await pipe.ingestor.ingest(
        "src", negative_posts(6, clock.now() - timedelta(minutes=4), timedelta(minutes=4), tag="x")
    )
    assert (await pipe.spikes.evaluate()).opened == []
    await pipe.deliver()
    assert len(await spikes(db)) == 1
    assert chat.updated and chat.updated[-1][1].kind == "spike"


async def test_a_spike_resolves_after_the_volume_stays_down(db: Database) -> None:
    pipe, _chat, clock = await setup(db)
    await pipe.ingestor.ingest(
        "src", negative_posts(14, NOW - timedelta(minutes=30), timedelta(minutes=30), tag="w")
    )
    await pipe.spikes.evaluate()
    clock.advance(timedelta(hours=1, minutes=5))  # the window has emptied
    await pipe.tick()
    [spike] = await spikes(db)
    # nobody acknowledged it within the hour, so it escalated; now it is quieting down
    assert spike.status == "escalated" and spike.below_since is not None
    clock.advance(timedelta(minutes=30))
    await pipe.tick()
    [spike] = await spikes(db)
    assert spike.status == "resolved" and spike.resolved_by == "system"


async def test_usual_volume_for_the_hour_is_not_a_spike_and_the_wording_names_it(
    db: Database,
) -> None:
    pipe, _, _clock = await setup(db)
    history = []
    for day in range(1, 22):  # three weeks of ~6 negative mentions in the 13:00 hour
        start = NOW - timedelta(days=day, hours=1)
        history += negative_posts(6, start, timedelta(minutes=50), tag=f"h{day}-")
    await pipe.ingestor.ingest_history("history", history, None, alert_after=NOW)
    await pipe.ingestor.ingest(
        "src", negative_posts(7, NOW - timedelta(minutes=50), timedelta(minutes=45), tag="n")
    )
    assert (await pipe.spikes.evaluate()).opened == []
    await pipe.ingestor.ingest(
        "src", negative_posts(40, NOW - timedelta(minutes=20), timedelta(minutes=20), tag="burst")
    )
    assert len((await pipe.spikes.evaluate()).opened) == 1
    [spike] = await spikes(db)
    assert "usual for a Tuesday" in spike.details["reasons"][0]
    assert "× above" in spike.details["reasons"][0]


async def test_a_wave_on_one_source_is_caught_when_the_brand_total_is_not(db: Database) -> None:
    pipe, _, _ = await setup(db)
    history = []
    for day in range(1, 22):  # instagram is busy every afternoon; tiktok is quiet
        start = NOW - timedelta(days=day, hours=1)
        history += negative_posts(
            40, start, timedelta(minutes=55), tag=f"i{day}-", source="instagram"
        )
    await pipe.ingestor.ingest_history("history", history, None, alert_after=NOW)
    await pipe.ingestor.ingest(
        "src",
        negative_posts(
            40, NOW - timedelta(minutes=55), timedelta(minutes=55), tag="ig", source="instagram"
        )
        + negative_posts(
            15, NOW - timedelta(minutes=15), timedelta(minutes=15), tag="tt", source="tiktok"
        ),
    )
    report = await pipe.spikes.evaluate()
    [spike] = await spikes(db)
    assert report.opened == [spike.id]
    assert spike.details["source"] == "tiktok"
    assert spike.title.startswith("Spike: GlowLab on tiktok")
