"""Shared fixtures: a store on SQLite and, when reachable, on PostgreSQL.

PostgreSQL comes from DEINFLUENCE_TEST_PG_URL (default: the local server these
machines run). Without it the PostgreSQL variants are skipped with a loud
reason in the summary; with DEINFLUENCE_REQUIRE_PG=1 (CI) a skip is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.store.database import Database

# Everything the suite logs is checked for test secrets (see tests/log_redaction.py).
pytest_plugins = ("tests.log_redaction",)

PG_URL = os.environ.get(
    "DEINFLUENCE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("DEINFLUENCE_REQUIRE_PG") == "1"
_pg_problem: str | None = None
_pg_checked = False
_pg_skips: list[str] = []


async def pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can (checked once per run)."""
    global _pg_checked, _pg_problem
    if _pg_checked:
        return _pg_problem
    _pg_checked = True

    async def probe() -> None:
        import asyncpg  # type: ignore[import-untyped]

        dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
        conn = await asyncio.wait_for(asyncpg.connect(dsn), timeout=5)
        await conn.close()

    try:
        await probe()
    except Exception as error:  # any failure to connect means "not available here"
        _pg_problem = f"PostgreSQL not reachable at {PG_URL}: {type(error).__name__}: {error}"
    return _pg_problem


async def need_postgres() -> None:
    problem = await pg_unavailable()
    if problem is None:
        return
    if REQUIRE_PG:
        pytest.fail(f"DEINFLUENCE_REQUIRE_PG=1 but {problem}")
    _pg_skips.append(problem)
    pytest.skip(f"POSTGRESQL TESTS SKIPPED: {problem}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _pg_skips:
        terminalreporter.section("PostgreSQL", sep="!", red=True, bold=True)
        terminalreporter.write_line(
            f"{len(_pg_skips)} PostgreSQL test(s) were SKIPPED: {_pg_skips[0]}", red=True, bold=True
        )
        terminalreporter.write_line(
            "Start PostgreSQL or set DEINFLUENCE_TEST_PG_URL; CI sets DEINFLUENCE_REQUIRE_PG=1.",
            red=True,
        )


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 2, 12, 0, tzinfo=UTC))


async def _pg_database() -> tuple[Database, str]:
    """A database in a fresh schema of its own, so parallel runs never collide."""
    import asyncpg

    schema = f"t_{secrets.token_hex(6)}"
    dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    await conn.execute(f'CREATE SCHEMA "{schema}"')
    await conn.close()
    return Database(PG_URL, search_path=schema), schema


async def _drop_schema(schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    await conn.close()


@asynccontextmanager
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()


@asynccontextmanager
async def postgres_store() -> AsyncIterator[Database]:
    """A migrated PostgreSQL store in a schema of its own, dropped afterwards."""
    await need_postgres()
    database, schema = await _pg_database()
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()
        await _drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgres"])
async def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """The same store test on both databases."""
    store = sqlite_store(tmp_path) if request.param == "sqlite" else postgres_store()
    async with store as database:
        yield database


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """A PostgreSQL store for what only PostgreSQL does (locks, several replicas)."""
    async with postgres_store() as database:
        yield database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with sqlite_store(tmp_path) as database:
        yield database
