"""Delivers the outbox: posts new alerts and edits delivered ones in place.

A delivery is claimed (state `in_flight`) in its own committed transaction
before the chat call, and recorded as delivered in another after it returns.
A failed call puts it back for a later retry; nothing decided is ever lost. A
crash during the call leaves it `in_flight`: on restart, a notifier that can
look up its own message (`find_posted`) settles it; otherwise it is re-sent,
because a lost alert costs more than a repeated one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cards import alert_card
from bot.clock import Clock
from bot.config import AlertPolicyConfig
from bot.metrics import Metrics
from bot.ports import ChatNotifier, DeliveryError, MessageRef
from bot.store import alerts as alert_store
from bot.store.database import Database
from bot.store.tables import DeliveryRow
from bot.views import AlertCard

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
NOTICE_WAIT = timedelta(seconds=15)


@runtime_checkable
class FindsPosted(Protocol):
    async def find_posted(self, channel: str, alert_id: int) -> MessageRef | None: ...


@dataclass(frozen=True)
class Claim:
    row: DeliveryRow
    card: AlertCard
    version: int
    parent: MessageRef | None  # the message a notice replies to, or a held alert's thread


async def _message_of(session: AsyncSession, alert_id: int | None, route: str) -> MessageRef | None:
    """Where an alert's message went on `route`, once it has been posted."""
    if alert_id is None:
        return None
    row = await session.scalar(
        select(DeliveryRow).where(
            DeliveryRow.alert_id == alert_id,
            DeliveryRow.route == route,
            DeliveryRow.kind == "message",
            DeliveryRow.message_id.is_not(None),
        )
    )
    if row is None or row.message_id is None:
        return None
    return MessageRef(row.platform, row.channel, row.message_id, row.thread_id)


@dataclass
class DeliveryReport:
    posted: int = 0
    updated: int = 0
    failed: int = 0


class Deliverer:
    def __init__(
        self,
        db: Database,
        notifiers: dict[str, ChatNotifier],
        clock: Clock,
        policy: AlertPolicyConfig,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.notifiers = notifiers
        self.clock = clock
        self.policy = policy
        self.metrics = metrics or Metrics()

    async def recover(self) -> int:
        """Settle deliveries a crash left in flight; returns how many were reset."""
        async with self.db.transaction() as session:
            ids = await alert_store.in_flight(session, list(self.notifiers))
            rows = [await session.get(DeliveryRow, i) for i in ids]
            for row in rows:
                if row is None:
                    continue
                notifier = self.notifiers.get(row.platform)
                if row.message_id is None and isinstance(notifier, FindsPosted):
                    ref = await notifier.find_posted(row.channel, row.alert_id)
                    if ref is not None:
                        row.message_id, row.thread_id = ref.message_id, ref.thread_id
                        row.delivered_version = 1
                # With a message id the post happened; an edit is simply redone.
                row.state = alert_store.DELIVERED if row.message_id else alert_store.PENDING
                row.next_attempt_at = self.clock.now()
        return len(ids)

    async def run_once(self, limit: int = 200) -> DeliveryReport:
        report = DeliveryReport()
        async with self.db.read() as session:
            due = await alert_store.due_deliveries(
                session, self.clock.now(), list(self.notifiers), limit
            )
        for delivery_id in due:
            await self._deliver(delivery_id, report)
        return report

    async def _claim(self, delivery_id: int) -> Claim | None:
        async with self.db.transaction() as session:
            row = await session.get(DeliveryRow, delivery_id)
            if row is None or row.state == alert_store.IN_FLIGHT:
                return None
            claimed = await session.execute(
                update(DeliveryRow)
                .where(
                    DeliveryRow.id == delivery_id,
                    DeliveryRow.state == row.state,
                    DeliveryRow.attempts == row.attempts,
                )
                .values(state=alert_store.IN_FLIGHT, updated_at=self.clock.now())
            )
            if getattr(claimed, "rowcount", 1) != 1:
                return None  # another replica took it
            loaded = await alert_store.load_alert(session, row.alert_id)
            if loaded is None:
                return None
            alert, mention, post = loaded
            parent = None
            if row.kind != "message" or (row.thread_alert_id and not row.message_id):
                parent_alert = alert.id if row.kind != "message" else row.thread_alert_id
                parent = await _message_of(session, parent_alert, row.route)
            return Claim(row, alert_card(alert, mention, post), alert.version, parent)

    async def _release(self, row: DeliveryRow, wait: timedelta) -> None:
        """Give a claimed delivery back untried (its parent message is not out yet)."""
        async with self.db.transaction() as session:
            fresh = await session.get(DeliveryRow, row.id)
            if fresh is not None:
                fresh.state = row.state
                fresh.next_attempt_at = self.clock.now() + wait

    async def _deliver(self, delivery_id: int, report: DeliveryReport) -> None:
        claimed = await self._claim(delivery_id)
        if claimed is None:
            return
        row, card, version, parent = claimed.row, claimed.card, claimed.version, claimed.parent
        notifier = self.notifiers.get(row.platform)
        if row.kind != "message" and parent is None:
            await self._release(row, NOTICE_WAIT)  # a notice waits for the alert's message
            return
        try:
            if notifier is None:
                raise DeliveryError(f"no {row.platform} connection is configured", permanent=True)
            if row.kind != "message" and parent is not None:
                ref = await notifier.reply(parent, row.note or "", mention=row.mention)
            elif row.message_id:
                await notifier.update(
                    MessageRef(row.platform, row.channel, row.message_id, row.thread_id), card
                )
                ref = None
            elif parent is not None:  # held under an open spike: in its thread, no ping
                ref = await notifier.post(row.channel, card, mention=None, thread=parent)
            else:
                ref = await notifier.post(row.channel, card, mention=row.mention)
        except Exception as error:  # any failure keeps the alert for a retry
            await self._failed(row, error)
            report.failed += 1
            return
        await self._delivered(row.id, ref, version)
        if ref is None:
            report.updated += 1
        else:
            report.posted += 1
            if row.kind == "message":  # an alert's own message, not a notice under it
                self.metrics.alert_posted(card.kind, card.severity)

    async def _delivered(self, delivery_id: int, ref: MessageRef | None, version: int) -> None:
        async with self.db.transaction() as session:
            row = await session.get(DeliveryRow, delivery_id)
            if row is None:
                return
            if ref is not None:
                row.message_id, row.thread_id = ref.message_id, ref.thread_id
            row.state = alert_store.DELIVERED
            row.delivered_version = max(row.delivered_version, version)
            row.last_error = None
            row.attempts = 0
            row.updated_at = self.clock.now()

    async def _failed(self, row: DeliveryRow, error: Exception) -> None:
        permanent = isinstance(error, DeliveryError) and error.permanent
        message = str(error) or type(error).__name__
        log.warning(
            "delivery of alert %s to %s:%s failed: %s",
            row.alert_id,
            row.platform,
            row.channel,
            message,
        )
        async with self.db.transaction() as session:
            fresh = await session.get(DeliveryRow, row.id)
            if fresh is None:
                return
            fresh.attempts += 1
            fresh.last_error = message
            now = self.clock.now()
            delay = min(self.policy.retry_delay * (2 ** min(fresh.attempts - 1, 10)), MAX_BACKOFF)
            if permanent:
                delay = MAX_BACKOFF
            fresh.next_attempt_at = now + delay
            fresh.updated_at = now
            if fresh.message_id:
                fresh.state = alert_store.DELIVERED  # the post exists; the edit is retried
            elif fresh.attempts >= self.policy.delivery_attempts:
                fresh.state = alert_store.PARKED
            else:
                fresh.state = alert_store.FAILED
