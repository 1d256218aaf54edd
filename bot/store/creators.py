"""Creator queries: follower snapshots, histories for the signals, peers, the watchlist.

A creator is (source, handle); handles are compared case-insensitively (folded, no @).
Ingest looks posts up by the handle exactly as the source spells it (the index serves
that); commands resolve a typed handle to its stored spellings first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, insert, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.creators.signals import (
    FollowerPoint,
    History,
    MentionStats,
    Peer,
    PostStats,
    creator_engagement,
)
from bot.creators.watch import Watch
from bot.models import Post
from bot.mutes import normalise_handle
from bot.store.tables import FollowerSnapshotRow, MentionRow, PostRow, WatchRow

Key = tuple[str, str]  # source, folded handle
SNAPSHOT_SPACING = timedelta(hours=6)  # a changed count is noted at most every 6h per creator
CHUNK = 300


def key_of(source: str, handle: str) -> Key:
    return source, normalise_handle(handle)


async def _latest_snapshots(
    session: AsyncSession, keys: Sequence[Key]
) -> dict[Key, FollowerSnapshotRow]:
    found: dict[Key, FollowerSnapshotRow] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        latest = (
            select(
                FollowerSnapshotRow.source,
                FollowerSnapshotRow.handle,
                func.max(FollowerSnapshotRow.at).label("at"),
            )
            .where(tuple_(FollowerSnapshotRow.source, FollowerSnapshotRow.handle).in_(chunk))
            .group_by(FollowerSnapshotRow.source, FollowerSnapshotRow.handle)
            .subquery()
        )
        rows = await session.scalars(
            select(FollowerSnapshotRow).join(
                latest,
                (FollowerSnapshotRow.source == latest.c.source)
                & (FollowerSnapshotRow.handle == latest.c.handle)
                & (FollowerSnapshotRow.at == latest.c.at),
            )
        )
        found.update({(r.source, r.handle): r for r in rows})
    return found


async def record_followers(session: AsyncSession, posts: Sequence[Post], now: datetime) -> int:
    """Note each creator's follower count when it changed (at most every 6h); return rows added."""
    seen: dict[Key, int] = {}
    for post in posts:
        if post.author.followers is not None and post.author.followers >= 0:
            seen[key_of(post.source, post.author.handle)] = post.author.followers
    if not seen:
        return 0
    latest = await _latest_snapshots(session, sorted(seen))
    rows = []
    for (source, handle), followers in seen.items():
        last = latest.get((source, handle))
        if last is not None and (last.followers == followers or now - last.at < SNAPSHOT_SPACING):
            continue
        rows.append({"source": source, "handle": handle, "at": now, "followers": followers})
    if rows:
        await session.execute(insert(FollowerSnapshotRow), rows)
    return len(rows)


def _post_stats(row: PostRow) -> PostStats:
    return PostStats(
        row.created_at, row.author_followers, row.views, row.likes, row.comments, row.shares
    )


async def histories(
    session: AsyncSession, creators: Collection[tuple[str, str]], since: datetime, jump: timedelta
) -> dict[Key, History]:
    """Posts, mentions and follower counts since `since` for (source, stored handle) pairs."""
    pairs = sorted(set(creators))
    posts: dict[Key, list[PostStats]] = defaultdict(list)
    mentions: dict[Key, list[MentionStats]] = defaultdict(list)
    points: dict[Key, list[FollowerPoint]] = defaultdict(list)
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        by_creator = tuple_(PostRow.source, PostRow.author_handle).in_(chunk)
        for row in await session.scalars(
            select(PostRow).where(by_creator, PostRow.created_at >= since, ~PostRow.deleted)
        ):
            posts[key_of(row.source, row.author_handle)].append(_post_stats(row))
        found = await session.execute(
            select(PostRow.source, PostRow.author_handle, MentionRow)
            .join(PostRow, PostRow.id == MentionRow.post_id)
            .where(by_creator, MentionRow.post_created_at >= since)
        )
        for source, handle, mention in found:
            mentions[key_of(source, handle)].append(mention_stats(mention))
        folded = sorted({key_of(s, h) for s, h in chunk})
        for snap in await session.scalars(
            select(FollowerSnapshotRow)
            .where(
                tuple_(FollowerSnapshotRow.source, FollowerSnapshotRow.handle).in_(folded),
                FollowerSnapshotRow.at >= since - jump,
            )
            .order_by(FollowerSnapshotRow.at)
        ):
            points[(snap.source, snap.handle)].append(FollowerPoint(snap.at, snap.followers))
    return {
        key_of(s, h): History(
            source=s,
            handle=normalise_handle(h),
            posts=tuple(posts[key_of(s, h)]),
            mentions=tuple(mentions[key_of(s, h)]),
            followers=tuple(points[key_of(s, h)]),
        )
        for s, h in pairs
    }


def mention_stats(row: MentionRow) -> MentionStats:
    return MentionStats(
        row.post_id, row.brand, row.stance, row.alternative, row.post_created_at, row.wrong
    )


Row = tuple[str, PostStats]  # folded handle, the post's numbers


async def _peer_rows(
    session: AsyncSession, source: str, since: datetime, seen_since: datetime | None = None
) -> dict[int, Row]:
    """Posts on `source` created since `since` (only those first seen or re-seen since
    `seen_since`, when given), by post id."""
    query = select(
        PostRow.id,
        PostRow.author_handle,
        PostRow.created_at,
        PostRow.author_followers,
        PostRow.views,
        PostRow.likes,
        PostRow.comments,
        PostRow.shares,
        PostRow.deleted,
    ).where(PostRow.source == source, PostRow.created_at >= since)
    if seen_since is not None:
        query = query.where(PostRow.last_seen_at >= seen_since)
    rows = await session.execute(query)
    return {
        int(post_id): (
            normalise_handle(handle),
            PostStats(created, followers, views, likes, comments, shares),
        )
        for post_id, handle, created, followers, views, likes, comments, shares, deleted in rows
        if not deleted
    }


def _peer_of(stats: Sequence[PostStats]) -> Peer | None:
    engagement = creator_engagement(stats)
    known = [p for p in stats if p.followers is not None]
    if engagement is None or not known:
        return None
    followers = max(known, key=lambda p: p.created_at).followers
    assert followers is not None
    return Peer(followers, engagement)


def _peers_from(rows: dict[int, Row]) -> dict[str, Peer]:
    grouped: dict[str, list[PostStats]] = defaultdict(list)
    for handle, stats in rows.values():
        grouped[handle].append(stats)
    return {h: p for h, stats in grouped.items() if (p := _peer_of(stats)) is not None}


async def peers(session: AsyncSession, source: str, since: datetime) -> dict[str, Peer]:
    """Every creator on `source` with a known engagement since `since`, by folded handle."""
    return _peers_from(await _peer_rows(session, source, since))


class PeerCache:
    """Peers per source, refreshed at most every `refresh`. After the first load a refresh
    reads only the posts seen since the last one and recomputes only the creators they
    touch (and those whose posts aged out), so its cost follows new traffic, not history."""

    def __init__(self, refresh: timedelta) -> None:
        self.refresh = refresh
        self._state: dict[str, _SourcePeers] = {}

    async def get(
        self, session: AsyncSession, source: str, since: datetime, now: datetime
    ) -> dict[str, Peer]:
        state = self._state.get(source)
        if state is not None and timedelta(0) <= now - state.loaded_at < self.refresh:
            return state.peers
        if state is None or now < state.loaded_at:
            rows = await _peer_rows(session, source, since)
            state = _SourcePeers(now, rows, _peers_from(rows))
            self._state[source] = state
            return state.peers
        fresh = await _peer_rows(session, source, since, seen_since=state.loaded_at)
        deleted = await session.scalars(
            select(PostRow.id).where(
                PostRow.source == source, PostRow.deleted, PostRow.last_seen_at >= state.loaded_at
            )
        )
        touched = {handle for handle, _ in fresh.values()}
        for post_id in deleted:
            gone = state.rows.pop(int(post_id), None)
            if gone is not None:
                touched.add(gone[0])
        for post_id, (handle, stats) in list(state.rows.items()):
            if stats.created_at < since:  # aged out of the window
                del state.rows[post_id]
                touched.add(handle)
        state.rows.update(fresh)
        by_handle: dict[str, list[PostStats]] = defaultdict(list)
        for handle, stats in state.rows.values():
            if handle in touched:
                by_handle[handle].append(stats)
        peers = dict(state.peers)  # a new dict: the band index is rebuilt for it
        for handle in touched:
            peer = _peer_of(by_handle.get(handle, []))
            if peer is None:
                peers.pop(handle, None)
            else:
                peers[handle] = peer
        self._state[source] = _SourcePeers(now, state.rows, peers)
        return peers


class _SourcePeers:
    def __init__(self, loaded_at: datetime, rows: dict[int, Row], peers: dict[str, Peer]) -> None:
        self.loaded_at = loaded_at
        self.rows = rows
        self.peers = peers


# --- the watchlist --------------------------------------------------------------------------------


def watch_from_row(row: WatchRow) -> Watch:
    return Watch(
        row.id,
        row.handle,
        row.source,
        row.starts_at,
        row.ends_at,
        row.created_by,
        row.reason,
        row.unwatched_at,
    )


async def live_watches(session: AsyncSession, now: datetime) -> list[Watch]:
    rows = await session.scalars(
        select(WatchRow)
        .where(WatchRow.ends_at > now, WatchRow.starts_at <= now, WatchRow.unwatched_at.is_(None))
        .order_by(WatchRow.id)
    )
    return [watch_from_row(r) for r in rows]


async def watches_of(session: AsyncSession, handle: str, limit: int = 10) -> list[Watch]:
    """The most recent watches on a handle (any source), newest first."""
    rows = await session.scalars(
        select(WatchRow)
        .where(WatchRow.handle == normalise_handle(handle))
        .order_by(WatchRow.id.desc())
        .limit(limit)
    )
    return [watch_from_row(r) for r in rows]


def add_watch(
    session: AsyncSession,
    *,
    handle: str,
    source: str | None,
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    reason: str,
    now: datetime,
) -> WatchRow:
    row = WatchRow(
        handle=normalise_handle(handle),
        source=source,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        reason=reason,
        created_at=now,
    )
    session.add(row)
    return row


# --- lookups for commands -------------------------------------------------------------------------


async def spellings(
    session: AsyncSession, handle: str, source: str | None
) -> list[tuple[str, set[str]]]:
    """How a typed handle is stored, per source, most recently seen source first.

    Both the folded and the typed spelling are tried: SQLite's lower() folds ASCII only.
    """
    typed = handle.strip().lstrip("@")
    query = select(
        PostRow.source, PostRow.author_handle, func.max(PostRow.last_seen_at).label("seen")
    ).where(or_(func.lower(PostRow.author_handle) == typed.lower(), PostRow.author_handle == typed))
    if source is not None:
        query = query.where(PostRow.source == source)
    query = query.group_by(PostRow.source, PostRow.author_handle)
    found: dict[str, set[str]] = defaultdict(set)
    seen: dict[str, datetime] = {}
    for src, stored, last in (await session.execute(query)).all():
        found[src].add(stored)
        seen[src] = max(seen.get(src, last), last)
    return sorted(found.items(), key=lambda item: seen[item[0]], reverse=True)


async def follower_series(session: AsyncSession, source: str, handle: str) -> list[FollowerPoint]:
    rows = await session.scalars(
        select(FollowerSnapshotRow)
        .where(
            FollowerSnapshotRow.source == source,
            FollowerSnapshotRow.handle == normalise_handle(handle),
        )
        .order_by(FollowerSnapshotRow.at)
    )
    return [FollowerPoint(r.at, r.followers) for r in rows]


async def creator_rows(
    session: AsyncSession, source: str, stored: Collection[str]
) -> list[tuple[PostRow, MentionRow | None]]:
    """Every stored post by the creator with each of its mentions, newest first."""
    rows = await session.execute(
        select(PostRow, MentionRow)
        .outerjoin(MentionRow, MentionRow.post_id == PostRow.id)
        .where(PostRow.source == source, PostRow.author_handle.in_(sorted(stored)))
        .order_by(PostRow.created_at.desc(), PostRow.id.desc())
    )
    return [(post, mention) for post, mention in rows]


async def negative_mentions(
    session: AsyncSession, brand: str | None, since: datetime
) -> list[tuple[PostRow, MentionRow]]:
    query = (
        select(PostRow, MentionRow)
        .join(PostRow, PostRow.id == MentionRow.post_id)
        .where(
            MentionRow.stance == "negative",
            ~MentionRow.wrong,
            ~PostRow.deleted,
            MentionRow.post_created_at >= since,
        )
    )
    if brand is not None:
        query = query.where(MentionRow.brand == brand)
    return [(post, mention) for post, mention in await session.execute(query)]
