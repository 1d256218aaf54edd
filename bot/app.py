"""The composition root: the only core module that wires adapters in."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rich.console import Console

from adapters.chat.console import ConsoleNotifier, repl, show_result
from adapters.sources.registry import SourceContext, build_source, option_problems
from adapters.sources.replay import ReplaySource, post_from_record, resolve_path
from bot.clock import Clock, SystemClock
from bot.commands.service import CommandService
from bot.config import Config, ConfigError
from bot.matching import BrandMatcher
from bot.pipeline import Pipeline
from bot.ports import ChatNotifier, Source
from bot.scheduler import JobSpec, build_scheduler
from bot.scoring.scorer import Scorer
from bot.store.database import Database

log = logging.getLogger(__name__)

# `repl`, `show_result`, `ReplaySource`, `post_from_record` and `resolve_path` are handed on
# to the demo and backtest, so this stays the only core module that imports adapters.
__all__ = [
    "App",
    "ReplaySource",
    "build_app",
    "config_problems",
    "post_from_record",
    "repl",
    "resolve_path",
    "serve",
    "show_result",
    "stop_scheduler",
]

AVAILABLE_PLATFORMS = ("console",)
DELIVERY_INTERVAL = timedelta(seconds=30)


def config_problems(config: Config) -> list[str]:
    """Problems only the adapters can see: source options, credentials, chat platforms."""
    problems: list[str] = []
    for source in config.sources:
        problems.extend(option_problems(source, config.env))
    for i, route in enumerate(config.routes):
        if route.platform not in AVAILABLE_PLATFORMS:
            problems.append(
                f"routes[{i}].platform: {route.platform} is not available in this build"
            )
    return problems


@dataclass
class App:
    config: Config
    db: Database
    clock: Clock
    pipeline: Pipeline
    service: CommandService
    sources: dict[str, Source]
    notifiers: dict[str, ChatNotifier]
    console: Console
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    running: set[asyncio.Task[Any]] = field(default_factory=set)

    def _tracked(
        self, name: str, func: Callable[[], Awaitable[object]]
    ) -> Callable[[], Awaitable[None]]:
        """A job body that never kills the scheduler and can be awaited at shutdown."""

        async def job() -> None:
            task = asyncio.current_task()
            if task is not None:
                self.running.add(task)
            try:
                await func()
            except Exception:
                log.exception("job %s failed", name)
            finally:
                if task is not None:
                    self.running.discard(task)

        job.__name__ = name.replace(":", "_")
        return job

    async def drain(self) -> None:
        """Let jobs that are mid-run finish, so nothing is cut off between claim and record."""
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)

    def jobs(self) -> list[JobSpec]:
        specs = [
            JobSpec(
                id=f"poll:{s.name}",
                func=self._tracked(f"poll:{s.name}", functools.partial(self.pipeline.poll, s.name)),
                interval=s.interval,
                jitter=s.effective_jitter,
                misfire_grace=s.misfire_grace,
                first_run=self.clock.now(),
            )
            for s in self.config.sources
            if s.enabled
        ]
        specs.append(
            JobSpec(
                id="deliver",
                func=self._tracked("deliver", self.pipeline.deliver),
                interval=DELIVERY_INTERVAL,
            )
        )
        return specs

    async def close(self) -> None:
        for task in self.background:
            task.cancel()
        for source in self.sources.values():
            with contextlib.suppress(Exception):
                await source.aclose()
        await self.db.dispose()


async def build_app(
    config: Config,
    *,
    clock: Clock | None = None,
    console: Console | None = None,
    notifiers: dict[str, ChatNotifier] | None = None,
    migrate: bool = True,
) -> App:
    problems = config_problems(config)
    if problems:
        raise ConfigError(problems)
    clock = clock or SystemClock()
    console = console or Console(highlight=False)
    db = Database(config.database_url)
    if migrate:
        await db.upgrade()
    context = SourceContext(
        env=config.env,
        clock=clock,
        hashtags=list(config.tracking.hashtags),
        brands=list(config.brands),
    )
    sources = {s.name: build_source(s, context) for s in config.sources if s.enabled}
    chat: dict[str, ChatNotifier] = {"console": ConsoleNotifier(console)}
    chat.update(notifiers or {})
    pipeline = Pipeline(
        config,
        db,
        clock,
        BrandMatcher(config.brands),
        Scorer(config.brands, config.policy),
        sources,
        chat,
    )

    async def refresh() -> None:
        await pipeline.deliver()

    service = CommandService(config, db, clock, on_change=refresh)
    return App(config, db, clock, pipeline, service, sources, chat, console)


async def serve(app: App) -> None:
    """Run the scheduler until SIGINT/SIGTERM; settle in-flight deliveries first."""
    await app.pipeline.deliverer.recover()
    scheduler = build_scheduler(app.jobs())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    scheduler.start()
    log.info("deinfluence running: %d sources, %d routes", len(app.sources), len(app.config.routes))
    try:
        await stop.wait()
    finally:
        await stop_scheduler(scheduler, app)
        await app.close()


async def stop_scheduler(scheduler: Any, app: App) -> None:
    """Stop new runs, let running jobs finish, then shut down (shutdown cancels what runs)."""
    scheduler.pause()
    await app.drain()
    scheduler.shutdown(wait=False)
