"""Every alert button, clicked through the registered DynamicItem from its custom_id."""

from __future__ import annotations

import copy

from sqlalchemy import select

from bot.store.tables import AlertRow, AuditRow, MuteRow
from tests.discord.conftest import MANAGER, OUTSIDER, RESPONDER, Stack
from tests.fakes.discord_http import Sent


def private_answer(sent: list[Sent]) -> Sent:
    assert [s.kind for s in sent] == ["callback", "followup"], sent
    assert sent[0].type == 5
    assert sent[0].ephemeral  # deferred, privately, before any work
    return sent[1]


def custom_ids(message: dict[str, object]) -> list[str]:
    rows = message["components"]
    assert isinstance(rows, list)
    return [b["custom_id"] for row in rows for b in row["components"]]


async def status_of(stack: Stack, alert_id: int) -> AlertRow:
    async with stack.db.read() as session:
        row = await session.get(AlertRow, alert_id)
    assert row is not None
    return row


async def test_acknowledge_edits_the_original_message_in_place(stack: Stack) -> None:
    alert = await stack.new_alert()
    message = copy.deepcopy(stack.message_of(alert))
    reply = private_answer(
        await stack.harness.click(f"deinfluence:v1:ack:{alert}", message, RESPONDER)
    )
    assert f"acknowledged by discord:{RESPONDER.user_id}" in reply.content
    assert (await status_of(stack, alert)).status == "acknowledged"
    assert len(stack.harness.http.posts()) == 1  # never a second post for the same alert
    edited = stack.message_of(alert)
    assert f"deinfluence:v1:ack:{alert}" not in custom_ids(edited)
    assert "acknowledged by discord:" in str(edited["embeds"])


async def test_mute_buttons_mute_the_brand_for_1h_and_24h(stack: Stack) -> None:
    alert = await stack.new_alert()
    message = copy.deepcopy(stack.message_of(alert))
    one = private_answer(
        await stack.harness.click(f"deinfluence:v1:mute1h:{alert}", message, MANAGER)
    )
    day = private_answer(
        await stack.harness.click(f"deinfluence:v1:mute24h:{alert}", message, MANAGER)
    )
    assert "for 1h" in one.content
    assert "for 1d" in day.content
    async with stack.db.read() as session:
        mutes = list(await session.scalars(select(MuteRow).order_by(MuteRow.id)))
    assert [m.brand for m in mutes] == ["GlowLab", "GlowLab"]
    assert "muted by discord:" in str(stack.message_of(alert)["embeds"])


async def test_show_posts_answers_privately_with_the_drill_down(stack: Stack) -> None:
    alert = await stack.new_alert()
    reply = private_answer(
        await stack.harness.click(
            f"deinfluence:v1:drill:{alert}", stack.message_of(alert), OUTSIDER
        )
    )
    assert reply.ephemeral
    assert "skin.truth" in reply.text()


async def test_wrong_resolves_and_leaves_only_show_posts(stack: Stack) -> None:
    alert = await stack.new_alert()
    reply = private_answer(
        await stack.harness.click(f"deinfluence:v1:wrong:{alert}", stack.message_of(alert), MANAGER)
    )
    assert "false positive" in reply.content
    assert (await status_of(stack, alert)).status == "resolved"
    assert custom_ids(stack.message_of(alert)) == [f"deinfluence:v1:drill:{alert}"]


async def test_refused_click_changes_nothing(stack: Stack) -> None:
    alert = await stack.new_alert()
    message = copy.deepcopy(stack.message_of(alert))
    for action in ("ack", "mute1h", "mute24h", "wrong"):
        reply = private_answer(
            await stack.harness.click(f"deinfluence:v1:{action}:{alert}", message, OUTSIDER)
        )
        assert reply.content.startswith("⛔ Not allowed"), action
    assert stack.harness.http.edits() == []
    assert (await status_of(stack, alert)).status == "open"
    async with stack.db.read() as session:
        assert list(await session.scalars(select(MuteRow))) == []
        assert list(await session.scalars(select(AuditRow))) == []


async def test_button_from_before_a_restart_still_works(stack: Stack) -> None:
    alert = await stack.new_alert()
    message = copy.deepcopy(stack.message_of(alert))
    old_client = stack.harness.client
    harness = await stack.restart()
    assert harness.client is not old_client
    reply = private_answer(await harness.click(f"deinfluence:v1:ack:{alert}", message, RESPONDER))
    assert "acknowledged" in reply.content
    assert (await status_of(stack, alert)).status == "acknowledged"
    assert len(harness.http.posts()) == 1
    assert len(harness.http.edits()) == 1


async def test_foreign_custom_ids_are_ignored(stack: Stack) -> None:
    alert = await stack.new_alert()
    message = copy.deepcopy(stack.message_of(alert))
    message["components"][0]["components"].append(
        {"type": 2, "style": 2, "label": "x", "custom_id": "someone-else:ack:1"}
    )
    assert await stack.harness.click("someone-else:ack:1", message, MANAGER) == []
    assert (await status_of(stack, alert)).status == "open"


async def test_a_crash_becomes_a_private_error_id(stack: Stack) -> None:
    alert = await stack.new_alert()
    message = copy.deepcopy(stack.message_of(alert))
    stack.harness.client.deinfluence_service = None  # a broken wiring, not a core error
    reply = private_answer(
        await stack.harness.click(f"deinfluence:v1:ack:{alert}", message, MANAGER)
    )
    assert reply.content.startswith("⚠️ Something went wrong (error id ")
    assert reply.ephemeral
