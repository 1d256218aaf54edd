"""Posts and mentions: (source, native id) is identity; seeing a post again updates it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Author, Metrics, Post, Score
from bot.store.creators import record_followers
from bot.store.tables import MentionRow, PostRow


@dataclass(slots=True)
class StoredPost:
    row: PostRow
    is_new: bool
    changed: bool


def _apply(row: PostRow, post: Post, now: datetime) -> bool:
    """Copy what may change on a re-fetch; return whether anything did."""
    before = (
        row.views,
        row.likes,
        row.comments,
        row.shares,
        row.author_followers,
        row.text,
        row.edited,
        row.deleted,
    )
    for name in ("views", "likes", "comments", "shares"):
        value = getattr(post.metrics, name)
        if value is not None:
            setattr(row, name, value)
    if post.author.followers is not None:
        row.author_followers = post.author.followers
    if post.author.verified is not None:
        row.author_verified = post.author.verified
    if post.edited and post.text:
        row.text = post.text
        row.edited = True
    if post.deleted:
        row.deleted = True
    row.last_seen_at = now
    after = (
        row.views,
        row.likes,
        row.comments,
        row.shares,
        row.author_followers,
        row.text,
        row.edited,
        row.deleted,
    )
    return before != after


def _new_values(post: Post, now: datetime) -> dict[str, Any]:
    return {
        "source": post.source,
        "native_id": post.native_id,
        "url": post.url,
        "text": post.text,
        "lang": post.lang,
        "created_at": post.created_at,
        "author_handle": post.author.handle,
        "author_followers": post.author.followers,
        "author_verified": post.author.verified,
        "views": post.metrics.views,
        "likes": post.metrics.likes,
        "comments": post.metrics.comments,
        "shares": post.metrics.shares,
        "hashtags": list(post.hashtags),
        "edited": post.edited,
        "deleted": post.deleted,
        "first_seen_at": now,
        "last_seen_at": now,
    }


async def _posts_by_key(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], PostRow]:
    found: dict[tuple[str, str], PostRow] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        rows = await session.scalars(
            select(PostRow).where(tuple_(PostRow.source, PostRow.native_id).in_(chunk))
        )
        found.update({(r.source, r.native_id): r for r in rows})
    return found


async def upsert_posts(
    session: AsyncSession, posts: Sequence[Post], now: datetime
) -> list[StoredPost]:
    """Insert new posts and refresh known ones, in input order, one query to look up.

    Each creator's follower count is noted too when it changed (see store.creators)."""
    unique: dict[tuple[str, str], Post] = {}
    for post in posts:
        unique[post.key] = post  # the later copy in a page wins
    if not unique:
        return []
    existing = await _posts_by_key(session, list(unique))
    fresh = [key for key in unique if key not in existing]
    if fresh:
        # One executemany: ORM inserts that need ids back go row by row on SQLite.
        await session.execute(insert(PostRow), [_new_values(unique[key], now) for key in fresh])
        inserted = await _posts_by_key(session, fresh)
    else:
        inserted = {}
    out: list[StoredPost] = []
    for key, post in unique.items():
        if key in inserted:
            out.append(StoredPost(inserted[key], is_new=True, changed=True))
        else:
            row = existing[key]
            out.append(StoredPost(row, is_new=False, changed=_apply(row, post, now)))
    await record_followers(session, list(unique.values()), now)
    return out


def post_from_row(row: PostRow) -> Post:
    return Post(
        source=row.source,
        native_id=row.native_id,
        text=row.text,
        created_at=row.created_at,
        author=Author(row.author_handle, row.author_followers, row.author_verified),
        metrics=Metrics(row.views, row.likes, row.comments, row.shares),
        url=row.url,
        lang=row.lang,
        hashtags=tuple(row.hashtags or ()),
        edited=row.edited,
        deleted=row.deleted,
    )


async def mentions_for(
    session: AsyncSession, post_ids: Sequence[int]
) -> dict[tuple[int, str], MentionRow]:
    found: dict[tuple[int, str], MentionRow] = {}
    for start in range(0, len(post_ids), 500):
        rows = await session.scalars(
            select(MentionRow).where(MentionRow.post_id.in_(post_ids[start : start + 500]))
        )
        found.update({(r.post_id, r.brand): r for r in rows})
    return found


def mention_values(score: Score, alias: str, now: datetime) -> dict[str, Any]:
    """The columns a (re)score sets."""
    return {
        "alias": alias,
        "stance": score.stance.value,
        "claims": [{"claim": hit.claim.value, "phrase": hit.phrase} for hit in score.claims],
        "alternative": score.alternative,
        "reach": score.reach.value,
        "risk": score.risk,
        "score": score.score,
        "severity": int(score.severity),
        "reasons": [{"kind": r.kind, "text": r.text} for r in score.reasons],
        "lang": score.lang,
        "scored_at": now,
    }


def update_mention(row: MentionRow, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(row, name, value)


async def insert_mentions(
    session: AsyncSession, new: list[tuple[PostRow, str, dict[str, Any]]]
) -> dict[tuple[int, str], MentionRow]:
    """Insert new mentions in one executemany and return them loaded."""
    if not new:
        return {}
    await session.execute(
        insert(MentionRow),
        [
            {
                **values,
                "post_id": post.id,
                "brand": brand,
                "post_created_at": post.created_at,
                "wrong": False,
            }
            for post, brand, values in new
        ],
    )
    return await mentions_for(session, sorted({post.id for post, _, _ in new}))
