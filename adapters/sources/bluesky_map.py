"""Bluesky postView -> Post (kept apart from the fetching logic so it stays small)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.sources.fields import hashtags_in, obj, opt_int, opt_str, parse_time, req_str, unique
from bot.models import Author, Metrics, Post
from bot.ports import MappingError

TAG_FEATURE = "app.bsky.richtext.facet#tag"


def _verified(author: Mapping[str, Any]) -> bool | None:
    verification = author.get("verification")
    status = verification.get("verifiedStatus") if isinstance(verification, dict) else None
    return (
        {"valid": True, "invalid": False, "none": False}.get(status)
        if isinstance(status, str)
        else None
    )


def _facet_tags(record: Mapping[str, Any]) -> list[str]:
    tags: list[str] = []
    facets = record.get("facets")
    for facet in facets if isinstance(facets, list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if isinstance(feature, dict) and feature.get("$type") == TAG_FEATURE:
                tag = feature.get("tag")
                if isinstance(tag, str):
                    tags.append(tag)
    extra = record.get("tags")
    tags += [t for t in extra if isinstance(t, str)] if isinstance(extra, list) else []
    return tags


def post_time(raw: Any) -> str | None:
    """min(createdAt, indexedAt) as ISO text: close to `sortAt`, which `since` filters on."""
    try:
        view = obj(raw, "post")
        indexed = parse_time(view.get("indexedAt"), "indexedAt")
        record = view.get("record")
        created_raw = record.get("createdAt") if isinstance(record, dict) else None
        created = parse_time(created_raw, "createdAt") if created_raw else indexed
    except MappingError:
        return None
    return min(created, indexed).isoformat()


def map_post_view(source: str, raw: Any, followers: Mapping[str, int | None]) -> Post:
    view = obj(raw, "post")
    uri = req_str(view, "uri")
    if not uri.startswith("at://") or "/app.bsky.feed.post/" not in uri:
        raise MappingError("uri: not a post at:// uri")
    record = obj(view.get("record"), "record")
    text = record.get("text")
    if not isinstance(text, str):
        raise MappingError("record.text: expected a string")
    author = obj(view.get("author"), "author")
    did = req_str(author, "did")
    handle = opt_str(author, "handle") or did
    indexed = parse_time(view.get("indexedAt"), "indexedAt")
    created_raw = record.get("createdAt")
    created = parse_time(created_raw, "createdAt") if created_raw is not None else indexed
    langs = record.get("langs")
    lang = langs[0] if isinstance(langs, list) and langs and isinstance(langs[0], str) else None
    reposts, quotes = opt_int(view, "repostCount"), opt_int(view, "quoteCount")
    return Post(
        source=source,
        native_id=uri,
        text=text,
        created_at=min(created, indexed),  # createdAt is set by the client and may lie
        author=Author(handle=handle, followers=followers.get(did), verified=_verified(author)),
        metrics=Metrics(
            views=None,
            likes=opt_int(view, "likeCount"),
            comments=opt_int(view, "replyCount"),
            shares=None if reposts is None and quotes is None else (reposts or 0) + (quotes or 0),
        ),
        url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[1]}",
        lang=lang.split("-")[0].casefold() if lang else None,
        hashtags=unique(_facet_tags(record) + hashtags_in(text)),
    )
