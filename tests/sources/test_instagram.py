"""Instagram Graph hashtag search against a fake graph.facebook.com."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given, settings

from adapters.sources.instagram import InstagramSource, build, check, map_media
from bot.config import Environment
from bot.ports import (
    MappingError,
    SourceAuthError,
    SourcePayloadError,
    SourceQuotaError,
    SourceRateLimited,
)
from tests.sources.conftest import NOW, FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond
from tests.sources.jsonfuzz import only_mapping_errors, payloads

BASE = "https://graph.example/v21.0"
ENV = {"INSTAGRAM_ACCESS_TOKEN": "EAAG-test-token"}
USER_ID = "17841400000000001"
HASHTAG = "17843853986012965"
SEARCH = "/v21.0/ig_hashtag_search"
MEDIA = f"/v21.0/{HASHTAG}/recent_media"


def _media_pages(request: httpx.Request) -> httpx.Response:
    assert request.headers["Authorization"] == "Bearer EAAG-test-token"
    assert request.url.params["user_id"] == USER_ID
    after = request.url.params.get("after")
    name = "recent_media_page2.json" if after == "QVFIUmxpage2" else "recent_media_page1.json"
    return respond(200, fixture("instagram", name))


def _api(*media_failures: Any) -> FakeApi:
    api = FakeApi().add("GET", SEARCH, respond(200, fixture("instagram", "hashtag_search.json")))
    return api.add("GET", MEDIA, *media_failures, _media_pages)


def _source(make_ctx: MakeCtx, api: FakeApi, **options: Any) -> InstagramSource:
    cfg = source_config("ig", "instagram", base_url=BASE, user_id=USER_ID, **options)
    return build(cfg, make_ctx(api.transport, env=ENV))


def _items() -> list[dict[str, Any]]:
    pages = ("recent_media_page1.json", "recent_media_page2.json")
    return copy.deepcopy([i for p in pages for i in fixture("instagram", p)["data"]])


def test_maps_what_instagram_gives() -> None:
    post = map_media(_items()[0])
    assert post.source == "instagram"
    assert post.native_id == "DAbc111Glow"  # the shortcode: same id as the Apify shape
    assert post.text.startswith("Don't buy the GlowLab serum.")
    assert post.created_at == datetime(2026, 9, 14, 9, 12, 1, tzinfo=UTC)
    assert post.author.handle == "unknown"
    assert post.author.followers is None
    assert (post.metrics.likes, post.metrics.comments) == (2210, 145)
    assert (post.metrics.views, post.metrics.shares) == (None, None)
    assert post.url == "https://www.instagram.com/p/DAbc111Glow/"
    assert post.lang is None
    assert post.hashtags == ("deinfluencing", "glowlab")
    assert map_media(_items()[1]).metrics.likes is None  # hidden likes
    assert map_media(_items()[6]).text == ""  # no caption
    no_link = _items()[0]
    del no_link["permalink"]
    assert map_media(no_link).native_id == "17900000000000001"
    with pytest.raises(MappingError):
        map_media(_items()[5])


async def test_pages_to_the_end_and_caches_the_hashtag_id(make_ctx: MakeCtx) -> None:
    api = _api()
    source = _source(make_ctx, api)
    first = await source.fetch(None)
    assert [p.native_id for p in first.posts] == ["DAbc111Glow", "DAbc222Koop"]
    assert first.more is True
    assert first.cursor is not None
    assert first.cursor["hashtag_ids"] == {"deinfluencing": HASHTAG}
    assert first.cursor["used"] == {"deinfluencing": NOW.isoformat()}
    assert first.cursor["next"]["after"] == "QVFIUmxpage2"
    assert "access_token" not in json.dumps(first.cursor)
    search = api.calls(SEARCH)[0].url.params
    assert (search["user_id"], search["q"]) == (USER_ID, "deinfluencing")
    fields = api.calls(MEDIA)[0].url.params["fields"]
    assert fields == "id,caption,media_type,permalink,timestamp,like_count,comments_count"

    second = await source.fetch(first.cursor)
    assert [p.native_id for p in second.posts] == ["DAbc222Koop", "DAbc444Kob"]
    assert [s.native_id for s in second.skipped] == ["17900000000000005"]
    assert second.more is False
    assert second.cursor is not None
    assert "next" not in second.cursor
    assert len(api.calls(SEARCH)) == 1

    restarted = _source(make_ctx, api)  # a new process: the hashtag id comes from the cursor
    third = await restarted.fetch(second.cursor)
    assert len(third.posts) == 2
    assert len(api.calls(SEARCH)) == 1


async def test_walks_each_tracked_tag_in_turn(make_ctx: MakeCtx) -> None:
    api = _api()
    api.add("GET", "/v21.0/9999/recent_media", respond(200, {"data": []}))
    cursor: Any = {"hashtag_ids": {"deinfluencing": HASHTAG, "donotbuy": "9999"}}
    cfg = source_config("ig", "instagram", base_url=BASE, user_id=USER_ID)
    cfg = cfg.model_copy(update={"hashtags": ["deinfluencing", "donotbuy"]})
    source = build(cfg, make_ctx(api.transport, env=ENV))
    tags = []
    for _ in range(5):
        page = await source.fetch(cursor)
        tags.append(api.requests[-1].url.path)
        cursor = page.cursor
        if not page.more:
            break
    assert tags == [MEDIA, MEDIA, "/v21.0/9999/recent_media"]
    assert set(cursor["used"]) == {"deinfluencing", "donotbuy"}


async def test_refuses_a_31st_hashtag(make_ctx: MakeCtx) -> None:
    api = _api()
    recent = (NOW - timedelta(days=2)).isoformat()
    used = {f"tag{i}": recent for i in range(29)}
    used["oldest"] = (NOW - timedelta(days=6)).isoformat()
    with pytest.raises(SourceQuotaError, match="30-hashtag budget") as info:
        await _source(make_ctx, api).fetch({"used": used})
    assert info.value.resume_at == NOW + timedelta(days=1)
    assert api.requests == []
    used["oldest"] = (NOW - timedelta(days=8)).isoformat()  # freed: 29 in the window
    page = await _source(make_ctx, api).fetch({"used": used})
    assert page.cursor is not None
    assert "oldest" not in page.cursor["used"]
    assert "deinfluencing" in page.cursor["used"]


@pytest.mark.parametrize(
    "name", ["error_4.json", "error_17.json", "error_32.json", "error_613.json"]
)
async def test_rate_limit_codes_retry(make_ctx: MakeCtx, sleep: FakeSleep, name: str) -> None:
    api = _api(respond(400, fixture("instagram", name)))
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 2
    assert len(sleep.waits) == 1


async def test_usage_header_sets_the_resume_time(make_ctx: MakeCtx) -> None:
    usage = {
        USER_ID: [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": 12,
            }
        ]
    }
    limited = respond(
        403, fixture("instagram", "error_17.json"), {"X-Business-Use-Case-Usage": json.dumps(usage)}
    )
    with pytest.raises(SourceRateLimited) as info:
        await _source(make_ctx, _api(limited)).fetch(None)
    assert info.value.resume_at == NOW + timedelta(minutes=12)


async def test_80002_stops_without_retry(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = _api(respond(400, fixture("instagram", "error_80002.json")))
    with pytest.raises(SourceRateLimited) as info:
        await _source(make_ctx, api).fetch(None)
    assert info.value.resume_at == NOW + timedelta(hours=1)
    assert sleep.waits == []


async def test_expired_token_is_auth(make_ctx: MakeCtx) -> None:
    api = _api(respond(400, fixture("instagram", "error_190.json")))
    with pytest.raises(SourceAuthError, match="renew"):
        await _source(make_ctx, api).fetch(None)
    api401 = _api(respond(401, fixture("instagram", "error_190.json")))
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, api401).fetch(None)


async def test_a_refused_hashtag_is_reported_not_fatal(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", SEARCH, respond(400, fixture("instagram", "error_generic.json")))
    page = await _source(make_ctx, api).fetch(None)
    assert page.posts == []
    assert page.skipped[0].native_id == "#deinfluencing"


@pytest.mark.parametrize(
    "failure",
    [
        respond(
            500,
            {
                "error": {
                    "code": 2,
                    "message": "Service temporarily unavailable",
                    "is_transient": True,
                }
            },
        ),
        httpx.ReadTimeout("slow"),
    ],
    ids=["500", "timeout"],
)
async def test_5xx_or_timeout_then_success(make_ctx: MakeCtx, failure: Any) -> None:
    page = await _source(make_ctx, _api(failure)).fetch(None)
    assert len(page.posts) == 2


async def test_malformed_json(make_ctx: MakeCtx) -> None:
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, _api(respond(200, "<!DOCTYPE html>"))).fetch(None)
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, _api(respond(200, {"data": {"x": 1}}))).fetch(None)


def test_check_needs_user_id_and_token() -> None:
    env = Environment.from_mapping({})
    assert check(source_config("ig", "instagram"), env) == ["sources.ig.options.user_id: required"]
    assert check(source_config("ig", "instagram", user_id=USER_ID), env) == [
        "sources.ig: environment variable INSTAGRAM_ACCESS_TOKEN is not set"
    ]


@settings(max_examples=300, deadline=None)
@given(payloads(_items()))
def test_mapper_only_raises_mapping_error(payload: Any) -> None:
    only_mapping_errors(map_media, payload)
