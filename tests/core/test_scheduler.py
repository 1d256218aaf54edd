"""The scheduler only triggers: one job per source, explicitly registered, never overlapping."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from apscheduler.triggers.interval import IntervalTrigger

from bot.scheduler import JobSpec, build_scheduler


async def test_jobs_are_registered_with_the_reliability_settings() -> None:
    async def poll() -> None:
        return None

    scheduler = build_scheduler(
        [
            JobSpec(
                "poll:mastodon",
                poll,
                timedelta(minutes=5),
                jitter=timedelta(seconds=30),
                misfire_grace=timedelta(minutes=2),
            ),
            JobSpec("deliver", poll, timedelta(seconds=30)),
        ]
    )
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"poll:mastodon", "deliver"}
        job = jobs["poll:mastodon"]
        assert job.max_instances == 1 and job.coalesce is True and job.misfire_grace_time == 120
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(minutes=5) and job.trigger.jitter == 30
    finally:
        scheduler.shutdown(wait=False)


async def test_a_slow_job_never_runs_twice_at_once() -> None:
    running = 0
    peak = 0
    runs = 0
    release = asyncio.Event()

    async def slow() -> None:
        nonlocal running, peak, runs
        running += 1
        runs += 1
        peak = max(peak, running)
        await release.wait()
        running -= 1

    scheduler = build_scheduler([JobSpec("poll:slow", slow, timedelta(seconds=0.1))])
    scheduler.start()
    try:
        for _ in range(50):
            await asyncio.sleep(0.02)
            if runs:
                break
        await asyncio.sleep(0.35)  # several intervals pass while the first run is stuck
        assert runs == 1 and peak == 1
    finally:
        release.set()
        scheduler.shutdown(wait=False)


def test_nothing_is_scheduled_at_import() -> None:
    import bot.app
    import bot.scheduler

    assert not hasattr(bot.scheduler, "scheduler")
    assert not hasattr(bot.app, "scheduler")


async def test_app_registers_one_job_per_enabled_source(tmp_path: object) -> None:
    from pathlib import Path

    from bot.app import build_app
    from bot.config import parse_config

    data_file = Path(str(tmp_path)) / "posts.jsonl"
    data_file.write_text("")
    config = parse_config(
        {
            "brands": [{"name": "A", "aliases": ["a"]}],
            "sources": [
                {
                    "name": "one",
                    "type": "replay",
                    "interval": "2m",
                    "options": {"path": str(data_file)},
                },
                {
                    "name": "two",
                    "type": "replay",
                    "enabled": False,
                    "options": {"path": str(data_file)},
                },
            ],
            "store": {"url": f"sqlite+aiosqlite:///{Path(str(tmp_path)) / 'db.sqlite'}"},
        }
    )
    app = await build_app(config)
    try:
        jobs = {job.id: job for job in app.jobs()}
        assert set(jobs) == {"poll:one", "deliver", "oncall", "retention"}
        assert jobs["poll:one"].interval == timedelta(minutes=2)
        assert jobs["poll:one"].jitter == timedelta(seconds=12)
    finally:
        await app.close()


async def test_a_job_without_a_first_run_time_is_not_paused() -> None:
    """Regression: APScheduler treats next_run_time=None as 'paused'."""

    async def noop() -> None:
        return None

    scheduler = build_scheduler([JobSpec("deliver", noop, timedelta(seconds=30))])
    scheduler.start()
    try:
        assert scheduler.get_jobs()[0].next_run_time is not None
    finally:
        scheduler.shutdown(wait=False)
