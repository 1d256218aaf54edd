"""RSS 2.0 / Atom adapter: Google Alerts unwrapping, conditional GET, per-feed failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.sources.feedparse import unwrap_link
from adapters.sources.rss import RssSource, build, check, feed_key
from bot.clock import ManualClock
from bot.config import Environment
from bot.ports import SourcePayloadError, SourceRateLimited, SourceUnavailable
from tests.sources.conftest import FakeSleep, MakeCtx, source_config
from tests.sources.fakeapi import FakeApi, fixture_bytes, respond

ALERTS = "https://www.google.com/alerts/feeds/06245169311234567890/10458347183627163271"
BLOG = "https://minderkopen.example/feed.xml"
ALERTS_PATH = httpx.URL(ALERTS).path


def _source(make_ctx: MakeCtx, api: FakeApi, *feeds: str, **options: Any) -> RssSource:
    cfg = source_config("feeds", "rss", feeds=list(feeds or (ALERTS,)), **options)
    return build(cfg, make_ctx(api.transport))


def _atom(headers: dict[str, str] | None = None) -> httpx.Response:
    body = fixture_bytes("rss", "google_alerts.atom")
    return respond(200, body, {"Content-Type": "application/atom+xml", **(headers or {})})


def test_unwraps_google_redirects_only() -> None:
    wrapped = "https://www.google.com/url?rct=j&sa=t&url=https://a.example/x%3Fy%3D1&ct=ga"
    assert unwrap_link(wrapped) == "https://a.example/x?y=1"
    assert unwrap_link("https://a.example/url?url=https://b.example") == (
        "https://a.example/url?url=https://b.example"
    )
    assert unwrap_link("not a url ::") == "not a url ::"


async def test_google_alerts_atom_mapping(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", ALERTS_PATH, _atom({"ETag": '"abc"'}))
    page = await _source(make_ctx, api).fetch(None)
    by_id = {p.native_id.rsplit(":", 1)[1]: p for p in page.posts}
    # ...202 names no brand, the broken entry is skipped.
    assert set(by_id) == {"1830417392811182201", "1830417392811182203"}
    assert len(page.skipped) == 1
    post = by_id["1830417392811182201"]
    assert post.url == "https://beautydesk.example/news/glowlab-serum-deinfluencing"
    assert post.text.startswith("Why creators are deinfluencing the GlowLab serum\nTikTok's")
    assert post.author.handle == "beautydesk.example"
    assert post.created_at == datetime(2026, 9, 14, 8, 50, tzinfo=UTC)
    assert post.lang is None
    assert post.metrics.likes is None
    assert post.author.followers is None
    assert not post.edited
    assert by_id["1830417392811182203"].edited
    assert page.more is False


async def test_rss_mapping_language_creator_and_ttl(make_ctx: MakeCtx, clock: ManualClock) -> None:
    blog = respond(200, fixture_bytes("rss", "blog.rss"), {"Last-Modified": "Mon, 14 Sep 2026"})
    api = FakeApi().add("GET", "/feed.xml", blog)
    source = _source(make_ctx, api, BLOG)
    page = await source.fetch(None)
    assert [p.native_id for p in page.posts] == [
        "https://minderkopen.example/glowlab-serum",
        "mk-2026-0912-stanley",
    ]
    first, second = page.posts
    assert first.lang == "nl"
    assert first.author.handle == "Sanne de Vries"
    body = "Na twee weken rode vlekken. Niet kopen. #deinfluencing"
    assert first.text == f"Waarom ik de GlowLab serum terugstuurde\n{body}"
    assert first.hashtags == ("deinfluencing",)
    assert first.created_at == datetime(2026, 9, 14, 6, 30, tzinfo=UTC)
    assert second.author.handle == "minderkopen.example"
    assert "goedkopere fles. #deinfluencing" in second.text
    state = page.cursor["feeds"][feed_key(BLOG)]  # type: ignore[index]
    assert state["last_modified"] == "Mon, 14 Sep 2026"
    # <ttl>60</ttl>: the feed is not asked again within the hour.
    again = await source.fetch(page.cursor)
    assert again.posts == []
    assert len(api.requests) == 1
    clock.advance(timedelta(minutes=61))
    await source.fetch(again.cursor)
    assert len(api.requests) == 2
    assert api.requests[1].headers["If-Modified-Since"] == "Mon, 14 Sep 2026"


async def test_conditional_get_304_and_restart_dedup(make_ctx: MakeCtx) -> None:
    api = FakeApi().add(
        "GET",
        ALERTS_PATH,
        _atom({"ETag": '"v1"'}),
        respond(304, b"", {"ETag": '"v1"'}),
        _atom({"ETag": '"v2"'}),
    )
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 2
    not_modified = await _source(make_ctx, api).fetch(page.cursor)
    assert not_modified.posts == []
    assert not_modified.cursor == page.cursor
    assert api.requests[1].headers["If-None-Match"] == '"v1"'
    # Restart with the stored cursor: the same items again are not repeated.
    restarted = await _source(make_ctx, api).fetch(not_modified.cursor)
    assert restarted.posts == []
    assert restarted.cursor["feeds"][feed_key(ALERTS)]["etag"] == '"v2"'  # type: ignore[index]


async def test_one_broken_feed_does_not_stop_the_others(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", ALERTS_PATH, _atom())
    api.add("GET", "/feed.xml", respond(200, b"<html><body>Not a feed</body></html>"))
    page = await _source(make_ctx, api, BLOG, ALERTS).fetch(None)
    assert len(page.posts) == 2
    assert any("feed 1" in s.message for s in page.skipped)
    assert feed_key(BLOG) not in page.cursor["feeds"]  # type: ignore[index]


async def test_all_feeds_broken_raises(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", ALERTS_PATH, respond(200, fixture_bytes("rss", "not_a_feed.html")))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api).fetch(None)


async def test_entity_expansion_is_refused(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", ALERTS_PATH, respond(200, fixture_bytes("rss", "bomb.xml")))
    with pytest.raises(SourcePayloadError):
        await _source(make_ctx, api).fetch(None)


async def test_429_retry_after_http_date_then_success(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    limited = respond(429, b"slow down", {"Retry-After": "Mon, 14 Sep 2026 10:00:30 GMT"})
    api = FakeApi().add("GET", ALERTS_PATH, limited, _atom())
    page = await _source(make_ctx, api).fetch(None)
    assert len(page.posts) == 2
    assert sleep.waits == [30.0]


async def test_429_far_retry_after_raises(make_ctx: MakeCtx) -> None:
    api = FakeApi().add("GET", ALERTS_PATH, respond(429, b"", {"Retry-After": "3600"}))
    with pytest.raises(SourceRateLimited) as info:
        await _source(make_ctx, api).fetch(None)
    assert info.value.resume_at == datetime(2026, 9, 14, 11, 0, tzinfo=UTC)
    assert "10458347183627163271" not in str(info.value)  # the feed URL is a secret


async def test_503_every_time_is_unavailable(make_ctx: MakeCtx, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", ALERTS_PATH, respond(503, b"down"))
    with pytest.raises(SourceUnavailable):
        await _source(make_ctx, api).fetch(None)
    assert len(api.requests) == 4
    assert len(sleep.waits) == 3


def test_check_feeds() -> None:
    env = Environment.from_mapping({})
    assert check(source_config("f", "rss"), env) == ["sources.f.options.feeds: required"]
    assert check(source_config("f", "rss", feeds=["ftp://x"]), env) == [
        "sources.f.options.feeds[0]: not an http(s) URL"
    ]
