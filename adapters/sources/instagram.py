"""Instagram Graph API hashtag search: ig_hashtag_search once per tag, then recent_media.

Why the cursor carries a hashtag ledger: Instagram allows 30 unique hashtags
per IG user in a rolling 7 days (a recent_media call counts). The ids of
searched hashtags are cached for good (they are global and static), and the
last query time of each tag is kept; a tag that would be the 31st is refused
(logged; if no tag is left the poll raises SourceQuotaError until the oldest
entry frees up). recent_media only covers the last 24 hours, so every poll
walks each tag again; posts seen again only refresh their metrics.

The post id is the permalink's shortcode (`/p/<code>/`), not the Graph media
id: the Apify Instagram shape maps to the same id, so a post seen both ways
is one post. (When a permalink is missing the Graph id is used.)

Cursor: `{"hashtag_ids": {tag: id}, "used": {tag: RFC3339 last query},
"tag": tag being walked, "next": {query params of paging.next, no token}}`.
Cannot give: author handle (`username` cannot be requested; posts are
attributed to "unknown"), followers, verified, language, views, shares,
edit markers (captions change silently), deletes (just disappear).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import Field

from adapters.sources.base import item_id, make_http, map_items
from adapters.sources.context import SourceContext
from adapters.sources.fields import hashtags_in, obj, opt_int, opt_str, parse_time, req_str, unique
from adapters.sources.http import RetryLater, SourceHttp, json_of
from adapters.sources.options import (
    StrictOptions,
    missing_secrets,
    option_messages,
    parse_options,
    secret_value,
)
from adapters.sources.query import PostFilter, normalise_tags
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

log = logging.getLogger(__name__)

PLATFORM = "instagram"
MEDIA_FIELDS = "id,caption,media_type,permalink,timestamp,like_count,comments_count"
RATE_CODES = frozenset({4, 17, 32, 613})
AUTH_CODES = frozenset({10, 102, 190, 200})
SHORTCODE = re.compile(r"instagram\.com/(?:[\w.]+/)?(?:p|reel|reels|tv)/([\w-]+)")


class InstagramOptions(StrictOptions):
    base_url: str = Field("https://graph.facebook.com/v21.0", pattern=r"^https?://")
    token_env: str = "INSTAGRAM_ACCESS_TOKEN"  # noqa: S105 (a variable name)
    user_id: str = Field(pattern=r"^\d+$", description="the IG Business/Creator account id")
    limit: int = Field(50, ge=1, le=50)
    hashtag_budget: int = Field(30, ge=1, le=30)
    budget_days: int = Field(7, ge=1, le=30)
    match_brands: bool = True


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, InstagramOptions)
    if problems:
        return problems
    return missing_secrets(cfg, env, [InstagramOptions.model_validate(cfg.options).token_env])


def build(cfg: SourceConfig, ctx: SourceContext) -> InstagramSource:
    opts = parse_options(cfg, InstagramOptions)
    http = make_http(ctx, cfg.name, opts.base_url.rstrip("/"))
    http.set_bearer(secret_value(ctx.env, opts.token_env))
    tags = normalise_tags(cfg.hashtags or ctx.hashtags)
    post_filter = PostFilter(tags, ctx.brands, require_brand=opts.match_brands)
    return InstagramSource(cfg.name, http, opts, post_filter)


def _buc_minutes(response: httpx.Response) -> float | None:
    """`estimated_time_to_regain_access` (minutes) from X-Business-Use-Case-Usage."""
    raw = response.headers.get("x-business-use-case-usage")
    try:
        usage = json.loads(raw) if raw else None
    except ValueError:
        return None
    best: float | None = None
    for entries in usage.values() if isinstance(usage, dict) else []:
        for entry in entries if isinstance(entries, list) else []:
            value = (
                entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else None
            )
            if isinstance(value, int | float) and value > 0:
                best = max(best or 0.0, float(value))
    return best


def classify(response: httpx.Response, now: datetime) -> SourceError | RetryLater | None:
    """Graph errors by `error.code`, whatever the HTTP status (usually 400)."""
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    said = f"instagram: ({code}) {str(error.get('message') or '')[:160]}"
    minutes = _buc_minutes(response)
    if code == 80002:  # Instagram BUC: stop until access is regained
        return SourceRateLimited(said, resume_at=now + timedelta(minutes=minutes or 60))
    if code in RATE_CODES:
        if minutes:
            return SourceRateLimited(said, resume_at=now + timedelta(minutes=minutes))
        return RetryLater(SourceRateLimited(said))
    if code in AUTH_CODES:
        return SourceAuthError(f"{said}; renew the access token")
    if error.get("is_transient") is True:
        return RetryLater(SourceError(said))
    return SourceError(said)


def shortcode(permalink: str | None) -> str | None:
    match = SHORTCODE.search(permalink or "")
    return match.group(1) if match else None


def map_media(raw: Any) -> Post:
    """One recent_media item as a Post (no author: the API will not say who posted)."""
    media = obj(raw, "media")
    graph_id = req_str(media, "id")
    permalink = opt_str(media, "permalink")
    caption = media.get("caption")
    if caption is not None and not isinstance(caption, str):
        raise MappingError("caption: expected text")
    text = caption or ""
    return Post(
        source=PLATFORM,
        native_id=shortcode(permalink) or graph_id,
        text=text,
        created_at=parse_time(media.get("timestamp"), "timestamp"),
        author=Author(handle="unknown"),
        metrics=Metrics(
            likes=opt_int(media, "like_count"), comments=opt_int(media, "comments_count")
        ),
        url=permalink,
        hashtags=unique(hashtags_in(text)),
    )


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()


def _next_params(body: Mapping[str, Any]) -> dict[str, str] | None:
    """paging.next as query params, without the token (cursors are stored in the database)."""
    paging = body.get("paging")
    url = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(url, str) or not url:
        return None
    try:
        params = httpx.URL(url).params
    except (httpx.InvalidURL, ValueError):
        return None
    return {k: v for k, v in params.items() if k != "access_token"}


class InstagramSource:
    """Source protocol over the tracked hashtags' recent media."""

    def __init__(
        self, name: str, http: SourceHttp, opts: InstagramOptions, post_filter: PostFilter
    ) -> None:
        self.name = name
        self._http = http
        self._opts = opts
        self._filter = post_filter

    def _verdict(self, response: httpx.Response) -> SourceError | RetryLater | None:
        return classify(response, self._http.clock.now())

    async def _get(self, path: str, params: Mapping[str, str]) -> Mapping[str, Any]:
        response = await self._http.request("GET", path, params=params, classify=self._verdict)
        body = json_of(response, self.name)
        if not isinstance(body, dict):
            raise SourcePayloadError(f"{self.name}: expected a JSON object")
        return body

    def allowed_tags(self, used: dict[str, str], now: datetime) -> list[str]:
        """Tracked tags the 7-day budget lets us query now; prunes `used` in place."""
        window = timedelta(days=self._opts.budget_days)
        for tag, when in list(used.items()):
            try:
                last = parse_time(when, "used")
            except MappingError:
                last = now - window
            if now - last >= window:
                del used[tag]
        allowed: list[str] = []
        for tag in self._filter.tags:
            if tag in used or len(set(used) | set(allowed)) < self._opts.hashtag_budget:
                allowed.append(tag)
            else:
                log.warning(
                    "%s: not querying #%s: %d unique hashtags already used in %d days",
                    self.name,
                    tag,
                    self._opts.hashtag_budget,
                    self._opts.budget_days,
                )
        if not allowed:
            oldest = min((parse_time(v, "used") for v in used.values()), default=now)
            raise SourceQuotaError(
                f"{self.name}: the {self._opts.hashtag_budget}-hashtag budget per "
                f"{self._opts.budget_days} days is used up",
                resume_at=oldest + window,
            )
        return allowed

    async def _hashtag_id(self, tag: str, ids: dict[str, str]) -> str:
        if tag not in ids:
            body = await self._get("/ig_hashtag_search", {"user_id": self._opts.user_id, "q": tag})
            data = body.get("data")
            first = data[0] if isinstance(data, list) and data else None
            found = first.get("id") if isinstance(first, dict) else None
            if not isinstance(found, str) or not found:
                raise SourceError(f"{self.name}: Instagram knows no hashtag #{tag}")
            ids[tag] = found
        return ids[tag]

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        saved = cursor or {}
        now = self._http.clock.now()
        ids = {k: v for k, v in _map(saved.get("hashtag_ids")).items() if isinstance(v, str)}
        used = {k: v for k, v in _map(saved.get("used")).items() if isinstance(v, str)}
        tags = self.allowed_tags(used, now)
        tag = saved.get("tag") if saved.get("tag") in tags else tags[0]
        resume = _map(saved.get("next")) if saved.get("tag") == tag else {}
        skipped: list[SourceItemError] = []
        try:
            hashtag_id = await self._hashtag_id(str(tag), ids)
            used[str(tag)] = _iso(now)
            params = {"user_id": self._opts.user_id, "fields": MEDIA_FIELDS}
            params |= {k: str(v) for k, v in resume.items() if k not in ("user_id", "fields")}
            params["limit"] = str(self._opts.limit)
            body = await self._get(f"/{hashtag_id}/recent_media", params)
        except SourceError as error:
            if type(error) is not SourceError:
                raise
            # A sensitive or unknown hashtag: report it, go on with the next tag.
            skipped.append(SourceItemError(f"#{tag}", str(error)))
            body = {"data": []}
        data = body.get("data", [])
        if not isinstance(data, list):
            raise SourcePayloadError(f"{self.name}: `data` is not a list")
        posts, bad = map_items(
            data,
            map_media,
            lambda raw: item_id(raw, "id"),
            lambda post: self._filter.wants(post.text, post.hashtags),
        )
        out: dict[str, Any] = {"hashtag_ids": ids, "used": used}
        following = _next_params(body)
        if following and resume and following.get("after") == resume.get("after"):
            following = None  # the same `after` again: this tag is walked to its end
        later = tags[tags.index(str(tag)) + 1 :]
        if following:
            out |= {"tag": tag, "next": following}
        elif later:
            out["tag"] = later[0]
        return SourcePage(
            posts=posts,
            cursor=out,
            more=bool(following or later),
            skipped=skipped + bad,
        )

    async def aclose(self) -> None:
        await self._http.aclose()


def _map(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}
