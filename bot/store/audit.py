"""Who did what, when, from which platform. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.tables import AuditRow


def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    platform: str,
    action: str,
    target: str,
    **detail: Any,
) -> None:
    session.add(
        AuditRow(at=at, actor=actor, platform=platform, action=action, target=target, detail=detail)
    )
