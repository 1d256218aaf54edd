"""Exactly one replica leads: it runs the scheduler (polls, spikes, escalations, digests),
the migrations and Discord's gateway. The others serve commands and Slack.

On PostgreSQL the leader holds a session-level advisory lock on a connection of
its own. When that process dies, PostgreSQL drops the lock with the connection
and a follower, trying every few seconds, takes over within the failover
window; when the leader loses its connection, it stops leading at once rather
than risk two leaders. SQLite means one instance, which always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

LOCK_KEY = 0x6465696E666C75  # "deinflu": one lock per database
TRY_EVERY = 3.0  # seconds between a follower's attempts
CHECK_EVERY = 3.0  # seconds between the leader's connection checks
CHECK_TIMEOUT = 5.0

Hook = Callable[[], Awaitable[None]]


def identity() -> str:
    """How this replica is named in status and in pg_stat_activity."""
    return os.environ.get("HOSTNAME") or f"{socket.gethostname()}:{os.getpid()}"


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Leadership:
    """Runs `on_gain` when this replica becomes leader and `on_lose` when it stops."""

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        key: int = LOCK_KEY,
        try_every: float = TRY_EVERY,
        check_every: float = CHECK_EVERY,
    ) -> None:
        self.url = url
        self.name = name or identity()
        self.key = key
        self.try_every = try_every
        self.check_every = check_every
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.leading = False
        self._stop = asyncio.Event()

    async def run(self, on_gain: Hook, on_lose: Hook) -> None:
        """Until stop(): take the lead when it is free, keep it while the connection lives."""
        if self.is_sqlite:
            await self._lead_forever(on_gain, on_lose)
            return
        while not self._stop.is_set():
            conn = await self._connect()
            if conn is None:
                await self._sleep(self.try_every)
                continue
            try:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                    await self._lead(conn, on_gain, on_lose)
                else:
                    await self._sleep(self.try_every)
            except Exception as error:  # a dropped connection: try again from scratch
                log.warning("leader election: %s", type(error).__name__)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), CHECK_TIMEOUT)

    async def _lead_forever(self, on_gain: Hook, on_lose: Hook) -> None:
        self.leading = True
        await on_gain()
        await self._stop.wait()
        self.leading = False
        await on_lose()

    async def _lead(self, conn: Any, on_gain: Hook, on_lose: Hook) -> None:
        log.info("leader election: %s leads now", self.name)
        self.leading = True
        try:
            await on_gain()
            while not self._stop.is_set():
                await self._sleep(self.check_every)
                await asyncio.wait_for(conn.fetchval("SELECT 1"), CHECK_TIMEOUT)
        finally:
            self.leading = False
            log.info("leader election: %s stops leading", self.name)
            await on_lose()

    async def _connect(self) -> Any:
        import asyncpg  # type: ignore[import-untyped]

        try:
            return await asyncio.wait_for(
                asyncpg.connect(
                    asyncpg_dsn(self.url),
                    server_settings={"application_name": f"deinfluence:{self.name}"[:63]},
                ),
                CHECK_TIMEOUT,
            )
        except Exception as error:
            log.warning("leader election: cannot connect: %s", type(error).__name__)
            return None

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)

    def stop(self) -> None:
        self._stop.set()


async def current_leader(url: str, key: int = LOCK_KEY) -> str | None:
    """Which replica holds the lock, from PostgreSQL's own view of it (None: nobody)."""
    if make_url(url).get_backend_name() == "sqlite":
        return f"{identity()} (SQLite: a single instance)"
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        name = await conn.fetchval(
            """
            SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
            LIMIT 1
            """,
            key,
        )
    finally:
        await conn.close()
    return str(name).removeprefix("deinfluence:") if name else None
