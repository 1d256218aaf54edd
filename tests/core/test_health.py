"""/readyz: ready only with the store reachable, migrated and chat connected. /metrics renders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import Connection

from adapters.http_health import ChatChecks, health_routes
from adapters.http_server import HttpServer
from bot.clock import ManualClock
from bot.metrics import Metrics
from bot.store.database import MIGRATIONS, Database
from tests.core.helpers import RASH, DeliveryError, RecordingChat, config, pipeline, post


def chat(**platforms: bool | str) -> ChatChecks:
    async def checks() -> dict[str, bool | str]:
        return dict(platforms)

    return checks


@asynccontextmanager
async def served(
    db: Database,
    checks: ChatChecks,
    metrics: Metrics | None = None,
    clock: ManualClock | None = None,
) -> AsyncIterator[httpx.AsyncClient]:
    server = HttpServer("127.0.0.1", 0)
    server.add_routes(health_routes(db, metrics or Metrics(), checks, clock=clock))
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url) as client:
            yield client
    finally:
        await server.stop()


async def test_ready_when_store_migrations_and_chat_are_fine(db: Database) -> None:
    async with served(db, chat(slack=True, discord=True)) as client:
        response = await client.get("/readyz")
        healthz = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "database": True,
        "migrations": True,
        "chat": {"slack": True, "discord": True},
    }
    assert healthz.status_code == 200


async def test_not_ready_while_the_schema_is_behind(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")

    def only_the_first(connection: Connection) -> None:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "0001")

    async with db.engine.begin() as conn:
        await conn.run_sync(only_the_first)
    try:
        async with served(db, chat(slack=True)) as client:
            response = await client.get("/readyz")
    finally:
        await db.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["migrations"]
    assert body["database"] is True
    assert body["migrations"] == f"at 0001, head is {Database.head_revision()}"


async def test_not_ready_while_a_chat_platform_is_disconnected(db: Database) -> None:
    async with served(db, chat(slack=True, discord="gateway not connected")) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["chat.discord"]
    assert body["chat"]["discord"] == "gateway not connected"


async def test_not_ready_when_the_store_is_unreachable_or_a_check_breaks() -> None:
    async def broken() -> dict[str, bool | str]:
        raise RuntimeError("boom")

    db = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        async with served(db, broken) as client:
            response = await client.get("/readyz")
    finally:
        await db.dispose()
    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "migrations", "chat.check"]


async def test_metrics_page_reads_the_store_before_rendering(
    db: Database, clock: ManualClock
) -> None:
    pipe = pipeline(config(), db, clock, RecordingChat(fail_with=DeliveryError("down")))
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500, views=1000)])
    await pipe.deliver()
    async with served(db, chat(), pipe.metrics, clock) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "deinfluence_undelivered_alerts 1.0" in response.text
    assert "deinfluence_store_up 1.0" in response.text
