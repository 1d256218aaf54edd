"""Property: whatever a platform sends, a mapper raises MappingError or nothing else.

Payloads start from the real-format fixtures, then keys are dropped, values
replaced with random JSON, lists truncated; plus wholly random JSON.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.sources.bluesky_map import map_post_view, post_time
from adapters.sources.feedparse import FeedError, map_atom_entry, map_rss_item, parse_feed
from adapters.sources.mastodon import map_status
from adapters.sources.reddit import map_link
from adapters.sources.x import map_tweet
from bot.models import Post
from bot.ports import MappingError
from tests.sources.fakeapi import fixture, fixture_bytes

NOW = datetime(2026, 9, 14, tzinfo=UTC)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["", "[deleted]", "2026-09-14T08:01:12.000Z", "at://x", "t3", "und"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def mutate(data: st.DataObject, value: Any) -> Any:
    """Drop keys, swap values for random JSON, truncate lists, recurse."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            action = data.draw(st.sampled_from(["keep", "keep", "keep", "drop", "swap", "dive"]))
            if action == "keep":
                out[key] = item
            elif action == "swap":
                out[key] = data.draw(json_values)
            elif action == "dive":
                out[key] = mutate(data, item)
        return out
    if isinstance(value, list):
        cut = data.draw(st.integers(min_value=0, max_value=len(value)))
        return [mutate(data, v) for v in value[:cut]]
    return data.draw(st.one_of(st.just(value), json_values))


def _items(platform: str, name: str, path: Callable[[Any], list[Any]]) -> list[Any]:
    return path(fixture(platform, name))


MASTODON = _items("mastodon", "tag_timeline.json", lambda d: d)
X_PAGE = fixture("x", "search_page1.json")
REDDIT = _items("reddit", "search_page1.json", lambda d: d["data"]["children"]) + _items(
    "reddit", "search_page2.json", lambda d: d["data"]["children"]
)
BLUESKY = _items("bluesky", "search_page1.json", lambda d: d["posts"]) + _items(
    "bluesky", "search_page2.json", lambda d: d["posts"]
)
X_USERS = {u["id"]: u for u in X_PAGE["includes"]["users"]}

MAPPERS: dict[str, tuple[list[Any], Callable[[Any], Post]]] = {
    "mastodon": (MASTODON, lambda raw: map_status("m", raw)),
    "x": (X_PAGE["data"], lambda raw: map_tweet("x", raw, X_USERS)),
    "reddit": (REDDIT, lambda raw: map_link("r", raw, {})),
    "bluesky": (BLUESKY, lambda raw: map_post_view("b", raw, {})),
}

RELAXED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _only_mapping_errors(mapper: Callable[[Any], Post], raw: Any) -> None:
    try:
        post = mapper(raw)
    except MappingError:
        return
    assert post.created_at.tzinfo is not None
    assert isinstance(post.text, str)
    assert isinstance(post.native_id, str)
    assert post.native_id


@RELAXED
@given(data=st.data(), platform=st.sampled_from(sorted(MAPPERS)))
def test_mutated_fixture_items(data: st.DataObject, platform: str) -> None:
    items, mapper = MAPPERS[platform]
    raw = mutate(data, data.draw(st.sampled_from(items)))
    _only_mapping_errors(mapper, raw)


@RELAXED
@given(raw=json_values, platform=st.sampled_from(sorted(MAPPERS)))
def test_random_json(raw: Any, platform: str) -> None:
    _only_mapping_errors(MAPPERS[platform][1], raw)


@RELAXED
@given(data=st.data())
def test_bluesky_post_time_never_raises(data: st.DataObject) -> None:
    post_time(mutate(data, data.draw(st.sampled_from(BLUESKY))))


FEEDS = [fixture_bytes("rss", "google_alerts.atom"), fixture_bytes("rss", "blog.rss")]


@RELAXED
@given(data=st.data())
def test_truncated_and_garbled_feeds(data: st.DataObject) -> None:
    body = data.draw(st.sampled_from(FEEDS))
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    noise = data.draw(st.binary(max_size=20))
    at = data.draw(st.integers(min_value=0, max_value=cut))
    garbled = body[:at] + noise + body[at:cut]
    try:
        entries, kind, lang, _ttl = parse_feed(garbled)
    except FeedError:
        return
    mapper = map_atom_entry if kind == "atom" else map_rss_item
    for entry in entries:
        with contextlib.suppress(MappingError):
            mapper("f", entry, lang, NOW)


def _page_source(kind: str, body: Any) -> Any:
    """An adapter whose every endpoint answers `body` (sessions/tokens answer properly)."""
    from adapters.sources.context import SourceContext
    from adapters.sources.registry import build_source
    from bot.clock import ManualClock
    from bot.config import Environment
    from tests.sources.conftest import BRANDS, SECRETS, source_config
    from tests.sources.fakeapi import respond

    def handler(request: Any) -> Any:
        if request.url.path.endswith(("createSession", "access_token")):
            return respond(200, {"accessJwt": "a", "refreshJwt": "r", "access_token": "t"})
        return respond(200, body)

    options = {
        "mastodon": {"instance": "https://m.test"},
        "x": {"base_url": "https://x.test"},
        "reddit": {
            "client_id": "c",
            "base_url": "https://r.test",
            "token_url": "https://r.test/api/v1/access_token",
        },
        "bluesky": {"handle": "h", "service": "https://b.test"},
    }[kind]

    async def no_sleep(_seconds: float) -> None:
        return None

    import httpx

    ctx = SourceContext(
        env=Environment.from_mapping(SECRETS),
        clock=ManualClock(NOW),
        hashtags=["deinfluencing"],
        brands=BRANDS,
        transport=httpx.MockTransport(handler),
        sleep=no_sleep,
    )
    return build_source(source_config(kind, kind, **options), ctx)


PAGES = {
    "mastodon": MASTODON,
    "x": X_PAGE,
    "reddit": fixture("reddit", "search_page1.json"),
    "bluesky": fixture("bluesky", "search_page1.json"),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(sorted(PAGES)))
def test_whole_pages_fail_only_with_source_errors(data: st.DataObject, kind: str) -> None:
    import asyncio

    from bot.ports import SourceError

    body = data.draw(st.one_of(json_values, st.just(PAGES[kind]).map(lambda p: mutate(data, p))))

    async def run() -> None:
        source = _page_source(kind, body)
        try:
            page = await source.fetch(None)
        except SourceError:
            return
        finally:
            await source.aclose()
        assert all(isinstance(p, Post) for p in page.posts)

    asyncio.run(run())
