"""Opportunity alerts: what counts, and that they reach the opportunity channel only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.models import ReachTier, Reason, Score, Severity, Stance
from bot.mutes import MuteSpec
from bot.opportunities import OpportunityPolicy, find
from bot.permissions import Actor
from bot.store.database import Database
from bot.store.mutes import add_mute
from bot.store.tables import AlertRow, DeliveryRow
from bot.views import Action
from tests.core.helpers import Reach, RecordingChat, config, pipeline, post, redeliver

PRAISE = "the only thing I'm not de-influencing: my GlowLab serum, worth every penny #deinfluencing"
LARGE: Reach = {"followers": 420_000, "views": 900_000}
ROUTES: list[dict[str, Any]] = [
    {"name": "alerts", "platform": "console", "channel": "#alerts", "oncall": "oncall-group"},
    {
        "name": "marketing",
        "platform": "console",
        "channel": "#brand-risk",
        "opportunity_channel": "#brand-wins",
        "brands": ["GlowLab"],
    },
]


def _score(stance: Stance, reach: ReachTier, *reasons: str, rivals: tuple[str, ...] = ()) -> Score:
    return Score(
        stance=stance,
        claims=(),
        alternative=None,
        reach=reach,
        risk=0,
        score=10,
        severity=Severity.NONE,
        reasons=tuple(Reason("stance", r) for r in reasons),
        compared_with=rivals,
    )


def test_recommended_instead_of_a_competitor() -> None:
    score = _score(
        Stance.POSITIVE,
        ReachTier.SMALL,
        'recommended: "back to my GlowLab"',
        rivals=("DewDrop",),
    )
    found = find(post("p", "x"), "GlowLab", score, ["deinfluencing"], OpportunityPolicy())
    assert found is not None
    assert found.reason == "opportunity: recommended instead of DewDrop"


def test_praise_that_merely_names_a_competitor_is_not_a_recommendation() -> None:
    score = _score(Stance.POSITIVE, ReachTier.SMALL, 'positive: "love" (en)', rivals=("DewDrop",))
    assert find(post("p", "x"), "GlowLab", score, [], OpportunityPolicy()) is None


def test_high_reach_praise_under_the_tracked_hashtag() -> None:
    score = _score(Stance.POSITIVE, ReachTier.LARGE, 'positive: "worth it" (en)')
    found = find(post("p", PRAISE), "GlowLab", score, ["DeInfluencing"], OpportunityPolicy())
    assert found is not None
    assert found.reason == "opportunity: positive under #DeInfluencing from a large-reach creator"


def test_reach_threshold_is_configurable_and_the_source_tag_list_counts() -> None:
    score = _score(Stance.POSITIVE, ReachTier.MID, 'positive: "worth it" (en)')
    tagged = post("p", "my GlowLab serum is worth it", hashtags=("deinfluencing",))
    assert find(tagged, "GlowLab", score, ["deinfluencing"], OpportunityPolicy()) is None
    mid = OpportunityPolicy(min_reach="mid")
    assert find(tagged, "GlowLab", score, ["deinfluencing"], mid) is not None


def test_no_hashtag_or_not_positive_is_no_opportunity() -> None:
    large = _score(Stance.POSITIVE, ReachTier.LARGE, 'positive: "worth it" (en)')
    untagged = post("p", "my GlowLab serum is worth it")
    assert find(untagged, "GlowLab", large, ["deinfluencing"], OpportunityPolicy()) is None
    negative = _score(Stance.NEGATIVE, ReachTier.LARGE, 'negative: "skip" (en)')
    assert find(post("p", PRAISE), "GlowLab", negative, ["deinfluencing"], OpportunityPolicy()) is (
        None
    )


async def test_opportunity_reaches_the_opportunity_channel_only(
    db: Database, clock: ManualClock
) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(ROUTES), db, clock, chat)
    report = await pipe.ingestor.ingest("src", [post("p1", PRAISE, **LARGE)])
    assert (report.alerts_created, report.opportunities) == (0, 1)
    await pipe.deliver()
    [(channel, card, mention)] = chat.posted
    assert channel == "#brand-wins" and mention is None  # nobody on call is paged for good news
    assert card.kind == "opportunity" and card.brand == "GlowLab"
    assert card.title == "Opportunity: GlowLab — @creator on tiktok"
    assert "opportunity: positive under #deinfluencing from a large-reach creator" in card.reasons
    assert Action.ACK not in card.actions
    assert card.actions == (Action.MUTE_1H, Action.MUTE_24H, Action.SHOW_POSTS, Action.WRONG)

    clock.advance(timedelta(hours=1))  # the post grows: an opportunity is news once
    again = await pipe.ingestor.ingest(
        "src", [post("p1", PRAISE, followers=500_000, views=2_000_000)]
    )
    assert again.opportunities == 0
    await pipe.deliver()
    assert len(chat.posted) == 1


async def test_opportunities_are_off_by_default(db: Database, clock: ManualClock) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(), db, clock, chat)
    report = await pipe.ingestor.ingest("src", [post("p1", PRAISE, **LARGE)])
    assert report.opportunities == 0
    async with db.read() as s:
        assert (await s.scalars(select(AlertRow))).all() == []


async def test_a_mute_holds_opportunities_back_too(db: Database, clock: ManualClock) -> None:
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
    pipe = pipeline(config(ROUTES), db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", PRAISE, **LARGE)])
    await pipe.deliver()
    assert chat.posted == []
    async with db.read() as s:
        [alert] = (await s.scalars(select(AlertRow))).all()
        assert (alert.kind, alert.status) == ("opportunity", "suppressed")
        assert (await s.scalars(select(DeliveryRow))).all() == []


async def test_an_opportunity_cannot_be_acknowledged(db: Database, clock: ManualClock) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(ROUTES), db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", PRAISE, **LARGE)])
    service = CommandService(pipe.config, db, clock, on_change=redeliver(pipe))
    result = await service.run_text("ack 1", Actor("console", "op"))
    assert not result.ok
    assert "opportunity" in result.text and "nothing to acknowledge" in result.text
    async with db.read() as s:
        alert = await s.get(AlertRow, 1)
        assert alert is not None and alert.status == "open" and alert.acked_by is None


async def test_summary_counts_opportunities_and_promotions(
    db: Database, clock: ManualClock
) -> None:
    chat = RecordingChat()
    pipe = pipeline(config(ROUTES), db, clock, chat)
    paid = "don't buy GlowLab, it broke me out. DewDrop is better, use my code JESS15"
    await pipe.ingestor.ingest(
        "src",
        [post("p1", PRAISE, **LARGE), post("p2", paid, author="paid", followers=30_000)],
    )
    service = CommandService(pipe.config, db, clock, on_change=redeliver(pipe))
    result = await service.run_text("summary GlowLab 24h", Actor("console", "op"))
    assert result.ok
    assert "Opportunities: 1 post recommending or praising the brand" in result.text
    assert "Possible undisclosed promotions: 1 (of DewDrop 1)" in result.text
