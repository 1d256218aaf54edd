"""Inbound webhook: a real aiohttp server on port 0, real HMAC signatures, a fake receiver."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings

from adapters.http_server import HttpServer
from adapters.sources.webhook import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookSource,
    build,
    check,
    ingest_routes,
    map_pushed,
    sign,
    webhook_configs,
)
from bot.clock import ManualClock
from bot.config import Environment
from bot.ingest import IngestReport
from bot.models import Post
from tests.sources.conftest import NOW, MakeCtx, source_config
from tests.sources.fakeapi import fixture, fixture_bytes
from tests.sources.jsonfuzz import only_mapping_errors, payloads

SECRET = "whsec-relay-test-secret"
ENV = Environment.from_mapping({"WEBHOOK_RELAY_SECRET": SECRET})
MAX_BODY = 64 * 1024


class FakeReceiver:
    """Pipeline.receive's contract: store once per delivery key, None for a replay."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, list[Post]]] = []
        self.stored: dict[tuple[str, str], Post] = {}
        self.keys: set[tuple[str, str]] = set()

    async def __call__(self, source: str, key: str, posts: Sequence[Post]) -> IngestReport | None:
        self.calls.append((source, key, list(posts)))
        if (source, key) in self.keys:
            return None
        self.keys.add((source, key))
        new = sum(p.key not in self.stored for p in posts)
        self.stored.update({p.key: p for p in posts})
        return IngestReport(fetched=len(posts), new=new, updated=len(posts) - new)


@pytest.fixture
def receiver() -> FakeReceiver:
    return FakeReceiver()


@pytest.fixture
async def server(clock: ManualClock, receiver: FakeReceiver) -> AsyncIterator[str]:
    configs = webhook_configs(
        [source_config("relay", "webhook", platform="tiktok"), source_config("off", "rss")], ENV
    )
    http = HttpServer("127.0.0.1", 0)
    http.add_routes(ingest_routes(configs, receiver, clock, max_body=MAX_BODY))
    await http.start()
    try:
        yield http.url
    finally:
        await http.stop()


def _headers(body: bytes, *, when: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(when.timestamp()))
    return {
        TIMESTAMP_HEADER: stamp,
        SIGNATURE_HEADER: sign(secret, stamp, body),
        "Content-Type": "application/json",
    }


async def _post(
    url: str, body: bytes, headers: dict[str, str], path: str = "/ingest/relay"
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + path, data=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_valid_delivery_is_stored_once(server: str, receiver: FakeReceiver) -> None:
    body = fixture_bytes("webhook", "delivery.json")
    headers = _headers(body) | {DELIVERY_HEADER: "relay-2026-09-14T10:00:00Z-0001"}
    status, answer = await _post(server, body, headers)
    assert status == 200
    assert answer == {
        "status": "ok",
        "delivery_id": "relay-2026-09-14T10:00:00Z-0001",
        "stored": 3,
        "new": 3,
        "updated": 0,
        "skipped": [],
    }
    assert len(receiver.calls) == 1
    source, key, posts = receiver.calls[0]
    assert (source, key) == ("relay", "relay-2026-09-14T10:00:00Z-0001")
    tiktok, dutch, danish = posts
    assert tiktok.key == ("tiktok", "7412000000000000001")
    assert (tiktok.author.handle, tiktok.author.followers, tiktok.author.verified) == (
        "skinsceptic",
        184000,
        True,
    )
    assert tiktok.metrics.shares == 312
    assert tiktok.hashtags == ("deinfluencing", "glowlab")
    assert dutch.source == "tiktok"  # the source's default platform
    assert (dutch.lang, dutch.edited, dutch.metrics.likes) == ("nl", True, 1502)
    assert dutch.created_at == datetime(2026, 9, 14, 7, 40, tzinfo=UTC)
    assert danish.key == ("youtube", "ytDA_stan04")
    assert danish.deleted
    assert danish.created_at == datetime(2026, 9, 14, 6, 30, tzinfo=UTC)


async def test_replayed_delivery_is_ignored(server: str, receiver: FakeReceiver) -> None:
    body = fixture_bytes("webhook", "delivery.json")
    assert (await _post(server, body, _headers(body)))[0] == 200
    status, answer = await _post(server, body, _headers(body))
    assert (status, answer["status"]) == (200, "duplicate")
    assert len(receiver.stored) == 3
    assert len(receiver.keys) == 1


@pytest.mark.parametrize(
    "headers",
    [
        lambda body: _headers(body, secret="wrong-secret"),
        lambda body: _headers(body + b" "),
        lambda body: {k: v for k, v in _headers(body).items() if k != SIGNATURE_HEADER},
        lambda body: {k: v for k, v in _headers(body).items() if k != TIMESTAMP_HEADER},
        lambda body: _headers(body, when=NOW - timedelta(minutes=6)),
        lambda body: _headers(body, when=NOW + timedelta(minutes=6)),
        lambda body: _headers(body) | {SIGNATURE_HEADER: "v1=" + "0" * 64},
    ],
    ids=["wrong-secret", "other-body", "no-signature", "no-timestamp", "stale", "future", "zeros"],
)
async def test_bad_signatures_are_refused(
    server: str, receiver: FakeReceiver, headers: Any
) -> None:
    body = fixture_bytes("webhook", "delivery.json")
    status, answer = await _post(server, body, headers(body))
    assert status == 401
    assert answer["status"] == "error"
    assert receiver.calls == []


async def test_within_the_window_is_accepted(server: str, clock: ManualClock) -> None:
    body = fixture_bytes("webhook", "delivery.json")
    headers = _headers(body, when=NOW - timedelta(minutes=4))
    assert (await _post(server, body, headers))[0] == 200


async def test_oversize_is_413(server: str, receiver: FakeReceiver) -> None:
    delivery = fixture("webhook", "delivery.json")
    delivery["posts"][0]["text"] = "x" * MAX_BODY
    body = json.dumps(delivery).encode()
    status, _answer = await _post(server, body, _headers(body))
    assert status == 413
    assert receiver.calls == []


async def test_unknown_source_is_404(server: str, receiver: FakeReceiver) -> None:
    body = fixture_bytes("webhook", "delivery.json")
    for path in ("/ingest/nobody", "/ingest/off"):
        status, _answer = await _post(server, body, _headers(body), path)
        assert status == 404
    assert receiver.calls == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"delivery_id": "d1", "posts": [', "not UTF-8 JSON"),
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"posts": []}', "delivery_id"),
        (b'{"delivery_id": "d1", "posts": {}}', "posts"),
        (b'{"delivery_id": "d1", "posts": [{"id": "x"}]}', "no valid post"),
    ],
)
async def test_malformed_is_400_with_a_reason(
    server: str, receiver: FakeReceiver, body: bytes, reason: str
) -> None:
    status, answer = await _post(server, body, _headers(body))
    assert status == 400
    assert reason in answer["error"]
    assert receiver.calls == []


async def test_delivery_header_must_match(server: str, receiver: FakeReceiver) -> None:
    body = fixture_bytes("webhook", "delivery.json")
    status, _answer = await _post(server, body, _headers(body) | {DELIVERY_HEADER: "other"})
    assert status == 400
    assert receiver.calls == []


async def test_partial_batch_stores_the_good_ones(server: str, receiver: FakeReceiver) -> None:
    body = fixture_bytes("webhook", "partial.json")
    status, answer = await _post(server, body, _headers(body))
    assert (status, answer["status"], answer["stored"]) == (200, "partial", 1)
    assert [s["index"] for s in answer["skipped"]] == [1, 2, 3]
    assert answer["skipped"][0] == {
        "index": 1,
        "id": "DAbc999Bad",
        "error": answer["skipped"][0]["error"],
    }
    assert "author" in answer["skipped"][0]["error"]
    assert [p.key for p in receiver.calls[0][2]] == [("instagram", "DAbc444Kob")]


async def test_registry_face(make_ctx: MakeCtx) -> None:
    assert check(source_config("relay", "webhook"), ENV) == []
    assert check(source_config("other-feed", "webhook"), ENV) == [
        "sources.other-feed: environment variable WEBHOOK_OTHER_FEED_SECRET is not set"
    ]
    cfg = source_config("relay", "webhook")
    ctx = make_ctx(None, env={"WEBHOOK_RELAY_SECRET": SECRET})
    source = build(cfg, ctx)
    assert isinstance(source, WebhookSource)
    assert source.pushed
    page = await source.fetch({"kept": 1})
    assert page.posts == []
    assert page.cursor == {"kept": 1}
    assert not page.more
    assert webhook_configs([cfg], ENV)["relay"].platform == "relay"


@settings(max_examples=300, deadline=None)
@given(payloads(fixture("webhook", "delivery.json")["posts"]))
def test_mapper_only_raises_mapping_error(payload: Any) -> None:
    only_mapping_errors(lambda raw: map_pushed(raw, "tiktok"), payload)
