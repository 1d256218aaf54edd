"""fetch_history for Mastodon, Bluesky, Reddit, X and replay; RSS has none (MockTransport only)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from adapters.sources import bluesky, mastodon, reddit, rss, x
from adapters.sources.replay import ReplaySource
from bot.backfill import history_of
from bot.clock import ManualClock
from tests.sources.conftest import NOW, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture, respond
from tests.sources.test_bluesky import _api as bluesky_api
from tests.sources.test_reddit import _api as reddit_api
from tests.sources.test_x import HEADERS as X_HEADERS

TAG_PATH = "/api/v1/timelines/tag/deinfluencing"
INSTANCE = "https://mastodon.example"


class BackwardInstance:
    """A tag timeline that pages back like Mastodon: newest first, `max_id` exclusive, Link next."""

    def __init__(self, statuses: list[dict[str, Any]]) -> None:
        self.statuses = sorted(statuses, key=lambda s: int(s["id"]), reverse=True)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        limit = int(request.url.params.get("limit", "20"))
        max_id = request.url.params.get("max_id")
        older = [s for s in self.statuses if max_id is None or int(s["id"]) < int(max_id)]
        page = older[:limit]
        headers = {}
        if page:
            base = f"{INSTANCE}{TAG_PATH}?limit={limit}"
            headers["Link"] = (
                f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
                f'<{base}&min_id={page[0]["id"]}>; rel="prev"'
            )
        return respond(200, page, headers)


async def test_mastodon_walks_back_with_max_id_until_since(make_ctx: MakeCtx) -> None:
    statuses = copy.deepcopy(fixture("mastodon", "tag_timeline.json"))
    instance = BackwardInstance(statuses)
    cfg = source_config("masto", "mastodon", instance=INSTANCE, limit=3)
    source = mastodon.build(cfg, make_ctx(httpx.MockTransport(instance)))
    since = datetime(2026, 9, 14, 8, 10, tzinfo=UTC)
    pages = []
    cursor = None
    while True:
        page = await source.fetch_history(since, cursor)
        pages.append(page)
        cursor = page.cursor
        if not page.more:
            break
    assert [r.url.params.get("max_id") for r in instance.requests] == [
        None,
        "113000000000000005",
    ]
    assert cursor == {"done": True}  # status 2 (08:05) is older than since: the end
    assert all(p.created_at >= since for page in pages for p in page.posts)
    everything = mastodon.build(
        source_config("all", "mastodon", instance=INSTANCE),
        make_ctx(httpx.MockTransport(BackwardInstance(statuses))),
    )
    wanted = {p.native_id for p in (await everything.fetch(None)).posts if p.created_at >= since}
    assert {p.native_id for page in pages for p in page.posts} == wanted
    done = await source.fetch_history(since, cursor)
    assert (done.posts, done.more, len(instance.requests)) == ([], False, 2)


async def test_mastodon_history_of_an_empty_tag_is_done(make_ctx: MakeCtx) -> None:
    cfg = source_config("masto", "mastodon", instance=INSTANCE)
    source = mastodon.build(cfg, make_ctx(httpx.MockTransport(BackwardInstance([]))))
    page = await source.fetch_history(NOW - timedelta(days=7), None)
    assert (page.posts, page.more, page.cursor) == ([], False, {"done": True})


async def test_bluesky_searches_each_tag_between_since_and_a_fixed_until(
    make_ctx: MakeCtx, clock: ManualClock
) -> None:
    api = bluesky_api()
    ctx = make_ctx(api.transport, hashtags=["deinfluencing", "donotbuy"])
    cfg = source_config(
        "bsky", "bluesky", service="https://pds.test", handle="deinfluence-bot.bsky.social"
    )
    source = bluesky.build(cfg, ctx)
    since = NOW - timedelta(days=3)
    cursor = None
    fetched = 0
    for _ in range(10):
        page = await source.fetch_history(since, cursor)
        fetched += len(page.posts)
        cursor = page.cursor
        clock.advance(timedelta(minutes=1))
        if not page.more:
            break
    searches = api.calls(bluesky.SEARCH)
    assert [(r.url.params["q"], r.url.params.get("cursor")) for r in searches] == [
        ("#deinfluencing", None),
        ("#deinfluencing", "3"),
        ("#donotbuy", None),
        ("#donotbuy", "3"),
    ]
    assert {r.url.params["since"] for r in searches} == {since.isoformat()}
    assert {r.url.params["until"] for r in searches} == {NOW.isoformat()}  # fixed at the start
    assert cursor == {"done": True} and fetched > 0


async def test_reddit_walks_after_until_older_than_since(make_ctx: MakeCtx) -> None:
    api = reddit_api()
    cfg = source_config(
        "reddit",
        "reddit",
        base_url="https://oauth.reddit.test",
        token_url="https://www.reddit.test/api/v1/access_token",
        client_id="app-id-123",
    )
    source = reddit.build(cfg, make_ctx(api.transport))
    since = datetime(2026, 9, 14, 7, 55, tzinfo=UTC)  # between the last two posts of page 2
    first = await source.fetch_history(since, None)
    assert first.more and first.cursor == {"after": "t3_1fgk8k0"}
    second = await source.fetch_history(since, first.cursor)
    assert not second.more and second.cursor == {"done": True}
    names = [p.native_id for p in [*first.posts, *second.posts]]
    assert "t3_1fgk5zz" not in names  # 07:50, older than since
    assert "t3_1fgk6aa" in names
    assert [s.native_id for s in second.skipped] == ["t3_broken"]
    searches = api.calls("/search")
    assert [r.url.params.get("after") for r in searches] == [None, "t3_1fgk8k0"]
    assert {r.url.params["t"] for r in searches} == {"day"}
    assert {r.url.params["sort"] for r in searches} == {"new"}


async def test_reddit_history_ends_with_the_listing(make_ctx: MakeCtx) -> None:
    last = fixture("reddit", "search_page2.json")
    last["data"]["after"] = None
    api = reddit_api(respond(200, last))
    cfg = source_config(
        "reddit",
        "reddit",
        base_url="https://oauth.reddit.test",
        token_url="https://www.reddit.test/api/v1/access_token",
        client_id="app-id-123",
    )
    source = reddit.build(cfg, make_ctx(api.transport))
    page = await source.fetch_history(NOW - timedelta(days=30), None)
    assert (page.more, page.cursor) == (False, {"done": True})
    assert api.calls("/search")[0].url.params["t"] == "month"


def test_reddit_time_filter_is_the_narrowest_that_covers_since() -> None:
    cases = {
        timedelta(minutes=30): "hour",
        timedelta(hours=5): "day",
        timedelta(days=7): "week",
        timedelta(days=10): "month",
        timedelta(days=200): "year",
        timedelta(days=400): "all",
    }
    for back, expected in cases.items():
        assert reddit.time_filter(NOW - back, NOW) == expected


async def test_x_clamps_to_seven_days_and_walks_next_token(make_ctx: MakeCtx) -> None:
    def paged(request: httpx.Request) -> httpx.Response:
        name = "search_page2.json" if request.url.params.get("next_token") else "search_page1.json"
        return respond(200, fixture("x", name), X_HEADERS)

    api = FakeApi().add("GET", x.SEARCH, paged)
    source = x.build(
        source_config("x", "x", base_url="https://api.x.test"), make_ctx(api.transport)
    )
    assert source.history_window == timedelta(days=7)
    since = NOW - timedelta(days=30)
    first = await source.fetch_history(since, None)
    assert first.more and first.cursor is not None and "next_token" in first.cursor
    second = await source.fetch_history(since, first.cursor)
    assert not second.more and second.cursor == {"done": True}
    [one, two] = api.calls(x.SEARCH)
    assert one.url.params["start_time"] == "2026-09-07T10:02:00Z"  # 7 days less a margin
    assert one.url.params["end_time"] == two.url.params["end_time"] == "2026-09-14T09:59:30Z"
    assert "since_id" not in one.url.params and two.url.params["next_token"]
    assert len(first.posts) + len(second.posts) == 5  # one of the six is unreadable
    assert [s.native_id for s in second.skipped][:1] == ["1835200000000000001"]


async def test_x_history_respects_a_recent_since(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", x.SEARCH, respond(200, fixture("x", "search_page2.json")))
    source = x.build(
        source_config("x", "x", base_url="https://api.x.test"), make_ctx(api.transport)
    )
    since = datetime(2026, 9, 14, 9, 15, tzinfo=UTC)
    page = await source.fetch_history(since, None)
    assert [p.native_id for p in page.posts] == ["1835200000000000003"]  # 09:10 left out
    assert api.calls(x.SEARCH)[0].url.params["start_time"] == "2026-09-14T09:15:00Z"


def test_rss_is_no_backfill_source(make_ctx: MakeCtx) -> None:
    cfg = source_config("feeds", "rss", feeds=["https://www.google.com/alerts/feeds/1/2"])
    source = rss.build(cfg, make_ctx(FakeApi().transport))
    assert history_of(source) is None
    assert history_of(x.build(source_config("x", "x"), make_ctx(FakeApi().transport)))


async def test_replay_history_is_the_released_lines_since(tmp_path: Path) -> None:
    clock = ManualClock(NOW)
    lines = []
    for i, hours in enumerate([72, 48, 30, 20, 10, 1, -5]):  # the last one is in the future
        at = (NOW - timedelta(hours=hours)).isoformat()
        record = {"id": f"r{i}", "text": f"GlowLab #deinfluencing {i}", "created_at": at}
        lines.append(json.dumps({**record, "author": {"handle": "a"}}))
    lines.insert(3, "not json")
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join(lines) + "\n")
    source = ReplaySource("file", path, clock, page_size=2)
    since = NOW - timedelta(hours=40)
    ids: list[str] = []
    skipped = 0
    cursor = None
    while True:
        page = await source.fetch_history(since, cursor)
        ids += [p.native_id for p in page.posts]
        skipped += len(page.skipped)
        cursor = page.cursor
        if not page.more:
            break
    assert ids == ["r2", "r3", "r4", "r5"] and skipped == 1
    assert cursor == {"done": True}
