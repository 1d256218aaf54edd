"""The notifier against the fake Web API: safety, pacing, 429s, failures kept for retry."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta

import pytest

from adapters.chat.slack.notifier import ChannelPacer, SlackNotifier
from adapters.chat.slack.runtime import build_client
from bot.ports import DeliveryError
from bot.store import alerts as alert_store
from bot.store.tables import DeliveryRow
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import CHANNEL, ONCALL_GROUP, FakeTime, Harness
from tests.slack.samples import sample_card


async def test_hostile_caption_pings_nobody_and_links_nowhere(harness: Harness) -> None:
    await harness.add_alert()
    [call] = harness.fake.of("chat.postMessage")
    raw = json.dumps(call.args, ensure_ascii=False)
    for hostile in ("<!channel>", "<!here>", "<@U123>", "<https://evil|x>"):
        assert hostile not in raw
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil|x&gt; &amp; more" in raw
    # the only control sequences are ours: the on-call mention and the post link
    controls = set(re.findall(r"<[^<>]*>", raw))
    assert controls == {
        f"<!subteam^{ONCALL_GROUP}>",
        "<https://www.tiktok.com/@beautybyjo/video/p1|Open the post on tiktok>",
    }
    assert "link_names" not in call.args
    assert "parse" not in call.args
    assert call.args["unfurl_links"] is False
    assert call.args["unfurl_media"] is False
    assert call.args["text"].startswith(f"<!subteam^{ONCALL_GROUP}>")
    assert call.args["metadata"] == {
        "event_type": "deinfluence_alert",
        "event_payload": {"alert_id": 1},
    }
    sections = [b for b in call.args["blocks"] if b["type"] == "section" and "text" in b]
    assert all(b["text"]["verbatim"] is True for b in sections)


async def test_only_http_links_are_rendered(harness: Harness) -> None:
    alert_id = await harness.add_alert(deliver=False)
    async with harness.db.transaction() as session:
        loaded = await alert_store.load_alert(session, alert_id)
        assert loaded is not None
        assert loaded[2] is not None
        loaded[2].url = "javascript:alert(1)"
    await harness.deliverer.run_once()
    raw = json.dumps(harness.fake.of("chat.postMessage")[0].args)
    assert "javascript" not in raw


async def test_posts_to_one_channel_are_paced_one_per_second() -> None:
    fake = await FakeSlack().start()
    try:
        clock = FakeTime()
        notifier = SlackNotifier(
            build_client("xoxb-1234-5678-testtoken", fake.url),
            pacer=ChannelPacer(1.0, monotonic=clock.monotonic, sleep=clock.sleep),
        )
        for i in range(3):
            await notifier.post("C0AAAAAA1", sample_card(alert_id=i + 1), mention=None)
        await notifier.post("C0BBBBBB2", sample_card(alert_id=9), mention=None)
        assert clock.waits == [1.0, 1.0]  # the second channel did not wait
        assert len(fake.succeeded("chat.postMessage")) == 4
    finally:
        await fake.stop()


async def test_429_is_retried_by_the_sdk_handler_a_bounded_number_of_times() -> None:
    fake = await FakeSlack().start()
    try:
        clock = FakeTime()
        client = build_client("xoxb-1234-5678-testtoken", fake.url, sleep=clock.sleep)
        notifier = SlackNotifier(
            client, pacer=ChannelPacer(1.0, monotonic=clock.monotonic, sleep=clock.sleep)
        )
        fake.rate_limit("chat.postMessage", retry_after=7)
        ref = await notifier.post(CHANNEL, sample_card(), mention=None)
        assert ref.message_id
        assert clock.waits == [7.0]
        assert len(fake.of("chat.postMessage")) == 2

        fake.rate_limit("chat.postMessage", retry_after=3, times=3)
        with pytest.raises(DeliveryError) as caught:
            await notifier.post(CHANNEL, sample_card(), mention=None)
        assert not caught.value.permanent
        assert "ratelimited" in str(caught.value)
        assert len(fake.of("chat.postMessage")) == 2 + 3  # first try and two retries

        fake.calls.clear()
        fake.rate_limit("chat.postMessage", retry_after=3600)
        with pytest.raises(DeliveryError):  # too long to wait here: left to the outbox
            await notifier.post(CHANNEL, sample_card(), mention=None)
        assert len(fake.of("chat.postMessage")) == 1
    finally:
        await fake.stop()


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "invalid_auth"])
async def test_permanent_failures_log_once_and_keep_the_alert(
    harness: Harness, error: str, caplog: pytest.LogCaptureFixture
) -> None:
    harness.fake.fail("chat.postMessage", error)
    with caplog.at_level(logging.ERROR, logger="adapters.chat.slack.notifier"):
        alert_id = await harness.add_alert()
    lines = [r for r in caplog.records if r.name == "adapters.chat.slack.notifier"]
    assert len(lines) == 1
    assert error in lines[0].getMessage()
    assert harness.runtime.notifier.status_lines() == [
        f"slack channel {CHANNEL}: {error} — {harness.runtime.notifier.problems[CHANNEL].hint}"
    ]
    async with harness.db.read() as session:
        [row] = await alert_store.deliveries_of(session, alert_id)
        assert row.state == alert_store.FAILED
        assert error in (row.last_error or "")
    [status] = await harness.slash("status")
    assert "1 undelivered" in status["text"]


async def test_undelivered_then_retried_posts_exactly_once(harness: Harness) -> None:
    harness.fake.fail("chat.postMessage", "not_in_channel")
    alert_id = await harness.add_alert()
    assert harness.fake.succeeded("chat.postMessage") == []
    await harness.deliverer.run_once()  # not due yet: nothing is sent again
    assert len(harness.fake.of("chat.postMessage")) == 1
    harness.clock.advance(timedelta(hours=1, minutes=1))  # someone invited the bot meanwhile
    report = await harness.deliverer.run_once()
    assert report.posted == 1
    assert len(harness.fake.succeeded("chat.postMessage")) == 1
    await harness.deliverer.run_once()
    assert len(harness.fake.succeeded("chat.postMessage")) == 1
    async with harness.db.read() as session:
        [row] = await alert_store.deliveries_of(session, alert_id)
        assert row.state == alert_store.DELIVERED
        assert row.message_id
    assert harness.runtime.notifier.status_lines() == []


async def test_find_posted_settles_a_delivery_a_crash_left_in_flight(harness: Harness) -> None:
    alert_id = await harness.add_alert()
    [posted] = harness.fake.succeeded("chat.postMessage")
    async with harness.db.transaction() as session:  # as if we crashed right after posting
        [row] = await alert_store.deliveries_of(session, alert_id)
        row.state, row.message_id = alert_store.IN_FLIGHT, None
    assert await harness.deliverer.recover() == 1
    async with harness.db.read() as session:
        fresh = await session.get(DeliveryRow, row.id)
        assert fresh is not None
        assert fresh.message_id == posted.response["ts"]  # type: ignore[index]
    await harness.deliverer.run_once()
    assert len(harness.fake.of("chat.postMessage")) == 1


async def test_find_posted_without_history_scope_returns_none(harness: Harness) -> None:
    harness.fake.fail("conversations.history", "missing_scope")
    assert await harness.runtime.notifier.find_posted(CHANNEL, 1) is None
