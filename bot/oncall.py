"""The spike alert lifecycle, as data in the store driven by the injected clock.

open ──(nobody acks within ack_timeout)──▶ escalated (round 1: on-call, then the
escalation target) ──ack──▶ acknowledged ──(ack_expiry passes, spike still on)──▶ open
any ──(back under the threshold for resolve_after, or /deinfluence resolve)──▶ resolved

Every timer is a column (deliveries.next_escalation_at, alerts.ack_expires_at,
alerts.below_since), so a restart or another replica carries on where this one
stopped. Every transition edits the original message (the alert's version is
bumped) and goes to the audit log as the actor `system`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import ACKNOWLEDGED, ESCALATED, OPEN, RESOLVED
from bot.clock import Clock
from bot.config import Config, RouteConfig
from bot.durations import format_duration
from bot.models import Severity
from bot.store import alerts as alert_store
from bot.store import audit
from bot.store.database import Database
from bot.store.tables import AlertRow, DeliveryRow

SYSTEM = "system"
ACTIVE = (OPEN, ESCALATED, ACKNOWLEDGED)


def spike_key(brand: str, source: str | None, opened: datetime) -> str:
    return f"spike:{brand}:{source or '*'}:{opened.isoformat()}"


def add_note(alert: AlertRow, note: str) -> None:
    notes = [*alert.details.get("notes", []), note]
    alert.details = {**alert.details, "notes": notes[-8:]}


@dataclass
class TickReport:
    escalated: int = 0
    acks_expired: int = 0


class OnCall:
    def __init__(self, config: Config, db: Database, clock: Clock) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self._routes = {r.name: r for r in config.routes}

    def routes_for(self, brand: str) -> list[RouteConfig]:
        return self.config.routes_for(brand)

    # --- spikes ----------------------------------------------------------------

    async def active_spike(
        self, session: AsyncSession, brand: str, source: str | None
    ) -> AlertRow | None:
        rows = await session.scalars(
            select(AlertRow).where(
                AlertRow.kind == "spike", AlertRow.brand == brand, AlertRow.status.in_(ACTIVE)
            )
        )
        return next((a for a in rows if a.details.get("source") == source), None)

    async def active_spikes_by_brand(self, session: AsyncSession) -> dict[str, int]:
        rows = await session.execute(
            select(AlertRow.brand, AlertRow.id).where(
                AlertRow.kind == "spike", AlertRow.status.in_(ACTIVE)
            )
        )
        return {brand: int(alert_id) for brand, alert_id in rows}

    async def open_spike(
        self,
        session: AsyncSession,
        brand: str,
        source: str | None,
        facts: dict[str, Any],
        severity: Severity,
        title: str,
    ) -> AlertRow:
        """A new spike alert, queued to every route of the brand with its escalation timer."""
        now = self.clock.now()
        alert = AlertRow(
            dedup_key=spike_key(brand, source, now),
            kind="spike",
            brand=brand,
            mention_id=None,
            post_id=None,
            severity=int(severity),
            score=0,
            status=OPEN,
            version=1,
            title=title,
            details={**facts, "source": source, "opened_at": now.isoformat()},
            created_at=now,
            updated_at=now,
        )
        session.add(alert)
        await session.flush()
        routes = self.routes_for(brand)
        await alert_store.add_deliveries(
            session, [alert_store.Outgoing(alert.id, routes, escalate=True)], now
        )
        audit.record(
            session,
            at=now,
            actor=SYSTEM,
            platform="core",
            action="spike_open",
            target=f"alert:{alert.id}",
            brand=brand,
            source=source,
        )
        return alert

    def still_spiking(
        self, alert: AlertRow, facts: dict[str, Any], severity: Severity, title: str
    ) -> bool:
        """Refresh the numbers on an active spike; True when the message should be edited."""
        now = self.clock.now()
        alert.below_since = None
        alert.title = title
        changed = (
            facts.get("observed") != alert.details.get("observed") or int(severity) > alert.severity
        )
        alert.details = {**alert.details, **facts}
        if int(severity) > alert.severity:
            alert.severity = int(severity)
        if changed:
            alert_store.bump(alert, now)
        return changed

    def back_under(self, session: AsyncSession, alert: AlertRow) -> bool:
        """The brand is under its threshold again; resolve once it has stayed so long enough."""
        now = self.clock.now()
        if alert.below_since is None:
            alert.below_since = now
            return False
        wait = max(
            (r.resolve_after for r in self.routes_for(alert.brand)), default=timedelta(minutes=30)
        )
        if now - alert.below_since < wait:
            return False
        alert.status, alert.resolved_at, alert.resolved_by = RESOLVED, now, SYSTEM
        add_note(alert, f"resolved by itself: back under the threshold for {format_duration(wait)}")
        alert_store.bump(alert, now)
        audit.record(
            session,
            at=now,
            actor=SYSTEM,
            platform="core",
            action="resolve",
            target=f"alert:{alert.id}",
            why="back under threshold",
        )
        return True

    # --- timers ------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Fire due escalations and lapse expired acks."""
        report = TickReport()
        async with self.db.transaction() as session:
            await self._escalate(session, report)
            await self._expire_acks(session, report)
        return report

    async def _escalate(self, session: AsyncSession, report: TickReport) -> None:
        now = self.clock.now()
        rows = await session.execute(
            select(DeliveryRow, AlertRow)
            .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
            .where(
                DeliveryRow.kind == "message",
                DeliveryRow.next_escalation_at.is_not(None),
                DeliveryRow.next_escalation_at <= now,
                AlertRow.status.in_((OPEN, ESCALATED)),
            )
            .order_by(DeliveryRow.id)
        )
        for delivery, alert in rows:
            route = self._routes.get(delivery.route)
            if route is None or delivery.escalation_round >= route.escalation_rounds:
                delivery.next_escalation_at = None
                continue
            delivery.escalation_round += 1
            round_ = delivery.escalation_round
            target = route.oncall if round_ == 1 else (route.escalation or route.oncall)
            waited = format_duration(route.ack_timeout * round_)
            note = (
                f"Escalation {round_}/{route.escalation_rounds}: alert #{alert.id} "
                f"({alert.brand}) has not been acknowledged for {waited}."
            )
            await session.execute(
                insert(DeliveryRow),
                [
                    {
                        "alert_id": alert.id,
                        "route": route.name,
                        "kind": f"escalation:{round_}",
                        "note": note,
                        "platform": route.platform,
                        "channel": route.channel,
                        "mention": target,
                        "state": alert_store.PENDING,
                        "delivered_version": 0,
                        "attempts": 0,
                        "next_attempt_at": now,
                        "updated_at": now,
                        "escalation_round": 0,
                    }
                ],
            )
            delivery.next_escalation_at = now + route.ack_timeout
            alert.status = ESCALATED
            add_note(alert, f"escalated (round {round_}) at {now:%H:%M} UTC: nobody acknowledged")
            alert_store.bump(alert, now)
            audit.record(
                session,
                at=now,
                actor=SYSTEM,
                platform="core",
                action="escalate",
                target=f"alert:{alert.id}",
                route=route.name,
                round=round_,
                mention=target,
            )
            report.escalated += 1

    async def _expire_acks(self, session: AsyncSession, report: TickReport) -> None:
        now = self.clock.now()
        alerts = await session.scalars(
            select(AlertRow).where(
                AlertRow.kind == "spike",
                AlertRow.status == ACKNOWLEDGED,
                AlertRow.ack_expires_at.is_not(None),
                AlertRow.ack_expires_at <= now,
            )
        )
        for alert in alerts:
            alert.ack_expires_at = None
            if alert.below_since is not None:
                continue  # quieting down: let it resolve rather than page again
            add_note(alert, f"ack by {alert.acked_by} lapsed at {now:%H:%M} UTC; the spike goes on")
            alert.status, alert.acked_by, alert.acked_at = OPEN, None, None
            alert_store.bump(alert, now)
            await self._restart_timers(session, alert.id, now)
            audit.record(
                session,
                at=now,
                actor=SYSTEM,
                platform="core",
                action="ack_expired",
                target=f"alert:{alert.id}",
            )
            report.acks_expired += 1

    async def _restart_timers(self, session: AsyncSession, alert_id: int, now: datetime) -> None:
        deliveries = await session.scalars(
            select(DeliveryRow).where(
                DeliveryRow.alert_id == alert_id, DeliveryRow.kind == "message"
            )
        )
        for delivery in deliveries:
            route = self._routes.get(delivery.route)
            if route is not None:
                delivery.escalation_round = 0
                delivery.next_escalation_at = now + route.ack_timeout


async def stop_escalation(session: AsyncSession, alert_id: int) -> None:
    """An ack or a resolve stops every pending escalation of the alert."""
    deliveries = await session.scalars(select(DeliveryRow).where(DeliveryRow.alert_id == alert_id))
    for delivery in deliveries:
        delivery.next_escalation_at = None


def ack_expiry(config: Config, brand: str) -> timedelta:
    return min((r.ack_expiry for r in config.routes_for(brand)), default=timedelta(hours=4))
