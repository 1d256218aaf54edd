"""One poll of one source: walk new pages up to the budget, ingest each, record health."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from bot.clock import Clock
from bot.ingest import Ingestor, IngestReport
from bot.metrics import SKIPPED_FOR_BACKOFF, Metrics
from bot.ports import Source, SourceError
from bot.store import sources as source_store
from bot.store.database import Database
from bot.store.tables import SourceHealthRow

log = logging.getLogger(__name__)

DEFAULT_ERROR_BACKOFF = timedelta(minutes=1)


@dataclass
class PollReport:
    source: str
    pages: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    error: str | None = None
    state: str = "ok"
    skipped_for_backoff: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "pages": self.pages,
            "fetched": self.ingest.fetched,
            "new": self.ingest.new,
            "updated": self.ingest.updated,
            "skipped_items": self.ingest.skipped,
            "alerts": self.ingest.alerts_created,
            "errors": 0 if self.error is None else 1,
            "error": self.error,
            "state": self.state,
        }


class Poller:
    def __init__(
        self, db: Database, ingestor: Ingestor, clock: Clock, metrics: Metrics | None = None
    ) -> None:
        self.db = db
        self.ingestor = ingestor
        self.clock = clock
        self.metrics = metrics or Metrics()

    async def poll(self, source: Source, page_budget: int, *, force: bool = False) -> PollReport:
        report = PollReport(source.name)
        async with self.db.read() as session:
            health = await session.get(SourceHealthRow, source.name)
            cursor = await source_store.get_cursor(session, source.name)
        now = self.clock.now()
        if not force and health is not None and health.backoff_until and health.backoff_until > now:
            report.skipped_for_backoff = True
            report.state = health.state
            log.info(
                "poll source=%s skipped: backing off until %s", source.name, health.backoff_until
            )
            self.metrics.poll_finished(source.name, SKIPPED_FOR_BACKOFF, 0, error=False)
            return report
        while report.pages < page_budget:
            try:
                page = await source.fetch(cursor)
            except SourceError as error:
                await self._record_error(source.name, error)
                report.error, report.state = str(error), error.state
                break
            for item in page.skipped:
                log.warning(
                    "source %s: skipped item %s: %s", source.name, item.native_id, item.message
                )
            part = await self.ingestor.ingest(
                source.name,
                page.posts,
                page.cursor,
                skipped=len(page.skipped),
                quota_left=page.quota_left,
            )
            report.ingest.add(part)
            report.pages += 1
            cursor = dict(page.cursor) if page.cursor is not None else cursor
            if not page.more:
                break
        log.log(  # the one line per poll: a failure is in it, not in a line of its own
            logging.INFO if report.error is None else logging.ERROR,
            "poll source=%s pages=%d fetched=%d new=%d updated=%d alerts=%d state=%s%s",
            source.name,
            report.pages,
            report.ingest.fetched,
            report.ingest.new,
            report.ingest.updated,
            report.ingest.alerts_created,
            report.state,
            "" if report.error is None else f" error={report.error}",
        )
        self.metrics.poll_finished(
            source.name, report.state, report.ingest.fetched, error=report.error is not None
        )
        return report

    async def _record_error(self, name: str, error: SourceError) -> None:
        async with self.db.transaction() as session:
            row = await source_store.health_row(session, name)
            now = self.clock.now()
            row.state = error.state
            row.last_error = str(error)
            row.last_error_at = now
            row.backoff_until = error.resume_at or (now + DEFAULT_ERROR_BACKOFF)
