"""TikTok Research API adapter against a fake open.tiktokapis.com (token, query, user info)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings

from adapters.sources.tiktok import TikTokSource, build, check, map_video
from bot.clock import ManualClock
from bot.config import Environment
from bot.ports import (
    MappingError,
    SourceAuthError,
    SourceError,
    SourcePayloadError,
    SourceQuotaError,
    SourceRateLimited,
)
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import fixture, respond
from tests.sources.jsonfuzz import only_mapping_errors, payloads

BASE = "https://tiktok.example"
ENV = {"TIKTOK_CLIENT_KEY": "tt-client-key", "TIKTOK_CLIENT_SECRET": "tt-client-secret"}
QUERY = "/v2/research/video/query/"
USER = "/v2/research/user/info/"
TOKEN = "/v2/oauth/token/"


class FakeTikTok:
    """Token endpoint, a query that pages by search_id + cursor, and user info."""

    def __init__(self) -> None:
        self.pages = {
            0: fixture("tiktok", "query_page1.json"),
            100: fixture("tiktok", "query_page2.json"),
        }
        self.users = fixture("tiktok", "user_info.json")
        self.requests: list[httpx.Request] = []
        self.failures: dict[str, list[httpx.Response | Exception]] = {}
        self.tokens = 0

    def fail(self, path: str, *replies: httpx.Response | Exception) -> None:
        self.failures.setdefault(path, []).extend(replies)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if self.failures.get(path):
            reply = self.failures[path].pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply
        if path == TOKEN:
            form = dict(x.split("=") for x in request.content.decode().split("&"))
            assert form == {
                "client_key": "tt-client-key",
                "client_secret": "tt-client-secret",
                "grant_type": "client_credentials",
            }
            self.tokens += 1
            return respond(200, fixture("tiktok", "token.json"))
        assert request.headers["Authorization"] == "Bearer clt.example-client-token"
        body = json.loads(request.content)
        if path == USER:
            return respond(200, self.users[body["username"]])
        assert request.url.params["fields"].startswith("id,video_description")
        page = self.pages[body.get("cursor", 0)]
        return httpx.Response(
            200, content=json.dumps(page).encode(), headers={"content-type": "application/json"}
        )

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path and r.content]


def _source(make_ctx: MakeCtx, handler: Any, **options: Any) -> TikTokSource:
    cfg = source_config("tt", "tiktok", base_url=BASE, **options)
    return build(cfg, make_ctx(httpx.MockTransport(handler), env=ENV))


def _videos() -> list[dict[str, Any]]:
    page1 = fixture("tiktok", "query_page1.json")["data"]["videos"]
    return copy.deepcopy(page1 + fixture("tiktok", "query_page2.json")["data"]["videos"])


def test_maps_every_field() -> None:
    users = fixture("tiktok", "user_info.json")
    post = map_video(_videos()[0], {"skinsceptic": users["skinsceptic"]["data"]})
    assert post.source == "tiktok"
    assert post.native_id == "7412000000000000001"  # above 2^53, exact
    assert post.text.endswith("#glowlab\nso this glowlab serum gave me a rash")
    assert post.created_at == datetime(2026, 9, 14, 8, 0, tzinfo=UTC)
    assert (post.author.handle, post.author.followers, post.author.verified) == (
        "skinsceptic",
        184000,
        True,
    )
    assert (post.metrics.views, post.metrics.likes) == (120500, 8800)
    assert (post.metrics.comments, post.metrics.shares) == (640, 310)
    assert post.url == "https://www.tiktok.com/@skinsceptic/video/7412000000000000001"
    assert post.lang is None
    assert post.hashtags == ("deinfluencing", "glowlab")
    no_user = map_video(_videos()[6], {})
    assert (no_user.author.handle, no_user.url, no_user.author.followers) == ("unknown", None, None)
    with pytest.raises(MappingError):
        map_video(_videos()[5], {})


async def test_walks_the_search_to_the_end(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    source = _source(make_ctx, api)
    first = await source.fetch(None)
    assert [p.native_id[-1] for p in first.posts] == ["1", "2"]  # 3 has no hashtag
    assert first.more is True
    assert first.cursor == {
        "start": "20260913",
        "end": "20260914",
        "search_id": "7412999999999999999",
        "cursor": 100,
    }
    query = api.bodies(QUERY)[0]
    assert query["start_date"] == "20260913"
    assert query["end_date"] == "20260914"
    assert query["max_count"] == 100
    conditions = query["query"]["and"]
    assert conditions[0] == {
        "operation": "IN",
        "field_name": "hashtag_name",
        "field_values": ["deinfluencing"],
    }
    assert conditions[1]["field_name"] == "keyword"
    assert "GlowLab" in conditions[1]["field_values"]
    assert first.posts[0].author.followers == 184000

    second = await source.fetch(first.cursor)
    assert [p.native_id[-1] for p in second.posts] == ["4", "6"]  # 2 repeated: dropped
    assert [s.native_id for s in second.skipped] == ["not-a-number"]
    assert second.more is False
    assert second.cursor == {"polled": "20260914"}
    assert api.bodies(QUERY)[1]["search_id"] == "7412999999999999999"
    assert api.tokens == 1  # cached
    assert sorted(b["username"] for b in api.bodies(USER)) == [
        "danskforbrug",
        "eerlijkbeauty",
        "skinsceptic",
    ]  # each author once, then from the cache


async def test_restart_resumes_the_same_search(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    cursor = (await _source(make_ctx, api).fetch(None)).cursor
    restarted = _source(make_ctx, api)
    page = await restarted.fetch(cursor)
    assert {p.native_id[-1] for p in page.posts} == {"2", "4", "6"}  # only what page 1 lacked
    assert api.bodies(QUERY)[-1]["cursor"] == 100
    assert api.tokens == 2  # a new process needs its own token


async def test_token_expiry_and_invalid_token_refresh(
    make_ctx: MakeCtx, clock: ManualClock
) -> None:
    api = FakeTikTok()
    source = _source(make_ctx, api, user_info=False)
    await source.fetch(None)
    clock.advance(timedelta(hours=2))
    await source.fetch(None)
    assert api.tokens == 2
    api.fail(QUERY, respond(401, fixture("tiktok", "error_token_invalid.json")))
    page = await source.fetch(None)
    assert len(page.posts) == 2
    assert api.tokens == 3


async def test_oauth_error_is_auth(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    api.fail(TOKEN, respond(401, fixture("tiktok", "oauth_error.json")))
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, api).fetch(None)


async def test_scope_error_is_auth(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    api.fail(QUERY, respond(403, fixture("tiktok", "error_scope.json")))
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, api).fetch(None)


async def test_daily_quota_stops_until_utc_midnight(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = FakeTikTok()
    api.fail(QUERY, respond(429, fixture("tiktok", "error_daily_quota.json")))
    with pytest.raises(SourceQuotaError) as info:
        await _source(make_ctx, api).fetch(None)
    assert info.value.resume_at == datetime(2026, 9, 15, tzinfo=UTC)
    assert sleep.waits == []


async def test_error_code_in_a_200_body_counts(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    api.fail(QUERY, respond(200, fixture("tiktok", "error_daily_quota.json")))
    with pytest.raises(SourceQuotaError):
        await _source(make_ctx, api).fetch(None)


async def test_rate_limit_retries_then_gives_up(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = FakeTikTok()
    limited = respond(429, fixture("tiktok", "error_rate_limit.json"))
    api.fail(QUERY, limited)
    page = await _source(make_ctx, api, user_info=False).fetch(None)
    assert len(page.posts) == 2
    assert len(sleep.waits) == 1
    api.fail(QUERY, *[limited] * 4)
    with pytest.raises(SourceRateLimited):
        await _source(make_ctx, api, user_info=False).fetch(None)


@pytest.mark.parametrize(
    "failure",
    [
        respond(500, fixture("tiktok", "error_internal.json")),
        respond(502, "<html>bad gateway</html>"),
        httpx.ConnectTimeout("slow"),
    ],
    ids=["internal_error", "502", "timeout"],
)
async def test_5xx_or_timeout_then_success(make_ctx: MakeCtx, failure: Any) -> None:
    api = FakeTikTok()
    api.fail(QUERY, failure)
    page = await _source(make_ctx, api, user_info=False).fetch(None)
    assert len(page.posts) == 2


async def test_expired_search_id_starts_the_query_again(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    api.fail(QUERY, respond(400, fixture("tiktok", "error_search_expired.json")))
    cursor = {"start": "20260913", "end": "20260914", "search_id": "old", "cursor": 100}
    page = await _source(make_ctx, api, user_info=False).fetch(cursor)
    assert "search_id" not in api.bodies(QUERY)[-1]
    assert len(page.posts) == 2


async def test_invalid_params_is_not_retried(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    api.fail(QUERY, respond(400, fixture("tiktok", "error_invalid_params.json")))
    with pytest.raises(SourceError, match="hashtag_nam"):
        await _source(make_ctx, api).fetch(None)
    assert len([r for r in api.requests if r.url.path == QUERY]) == 1


async def test_malformed_json(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    api.fail(QUERY, respond(200, b'{"data": {"videos": ['))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api).fetch(None)


async def test_user_info_failure_keeps_the_post(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    unknown = {"data": {}, "error": {"code": "invalid_params", "message": "user is private"}}
    api.fail(USER, *[respond(400, unknown)] * 3)
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 2
    assert page.posts[0].author.followers is None


async def test_history_walks_30_day_windows(make_ctx: MakeCtx) -> None:
    api = FakeTikTok()
    source = _source(make_ctx, api, user_info=False)
    since = datetime(2026, 8, 1, tzinfo=UTC)
    cursor: Any = None
    windows = []
    for _ in range(10):
        page = await source.fetch_history(since, cursor)
        body = api.bodies(QUERY)[-1]
        windows.append((body["start_date"], body["end_date"]))
        cursor = page.cursor
        if not page.more:
            break
    assert windows[0] == ("20260801", "20260830")
    assert windows[-1] == ("20260831", "20260914")
    assert cursor == {"done": True}


def test_check_names_both_credentials() -> None:
    problems = check(source_config("tt", "tiktok"), Environment.from_mapping({}))
    assert problems == [
        "sources.tt: environment variable TIKTOK_CLIENT_KEY is not set",
        "sources.tt: environment variable TIKTOK_CLIENT_SECRET is not set",
    ]


@settings(max_examples=300, deadline=None)
@given(payloads(_videos()))
def test_mapper_only_raises_mapping_error(payload: Any) -> None:
    users = fixture("tiktok", "user_info.json")
    only_mapping_errors(
        lambda raw: map_video(raw, {"skinsceptic": users["skinsceptic"]["data"]}), payload
    )
