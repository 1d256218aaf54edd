"""Credibility signals as pure functions over a creator's stored history; `now` is passed in.

Each signal says in words what it saw, fired or not (and why it could not be judged),
so an alert or a profile never shows a bare number. Engagement is interactions
(likes + comments + shares) per view, or per follower where a post reports no views;
the two are never compared with each other.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from bot.creators.policy import CreatorPolicy
from bot.durations import format_duration
from bot.models import GENERIC_ALTERNATIVE, Reason, Stance

LOW_ENGAGEMENT = "low_engagement"
FOLLOWER_JUMP = "follower_jump"
REPEAT_CRITIC = "repeat_critic"
SHARED_ALTERNATIVE = "shared_alternative"
PER_VIEW = "view"
PER_FOLLOWER = "follower"


@dataclass(frozen=True, slots=True)
class PostStats:
    """One stored post's numbers; None where the platform reports nothing."""

    created_at: datetime
    followers: int | None
    views: int | None
    likes: int | None
    comments: int | None
    shares: int | None


@dataclass(frozen=True, slots=True)
class MentionStats:
    post_id: int
    brand: str
    stance: str
    alternative: str | None
    created_at: datetime
    wrong: bool = False


@dataclass(frozen=True, slots=True)
class FollowerPoint:
    at: datetime
    followers: int


@dataclass(frozen=True, slots=True)
class Engagement:
    """A creator's median interactions per view (or per follower) over `posts` posts."""

    rate: float
    basis: str
    posts: int


@dataclass(frozen=True, slots=True)
class Peer:
    followers: int
    engagement: Engagement


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    fired: bool
    text: str
    weight: int = 0


def span(value: timedelta) -> str:
    """`90 days`, `1 day`, else the duration grammar's own spelling (`36h`)."""
    days, rest = divmod(int(value.total_seconds()), 86400)
    if days and not rest:
        return f"{days} day" if days == 1 else f"{days} days"
    return format_duration(value)


def percent(rate: float) -> str:
    value = rate * 100
    return f"{value:.2g}%" if value < 1 else f"{value:.1f}%"


def post_engagement(post: PostStats) -> tuple[float, str] | None:
    """(rate, basis) for one post, or None when it has no interactions or nothing to divide by."""
    counts = [c for c in (post.likes, post.comments, post.shares) if c is not None]
    if not counts:
        return None
    if post.views:
        return sum(counts) / post.views, PER_VIEW
    if post.followers:
        return sum(counts) / post.followers, PER_FOLLOWER
    return None


def creator_engagement(posts: Iterable[PostStats]) -> Engagement | None:
    """Per view when any post reports views, else per follower; the median of the posts."""
    rates: dict[str, list[float]] = {PER_VIEW: [], PER_FOLLOWER: []}
    for post in posts:
        found = post_engagement(post)
        if found is not None:
            rates[found[1]].append(found[0])
    for basis in (PER_VIEW, PER_FOLLOWER):
        if rates[basis]:
            return Engagement(median(rates[basis]), basis, len(rates[basis]))
    return None


def latest_followers(points: Sequence[FollowerPoint], posts: Sequence[PostStats]) -> int | None:
    if points:
        return max(points, key=lambda p: p.at).followers
    known = [p for p in posts if p.followers is not None]
    return max(known, key=lambda p: p.created_at).followers if known else None


def _basis_words(basis: str) -> str:
    return "per view" if basis == PER_VIEW else "per follower (no views reported)"


class BandPeers:
    """Peers' engagement rates by (size band, basis), sorted once: each creator's median is
    then a bisection, not a scan of every peer (ingest asks for it per negative creator)."""

    def __init__(self, peers: Iterable[Peer], policy: CreatorPolicy) -> None:
        self.policy = policy
        rates: dict[tuple[int, str], list[float]] = {}
        for peer in peers:
            key = (policy.band_of(peer.followers), peer.engagement.basis)
            rates.setdefault(key, []).append(peer.engagement.rate)
        self.rates = {key: sorted(values) for key, values in rates.items()}

    def others(self, band: int, basis: str, exclude: Peer | None) -> list[float]:
        """The band's rates without the creator's own (when it is among the peers)."""
        rates = self.rates.get((band, basis), [])
        if exclude is None or exclude.engagement.basis != basis:
            return rates
        if self.policy.band_of(exclude.followers) != band:
            return rates
        at = bisect_left(rates, exclude.engagement.rate)
        if at < len(rates) and rates[at] == exclude.engagement.rate:
            return rates[:at] + rates[at + 1 :]
        return rates


def low_engagement(
    own: Engagement | None,
    followers: int | None,
    peers: Sequence[Peer] | BandPeers,
    source: str,
    policy: CreatorPolicy,
    exclude: Peer | None = None,
) -> Signal:
    """Engagement far below the median of other creators of the same size band and source.

    `exclude` is the creator's own entry when `peers` holds every creator of the source."""
    weight = policy.weights.low_engagement
    if own is None:
        return Signal(
            LOW_ENGAGEMENT, False, "engagement unknown: no stored post reports interactions", weight
        )
    mine = f"engagement {percent(own.rate)} {_basis_words(own.basis)}"
    if followers is None:
        return Signal(
            LOW_ENGAGEMENT, False, f"{mine}; not compared: follower count unknown", weight
        )
    band = policy.band_of(followers)
    label = policy.band_label(band)
    index = peers if isinstance(peers, BandPeers) else BandPeers(peers, policy)
    same = index.others(band, own.basis, exclude)
    if len(same) < policy.min_band_creators:
        return Signal(
            LOW_ENGAGEMENT,
            False,
            f"{mine}; not compared: only {len(same)} other {label} creators on {source} "
            f"with {own.basis}-based engagement stored ({policy.min_band_creators} needed)",
            weight,
        )
    middle = median(same)
    per = " per follower" if own.basis == PER_FOLLOWER else ""
    versus = f"vs {percent(middle)} median for {label} creators on {source}"
    if own.rate < middle * policy.low_engagement_ratio:
        return Signal(
            LOW_ENGAGEMENT,
            True,
            f"engagement {percent(own.rate)}{per} {versus}: possible bought followers",
            weight,
        )
    return Signal(LOW_ENGAGEMENT, False, f"{mine} {versus}", weight)


def follower_jump(points: Sequence[FollowerPoint], now: datetime, policy: CreatorPolicy) -> Signal:
    """The largest recent rise from the lowest count within `follower_jump_within` before it."""
    weight = policy.weights.follower_jump
    ordered = sorted(points, key=lambda p: p.at)
    if len(ordered) < 2:
        return Signal(
            FOLLOWER_JUMP,
            False,
            f"follower history too short to judge ({len(ordered)} count seen)",
            weight,
        )
    since = now - policy.window
    best: tuple[float, FollowerPoint, FollowerPoint] | None = None
    for index, end in enumerate(ordered):
        if end.at < since:
            continue
        before = [
            p
            for p in ordered[:index]
            if end.at - p.at <= policy.follower_jump_within and p.followers > 0
        ]
        if not before:
            continue
        start = min(before, key=lambda p: p.followers)
        ratio = (end.followers - start.followers) / start.followers
        if best is None or ratio > best[0]:
            best = (ratio, start, end)
    if best is not None:
        ratio, start, end = best
        gain = end.followers - start.followers
        if ratio >= policy.follower_jump_ratio and gain >= policy.follower_jump_min:
            return Signal(
                FOLLOWER_JUMP,
                True,
                f"followers jumped from {start.followers:,} to {end.followers:,} "
                f"(+{ratio:.0%}) within {span(end.at - start.at)}: "
                "sudden follower jump",
                weight,
            )
    return Signal(
        FOLLOWER_JUMP,
        False,
        f"no sudden follower jump ({len(ordered)} counts seen, "
        f"+{policy.follower_jump_ratio:.0%} within "
        f"{span(policy.follower_jump_within)} would be one)",
        weight,
    )


def _negatives(
    mentions: Iterable[MentionStats], now: datetime, policy: CreatorPolicy
) -> list[MentionStats]:
    since = now - policy.window
    return [
        m
        for m in mentions
        if m.stance == Stance.NEGATIVE.value and not m.wrong and m.created_at >= since
    ]


def repeat_critic(
    mentions: Iterable[MentionStats], brand: str, now: datetime, policy: CreatorPolicy
) -> Signal:
    """Several negative posts about the same brand within the window."""
    posts = {m.post_id for m in _negatives(mentions, now, policy) if m.brand == brand}
    window = span(policy.window)
    count = len(posts)
    noun = "post" if count == 1 else "posts"
    if count >= policy.repeat_critic_posts:
        return Signal(
            REPEAT_CRITIC,
            True,
            f"{count} negative {noun} about {brand} in the last {window}: repeat critic",
            policy.weights.repeat_critic,
        )
    return Signal(
        REPEAT_CRITIC,
        False,
        f"{count} negative {noun} about {brand} in the last {window} "
        f"({policy.repeat_critic_posts} make a repeat critic)",
        policy.weights.repeat_critic,
    )


def shared_alternative(
    mentions: Iterable[MentionStats], now: datetime, policy: CreatorPolicy
) -> Signal:
    """Many brands de-influenced while recommending one and the same alternative."""
    weight = policy.weights.shared_alternative
    brands: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for m in _negatives(mentions, now, policy):
        alternative = (m.alternative or "").strip()
        if not alternative or alternative == GENERIC_ALTERNATIVE:
            continue
        key = alternative.casefold()
        names.setdefault(key, alternative)
        brands.setdefault(key, set()).add(m.brand)
    window = span(policy.window)
    if not brands:
        return Signal(
            SHARED_ALTERNATIVE,
            False,
            f"no named alternative recommended in the last {window}",
            weight,
        )
    key = max(sorted(brands), key=lambda k: len(brands[k]))
    count = len(brands[key])
    listed = ", ".join(sorted(brands[key]))
    if count >= policy.shared_alternative_brands:
        return Signal(
            SHARED_ALTERNATIVE,
            True,
            f"de-influenced {count} brands ({listed}) while recommending {names[key]} each time "
            f"in the last {window}: same alternative",
            weight,
        )
    noun = "brand" if count == 1 else "brands"
    return Signal(
        SHARED_ALTERNATIVE,
        False,
        f"recommended {names[key]} instead of {count} {noun} ({listed}) in the last {window} "
        f"({policy.shared_alternative_brands} would be a pattern)",
        weight,
    )


@dataclass(frozen=True, slots=True)
class History:
    """Everything stored about one creator on one source, for the signals."""

    source: str
    handle: str
    posts: tuple[PostStats, ...] = ()
    mentions: tuple[MentionStats, ...] = ()
    followers: tuple[FollowerPoint, ...] = ()
    peers: tuple[Peer, ...] | BandPeers = ()
    own_peer: Peer | None = None  # set when `peers` also holds this creator


def evaluate(
    history: History, brand: str, now: datetime, policy: CreatorPolicy
) -> tuple[Signal, ...]:
    """All four signals for a mention of `brand` by this creator."""
    since = now - policy.window
    recent = [p for p in history.posts if p.created_at >= since]
    return (
        low_engagement(
            creator_engagement(recent),
            latest_followers(history.followers, history.posts),
            history.peers,
            history.source,
            policy,
            history.own_peer,
        ),
        follower_jump(history.followers, now, policy),
        repeat_critic(history.mentions, brand, now, policy),
        shared_alternative(history.mentions, now, policy),
    )


def adjusted_score(score: int, signals: Iterable[Signal]) -> int:
    """The score plus the weights of the signals that fired, kept within 0-100."""
    return max(0, min(100, score + sum(s.weight for s in signals if s.fired)))


def reasons(signals: Iterable[Signal]) -> list[Reason]:
    return [Reason("creator", s.text) for s in signals if s.fired]
