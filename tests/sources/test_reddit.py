"""Reddit OAuth search: token handling, stop-set paging, x-ratelimit-* headers."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.sources.reddit import RedditSource, build, check, map_link
from bot.config import Environment
from bot.ports import SourceAuthError, SourceRateLimited
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond

TOKEN_PATH = "/api/v1/access_token"
RATE = {"x-ratelimit-used": "3", "x-ratelimit-remaining": "997.0", "x-ratelimit-reset": "247"}


def _paged(request: httpx.Request) -> httpx.Response:
    name = "search_page2.json" if request.url.params.get("after") else "search_page1.json"
    return respond(200, fixture("reddit", name), RATE)


def _api(search: Any = _paged) -> FakeApi:
    api = FakeApi().add("POST", TOKEN_PATH, respond(200, fixture("reddit", "token.json")))
    api.add("GET", "/search", search)
    api.add("GET", "/user/serum_sceptic/about", respond(200, fixture("reddit", "user_about.json")))
    return api


def _source(make_ctx: MakeCtx, api: FakeApi, **options: Any) -> RedditSource:
    cfg = source_config(
        "reddit",
        "reddit",
        base_url="https://oauth.reddit.test",
        token_url="https://www.reddit.test/api/v1/access_token",
        client_id="app-id-123",
        contact="deinfluence_bot",
        **options,
    )
    return build(cfg, make_ctx(api.transport))


def test_maps_link_deleted_and_edited() -> None:
    children = fixture("reddit", "search_page1.json")["data"]["children"]
    post = map_link("reddit", children[0], {"serum_sceptic": 1830})
    assert post.native_id == "t3_1fgk9a5"
    assert post.text.startswith(
        "Deinfluencing the GlowLab vitamin C serum\nIt oxidised in 10 days &"
    )
    assert post.created_at == datetime.fromtimestamp(1789375200, UTC)
    assert post.author.handle == "serum_sceptic"
    assert post.author.followers == 1830
    assert post.author.verified is None
    assert (post.metrics.likes, post.metrics.comments, post.metrics.shares) == (412, 88, 2)
    assert post.metrics.views is None
    assert post.lang is None
    assert post.url == (
        "https://www.reddit.com/r/SkincareAddiction/comments/1fgk9a5/"
        "deinfluencing_the_glowlab_vita/"
    )
    assert post.hashtags == ("deinfluencing",)
    assert map_link("reddit", children[1], {}).edited is True
    deleted = map_link("reddit", children[2], {})
    assert deleted.deleted is True
    assert deleted.author.handle == "[deleted]"
    assert deleted.text == "GlowLab deinfluencing rant"


async def test_first_poll_token_query_and_followers(make_ctx: MakeCtx) -> None:
    api = _api()
    source = _source(make_ctx, api)
    page = await source.fetch(None)
    assert [p.native_id for p in page.posts] == ["t3_1fgk9a5", "t3_1fgk8z1", "t3_1fgk8k0"]
    assert page.posts[0].author.followers == 1830
    assert page.more is False
    assert page.cursor is not None
    assert page.cursor["seen"] == ["t3_1fgk9a5", "t3_1fgk8z1", "t3_1fgk8k0"]
    assert page.quota_left == 997
    token_request = api.calls(TOKEN_PATH)[0]
    assert (
        token_request.headers["Authorization"]
        == "Basic " + base64.b64encode(b"app-id-123:reddit-secret").decode()
    )
    assert token_request.content == b"grant_type=client_credentials"
    search = api.calls("/search")[0]
    assert search.headers["Authorization"].startswith("bearer eyJ")
    assert search.headers["User-Agent"] == "python:deinfluence:0.1 (by /u/deinfluence_bot)"
    assert search.url.params["sort"] == "new"
    assert search.url.params["raw_json"] == "1"
    assert search.url.params["q"] == (
        'deinfluencing (GlowLab OR "Glow Lab" OR Stanley OR stanley1913)'
    )
    await source.fetch(page.cursor)
    assert len(api.calls(TOKEN_PATH)) == 1  # the token is reused, not fetched per poll


async def test_walks_until_seen_across_restart(make_ctx: MakeCtx) -> None:
    api = _api()
    cursor = {"seen": ["t3_1fgk6aa"], "newest_utc": 1789372800.0}
    first = await _source(make_ctx, api).fetch(cursor)
    assert first.more is True
    assert first.cursor is not None
    assert first.cursor["after"] == "t3_1fgk8k0"
    restarted = _source(make_ctx, api)
    second = await restarted.fetch(first.cursor)
    assert api.calls("/search")[-1].url.params["after"] == "t3_1fgk8k0"
    assert [p.native_id for p in second.posts] == ["t3_1fgk7qq"]
    assert [s.native_id for s in second.skipped] == ["t3_broken"]
    assert second.more is False
    assert second.cursor is not None
    assert second.cursor["seen"][:5] == [
        "t3_1fgk9a5",
        "t3_1fgk8z1",
        "t3_1fgk8k0",
        "t3_1fgk7qq",
        "t3_broken",
    ]
    assert "after" not in second.cursor
    # The next poll sees only page one again, all of it known: nothing new.
    third = await restarted.fetch(second.cursor)
    assert third.posts == []
    assert third.more is False


async def test_429_json_uses_seconds_until_reset(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    limited = respond(
        429,
        fixture("reddit", "error_429.json"),
        {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "1000", "x-ratelimit-reset": "12"},
    )
    api = _api()
    api.routes[("GET", "/search")].insert(0, limited)
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 3
    assert sleep.waits == [12.0]


async def test_429_html_with_retry_after(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    html = respond(
        429,
        fixture("reddit", "error_429.html"),
        {"Content-Type": "text/html; charset=UTF-8", "retry-after": "7"},
    )
    api = _api()
    api.routes[("GET", "/search")].insert(0, html)
    await _source(make_ctx, api).fetch(None)
    assert sleep.waits == [7.0]


async def test_spent_window_stops_before_asking(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    spent = {"x-ratelimit-remaining": "0.0", "x-ratelimit-used": "1000", "x-ratelimit-reset": "300"}
    api = _api(respond(200, fixture("reddit", "search_page1.json"), spent))
    source = _source(make_ctx, api)
    page = await source.fetch(None)
    assert page.quota_left == 0
    with pytest.raises(SourceRateLimited) as info:
        await source.fetch(page.cursor)
    assert info.value.resume_at == datetime(2026, 9, 14, 10, 5, tzinfo=UTC)
    assert len(api.calls("/search")) == 1
    assert sleep.waits == []


async def test_401_refreshes_token_once_then_fails(make_ctx: MakeCtx) -> None:
    api = _api(respond(401, fixture("reddit", "error_401.json")))
    with pytest.raises(SourceAuthError) as info:
        await _source(make_ctx, api).fetch(None)
    assert len(api.calls(TOKEN_PATH)) == 2
    assert len(api.calls("/search")) == 2
    assert "reddit-secret" not in str(info.value)
    assert "eyJ" not in str(info.value)


async def test_token_endpoint_403(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("POST", TOKEN_PATH, respond(403, fixture("reddit", "error_403.json")))
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, api).fetch(None)


async def test_500_then_success(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = _api()
    api.routes[("GET", "/search")].insert(0, respond(500, "<html>oops</html>"))
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 3
    assert len(sleep.waits) == 1


def test_check_needs_client_id_and_secret() -> None:
    env = Environment.from_mapping({})
    assert check(source_config("r", "reddit"), env) == [
        "sources.r.options.client_id: required (or set REDDIT_CLIENT_ID)",
        "sources.r: environment variable REDDIT_CLIENT_SECRET is not set",
    ]
