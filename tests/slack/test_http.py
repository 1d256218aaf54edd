"""Signed requests: Bolt's own verification, through dispatch and through the real HTTP endpoint."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from adapters.http_server import HttpServer
from bot.store.database import Database
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import (
    CHANNEL,
    RESPONDER,
    Harness,
    command_body,
    make_harness,
    sign,
    slack_config,
)


def body(harness: Harness, text: str = "help") -> str:
    return command_body(
        text, user=RESPONDER, channel=CHANNEL, response_url=harness.fake.response_url("sig")
    )


def _stale(b: str) -> dict[str, str]:
    return sign(b, timestamp=int(time.time()) - 6 * 60)


def _future(b: str) -> dict[str, str]:
    return sign(b, timestamp=int(time.time()) + 6 * 60)


def _missing(b: str) -> dict[str, str]:
    return {"content-type": "application/x-www-form-urlencoded"}


def _wrong_prefix(b: str) -> dict[str, str]:
    headers = sign(b)
    headers["x-slack-signature"] = "v1=" + headers["x-slack-signature"].removeprefix("v0=")
    return headers


def _wrong_secret(b: str) -> dict[str, str]:
    return sign(b, secret="0" * 32)


@pytest.mark.parametrize(
    "headers",
    [_stale, _future, _missing, _wrong_prefix, _wrong_secret],
    ids=["stale", "future", "missing", "wrong-prefix", "wrong-secret"],
)
async def test_bad_signatures_get_401(harness: Harness, headers: object) -> None:
    b = body(harness)
    response = await harness.dispatch(b, headers(b))  # type: ignore[operator]
    assert response.status == 401
    assert harness.fake.of("respond") == []


async def test_tampered_body_gets_401(harness: Harness) -> None:
    signed_body = body(harness, "help")
    response = await harness.dispatch(body(harness, "status"), sign(signed_body))
    assert response.status == 401


async def test_fresh_signature_is_accepted(harness: Harness) -> None:
    b = body(harness)
    response = await harness.dispatch(b, sign(b))
    assert response.status == 200


class SlowDatabase(Database):
    """A store whose reads wait for a gate: the slow database of a busy day."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.gate = asyncio.Event()
        self.slow = False

    @asynccontextmanager
    async def read(self) -> AsyncIterator[object]:  # type: ignore[override]
        if self.slow:
            await self.gate.wait()
        async with super().read() as session:
            yield session


async def test_ack_comes_before_slow_store_work(tmp_path: Path, fake: FakeSlack) -> None:
    config = slack_config(tmp_path)
    db = SlowDatabase(config.database_url)
    harness = await make_harness(tmp_path, fake, config, db)
    db.slow = True
    b = body(harness, "status")
    # Slack's deadline is 3 s; Bolt answers the HTTP request as soon as ack() is called.
    response = await asyncio.wait_for(harness.dispatch(b, sign(b)), timeout=2.5)
    assert response.status == 200
    assert not db.gate.is_set()
    assert fake.of("respond") == []  # the store has not answered yet
    db.gate.set()
    await fake.wait_for(lambda f: bool(f.of("respond")))
    assert "open alerts" in fake.of("respond")[0].args["text"]
    await db.dispose()


async def test_end_to_end_through_the_http_server(harness: Harness) -> None:
    http = HttpServer("127.0.0.1", 0)
    await harness.runtime.start(http)
    await http.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{http.url}/healthz") as health:
                assert health.status == 200
            b = body(harness, "brands")
            async with session.post(
                f"{http.url}/slack/events", data=b.encode(), headers=sign(b)
            ) as ok:
                assert ok.status == 200
            await harness.fake.wait_for(lambda f: bool(f.of("respond")))
            assert "GlowLab" in harness.fake.of("respond")[0].args["text"]
            async with session.post(
                f"{http.url}/slack/events", data=b.encode(), headers=_stale(b)
            ) as stale:
                assert stale.status == 401
    finally:
        await http.stop()


async def test_http_mode_needs_the_server_and_must_mount_before_start(harness: Harness) -> None:
    with pytest.raises(RuntimeError, match="HTTP server"):
        await harness.runtime.start(None)
    http = HttpServer("127.0.0.1", 0)
    await http.start()
    try:
        with pytest.raises(RuntimeError, match="before starting"):
            await harness.runtime.start(http)
    finally:
        await http.stop()
