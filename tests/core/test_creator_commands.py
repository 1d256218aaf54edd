"""`creator`, `creators` and `watch` typed into the console adapter, against the real core;
their grammar; and who may watch."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from rich.console import Console
from sqlalchemy import func, select

from adapters.chat.console import repl
from bot.clock import ManualClock
from bot.commands import grammar as g
from bot.commands.service import CommandService
from bot.permissions import Actor
from bot.store.database import Database
from bot.store.tables import AuditRow, WatchRow
from bot.views import CreatorsView, CreatorView
from tests.core.helpers import RecordingChat, config, pipeline, post, redeliver

CRITIC = "GlowLab serum gave me a rash, do not buy it, get DewDrop instead"
TUNDRA = "Tundra cup leaks everywhere, waste of money, get DewDrop instead"
ROUTES = [
    {
        "name": "team",
        "platform": "slack",
        "channel": "C1",
        "managers": ["U_LEAD"],
        "viewers": ["U_LEAD", "U_VIEW"],
    }
]


@pytest.fixture
async def service(db: Database, clock: ManualClock) -> CommandService:
    cfg = config(ROUTES, creators={"shared_alternative_brands": 2})
    tundra = cfg.brands[1].model_copy(update={"competitors": cfg.brands[0].competitors})
    cfg = cfg.model_copy(update={"brands": [cfg.brands[0], tundra]})  # DewDrop for both
    pipe = pipeline(cfg, db, clock, RecordingChat(platform="slack"))
    for day, (text, followers) in enumerate([(CRITIC, 40_000), (TUNDRA, 90_000)]):
        await pipe.ingestor.ingest(
            "s", [post(f"jo{day}", text, author="BeautyByJo", followers=followers, views=None)]
        )
        clock.advance(timedelta(days=1))
    await pipe.ingestor.ingest(
        "s",
        [
            post("big", CRITIC, author="huge", followers=2_000_000, views=5_000_000),
            post("ig", CRITIC, author="BeautyByJo", source="instagram", followers=10),
            post("fan", "GlowLab serum is great, love it", author="fan", followers=10),
        ],
    )
    return CommandService(pipe.config, db, clock, on_change=redeliver(pipe))


async def typed(service: CommandService, line: str) -> str:
    out = io.StringIO()
    console = Console(file=out, width=220, highlight=False, color_system=None)
    await repl(service, console, None, io.StringIO(f"/deinfluence {line}\n"))
    return out.getvalue()


async def test_creator_profile_in_the_console(service: CommandService) -> None:
    out = await typed(service, "creator @beautybyjo tiktok")
    assert "@beautybyjo on tiktok · 90,000 followers · 2 posts seen" in out
    assert "followers over time: 40,000 (2026-11-02) → 90,000 (2026-11-03)" in out
    assert "GlowLab" in out and "Tundra" in out and "negative 1" in out
    assert "⚑ followers jumped from 40,000 to 90,000 (+125%) within 1 day" in out
    assert "per follower (no views reported)" in out
    assert "not compared: only 1 other 10k–100k" not in out  # no peers at all in that band
    assert "only 0 other 10k–100k creators on tiktok" in out
    assert "⚑ de-influenced 2 brands (GlowLab, Tundra) while recommending DewDrop" in out
    assert "rash" in out  # recent mentions


async def test_creator_profile_view_and_source_choice(service: CommandService) -> None:
    result = await service.run_text("creator BEAUTYBYJO", Actor("console", "op"))
    assert isinstance(result.view, CreatorView)
    assert result.view.source == "instagram"  # the most recently seen source
    assert result.view.also_on == ("tiktok",)
    assert "also seen on tiktok (add the source to choose)" in result.text
    unknown = await service.run_text("creator nobody", Actor("console", "op"))
    assert not unknown.ok and unknown.text == "No posts stored from @nobody."


async def test_creators_ranks_by_reach_weighted_negative_mentions(
    service: CommandService,
) -> None:
    out = await typed(service, "creators GlowLab 30d")
    assert "Creators by reach-weighted negative mentions: GlowLab, last 30 days" in out
    assert out.index("@huge (tiktok)") < out.index("@beautybyjo (tiktok)")
    assert "5,000,000" in out and "@fan" not in out
    result = await service.run_text("creators", Actor("console", "op"))
    assert isinstance(result.view, CreatorsView)
    jo = next(c for c in result.view.creators if c.handle == "beautybyjo" and c.source == "tiktok")
    assert (jo.negative_posts, jo.reach, jo.brands) == (2, 130_000, ("GlowLab", "Tundra"))
    assert "Unknown brand 'Nope'" in await typed(service, "creators Nope")


async def test_watch_in_the_console_is_audited_and_shows_on_the_profile(
    service: CommandService, db: Database
) -> None:
    out = await typed(service, "watch @BeautyByJo tiktok 7d paid by DewDrop?")
    assert "Watching @beautybyjo on tiktok for 1w (until 2026-11-11 12:00 UTC), watch #1" in out
    async with db.read() as s:
        [audit] = list(await s.scalars(select(AuditRow).where(AuditRow.action == "watch")))
    assert audit.actor == "console:operator"
    assert audit.target == "watch:1"
    assert audit.detail["reason"] == "paid by DewDrop?"
    profile = await typed(service, "creator beautybyjo tiktok")
    assert "👁 watched until 2026-11-11 12:00 UTC by console:operator: paid by DewDrop?" in profile
    assert "👁" in await typed(service, "creators")


async def test_watch_is_a_manager_action_and_bad_input_changes_nothing(
    service: CommandService, db: Database
) -> None:
    stranger = await service.run_text("watch jo 1d", Actor("slack", "U_VIEW", channel="C1"))
    assert not stranger.ok and stranger.text.startswith("Not allowed")
    for line in ("watch jo", "watch jo 0h", "watch jo tiktok", "watch jo nowhere 1d", "watch"):
        result = await service.run_text(line, Actor("slack", "U_LEAD", channel="C1"))
        assert not result.ok, line
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(WatchRow)) == 0
    lead = await service.run_text("watch jo 1d", Actor("slack", "U_LEAD", channel="C1"))
    assert lead.ok
    hidden = await service.run_text("creators", Actor("slack", "U_OTHER", channel="C1"))
    assert not hidden.ok and "Not allowed" in hidden.text


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("creator @jo", g.Creator("jo")),
        ("creator jo TikTok", g.Creator("jo", "tiktok")),
        ("creator jo@mastodon.social", g.Creator("jo@mastodon.social")),
        ("creators", g.Creators(None, timedelta(days=30))),
        ("creators all 7d", g.Creators(None, timedelta(days=7))),
        ("creators GlowLab", g.Creators("GlowLab", timedelta(days=30))),
        ("watch @jo 24h", g.Watch("jo", timedelta(hours=24))),
        (
            "watch jo tiktok 7d bought followers",
            g.Watch("jo", timedelta(days=7), "bought followers", "tiktok"),
        ),
    ],
)
def test_grammar(text: str, command: g.Command) -> None:
    assert g.parse(text) == command


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("creator", "creator needs a handle"),
        ("creator a b c", "unexpected 'c' after the source"),
        ("creator <!channel>", "is not a creator handle"),
        ("creators GlowLab Tundra", "creators takes one brand"),
        ("creators 7d 30d", "give one window"),
        ("watch", "watch needs a handle and a duration"),
        ("watch jo", "watch needs a duration"),
        ("watch jo tiktok", "watch needs a duration"),
        ("watch jo 0h", "must be longer than zero"),
        ("watch jo 5x", "bad duration"),
    ],
)
def test_grammar_rejects_bad_input_clearly(text: str, message: str) -> None:
    with pytest.raises(g.UsageError) as error:
        g.parse(text)
    assert message in str(error.value)
    assert error.value.usage.startswith(f"/deinfluence {text.split()[0]}")
