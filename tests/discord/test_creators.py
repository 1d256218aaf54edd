"""`creator`, `creators` and `watch` as typed subcommands through the real command tree."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.tables import WatchRow
from tests.discord.conftest import MANAGER, OUTSIDER, RESPONDER, Stack
from tests.discord.test_commands import answer, immediate


async def test_creator_profile(stack: Stack) -> None:
    await stack.new_alert()
    reply = answer(await stack.harness.slash("creator", OUTSIDER, handle="@Skin.Truth"))
    embed = reply.embeds[0]
    assert embed["title"] == "@skin.truth on tiktok"
    assert "850,000" in embed["description"]
    names = [f["name"] for f in embed["fields"]]
    assert "Credibility signals" in names and "Recent mention 1" in names
    assert "@everyone" not in str(embed)  # the hostile caption is neutralised


async def test_creators_ranking(stack: Stack) -> None:
    await stack.new_alert()
    reply = answer(await stack.harness.slash("creators", OUTSIDER, brand="GlowLab", window="7d"))
    embed = reply.embeds[0]
    assert embed["title"] == "Creators: GlowLab — last 7 days"
    assert embed["fields"][0]["name"] == "1. @skin.truth on tiktok"
    bad = immediate(await stack.harness.slash("creators", OUTSIDER, window="soon"))
    assert "Usage: /deinfluence creators" in bad.content


async def test_watch_is_for_managers(stack: Stack) -> None:
    refused = answer(await stack.harness.slash("watch", RESPONDER, handle="jo", duration="1d"))
    assert "Not allowed" in refused.content
    reply = answer(
        await stack.harness.slash(
            "watch", MANAGER, handle="@jo", duration="7d", source="tiktok", reason="paid?"
        )
    )
    assert "Watching @jo on tiktok for 1w" in reply.content
    async with stack.db.read() as session:
        [row] = list(await session.scalars(select(WatchRow)))
    assert (row.handle, row.source, row.reason) == ("jo", "tiktok", "paid?")
    bad = immediate(await stack.harness.slash("watch", MANAGER, handle="jo", duration="0h"))
    assert "Usage: /deinfluence watch" in bad.content
