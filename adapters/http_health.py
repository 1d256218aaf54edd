"""Readiness and Prometheus metrics on the bot's HTTP server (/healthz lives in HttpServer).

/readyz answers 503 naming what is wrong, so an orchestrator holds traffic and an operator
sees why; /metrics re-reads stored state first, then renders the bot's own registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from bot.clock import Clock, SystemClock
from bot.metrics import CONTENT_TYPE, Metrics
from bot.store.database import Database

# Per chat platform: True when connected, else False or why not (e.g. "socket closed").
ChatChecks = Callable[[], Awaitable[dict[str, bool | str]]]
CHECK_TIMEOUT = timedelta(seconds=5)

Status = bool | str


async def _migrations(db: Database, head: str | None) -> tuple[Status, Status]:
    """(database, migrations): reachable, and at the head revision this code ships."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT.total_seconds()):
            current = await db.current_revision()
    except Exception as error:  # unreachable, for whatever reason, is "not ready"
        return f"unreachable: {type(error).__name__}", "unknown"
    if current == head:
        return True, True
    return True, f"at {current or 'no revision'}, head is {head}"


async def _chat(checks: ChatChecks) -> dict[str, Status]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT.total_seconds()):
            return await checks()
    except Exception as error:  # a broken check must not break the probe itself
        return {"check": f"failed: {type(error).__name__}"}


async def readiness(
    db: Database, checks: ChatChecks, head: str | None
) -> tuple[list[str], dict[str, object]]:
    """What is failing (nothing: ready), and the JSON body that says what was checked."""
    (database, migrations), chat = await asyncio.gather(_migrations(db, head), _chat(checks))
    failing = [
        name for name, ok in (("database", database), ("migrations", migrations)) if ok is not True
    ]
    failing += [f"chat.{name}" for name, ok in sorted(chat.items()) if ok is not True]
    body: dict[str, object] = {
        "status": "not ready" if failing else "ready",
        "database": database,
        "migrations": migrations,
        "chat": chat,
    }
    if failing:
        body["failing"] = failing
    return failing, body


def health_routes(
    db: Database,
    metrics: Metrics,
    ready_checks: ChatChecks,
    *,
    clock: Clock | None = None,
) -> list[web.RouteDef]:
    """GET /readyz and GET /metrics; add with HttpServer.add_routes."""
    head = Database.head_revision()  # read the scripts once, not on every probe
    clock = clock or SystemClock()

    async def readyz(_request: web.Request) -> web.Response:
        failing, body = await readiness(db, ready_checks, head)
        return web.json_response(body, status=503 if failing else 200)

    async def metrics_page(_request: web.Request) -> web.Response:
        await metrics.refresh(db, clock)
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    return [web.get("/readyz", readyz), web.get("/metrics", metrics_page)]
