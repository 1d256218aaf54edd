"""The pipeline facade the scheduler and CLI call: poll a source, then deliver the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from bot.clock import Clock
from bot.config import Config
from bot.delivery import Deliverer, DeliveryReport
from bot.digests import Digests
from bot.ingest import Ingestor, IngestReport, Matcher, Scorer
from bot.metrics import Metrics
from bot.models import Post
from bot.oncall import OnCall, TickReport
from bot.polling import Poller, PollReport
from bot.ports import ChatNotifier, Source
from bot.spike_watch import SpikeWatch
from bot.store.database import Database


class Pipeline:
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Clock,
        matcher: Matcher,
        scorer: Scorer,
        sources: dict[str, Source],
        notifiers: dict[str, ChatNotifier],
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.sources = sources
        self.metrics = metrics or Metrics()
        self.ingestor = Ingestor(config, db, matcher, scorer, clock)
        self.poller = Poller(db, self.ingestor, clock, self.metrics)
        self.deliverer = Deliverer(db, notifiers, clock, config.alerts, self.metrics)
        self.oncall = OnCall(config, db, clock)
        self.digests = Digests(config, db, clock)
        self.spikes = SpikeWatch(config, db, clock, self.oncall)
        self._budgets = {s.name: s.page_budget for s in config.sources}

    async def poll(self, name: str, *, force: bool = False) -> PollReport:
        """One scheduled poll of one source, then delivery of whatever it decided."""
        report = await self.poller.poll(self.sources[name], self._budgets.get(name, 5), force=force)
        if report.ingest.mentions:
            await self.spikes.evaluate()
        await self.deliverer.run_once()
        return report

    async def receive(self, source: str, key: str, posts: Sequence[Post]) -> IngestReport | None:
        """Posts pushed to us (webhook): stored once per delivery key, then delivered."""
        report = await self.ingestor.ingest_once(source, key, posts)
        if report is not None and report.mentions:
            await self.spikes.evaluate()
        if report is not None:
            await self.deliverer.run_once()
        return report

    async def tick(self) -> TickReport:
        """On-call timers (escalations, lapsed acks), then whatever they queued."""
        report = await self.oncall.tick()
        await self.spikes.evaluate()  # a quiet brand still resolves its spike in time
        await self.digests.catch_up()
        await self.deliverer.run_once()
        return report

    async def digest(self, route: str) -> None:
        """A route's scheduled summary digest."""
        await self.digests.scheduled(route)
        await self.deliverer.run_once()

    async def deliver(self) -> DeliveryReport:
        return await self.deliverer.run_once()
