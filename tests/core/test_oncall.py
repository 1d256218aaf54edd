"""Spike lifecycle with the injected clock: open → escalated (each round) → acknowledged → ack
expired → resolved, manual resolve, restarts in the middle; inhibition and grouping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.models import Severity
from bot.permissions import Actor
from bot.pipeline import Pipeline
from bot.spike_watch import SpikeReport
from bot.store.database import Database
from bot.store.tables import AlertRow, AuditRow
from tests.core.helpers import RASH, RecordingChat, config, pipeline, post, redeliver

ROUTE = {
    "name": "team",
    "platform": "slack",
    "channel": "C1",
    "min_severity": "medium",
    "oncall": "S_ONCALL",
    "escalation": "U_HEAD",
    "escalation_rounds": 2,
    "ack_timeout": "15m",
    "ack_expiry": "4h",
    "resolve_after": "30m",
}
ONCALL = Actor("slack", "U_ONCALL")
FACTS: dict[str, Any] = {"observed": 31, "explain": "31 negative mentions in the last hour"}


class SpikeHeld:
    """Timer tests drive the lifecycle by hand: the spike "goes on" until the test says not."""

    async def evaluate(self) -> SpikeReport:
        return SpikeReport([], [])


def setup(db: Database, clock: ManualClock) -> tuple[Pipeline, RecordingChat, CommandService]:
    chat = RecordingChat(platform="slack")
    cfg = config([ROUTE])
    pipe = pipeline(cfg, db, clock, chat)
    pipe.spikes = SpikeHeld()  # type: ignore[assignment]
    return pipe, chat, CommandService(cfg, db, clock, on_change=redeliver(pipe))


async def open_spike(pipe: Pipeline, db: Database) -> int:
    async with db.transaction() as s:
        alert = await pipe.oncall.open_spike(
            s, "GlowLab", None, FACTS, Severity.HIGH, "Spike: GlowLab, 31 negative mentions"
        )
        alert_id = alert.id
    await pipe.deliver()
    return alert_id


async def status(db: Database, alert_id: int) -> str:
    async with db.read() as s:
        alert = await s.get(AlertRow, alert_id)
        assert alert is not None
        return alert.status


async def actions(db: Database) -> list[str]:
    async with db.read() as s:
        return [a.action for a in (await s.scalars(select(AuditRow).order_by(AuditRow.id))).all()]


async def test_unacked_spike_escalates_round_by_round(db: Database, clock: ManualClock) -> None:
    pipe, chat, _ = setup(db, clock)
    alert_id = await open_spike(pipe, db)
    [(_, card, mention)] = chat.posted
    assert card.kind == "spike" and mention == "S_ONCALL"

    clock.advance(timedelta(minutes=14))
    assert (await pipe.tick()).escalated == 0
    clock.advance(timedelta(minutes=1))
    assert (await pipe.tick()).escalated == 1
    assert await status(db, alert_id) == "escalated"
    [(ref, text, target)] = chat.replies
    assert ref.message_id == "m1" and target == "S_ONCALL"
    assert "Escalation 1/2" in text and "15m" in text
    assert chat.updated[-1][1].status == "escalated"  # the original message shows it

    clock.advance(timedelta(minutes=15))
    await pipe.tick()
    assert [r[2] for r in chat.replies] == ["S_ONCALL", "U_HEAD"]  # then the escalation target
    clock.advance(timedelta(hours=2))
    await pipe.tick()
    assert len(chat.replies) == 2  # rounds are capped
    assert await actions(db) == ["spike_open", "escalate", "escalate"]


async def test_ack_stops_escalation_then_lapses_while_the_spike_goes_on(
    db: Database, clock: ManualClock
) -> None:
    pipe, chat, service = setup(db, clock)
    alert_id = await open_spike(pipe, db)
    clock.advance(timedelta(minutes=5))
    assert (await service.run_text(f"ack {alert_id}", ONCALL)).ok
    assert chat.updated[-1][1].status == "acknowledged"
    clock.advance(timedelta(hours=1))
    assert (await pipe.tick()).escalated == 0
    clock.advance(timedelta(hours=3))  # 4h after the ack
    assert (await pipe.tick()).acks_expired == 1
    assert await status(db, alert_id) == "open"
    assert any("lapsed" in h for h in chat.updated[-1][1].history)
    clock.advance(timedelta(minutes=15))  # timers restarted: nobody re-acked
    assert (await pipe.tick()).escalated == 1
    assert await actions(db) == ["spike_open", "ack", "ack_expired", "escalate"]


async def test_spike_resolves_after_staying_under_its_threshold(
    db: Database, clock: ManualClock
) -> None:
    pipe, chat, _ = setup(db, clock)
    alert_id = await open_spike(pipe, db)
    async with db.transaction() as s:
        alert = await s.get(AlertRow, alert_id)
        assert alert is not None and not pipe.oncall.back_under(s, alert)
    clock.advance(timedelta(minutes=29))
    async with db.transaction() as s:
        alert = await s.get(AlertRow, alert_id)
        assert alert is not None and not pipe.oncall.back_under(s, alert)
    clock.advance(timedelta(minutes=1))
    async with db.transaction() as s:
        alert = await s.get(AlertRow, alert_id)
        assert alert is not None and pipe.oncall.back_under(s, alert)
    await pipe.deliver()
    assert await status(db, alert_id) == "resolved"
    assert chat.updated[-1][1].status == "resolved"
    clock.advance(timedelta(hours=1))
    assert (await pipe.tick()).escalated == 0  # a resolved spike never pages


async def test_manual_resolve_stops_escalation(db: Database, clock: ManualClock) -> None:
    pipe, _, service = setup(db, clock)
    alert_id = await open_spike(pipe, db)
    assert (await service.run_text(f"resolve {alert_id}", ONCALL)).ok
    clock.advance(timedelta(hours=1))
    assert (await pipe.tick()).escalated == 0


async def test_timers_survive_a_restart_in_every_state(db: Database, clock: ManualClock) -> None:
    pipe, _, _ = setup(db, clock)
    alert_id = await open_spike(pipe, db)
    clock.advance(timedelta(minutes=15))
    # Restart: fresh objects, same database; the due escalation still fires once.
    pipe2, chat2, service2 = setup(db, clock)
    assert (await pipe2.tick()).escalated == 1
    assert (await pipe2.tick()).escalated == 0
    assert (await service2.run_text(f"ack {alert_id}", ONCALL)).ok
    clock.advance(timedelta(hours=4))
    pipe3, _, _ = setup(db, clock)
    assert (await pipe3.tick()).acks_expired == 1
    assert len(chat2.replies) == 1


async def test_post_alerts_below_critical_go_into_the_spike_thread(
    db: Database, clock: ManualClock
) -> None:
    pipe, chat, _ = setup(db, clock)
    await open_spike(pipe, db)
    await pipe.ingestor.ingest(
        "src",
        [
            post("p1", RASH, followers=500, author="a"),  # high: held in the thread
            post("p2", RASH, followers=900_000, author="b"),  # critical: in the channel
        ],
    )
    await pipe.deliver()
    _spike, high, critical = (card for _, card, _ in chat.posted)
    assert high.severity is Severity.HIGH and chat.threads[high.alert_id] == "m1"
    assert critical.severity is Severity.CRITICAL and critical.alert_id not in chat.threads
    assert [m for _, _, m in chat.posted] == ["S_ONCALL", None, "S_ONCALL"]


async def test_posts_by_one_creator_become_one_alert(db: Database, clock: ManualClock) -> None:
    pipe, chat, service = setup(db, clock)
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500, author="sam")])
    await pipe.deliver()
    clock.advance(timedelta(hours=1))
    report = await pipe.ingestor.ingest(
        "src",
        [
            post("p2", "GlowLab again: my rash is worse, do not buy", followers=500, author="Sam"),
            post("p3", "GlowLab serum burned my skin, avoid it", followers=500, author="sam"),
        ],
    )
    await pipe.deliver()
    assert report.alerts_grouped == 2 and report.alerts_created == 0
    assert len(chat.posted) == 1
    assert any("3 posts by @" in h for h in chat.updated[-1][1].history)
    drill = await service.run_text("drill 1", ONCALL)
    assert "3 posts" in drill.text
    clock.advance(timedelta(hours=7))  # outside the group window: a new alert
    await pipe.ingestor.ingest("src", [post("p4", RASH, followers=500, author="sam")])
    await pipe.deliver()
    assert len(chat.posted) == 2


async def test_two_posts_in_one_page_by_one_creator_are_one_alert(
    db: Database, clock: ManualClock
) -> None:
    pipe, chat, _ = setup(db, clock)
    await pipe.ingestor.ingest(
        "src",
        [
            post("p1", RASH, followers=500, author="sam"),
            post("p2", "GlowLab burned my skin, avoid", followers=500, author="sam"),
        ],
    )
    await pipe.deliver()
    assert len(chat.posted) == 1
    assert any("2 posts by @sam" in h for h in chat.posted[0][1].history)


async def test_a_grouped_post_that_grows_raises_its_alert(db: Database, clock: ManualClock) -> None:
    pipe, chat, _ = setup(db, clock)
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500, author="sam")])
    await pipe.ingestor.ingest("src", [post("p2", RASH, followers=500, author="sam")])
    await pipe.deliver()
    clock.advance(timedelta(hours=1))
    await pipe.ingestor.ingest(
        "src", [post("p2", RASH, followers=500, views=3_000_000, author="sam")]
    )
    await pipe.deliver()
    assert len(chat.posted) == 1
    assert chat.updated[-1][1].severity is Severity.CRITICAL


async def test_summary_lists_open_spikes_and_their_owner(db: Database, clock: ManualClock) -> None:
    pipe, _, service = setup(db, clock)
    alert_id = await open_spike(pipe, db)
    await service.run_text(f"ack {alert_id}", ONCALL)
    result = await service.run_text("summary GlowLab 24h", ONCALL)
    assert f"Open spike #{alert_id} GlowLab" in result.text
    assert "acknowledged by slack:U_ONCALL" in result.text
    assert result.chart_png is not None
