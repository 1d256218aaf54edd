"""What every source builder gets besides its own config (kept apart to avoid import cycles)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bot.clock import Clock
from bot.config import BrandConfig, Environment


@dataclass
class SourceContext:
    """Shared inputs: secrets, time, tracked hashtags, brands, and a test transport.

    `transport` lets tests inject `httpx.MockTransport`; `sleep` lets them skip
    real waits. Both default to the real thing.
    """

    env: Environment
    clock: Clock
    hashtags: list[str]
    brands: list[BrandConfig]
    transport: httpx.AsyncBaseTransport | None = None
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
