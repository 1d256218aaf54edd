"""`deinfluence backfill`: walk a source's history so a new brand's spike baselines have data.

Why a cursor of its own: the walk goes back in time while the live poller goes
forward, so its position is stored under `backfill:<source>` in the cursor
table, never under the live key. It holds the look-back the walk was started
with (and the absolute `since` that resolved to): a run with the same
look-back continues an unfinished walk; a different one, or a walk that had
finished, starts over. Each page and that cursor are stored in one
transaction, so an error mid-walk loses nothing and repeats nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from bot.clock import Clock
from bot.ingest import Ingestor, IngestReport
from bot.ports import BackfillSource, SourceError, SourceQuotaError
from bot.progress import Tracker
from bot.store import sources as source_store
from bot.store.database import Database
from bot.store.tables import SourceHealthRow
from bot.timeutil import parse_iso

log = logging.getLogger(__name__)

KEY_PREFIX = "backfill:"
ALERT_WINDOW = timedelta(hours=24)  # history younger than this alerts like a first live poll

DONE, PAUSED, BUDGET = "done", "paused", "budget used"


def backfill_key(name: str) -> str:
    """The cursor-table key of a source's backfill, beside its live cursor."""
    return f"{KEY_PREFIX}{name}"


def history_of(source: object) -> BackfillSource | None:
    """The source as a BackfillSource, or None when its platform keeps no history we can pull."""
    if callable(getattr(source, "fetch_history", None)):
        return cast(BackfillSource, source)
    return None


def history_window(source: object) -> timedelta | None:
    """How far back the platform lets us search (`history_window` on the adapter), if limited."""
    window = getattr(source, "history_window", None)
    return window if isinstance(window, timedelta) else None


@dataclass
class BackfillReport:
    source: str
    since: datetime | None = None
    pages: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)
    state: str = DONE
    error: str | None = None
    resume_at: datetime | None = None
    resumed: bool = False
    clamped: bool = False

    @property
    def failed(self) -> bool:
        return self.error is not None

    def describe(self) -> str:
        """The state in words, with what to do next."""
        if self.state == DONE:
            return "done"
        if self.state == PAUSED:
            until = self.resume_at.isoformat() if self.resume_at else "the quota resets"
            return f"paused until {until}, run again to resume"
        if self.state == BUDGET:
            return "page budget used, run again to resume"
        return f"{self.state}: {self.error}; run again to resume"

    def to_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "since": self.since.isoformat() if self.since else None,
            "pages": self.pages,
            "fetched": self.ingest.fetched,
            "new": self.ingest.new,
            "updated": self.ingest.updated,
            "skipped_items": self.ingest.skipped,
            "alerts": self.ingest.alerts_created,
            "quiet": self.ingest.quiet,
            "state": self.state,
            "error": self.error,
            "resume_at": self.resume_at.isoformat() if self.resume_at else None,
            "resumed": self.resumed,
            "clamped": self.clamped,
        }


@dataclass(frozen=True)
class _Walk:
    """The stored backfill state: where the walk is and what it was started with."""

    lookback: int
    since: datetime
    cursor: Mapping[str, Any] | None
    done: bool = False

    @classmethod
    def load(cls, raw: Mapping[str, Any] | None) -> _Walk | None:
        if not raw:
            return None
        try:
            since = parse_iso(str(raw["since"]))
            lookback = int(raw["lookback"])
        except (KeyError, TypeError, ValueError):
            return None
        inner = raw.get("cursor")
        return cls(
            lookback, since, inner if isinstance(inner, Mapping) else None, raw.get("done") is True
        )

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lookback": self.lookback, "since": self.since.isoformat()}
        if self.cursor is not None:
            out["cursor"] = dict(self.cursor)
        if self.done:
            out["done"] = True
        return out


class Backfiller:
    def __init__(
        self,
        db: Database,
        ingestor: Ingestor,
        clock: Clock,
        *,
        alert_window: timedelta = ALERT_WINDOW,
    ) -> None:
        self.db = db
        self.ingestor = ingestor
        self.clock = clock
        self.alert_window = alert_window

    async def run(
        self,
        source: BackfillSource,
        lookback: timedelta,
        *,
        page_budget: int | None = None,
        progress: Tracker | None = None,
        alerts: bool = False,
    ) -> BackfillReport:
        """Walk `lookback` of history until its end, the budget, a quota pause or an error.

        `alerts=False` keeps posts older than the alert window from opening alerts.
        """
        key = backfill_key(source.name)
        now = self.clock.now()
        report = BackfillReport(source.name)
        async with self.db.read() as session:
            health = await session.get(SourceHealthRow, source.name)
            stored = _Walk.load(await source_store.get_cursor(session, key))
        walk = self._start(source, lookback, stored, now, report)
        if health is not None and _quota_paused(health, now):
            report.state, report.resume_at = PAUSED, health.backoff_until
            report.error = f"quota exhausted: {health.last_error or 'see status'}"
            return report
        alert_after = None if alerts else now - self.alert_window
        while page_budget is None or report.pages < page_budget:
            try:
                page = await source.fetch_history(walk.since, walk.cursor)
            except SourceError as error:
                await self._failed(source.name, error, report)
                return report
            for item in page.skipped:
                log.warning(
                    "backfill %s: skipped item %s: %s", source.name, item.native_id, item.message
                )
            if page.more and page.cursor is None:
                report.state, report.error = "bad payload", "the source gave no cursor to go on"
                return report
            walk = _Walk(walk.lookback, walk.since, page.cursor or walk.cursor, not page.more)
            part = await self.ingestor.ingest_history(
                key, page.posts, walk.dump(), alert_after=alert_after, skipped=len(page.skipped)
            )
            report.ingest.add(part)
            report.pages += 1
            if progress is not None:
                progress.advance(len(page.posts))
            if walk.done:
                report.state = DONE
                break
        else:
            report.state = BUDGET
        log.info(
            "backfill source=%s pages=%d fetched=%d new=%d alerts=%d quiet=%d state=%s",
            source.name,
            report.pages,
            report.ingest.fetched,
            report.ingest.new,
            report.ingest.alerts_created,
            report.ingest.quiet,
            report.state,
        )
        return report

    def _start(
        self,
        source: BackfillSource,
        lookback: timedelta,
        stored: _Walk | None,
        now: datetime,
        report: BackfillReport,
    ) -> _Walk:
        """Continue an unfinished walk with the same look-back, else start a new one."""
        seconds = int(lookback.total_seconds())
        if stored is not None and stored.lookback == seconds and not stored.done:
            report.since, report.resumed = stored.since, True
            return stored
        since = now - lookback
        window = history_window(source)
        if window is not None and since < now - window:
            since, report.clamped = now - window, True
        report.since = since
        return _Walk(seconds, since, None)

    async def _failed(self, name: str, error: SourceError, report: BackfillReport) -> None:
        """Report the error; a quota pause is also recorded in the source's health.

        The quota belongs to the credentials, so the live poller would hit the same
        wall: it waits until the reset instead of spending calls to find out.
        """
        log.error("backfill source=%s stopped state=%s: %s", name, error.state, error)
        report.error, report.resume_at = str(error), error.resume_at
        report.state = PAUSED if isinstance(error, SourceQuotaError) else error.state
        if not isinstance(error, SourceQuotaError) or error.resume_at is None:
            return
        async with self.db.transaction() as session:
            row = await source_store.health_row(session, name)
            row.state = error.state
            row.last_error = f"backfill: {error}"
            row.last_error_at = self.clock.now()
            row.backoff_until = error.resume_at


def _quota_paused(health: SourceHealthRow, now: datetime) -> bool:
    """The live source is waiting for a quota reset: a backfill would only spend calls."""
    return (
        health.state == SourceQuotaError.state
        and health.backoff_until is not None
        and health.backoff_until > now
    )
