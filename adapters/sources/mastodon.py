"""Mastodon: the public hashtag timeline of one instance, walked forward with `min_id`.

Why min_id: `since_id` only returns the newest page and leaves gaps when more
than `limit` posts arrived; `min_id` pages forward from the cursor, so a poll
that stops at its page budget resumes exactly where it stopped.

Cursor: `{"min_id": "<highest status id consumed>"}` (ids compared as integers).
History cursor: `{"max_id": "<lowest id consumed>"}` walking back, then `{"done": true}`;
the walk ends at the first status older than `since` (or an empty page). Every
max_id request counts against Mastodon's paging limit (300 per 15 min).
Cannot give: views (never reported), verified (Mastodon only verifies profile
links, not accounts), deleted (deleted posts just stop appearing; deletes are
only pushed over streaming). Each instance only sees posts federated to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import Field

from adapters.sources.base import item_id, make_http, map_items
from adapters.sources.context import SourceContext
from adapters.sources.fields import (
    hashtags_in,
    obj,
    opt_int,
    opt_str,
    parse_time,
    req_str,
    strip_html,
    unique,
)
from adapters.sources.http import SourceHttp
from adapters.sources.options import StrictOptions, missing_secrets, parse_options, secret_value
from adapters.sources.options import option_messages as _option_messages
from adapters.sources.query import PostFilter
from bot.config import Environment, SourceConfig
from bot.models import Author, Metrics, Post
from bot.ports import MappingError, SourceItemError, SourcePage, SourcePayloadError

MAX_LIMIT = 40
MAX_EXTRA_TAGS = 4

# Post.source is the platform, so a post seen twice (two configured sources, a
# scraper, a webhook) is one post: identity is (platform, native id).
PLATFORM = "mastodon"


class MastodonOptions(StrictOptions):
    instance: str = Field(
        pattern=r"^https?://", description="base URL, e.g. https://mastodon.social"
    )
    token_env: str = "MASTODON_TOKEN"  # noqa: S105 (a variable name, not a secret)
    require_token: bool = False
    limit: int = Field(MAX_LIMIT, ge=1, le=MAX_LIMIT)
    local: bool = False
    match_brands: bool = True


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = _option_messages(cfg, MastodonOptions)
    if problems:
        return problems
    opts = MastodonOptions.model_validate(cfg.options)
    return missing_secrets(cfg, env, [opts.token_env]) if opts.require_token else []


def build(cfg: SourceConfig, ctx: SourceContext) -> MastodonSource:
    opts = parse_options(cfg, MastodonOptions)
    token = secret_value(ctx.env, opts.token_env)
    http = make_http(ctx, cfg.name, opts.instance.rstrip("/"))
    http.set_bearer(token)
    tags = cfg.hashtags or ctx.hashtags
    return MastodonSource(
        cfg.name, http, opts, PostFilter(tags, ctx.brands, require_brand=opts.match_brands)
    )


def _as_int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _created(raw: Any) -> datetime | None:
    """A raw status's created_at, or None when it has none we can read."""
    try:
        return parse_time(raw.get("created_at"), "created_at") if isinstance(raw, dict) else None
    except MappingError:
        return None


def map_status(source: str, raw: Any) -> Post:
    """One Mastodon Status as a Post; MappingError if it is not one."""
    status = obj(raw, "status")
    # The ActivityPub uri is the same on every instance; the id is only the instance's own.
    native_id = opt_str(status, "uri") or req_str(status, "id")
    account = obj(status.get("account"), "account")
    content = status.get("content")
    if not isinstance(content, str):
        raise MappingError("content: expected HTML text")
    text = strip_html(content)
    spoiler = opt_str(status, "spoiler_text")
    if spoiler:
        text = f"{strip_html(spoiler)}\n{text}"
    tags_raw = status.get("tags")
    tag_names = [
        t["name"]
        for t in (tags_raw if isinstance(tags_raw, list) else [])
        if isinstance(t, dict) and isinstance(t.get("name"), str)
    ]
    reblogs = opt_int(status, "reblogs_count")
    quotes = opt_int(status, "quotes_count")
    shares = None if reblogs is None else reblogs + (quotes or 0)
    return Post(
        source=source,
        native_id=native_id,
        text=text,
        created_at=parse_time(status.get("created_at"), "created_at"),
        author=Author(
            handle=req_str(account, "acct"),
            followers=opt_int(account, "followers_count"),
            verified=None,
        ),
        metrics=Metrics(
            views=None,
            likes=opt_int(status, "favourites_count"),
            comments=opt_int(status, "replies_count"),
            shares=shares,
        ),
        url=opt_str(status, "url") or opt_str(status, "uri"),
        lang=opt_str(status, "language"),
        hashtags=unique(tag_names + hashtags_in(text)),
        edited=status.get("edited_at") is not None,
    )


class MastodonSource:
    """Source and BackfillSource for one instance's tag timeline."""

    def __init__(
        self, name: str, http: SourceHttp, opts: MastodonOptions, post_filter: PostFilter
    ) -> None:
        self.name = name
        self._http = http
        self._opts = opts
        self._filter = post_filter

    def _params(self, min_id: str | None) -> list[tuple[str, str]]:
        params = [("limit", str(self._opts.limit))]
        params += [("any[]", t) for t in self._filter.tags[1 : 1 + MAX_EXTRA_TAGS]]
        if self._opts.local:
            params.append(("local", "true"))
        if min_id is not None:
            params.append(("min_id", min_id))
        return params

    async def _timeline(self, params: list[tuple[str, str]]) -> tuple[httpx.Response, list[Any]]:
        path = f"/api/v1/timelines/tag/{quote(self._filter.tags[0], safe='')}"
        response = await self._http.request("GET", path, params=params)
        try:
            items = response.json()
        except ValueError:
            raise SourcePayloadError(f"{self.name}: the tag timeline is not JSON") from None
        if not isinstance(items, list):
            raise SourcePayloadError(f"{self.name}: expected a list of statuses")
        return response, items

    def _map(self, items: list[Any]) -> tuple[list[Post], list[SourceItemError]]:
        return map_items(
            items,
            lambda raw: map_status(PLATFORM, raw),
            lambda raw: item_id(raw, "id"),
            lambda post: self._filter.wants(post.text, post.hashtags),
        )

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        min_id = cursor.get("min_id") if cursor else None
        min_id = str(min_id) if isinstance(min_id, str | int) else None
        response, items = await self._timeline(self._params(min_id))
        posts, skipped = self._map(items)
        newest = self._newest(items, response, min_id)
        return SourcePage(
            posts=posts,
            cursor={"min_id": newest} if newest is not None else None,
            more=min_id is not None and len(items) >= self._opts.limit,
            skipped=skipped,
            quota_left=self._http.quota_left,
        )

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """One page further back (newest first, `max_id`), until a status is older than `since`."""
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage(posts=[], cursor=dict(saved), quota_left=self._http.quota_left)
        max_id = saved.get("max_id")
        params = self._params(None)
        if isinstance(max_id, str | int) and not isinstance(max_id, bool):
            params.append(("max_id", str(max_id)))
        response, items = await self._timeline(params)
        posts, skipped = self._map(items)
        reached = any(t is not None and t < since for t in map(_created, items))
        oldest = None if reached else self._oldest(items, response)
        return SourcePage(
            posts=[p for p in posts if p.created_at >= since],
            cursor={"max_id": oldest} if oldest is not None else {"done": True},
            more=oldest is not None,
            skipped=skipped,
            quota_left=self._http.quota_left,
        )

    @staticmethod
    def _oldest(items: list[Any], response: httpx.Response) -> str | None:
        """Where the next page back starts: the Link rel=next `max_id`, else the lowest id."""
        if not items:
            return None
        following = response.links.get("next", {}).get("url")
        if following:
            linked = httpx.URL(following).params.get("max_id")
            if linked:
                return str(linked)
        ids = [v for v in (_as_int(item_id(raw, "id")) for raw in items) if v is not None]
        return str(min(ids)) if ids else None

    @staticmethod
    def _newest(items: list[Any], response: httpx.Response, min_id: str | None) -> str | None:
        """Highest id consumed: from the page's ids, or the Link rel=prev `min_id`."""
        best = _as_int(min_id)
        for raw in items:
            value = _as_int(item_id(raw, "id"))
            if value is not None and (best is None or value > best):
                best = value
        prev = response.links.get("prev", {}).get("url")
        if prev:
            linked = _as_int(httpx.URL(prev).params.get("min_id"))
            if linked is not None and (best is None or linked > best):
                best = linked
        return str(best) if best is not None else None

    async def aclose(self) -> None:
        await self._http.aclose()
