"""RSS 2.0 / Atom feeds (Google Alerts and others), polled with conditional GET.

Why per-feed state: feeds have no paging, only a rolling window, so we keep
each feed's ETag / Last-Modified (for 304s) and the ids still in its window.
One broken feed does not stop the others: it is reported in `skipped` and
keeps its old state; only when every feed fails does the poll fail.

Cursor: `{"feeds": {"<sha256(url)[:16]>": {"etag", "last_modified", "seen": [ids],
"not_before"}}}`; URLs are hashed because a Google Alerts URL is a secret.
Cannot give: followers, verified, views, likes, comments, shares (feeds carry
no engagement), deleted. Language only from the feed's `language`/`xml:lang`;
author is the entry's author or else the article's domain.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from adapters.sources.base import make_http, map_items
from adapters.sources.context import SourceContext
from adapters.sources.feedparse import FeedError, map_atom_entry, map_rss_item, parse_feed
from adapters.sources.fields import parse_time
from adapters.sources.http import SourceHttp
from adapters.sources.options import StrictOptions, option_messages, parse_options
from adapters.sources.query import PostFilter
from bot.clock import Clock
from bot.config import Environment, SourceConfig
from bot.models import Post
from bot.ports import MappingError, SourceError, SourceItemError, SourcePage, SourcePayloadError

ACCEPT = "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8"


class RssOptions(StrictOptions):
    feeds: list[str] = Field(min_length=1, description="feed URLs (each one may be a secret)")
    match_brands: bool = True
    require_tag: bool = Field(False, description="feeds are usually topical already")
    max_seen: int = Field(1000, ge=10, le=20000)


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, RssOptions)
    if not problems:
        for i, url in enumerate(RssOptions.model_validate(cfg.options).feeds):
            if not url.startswith(("http://", "https://")):
                problems.append(f"sources.{cfg.name}.options.feeds[{i}]: not an http(s) URL")
    return problems


def build(cfg: SourceConfig, ctx: SourceContext) -> RssSource:
    opts = parse_options(cfg, RssOptions)
    http = make_http(ctx, cfg.name, "", headers={"Accept": ACCEPT}, hide_paths=True)
    post_filter = PostFilter(
        cfg.hashtags or ctx.hashtags,
        ctx.brands,
        require_tag=opts.require_tag,
        require_brand=opts.match_brands,
    )
    return RssSource(cfg.name, http, opts, post_filter, ctx.clock)


def feed_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]


class RssSource:
    """Source protocol over several feeds; one fetch reads every feed once."""

    def __init__(
        self, name: str, http: SourceHttp, opts: RssOptions, post_filter: PostFilter, clock: Clock
    ) -> None:
        self.name = name
        self._http = http
        self._opts = opts
        self._filter = post_filter
        self._clock = clock

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        old = cursor.get("feeds") if cursor else None
        states: dict[str, Any] = dict(old) if isinstance(old, Mapping) else {}
        posts: list[Post] = []
        skipped: list[SourceItemError] = []
        failures: list[SourceError] = []
        for number, url in enumerate(self._opts.feeds, start=1):
            key = feed_key(url)
            state = states.get(key)
            state = dict(state) if isinstance(state, Mapping) else {}
            try:
                new_posts, new_skipped, states[key] = await self._read(url, state)
            except SourceError as error:
                failures.append(error)
                skipped.append(SourceItemError(None, f"feed {number}: {error}"))
                continue
            posts += new_posts
            skipped += new_skipped
        if failures and len(failures) == len(self._opts.feeds):
            raise failures[0]
        live = {feed_key(u) for u in self._opts.feeds}
        states = {k: v for k, v in states.items() if k in live}
        return SourcePage(posts=posts, cursor={"feeds": states}, more=False, skipped=skipped)

    async def _read(
        self, url: str, state: dict[str, Any]
    ) -> tuple[list[Post], list[SourceItemError], dict[str, Any]]:
        now = self._clock.now()
        not_before = state.get("not_before")
        if isinstance(not_before, str):
            try:
                if parse_time(not_before, "not_before") > now:
                    return [], [], state
            except MappingError:
                pass
        headers = {}
        if isinstance(state.get("etag"), str):
            headers["If-None-Match"] = state["etag"]
        if isinstance(state.get("last_modified"), str):
            headers["If-Modified-Since"] = state["last_modified"]
        response = await self._http.request("GET", url, headers=headers, allow=(304,))
        if response.status_code == 304:
            return [], [], state
        try:
            entries, kind, lang, ttl = parse_feed(response.content)
        except FeedError as error:
            raise SourcePayloadError(f"{self.name}: {error}") from None
        mapper = map_atom_entry if kind == "atom" else map_rss_item
        seen = [s for s in state.get("seen", []) if isinstance(s, str)]
        known = set(seen)
        mapped, skipped = map_items(
            entries,
            lambda entry: mapper("rss", entry, lang, now),  # source is the platform
            lambda _entry: None,
        )
        fresh = [p for p in mapped if p.native_id not in known]
        current = list(dict.fromkeys(p.native_id for p in mapped))
        new_state: dict[str, Any] = {
            "seen": list(dict.fromkeys(current + seen))[: max(self._opts.max_seen, len(current))]
        }
        if etag := response.headers.get("etag"):
            new_state["etag"] = etag
        if modified := response.headers.get("last-modified"):
            new_state["last_modified"] = modified
        if ttl:
            new_state["not_before"] = _iso(now + timedelta(minutes=min(ttl, 24 * 60)))
        kept = [p for p in fresh if self._filter.wants(p.text, p.hashtags)]
        return kept, skipped, new_state

    async def aclose(self) -> None:
        await self._http.aclose()


def _iso(value: datetime) -> str:
    return value.isoformat()
