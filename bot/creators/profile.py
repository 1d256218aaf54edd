"""Creator profiles and the creators ranking, built from stored rows by pure functions."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.cards import post_line
from bot.creators.policy import CreatorPolicy
from bot.creators.signals import (
    FollowerPoint,
    MentionStats,
    Peer,
    PostStats,
    Signal,
    creator_engagement,
    follower_jump,
    latest_followers,
    low_engagement,
    repeat_critic,
    shared_alternative,
    span,
)
from bot.creators.watch import Watch
from bot.models import Severity, Stance
from bot.mutes import normalise_handle
from bot.scoring.promotion import DISCLOSED, UNDISCLOSED, kind_of_reason
from bot.store.tables import MentionRow, PostRow
from bot.views import (
    BrandMentions,
    Counted,
    CreatorLine,
    CreatorView,
    FollowerCount,
    SignalLine,
)

RECENT_MENTIONS = 5
FOLLOWER_POINTS = 8
PROMOTION = "promotion"
_FLAGS = {UNDISCLOSED: "without disclosure", DISCLOSED: "disclosed"}


@dataclass(frozen=True)
class ProfileInput:
    source: str
    handle: str
    rows: Sequence[tuple[PostRow, MentionRow | None]]  # newest first
    followers: Sequence[FollowerPoint]
    peers: dict[str, Peer]  # by folded handle; the creator itself is left out here
    watch: str | None = None
    also_on: tuple[str, ...] = ()


def _series(points: Sequence[FollowerPoint]) -> tuple[FollowerCount, ...]:
    """The first count and the latest few, so a long history stays short."""
    chosen = (
        list(points)
        if len(points) <= FOLLOWER_POINTS
        else [
            points[0],
            *points[-(FOLLOWER_POINTS - 1) :],
        ]
    )
    return tuple(FollowerCount(p.at, p.followers) for p in chosen)


def _line(signal: Signal) -> SignalLine:
    return SignalLine(signal.name, signal.fired, signal.text, signal.weight)


def _brand_mentions(mentions: Sequence[MentionRow]) -> tuple[BrandMentions, ...]:
    by_brand: dict[str, list[MentionRow]] = defaultdict(list)
    for mention in mentions:
        by_brand[mention.brand].append(mention)
    out = []
    for brand in sorted(by_brand):
        rows = by_brand[brand]
        stances = Counter(m.stance for m in rows)
        severities = Counter(
            Severity(m.severity) for m in rows if m.stance == Stance.NEGATIVE.value
        )
        out.append(
            BrandMentions(
                brand,
                len(rows),
                tuple(Counted(s.value, stances[s.value]) for s in Stance if stances[s.value]),
                tuple(Counted(s.label, severities[s]) for s in sorted(severities, reverse=True)),
            )
        )
    return tuple(out)


def promotion_record(
    mentions: Sequence[MentionRow], since: datetime, policy: CreatorPolicy
) -> Signal:
    """Do they follow the advertising disclosure rules? Counted from the scorer's flags."""
    counts: Counter[str] = Counter()
    posts: set[int] = set()
    for mention in mentions:
        if mention.post_created_at < since:
            continue
        for reason in mention.reasons:
            text = str(reason.get("text", ""))
            kind = kind_of_reason(text)
            if kind is not None and mention.post_id not in posts:
                posts.add(mention.post_id)
                counts[_FLAGS[kind]] += 1
    window = span(policy.window)
    if not counts:
        return Signal(
            PROMOTION, False, f"no de-influencing post with commercial markers in the last {window}"
        )
    parts = ", ".join(f"{counts[label]} {label}" for label in _FLAGS.values() if counts[label])
    noun = "post" if len(posts) == 1 else "posts"
    return Signal(
        PROMOTION,
        True,
        f"{len(posts)} de-influencing {noun} promoting an alternative with commercial markers "
        f"in the last {window} ({parts})",
    )


def build_profile(data: ProfileInput, now: datetime, policy: CreatorPolicy) -> CreatorView:
    posts: dict[int, PostRow] = {}
    mentions: list[MentionRow] = []
    for post, mention in data.rows:
        posts.setdefault(post.id, post)
        if mention is not None and not mention.wrong:
            mentions.append(mention)
    since = now - policy.window
    stats = [
        PostStats(p.created_at, p.author_followers, p.views, p.likes, p.comments, p.shares)
        for p in posts.values()
        if not p.deleted
    ]
    history = [
        MentionStats(m.post_id, m.brand, m.stance, m.alternative, m.post_created_at, m.wrong)
        for m in mentions
    ]
    followers = latest_followers(data.followers, stats)
    signals = [
        low_engagement(
            creator_engagement(s for s in stats if s.created_at >= since),
            followers,
            tuple(data.peers.values()),
            data.source,
            policy,
        ),
        follower_jump(data.followers, now, policy),
    ]
    criticised = sorted({m.brand for m in history if m.stance == Stance.NEGATIVE.value})
    signals += [repeat_critic(history, brand, now, policy) for brand in criticised]
    signals.append(shared_alternative(history, now, policy))
    signals.append(promotion_record(mentions, since, policy))
    newest = next(iter(posts.values()), None)
    recent = [post_line(posts[m.post_id], m) for m in mentions[:RECENT_MENTIONS]]
    return CreatorView(
        source=data.source,
        handle=normalise_handle(data.handle),
        followers=followers,
        verified=newest.author_verified if newest else None,
        followers_over_time=_series(data.followers),
        posts_seen=len(posts),
        first_seen=min((p.first_seen_at for p in posts.values()), default=None),
        last_seen=max((p.last_seen_at for p in posts.values()), default=None),
        mentions=_brand_mentions(mentions),
        signals=tuple(_line(s) for s in signals),
        recent=tuple(recent),
        watch=data.watch,
        also_on=data.also_on,
    )


def reach_of(post: PostRow) -> int:
    """Views, or followers where the post reports no views."""
    return post.views if post.views is not None else post.author_followers or 0


def rank_creators(
    rows: Sequence[tuple[PostRow, MentionRow]], watches: Sequence[Watch], limit: int = 10
) -> tuple[CreatorLine, ...]:
    """Creators by the reach of their negative posts (each post counted once), then by count."""
    posts: dict[tuple[str, str], dict[int, PostRow]] = defaultdict(dict)
    brands: dict[tuple[str, str], set[str]] = defaultdict(set)
    worst: dict[tuple[str, str], Severity] = {}
    for post, mention in rows:
        key = (post.source, normalise_handle(post.author_handle))
        posts[key][post.id] = post
        brands[key].add(mention.brand)
        worst[key] = max(worst.get(key, Severity.NONE), Severity(mention.severity))
    lines = []
    for key, by_id in posts.items():
        newest = max(by_id.values(), key=lambda p: p.created_at)
        lines.append(
            CreatorLine(
                source=key[0],
                handle=key[1],
                followers=newest.author_followers,
                negative_posts=len(by_id),
                reach=sum(reach_of(p) for p in by_id.values()),
                brands=tuple(sorted(brands[key])),
                worst=worst[key],
                watched=any(w.covers(key[0], key[1]) for w in watches),
            )
        )
    lines.sort(key=lambda c: (-c.reach, -c.negative_posts, c.source, c.handle))
    return tuple(lines[:limit])
