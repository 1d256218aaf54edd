"""Apify dataset-items adapter against a fake api.apify.com; ids merge with native posts."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings

from adapters.sources import instagram, tiktok
from adapters.sources.apify import ApifySource, build, check
from adapters.sources.apify_map import map_instagram, map_tiktok
from bot.config import Environment
from bot.ports import MappingError, SourceAuthError, SourceError, SourcePayloadError
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond
from tests.sources.jsonfuzz import only_mapping_errors, payloads

BASE = "https://apify.example"
ENV = {"APIFY_TOKEN": "apify_api_secret"}
DATASET = "wmKPijuyDnPZAPRMk"


class FakeApify:
    """Datasets served by offset/limit with the X-Apify-Pagination-* headers; runs/last."""

    def __init__(self, datasets: dict[str, list[Any]], last: str = DATASET) -> None:
        self.datasets = datasets
        self.last = last
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.headers["Authorization"] == "Bearer apify_api_secret"
        path = request.url.path
        if path.endswith("/runs/last"):
            assert request.url.params["status"] == "SUCCEEDED"
            run = fixture("apify", "last_run.json")
            run["data"]["defaultDatasetId"] = self.last
            return respond(200, run)
        dataset = path.split("/")[3]
        if dataset not in self.datasets:
            return respond(404, fixture("apify", "error_404.json"))
        items = self.datasets[dataset]
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        page = items[offset : offset + limit]
        headers = {
            "X-Apify-Pagination-Offset": str(offset),
            "X-Apify-Pagination-Limit": str(limit),
            "X-Apify-Pagination-Count": str(len(page)),
            "X-Apify-Pagination-Total": str(len(items)),
        }
        return respond(200, page, headers)


def _tiktok_items() -> list[Any]:
    return copy.deepcopy(fixture("apify", "tiktok_items.json"))


def _instagram_items() -> list[Any]:
    return copy.deepcopy(fixture("apify", "instagram_items.json"))


def _source(make_ctx: MakeCtx, handler: Any, **options: Any) -> ApifySource:
    options.setdefault("shape", "tiktok")
    if "actor_id" not in options:
        options.setdefault("dataset_id", DATASET)
    cfg = source_config("apify-tt", "apify", base_url=BASE, **options)
    return build(cfg, make_ctx(httpx.MockTransport(handler), env=ENV))


def test_maps_the_tiktok_scraper() -> None:
    items = _tiktok_items()
    post = map_tiktok(items[0])
    assert (post.source, post.native_id) == ("tiktok", "7412000000000000001")
    assert post.created_at == datetime(2026, 9, 14, 8, 0, tzinfo=UTC)
    assert (post.author.handle, post.author.followers, post.author.verified) == (
        "skinsceptic",
        184000,
        True,
    )
    assert (post.metrics.views, post.metrics.likes) == (120900, 8820)
    assert (post.metrics.comments, post.metrics.shares) == (641, 311)
    assert post.url == "https://www.tiktok.com/@skinsceptic/video/7412000000000000001"
    assert (post.lang, post.hashtags) == ("en", ("deinfluencing", "glowlab"))
    flat = map_tiktok(items[4])  # dotted keys, id only in the URL
    assert (flat.native_id, flat.author.handle, flat.lang) == (
        "7412000000000000004",
        "danskforbrug",
        "da",
    )
    assert map_tiktok(items[6]).lang is None  # "un"
    with pytest.raises(MappingError):
        map_tiktok(items[5])


def test_maps_the_instagram_scraper() -> None:
    items = _instagram_items()
    post = map_instagram(items[0])
    assert (post.source, post.native_id) == ("instagram", "DAbc111Glow")
    assert post.author.handle == "skinsceptic"
    assert (post.metrics.likes, post.metrics.comments, post.metrics.views) == (2230, 150, None)
    assert post.hashtags == ("deinfluencing", "glowlab")
    video = map_instagram(items[1])
    assert (video.metrics.likes, video.metrics.views) == (None, 5400)  # -1: hidden
    with pytest.raises(MappingError):
        map_instagram(items[3])


def test_same_post_same_identity_as_the_native_adapters() -> None:
    native_tt = fixture("tiktok", "query_page1.json")["data"]["videos"][0]
    assert map_tiktok(_tiktok_items()[0]).key == tiktok.map_video(native_tt, {}).key
    native_ig = fixture("instagram", "recent_media_page1.json")["data"][0]
    assert map_instagram(_instagram_items()[0]).key == instagram.map_media(native_ig).key


async def test_pages_by_offset_to_the_end_then_only_new_items(make_ctx: MakeCtx) -> None:
    api = FakeApify({DATASET: _tiktok_items()})
    source = _source(make_ctx, api, limit=3)
    first = await source.fetch(None)
    assert [p.native_id[-1] for p in first.posts] == ["1", "2"]  # 3: no hashtag
    assert first.cursor == {"dataset_id": DATASET, "offset": 3, "done": False}
    assert first.more is True
    second = await source.fetch(first.cursor)
    assert [p.native_id[-1] for p in second.posts] == ["2", "4"]
    assert [s.native_id for s in second.skipped] == ["7412000000000000005"]
    third = await source.fetch(second.cursor)
    assert [p.native_id[-1] for p in third.posts] == ["6"]
    assert third.more is False
    assert third.cursor == {
        "dataset_id": DATASET,
        "offset": 7,
        "done": True,
    }
    params = api.requests[0].url.params
    assert (params["format"], params["clean"], params["offset"]) == ("json", "true", "0")

    api.datasets[DATASET].append(_tiktok_items()[0] | {"id": "7412000000000000009"})
    restarted = _source(make_ctx, api, limit=3)
    page = await restarted.fetch(third.cursor)
    assert [p.native_id for p in page.posts] == ["7412000000000000009"]
    assert api.requests[-1].url.params["offset"] == "7"


async def test_actor_mode_follows_the_last_run(make_ctx: MakeCtx) -> None:
    api = FakeApify({DATASET: _instagram_items(), "run2": _instagram_items()[:1]})
    source = _source(make_ctx, api, actor_id="apify/instagram-scraper", shape="instagram")
    page = await source.fetch(None)
    assert api.requests[0].url.path == "/v2/acts/apify~instagram-scraper/runs/last"
    assert {p.native_id for p in page.posts} == {"DAbc111Glow", "DAbc222Koop", "DAbc444Kob"}
    assert page.cursor == {"dataset_id": DATASET, "offset": 5, "done": True}
    same = await source.fetch(page.cursor)
    assert same.posts == []
    assert api.requests[-1].url.params["offset"] == "5"
    api.last = "run2"
    new_run = await source.fetch(same.cursor)
    assert [p.native_id for p in new_run.posts] == ["DAbc111Glow"]
    assert new_run.cursor == {"dataset_id": "run2", "offset": 1, "done": True}


async def test_errors(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    path = f"/v2/datasets/{DATASET}/items"
    auth = FakeApi().add("GET", path, respond(401, fixture("apify", "error_401.json")))
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, auth.handler).fetch(None)
    missing = FakeApify({})
    with pytest.raises(SourceError, match="dataset_id"):
        await _source(make_ctx, missing).fetch(None)
    assert len(missing.requests) == 1
    bad = FakeApi().add("GET", path, respond(200, "not json at all"))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, bad.handler).fetch(None)
    shape = FakeApi().add("GET", path, respond(200, {"items": []}))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, shape.handler).fetch(None)


@pytest.mark.parametrize(
    "failure",
    [
        respond(429, fixture("apify", "error_429.json"), {"Retry-After": "2"}),
        respond(503, "<html>Service Unavailable</html>"),
        httpx.ReadTimeout("slow"),
    ],
    ids=["429", "503", "timeout"],
)
async def test_transient_failure_then_success(
    make_ctx: MakeCtx, sleep: FakeSleep, failure: Any
) -> None:
    real = FakeApify({DATASET: _tiktok_items()})
    api = FakeApi().add("GET", f"/v2/datasets/{DATASET}/items", failure, real)
    page = await _source(make_ctx, api.handler).fetch(None)
    assert len(page.posts) == 4
    assert len(sleep.waits) == 1
    if isinstance(failure, httpx.Response) and failure.status_code == 429:
        assert sleep.waits == [2.0]


async def test_history_reads_everything_since(make_ctx: MakeCtx) -> None:
    api = FakeApify({DATASET: _tiktok_items()})
    source = _source(make_ctx, api, limit=4)
    since = datetime(2026, 9, 1, tzinfo=UTC)
    first = await source.fetch_history(since, None)
    second = await source.fetch_history(since, first.cursor)
    ids = [p.native_id[-1] for p in [*first.posts, *second.posts]]
    assert ids == ["1", "2", "4"]  # 6 is older than `since`
    assert second.cursor == {"done": True}
    assert second.more is False


def test_check() -> None:
    env = Environment.from_mapping(ENV)
    both = source_config("a", "apify", shape="tiktok", dataset_id="x", actor_id="y")
    assert "exactly one" in check(both, env)[0]
    assert check(source_config("a", "apify", dataset_id="x"), env) == [
        "sources.a.options.shape: required"
    ]
    assert check(source_config("a", "apify", shape="tiktok", dataset_id="x"), env) == []
    assert check(
        source_config("a", "apify", shape="tiktok", dataset_id="x"), Environment.from_mapping({})
    ) == ["sources.a: environment variable APIFY_TOKEN is not set"]


@settings(max_examples=300, deadline=None)
@given(payloads(fixture("apify", "tiktok_items.json")))
def test_tiktok_mapper_only_raises_mapping_error(payload: Any) -> None:
    only_mapping_errors(map_tiktok, payload)


@settings(max_examples=300, deadline=None)
@given(payloads(fixture("apify", "instagram_items.json")))
def test_instagram_mapper_only_raises_mapping_error(payload: Any) -> None:
    only_mapping_errors(map_instagram, payload)
