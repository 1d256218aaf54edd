"""Command service: every subcommand, permissions, and bad input that changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.permissions import Actor
from bot.store.database import Database
from bot.store.tables import AlertRow, AuditRow, MentionRow, MuteRow
from bot.views import (
    Action,
    BrandsView,
    DrillView,
    HelpView,
    MutesView,
    Notice,
    StatusView,
    SummaryView,
)
from tests.core.helpers import RASH, RecordingChat, config, pipeline, post, redeliver

ROUTES = [
    {
        "name": "team",
        "platform": "slack",
        "channel": "C1",
        "min_severity": "medium",
        "responders": ["U_ONCALL", "S_RESPONDERS"],
        "managers": ["U_LEAD"],
    }
]
ONCALL = Actor("slack", "U_ONCALL", channel="C1")
IN_GROUP = Actor("slack", "U_OTHER", groups=("S_RESPONDERS",), channel="C1")
LEAD = Actor("slack", "U_LEAD", channel="C1")
STRANGER = Actor("slack", "U_RANDOM", channel="C1")
OPERATOR = Actor("cli", "shell")


@pytest.fixture
async def setup(db: Database, clock: ManualClock) -> tuple[CommandService, RecordingChat]:
    chat = RecordingChat(platform="slack")
    cfg = config(ROUTES)
    pipe = pipeline(cfg, db, clock, chat)
    await pipe.ingestor.ingest(
        "src",
        [
            post("p1", RASH, followers=500),
            post(
                "p2",
                "Tundra cup leaks everywhere, waste of money, get IceKeep instead",
                followers=30_000,
                author="other",
                lang="en",
            ),
            post("p3", "GlowLab serum is fine I guess", followers=100),
        ],
    )
    await pipe.deliver()
    return CommandService(cfg, db, clock, on_change=redeliver(pipe)), chat


async def audit_count(db: Database) -> int:
    async with db.read() as s:
        return int(await s.scalar(select(func.count()).select_from(AuditRow)) or 0)


async def test_help_lists_every_command(setup: tuple[CommandService, RecordingChat]) -> None:
    service, _ = setup
    result = await service.run_text("help", STRANGER)
    assert isinstance(result.view, HelpView)
    text = result.text
    for word in (
        "summary",
        "drill",
        "mute",
        "unmute",
        "mutes",
        "ack",
        "resolve",
        "wrong",
        "status",
    ):
        assert f"/deinfluence {word}" in text


async def test_status_and_brands(setup: tuple[CommandService, RecordingChat]) -> None:
    service, _ = setup
    status = await service.run_text("status", STRANGER)
    assert isinstance(status.view, StatusView)
    assert status.view.posts == 3 and status.view.open_alerts == 2 and status.view.undelivered == 0
    brands = await service.run_text("brands", STRANGER)
    assert isinstance(brands.view, BrandsView)
    assert {b.name: b.open_alerts for b in brands.view.brands} == {"GlowLab": 1, "Tundra": 1}


async def test_summary_counts_claims_competitors_and_chart(
    setup: tuple[CommandService, RecordingChat],
) -> None:
    service, _ = setup
    result = await service.run_text("summary all 24h", STRANGER)
    view = result.view
    assert isinstance(view, SummaryView)
    assert view.total == 3
    assert {c.name for c in view.top_claims} >= {"safety", "quality"}
    assert [c.name for c in view.alternatives] == ["IceKeep"]
    assert result.chart_png is not None and result.chart_png.startswith(b"\x89PNG")
    assert result.ephemeral
    public = await service.run_text("summary GlowLab 7d public", STRANGER)
    assert not public.ephemeral and isinstance(public.view, SummaryView)
    assert public.view.brand == "GlowLab" and public.view.total == 2


async def test_drill_by_alert_and_by_brand(setup: tuple[CommandService, RecordingChat]) -> None:
    service, _ = setup
    by_alert = await service.run_text("drill 1", STRANGER)
    assert isinstance(by_alert.view, DrillView) and by_alert.view.total == 1
    by_brand = await service.run_text("drill glowlab 7d", STRANGER)
    assert isinstance(by_brand.view, DrillView)
    assert by_brand.view.posts[0].native_id == "p1"  # ordered by severity first
    missing = await service.run_text("drill 999", STRANGER)
    assert not missing.ok and "No alert #999" in missing.text


async def test_ack_by_responder_user_or_group(
    setup: tuple[CommandService, RecordingChat], db: Database
) -> None:
    service, chat = setup
    assert (await service.run_text("ack 1", ONCALL)).ok
    again = await service.run_text("ack 1", IN_GROUP)
    assert "already acknowledged by slack:U_ONCALL" in again.text
    assert (await service.run_text("ack 2", IN_GROUP)).ok
    assert [card.status for _, card in chat.updated] == ["acknowledged", "acknowledged"]
    async with db.read() as s:
        actions = [(a.actor, a.action, a.target) for a in (await s.scalars(select(AuditRow))).all()]
    assert actions == [("slack:U_ONCALL", "ack", "alert:1"), ("slack:U_OTHER", "ack", "alert:2")]


async def test_refused_user_changes_nothing(
    setup: tuple[CommandService, RecordingChat], db: Database
) -> None:
    service, _ = setup
    for text in ("ack 1", "resolve 1", "mute GlowLab 1h", "wrong 1", "unmute 1"):
        if text == "unmute 1":
            assert (await service.run_text("mute GlowLab 1h", LEAD)).ok
        result = await service.run_text(text, STRANGER)
        assert not result.ok
        assert isinstance(result.view, Notice) and result.view.level == "denied"
        assert "Not allowed" in result.text
    refused_for_lead = await service.run_text("ack 1", LEAD)
    assert not refused_for_lead.ok
    async with db.read() as s:
        alert = await s.get(AlertRow, 1)
        assert alert is not None and alert.status == "open"
        assert (await s.scalar(select(func.count()).select_from(MuteRow))) == 1
    assert await audit_count(db) == 1  # only the lead's mute


async def test_mute_mutes_and_unmute_lifts(
    setup: tuple[CommandService, RecordingChat], db: Database, clock: ManualClock
) -> None:
    service, chat = setup
    result = await service.run_text("mute GlowLab 2h influencer drama", LEAD)
    assert result.ok and "mute #1" in result.text
    assert any("muted by slack:U_LEAD" in h for _, card in chat.updated for h in card.history)
    listed = await service.run_text("mutes", STRANGER)
    assert isinstance(listed.view, MutesView)
    assert (
        listed.view.mutes[0].state == "active" and listed.view.mutes[0].reason == "influencer drama"
    )
    assert (await service.run_text("unmute 1", LEAD)).ok
    again = await service.run_text("unmute 1", LEAD)
    assert "already unmuted" in again.text
    clock.advance(timedelta(hours=3))
    listed = await service.run_text("mutes", STRANGER)
    assert isinstance(listed.view, MutesView) and listed.view.mutes[0].state == "unmuted"


async def test_bad_arguments_change_nothing(
    setup: tuple[CommandService, RecordingChat], db: Database
) -> None:
    service, _ = setup
    before = await audit_count(db)
    for text in (
        "mute Nope 1h",
        "mute GlowLab 0h",
        "mute source=myspace 1h",
        "ack x",
        "ack 999",
        "summary Nope",
        "drill Nope",
        "unmute 42",
        "wrong 999",
        "bogus",
    ):
        result = await service.run_text(text, LEAD)
        assert not result.ok, text
        assert isinstance(result.view, Notice) and result.view.level == "error", text
    assert await audit_count(db) == before


async def test_wrong_hides_the_post_from_summaries(
    setup: tuple[CommandService, RecordingChat], db: Database
) -> None:
    service, chat = setup
    result = await service.run_text("wrong 1 this is about a tanning studio", LEAD)
    assert result.ok
    summary = await service.run_text("summary GlowLab 24h", STRANGER)
    assert isinstance(summary.view, SummaryView)
    assert summary.view.hidden_wrong == 1
    assert all(p.native_id != "p1" for p in summary.view.top_posts)
    async with db.read() as s:
        mention = await s.scalar(select(MentionRow).where(MentionRow.wrong.is_(True)))
        assert mention is not None and mention.wrong_reason == "this is about a tanning studio"
    assert chat.updated[-1][1].status == "resolved"


async def test_buttons_map_to_the_same_commands(
    setup: tuple[CommandService, RecordingChat], db: Database
) -> None:
    service, _ = setup
    assert (await service.run_action(Action.ACK, 1, ONCALL)).ok
    mute = await service.run_action(Action.MUTE_24H, 2, LEAD)
    assert mute.ok and "brand=Tundra for 1d" in mute.text
    drill = await service.run_action(Action.SHOW_POSTS, 2, STRANGER)
    assert isinstance(drill.view, DrillView)
    assert not (await service.run_action(Action.WRONG, 2, STRANGER)).ok
    choices = await service.alert_choices("tundra")
    assert [alert_id for alert_id, _ in choices] == [2]
    assert choices[0][1].startswith("#2 ") and "Tundra" in choices[0][1]


async def test_local_operator_may_do_anything(setup: tuple[CommandService, RecordingChat]) -> None:
    service, _ = setup
    assert (await service.run_text("ack 1", OPERATOR)).ok
    assert (await service.run_text("mute source=tiktok 1h", OPERATOR)).ok


async def test_unexpected_error_becomes_an_error_id(
    setup: tuple[CommandService, RecordingChat], monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _ = setup

    async def boom(*_: object) -> None:
        raise RuntimeError("db exploded")

    monkeypatch.setattr(service, "_status", boom)
    result = await service.run_text("status", STRANGER)
    assert not result.ok and "error id" in result.text and "exploded" not in result.text


async def test_status_names_why_alerts_are_undelivered(db: Database, clock: ManualClock) -> None:
    from bot.ports import DeliveryError

    chat = RecordingChat(
        platform="slack", fail_with=DeliveryError("not_in_channel", permanent=True)
    )
    cfg = config(ROUTES)
    pipe = pipeline(cfg, db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500)])
    await pipe.deliver()
    status = await CommandService(cfg, db, clock).run_text("status", STRANGER)
    assert isinstance(status.view, StatusView)
    assert status.view.undelivered == 1
    assert status.view.delivery_problems == (
        "slack C1: 1 alert(s) undelivered: not_in_channel (retrying)",
    )
    assert "not_in_channel" in status.text


async def test_viewers_limit_who_sees_summaries(db: Database, clock: ManualClock) -> None:
    routes = [{**ROUTES[0], "viewers": ["U_LEAD", "S_MARKETING"]}]
    cfg = config(routes)
    service = CommandService(cfg, db, clock)
    for text in ("summary", "summary GlowLab", "drill GlowLab", "status", "brands", "mutes"):
        refused = await service.run_text(text, STRANGER)
        assert not refused.ok and isinstance(refused.view, Notice), text
        assert refused.view.level == "denied", text
        assert (await service.run_text(text, LEAD)).ok, text
        assert (await service.run_text(text, Actor("slack", "U_X", groups=("S_MARKETING",)))).ok
    assert (await service.run_text("help", STRANGER)).ok
