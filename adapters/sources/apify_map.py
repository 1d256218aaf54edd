"""Item mappers for the Apify scrapers we support, keyed by the `shape` option.

Why native ids: a TikTok video or Instagram post seen both through the
platform's own API and through a scraper must be one post, so the mappers
set `Post.source` to the platform and use the id the native adapters use:
TikTok's numeric video id, Instagram's shortcode.

Shapes (the actor's output schema is its own: pin the actor version):
* "tiktok" (clockworks/tiktok-scraper): id, text, textLanguage, createTimeISO |
  createTime, authorMeta.{name, fans, verified}, playCount, diggCount,
  commentCount, shareCount, webVideoUrl, hashtags[].name. Dotted keys
  ("authorMeta.name") from `flatten` are read too.
* "instagram" (apify/instagram-scraper): shortCode | url, id, caption,
  timestamp, ownerUsername, likesCount (-1 when hidden), commentsCount,
  videoViewCount | videoPlayCount, url, hashtags[]. No follower count, no
  verified flag, no language in post items.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from adapters.sources.fields import (
    hashtags_in,
    obj,
    opt_bool,
    opt_int,
    opt_str,
    parse_time,
    str_list,
    unique,
)
from bot.models import Author, Metrics, Post
from bot.ports import MappingError

TIKTOK_VIDEO = re.compile(r"/video/(\d+)")
INSTAGRAM_CODE = re.compile(r"instagram\.com/(?:[\w.]+/)?(?:p|reel|reels|tv)/([\w-]+)")


def _get(item: Mapping[str, Any], path: str) -> Any:
    """`a.b` from a nested object, or from a flattened `"a.b"` key."""
    if path in item:
        return item[path]
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _count(item: Mapping[str, Any], *paths: str) -> int | None:
    for path in paths:
        value = opt_int({"v": _get(item, path)}, "v")
        if value is not None:
            return value
    return None


def _text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise MappingError(f"{key}: expected text")
    return value or ""


def _tag_names(value: Any) -> list[str]:
    """hashtags as ["a"] or [{"name": "a"}]."""
    if not isinstance(value, list):
        return []
    names = [v.get("name") if isinstance(v, dict) else v for v in value]
    return [n for n in names if isinstance(n, str) and n]


def _lang(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    primary = value.split("-")[0].casefold()
    return None if primary in ("un", "und", "zxx") else primary


def map_tiktok(raw: Any) -> Post:
    """One clockworks/tiktok-scraper item as a TikTok post."""
    item = obj(raw, "item")
    url = opt_str(item, "webVideoUrl")
    native = item.get("id")
    if isinstance(native, int) and not isinstance(native, bool):
        native = str(native)
    if not isinstance(native, str) or not native.isdigit():
        match = TIKTOK_VIDEO.search(url or "")
        native = match.group(1) if match else None
    if native is None:
        raise MappingError("id: no TikTok video id")
    text = _text(item, "text")
    handle = _get(item, "authorMeta.name")
    created = item.get("createTimeISO") or item.get("createTime")
    return Post(
        source="tiktok",
        native_id=native,
        text=text,
        created_at=parse_time(created, "createTimeISO"),
        author=Author(
            handle=handle if isinstance(handle, str) and handle else "unknown",
            followers=_count(item, "authorMeta.fans"),
            verified=opt_bool({"v": _get(item, "authorMeta.verified")}, "v"),
        ),
        metrics=Metrics(
            views=_count(item, "playCount"),
            likes=_count(item, "diggCount"),
            comments=_count(item, "commentCount"),
            shares=_count(item, "shareCount"),
        ),
        url=url,
        lang=_lang(item.get("textLanguage")),
        hashtags=unique(_tag_names(item.get("hashtags")) + hashtags_in(text)),
    )


def map_instagram(raw: Any) -> Post:
    """One apify/instagram-scraper post item as an Instagram post (id = shortcode)."""
    item = obj(raw, "item")
    url = opt_str(item, "url")
    code = opt_str(item, "shortCode")
    if code is None:
        match = INSTAGRAM_CODE.search(url or "")
        code = match.group(1) if match else None
    if code is None:
        raise MappingError("shortCode: no Instagram shortcode")
    text = _text(item, "caption")
    owner = opt_str(item, "ownerUsername")
    return Post(
        source="instagram",
        native_id=code,
        text=text,
        created_at=parse_time(item.get("timestamp"), "timestamp"),
        author=Author(handle=owner or "unknown"),
        metrics=Metrics(
            views=_count(item, "videoViewCount", "videoPlayCount"),
            likes=_count(item, "likesCount"),
            comments=_count(item, "commentsCount"),
            shares=None,
        ),
        url=url or f"https://www.instagram.com/p/{code}/",
        hashtags=unique(str_list(item.get("hashtags")) + hashtags_in(text)),
    )


SHAPES: dict[str, Callable[[Any], Post]] = {"tiktok": map_tiktok, "instagram": map_instagram}
