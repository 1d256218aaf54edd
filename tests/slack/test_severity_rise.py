"""Severity rising through the real scorer: the same post seen again with bigger numbers
moves up a reach tier (bot/scoring/policy.py ReachThresholds), the rubric table gives it a
higher severity, and the Slack message is edited in place, never posted twice.

The HOSTILE post is risk 3 (a safety claim plus a competitor recommended instead), so the
rubric row is high / critical / critical for reach small / mid / large.
"""

from __future__ import annotations

from datetime import timedelta

from adapters.chat.slack import ids
from bot.ingest import IngestReport
from bot.models import Author, Metrics, Post, ReachTier, Severity
from bot.views import Action
from tests.slack.conftest import HOSTILE, ONCALL_GROUP, RESPONDER, Harness


def sighting(harness: Harness, *, followers: int, views: int) -> Post:
    """One TikTok post, as a poll would see it at this moment."""
    return Post(
        source="tiktok",
        native_id="rise1",
        text=HOSTILE,
        created_at=harness.clock.now(),
        author=Author("beautybyjo", followers, True),
        metrics=Metrics(views=views, likes=40),
        url="https://www.tiktok.com/@beautybyjo/video/rise1",
        lang="en",
    )


async def see(harness: Harness, *, followers: int, views: int) -> IngestReport:
    report = await harness.ingestor.ingest(
        "tiktok", [sighting(harness, followers=followers, views=views)]
    )
    await harness.deliverer.run_once()
    return report


def test_the_rubric_row_and_tiers_this_file_relies_on(harness: Harness) -> None:
    policy = harness.config.policy
    assert policy.reach.tier(1_000, 1_000) is ReachTier.SMALL
    assert policy.reach.tier(1_000, 2_000_000) is ReachTier.LARGE
    assert policy.reach.tier(100_000, 1_000) is ReachTier.MID
    assert policy.severity_table["3"] == [Severity.HIGH, Severity.CRITICAL, Severity.CRITICAL]
    small = harness.ingestor.scorer.score(
        sighting(harness, followers=1_000, views=1_000), "GlowLab"
    )
    assert (small.risk, small.reach, small.severity) == (3, ReachTier.SMALL, Severity.HIGH)


async def test_views_growing_into_the_large_tier_raise_severity_in_place(harness: Harness) -> None:
    first = await see(harness, followers=1_000, views=1_000)
    assert first.alerts_created == 1
    [alert_id] = first.alert_ids
    [posted] = harness.fake.succeeded("chat.postMessage")
    assert "High risk" in str(posted.args["blocks"])
    assert f"<!subteam^{ONCALL_GROUP}>" in str(posted.args["blocks"])

    harness.clock.advance(timedelta(minutes=30))
    grown = await see(harness, followers=1_000, views=2_000_000)
    assert (grown.alerts_created, grown.alerts_raised, grown.alert_ids) == (0, 1, [alert_id])

    assert len(harness.fake.of("chat.postMessage")) == 1  # never re-posted
    [update] = harness.fake.of("chat.update")
    assert posted.response is not None
    assert (update.args["channel"], update.args["ts"]) == (
        posted.response["channel"],
        posted.response["ts"],
    )
    blocks = str(update.args["blocks"])
    assert "Critical risk: GlowLab" in blocks
    assert "critical (score" in blocks
    assert "large (1,000 followers, 2,000,000 views" in blocks
    assert "severity rose from high to critical as the post grew" in blocks
    assert "<!subteam^" not in blocks  # the on-call group is pinged on the post, not on edits
    alert = await harness.alert(alert_id)
    assert (alert.severity, alert.status, alert.version) == (int(Severity.CRITICAL), "open", 2)


async def test_a_hundredfold_follower_increase_raises_a_small_post(harness: Harness) -> None:
    """What the Slack helper saw: harness.add_alert() starts at 1.2M followers, which is
    already the large tier and so already critical; there is nothing left to rise to. From the
    small tier, 100x the followers (1,000 -> 100,000) is the mid tier, and that does rise."""
    await see(harness, followers=1_000, views=1_000)
    grown = await see(harness, followers=100_000, views=1_000)
    assert grown.alerts_raised == 1
    [update] = harness.fake.of("chat.update")
    assert "severity rose from high to critical" in str(update.args["blocks"])


async def test_growth_inside_the_top_tier_does_not_edit(harness: Harness) -> None:
    await see(harness, followers=1_200_000, views=3_600_000)  # large: critical from the start
    grown = await see(harness, followers=120_000_000, views=360_000_000)
    assert (grown.updated, grown.alerts_raised) == (1, 0)
    assert len(harness.fake.of("chat.postMessage")) == 1
    assert harness.fake.of("chat.update") == []


async def test_a_rise_after_an_ack_keeps_who_acked(harness: Harness) -> None:
    [alert_id] = (await see(harness, followers=1_000, views=1_000)).alert_ids
    await harness.click(Action.ACK, alert_id)
    await see(harness, followers=1_000, views=2_000_000)
    assert len(harness.fake.of("chat.postMessage")) == 1
    last = str(harness.fake.of("chat.update")[-1].args["blocks"])
    assert "Critical risk" in last
    assert f"acknowledged by <@{RESPONDER}>" in last
    assert "severity rose from high to critical" in last
    assert ids.action_id(Action.ACK) not in last  # still acknowledged: no Acknowledge button
    assert (await harness.alert(alert_id)).status == "acknowledged"
