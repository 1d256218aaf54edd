"""Bluesky: app.bsky.feed.searchPosts (sort=latest, since + cursor), one query per hashtag.

Why a time watermark: search has no since_id. Each poll asks for posts at or
after `since` (the newest post time seen, less a safety margin, because
`since` is matched against `sortAt`), walks the pages newest-first, and
dedupes the overlap by `uri`. The session is created once and refreshed with
`refreshJwt` on ExpiredToken (createSession is limited to 30 per 5 minutes).

Cursor: `{"turn": i, "tags": {"<tag>": {"since": iso, "seen": [uris], "page"?: str,
"high"?: iso}}}`; `page`/`high` exist only while a walk is under way.
History cursor: `{"until": iso (fixed at the first call), "tag": i, "page"?: str}`, each tag
searched from `since` to `until` in turn, then `{"done": true}`. Search "may not allow
scrolling through the entire result set": a walk ends where the cursor does.
Cannot give: views (none), edited and deleted (records are not edited in the
app model; deleted posts drop out). Followers need app.bsky.actor.getProfiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import Field

from adapters.sources.base import item_id, make_http, map_items
from adapters.sources.bluesky_map import map_post_view, post_time
from adapters.sources.context import SourceContext
from adapters.sources.fields import parse_time
from adapters.sources.http import RetryLater, SourceHttp, json_of
from adapters.sources.options import (
    StrictOptions,
    missing_secrets,
    option_messages,
    parse_options,
    secret_value,
)
from adapters.sources.query import PostFilter
from bot.config import Environment, SourceConfig
from bot.models import Post
from bot.ports import (
    MappingError,
    SourceAuthError,
    SourceError,
    SourceItemError,
    SourcePage,
    SourcePayloadError,
)

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
PROFILES = "/xrpc/app.bsky.actor.getProfiles"
CREATE = "/xrpc/com.atproto.server.createSession"
REFRESH = "/xrpc/com.atproto.server.refreshSession"
SEEN_KEEP = 1000
PROFILE_BATCH = 25

# Post.source is the platform, so a post seen twice (two configured sources, a
# scraper, a webhook) is one post: identity is (platform, native id).
PLATFORM = "bluesky"


class BlueskyOptions(StrictOptions):
    service: str = Field("https://bsky.social", pattern=r"^https?://", description="your PDS")
    handle: str | None = Field(None, description="or the BLUESKY_HANDLE secret")
    password_env: str = "BLUESKY_APP_PASSWORD"  # noqa: S105 (a variable name, not a secret)
    limit: int = Field(100, ge=1, le=100)
    lang: str | None = Field(None, pattern=r"^[a-z]{2,3}$")
    margin_minutes: int = Field(10, ge=0, le=1440)
    first_lookback_minutes: int = Field(60, ge=1, le=10080)
    match_brands: bool = True


class _ExpiredToken(SourceAuthError):
    """The access token ran out; refresh and try again."""


def _expired(response: httpx.Response) -> SourceError | RetryLater | None:
    """ExpiredToken comes as 401 from the AppView and as 400 from a PDS."""
    if response.status_code in (400, 401):
        try:
            body = response.json()
        except ValueError:
            return None
        if isinstance(body, dict) and body.get("error") == "ExpiredToken":
            return _ExpiredToken("bluesky: access token expired")
    return None


def _handle(opts: BlueskyOptions, env: Environment) -> str | None:
    return opts.handle or secret_value(env, "BLUESKY_HANDLE")


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, BlueskyOptions)
    if problems:
        return problems
    opts = BlueskyOptions.model_validate(cfg.options)
    if not _handle(opts, env):
        problems.append(f"sources.{cfg.name}.options.handle: required (or set BLUESKY_HANDLE)")
    return problems + missing_secrets(cfg, env, [opts.password_env])


def build(cfg: SourceConfig, ctx: SourceContext) -> BlueskySource:
    opts = parse_options(cfg, BlueskyOptions)
    post_filter = PostFilter(
        cfg.hashtags or ctx.hashtags, ctx.brands, require_brand=opts.match_brands
    )
    http = make_http(ctx, cfg.name, opts.service.rstrip("/"))
    login = (_handle(opts, ctx.env) or "", secret_value(ctx.env, opts.password_env) or "")
    return BlueskySource(cfg.name, http, opts, post_filter, login)


class BlueskySource:
    """Source and BackfillSource: one page of one hashtag's search per fetch, tags in turn."""

    def __init__(
        self,
        name: str,
        http: SourceHttp,
        opts: BlueskyOptions,
        post_filter: PostFilter,
        login: tuple[str, str],
    ) -> None:
        self.name = name
        self._http = http
        self._opts = opts
        self._filter = post_filter
        self._login = login
        self._access: str | None = None
        self._refresh: str | None = None
        self._followers: dict[str, int | None] = {}

    async def _session(self, path: str, **kwargs: Any) -> None:
        body = json_of(await self._http.request("POST", path, **kwargs), self.name)
        access = body.get("accessJwt") if isinstance(body, dict) else None
        refresh = body.get("refreshJwt") if isinstance(body, dict) else None
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise SourceAuthError(f"{self.name}: the session answer had no tokens")
        self._access, self._refresh = access, refresh

    async def _log_in(self) -> None:
        identifier, password = self._login
        await self._session(CREATE, json={"identifier": identifier, "password": password})

    async def _renew(self) -> None:
        """refreshSession with the refresh token; a fresh login if that is refused too."""
        if self._refresh:
            try:
                await self._session(
                    REFRESH, headers={"Authorization": f"Bearer {self._refresh}"}, classify=_expired
                )
                return
            except SourceAuthError:
                pass
        await self._log_in()

    async def _get(self, path: str, params: Any) -> Any:
        if self._access is None:
            await self._log_in()
        for attempt in range(2):
            headers = {"Authorization": f"Bearer {self._access}"}
            try:
                return await self._http.get_json(
                    path, params=params, headers=headers, classify=_expired
                )
            except _ExpiredToken:
                if attempt:
                    raise
                await self._renew()
        raise AssertionError("unreachable")

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        tags = self._filter.tags
        cursor = cursor or {}
        raw_turn = cursor.get("turn")
        turn = raw_turn if isinstance(raw_turn, int) and 0 <= raw_turn < len(tags) else 0
        states_raw = cursor.get("tags")
        states: dict[str, Any] = dict(states_raw) if isinstance(states_raw, Mapping) else {}
        tag = tags[turn]
        state = states.get(tag)
        new_state, page = await self._page(tag, dict(state) if isinstance(state, Mapping) else {})
        states = {t: states[t] for t in tags if t in states}
        states[tag] = new_state
        walking = "page" in new_state
        next_turn = turn if walking else turn + 1
        more = walking or next_turn < len(tags)
        return SourcePage(
            posts=page[0],
            cursor={"turn": next_turn % len(tags), "tags": states},
            more=more,
            skipped=page[1],
            quota_left=self._http.quota_left,
        )

    async def _page(self, tag: str, state: dict[str, Any]) -> tuple[dict[str, Any], Any]:
        now = self._http.clock.now()
        since = state.get("since")
        if not isinstance(since, str):
            since = (now - timedelta(minutes=self._opts.first_lookback_minutes)).isoformat()
        seen = [u for u in state.get("seen", []) if isinstance(u, str)]
        params: dict[str, str] = {
            "q": f"#{tag}",
            "sort": "latest",
            "since": since,
            "limit": str(self._opts.limit),
        }
        if self._opts.lang:
            params["lang"] = self._opts.lang
        if isinstance(state.get("page"), str):
            params["cursor"] = state["page"]
        items, page_cursor = await self._search(params)
        known = set(seen)
        posts, skipped = await self._posts([p for p in items if item_id(p, "uri") not in known])
        high = _latest(state.get("high"), [post_time(p) for p in items])
        uris = [u for u in (item_id(p, "uri") for p in items) if u]
        if page_cursor and items:
            new_state = {"since": since, "seen": uris + seen, "page": page_cursor}
            if high:
                new_state["high"] = high
            return new_state, (posts, skipped)
        new_since = since
        if high:
            margin = timedelta(minutes=self._opts.margin_minutes)
            new_since = max(since, (parse_time(high, "high") - margin).isoformat())
        return {"since": new_since, "seen": (uris + seen)[:SEEN_KEEP]}, (posts, skipped)

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """One page of one tag's search in [since, until), tags walked one after the other."""
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage(posts=[], cursor=dict(saved), quota_left=self._http.quota_left)
        tags = self._filter.tags
        until = saved.get("until")
        until = until if isinstance(until, str) else self._http.clock.now().isoformat()
        turn = saved.get("tag")
        turn = turn if isinstance(turn, int) and 0 <= turn < len(tags) else 0
        params: dict[str, str] = {
            "q": f"#{tags[turn]}",
            "sort": "latest",
            "since": since.isoformat(),
            "until": until,
            "limit": str(self._opts.limit),
        }
        if self._opts.lang:
            params["lang"] = self._opts.lang
        if isinstance(saved.get("page"), str):
            params["cursor"] = saved["page"]
        items, page_cursor = await self._search(params)
        posts, skipped = await self._posts(items)
        out: dict[str, Any] = {"done": True}
        if page_cursor and items:
            out = {"until": until, "tag": turn, "page": page_cursor}
        elif turn + 1 < len(tags):
            out = {"until": until, "tag": turn + 1}
        return SourcePage(
            posts=posts,
            cursor=out,
            more="done" not in out,
            skipped=skipped,
            quota_left=self._http.quota_left,
        )

    async def _search(self, params: dict[str, str]) -> tuple[list[Any], str | None]:
        """One searchPosts page: its posts and the cursor to the next (None at the end)."""
        body = await self._get(SEARCH, params)
        items = body.get("posts") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise SourcePayloadError(f"{self.name}: searchPosts answer has no `posts` list")
        page_cursor = body.get("cursor")
        return items, page_cursor if isinstance(page_cursor, str) and page_cursor else None

    async def _posts(self, items: list[Any]) -> tuple[list[Post], list[SourceItemError]]:
        await self._lookup_followers(items)
        return map_items(
            items,
            lambda raw: map_post_view(PLATFORM, raw, self._followers),
            lambda raw: item_id(raw, "uri"),
            lambda post: self._filter.wants(post.text, post.hashtags),
        )

    async def _lookup_followers(self, items: list[Any]) -> None:
        """followersCount for new authors, batched 25 per getProfiles call."""
        dids: list[str] = []
        for item in items:
            author = item.get("author") if isinstance(item, dict) else None
            did = author.get("did") if isinstance(author, dict) else None
            if isinstance(did, str) and did not in self._followers and did not in dids:
                dids.append(did)
        if len(self._followers) > 20000:
            self._followers.clear()
        for start in range(0, len(dids), PROFILE_BATCH):
            batch = dids[start : start + PROFILE_BATCH]
            try:
                body = await self._get(PROFILES, [("actors", d) for d in batch])
            except (SourceError, MappingError):
                continue  # followers stay unknown; the posts still go through
            profiles = body.get("profiles") if isinstance(body, dict) else None
            for profile in profiles if isinstance(profiles, list) else []:
                if isinstance(profile, dict) and isinstance(profile.get("did"), str):
                    count = profile.get("followersCount")
                    self._followers[profile["did"]] = count if isinstance(count, int) else None

    async def aclose(self) -> None:
        await self._http.aclose()


def _latest(current: Any, times: list[str | None]) -> str | None:
    """The latest ISO time among the stored `high` and the page's post times."""
    best = None
    for value in [current, *times]:
        if not isinstance(value, str):
            continue
        try:
            parsed = parse_time(value, "time")
        except MappingError:
            continue
        if best is None or parsed > best:
            best = parsed
    return best.isoformat() if best else None
