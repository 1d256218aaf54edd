"""Reddit: app-only OAuth search (sort=new), walked until an already-seen fullname.

Why a stop-set cursor instead of `before=`: `before` is unreliable for search
and listings page backwards in time, so each poll reads newest-first until it
meets a post it has seen (or one older than the newest seen, less an hour,
in case that post was deleted). While a poll is mid-walk the cursor also keeps
`after`, so a restart continues where it stopped.

Cursor: `{"seen": [fullnames, newest first], "newest_utc": float}`; mid-walk
also `{"after": "t3_…", "head": [fullnames of this poll]}`.
History cursor: `{"after": "t3_…"}` walking back, then `{"done": true}`. The search's
`t` is the smallest window (hour … year, all) that covers `since`, and the walk
ends at the first post older than `since`. Reddit listings stop at about 1000
items, so a busy query's history can end early (logged).
Cannot give: language (none), verified (Reddit has no account badge;
`has_verified_email` is email verification), views (`view_count` is always
null). Followers cost one `/user/{name}/about` call per author (cached, capped).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import Field

from adapters.sources.base import make_http, map_items
from adapters.sources.context import SourceContext
from adapters.sources.fields import hashtags_in, obj, opt_int, opt_str, parse_time, req_str, unique
from adapters.sources.http import SourceHttp, json_of
from adapters.sources.options import (
    StrictOptions,
    missing_secrets,
    option_messages,
    parse_options,
    secret_value,
)
from adapters.sources.query import PostFilter, boolean_query, brand_terms, normalise_tags
from bot.config import Environment, SourceConfig
from bot.models import Author, Metrics, Post
from bot.ports import MappingError, SourceAuthError, SourceError, SourcePage, SourcePayloadError

log = logging.getLogger(__name__)

SEEN_KEEP = 200
TIME_FILTERS = (
    ("hour", timedelta(hours=1)),
    ("day", timedelta(days=1)),
    ("week", timedelta(days=7)),
    ("month", timedelta(days=30)),
    ("year", timedelta(days=365)),
)
DELETED = ("[deleted]", "[removed]")

# Post.source is the platform, so a post seen twice (two configured sources, a
# scraper, a webhook) is one post: identity is (platform, native id).
PLATFORM = "reddit"


class RedditOptions(StrictOptions):
    base_url: str = Field("https://oauth.reddit.com", pattern=r"^https?://")
    token_url: str = Field("https://www.reddit.com/api/v1/access_token", pattern=r"^https?://")
    client_id: str | None = Field(None, description="or the REDDIT_CLIENT_ID secret")
    secret_env: str = "REDDIT_CLIENT_SECRET"  # noqa: S105 (a variable name, not a secret)
    contact: str | None = Field(None, description="your reddit username, for the User-Agent")
    subreddits: list[str] = Field(default_factory=list)
    time_filter: str = Field("week", pattern=r"^(hour|day|week|month|year|all)$")
    limit: int = Field(100, ge=1, le=100)
    follower_lookups: int = Field(25, ge=0, le=100, description="profile calls per page at most")
    match_brands: bool = True


def _client_id(opts: RedditOptions, env: Environment) -> str | None:
    return opts.client_id or secret_value(env, "REDDIT_CLIENT_ID")


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, RedditOptions)
    if problems:
        return problems
    opts = RedditOptions.model_validate(cfg.options)
    if not _client_id(opts, env):
        problems.append(f"sources.{cfg.name}.options.client_id: required (or set REDDIT_CLIENT_ID)")
    return problems + missing_secrets(cfg, env, [opts.secret_env])


def build(cfg: SourceConfig, ctx: SourceContext) -> RedditSource:
    opts = parse_options(cfg, RedditOptions)
    tags = normalise_tags(cfg.hashtags or ctx.hashtags)
    bare: dict[str, str] = {}
    for term in brand_terms(ctx.brands):
        bare.setdefault(term.lstrip("#@").casefold(), term.lstrip("#@"))
    terms = list(bare.values()) if opts.match_brands else []
    query = boolean_query(tags, terms, tag_prefix="", max_len=512)
    post_filter = PostFilter(
        tags, ctx.brands, require_brand=opts.match_brands and not query.has_brands
    )
    by = f"by /u/{opts.contact}" if opts.contact else "self-hosted"
    http = make_http(
        ctx, cfg.name, opts.base_url.rstrip("/"), user_agent=f"python:deinfluence:0.1 ({by})"
    )
    credentials = (_client_id(opts, ctx.env) or "", secret_value(ctx.env, opts.secret_env) or "")
    return RedditSource(cfg.name, http, opts, query.text, post_filter, credentials)


def map_link(source: str, raw: Any, followers: Mapping[str, int | None]) -> Post:
    """One `t3` listing child as a Post."""
    child = obj(raw, "child")
    if child.get("kind") != "t3":
        raise MappingError("not a t3 (link) item")
    data = obj(child.get("data"), "data")
    name = req_str(data, "name")
    title = data.get("title")
    if not isinstance(title, str):
        raise MappingError("title: expected a string")
    body = data.get("selftext") if isinstance(data.get("selftext"), str) else ""
    author = opt_str(data, "author") or "[deleted]"
    deleted = author in DELETED or body in DELETED or bool(data.get("removed_by_category"))
    text = title if body in DELETED or not body else f"{title}\n{body}"
    permalink = opt_str(data, "permalink")
    edited = data.get("edited")
    return Post(
        source=source,
        native_id=name,
        text=text,
        created_at=parse_time(data.get("created_utc"), "created_utc"),
        author=Author(handle=author, followers=followers.get(author), verified=None),
        metrics=Metrics(
            views=opt_int(data, "view_count"),
            likes=opt_int(data, "score"),
            comments=opt_int(data, "num_comments"),
            shares=opt_int(data, "num_crossposts"),
        ),
        url=f"https://www.reddit.com{permalink}" if permalink else opt_str(data, "url"),
        lang=None,
        hashtags=unique(hashtags_in(text)),
        edited=edited is not None and edited is not False,
        deleted=deleted,
    )


def time_filter(since: datetime, now: datetime) -> str:
    """The narrowest search `t` that still reaches back to `since`."""
    for name, span in TIME_FILTERS:
        if now - span <= since:
            return name
    return "all"


def _names(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


class RedditSource:
    """Source and BackfillSource over one search query (optionally inside some subreddits)."""

    def __init__(
        self,
        name: str,
        http: SourceHttp,
        opts: RedditOptions,
        query: str,
        post_filter: PostFilter,
        credentials: tuple[str, str],
    ) -> None:
        self.name = name
        self.query = query
        self._http = http
        self._opts = opts
        self._filter = post_filter
        self._credentials = credentials
        self._token_expires: datetime | None = None
        self._followers: dict[str, int | None] = {}

    async def _authorise(self, force: bool = False) -> None:
        now = self._http.clock.now()
        if not force and self._token_expires is not None and now < self._token_expires:
            return
        body = json_of(
            await self._http.request(
                "POST",
                self._opts.token_url,
                data={"grant_type": "client_credentials"},
                auth=httpx.BasicAuth(*self._credentials),
            ),
            self.name,
        )
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceAuthError(f"{self.name}: the token endpoint gave no access_token")
        expires = body.get("expires_in")
        seconds = float(expires) if isinstance(expires, int | float) else 3600.0
        self._token_expires = now + timedelta(seconds=max(seconds - 60, 30))
        self._http.set_bearer(token, scheme="bearer")

    async def _get(self, path: str, params: Mapping[str, str]) -> Any:
        await self._authorise()
        try:
            return await self._http.get_json(path, params=params)
        except SourceAuthError:
            await self._authorise(force=True)  # the token may have expired early
            return await self._http.get_json(path, params=params)

    def _path(self) -> str:
        if self._opts.subreddits:
            return f"/r/{'+'.join(self._opts.subreddits)}/search"
        return "/search"

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        cursor = cursor or {}
        seen = _names(cursor.get("seen"))
        head = _names(cursor.get("head"))
        after = cursor.get("after") if isinstance(cursor.get("after"), str) else None
        newest_utc = cursor.get("newest_utc")
        floor = float(newest_utc) - 3600 if isinstance(newest_utc, int | float) else None
        data = await self._search(self._opts.time_filter, after)
        children, reached_seen = self._new_children(data["children"], set(seen), floor)
        await self._lookup_followers(children)
        posts, skipped = map_items(
            children,
            lambda raw: map_link(PLATFORM, raw, self._followers),
            _child_name,
            lambda post: self._filter.wants(post.text, post.hashtags),
        )
        names = [n for n in (_child_name(c) for c in children) if n]
        next_after = data.get("after") if isinstance(data.get("after"), str) else None
        walking = bool(seen or newest_utc) and not reached_seen and next_after is not None
        newest = max([_utc(c) for c in children] + [newest_utc or 0.0])
        if walking:
            new_cursor: dict[str, Any] = {"seen": seen, "head": head + names, "after": next_after}
        else:
            new_cursor = {"seen": list(dict.fromkeys(head + names + seen))[:SEEN_KEEP]}
        if newest:
            new_cursor["newest_utc"] = newest
        return SourcePage(posts, new_cursor, walking, skipped, self._http.quota_left)

    async def _search(self, t: str, after: str | None) -> Mapping[str, Any]:
        """One page of the search, newest first: the Listing's `data`."""
        params = {
            "q": self.query,
            "sort": "new",
            "t": t,
            "type": "link",
            "limit": str(self._opts.limit),
            "raw_json": "1",
        }
        if self._opts.subreddits:
            params["restrict_sr"] = "1"
        if after:
            params["after"] = after
        listing = await self._get(self._path(), params)
        data = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get("children"), list):
            raise SourcePayloadError(f"{self.name}: expected a Listing")
        return data

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """One page further back (`after`) until a post is older than `since`."""
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage([], dict(saved), quota_left=self._http.quota_left)
        after = saved.get("after") if isinstance(saved.get("after"), str) else None
        data = await self._search(time_filter(since, self._http.clock.now()), after)
        floor = since.timestamp()
        children = [c for c in data["children"] if not 0 < _utc(c) < floor]
        reached = len(children) < len(data["children"])
        await self._lookup_followers(children)
        posts, skipped = map_items(
            children,
            lambda raw: map_link(PLATFORM, raw, self._followers),
            _child_name,
            lambda post: self._filter.wants(post.text, post.hashtags),
        )
        next_after = data.get("after") if isinstance(data.get("after"), str) else None
        if next_after is None and children and not reached:
            log.info("%s: the listing ended before %s (about 1000 items)", self.name, since)
        more = not reached and bool(children) and next_after is not None
        new_cursor: dict[str, Any] = {"after": next_after} if more else {"done": True}
        return SourcePage(posts, new_cursor, more, skipped, self._http.quota_left)

    @staticmethod
    def _new_children(
        children: list[Any], seen: set[str], floor: float | None
    ) -> tuple[list[Any], bool]:
        """Children up to the first one already seen (or older than the floor)."""
        out: list[Any] = []
        for child in children:
            name = _child_name(child)
            if (name and name in seen) or (floor is not None and 0 < _utc(child) < floor):
                return out, True
            out.append(child)
        return out, False

    async def _lookup_followers(self, children: list[Any]) -> None:
        """Subscriber counts of new authors, a few per page; failures leave None."""
        budget = self._opts.follower_lookups
        for child in children:
            data = child.get("data") if isinstance(child, dict) else None
            author = data.get("author") if isinstance(data, dict) else None
            if not isinstance(author, str) or author in DELETED or author in self._followers:
                continue
            if budget <= 0:
                return
            budget -= 1
            try:
                about = await self._http.get_json(f"/user/{author}/about", params={"raw_json": "1"})
            except SourceError:
                self._followers[author] = None
                continue
            sub = about.get("data", {}).get("subreddit") if isinstance(about, dict) else None
            self._followers[author] = opt_int(sub, "subscribers") if isinstance(sub, dict) else None

    async def aclose(self) -> None:
        await self._http.aclose()


def _child_name(child: Any) -> str | None:
    data = child.get("data") if isinstance(child, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def _utc(child: Any) -> float:
    data = child.get("data") if isinstance(child, dict) else None
    value = data.get("created_utc") if isinstance(data, dict) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
