"""X v2 recent search: since_id + next_token paging, rate limits, usage cap."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.sources.x import SEARCH, XSource, build, check, map_tweet
from bot.config import Environment
from bot.ports import (
    SourceAuthError,
    SourcePayloadError,
    SourceQuotaError,
    SourceRateLimited,
)
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond

TOKEN = "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy8nzmd0ugd"
RESET_SOON = str(int(datetime(2026, 9, 14, 10, 0, 15, tzinfo=UTC).timestamp()))
RESET_LATE = str(int(datetime(2026, 9, 14, 10, 15, tzinfo=UTC).timestamp()))
HEADERS = {
    "x-rate-limit-limit": "450",
    "x-rate-limit-remaining": "448",
    "x-rate-limit-reset": RESET_LATE,
}


def _paged(request: httpx.Request) -> httpx.Response:
    name = "search_page2.json" if request.url.params.get("next_token") else "search_page1.json"
    return respond(200, fixture("x", name), HEADERS)


def _source(make_ctx: MakeCtx, api: FakeApi, **options: Any) -> XSource:
    cfg = source_config("x", "x", base_url="https://api.x.test", **options)
    return build(cfg, make_ctx(api.transport))


def test_query_holds_tags_and_brands() -> None:
    from tests.sources.conftest import BRANDS

    ctx_api = FakeApi()
    from adapters.sources.context import SourceContext
    from bot.clock import ManualClock

    ctx = SourceContext(
        env=Environment.from_mapping({}),
        clock=ManualClock(datetime(2026, 9, 14, tzinfo=UTC)),
        hashtags=["#Deinfluencing", "donotbuy"],
        brands=BRANDS,
        transport=ctx_api.transport,
    )
    source = build(source_config("x", "x", lang="nl"), ctx)
    assert source.query == (
        '(#deinfluencing OR #donotbuy) (GlowLab OR "Glow Lab" OR #glowlab OR Stanley '
        "OR @stanley1913) -is:retweet lang:nl"
    )
    tight = build(source_config("x", "x", max_query_length=45), ctx)
    assert tight.query == "(#deinfluencing OR #donotbuy) -is:retweet"


def test_maps_tweet_with_author_expansion() -> None:
    page = fixture("x", "search_page1.json")
    users = {u["id"]: u for u in page["includes"]["users"]}
    post = map_tweet("x", page["data"][0], users)
    assert post.native_id == "1835200000000000005"
    assert post.text.startswith("Don't buy the GlowLab vitamin C serum & save your skin.")
    assert post.author.handle == "skin_sceptic"
    assert post.author.followers == 248000
    assert post.author.verified is True
    assert post.metrics.views == 120400
    assert post.metrics.likes == 950
    assert post.metrics.comments == 18
    assert post.metrics.shares == 47
    assert post.url == "https://x.com/skin_sceptic/status/1835200000000000005"
    assert post.hashtags == ("deinfluencing", "glowlab")
    assert post.edited is True
    assert post.created_at == datetime(2026, 9, 14, 9, 40, tzinfo=UTC)
    danish = map_tweet("x", page["data"][2], users)
    assert danish.lang == "da"
    assert "oxiderer på en uge" in danish.text  # the long note_tweet text wins
    assert danish.edited is False


async def test_first_poll_takes_only_the_newest_page(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", SEARCH, _paged)
    source = _source(make_ctx, api)
    page = await source.fetch(None)
    assert [p.lang for p in page.posts] == ["en", "nl", "da"]
    assert page.cursor == {"since_id": "1835200000000000005"}
    assert page.more is False
    assert page.quota_left == 448
    request = api.requests[0]
    assert request.headers["Authorization"] == "Bearer x-secret-bearer"
    assert request.url.params["expansions"] == "author_id"
    assert "since_id" not in request.url.params


async def test_pages_backwards_then_moves_since_id(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", SEARCH, _paged)
    source = _source(make_ctx, api)
    first = await source.fetch({"since_id": "1835100000000000000"})
    assert first.more is True
    assert first.cursor == {
        "since_id": "1835100000000000000",
        "next_token": TOKEN,
        "newest_id": "1835200000000000005",
    }
    # Restart between the pages: a new instance continues with the stored token.
    restarted = _source(make_ctx, api)
    second = await restarted.fetch(first.cursor)
    assert api.requests[1].url.params["next_token"] == TOKEN
    assert api.requests[1].url.params["since_id"] == "1835100000000000000"
    assert [p.native_id for p in second.posts] == ["1835200000000000003", "1835200000000000002"]
    assert [s.native_id for s in second.skipped] == ["1835200000000000001", "1599"]
    assert second.cursor == {"since_id": "1835200000000000005"}
    assert second.more is False


async def test_no_new_posts_keeps_cursor(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", SEARCH, respond(200, fixture("x", "search_empty.json")))
    page = await _source(make_ctx, api).fetch({"since_id": "77"})
    assert page.posts == []
    assert page.cursor == {"since_id": "77"}


async def test_stale_next_token_restarts_from_since_id(make_ctx: MakeCtx) -> None:
    api = FakeApi().add(
        "GET",
        SEARCH,
        respond(400, fixture("x", "invalid_request.json")),
        respond(200, fixture("x", "search_page2.json")),
    )
    page = await _source(make_ctx, api).fetch({"since_id": "5", "next_token": TOKEN})
    assert "next_token" not in api.requests[1].url.params
    assert page.cursor == {"since_id": "1835200000000000003"}


async def test_429_with_epoch_reset(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    soon = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": RESET_SOON}
    api = FakeApi().add("GET", SEARCH, respond(429, fixture("x", "error_429.json"), soon), _paged)
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 3
    assert sleep.waits == [15.0]

    late = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": RESET_LATE}
    api = FakeApi().add("GET", SEARCH, respond(429, fixture("x", "error_429.json"), late))
    with pytest.raises(SourceRateLimited) as info:
        await _source(make_ctx, api).fetch(None)
    assert info.value.resume_at == datetime(2026, 9, 14, 10, 15, tzinfo=UTC)


async def test_usage_cap_is_quota_until_next_month(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", SEARCH, respond(429, fixture("x", "usage_capped.json")))
    with pytest.raises(SourceQuotaError) as info:
        await _source(make_ctx, api).fetch(None)
    assert info.value.resume_at == datetime(2026, 10, 1, tzinfo=UTC)
    assert len(api.requests) == 1


async def test_401_and_html_body(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", SEARCH, respond(401, fixture("x", "error_401.json")))
    with pytest.raises(SourceAuthError) as info:
        await _source(make_ctx, api).fetch(None)
    assert "x-secret-bearer" not in str(info.value)
    api = FakeApi().add("GET", SEARCH, respond(200, "<html>maintenance</html>"))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api).fetch(None)


async def test_connect_error_then_success(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", SEARCH, httpx.ConnectError("refused"), _paged)
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 3
    assert len(sleep.waits) == 1


def test_check_wants_bearer_token() -> None:
    problems = check(source_config("x", "x"), Environment.from_mapping({}))
    assert problems == ["sources.x: environment variable X_BEARER_TOKEN is not set"]
    env = Environment.from_mapping({"X_BEARER_TOKEN": "t"})
    assert check(source_config("x", "x", max_results=5), env) == [
        "sources.x.options.max_results: Input should be greater than or equal to 10"
    ]
