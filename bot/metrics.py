"""Prometheus metrics: counters the core bumps where things happen, gauges read from the store.

Each `Metrics` has its own registry (never the process-global one), so tests and several
apps in one process do not collide. Gauges that mirror stored state are recomputed by
`refresh` just before a scrape: the store is async and a collector is called synchronously.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from time import perf_counter

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from bot.alerts import ACKNOWLEDGED, ESCALATED, OPEN
from bot.clock import Clock
from bot.models import Severity
from bot.store import alerts as alert_store
from bot.store.database import Database
from bot.store.tables import AlertRow, SourceHealthRow

log = logging.getLogger(__name__)

NAMESPACE = "deinfluence"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SPIKE_STATES = (OPEN, ESCALATED, ACKNOWLEDGED)
SKIPPED_FOR_BACKOFF = "skipped: backing off"
STORE_TIMEOUT_SECONDS = 5.0


class Metrics:
    """Every metric the bot exports, on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r, ns = self.registry, NAMESPACE
        self.polls = Counter(
            "polls", "Polls of a source, by outcome", ["source", "state"], namespace=ns, registry=r
        )
        self.posts_fetched = Counter(
            "posts_fetched", "Posts fetched from a source", ["source"], namespace=ns, registry=r
        )
        self.source_errors = Counter(
            "source_errors",
            "Failed polls, by error state",
            ["source", "state"],
            namespace=ns,
            registry=r,
        )
        self.alerts_posted = Counter(
            "alerts_posted",
            "Alert messages posted to chat",
            ["kind", "severity"],
            namespace=ns,
            registry=r,
        )
        self.command_latency = Histogram(
            "command_latency_seconds",
            "Time to execute a chat command",
            ["command"],
            namespace=ns,
            registry=r,
        )
        self.scheduler_leader = Gauge(
            "scheduler_leader",
            "1 while this replica runs the scheduled jobs",
            namespace=ns,
            registry=r,
        )
        self.undelivered = Gauge(
            "undelivered_alerts", "Deliveries not (yet) in chat", namespace=ns, registry=r
        )
        self.spike_states = Gauge(
            "spike_states", "Active spike alerts, by status", ["state"], namespace=ns, registry=r
        )
        self.source_backoff = Gauge(
            "source_backoff",
            "1 while a source is backing off",
            ["source"],
            namespace=ns,
            registry=r,
        )
        self.source_quota_left = Gauge(
            "source_quota_left",
            "Requests left in a source's quota, as last reported",
            ["source"],
            namespace=ns,
            registry=r,
        )
        self.store_up = Gauge(
            "store_up", "1 when the last scrape could read the store", namespace=ns, registry=r
        )

    # Counters, called from the core where things happen.

    def poll_finished(self, source: str, state: str, fetched: int, error: bool) -> None:
        self.polls.labels(source, state).inc()
        if fetched:
            self.posts_fetched.labels(source).inc(fetched)
        else:
            self.posts_fetched.labels(source)  # the series exists from the first poll on
        if error:
            self.source_errors.labels(source, state).inc()

    def alert_posted(self, kind: str, severity: Severity) -> None:
        self.alerts_posted.labels(kind, severity.label).inc()

    @contextmanager
    def command_timer(self, command: str) -> Iterator[None]:
        """Wall time, not the bot's clock: latency is what a person waits for."""
        start = perf_counter()
        try:
            yield
        finally:
            self.command_latency.labels(command).observe(perf_counter() - start)

    def set_leader(self, leader: bool) -> None:
        """For the leader election: 1 while this replica holds the scheduler lease."""
        self.scheduler_leader.set(1 if leader else 0)

    # Gauges that mirror the store, recomputed right before a scrape.

    async def refresh(self, db: Database, clock: Clock) -> bool:
        """Re-read stored state; on a store error keep the last values and report store_up 0."""
        try:
            async with asyncio.timeout(STORE_TIMEOUT_SECONDS):  # a scrape must not hang
                await self._read_store(db, clock)
        except Exception as error:  # a scrape must still answer with the counters
            log.warning("metrics: cannot read the store: %s: %s", type(error).__name__, error)
            self.store_up.set(0)
            return False
        self.store_up.set(1)
        return True

    async def _read_store(self, db: Database, clock: Clock) -> None:
        async with db.read() as session:
            undelivered = await alert_store.count_undelivered(session)
            rows = await session.execute(
                select(AlertRow.status, func.count())
                .where(AlertRow.kind == "spike", AlertRow.status.in_(SPIKE_STATES))
                .group_by(AlertRow.status)
            )
            spikes = {str(status): int(count) for status, count in rows}
            health = list(await session.scalars(select(SourceHealthRow)))
        now = clock.now()
        self.undelivered.set(undelivered)
        for state in SPIKE_STATES:
            self.spike_states.labels(state).set(spikes.get(state, 0))
        self.source_backoff.clear()
        self.source_quota_left.clear()
        for row in health:
            backing_off = row.backoff_until is not None and row.backoff_until > now
            self.source_backoff.labels(row.source).set(1 if backing_off else 0)
            if row.quota_left is not None:
                self.source_quota_left.labels(row.source).set(row.quota_left)

    def render(self) -> bytes:
        """The Prometheus text exposition of everything (see CONTENT_TYPE)."""
        return generate_latest(self.registry)
