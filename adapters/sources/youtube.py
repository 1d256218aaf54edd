"""YouTube Data API v3: search.list for new video ids, then videos.list + channels.list for stats.

Why three calls: search.list gives ids and escaped, truncated text only;
videos.list gives the raw title/description, language and counts, and
channels.list the subscriber count and @handle. search.list is the expensive
call (100 units, or 1 from its own 100-a-day bucket) and every page is
charged, so the units spent are counted per Pacific day in the cursor and a
poll stops before the configured budget. `quotaExceeded` is never retried:
the source pauses until the next midnight Pacific.

Cursor between polls: `{"published_after": RFC3339, "recent": {video_id: RFC3339},
"quota": {"day": "YYYY-MM-DD" (Pacific), "used": units}}`; while paging also
`page_token` and `newest`. `published_after` trails the newest video by
`margin_minutes` (search indexing lags); `recent` keeps the ids inside that
margin so they are not handed over twice.
History cursor: `{"before", "page_token"?, "done"?, "quota"}`.

Cannot give: verified (no field), shares (none), edits (no marker); likes
are missing when hidden and comments when disabled; a deleted or private
video is simply left out of videos.list, so it is dropped, never marked.
Subscriber counts are rounded by YouTube.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field

from adapters.sources.base import item_id, make_http, map_items
from adapters.sources.context import SourceContext
from adapters.sources.fields import (
    hashtags_in,
    obj,
    opt_bool,
    opt_int,
    opt_str,
    parse_time,
    req_str,
    unique,
)
from adapters.sources.http import RetryLater, SourceHttp, json_of
from adapters.sources.options import (
    StrictOptions,
    missing_secrets,
    option_messages,
    parse_options,
    secret_value,
)
from adapters.sources.query import PostFilter, brand_terms, normalise_tags
from adapters.sources.quota import DailyUnits, next_pacific_midnight, pacific_day
from bot.config import Environment, SourceConfig
from bot.models import Author, Metrics, Post
from bot.ports import (
    MappingError,
    SourceAuthError,
    SourceError,
    SourceItemError,
    SourcePage,
    SourcePayloadError,
    SourceQuotaError,
    SourceRateLimited,
)

PLATFORM = "youtube"
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
THROTTLE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
AUTH_REASONS = frozenset({"keyInvalid", "keyExpired", "accessNotConfigured", "forbidden"})


class YouTubeOptions(StrictOptions):
    base_url: str = Field("https://www.googleapis.com/youtube/v3", pattern=r"^https?://")
    key_env: str = "YOUTUBE_API_KEY"
    daily_budget: int = Field(10_000, ge=1, description="units per Pacific day we allow ourselves")
    search_cost: int = Field(100, ge=1, le=100, description="1 if search has its own bucket")
    max_results: int = Field(50, ge=1, le=50)
    lookback_hours: int = Field(24, ge=1, le=24 * 30, description="first poll only")
    margin_minutes: int = Field(30, ge=0, le=24 * 60, description="search indexing lag")
    region_code: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    relevance_language: str | None = Field(None, pattern=r"^[a-z]{2,3}(-[A-Za-z]+)?$")
    max_query_length: int = Field(500, ge=32, le=2000)
    match_brands: bool = True


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, YouTubeOptions)
    if problems:
        return problems
    return missing_secrets(cfg, env, [YouTubeOptions.model_validate(cfg.options).key_env])


def build(cfg: SourceConfig, ctx: SourceContext) -> YouTubeSource:
    opts = parse_options(cfg, YouTubeOptions)
    tags = normalise_tags(cfg.hashtags or ctx.hashtags)
    terms = brand_terms(ctx.brands) if opts.match_brands else []
    http = make_http(ctx, cfg.name, opts.base_url.rstrip("/"))
    post_filter = PostFilter(tags, ctx.brands, require_brand=opts.match_brands)
    key = secret_value(ctx.env, opts.key_env) or ""
    return YouTubeSource(cfg.name, http, opts, search_query(tags, terms, opts), key, post_filter)


def search_query(tags: list[str], terms: list[str], opts: YouTubeOptions) -> str:
    """`#a|#b GlowLab|"Glow Lab"` (YouTube's OR is `|`); the brand part is dropped if too long."""
    tag_part = "|".join(f"#{t}" for t in tags)
    if terms:
        brand_part = "|".join(f'"{t}"' if " " in t else t for t in terms)
        text = f"{tag_part} {brand_part}"
        if len(text) <= opts.max_query_length:
            return text
    return tag_part


def rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _reason(body: Any) -> tuple[str | None, str]:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    message = error.get("message") if isinstance(error.get("message"), str) else ""
    errors = error.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else None
    reason = first.get("reason") if isinstance(first, dict) else None
    return (reason if isinstance(reason, str) else None), str(message)[:200]


def classify(response: httpx.Response, now: datetime) -> SourceError | RetryLater | None:
    """Google v1 errors by `reason`: quota stops until midnight Pacific, throttling retries."""
    if response.is_success:
        return None
    try:
        reason, message = _reason(response.json())
    except ValueError:
        return None
    if reason in QUOTA_REASONS:
        reset = next_pacific_midnight(now)
        return SourceQuotaError(
            f"youtube: daily quota exceeded ({reason}); resumes {reset.isoformat()}",
            resume_at=reset,
        )
    if reason in THROTTLE_REASONS:
        return RetryLater(SourceRateLimited(f"youtube: throttled ({reason})"))
    if reason in AUTH_REASONS or "API key not valid" in message:
        return SourceAuthError(f"youtube: the API key was refused ({reason}); check the key env")
    return None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _language(snippet: Mapping[str, Any]) -> str | None:
    raw = opt_str(snippet, "defaultAudioLanguage") or opt_str(snippet, "defaultLanguage")
    if raw is None:
        return None
    primary = raw.split("-")[0].casefold()
    return None if primary in ("zxx", "und", "") else primary


def map_video(raw: Any, channels: Mapping[str, Mapping[str, Any]]) -> Post:
    """One videos.list item (+ its channel from channels.list) as a Post."""
    video = obj(raw, "video")
    video_id = req_str(video, "id")
    snippet = obj(video.get("snippet"), "snippet")
    title = snippet.get("title")
    if not isinstance(title, str):
        raise MappingError("snippet.title: expected a string")
    description = opt_str(snippet, "description") or ""
    text = f"{title}\n{description}".strip()
    channel_id = opt_str(snippet, "channelId")
    channel = channels.get(channel_id or "", {})
    ch_snippet = _dict(channel.get("snippet"))
    ch_stats = _dict(channel.get("statistics"))
    handle = (opt_str(ch_snippet, "customUrl") or "").lstrip("@")
    handle = handle or opt_str(snippet, "channelTitle") or channel_id or "unknown"
    hidden = opt_bool(ch_stats, "hiddenSubscriberCount")
    stats = _dict(video.get("statistics"))
    return Post(
        source=PLATFORM,
        native_id=video_id,
        text=text,
        created_at=parse_time(snippet.get("publishedAt"), "publishedAt"),
        author=Author(
            handle=handle,
            followers=None if hidden else opt_int(ch_stats, "subscriberCount"),
            verified=None,
        ),
        metrics=Metrics(
            views=opt_int(stats, "viewCount"),
            likes=opt_int(stats, "likeCount"),
            comments=opt_int(stats, "commentCount"),
            shares=None,
        ),
        url=f"https://www.youtube.com/watch?v={video_id}",
        lang=_language(snippet),
        hashtags=unique(hashtags_in(text)),
    )


def _search_hits(body: Any) -> list[tuple[str, datetime | None]]:
    """(videoId, publishedAt) of each search result; bad hits are just left out."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise SourcePayloadError("youtube: search answer has no `items` list")
    hits: list[tuple[str, datetime | None]] = []
    for item in items:
        ident = item.get("id") if isinstance(item, dict) else None
        video_id = ident.get("videoId") if isinstance(ident, dict) else None
        if not isinstance(video_id, str) or not video_id:
            continue
        try:
            published = parse_time(_dict(item.get("snippet")).get("publishedAt"), "publishedAt")
        except MappingError:
            published = None
        hits.append((video_id, published))
    return hits


def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value, "cursor") if isinstance(value, str) else None
    except MappingError:
        return None


class YouTubeSource:
    """Source and BackfillSource over one search query."""

    def __init__(
        self,
        name: str,
        http: SourceHttp,
        opts: YouTubeOptions,
        query: str,
        key: str,
        post_filter: PostFilter,
    ) -> None:
        self.name = name
        self.query = query
        self._http = http
        self._opts = opts
        self._key = key
        self._filter = post_filter
        self.quota = DailyUnits(opts.daily_budget)

    def _verdict(self, response: httpx.Response) -> SourceError | RetryLater | None:
        verdict = classify(response, self._http.clock.now())
        if isinstance(verdict, SourceQuotaError):
            self.quota.spend(self.quota.left())  # nothing more today, also without a cursor
        return verdict

    async def _get(self, path: str, params: dict[str, str], units: int) -> Any:
        self.quota.spend(units)  # charged even when the call fails
        response = await self._http.request(
            "GET", path, params={**params, "key": self._key}, classify=self._verdict
        )
        return json_of(response, self.name)

    def _start(self, saved: Mapping[str, Any]) -> datetime:
        """Restore today's units and refuse a poll the budget cannot pay for."""
        now = self._http.clock.now()
        quota = saved.get("quota")
        self.quota.restore(pacific_day(now), quota if isinstance(quota, Mapping) else None)
        if not self.quota.fits(self._opts.search_cost + 2):
            reset = next_pacific_midnight(now)
            raise SourceQuotaError(
                f"{self.name}: {self.quota.used} of {self.quota.budget} YouTube units used "
                f"today; next poll after {reset.isoformat()}",
                resume_at=reset,
            )
        return now

    async def _page(
        self, window: dict[str, str], token: str | None, known: Mapping[str, Any]
    ) -> tuple[list[Post], list[SourceItemError], list[tuple[str, datetime | None]], str | None]:
        params = {
            "part": "snippet",
            "type": "video",
            "order": "date",
            "q": self.query,
            "maxResults": str(self._opts.max_results),
            **window,
        }
        if self._opts.region_code:
            params["regionCode"] = self._opts.region_code
        if self._opts.relevance_language:
            params["relevanceLanguage"] = self._opts.relevance_language
        if token:
            params["pageToken"] = token
        try:
            body = await self._get("/search", params, self._opts.search_cost)
        except SourceError as error:
            if type(error) is not SourceError or not token:
                raise
            params.pop("pageToken")  # a stale page token: walk the window again
            body = await self._get("/search", params, self._opts.search_cost)
        hits = _search_hits(body)
        fresh = list(dict.fromkeys(v for v, _ in hits if v not in known))
        posts: list[Post] = []
        skipped: list[SourceItemError] = []
        if fresh:
            videos = await self._get(
                "/videos", {"part": "snippet,statistics", "id": ",".join(fresh[:50])}, 1
            )
            items = videos.get("items") if isinstance(videos, dict) else None
            if not isinstance(items, list):
                raise SourcePayloadError(f"{self.name}: videos.list has no `items` list")
            channels = await self._channels(items)
            posts, skipped = map_items(
                items,
                lambda raw: map_video(raw, channels),
                lambda raw: item_id(raw, "id"),
                lambda post: self._filter.wants(post.text, post.hashtags),
            )
        next_token = body.get("nextPageToken") if isinstance(body, dict) else None
        token_out = next_token if isinstance(next_token, str) and next_token else None
        return posts, skipped, hits, token_out

    async def _channels(self, items: list[Any]) -> dict[str, Mapping[str, Any]]:
        ids: dict[str, None] = {}
        for item in items:
            snippet = item.get("snippet") if isinstance(item, dict) else None
            channel = snippet.get("channelId") if isinstance(snippet, dict) else None
            if isinstance(channel, str) and channel:
                ids.setdefault(channel, None)
        if not ids:
            return {}
        body = await self._get(
            "/channels", {"part": "snippet,statistics", "id": ",".join(list(ids)[:50])}, 1
        )
        found = body.get("items") if isinstance(body, dict) else None
        return {
            c["id"]: c
            for c in (found if isinstance(found, list) else [])
            if isinstance(c, dict) and isinstance(c.get("id"), str)
        }

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        saved = cursor or {}
        now = self._start(saved)
        after = _time(saved.get("published_after"))
        after = after or now - timedelta(hours=self._opts.lookback_hours)
        recent_raw = saved.get("recent")
        recent: dict[str, str] = dict(recent_raw) if isinstance(recent_raw, Mapping) else {}
        token = saved.get("page_token") if isinstance(saved.get("page_token"), str) else None
        window = {"publishedAfter": rfc3339(after)}
        posts, skipped, hits, next_token = await self._page(window, token, recent)
        newest = _time(saved.get("newest"))
        for video_id, published in hits:
            recent.setdefault(video_id, rfc3339(published or after))
            if published and (newest is None or published > newest):
                newest = published
        out: dict[str, Any] = {"quota": self.quota.snapshot()}
        if next_token:
            out |= {"published_after": rfc3339(after), "page_token": next_token, "recent": recent}
            if newest:
                out["newest"] = rfc3339(newest)
        else:
            margin = timedelta(minutes=self._opts.margin_minutes)
            moved = max(after, newest - margin) if newest else after
            keep = {k: v for k, v in recent.items() if (_time(v) or moved) >= moved}
            out |= {"published_after": rfc3339(moved), "recent": keep}
        return SourcePage(
            posts=posts,
            cursor=out,
            more=next_token is not None,
            skipped=skipped,
            quota_left=self.quota.left(),
        )

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """Walk `since`..`before` (fixed at the first call) back in time, page by page."""
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage(posts=[], cursor=dict(saved), quota_left=self.quota.left())
        now = self._start(saved)
        before = _time(saved.get("before")) or now
        token = saved.get("page_token") if isinstance(saved.get("page_token"), str) else None
        window = {"publishedAfter": rfc3339(since), "publishedBefore": rfc3339(before)}
        posts, skipped, _hits, next_token = await self._page(window, token, {})
        out: dict[str, Any] = {"before": rfc3339(before), "quota": self.quota.snapshot()}
        out |= {"page_token": next_token} if next_token else {"done": True}
        return SourcePage(
            posts=posts,
            cursor=out,
            more=next_token is not None,
            skipped=skipped,
            quota_left=self.quota.left(),
        )

    async def aclose(self) -> None:
        await self._http.aclose()
