"""Digests: a route's summary on its cron schedule, and the catch-up after quiet hours.

A digest is an alert of kind `digest` queued through the same outbox as any
alert, so it is posted once, retried when chat is down, and never lost. Its
key includes the minute it was due, so a job that fires twice (two replicas, a
restart) still makes one digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config, RouteConfig
from bot.durations import format_duration
from bot.models import Severity
from bot.opportunities import KIND as OPPORTUNITY
from bot.store import alerts as alert_store
from bot.store import audit
from bot.store.database import Database
from bot.store.tables import AlertRow, DeliveryRow
from bot.summary import build_summary
from bot.timeutil import short_time

MAX_LINES = 40


class Digests:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self._routes = {r.name: r for r in config.routes}

    async def scheduled(self, route_name: str) -> int | None:
        """Queue the route's summary digest for the window ending now; None if already queued."""
        route = self._routes[route_name]
        now = self.clock.now()
        key = f"digest:{route.name}:{now:%Y-%m-%dT%H:%M}"
        brands = [b.name for b in self.config.brands if route.covers(b.name)]
        lines: list[str] = []
        async with self.db.transaction() as session:
            if await alert_store.alerts_by_key(session, [key]):
                return None
            targets: list[str | None] = [None] if "*" in route.brands else list(brands)
            for brand in targets:
                summary = await build_summary(session, brand, route.digest_window, now, chart=False)
                lines.extend(summary.text.splitlines())
            title = (
                f"Digest for {', '.join(brands) if '*' not in route.brands else 'all brands'}: "
                f"last {format_duration(route.digest_window)}"
            )
            return await self._queue(session, key, route, title, lines, now)

    async def catch_up(self) -> int:
        """After quiet hours: one digest per route with every alert held meanwhile."""
        now = self.clock.now()
        made = 0
        async with self.db.transaction() as session:
            for route in self.config.routes:
                if route.quiet_window() is None or route.is_quiet(now):
                    continue
                held = (
                    await session.execute(
                        select(DeliveryRow, AlertRow)
                        .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
                        .where(
                            DeliveryRow.route == route.name, DeliveryRow.state == alert_store.HELD
                        )
                        .order_by(AlertRow.severity.desc(), AlertRow.id)
                    )
                ).all()
                # each channel catches up in itself: opportunities never land among risks
                for channel in ("alerts", "opportunity"):
                    mine = [
                        (delivery, alert)
                        for delivery, alert in held
                        if (alert.kind == OPPORTUNITY) == (channel == "opportunity")
                    ]
                    if mine:
                        await self._catch_up(session, route, channel, mine, now)
                        made += 1
        return made

    async def _catch_up(
        self,
        session: AsyncSession,
        route: RouteConfig,
        channel: Literal["alerts", "opportunity"],
        held: Sequence[tuple[DeliveryRow, AlertRow]],
        now: datetime,
    ) -> None:
        lines = [
            f"[{'opportunity' if alert.kind == OPPORTUNITY else Severity(alert.severity).label}] "
            f"#{alert.id} {alert.title}"
            + ("" if alert.status != "resolved" else " (already resolved)")
            for _, alert in held
        ]
        many = len(held) != 1
        noun = (
            ("opportunities" if many else "opportunity")
            if channel != "alerts"
            else ("alerts" if many else "alert")
        )
        title = f"While quiet ({route.quiet_hours} {route.timezone}): {len(held)} {noun} held"
        part = "" if channel == "alerts" else "opportunity:"
        key = f"catchup:{route.name}:{part}{now:%Y-%m-%dT%H:%M}"
        await self._queue(session, key, route, title, lines, now, channel=channel)
        for delivery, _ in held:
            delivery.state = alert_store.FOLDED
            delivery.updated_at = now

    async def _queue(
        self,
        session: AsyncSession,
        key: str,
        route: RouteConfig,
        title: str,
        lines: list[str],
        now: datetime,
        *,
        channel: Literal["alerts", "opportunity"] = "alerts",
    ) -> int:
        shown = lines[:MAX_LINES] + (
            [f"… and {len(lines) - MAX_LINES} more: /deinfluence summary"]
            if len(lines) > MAX_LINES
            else []
        )
        alert = AlertRow(
            dedup_key=key,
            kind="digest",
            brand="*",
            severity=int(Severity.NONE),
            score=0,
            status="digest",
            version=1,
            title=title,
            details={"reasons": shown},
            created_at=now,
            updated_at=now,
        )
        session.add(alert)
        await session.flush()
        await alert_store.add_deliveries(
            session, [alert_store.Outgoing(alert.id, [route], channel=channel)], now
        )
        audit.record(
            session,
            at=now,
            actor="system",
            platform="core",
            action="digest",
            target=f"alert:{alert.id}",
            route=route.name,
            at_local=short_time(now),
        )
        return alert.id
