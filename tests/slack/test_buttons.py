"""Every alert button, clicked through Bolt's dispatch, and the permission refusal."""

from __future__ import annotations

from pathlib import Path

from adapters.chat.slack import ids
from bot.views import Action
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import (
    MANAGER,
    ONCALL_GROUP,
    RESPONDER,
    STRANGER,
    Harness,
    action_body,
    make_harness,
)


async def test_acknowledge_edits_the_message_and_says_who(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    [posted] = harness.fake.succeeded("chat.postMessage")
    reply = await harness.click(Action.ACK, alert_id)
    assert reply["response_type"] == "ephemeral"
    assert reply["replace_original"] is False
    assert "acknowledged" in reply["text"]
    [update] = harness.fake.of("chat.update")
    assert update.args["ts"] == posted.response["ts"]  # type: ignore[index]
    blocks = str(update.args["blocks"])
    assert f"acknowledged by <@{RESPONDER}> at 2026-09-14 10:00 UTC" in blocks
    assert ids.action_id(Action.ACK) not in blocks  # the button is gone once acked
    assert len(harness.fake.of("chat.postMessage")) == 1


async def test_mute_buttons_mute_the_brand_for_1h_and_24h(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    reply = await harness.click(Action.MUTE_1H, alert_id, user=MANAGER)
    assert "for 1h" in reply["text"]
    reply = await harness.click(Action.MUTE_24H, alert_id, user=MANAGER)
    assert "for 1d" in reply["text"] or "for 24h" in reply["text"]
    assert [a.action for a in await harness.audit()] == ["mute", "mute"]
    assert "muted by" in str(harness.fake.of("chat.update")[-1].args["blocks"])


async def test_show_posts_answers_privately_with_the_posts(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    reply = await harness.click(Action.SHOW_POSTS, alert_id, user=STRANGER)
    assert reply["response_type"] == "ephemeral"
    assert "beautybyjo" in str(reply["blocks"])
    assert harness.fake.of("chat.update") == []


async def test_wrong_resolves_and_records_the_correction(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    reply = await harness.click(Action.WRONG, alert_id, user=MANAGER)
    assert "false positive" in reply["text"]
    alert = await harness.alert(alert_id)
    assert alert.wrong_by == f"slack:{MANAGER}"
    assert alert.status == "resolved"
    blocks = str(harness.fake.of("chat.update")[-1].args["blocks"])
    assert "marked wrong" in blocks
    assert ids.action_id(Action.WRONG) not in blocks


async def test_refused_click_changes_nothing(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    for action in (Action.ACK, Action.MUTE_1H, Action.MUTE_24H, Action.WRONG):
        reply = await harness.click(action, alert_id, user=STRANGER)
        assert reply["response_type"] == "ephemeral"
        assert reply["text"].startswith("Not allowed"), reply["text"]
    assert (await harness.alert(alert_id)).status == "open"
    assert await harness.audit() == []
    assert harness.fake.of("chat.update") == []


async def test_a_member_of_the_oncall_user_group_may_ack(harness: Harness) -> None:
    harness.fake.usergroups[ONCALL_GROUP] = ["U0ONCALL1"]
    alert_id = await harness.add_alert()
    reply = await harness.click(Action.ACK, alert_id, user="U0ONCALL1")
    assert "acknowledged" in reply["text"]


async def test_without_usergroups_scope_groups_count_for_nothing(
    tmp_path: Path, fake: FakeSlack
) -> None:
    harness = await make_harness(tmp_path, fake)
    fake.fail("usergroups.users.list", "missing_scope")
    alert_id = await harness.add_alert()
    reply = await harness.click(Action.ACK, alert_id, user="U0ONCALL1")
    assert reply["text"].startswith("Not allowed")
    reply = await harness.click(Action.ACK, alert_id, user=RESPONDER)  # user ids still work
    assert "acknowledged" in reply["text"]
    assert len(fake.of("usergroups.users.list")) == 1  # not asked again once the scope is missing
    await harness.db.dispose()


async def test_an_unknown_button_value_is_refused_politely(harness: Harness) -> None:
    body = action_body(
        ids.action_id(Action.ACK),
        "not-an-id",
        user=RESPONDER,
        channel="C0ALERTS1",
        response_url=harness.fake.response_url("b"),
    )
    response = await harness.dispatch(body)
    assert response.status == 200
    await harness.fake.wait_for(lambda f: bool(f.of("respond")))
    assert "no longer valid" in harness.fake.of("respond")[0].args["text"]
