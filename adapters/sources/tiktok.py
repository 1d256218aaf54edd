"""TikTok Research API: video query by hashtag (+ brand keywords) over whole UTC days.

Why re-query days: the API filters by date only (`start_date`/`end_date`,
YYYYMMDD, UTC, at most 30 days) and its index lags, so every poll searches
the last `lookback_days` days again and walks `search_id` + `cursor` to the
end. Videos seen again only refresh their metrics in the core. Errors come
in the body: `error.code` is checked whatever the HTTP status;
`daily_quota_limit_exceeded` pauses the source until 00:00 UTC.
Access is granted to approved researchers only: a commercial bot is very
likely not eligible (see the README), so Apify's TikTok shape is the fallback.

Cursor between polls: `{"polled": "YYYYMMDD"}`; while walking a search:
`{"start", "end", "search_id", "cursor"}` (a restart resumes that search).
History cursor: the same walk keys over 30-day windows from `since`, then `{"done": true}`.

Cannot give: language (`region_code` is the account's region), edits (no
marker), deleted (deleted/private videos are just left out). Followers and
verified need one user-info call per author (cached in memory for
`user_cache_hours`, at most `max_user_lookups` per page; all count towards
the 1000 requests/day).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
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
    str_list,
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
from adapters.sources.quota import next_utc_midnight
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
    SourceUnavailable,
)

PLATFORM = "tiktok"
TOKEN_PATH = "/v2/oauth/token/"  # noqa: S105 (a URL path)
QUERY_PATH = "/v2/research/video/query/"
USER_PATH = "/v2/research/user/info/"
VIDEO_FIELDS = (
    "id,video_description,voice_to_text,create_time,region_code,username,"
    "like_count,comment_count,share_count,view_count,hashtag_names"
)
USER_FIELDS = "display_name,follower_count,is_verified"
MAX_WINDOW_DAYS = 30


class TikTokOptions(StrictOptions):
    base_url: str = Field("https://open.tiktokapis.com", pattern=r"^https?://")
    client_key_env: str = "TIKTOK_CLIENT_KEY"
    client_secret_env: str = "TIKTOK_CLIENT_SECRET"  # noqa: S105 (a variable name)
    max_count: int = Field(100, ge=1, le=100)
    lookback_days: int = Field(2, ge=1, le=MAX_WINDOW_DAYS)
    region_codes: list[str] = Field(default_factory=list)
    match_brands: bool = True
    user_info: bool = True
    max_user_lookups: int = Field(20, ge=0, le=100)
    user_cache_hours: int = Field(24, ge=1, le=24 * 30)


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, TikTokOptions)
    if problems:
        return problems
    opts = TikTokOptions.model_validate(cfg.options)
    return missing_secrets(cfg, env, [opts.client_key_env, opts.client_secret_env])


def build(cfg: SourceConfig, ctx: SourceContext) -> TikTokSource:
    opts = parse_options(cfg, TikTokOptions)
    tags = normalise_tags(cfg.hashtags or ctx.hashtags)
    terms = brand_terms(ctx.brands) if opts.match_brands else []
    credentials = (
        secret_value(ctx.env, opts.client_key_env) or "",
        secret_value(ctx.env, opts.client_secret_env) or "",
    )
    http = make_http(ctx, cfg.name, opts.base_url.rstrip("/"))
    post_filter = PostFilter(tags, ctx.brands, require_brand=opts.match_brands)
    return TikTokSource(cfg.name, http, opts, credentials, query_of(tags, terms, opts), post_filter)


def query_of(tags: list[str], terms: list[str], opts: TikTokOptions) -> dict[str, Any]:
    """hashtag_name IN tags AND (keyword IN brand terms) AND (region_code IN regions)."""
    conditions: list[dict[str, Any]] = [
        {"operation": "IN", "field_name": "hashtag_name", "field_values": tags}
    ]
    if terms:
        words = [t.lstrip("#@") for t in terms]
        conditions.append({"operation": "IN", "field_name": "keyword", "field_values": words})
    if opts.region_codes:
        conditions.append(
            {"operation": "IN", "field_name": "region_code", "field_values": opts.region_codes}
        )
    return {"and": conditions}


class _TokenInvalid(SourceAuthError):
    """The cached client token was refused: fetch a new one once."""


class _SearchExpired(SourceError):
    """The stored search_id expired: start the same query again."""


def classify(response: httpx.Response, now: datetime) -> SourceError | RetryLater | None:
    """TikTok's `error.code` decides, even on HTTP 200; `ok` falls through to status rules."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str):  # the OAuth endpoint's flat shape
        return SourceAuthError(f"tiktok: token request refused ({error[:60]})")
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    message = str(error.get("message") or "")[:200]
    if code in (None, "ok"):
        return None
    said = f"tiktok: {code}: {message}".rstrip(": ")
    if code == "daily_quota_limit_exceeded":
        return SourceQuotaError(said, resume_at=next_utc_midnight(now))
    if code == "rate_limit_exceeded":
        return RetryLater(SourceRateLimited(said))
    if code == "access_token_invalid":
        return _TokenInvalid(said)
    if code in ("scope_not_authorized", "scope_permission_missed", "unauthorized"):
        return SourceAuthError(said)
    if code == "internal_error":
        return RetryLater(SourceUnavailable(said))
    if "search" in message.casefold() and "expired" in message.casefold():
        return _SearchExpired(said)
    return SourceError(said)


def video_id(video: Mapping[str, Any]) -> str:
    """The id is an int64 JSON number (> 2^53: Python's json keeps it exact)."""
    raw = video.get("id")
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return str(raw)
    if isinstance(raw, str) and raw.isdigit():
        return raw
    raise MappingError("id: expected a numeric video id")


def map_video(raw: Any, users: Mapping[str, Mapping[str, Any]]) -> Post:
    """One research video (+ the author's cached user info) as a Post."""
    video = obj(raw, "video")
    native_id = video_id(video)
    description = video.get("video_description")
    if description is not None and not isinstance(description, str):
        raise MappingError("video_description: expected text")
    voice = opt_str(video, "voice_to_text")
    text = "\n".join(p for p in (description, voice) if p)
    username = opt_str(video, "username")
    user = users.get(username or "", {})
    create_time = video.get("create_time")
    if not isinstance(create_time, int | float) or isinstance(create_time, bool):
        raise MappingError("create_time: expected unix seconds")
    return Post(
        source=PLATFORM,
        native_id=native_id,
        text=text,
        created_at=parse_time(create_time, "create_time"),
        author=Author(
            handle=username or "unknown",
            followers=opt_int(user, "follower_count"),
            verified=opt_bool(user, "is_verified"),
        ),
        metrics=Metrics(
            views=opt_int(video, "view_count"),
            likes=opt_int(video, "like_count"),
            comments=opt_int(video, "comment_count"),
            shares=opt_int(video, "share_count"),
        ),
        url=f"https://www.tiktok.com/@{username}/video/{native_id}" if username else None,
        lang=None,
        hashtags=unique(str_list(video.get("hashtag_names")) + hashtags_in(text)),
    )


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def parse_ymd(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 8 or not value.isdigit():
        return None
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


class TikTokSource:
    """Source and BackfillSource over one research query."""

    def __init__(
        self,
        name: str,
        http: SourceHttp,
        opts: TikTokOptions,
        credentials: tuple[str, str],
        query: dict[str, Any],
        post_filter: PostFilter,
    ) -> None:
        self.name = name
        self.query = query
        self._http = http
        self._opts = opts
        self._credentials = credentials
        self._filter = post_filter
        self._token_expires: datetime | None = None
        self._users: dict[str, tuple[datetime, Mapping[str, Any]]] = {}
        self._walk_seen: set[str] = set()  # ids handed over during the current search walk

    def _verdict(self, response: httpx.Response) -> SourceError | RetryLater | None:
        return classify(response, self._http.clock.now())

    async def _ensure_token(self) -> None:
        """Client-credentials token, cached until a minute before it expires."""
        now = self._http.clock.now()
        if self._token_expires is not None and now < self._token_expires:
            return
        key, secret = self._credentials
        form = {"client_key": key, "client_secret": secret, "grant_type": "client_credentials"}
        self._http.set_bearer(None)
        response = await self._http.request("POST", TOKEN_PATH, data=form, classify=self._verdict)
        body = json_of(response, self.name)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise SourceAuthError(f"{self.name}: the token answer holds no access_token")
        expires = body.get("expires_in")
        seconds = expires if isinstance(expires, int) and expires > 0 else 3600
        self._http.set_bearer(token)
        self._token_expires = now + timedelta(seconds=max(seconds - 60, 1))

    async def _post(self, path: str, fields: str, payload: dict[str, Any]) -> Mapping[str, Any]:
        """POST with the token; one fresh token when TikTok says it is invalid."""
        for attempt in (1, 2):
            await self._ensure_token()
            try:
                response = await self._http.request(
                    "POST", path, params={"fields": fields}, json=payload, classify=self._verdict
                )
            except _TokenInvalid:
                self._token_expires = None
                if attempt == 2:
                    raise
                continue
            body = json_of(response, self.name)
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict):
                raise SourcePayloadError(f"{self.name}: the answer has no `data` object")
            return data
        raise AssertionError("unreachable")

    async def _user_info(self, videos: list[Any]) -> dict[str, Mapping[str, Any]]:
        now = self._http.clock.now()
        ttl = timedelta(hours=self._opts.user_cache_hours)
        names = {v.get("username") for v in videos if isinstance(v, dict)}
        wanted = [n for n in names if isinstance(n, str) and n]
        lookups = 0
        for username in sorted(wanted):
            cached = self._users.get(username)
            if cached and now - cached[0] < ttl:
                continue
            if not self._opts.user_info or lookups >= self._opts.max_user_lookups:
                break
            lookups += 1
            try:
                info = await self._post(USER_PATH, USER_FIELDS, {"username": username})
            except SourceError as error:
                if type(error) is not SourceError:
                    raise
                info = {}  # a private or gone account: no follower count
            self._users[username] = (now, info)
        return {n: self._users[n][1] for n in wanted if n in self._users}

    async def _walk(
        self, start: date, end: date, search_id: str | None, position: int | None
    ) -> tuple[list[Post], list[SourceItemError], dict[str, Any] | None]:
        """One page of a search; the third value is the walk state if more pages wait."""
        payload: dict[str, Any] = {
            "query": self.query,
            "start_date": ymd(start),
            "end_date": ymd(end),
            "max_count": self._opts.max_count,
        }
        if search_id and position is not None:
            payload |= {"search_id": search_id, "cursor": position}
        else:
            self._walk_seen = set()
        try:
            data = await self._post(QUERY_PATH, VIDEO_FIELDS, payload)
        except _SearchExpired:
            payload.pop("search_id", None)
            payload.pop("cursor", None)
            self._walk_seen = set()
            data = await self._post(QUERY_PATH, VIDEO_FIELDS, payload)
        videos = data.get("videos", [])
        if not isinstance(videos, list):
            raise SourcePayloadError(f"{self.name}: `data.videos` is not a list")
        users = await self._user_info(videos)
        posts, skipped = map_items(
            videos,
            lambda raw: map_video(raw, users),
            lambda raw: item_id(raw, "id"),
            lambda post: self._filter.wants(post.text, post.hashtags),
        )
        fresh = {p.native_id: p for p in posts if p.native_id not in self._walk_seen}
        self._walk_seen.update(fresh)
        posts = list(fresh.values())  # repeats inside one page or one walk are dropped
        next_search = data.get("search_id")
        next_position = opt_int(data, "cursor")
        if data.get("has_more") is True and isinstance(next_search, str) and next_position:
            state = {"start": ymd(start), "end": ymd(end), "search_id": next_search}
            return posts, skipped, state | {"cursor": next_position}
        return posts, skipped, None

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        saved = cursor or {}
        today = self._http.clock.now().date()
        start, end = parse_ymd(saved.get("start")), parse_ymd(saved.get("end"))
        search_id = saved.get("search_id") if isinstance(saved.get("search_id"), str) else None
        if start is None or end is None or search_id is None:
            start, end = today - timedelta(days=self._opts.lookback_days - 1), today
            search_id = None
        position = opt_int(saved, "cursor")
        posts, skipped, walking = await self._walk(start, end, search_id, position)
        return SourcePage(
            posts=posts,
            cursor=walking or {"polled": ymd(end)},
            more=walking is not None,
            skipped=skipped,
        )

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """30-day windows from `since` up to today, each walked to its end."""
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage(posts=[], cursor=dict(saved))
        today = self._http.clock.now().date()
        start = parse_ymd(saved.get("start")) or since.date()
        end = parse_ymd(saved.get("end")) or min(start + timedelta(days=MAX_WINDOW_DAYS - 1), today)
        search_id = saved.get("search_id") if isinstance(saved.get("search_id"), str) else None
        posts, skipped, walking = await self._walk(start, end, search_id, opt_int(saved, "cursor"))
        posts = [p for p in posts if p.created_at >= since]
        if walking is None and end < today:
            walking = {"start": ymd(end + timedelta(days=1))}
        return SourcePage(
            posts=posts,
            cursor=walking or {"done": True},
            more=walking is not None,
            skipped=skipped,
        )

    async def aclose(self) -> None:
        await self._http.aclose()
