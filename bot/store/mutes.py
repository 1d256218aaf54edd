"""Mutes persist so their expiry survives restarts; their state is computed from time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Severity
from bot.mutes import Mute, MuteSpec
from bot.store.tables import MuteRow


def mute_from_row(row: MuteRow) -> Mute:
    spec = MuteSpec(
        brand=row.brand,
        source=row.source,
        author=row.author,
        max_severity=Severity(row.max_severity) if row.max_severity is not None else None,
    )
    return Mute(
        row.id, spec, row.starts_at, row.ends_at, row.created_by, row.reason, row.unmuted_at
    )


async def live_mutes(session: AsyncSession, now: datetime) -> list[Mute]:
    """Mutes that are active now (unexpired, not lifted)."""
    rows = await session.scalars(
        select(MuteRow)
        .where(MuteRow.ends_at > now, MuteRow.starts_at <= now, MuteRow.unmuted_at.is_(None))
        .order_by(MuteRow.id)
    )
    return [mute_from_row(r) for r in rows]


async def recent_mutes(session: AsyncSession, now: datetime, limit: int = 50) -> list[Mute]:
    """Active ones first, then the most recently ended, for `/deinfluence mutes`."""
    rows = await session.scalars(select(MuteRow).order_by(MuteRow.id.desc()).limit(limit))
    mutes = [mute_from_row(r) for r in rows]
    return sorted(mutes, key=lambda m: (m.state(now) != "active", -m.id))


def add_mute(
    session: AsyncSession,
    spec: MuteSpec,
    *,
    starts_at: datetime,
    ends_at: datetime,
    created_by: str,
    reason: str,
    now: datetime,
) -> MuteRow:
    row = MuteRow(
        brand=spec.brand,
        source=spec.source,
        author=spec.author,
        max_severity=int(spec.max_severity) if spec.max_severity is not None else None,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        reason=reason,
        created_at=now,
    )
    session.add(row)
    return row
