"""YouTube adapter against a fake Data API that pages and filters like the real one."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given, settings

from adapters.sources.quota import next_pacific_midnight, pacific_day
from adapters.sources.youtube import YouTubeSource, build, check, map_video
from bot.config import Environment
from bot.ports import MappingError, SourceAuthError, SourcePayloadError, SourceQuotaError
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond
from tests.sources.jsonfuzz import only_mapping_errors, payloads

BASE = "https://yt.example/youtube/v3"
ENV = {"YOUTUBE_API_KEY": "yt-secret-key"}
RESET = datetime(2026, 9, 15, 7, 0, tzinfo=UTC)  # midnight PDT after 2026-09-14 10:00 UTC


def _channels() -> dict[str, Any]:
    return {c["id"]: c for c in fixture("youtube", "channels.json")["items"]}


class FakeYouTube:
    """search pages by pageToken, filtered by publishedAfter/Before; videos/channels by id."""

    def __init__(self) -> None:
        self.pages = {
            None: fixture("youtube", "search_page1.json"),
            "CAMQAA": fixture("youtube", "search_page2.json"),
        }
        self.videos = {v["id"]: v for v in fixture("youtube", "videos.json")["items"]}
        self.channels = _channels()
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = request.url.params
        assert params["key"] == "yt-secret-key"
        kind = request.url.path.rsplit("/", 1)[-1]
        if kind == "search":
            page = copy.deepcopy(self.pages[params.get("pageToken")])
            after, before = params.get("publishedAfter"), params.get("publishedBefore")
            page["items"] = [
                i
                for i in page["items"]
                if (after is None or i["snippet"]["publishedAt"] >= after)
                and (before is None or i["snippet"]["publishedAt"] < before)
            ]
            return respond(200, page)
        table = self.videos if kind == "videos" else self.channels
        ids = params["id"].split(",")
        return respond(
            200, {"kind": f"youtube#{kind}", "items": [table[i] for i in ids if i in table]}
        )

    def calls(self, kind: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/" + kind)]


def _source(make_ctx: MakeCtx, handler: Any, **options: Any) -> YouTubeSource:
    cfg = source_config("yt", "youtube", base_url=BASE, **options)
    return build(cfg, make_ctx(httpx.MockTransport(handler), env=ENV))


def test_maps_every_field() -> None:
    videos = fixture("youtube", "videos.json")["items"]
    post = map_video(videos[0], _channels())
    assert post.source == "youtube"
    assert post.native_id == "ytEN_glow01"
    assert post.text.startswith("Don't buy the GlowLab serum #deinfluencing\nI tried it")
    assert "3 weeks & my skin" in post.text
    assert post.created_at == datetime(2026, 9, 14, 9, 30, tzinfo=UTC)
    assert (post.author.handle, post.author.followers, post.author.verified) == (
        "skinsceptic",
        184000,
        None,
    )
    assert post.metrics.views == 48211
    assert (post.metrics.likes, post.metrics.comments, post.metrics.shares) == (3120, 412, None)
    assert post.url == "https://www.youtube.com/watch?v=ytEN_glow01"
    assert post.lang == "en"
    assert post.hashtags == ("deinfluencing", "glowlab", "skincare")
    assert not post.edited
    assert not post.deleted


def test_hidden_likes_and_subscribers_and_languages() -> None:
    videos = fixture("youtube", "videos.json")["items"]
    dutch = map_video(videos[1], _channels())
    assert dutch.lang == "nl"
    assert dutch.metrics.likes is None
    assert dutch.author.followers is None  # hiddenSubscriberCount
    assert dutch.author.handle == "Eerlijk Beauty"
    danish = map_video(videos[3], _channels())
    assert (danish.lang, danish.author.handle) == ("da", "danskforbrug")
    no_lang = map_video(videos[2], {})
    assert no_lang.lang is None
    assert no_lang.author.handle == "Skin Sceptic"
    with pytest.raises(MappingError):
        map_video(videos[4], _channels())


async def test_pages_to_the_end_counting_units(make_ctx: MakeCtx) -> None:
    api = FakeYouTube()
    source = _source(make_ctx, api)
    first = await source.fetch(None)
    assert [p.native_id for p in first.posts] == ["ytEN_glow01", "ytNL_glow02"]  # 3: no hashtag
    assert first.more is True
    assert first.cursor is not None
    assert first.cursor["page_token"] == "CAMQAA"
    assert first.cursor["quota"] == {"day": "2026-09-14", "used": 102}
    assert first.quota_left == 10_000 - 102
    search = api.calls("search")[0].url.params
    assert search["order"] == "date"
    assert search["type"] == "video"
    assert search["publishedAfter"] == "2026-09-13T10:00:00Z"
    assert search["q"].startswith("#deinfluencing ")
    assert "GlowLab" in search["q"]
    assert '"Glow Lab"' in search["q"]

    second = await source.fetch(first.cursor)
    assert [p.native_id for p in second.posts] == ["ytDA_stan04"]
    assert [s.native_id for s in second.skipped] == ["ytBAD_item5"]  # 6 was deleted: dropped
    assert second.more is False
    # The repeated video is not fetched (nor handed over) again.
    assert "ytXX_nohash" not in api.calls("videos")[-1].url.params["id"]
    assert second.cursor is not None
    assert second.cursor["published_after"] == "2026-09-14T09:00:00Z"  # newest - 30 min margin
    assert set(second.cursor["recent"]) == {"ytEN_glow01", "ytNL_glow02"}
    assert "page_token" not in second.cursor
    assert second.cursor["quota"]["used"] == 204


async def test_restart_with_cursor_sees_only_newer_videos(make_ctx: MakeCtx) -> None:
    api = FakeYouTube()
    source = _source(make_ctx, api)
    cursor = (await source.fetch(None)).cursor
    cursor = (await source.fetch(cursor)).cursor
    await source.aclose()

    newer = copy.deepcopy(api.pages[None]["items"][0])
    newer["id"]["videoId"] = "ytEN_new007"
    newer["snippet"]["publishedAt"] = "2026-09-14T09:45:00Z"
    api.pages[None]["items"].insert(0, newer)
    api.pages[None].pop("nextPageToken")
    video = copy.deepcopy(api.videos["ytEN_glow01"])
    video["id"] = "ytEN_new007"
    video["snippet"]["publishedAt"] = "2026-09-14T09:45:00Z"
    api.videos["ytEN_new007"] = video

    restarted = _source(make_ctx, api)
    page = await restarted.fetch(cursor)
    assert [p.native_id for p in page.posts] == ["ytEN_new007"]
    assert api.calls("search")[-1].url.params["publishedAfter"] == "2026-09-14T09:00:00Z"
    assert api.calls("videos")[-1].url.params["id"] == "ytEN_new007"
    again = await restarted.fetch(page.cursor)
    assert again.posts == []
    assert page.cursor is not None
    assert page.cursor["quota"]["used"] == 204 + 102


async def test_stops_before_the_daily_budget(make_ctx: MakeCtx) -> None:
    api = FakeYouTube()
    source = _source(make_ctx, api, daily_budget=250)
    cursor = (await source.fetch(None)).cursor
    cursor = (await source.fetch(cursor)).cursor
    sent = len(api.requests)
    restarted = _source(make_ctx, api, daily_budget=250)  # the units live in the cursor
    with pytest.raises(SourceQuotaError) as info:
        await restarted.fetch(cursor)
    assert info.value.resume_at == RESET
    assert len(api.requests) == sent


async def test_units_of_another_day_are_forgotten(make_ctx: MakeCtx) -> None:
    source = _source(make_ctx, FakeYouTube(), daily_budget=250)
    page = await source.fetch({"quota": {"day": "2026-09-13", "used": 249}})
    assert page.cursor is not None
    assert page.cursor["quota"] == {"day": "2026-09-14", "used": 102}


async def test_quota_exceeded_is_not_retried(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = FakeApi().add(
        "GET", "/youtube/v3/search", respond(403, fixture("youtube", "error_quota.json"))
    )
    source = _source(make_ctx, api.handler)
    with pytest.raises(SourceQuotaError) as info:
        await source.fetch(None)
    assert info.value.resume_at == RESET
    assert len(api.requests) == 1
    assert sleep.waits == []
    with pytest.raises(SourceQuotaError):  # also without a stored cursor: nothing more today
        await source.fetch(None)
    assert len(api.requests) == 1


async def test_rate_limit_403_is_retried(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    real = FakeYouTube()
    limited = respond(403, fixture("youtube", "error_rate_limit.json"))
    api = FakeApi().add("GET", "/youtube/v3/search", limited, real)
    api.add("GET", "/youtube/v3/videos", real).add("GET", "/youtube/v3/channels", real)
    page = await _source(make_ctx, api.handler).fetch(None)
    assert len(page.posts) == 2
    assert len(sleep.waits) == 1


async def test_bad_key_is_an_auth_error(make_ctx: MakeCtx) -> None:
    api = FakeApi().add(
        "GET", "/youtube/v3/search", respond(400, fixture("youtube", "error_bad_key.json"))
    )
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, api.handler).fetch(None)
    assert len(api.requests) == 1


async def test_401_is_an_auth_error(make_ctx: MakeCtx) -> None:
    body = {"error": {"code": 401, "message": "Request is missing required authentication"}}
    api = FakeApi().add("GET", "/youtube/v3/search", respond(401, body))
    with pytest.raises(SourceAuthError):
        await _source(make_ctx, api.handler).fetch(None)


@pytest.mark.parametrize(
    "failure",
    [respond(503, fixture("youtube", "error_503.json")), httpx.ReadTimeout("slow")],
    ids=["503", "timeout"],
)
async def test_5xx_or_timeout_then_success(
    make_ctx: MakeCtx, sleep: FakeSleep, failure: Any
) -> None:
    real = FakeYouTube()
    api = FakeApi().add("GET", "/youtube/v3/search", failure, real)
    api.add("GET", "/youtube/v3/videos", real).add("GET", "/youtube/v3/channels", real)
    page = await _source(make_ctx, api.handler).fetch(None)
    assert len(page.posts) == 2
    assert len(sleep.waits) == 1


async def test_malformed_json_is_a_payload_error(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", "/youtube/v3/search", respond(200, "<html>oops</html>"))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api.handler).fetch(None)
    api2 = FakeApi().add("GET", "/youtube/v3/search", respond(200, {"kind": "x"}))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api2.handler).fetch(None)


async def test_history_walks_back_then_is_done(make_ctx: MakeCtx) -> None:
    api = FakeYouTube()
    source = _source(make_ctx, api)
    since = datetime(2026, 9, 14, 8, 25, tzinfo=UTC)
    first = await source.fetch_history(since, None)
    assert first.more is True
    second = await source.fetch_history(since, first.cursor)
    assert [p.native_id for p in [*first.posts, *second.posts]] == [
        "ytEN_glow01",
        "ytNL_glow02",
        "ytDA_stan04",
    ]
    params = api.calls("search")[-1].url.params
    assert params["publishedAfter"] == "2026-09-14T08:25:00Z"
    assert params["publishedBefore"] == "2026-09-14T10:00:00Z"
    assert second.more is False
    done = await source.fetch_history(since, second.cursor)
    assert done.posts == []
    assert done.more is False


def test_check_names_the_missing_key() -> None:
    cfg = source_config("yt", "youtube")
    assert check(cfg, Environment.from_mapping({})) == [
        "sources.yt: environment variable YOUTUBE_API_KEY is not set"
    ]
    assert check(cfg, Environment.from_mapping(ENV)) == []
    assert check(source_config("yt", "youtube", max_results=99), Environment.from_mapping(ENV))


@pytest.mark.parametrize(
    ("now", "day", "reset"),
    [
        (
            datetime(2026, 9, 14, 6, 59, tzinfo=UTC),
            "2026-09-13",
            datetime(2026, 9, 14, 7, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 1, 10, 7, 59, tzinfo=UTC),
            "2026-01-09",
            datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 3, 8, 9, 59, tzinfo=UTC),
            "2026-03-08",
            datetime(2026, 3, 9, 7, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 1, 8, 30, tzinfo=UTC),
            "2026-11-01",
            datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
        ),
    ],
)
def test_pacific_quota_day(now: datetime, day: str, reset: datetime) -> None:
    assert pacific_day(now) == day
    assert next_pacific_midnight(now) == reset


@settings(max_examples=300, deadline=None)
@given(payloads(fixture("youtube", "videos.json")["items"]))
def test_mapper_only_raises_mapping_error(payload: Any) -> None:
    only_mapping_errors(lambda raw: map_video(raw, _channels()), payload)
