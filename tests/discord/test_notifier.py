"""The DiscordNotifier under the real outbox: pings, edits in place, error classes, recovery."""

from __future__ import annotations

import discord
import pytest
from sqlalchemy import select

from adapters.chat.discord.notifier import DiscordNotifier
from bot.models import Author, Metrics, Post
from bot.ports import DeliveryError, MessageRef
from bot.store import alerts as alert_store
from bot.store.tables import DeliveryRow
from tests.discord.conftest import HOSTILE, ONCALL_ROLE, Stack, card_of
from tests.discord.harness import CHANNEL_ID
from tests.fakes.discord_http import http_error


async def test_alert_pings_only_the_oncall_role(stack: Stack) -> None:
    await stack.new_alert(HOSTILE)
    (post,) = stack.harness.http.posts()
    assert post.payload["allowed_mentions"] == {"parse": [], "roles": [int(ONCALL_ROLE)]}
    assert post.payload["content"].startswith(f"<@&{ONCALL_ROLE}> New mention alert")
    # the hostile caption is in the embed, defused; never in the content that could ping
    assert "@everyone" not in post.payload["content"]
    assert "<@1234" not in post.payload["content"]
    description = post.payload["embeds"][0]["description"]
    assert "@\u200beveryone" in description
    assert "<@\u200b123456789012345678>" in description


async def test_severity_rise_edits_the_same_message(stack: Stack) -> None:
    def version(followers: int) -> Post:
        return Post(
            source="tiktok",
            native_id="grow",
            text="honestly GlowLab is overpriced, skip it",
            created_at=stack.clock.now(),
            author=Author("tiny", followers, False),
            metrics=Metrics(views=followers * 3),
            url=None,
            lang="en",
        )

    first = await stack.ingestor.ingest("tiktok", [version(300)])
    await stack.deliverer.run_once()
    raised = await stack.ingestor.ingest("tiktok", [version(3_000_000)])
    assert raised.alerts_raised == 1, raised
    report = await stack.deliverer.run_once()
    assert (report.posted, report.updated) == (0, 1)
    assert len(stack.harness.http.posts()) == 1
    edit = stack.harness.http.edits()[-1]
    assert "severity rose" in str(edit.payload["embeds"])
    assert "content" not in edit.payload
    assert first.alert_ids == raised.alert_ids


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (http_error(403, "Missing Access", 50001), True),
        (http_error(401, "401: Unauthorized", 0), True),
        (http_error(404, "Unknown Channel", 10003), True),
        (http_error(400, "Invalid Form Body", 50035), True),
        (http_error(503, "upstream"), False),
        (discord.RateLimited(120.0), False),
        (OSError("connection reset"), False),
    ],
)
async def test_failures_are_classified_and_the_alert_stays_recorded(
    stack: Stack, error: BaseException, permanent: bool
) -> None:
    notifier = stack.notifiers["discord"]
    assert isinstance(notifier, DiscordNotifier)
    stack.harness.http.fail_next.append(error)
    with pytest.raises(DeliveryError) as raised:
        await notifier.post(CHANNEL_ID, await card_of(stack), mention=None)
    assert raised.value.permanent is permanent
    assert len(stack.harness.http.calls) == 2  # the sync and one try: no retry layer of ours


async def test_failed_delivery_is_kept_for_a_later_retry(stack: Stack) -> None:
    stack.harness.http.fail_next.append(http_error(403, "Missing Access", 50001))
    await stack.new_alert()
    async with stack.db.read() as session:
        assert await alert_store.count_undelivered(session) == 1
        row = (await session.scalars(select(DeliveryRow))).one()
    assert row.state == "failed"
    assert "HTTP 403" in (row.last_error or "")
    assert "fake-token" not in (row.last_error or "")
    stack.clock.advance(row.next_attempt_at - stack.clock.now())
    report = await stack.deliverer.run_once()
    assert report.posted == 1


async def test_find_posted_recovers_a_post_a_crash_interrupted(stack: Stack) -> None:
    alert = await stack.new_alert()
    notifier = stack.notifiers["discord"]
    assert isinstance(notifier, DiscordNotifier)
    found = await notifier.find_posted(CHANNEL_ID, alert)
    assert found == MessageRef("discord", CHANNEL_ID, stack.message_of(alert)["id"])
    assert await notifier.find_posted(CHANNEL_ID, alert + 100) is None


async def test_bad_channel_and_not_logged_in(stack: Stack) -> None:
    notifier = stack.notifiers["discord"]
    assert isinstance(notifier, DiscordNotifier)
    card = await card_of(stack)
    with pytest.raises(DeliveryError) as bad:
        await notifier.post("#brand-alerts", card, mention=None)
    assert bad.value.permanent
    stack.harness.client.http.token = None
    with pytest.raises(DeliveryError) as offline:
        await notifier.post(CHANNEL_ID, card, mention=None)
    assert not offline.value.permanent
