"""Shared pieces for source tests: a manual clock, a recording fake sleep, contexts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from adapters.sources.context import SourceContext
from bot.clock import ManualClock
from bot.config import BrandConfig, Environment, SourceConfig

NOW = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)

BRANDS = [
    BrandConfig(name="GlowLab", aliases=["GlowLab", "Glow Lab", "#glowlab"]),
    BrandConfig(name="Stanley", aliases=["Stanley", "@stanley1913"]),
]

SECRETS = {
    "MASTODON_TOKEN": "mastodon-secret-token",
    "X_BEARER_TOKEN": "x-secret-bearer",
    "REDDIT_CLIENT_SECRET": "reddit-secret",
    "BLUESKY_APP_PASSWORD": "bsky-app-password",
}


class FakeSleep:
    """Records the waits instead of waiting; moves the manual clock along."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(timedelta(seconds=seconds))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def sleep(clock: ManualClock) -> FakeSleep:
    return FakeSleep(clock)


MakeCtx = Callable[..., SourceContext]


@pytest.fixture
def make_ctx(clock: ManualClock, sleep: FakeSleep) -> MakeCtx:
    def make(
        transport: httpx.AsyncBaseTransport,
        *,
        env: dict[str, str] | None = None,
        hashtags: list[str] | None = None,
        brands: list[BrandConfig] | None = None,
    ) -> SourceContext:
        return SourceContext(
            env=Environment.from_mapping(SECRETS if env is None else env),
            clock=clock,
            hashtags=hashtags or ["deinfluencing"],
            brands=BRANDS if brands is None else brands,
            transport=transport,
            sleep=sleep,
        )

    return make


def source_config(name: str, type_: str, **options: Any) -> SourceConfig:
    return SourceConfig(name=name, type=type_, options=options)
