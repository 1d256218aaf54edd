"""Per-source cursors and health, stored so a restart resumes where the last poll ended."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.tables import CursorRow, SeenKeyRow, SourceHealthRow


async def get_cursor(session: AsyncSession, source: str) -> dict[str, Any] | None:
    row = await session.get(CursorRow, source)
    return dict(row.cursor) if row is not None else None


async def save_cursor(
    session: AsyncSession, source: str, cursor: Mapping[str, Any] | None, now: datetime
) -> None:
    if cursor is None:
        return
    row = await session.get(CursorRow, source)
    if row is None:
        session.add(CursorRow(source=source, cursor=dict(cursor), updated_at=now))
    else:
        row.cursor = dict(cursor)
        row.updated_at = now


async def health_row(session: AsyncSession, source: str) -> SourceHealthRow:
    row = await session.get(SourceHealthRow, source)
    if row is None:
        row = SourceHealthRow(source=source, state="never polled", posts_fetched=0)
        session.add(row)
    return row


async def all_health(session: AsyncSession) -> dict[str, SourceHealthRow]:
    rows = await session.scalars(select(SourceHealthRow))
    return {r.source: r for r in rows}


async def first_time(session: AsyncSession, namespace: str, key: str, now: datetime) -> bool:
    """Remember `key`; False when it was seen before (a replayed delivery)."""
    if await session.get(SeenKeyRow, (namespace, key)) is not None:
        return False
    session.add(SeenKeyRow(namespace=namespace, key=key, seen_at=now))
    await session.flush()
    return True
