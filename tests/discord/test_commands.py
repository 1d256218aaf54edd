"""Every /deinfluence subcommand through the real command tree and the real core."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.tables import AlertRow, AuditRow, MuteRow
from tests.discord.conftest import MANAGER, OUTSIDER, RESPONDER, Stack
from tests.fakes.discord_http import Sent

DEFER = 5
EPHEMERAL = 64


def answer(sent: list[Sent], *, ephemeral: bool = True) -> Sent:
    """Deferred first (within Discord's 3 s), then exactly one follow-up with the result."""
    assert [s.kind for s in sent] == ["callback", "followup"], sent
    assert sent[0].type == DEFER
    assert sent[0].ephemeral is ephemeral
    assert sent[1].data["allowed_mentions"] == {"parse": []}
    return sent[1]


def immediate(sent: list[Sent]) -> Sent:
    """Answered at once (bad input, refusals before any work): one private message."""
    assert len(sent) == 1, sent
    assert sent[0].kind == "callback", sent
    assert sent[0].type == 4, sent
    assert sent[0].ephemeral
    return sent[0]


async def test_help(stack: Stack) -> None:
    reply = answer(await stack.harness.slash("help", OUTSIDER))
    assert reply.embeds[0]["title"] == "/deinfluence"
    assert "/deinfluence mute" in reply.embeds[0]["description"]


async def test_status(stack: Stack) -> None:
    await stack.new_alert()
    reply = answer(await stack.harness.slash("status", OUTSIDER))
    assert "1 open alerts" in reply.embeds[0]["description"]


async def test_brands(stack: Stack) -> None:
    await stack.new_alert()
    reply = answer(await stack.harness.slash("brands", OUTSIDER))
    names = [f["name"] for f in reply.embeds[0]["fields"]]
    assert names == ["GlowLab", "AeroCurl"]


async def test_summary_is_private_by_default(stack: Stack) -> None:
    await stack.new_alert()
    reply = answer(await stack.harness.slash("summary", OUTSIDER, brand="GlowLab", window="7d"))
    assert reply.embeds[0]["title"] == "Summary: GlowLab — last 1w"
    assert reply.ephemeral


async def test_public_summary_posts_its_chart_as_an_attachment(stack: Stack) -> None:
    await stack.new_alert()
    reply = answer(await stack.harness.slash("summary", OUTSIDER, public=True), ephemeral=False)
    assert not reply.ephemeral
    assert [f["filename"] for f in reply.files] == ["summary.png"]
    assert reply.files[0]["size"] > 0
    assert reply.embeds[0]["image"]["url"] == "attachment://summary.png"
    assert reply.data["attachments"][0]["description"]  # alt text


async def test_summary_bad_window_is_a_usage_error(stack: Stack) -> None:
    reply = immediate(await stack.harness.slash("summary", OUTSIDER, window="soon"))
    assert "bad duration" in reply.content
    assert "Usage: /deinfluence summary" in reply.content


async def test_summary_unknown_brand(stack: Stack) -> None:
    reply = answer(await stack.harness.slash("summary", OUTSIDER, brand="Nope"))
    assert "Unknown brand 'Nope'" in reply.content


async def test_drill_by_alert_and_by_brand(stack: Stack) -> None:
    alert = await stack.new_alert()
    by_alert = answer(await stack.harness.slash("drill", OUTSIDER, alert=alert))
    assert f"#{alert}" in by_alert.text()
    by_brand = answer(await stack.harness.slash("drill", OUTSIDER, brand="GlowLab", window="7d"))
    assert "skin.truth" in by_brand.text()


async def test_drill_needs_exactly_one_target(stack: Stack) -> None:
    reply = immediate(await stack.harness.slash("drill", OUTSIDER))
    assert "either an alert id or a brand" in reply.content


async def test_mute_by_manager_is_audited_with_the_discord_user_id(stack: Stack) -> None:
    await stack.new_alert()
    reply = answer(
        await stack.harness.slash(
            "mute", MANAGER, duration="2h", brand="glowlab", reason="launch day"
        )
    )
    assert "Muted brand=GlowLab for 2h" in reply.content
    async with stack.db.read() as session:
        mute = (await session.scalars(select(MuteRow))).one()
        audit = (await session.scalars(select(AuditRow).where(AuditRow.action == "mute"))).one()
    assert mute.reason == "launch day"
    assert audit.actor == f"discord:{MANAGER.user_id}"
    assert audit.platform == "discord"
    # the open alert's message is edited to say why it went quiet
    assert "muted by discord:" in str(stack.harness.http.edits()[-1].payload)


async def test_mute_with_every_matcher(stack: Stack) -> None:
    reply = answer(
        await stack.harness.slash(
            "mute",
            MANAGER,
            duration="1d",
            brand="GlowLab",
            source="tiktok",
            author="@skin.truth",
            severity="high",
        )
    )
    assert "source=tiktok" in reply.content
    assert "author=@skin.truth" in reply.content


async def test_mute_needs_a_matcher_and_a_good_duration(stack: Stack) -> None:
    assert (
        "at least one matcher"
        in immediate(await stack.harness.slash("mute", MANAGER, duration="1h")).content
    )
    bad = immediate(await stack.harness.slash("mute", MANAGER, duration="0h", brand="GlowLab"))
    assert "longer than zero" in bad.content


async def test_mute_refused_for_outsider_changes_nothing(stack: Stack) -> None:
    reply = answer(await stack.harness.slash("mute", OUTSIDER, duration="1h", brand="GlowLab"))
    assert reply.content.startswith("⛔ Not allowed")
    async with stack.db.read() as session:
        assert (await session.scalars(select(MuteRow))).all() == []


async def test_mutes_and_unmute(stack: Stack) -> None:
    answer(await stack.harness.slash("mute", MANAGER, duration="1h", brand="GlowLab"))
    listed = answer(await stack.harness.slash("mutes", OUTSIDER))
    assert listed.embeds[0]["fields"][0]["name"].startswith("#1 brand=GlowLab")
    refused = answer(await stack.harness.slash("unmute", OUTSIDER, mute=1))
    assert "Not allowed" in refused.content
    lifted = answer(await stack.harness.slash("unmute", MANAGER, mute=1))
    assert "Mute #1 lifted" in lifted.content


async def test_ack_resolve_and_wrong(stack: Stack) -> None:
    first = await stack.new_alert()
    second = await stack.new_alert(text="Do NOT buy GlowLab, total scam, it gave me a rash")
    posts_before = len(stack.harness.http.posts())
    assert (
        "acknowledged by discord:"
        in answer(await stack.harness.slash("ack", RESPONDER, alert=first)).content
    )
    assert (
        "resolved by discord:"
        in answer(await stack.harness.slash("resolve", RESPONDER, alert=first)).content
    )
    wrong = answer(
        await stack.harness.slash("wrong", MANAGER, alert=second, reason="not the brand")
    )
    assert "false positive" in wrong.content
    async with stack.db.read() as session:
        rows = {a.id: a for a in await session.scalars(select(AlertRow))}
    assert rows[first].status == "resolved"
    assert rows[second].wrong_by == f"discord:{MANAGER.user_id}"
    assert len(stack.harness.http.posts()) == posts_before  # edited in place, never re-posted
    assert len(stack.harness.http.edits()) >= 3


async def test_ack_refused_for_outsider(stack: Stack) -> None:
    alert = await stack.new_alert()
    edits = len(stack.harness.http.edits())
    reply = answer(await stack.harness.slash("ack", OUTSIDER, alert=alert))
    assert reply.content.startswith("⛔ Not allowed")
    assert len(stack.harness.http.edits()) == edits
    async with stack.db.read() as session:
        assert (await session.get(AlertRow, alert)).status == "open"  # type: ignore[union-attr]


async def test_direct_messages_are_refused(stack: Stack) -> None:
    reply = immediate(await stack.harness.slash("ack", MANAGER, guild=False, alert=1))
    assert "only inside a server" in reply.content


async def test_autocomplete_brands_alerts_windows_and_mutes(stack: Stack) -> None:
    alert = await stack.new_alert()
    brands = await stack.harness.autocomplete("summary", OUTSIDER, "brand", brand="glo")
    assert [c["value"] for c in brands] == ["GlowLab"]
    alerts = await stack.harness.autocomplete("ack", OUTSIDER, "alert", alert=str(alert))
    assert alerts[0]["value"] == alert
    assert alerts[0]["name"].startswith(f"#{alert} ")
    windows = await stack.harness.autocomplete("drill", OUTSIDER, "window", window="7")
    assert [c["value"] for c in windows] == ["7", "7d"]
    answer(await stack.harness.slash("mute", MANAGER, duration="1h", brand="GlowLab"))
    mutes = await stack.harness.autocomplete("unmute", OUTSIDER, "mute", mute="1")
    assert mutes[0]["value"] == 1


async def test_command_definitions_are_guild_only_with_a_permission_hint(stack: Stack) -> None:
    group = stack.harness.client.tree.get_command("deinfluence")
    assert group is not None
    payload = group.to_dict(stack.harness.client.tree)
    assert payload["dm_permission"] is False
    assert payload["default_member_permissions"] is not None
    names = {o["name"] for o in payload["options"]}
    assert names == {
        "help",
        "status",
        "brands",
        "summary",
        "drill",
        "mute",
        "unmute",
        "mutes",
        "ack",
        "resolve",
        "wrong",
        "creator",
        "creators",
        "watch",
    }


async def test_a_crash_becomes_a_private_error_id(stack: Stack) -> None:
    stack.harness.client.deinfluence_service = None  # a broken wiring, not a core error
    reply = answer(await stack.harness.slash("status", MANAGER))
    assert reply.content.startswith("⚠️ Something went wrong (error id ")
