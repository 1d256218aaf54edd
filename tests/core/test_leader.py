"""Leader election on PostgreSQL: one leader, failover when it stops or loses its connection,
and a replica that meets a newer schema refuses to lead."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

import pytest

from bot.leader import Leadership, asyncpg_dsn, current_leader
from bot.store.database import Database
from tests.conftest import PG_URL, need_postgres


class Replica:
    def __init__(self, name: str, key: int) -> None:
        self.leadership = Leadership(PG_URL, name=name, key=key, try_every=0.1, check_every=0.1)
        self.events: list[str] = []
        self.task: asyncio.Task[None] | None = None

    async def gain(self) -> None:
        self.events.append("gain")
        await announce()

    async def lose(self) -> None:
        self.events.append("lose")
        await announce()

    def start(self) -> Replica:
        self.task = asyncio.create_task(self.leadership.run(self.gain, self.lose))
        return self

    async def stop(self) -> None:
        self.leadership.stop()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)


CHANGED: dict[str, asyncio.Condition] = {}


def changed() -> asyncio.Condition:
    """One condition per event loop, notified whenever a replica gains or loses the lead."""
    loop = str(id(asyncio.get_running_loop()))
    return CHANGED.setdefault(loop, asyncio.Condition())


async def announce() -> None:
    async with changed():
        changed().notify_all()


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    async with changed():
        await asyncio.wait_for(changed().wait_for(check), within)


@pytest.fixture
async def key() -> int:
    await need_postgres()
    return secrets.randbits(48)  # a lock of its own: other test runs may share the server


async def test_one_replica_leads_and_another_takes_over_when_it_stops(key: int) -> None:
    a = Replica("replica-a", key).start()
    await until(lambda: a.leadership.leading)
    b = Replica("replica-b", key).start()
    await asyncio.sleep(0.5)
    assert not b.leadership.leading and b.events == []
    assert await current_leader(PG_URL, key) == "replica-a"
    await a.stop()
    assert a.events == ["gain", "lose"]
    await until(lambda: b.leadership.leading)
    assert await current_leader(PG_URL, key) == "replica-b"
    await b.stop()
    assert await current_leader(PG_URL, key) is None


async def test_a_leader_that_loses_its_connection_stops_leading(key: int) -> None:
    import asyncpg  # type: ignore[import-untyped]

    a = Replica("replica-a", key).start()
    await until(lambda: a.leadership.leading)
    b = Replica("replica-b", key).start()
    admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
    try:
        killed = await admin.fetchval(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'deinfluence:replica-a'"
        )
        assert killed
    finally:
        await admin.close()
    await until(lambda: "lose" in a.events)
    await until(lambda: b.leadership.leading or a.leadership.leading)
    leaders = [r.leadership.leading for r in (a, b)]
    assert leaders.count(True) == 1  # never two at once
    await a.stop()
    await b.stop()


async def test_a_replica_refuses_to_lead_a_newer_schema(pg_db: Database) -> None:
    from sqlalchemy import text

    from bot.app import ensure_schema

    async with pg_db.transaction() as session:
        await session.execute(
            text("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        )

    class FakeApp:
        db = pg_db

    assert await ensure_schema(FakeApp()) is False  # type: ignore[arg-type]
    assert not Database.knows_revision("9999_from_the_future")
    assert Database.knows_revision("0001")


async def test_concurrent_upgrades_wait_for_each_other(pg_db: Database) -> None:
    """Two pods' init containers migrating at once: both finish, the schema is at head once."""
    from sqlalchemy import text

    async with pg_db.transaction() as session:
        await session.execute(text("DROP TABLE mention_hourly"))
        await session.execute(text("DROP TABLE follower_snapshots"))  # 0004
        await session.execute(text("DROP TABLE watchlist"))  # 0004
        await session.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    other = Database(pg_db.url, search_path=await _search_path(pg_db))
    try:
        await asyncio.gather(pg_db.upgrade(), other.upgrade())
    finally:
        await other.dispose()
    assert await pg_db.current_revision() == Database.head_revision()


async def _search_path(db: Database) -> str:
    from sqlalchemy import text

    async with db.read() as session:
        return str(await session.scalar(text("SHOW search_path")))
