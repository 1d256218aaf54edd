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
from pathlib import Path
from typing import Any

from rich.console import Console

from adapters.chat.console import ConsoleNotifier, repl, show_result
from adapters.chat.discord import DiscordRuntime, build_discord, check_discord_env, force_sync
from adapters.chat.slack import SlackRuntime, build_slack, check_slack_env
from adapters.chat.slack.runtime import check_slack_routes
from adapters.http_health import health_routes
from adapters.http_server import HttpServer
from adapters.sources.registry import SourceContext, build_source, option_problems
from adapters.sources.replay import ReplaySource, post_from_record, resolve_path
from adapters.sources.webhook import ingest_routes, webhook_configs
from bot.clock import Clock, SystemClock
from bot.commands.service import CommandService
from bot.config import Config, ConfigError
from bot.leader import Leadership, current_leader
from bot.matching import BrandMatcher
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.ports import ChatNotifier, Source
from bot.retention import prune
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
    "force_discord_sync",
    "post_from_record",
    "repl",
    "resolve_path",
    "serve",
    "show_result",
    "stop_scheduler",
]

DELIVERY_INTERVAL = timedelta(seconds=30)
ONCALL_INTERVAL = timedelta(seconds=20)


def wants_slack(config: Config) -> bool:
    return config.env.slack_bot_token is not None or any(
        r.platform == "slack" for r in config.routes
    )


def wants_discord(config: Config) -> bool:
    return config.env.discord_bot_token is not None or any(
        r.platform == "discord" for r in config.routes
    )


def config_problems(config: Config) -> list[str]:
    """Problems only the adapters can see: source options, credentials, chat platforms."""
    problems: list[str] = []
    for source in config.sources:
        problems.extend(option_problems(source, config.env))
    if wants_slack(config):
        problems.extend(check_slack_env(config.env))
        problems.extend(check_slack_routes(config))
    if wants_discord(config):
        problems.extend(check_discord_env(config.env, config))
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
    slack: SlackRuntime | None = None
    discord: DiscordRuntime | None = None
    metrics: Metrics = field(default_factory=Metrics)
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
            if s.enabled and not getattr(self.sources.get(s.name), "pushed", False)
        ]
        specs.append(
            JobSpec(
                id="deliver",
                func=self._tracked("deliver", self.pipeline.deliver),
                interval=DELIVERY_INTERVAL,
            )
        )
        specs.extend(
            JobSpec(
                id=f"digest:{route.name}",
                func=self._tracked(
                    f"digest:{route.name}", functools.partial(self.pipeline.digest, route.name)
                ),
                interval=timedelta(days=1),
                cron=route.digest,
                timezone=route.timezone,
                misfire_grace=timedelta(hours=1),
            )
            for route in self.config.routes
            if route.digest
        )
        specs.append(
            JobSpec(
                id="retention",
                func=self._tracked("retention", self.prune),
                interval=timedelta(days=1),
                first_run=self.clock.now() + timedelta(minutes=5),
                misfire_grace=timedelta(hours=6),
            )
        )
        specs.append(
            JobSpec(
                id="oncall",
                func=self._tracked("oncall", self.pipeline.tick),
                interval=ONCALL_INTERVAL,
            )
        )
        return specs

    async def prune(self) -> None:
        await prune(self.db, self.clock, self.config.store.retention_days)

    def rebuild_discord(self) -> DiscordRuntime:
        """A fresh Discord client: one that was stopped cannot log in again."""
        state = self.config.env.discord_sync_state
        return build_discord(
            self.config,
            self.service,
            dev_guild_id=self.config.env.discord_dev_guild_id,
            sync_state_path=Path(state) if state else None,
        )

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
    migrate: bool | None = None,
    chat_platforms: bool = False,
) -> App:
    """Wire everything; `chat_platforms` builds the Slack and Discord runtimes (for `run`)."""
    problems = config_problems(config)
    if problems:
        raise ConfigError(problems)
    clock = clock or SystemClock()
    metrics = Metrics()
    console = console or Console(highlight=False)
    db = Database(config.database_url)
    if migrate if migrate is not None else db.is_sqlite:
        # PostgreSQL is migrated by the replica that leads (or `deinfluence db upgrade`)
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
        metrics=metrics,
    )

    async def refresh() -> None:
        await pipeline.deliver()

    async def leader() -> str | None:
        return await current_leader(config.database_url)

    service = CommandService(config, db, clock, on_change=refresh, leader=leader, metrics=metrics)
    app = App(config, db, clock, pipeline, service, sources, chat, console, metrics=metrics)
    if chat_platforms and wants_slack(config):
        app.slack = build_slack(config, service, client_base_url=config.env.slack_api_url)
        chat["slack"] = app.slack.notifier  # the deliverer holds this same dict
    if chat_platforms and wants_discord(config):
        app.discord = app.rebuild_discord()  # its notifier joins `chat` while this replica leads
    return app


def http_server(app: App) -> HttpServer:
    """Health, Slack HTTP mode and inbound webhooks on the bot's own port."""
    env = app.config.env
    server = HttpServer(env.http_host, env.http_port)
    hooks = webhook_configs(app.config.sources, env)
    if hooks:
        server.add_routes(ingest_routes(hooks, app.pipeline.receive, app.clock))
    server.add_routes(
        health_routes(app.db, app.metrics, functools.partial(chat_status, app), clock=app.clock)
    )
    return server


async def chat_status(app: App) -> dict[str, bool | str]:
    """Per platform, for /readyz: connected, or why not. Discord runs on the leader only."""
    status: dict[str, bool | str] = {}
    if app.slack is not None:
        status["slack"] = await app.slack.connected()
    if app.discord is not None:
        if "discord" not in app.notifiers:
            status["discord"] = True  # a standby replica: the leader holds the gateway
        else:
            client = app.discord.client
            status["discord"] = (client.is_ready() and not client.is_closed()) or (
                "gateway not connected"
            )
    return status


async def ensure_schema(app: App) -> bool:
    """As the new leader: migrate an older schema; refuse to lead on a newer one."""
    current = await app.db.current_revision()
    head = Database.head_revision()
    if current == head:
        return True
    if current is not None and not Database.knows_revision(current):
        log.error(
            "refusing to lead: the database schema is at %s, newer than this replica knows "
            "(head %s); upgrade this replica",
            current,
            head,
        )
        return False
    log.info("migrating the database from %s to %s", current or "nothing", head)
    await app.db.upgrade()
    return True


class Leader:
    """What only the leader runs: migrations, the scheduler, Discord's gateway."""

    def __init__(self, app: App, leadership: Leadership) -> None:
        self.app = app
        self.leadership = leadership
        self.scheduler: Any = None

    async def gain(self) -> None:
        if not await ensure_schema(self.app):
            self.leadership.stop()  # release the lock for a replica that knows this schema
            return
        discord = self.app.discord
        if discord is not None:
            await discord.start()  # logged in before recovery: find_posted needs it
            self.app.notifiers["discord"] = discord.notifier
        await self.app.pipeline.deliverer.recover()
        self.scheduler = build_scheduler(self.app.jobs())
        self.scheduler.start()
        self.app.metrics.set_leader(True)

    async def lose(self) -> None:
        self.app.metrics.set_leader(False)
        if self.scheduler is not None:
            await stop_scheduler(self.scheduler, self.app)
            self.scheduler = None
        if self.app.discord is not None and self.app.notifiers.pop("discord", None) is not None:
            await self.app.discord.stop()
            self.app.discord = self.app.rebuild_discord()


async def serve(app: App, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop`): HTTP server and Slack on every replica; the
    scheduler, migrations and Discord on the one replica that leads."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    server = http_server(app)
    if app.slack is not None:
        await app.slack.start(server)  # mounts POST /slack/events in HTTP mode
    await server.start()
    leadership = Leadership(app.config.database_url)
    leader = Leader(app, leadership)
    election = asyncio.create_task(leadership.run(leader.gain, leader.lose))
    log.info(
        "deinfluence running as %s: %d sources, %d routes, http on %s",
        leadership.name,
        len(app.sources),
        len(app.config.routes),
        server.url,
    )
    try:
        await stop.wait()
    finally:
        leadership.stop()
        await election
        if app.slack is not None:
            await app.slack.stop()
        await server.stop()
        await app.close()


async def stop_scheduler(scheduler: Any, app: App) -> None:
    """Stop new runs, let running jobs finish, then shut down (shutdown cancels what runs)."""
    scheduler.pause()
    await app.drain()
    scheduler.shutdown(wait=False)


async def force_discord_sync(config: Config, guild: int | None) -> int:
    """`deinfluence discord-sync`: sync the command definitions whatever the stored hash says."""
    state = config.env.discord_sync_state
    return await force_sync(
        config,
        dev_guild_id=guild or config.env.discord_dev_guild_id,
        sync_state_path=Path(state) if state else None,
    )
