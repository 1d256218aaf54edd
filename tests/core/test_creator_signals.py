"""Credibility signals on hand-built histories, with `now` injected; thresholds at their edges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.alerts import MentionFacts, decide
from bot.config import ConfigError, parse_config
from bot.creators.policy import CreatorPolicy
from bot.creators.signals import (
    Engagement,
    FollowerPoint,
    History,
    MentionStats,
    Peer,
    PostStats,
    adjusted_score,
    creator_engagement,
    evaluate,
    follower_jump,
    low_engagement,
    reasons,
    repeat_critic,
    shared_alternative,
)
from bot.creators.watch import Watch, watching
from bot.models import Severity
from bot.mutes import Mute, MuteSpec
from tests.core.helpers import config

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
POLICY = CreatorPolicy()
DAY = timedelta(days=1)


def peers(n: int, rate: float = 0.04, followers: int = 200_000, basis: str = "view") -> list[Peer]:
    return [Peer(followers, Engagement(rate, basis, 3)) for _ in range(n)]


def stats(views: int | None, likes: int, followers: int | None = 200_000) -> PostStats:
    return PostStats(NOW - DAY, followers, views, likes, 0, 0)


# --- engagement far below the size band's median --------------------------------------------------


def test_low_engagement_fires_far_below_the_band_median() -> None:
    own = Engagement(0.002, "view", 4)
    signal = low_engagement(own, 200_000, peers(5), "tiktok", POLICY)
    assert signal.fired
    assert signal.weight == -10
    assert signal.text == (
        "engagement 0.2% vs 4.0% median for 100k–1M creators on tiktok: possible bought followers"
    )


def test_low_engagement_ratio_edge_is_strict() -> None:
    at_edge = Engagement(0.04 * 0.25, "view", 1)
    just_below = Engagement(0.04 * 0.25 - 1e-6, "view", 1)
    assert not low_engagement(at_edge, 200_000, peers(5), "tiktok", POLICY).fired
    assert low_engagement(just_below, 200_000, peers(5), "tiktok", POLICY).fired


def test_low_engagement_needs_enough_creators_in_the_band_and_says_so() -> None:
    own = Engagement(0.001, "view", 2)
    four = low_engagement(own, 200_000, peers(4), "tiktok", POLICY)
    assert not four.fired
    assert "not compared: only 4 other 100k–1M creators on tiktok" in four.text
    assert "(5 needed)" in four.text
    assert low_engagement(own, 200_000, peers(5), "tiktok", POLICY).fired


def test_only_the_same_band_and_basis_count_as_peers() -> None:
    own = Engagement(0.001, "view", 2)
    others = [
        *peers(3),
        *peers(5, followers=99_999),  # the band below
        *peers(5, basis="follower"),  # not comparable with per-view rates
    ]
    signal = low_engagement(own, 200_000, others, "tiktok", POLICY)
    assert not signal.fired
    assert "only 3 other" in signal.text


def test_size_band_edges_belong_to_the_band_they_start() -> None:
    assert POLICY.band_label(POLICY.band_of(9_999)) == "<10k"
    assert POLICY.band_label(POLICY.band_of(10_000)) == "10k–100k"
    assert POLICY.band_label(POLICY.band_of(100_000)) == "100k–1M"
    assert POLICY.band_label(POLICY.band_of(1_000_000)) == "≥1M"
    own = Engagement(0.001, "view", 1)
    assert low_engagement(own, 100_000, peers(5, followers=999_999), "x", POLICY).fired
    assert not low_engagement(own, 99_999, peers(5, followers=100_000), "x", POLICY).fired


def test_a_creator_with_no_views_data_is_judged_per_follower() -> None:
    posts = [stats(None, 20), stats(None, 40)]  # 0.01% and 0.02% of 200k followers
    own = creator_engagement(posts)
    assert own is not None
    assert (own.basis, own.posts) == ("follower", 2)
    assert own.rate == pytest.approx(0.00015)
    signal = low_engagement(own, 200_000, peers(5, rate=0.03, basis="follower"), "ig", POLICY)
    assert signal.fired
    assert "engagement 0.015% per follower vs 3.0% median for 100k–1M" in signal.text
    # per-view peers are no yardstick for a per-follower rate
    unjudged = low_engagement(own, 200_000, peers(5, rate=0.03), "ig", POLICY)
    assert not unjudged.fired
    assert "follower-based engagement" in unjudged.text


def test_views_win_over_followers_and_empty_posts_are_skipped() -> None:
    posts = [stats(1000, 50), stats(None, 1), PostStats(NOW, None, None, None, None, None)]
    assert creator_engagement(posts) == Engagement(0.05, "view", 1)
    assert creator_engagement([PostStats(NOW, None, None, None, None, None)]) is None


def test_no_engagement_data_or_no_followers_is_said_in_words() -> None:
    assert low_engagement(None, 5, peers(9), "x", POLICY).text == (
        "engagement unknown: no stored post reports interactions"
    )
    unknown = low_engagement(Engagement(0.01, "view", 1), None, peers(9), "x", POLICY)
    assert not unknown.fired
    assert "follower count unknown" in unknown.text


# --- sudden follower jumps ----------------------------------------------------------------------


def points(*pairs: tuple[timedelta, int]) -> list[FollowerPoint]:
    return [FollowerPoint(NOW - ago, n) for ago, n in pairs]


def test_follower_jump_fires_at_exactly_the_ratio_and_window() -> None:
    signal = follower_jump(points((7 * DAY, 10_000), (timedelta(0), 15_000)), NOW, POLICY)
    assert signal.fired
    assert signal.text == (
        "followers jumped from 10,000 to 15,000 (+50%) within 7 days: sudden follower jump"
    )


def test_follower_jump_just_under_the_ratio_or_just_outside_the_window_does_not_fire() -> None:
    assert not follower_jump(points((DAY, 10_000), (timedelta(0), 14_999)), NOW, POLICY).fired
    late = points((7 * DAY + timedelta(seconds=1), 10_000), (timedelta(0), 20_000))
    assert not follower_jump(late, NOW, POLICY).fired


def test_follower_jump_needs_an_absolute_gain_too() -> None:
    small = follower_jump(points((DAY, 1_000), (timedelta(0), 1_999)), NOW, POLICY)
    assert not small.fired  # +99.9% but only 999 people
    assert follower_jump(points((DAY, 1_000), (timedelta(0), 2_000)), NOW, POLICY).fired


def test_follower_jump_from_the_lowest_count_in_the_window() -> None:
    steady = points((3 * DAY, 10_000), (2 * DAY, 12_000), (DAY, 14_000), (timedelta(0), 15_500))
    signal = follower_jump(steady, NOW, POLICY)
    assert signal.fired  # no single step is +50%, the week is
    assert "from 10,000 to 15,500 (+55%) within 3 days" in signal.text


def test_old_jumps_and_short_histories_do_not_fire() -> None:
    old = points((100 * DAY, 1_000), (99 * DAY, 100_000), (timedelta(0), 100_500))
    assert not follower_jump(old, NOW, POLICY).fired
    one = follower_jump(points((timedelta(0), 5_000)), NOW, POLICY)
    assert not one.fired
    assert one.text == "follower history too short to judge (1 count seen)"


# --- repeat critic --------------------------------------------------------------------------------


def mention(
    post_id: int,
    brand: str = "GlowLab",
    *,
    ago: timedelta = DAY,
    stance: str = "negative",
    alternative: str | None = None,
    wrong: bool = False,
) -> MentionStats:
    return MentionStats(post_id, brand, stance, alternative, NOW - ago, wrong)


def test_repeat_critic_fires_at_the_threshold() -> None:
    two = [mention(1), mention(2)]
    signal = repeat_critic(two, "GlowLab", NOW, POLICY)
    assert not signal.fired
    assert (
        signal.text == "2 negative posts about GlowLab in the last 90 days (3 make a repeat critic)"
    )
    fired = repeat_critic([*two, mention(3)], "GlowLab", NOW, POLICY)
    assert fired.fired
    assert fired.text == "3 negative posts about GlowLab in the last 90 days: repeat critic"
    assert fired.weight == 10


def test_repeat_critic_counts_only_recent_negative_right_posts_about_the_brand() -> None:
    others = [
        mention(1),
        mention(1),  # the same post counts once
        mention(2, ago=90 * DAY),  # exactly at the window's start: counts
        mention(3, ago=90 * DAY + timedelta(seconds=1)),
        mention(4, stance="positive"),
        mention(5, wrong=True),
        mention(6, brand="Tundra"),
    ]
    signal = repeat_critic(others, "GlowLab", NOW, POLICY)
    assert not signal.fired
    assert signal.text.startswith("2 negative posts")


# --- many brands, one alternative -----------------------------------------------------------------


def test_shared_alternative_fires_at_the_threshold() -> None:
    two = [
        mention(1, "GlowLab", alternative="DewDrop"),
        mention(2, "Tundra", alternative="dewdrop"),
    ]
    signal = shared_alternative(two, NOW, POLICY)
    assert not signal.fired
    assert "recommended DewDrop instead of 2 brands (GlowLab, Tundra)" in signal.text
    three = [*two, mention(3, "AeroCurl", alternative="DewDrop")]
    fired = shared_alternative(three, NOW, POLICY)
    assert fired.fired
    assert fired.text == (
        "de-influenced 3 brands (AeroCurl, GlowLab, Tundra) while recommending DewDrop each time "
        "in the last 90 days: same alternative"
    )


def test_generic_and_missing_alternatives_are_no_pattern() -> None:
    generic = [mention(i, b, alternative="generic") for i, b in enumerate("ABC")]
    signal = shared_alternative([*generic, mention(9, "D")], NOW, POLICY)
    assert not signal.fired
    assert signal.text == "no named alternative recommended in the last 90 days"


# --- all together: the score ---------------------------------------------------------------------


def test_evaluate_and_the_score_adjustment_are_clamped() -> None:
    history = History(
        "tiktok",
        "jo",
        posts=(stats(100_000, 10),),
        mentions=(mention(1), mention(2), mention(3)),
        followers=tuple(points((DAY, 100_000), (timedelta(0), 200_000))),
        peers=tuple(peers(5)),
    )
    signals = evaluate(history, "GlowLab", NOW, POLICY)
    assert [s.fired for s in signals] == [True, True, True, False]
    assert adjusted_score(50, signals) == 50 - 10 - 5 + 10
    assert [r.text.split(":")[-1].strip() for r in reasons(signals)] == [
        "possible bought followers",
        "sudden follower jump",
        "repeat critic",
    ]
    assert adjusted_score(3, [s for s in signals if s.weight < 0]) == 0
    assert adjusted_score(95, [s for s in signals if s.weight > 0]) == 100


def test_weights_and_thresholds_come_from_config() -> None:
    cfg = config(
        creators={
            "repeat_critic_posts": 2,
            "window": "30d",
            "weights": {"repeat_critic": 25, "low_engagement": 0},
        }
    )
    policy = cfg.creators
    signal = repeat_critic([mention(1), mention(2)], "GlowLab", NOW, policy)
    assert signal.fired
    assert signal.weight == 25
    assert "in the last 30 days" in signal.text


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"size_bands": [100, 10]}, "creators.size_bands: must be ascending"),
        ({"weights": {"repeat_critic": 80}}, "creators.weights.repeat_critic"),
        ({"low_engagement_ratio": 1.5}, "creators.low_engagement_ratio"),
        ({"surprise": 1}, "creators.surprise: unknown setting"),
    ],
)
def test_bad_creator_settings_are_clear_config_errors(
    setting: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"brands": [{"name": "A", "aliases": ["A"]}], "creators": setting})
    assert any(p.startswith(message) for p in error.value.problems), error.value.problems


# --- the watchlist --------------------------------------------------------------------------------


def test_a_watch_is_a_pure_function_of_time() -> None:
    watch = Watch(1, "jo", None, NOW, NOW + DAY, "console:op", "suspicious")
    assert watch.state(NOW - timedelta(seconds=1)) == "pending"
    assert watch.state(NOW) == "active"
    assert watch.state(NOW + DAY) == "expired"
    lifted = Watch(1, "jo", None, NOW, NOW + DAY, "op", "", unwatched_at=NOW + timedelta(hours=1))
    assert lifted.state(NOW + timedelta(hours=2)) == "lifted"
    assert watch.reason_line() == "watched creator: suspicious (until 2026-11-03 12:00 UTC)"
    assert lifted.reason_line() == "watched creator (until 2026-11-03 12:00 UTC)"


def test_watching_covers_new_posts_by_the_handle_on_the_source() -> None:
    anywhere = Watch(1, "jo", None, NOW, NOW + DAY, "op", "")
    on_ig = Watch(2, "Jo", "instagram", NOW, NOW + DAY, "op", "")
    later = NOW + timedelta(hours=1)
    assert watching([anywhere], later, source="tiktok", handle="@JO", first_seen=later)
    assert watching([on_ig], later, source="instagram", handle="jo", first_seen=later)
    assert not watching([on_ig], later, source="tiktok", handle="jo", first_seen=later)
    # a post seen before the watch began is not a new post
    assert not watching([anywhere], later, source="tiktok", handle="jo", first_seen=NOW - DAY)
    assert not watching([anywhere], NOW + DAY, source="tiktok", handle="jo", first_seen=later)


def test_a_watched_post_alerts_on_every_covering_route_whatever_its_severity() -> None:
    cfg = config(
        [
            {"name": "high", "platform": "console", "channel": "#h", "min_severity": "high"},
            {"name": "crit", "platform": "console", "channel": "#c", "min_severity": "critical"},
            {"name": "other", "platform": "console", "channel": "#o", "brands": ["Tundra"]},
        ]
    )
    facts = MentionFacts("GlowLab", "tiktok", "jo", Severity.NONE, 0)
    assert decide(facts, None, cfg.routes, [], NOW).action == "none"
    watched = MentionFacts("GlowLab", "tiktok", "jo", Severity.NONE, 0, watched=True)
    decision = decide(watched, None, cfg.routes, [], NOW)
    assert decision.action == "create"
    assert [r.name for r in decision.routes] == ["high", "crit"]
    mute = Mute(7, MuteSpec(author="jo"), NOW - DAY, NOW + DAY, "op", "")
    muted = decide(watched, None, cfg.routes, [mute], NOW)
    assert (muted.status, muted.muted_by) == ("suppressed", 7)  # a mute still wins


def test_promotion_record_counts_flagged_posts_once_and_stays_in_the_window() -> None:
    from bot.creators.profile import promotion_record
    from bot.store.tables import MentionRow

    def mention(post_id: int, days_ago: int, *reasons: str, brand: str = "GlowLab") -> MentionRow:
        return MentionRow(
            post_id=post_id,
            brand=brand,
            post_created_at=NOW - timedelta(days=days_ago),
            reasons=[{"kind": "promotion", "text": r} for r in reasons],
        )

    policy = CreatorPolicy()
    since = NOW - policy.window
    undisclosed = 'possible undisclosed promotion of DewDrop: "code X1", and no #ad'
    disclosed = 'disclosed promotion of DewDrop: "#ad"'
    record = promotion_record(
        [
            mention(1, 2, undisclosed),
            mention(1, 2, undisclosed, brand="Tundra"),  # the same post about another brand
            mention(2, 10, disclosed),
            mention(3, 200, undisclosed),  # outside the 90-day window
            mention(4, 1, 'negative: "skip" (en)'),
        ],
        since,
        policy,
    )
    assert record.fired
    assert record.text == (
        "2 de-influencing posts promoting an alternative with commercial markers in the last "
        "90 days (1 without disclosure, 1 disclosed)"
    )
    clean = promotion_record([mention(4, 1, 'negative: "skip" (en)')], since, policy)
    assert not clean.fired
    assert clean.text == "no de-influencing post with commercial markers in the last 90 days"
