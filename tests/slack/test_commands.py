"""Every /deinfluence subcommand through Bolt's dispatch, signed, against the real core."""

from __future__ import annotations

from datetime import timedelta

from bot.store import alerts as alert_store
from bot.store.tables import AlertRow
from tests.slack.conftest import CHANNEL, MANAGER, RESPONDER, STRANGER, Harness


def texts(replies: list[dict[str, object]]) -> str:
    return "\n".join(str(r.get("text")) + str(r.get("blocks")) for r in replies)


async def test_help_lists_every_subcommand_ephemerally(harness: Harness) -> None:
    [reply] = await harness.slash("help")
    assert reply["response_type"] == "ephemeral"
    body = texts([reply])
    for name in (
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
    ):
        assert f"/deinfluence {name}" in body


async def test_status_reports_counts(harness: Harness) -> None:
    await harness.add_alert()
    [reply] = await harness.slash("status")
    assert reply["response_type"] == "ephemeral"
    assert "1 open alerts" in reply["text"]


async def test_brands(harness: Harness) -> None:
    await harness.add_alert()
    [reply] = await harness.slash("brands")
    assert "GlowLab" in texts([reply])
    assert "CeraVe" in texts([reply])


async def test_summary_is_ephemeral_by_default_without_uploading(harness: Harness) -> None:
    await harness.add_alert()
    [reply] = await harness.slash("summary GlowLab 24h")
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["type"] == "header"
    assert "public" in texts([reply])  # says how to get the chart
    assert harness.fake.of("files.completeUploadExternal") == []


async def test_public_summary_posts_in_channel_with_chart_in_thread(harness: Harness) -> None:
    await harness.add_alert()
    before = len(harness.fake.of("chat.postMessage"))
    harness.fake.calls.clear()
    await harness.dispatch_and_wait_for_upload("summary GlowLab 24h public")
    [post] = harness.fake.of("chat.postMessage")
    assert post.args["channel"] == CHANNEL
    assert post.args["unfurl_links"] is False
    assert post.args["unfurl_media"] is False
    [complete] = harness.fake.of("files.completeUploadExternal")
    assert complete.args["thread_ts"] == post.response["ts"]  # type: ignore[index]
    assert complete.args["channel_id"] == CHANNEL
    [get_url] = harness.fake.of("files.getUploadURLExternal")
    assert get_url.args["alt_txt"].startswith("Mentions per hour by severity")
    [upload] = harness.fake.of("upload")
    assert upload.args["length"] > 100  # a real PNG
    assert before >= 1


async def test_public_summary_without_channel_access_falls_back_to_response_url(
    harness: Harness,
) -> None:
    await harness.add_alert()
    harness.fake.fail("chat.postMessage", "not_in_channel")
    replies = await harness.slash("summary public")
    assert replies[0]["response_type"] == "in_channel"
    await harness.fake.wait_for(lambda f: len(f.of("respond")) >= 2)
    assert "invite" in str(harness.fake.of("respond")[-1].args["text"])


async def test_drill_by_alert_and_by_brand(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    [by_id] = await harness.slash(f"drill {alert_id}")
    assert by_id["response_type"] == "ephemeral"
    assert "beautybyjo" in texts([by_id])
    [by_brand] = await harness.slash("drill GlowLab 7d")
    assert "page 1 of 1" in texts([by_brand])


async def test_mute_mutes_and_unmute(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    [muted] = await harness.slash("mute GlowLab 2h too noisy", user=MANAGER)
    assert "Muted" in muted["text"]
    assert "mute #1" in muted["text"]
    [listed] = await harness.slash("mutes")
    assert "#1" in texts([listed])
    assert "too noisy" in texts([listed])
    # the open alert's message was edited in place to say it is muted
    update = harness.fake.of("chat.update")[-1]
    assert "muted by" in str(update.args["blocks"])
    assert f"<@{MANAGER}>" in str(update.args["blocks"])
    [lifted] = await harness.slash("unmute 1", user=MANAGER)
    assert "lifted" in lifted["text"]
    assert alert_id > 0


async def test_ack_edits_the_alert_in_place(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    [reply] = await harness.slash(f"ack {alert_id}")
    assert "acknowledged" in reply["text"]
    assert len(harness.fake.succeeded("chat.postMessage")) == 1
    [update] = harness.fake.of("chat.update")
    assert f"<@{RESPONDER}>" in str(update.args["blocks"])
    assert (await harness.alert(alert_id)).status == "acknowledged"


async def test_resolve_and_wrong(harness: Harness) -> None:
    first = await harness.add_alert()
    second = await harness.add_alert(native_id="p2")
    [resolved] = await harness.slash(f"resolve {first}")
    assert "resolved" in resolved["text"]
    [wrong] = await harness.slash(f"wrong {second} sarcasm", user=MANAGER)
    assert "false positive" in wrong["text"]
    assert (await harness.alert(second)).wrong_by == f"slack:{MANAGER}"
    assert len(harness.fake.succeeded("chat.update")) == 2


async def test_usage_error_is_ephemeral_and_changes_nothing(harness: Harness) -> None:
    [reply] = await harness.slash("mute GlowLab forever")
    assert reply["response_type"] == "ephemeral"
    assert "Usage" in reply["text"]
    assert await harness.audit() == []


async def test_refused_mute_is_ephemeral_and_changes_nothing(harness: Harness) -> None:
    await harness.add_alert()
    [reply] = await harness.slash("mute GlowLab 1h", user=STRANGER)
    assert reply["response_type"] == "ephemeral"
    assert reply["text"].startswith("Not allowed")
    assert "⛔" in str(reply["blocks"])
    assert await harness.audit() == []
    assert harness.fake.of("chat.update") == []


async def test_audit_records_the_slack_user(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    await harness.slash(f"ack {alert_id}")
    [entry] = await harness.audit()
    assert (entry.actor, entry.platform, entry.action) == (f"slack:{RESPONDER}", "slack", "ack")


async def test_severity_rise_updates_instead_of_posting_again(harness: Harness) -> None:
    text = "Don't buy GlowLab serum, it broke me out. #deinfluencing"
    alert_id = await harness.add_alert(text, followers=20_000)
    harness.clock.advance(timedelta(minutes=30))
    async with harness.db.transaction() as session:  # what the core does when severity rises
        alert = await session.get(AlertRow, alert_id)
        assert alert is not None
        alert.severity = 4
        alert_store.bump(alert, harness.clock.now())
    await harness.deliverer.run_once()
    [update] = harness.fake.of("chat.update")
    assert "🔴 critical" in str(update.args["blocks"])
    assert len(harness.fake.of("chat.postMessage")) == 1
    assert len(harness.fake.of("chat.update")) == 1
