"""Bluesky searchPosts: session caching and refresh, since + cursor walk, uri dedup."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.sources.bluesky import CREATE, PROFILES, REFRESH, SEARCH, BlueskySource, build, check
from adapters.sources.bluesky_map import map_post_view
from bot.config import Environment
from bot.ports import MappingError, SourceAuthError, SourceError, SourceRateLimited
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond

ACCESS_ONE = fixture("bluesky", "create_session.json")["accessJwt"]
ACCESS_TWO = fixture("bluesky", "refresh_session.json")["accessJwt"]


def _paged(request: httpx.Request) -> httpx.Response:
    name = "search_page2.json" if request.url.params.get("cursor") else "search_page1.json"
    return respond(200, fixture("bluesky", name), {"RateLimit-Remaining": "2990"})


def _api(search: Any = _paged) -> FakeApi:
    api = FakeApi().add("POST", CREATE, respond(200, fixture("bluesky", "create_session.json")))
    api.add("POST", REFRESH, respond(200, fixture("bluesky", "refresh_session.json")))
    api.add("GET", SEARCH, search)
    api.add("GET", PROFILES, respond(200, fixture("bluesky", "profiles.json")))
    return api


def _source(make_ctx: MakeCtx, api: FakeApi, **options: Any) -> BlueskySource:
    cfg = source_config(
        "bsky",
        "bluesky",
        service="https://pds.test",
        handle="deinfluence-bot.bsky.social",
        **options,
    )
    return build(cfg, make_ctx(api.transport))


def test_maps_post_view() -> None:
    views = fixture("bluesky", "search_page1.json")["posts"]
    post = map_post_view("bsky", views[0], {"did:plc:skinsceptic4k2": 48200})
    assert post.native_id == "at://did:plc:skinsceptic4k2/app.bsky.feed.post/3lzq2aaaa1"
    assert post.url == "https://bsky.app/profile/skinsceptic.bsky.social/post/3lzq2aaaa1"
    assert post.text.startswith("Skip the GlowLab serum.")
    assert post.lang == "en"
    assert post.author.handle == "skinsceptic.bsky.social"
    assert post.author.followers == 48200
    assert post.author.verified is True
    assert post.metrics.views is None
    assert (post.metrics.likes, post.metrics.comments, post.metrics.shares) == (210, 14, 36)
    assert post.hashtags == ("deinfluencing",)
    assert post.created_at == datetime(2026, 9, 14, 9, 50, tzinfo=UTC)
    danish = map_post_view("bsky", views[2], {})
    assert danish.hashtags == ("deinfluencing",)  # from record.tags, not the text
    assert danish.created_at == datetime(2026, 9, 14, 9, 40, 0, 500000, tzinfo=UTC)
    assert danish.author.verified is None
    assert danish.author.followers is None
    broken = fixture("bluesky", "search_page2.json")["posts"][2]
    with pytest.raises(MappingError):
        map_post_view("bsky", broken, {})


async def test_walks_pages_dedupes_and_resumes_after_restart(make_ctx: MakeCtx) -> None:
    api = _api()
    source = _source(make_ctx, api)
    first = await source.fetch(None)
    assert [p.author.handle for p in first.posts] == [
        "skinsceptic.bsky.social",
        "lotte.nl",
        "mette.bsky.social",
    ]
    assert first.posts[1].author.followers == 950
    assert first.more is True
    assert first.quota_left == 2990
    search = api.calls(SEARCH)[0]
    assert search.url.params["q"] == "#deinfluencing"
    assert search.url.params["sort"] == "latest"
    assert search.url.params["since"] == "2026-09-14T09:00:00+00:00"
    assert search.headers["Authorization"] == f"Bearer {ACCESS_ONE}"
    assert json.loads(api.calls(CREATE)[0].content) == {
        "identifier": "deinfluence-bot.bsky.social",
        "password": "bsky-app-password",
    }
    assert api.calls(PROFILES)[0].url.params.get_list("actors") == [
        "did:plc:skinsceptic4k2",
        "did:plc:lotte9x8",
        "did:plc:mettedk7",
    ]

    second = await source.fetch(first.cursor)
    assert api.calls(SEARCH)[1].url.params["cursor"] == "3"
    # C repeats (deduped by uri), D names no brand, the broken item is skipped.
    assert [p.author.handle for p in second.posts] == ["older.bsky.social"]
    assert [s.native_id for s in second.skipped] == [
        "at://did:plc:broken/app.bsky.feed.post/3lzpyeeee5"
    ]
    assert second.more is False
    assert second.cursor is not None
    state = second.cursor["tags"]["deinfluencing"]
    assert state["since"] == "2026-09-14T09:40:00+00:00"
    assert "page" not in state
    assert len(api.calls(CREATE)) == 1  # one login for both pages

    restarted = _source(
        make_ctx, _api(respond(200, {"posts": fixture("bluesky", "search_page1.json")["posts"]}))
    )
    again = await restarted.fetch(second.cursor)
    assert again.posts == []
    assert again.more is False


async def test_expired_token_is_refreshed_not_relogged(make_ctx: MakeCtx) -> None:
    expired = respond(400, fixture("bluesky", "expired_token.json"))
    api = _api()
    api.routes[("GET", SEARCH)].insert(0, expired)
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 3
    assert len(api.calls(CREATE)) == 1
    refresh = api.calls(REFRESH)[0]
    assert refresh.headers["Authorization"].endswith("refresh-one.sig")
    assert api.calls(SEARCH)[1].headers["Authorization"] == f"Bearer {ACCESS_TWO}"


async def test_refresh_refused_logs_in_again(make_ctx: MakeCtx) -> None:
    api = _api()
    api.routes[("GET", SEARCH)].insert(0, respond(401, fixture("bluesky", "expired_token.json")))
    api.routes[("POST", REFRESH)] = [respond(400, fixture("bluesky", "expired_token.json"))]
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 3
    assert len(api.calls(CREATE)) == 2


async def test_bad_login_is_auth_error_without_password(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("POST", CREATE, respond(401, fixture("bluesky", "error_401_login.json")))
    with pytest.raises(SourceAuthError) as info:
        await _source(make_ctx, api).fetch(None)
    assert "bsky-app-password" not in str(info.value)


async def test_unauthenticated_html_403(make_ctx: MakeCtx) -> None:
    api = _api(respond(403, fixture("bluesky", "forbidden.html"), {"Content-Type": "text/html"}))
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, api).fetch(None)


async def test_429_with_epoch_reset(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    reset = str(int(datetime(2026, 9, 14, 10, 0, 30, tzinfo=UTC).timestamp()))
    limited = respond(
        429,
        fixture("bluesky", "error_429.json"),
        {
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": reset,
            "RateLimit-Policy": "3000;w=300",
        },
    )
    api = _api()
    api.routes[("GET", SEARCH)].insert(0, limited)
    await _source(make_ctx, api).fetch(None)
    assert sleep.waits == [30.0]
    far = str(int(datetime(2026, 9, 14, 10, 5, tzinfo=UTC).timestamp()))
    api = _api(respond(429, fixture("bluesky", "error_429.json"), {"RateLimit-Reset": far}))
    with pytest.raises(SourceRateLimited):
        await _source(make_ctx, api).fetch(None)


async def test_bad_query_is_not_retried(make_ctx: MakeCtx) -> None:
    api = _api(respond(400, fixture("bluesky", "bad_query.json")))
    with pytest.raises(SourceError, match="BadQueryString"):
        await _source(make_ctx, api).fetch(None)
    assert len(api.calls(SEARCH)) == 1


async def test_profiles_failure_keeps_posts(make_ctx: MakeCtx) -> None:
    api = _api()
    api.routes[("GET", PROFILES)] = [respond(400, {"error": "InvalidRequest", "message": "x"})]
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 3
    assert page.posts[0].author.followers is None


async def test_several_tags_take_turns(make_ctx: MakeCtx) -> None:
    api = _api(respond(200, fixture("bluesky", "search_empty.json")))
    cfg = source_config("bsky", "bluesky", service="https://pds.test", handle="bot.bsky.social")
    cfg = cfg.model_copy(update={"hashtags": ["deinfluencing", "donotbuy"]})
    source = build(cfg, make_ctx(api.transport))
    first = await source.fetch(None)
    assert first.more is True
    second = await source.fetch(first.cursor)
    assert second.more is False
    assert [r.url.params["q"] for r in api.calls(SEARCH)] == ["#deinfluencing", "#donotbuy"]
    assert second.cursor is not None
    assert set(second.cursor["tags"]) == {"deinfluencing", "donotbuy"}


def test_check_needs_handle_and_password() -> None:
    assert check(source_config("b", "bluesky"), Environment.from_mapping({})) == [
        "sources.b.options.handle: required (or set BLUESKY_HANDLE)",
        "sources.b: environment variable BLUESKY_APP_PASSWORD is not set",
    ]
