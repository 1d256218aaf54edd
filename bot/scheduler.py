"""APScheduler 3 on the one event loop. It only triggers: each job calls one pipeline function."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

JobFunc = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class JobSpec:
    """One recurring job. `max_instances=1` and coalescing are not optional here."""

    id: str
    func: JobFunc
    interval: timedelta
    jitter: timedelta = timedelta(0)
    misfire_grace: timedelta = timedelta(minutes=2)
    first_run: datetime | None = None
    cron: str | None = None  # instead of the interval: a crontab line in `timezone`
    timezone: str = "UTC"


def trigger_of(job: JobSpec) -> BaseTrigger:
    """Cron jobs follow the wall clock of their zone, daylight saving included."""
    if job.cron is not None:
        return CronTrigger.from_crontab(job.cron, timezone=ZoneInfo(job.timezone))
    jitter = int(job.jitter.total_seconds()) or None
    return IntervalTrigger(
        seconds=max(job.interval.total_seconds(), 0.1), jitter=jitter, timezone="UTC"
    )


def build_scheduler(jobs: list[JobSpec]) -> AsyncIOScheduler:
    """Register every job explicitly; nothing is scheduled at import time.

    Coalesce: a backlog of missed runs becomes one run. Misfire grace: a run
    late by more than that is skipped (the next one catches up from the cursor).
    """
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs:
        # An explicit next_run_time=None would add the job paused; leave it out instead.
        first = {"next_run_time": job.first_run} if job.first_run is not None else {}
        scheduler.add_job(
            job.func,
            trigger_of(job),
            id=job.id,
            name=job.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(job.misfire_grace.total_seconds())),
            replace_existing=True,
            **first,
        )
    return scheduler
