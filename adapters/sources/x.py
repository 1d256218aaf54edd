"""X (Twitter) API v2 recent search, walked with since_id and next_token.

Why the cursor keeps `since_id` until the last page: search returns newest
first, so the pages of one poll go backwards in time. Only when the last page
is consumed may `since_id` move up to the poll's newest id; a crash between
pages resumes with the same `since_id` and the stored `next_token`.

Cursor: `{"since_id": "<id>"}` between polls; while paging
`{"since_id", "next_token", "newest_id"}`.
History cursor: `{"end_time", "next_token"?}` (end_time fixed at the first call), then
`{"done": true}`. Recent search only reaches 7 days back: `history_window` tells the
backfill to clamp `since`, and each call clamps again (a walk resumed a day later
loses the day that aged out, and says so in the log).
Cannot give: deleted (deleted posts just disappear); the rest (views as
impression_count, followers, verified, likes, replies, retweets+quotes) is given.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field

from adapters.sources.base import item_id, make_http, map_items
from adapters.sources.context import SourceContext
from adapters.sources.fields import obj, opt_bool, opt_int, opt_str, parse_time, req_str, unique
from adapters.sources.http import RetryLater, SourceHttp, json_of
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
from bot.ports import (
    MappingError,
    SourceError,
    SourceItemError,
    SourcePage,
    SourcePayloadError,
    SourceQuotaError,
)

log = logging.getLogger(__name__)

SEARCH = "/2/tweets/search/recent"
HISTORY_WINDOW = timedelta(days=7)
START_MARGIN = timedelta(minutes=2)  # the request must still be inside the 7 days when it lands
END_LAG = timedelta(seconds=30)  # X refuses an end_time closer than about 10 s to now
TWEET_FIELDS = "public_metrics,lang,created_at,entities,edit_history_tweet_ids,note_tweet,author_id"
USER_FIELDS = "public_metrics,verified,verified_type,username"

# Post.source is the platform, so a post seen twice (two configured sources, a
# scraper, a webhook) is one post: identity is (platform, native id).
PLATFORM = "x"


class XOptions(StrictOptions):
    base_url: str = Field("https://api.x.com", pattern=r"^https?://")
    token_env: str = "X_BEARER_TOKEN"  # noqa: S105 (a variable name, not a secret)
    max_results: int = Field(100, ge=10, le=100)
    max_query_length: int = Field(512, ge=32, le=4096)
    lang: str | None = Field(None, pattern=r"^[a-z]{2,3}$")
    include_retweets: bool = False
    match_brands: bool = True


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, XOptions)
    if problems:
        return problems
    return missing_secrets(cfg, env, [XOptions.model_validate(cfg.options).token_env])


def build(cfg: SourceConfig, ctx: SourceContext) -> XSource:
    opts = parse_options(cfg, XOptions)
    tags = normalise_tags(cfg.hashtags or ctx.hashtags)
    suffix = "" if opts.include_retweets else " -is:retweet"
    suffix += f" lang:{opts.lang}" if opts.lang else ""
    terms = brand_terms(ctx.brands) if opts.match_brands else []
    query = boolean_query(tags, terms, suffix=suffix, max_len=opts.max_query_length)
    post_filter = PostFilter(
        tags, ctx.brands, require_brand=opts.match_brands and not query.has_brands
    )
    http = make_http(ctx, cfg.name, opts.base_url.rstrip("/"))
    http.set_bearer(secret_value(ctx.env, opts.token_env))
    return XSource(cfg.name, http, opts, query.text, post_filter)


def _next_month(now: datetime) -> datetime:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC)


def classify(response: httpx.Response, now: datetime) -> SourceError | RetryLater | None:
    """The monthly usage cap is a quota, whatever status it comes with: stop, don't retry."""
    if response.is_success:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("title") == "UsageCapExceeded":
        return SourceQuotaError(
            f"x: usage cap exceeded ({body.get('period', 'Monthly')})",
            resume_at=_next_month(now),
        )
    return None


def map_tweet(source: str, raw: Any, users: Mapping[str, Mapping[str, Any]]) -> Post:
    """One v2 tweet (+ its expanded author) as a Post."""
    tweet = obj(raw, "tweet")
    native_id = req_str(tweet, "id")
    note = tweet.get("note_tweet")
    text = opt_str(note, "text") if isinstance(note, dict) else None
    text = text or tweet.get("text")
    if not isinstance(text, str):
        raise MappingError("text: expected a string")
    author_id = opt_str(tweet, "author_id")
    user = users.get(author_id or "", {})
    username = opt_str(user, "username")
    user_metrics = user.get("public_metrics")
    user_metrics = user_metrics if isinstance(user_metrics, dict) else {}
    metrics = tweet.get("public_metrics")
    metrics = metrics if isinstance(metrics, dict) else {}
    retweets, quotes = opt_int(metrics, "retweet_count"), opt_int(metrics, "quote_count")
    entities = tweet.get("entities")
    raw_tags = entities.get("hashtags") if isinstance(entities, dict) else None
    tags = [
        t["tag"]
        for t in (raw_tags if isinstance(raw_tags, list) else [])
        if isinstance(t, dict) and isinstance(t.get("tag"), str)
    ]
    history = tweet.get("edit_history_tweet_ids")
    lang = opt_str(tweet, "lang")
    return Post(
        source=source,
        native_id=native_id,
        text=html.unescape(text),
        created_at=parse_time(tweet.get("created_at"), "created_at"),
        author=Author(
            handle=username or author_id or "unknown",
            followers=opt_int(user_metrics, "followers_count"),
            verified=opt_bool(user, "verified"),
        ),
        metrics=Metrics(
            views=opt_int(metrics, "impression_count"),
            likes=opt_int(metrics, "like_count"),
            comments=opt_int(metrics, "reply_count"),
            shares=None if retweets is None and quotes is None else (retweets or 0) + (quotes or 0),
        ),
        url=f"https://x.com/{username or 'i/web'}/status/{native_id}",
        lang=None if lang in (None, "und") else lang,
        hashtags=unique(tags),
        edited=isinstance(history, list) and len(history) > 1,
    )


class XSource:
    """Source and BackfillSource over one recent-search query."""

    history_window = HISTORY_WINDOW

    def __init__(
        self, name: str, http: SourceHttp, opts: XOptions, query: str, post_filter: PostFilter
    ) -> None:
        self.name = name
        self.query = query
        self._http = http
        self._opts = opts
        self._filter = post_filter

    def _params(
        self,
        since_id: str | None,
        next_token: str | None,
        window: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        params = {
            **(window or {}),
            "query": self.query,
            "max_results": str(self._opts.max_results),
            "sort_order": "recency",
            "expansions": "author_id",
            "tweet.fields": TWEET_FIELDS,
            "user.fields": USER_FIELDS,
        }
        if since_id:
            params["since_id"] = since_id
        if next_token:
            params["next_token"] = next_token
        return params

    async def _search(
        self,
        since_id: str | None,
        next_token: str | None,
        window: Mapping[str, str] | None = None,
    ) -> Any:
        def verdict(response: httpx.Response) -> SourceError | RetryLater | None:
            return classify(response, self._http.clock.now())

        params = self._params(since_id, next_token, window)
        try:
            response = await self._http.request("GET", SEARCH, params=params, classify=verdict)
        except SourceError as error:
            if type(error) is not SourceError or not next_token:
                raise
            # A stale next_token (400): start the poll again from since_id; repeats are harmless.
            response = await self._http.request(
                "GET", SEARCH, params=self._params(since_id, None, window), classify=verdict
            )
        return json_of(response, self.name)

    def _read(self, body: Any) -> tuple[list[Post], list[SourceItemError], dict[str, Any]]:
        """A search answer's posts, skipped items (partial errors too) and `meta`."""
        if not isinstance(body, dict):
            raise SourcePayloadError(f"{self.name}: expected a JSON object from search")
        meta_raw = body.get("meta")
        meta: dict[str, Any] = meta_raw if isinstance(meta_raw, dict) else {}
        data = body.get("data", [])
        if not isinstance(data, list):
            raise SourcePayloadError(f"{self.name}: `data` is not a list")
        users = _users(body.get("includes"))
        posts, skipped = map_items(
            data,
            lambda raw: map_tweet(PLATFORM, raw, users),
            lambda raw: item_id(raw, "id"),
            lambda post: self._filter.wants(post.text, post.hashtags),
        )
        skipped += _partial_errors(body.get("errors"))
        return posts, skipped, meta

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        cursor = cursor or {}
        since_id = _text(cursor.get("since_id"))
        next_token = _text(cursor.get("next_token"))
        posts, skipped, meta = self._read(await self._search(since_id, next_token))
        newest = _max_id(_text(cursor.get("newest_id")), _text(meta.get("newest_id")))
        token = _text(meta.get("next_token"))
        if token and since_id is not None:
            new_cursor: dict[str, Any] = {"since_id": since_id, "next_token": token}
            if newest:
                new_cursor["newest_id"] = newest
        else:
            # The end of this poll (or a first poll: only its newest page is wanted).
            best = _max_id(since_id, newest)
            new_cursor = {"since_id": best} if best else {}
        return SourcePage(
            posts=posts,
            cursor=new_cursor or None,
            more=bool(token and since_id is not None),
            skipped=skipped,
            quota_left=self._http.quota_left,
        )

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """One page of recent search between `since` (at most 7 days back) and `end_time`."""
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage(posts=[], cursor=dict(saved), quota_left=self._http.quota_left)
        now = self._http.clock.now()
        start = max(since, now - HISTORY_WINDOW + START_MARGIN)
        if start > since + START_MARGIN:
            log.warning("%s: X recent search keeps 7 days; history starts at %s", self.name, start)
        end = _text(saved.get("end_time")) or _rfc3339(now - END_LAG)
        window = {"start_time": _rfc3339(start), "end_time": end}
        next_token = _text(saved.get("next_token"))
        posts, skipped, meta = self._read(await self._search(None, next_token, window))
        token = _text(meta.get("next_token"))
        return SourcePage(
            posts=[p for p in posts if p.created_at >= since],
            cursor={"end_time": end, "next_token": token} if token else {"done": True},
            more=token is not None,
            skipped=skipped,
            quota_left=self._http.quota_left,
        )

    async def aclose(self) -> None:
        await self._http.aclose()


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _max_id(*ids: str | None) -> str | None:
    numbers = [int(i) for i in ids if i and i.isdigit()]
    return str(max(numbers)) if numbers else None


def _users(includes: Any) -> dict[str, Mapping[str, Any]]:
    users = includes.get("users") if isinstance(includes, dict) else None
    if not isinstance(users, list):
        return {}
    return {u["id"]: u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)}


def _partial_errors(errors: Any) -> list[SourceItemError]:
    if not isinstance(errors, list):
        return []
    out = []
    for error in errors:
        if isinstance(error, dict):
            value = error.get("value") or error.get("resource_id")
            detail = error.get("detail") or error.get("title") or "partial error"
            out.append(SourceItemError(str(value) if value else None, str(detail)[:200]))
    return out
