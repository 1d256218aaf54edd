"""Mastodon adapter against a fake instance that pages like the real one (min_id, Link)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from adapters.sources.mastodon import MastodonSource, build, check, map_status
from bot.ports import (
    MappingError,
    SourceAuthError,
    SourceError,
    SourcePayloadError,
    SourceRateLimited,
)
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond

TAG_PATH = "/api/v1/timelines/tag/deinfluencing"
INSTANCE = "https://mastodon.example"


class FakeInstance:
    """Serves a tag timeline the way Mastodon does: newest first, min_id pages forward."""

    def __init__(self, statuses: list[dict[str, Any]]) -> None:
        self.statuses = sorted(statuses, key=lambda s: int(s["id"]))
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        limit = int(request.url.params.get("limit", "20"))
        min_id = request.url.params.get("min_id")
        if min_id is not None:
            page = [s for s in self.statuses if int(s["id"]) > int(min_id)][:limit]
        else:
            page = self.statuses[-limit:]
        page = list(reversed(page))
        headers = {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "287",
            "X-RateLimit-Reset": "2026-09-14T10:05:00.123456Z",
        }
        if page:
            base = f"{INSTANCE}{TAG_PATH}?limit={limit}"
            headers["Link"] = (
                f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
                f'<{base}&min_id={page[0]["id"]}>; rel="prev"'
            )
        return respond(200, page, headers)


def _statuses() -> list[dict[str, Any]]:
    return copy.deepcopy(fixture("mastodon", "tag_timeline.json"))


def _source(make_ctx: MakeCtx, handler: Any, **options: Any) -> MastodonSource:
    cfg = source_config("masto", "mastodon", instance=INSTANCE, **options)
    return build(cfg, make_ctx(httpx.MockTransport(handler)))


def test_maps_every_field() -> None:
    post = map_status("mastodon", _statuses()[0])
    # identity is the ActivityPub uri, the same on every instance the post federates to
    assert post.source == "mastodon"
    assert (
        post.native_id == "https://mastodon.example/users/skinsceptic/statuses/113000000000000001"
    )
    assert post.text.startswith("Honestly? Skip the #GlowLab vitamin C serum.")
    assert "rash & breakouts" in post.text
    assert "<" not in post.text
    assert post.created_at == datetime(2026, 9, 14, 8, 1, 12, tzinfo=UTC)
    assert post.author.handle == "skinsceptic"
    assert post.author.followers == 15400
    assert post.author.verified is None
    assert (post.metrics.views, post.metrics.likes) == (None, 321)
    assert (post.metrics.comments, post.metrics.shares) == (27, 47)
    assert post.url == "https://mastodon.example/@skinsceptic/113000000000000001"
    assert post.lang == "en"
    assert post.hashtags == ("glowlab", "deinfluencing")
    assert not post.edited
    assert not post.deleted


def test_maps_dutch_edited_danish_remote_and_uri_fallback() -> None:
    statuses = _statuses()
    dutch = map_status("masto", statuses[1])
    assert dutch.lang == "nl"
    assert dutch.edited
    assert "lekt al na een week.\nKoop gewoon" in dutch.text
    danish = map_status("masto", statuses[2])
    assert danish.author.handle == "mette@norden.example"
    assert danish.lang == "da"
    no_url = map_status("masto", statuses[4])
    assert no_url.url == "https://calckey.example/users/ana/statuses/113000000000000005"
    assert no_url.lang is None
    cw = map_status("masto", statuses[6])
    assert cw.text.startswith("skin reaction, pics\nLong thread")


def test_malformed_status_raises_mapping_error() -> None:
    with pytest.raises(MappingError):
        map_status("masto", _statuses()[5])


async def test_first_poll_takes_newest_page_and_filters(make_ctx: MakeCtx) -> None:
    instance = FakeInstance(_statuses())
    source = _source(make_ctx, instance)
    page = await source.fetch(None)
    ids = {p.native_id[-1] for p in page.posts}
    # 4: no brand named; 6: malformed (skipped); the rest are delivered.
    assert ids == {"1", "2", "3", "5", "7"}
    assert [s.native_id for s in page.skipped] == ["113000000000000006"]
    assert page.cursor == {"min_id": "113000000000000007"}
    assert page.more is False
    assert page.quota_left == 287
    request = instance.requests[0]
    assert request.headers["Authorization"] == "Bearer mastodon-secret-token"
    assert request.url.params["limit"] == "40"
    await source.aclose()


async def test_walks_forward_to_the_end_then_resumes_after_restart(make_ctx: MakeCtx) -> None:
    statuses = _statuses()
    instance = FakeInstance(statuses[:1])
    source = _source(make_ctx, instance, limit=2)
    first = await source.fetch(None)
    assert first.cursor == {"min_id": "113000000000000001"}

    instance.statuses = sorted(statuses, key=lambda s: int(s["id"]))
    cursor: Mapping[str, Any] | None = first.cursor
    seen: list[str] = []
    pages = 0
    while True:
        page = await source.fetch(cursor)
        pages += 1
        seen += [p.native_id for p in page.posts]
        cursor = page.cursor
        if not page.more:
            break
    assert pages == 4  # 2 + 2 + 2 + the empty page that proves the end
    assert len(seen) == len(set(seen))
    assert cursor == {"min_id": "113000000000000007"}
    await source.aclose()

    # Restart: a new adapter with the stored cursor only sees newer posts.
    newer = copy.deepcopy(statuses[0])
    newer["id"] = "113000000000000010"
    newer["uri"] = "https://mastodon.example/users/skinsceptic/statuses/113000000000000010"
    instance.statuses.append(newer)
    restarted = _source(make_ctx, instance, limit=2)
    page = await restarted.fetch(cursor)
    assert [p.native_id for p in page.posts] == [newer["uri"]]
    assert instance.requests[-1].url.params["min_id"] == "113000000000000007"
    again = await restarted.fetch(page.cursor)
    assert again.posts == []
    assert again.cursor == page.cursor
    await restarted.aclose()


async def test_ids_compare_as_integers(make_ctx: MakeCtx) -> None:
    statuses = _statuses()[:2]
    statuses[0]["id"], statuses[1]["id"] = "99", "100"
    source = _source(make_ctx, FakeInstance(statuses))
    page = await source.fetch({"min_id": "98"})
    assert page.cursor == {"min_id": "100"}


async def test_extra_tags_and_brand_filter_off(make_ctx: MakeCtx) -> None:
    instance = FakeInstance(_statuses())
    cfg = source_config("masto", "mastodon", instance=INSTANCE, match_brands=False)
    cfg = cfg.model_copy(update={"hashtags": ["#Deinfluencing", "donotbuy", "underconsumption"]})
    source = build(cfg, make_ctx(httpx.MockTransport(instance)))
    page = await source.fetch(None)
    assert len(page.posts) == 6  # the off-brand post is kept now
    assert instance.requests[0].url.params.get_list("any[]") == ["donotbuy", "underconsumption"]


async def test_429_with_iso_reset_waits_then_succeeds(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    limited = respond(
        429,
        fixture("mastodon", "error_429.json"),
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-09-14T10:00:20.500000Z"},
    )
    api = FakeApi().add("GET", TAG_PATH, limited, respond(200, _statuses()[:1]))
    source = _source(make_ctx, api.handler)
    page = await source.fetch(None)
    assert len(page.posts) == 1
    assert sleep.waits == [pytest.approx(20.5)]


async def test_429_with_far_reset_raises_rate_limited(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    limited = respond(
        429,
        fixture("mastodon", "error_429.json"),
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2026-09-14T10:04:00.000000Z"},
    )
    source = _source(make_ctx, FakeApi().add("GET", TAG_PATH, limited).handler)
    with pytest.raises(SourceRateLimited) as info:
        await source.fetch(None)
    assert info.value.resume_at == datetime(2026, 9, 14, 10, 4, tzinfo=UTC)
    assert sleep.waits == []


async def test_401_is_auth_error_without_the_token(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", TAG_PATH, respond(401, fixture("mastodon", "error_401.json")))
    source = _source(make_ctx, api.handler)
    with pytest.raises(SourceAuthError) as info:
        await source.fetch(None)
    assert "The access token is invalid" in str(info.value)
    assert "mastodon-secret-token" not in str(info.value)
    assert len(api.requests) == 1


async def test_unknown_tag_404_is_not_retried(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", "/other", respond(200, []))
    source = _source(make_ctx, api.handler)
    with pytest.raises(SourceError, match="Record not found"):
        await source.fetch(None)
    assert len(api.requests) == 1


async def test_503_then_timeout_then_success(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = FakeApi().add(
        "GET",
        TAG_PATH,
        respond(503, {"error": "Remote data could not be fetched"}),
        httpx.ReadTimeout("slow"),
        respond(200, _statuses()[:1]),
    )
    page = await _source(make_ctx, api.handler).fetch(None)
    assert len(page.posts) == 1
    assert len(sleep.waits) == 2


async def test_malformed_json_and_wrong_shape(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", TAG_PATH, respond(200, b'[{"id": "1", '))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api.handler).fetch(None)
    api = FakeApi().add("GET", TAG_PATH, respond(200, fixture("mastodon", "error_404.json")))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api.handler).fetch(None)


async def test_public_preview_off_returns_empty_page(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", TAG_PATH, respond(200, []))
    page = await _source(make_ctx, api.handler).fetch({"min_id": "5"})
    assert page.posts == []
    assert page.cursor == {"min_id": "5"}
    assert not page.more


def test_check_reports_options_and_token() -> None:
    from bot.config import Environment

    env = Environment.from_mapping({})
    assert check(source_config("m", "mastodon"), env) == ["sources.m.options.instance: required"]
    cfg = source_config("m", "mastodon", instance=INSTANCE, require_token=True, colour="red")
    assert check(cfg, env) == ["sources.m.options.colour: unknown setting (check the spelling)"]
    cfg = source_config("m", "mastodon", instance=INSTANCE, require_token=True)
    assert check(cfg, env) == ["sources.m: environment variable MASTODON_TOKEN is not set"]
