"""Wiring for the composition root: build the client and notifier, start, stop, force a sync."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import discord

from adapters.chat.discord.client import DeinfluenceClient
from adapters.chat.discord.limits import is_snowflake
from adapters.chat.discord.notifier import DiscordNotifier
from adapters.chat.discord.sync import default_state_path, sync_commands
from bot.commands.service import CommandService
from bot.config import Config, ConfigError, Environment, Secret

log = logging.getLogger(__name__)


@dataclass
class DiscordRuntime:
    """The running Discord side: REST after `start()` (login), gateway in a background task."""

    client: DeinfluenceClient
    notifier: DiscordNotifier
    token: Secret = field(repr=False)
    _gateway: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        """Log in (runs setup_hook: buttons, command sync if changed), then connect the gateway.

        Raises discord.LoginFailure for a bad token; the gateway reconnects by itself.
        """
        await self.client.login(self.token.reveal())
        self._gateway = asyncio.create_task(
            self.client.connect(reconnect=True), name="discord-gateway"
        )
        self._gateway.add_done_callback(_report_gateway_end)

    async def stop(self) -> None:
        await self.client.close()
        if self._gateway is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._gateway
            self._gateway = None


def _report_gateway_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the Discord gateway connection ended", exc_info=task.exception())


def check_discord_env(env: Environment, config: Config | None = None) -> list[str]:
    """Problems only Discord can see: a missing token for Discord routes, ids that are not ids."""
    problems: list[str] = []
    token = env.discord_bot_token.reveal() if env.discord_bot_token else ""
    if token and (token.lower().startswith("bot ") or any(c.isspace() for c in token)):
        problems.append("DISCORD_BOT_TOKEN: give the bare token, without 'Bot ' or spaces")
    if config is None:
        return problems
    for i, route in enumerate(config.routes):
        if route.platform != "discord":
            continue
        if not token:
            problems.append(
                f"routes[{i}].platform: discord needs DISCORD_BOT_TOKEN in the environment"
            )
        if not is_snowflake(route.channel):
            problems.append(f"routes[{i}].channel: {route.channel!r} is not a Discord channel id")
        if route.oncall is not None and not is_snowflake(route.oncall):
            problems.append(f"routes[{i}].oncall: {route.oncall!r} is not a Discord role id")
        for kind in ("responders", "managers"):
            for j, value in enumerate(getattr(route, kind)):
                if not is_snowflake(value):
                    problems.append(
                        f"routes[{i}].{kind}[{j}]: {value!r} is not a Discord user or role id"
                    )
    return problems


def build_discord(
    config: Config,
    service: CommandService,
    *,
    dev_guild_id: int | None = None,
    sync_state_path: Path | None = None,
    auto_sync: bool = True,
) -> DiscordRuntime:
    """Enabled when DISCORD_BOT_TOKEN is set; raise ConfigError listing problems otherwise."""
    token = config.env.discord_bot_token
    problems = check_discord_env(config.env, config)
    if token is None:
        problems.insert(0, "DISCORD_BOT_TOKEN: not set")
    if problems:
        raise ConfigError(problems)
    assert token is not None
    client = DeinfluenceClient(
        service=service,
        dev_guild_id=dev_guild_id,
        auto_sync=auto_sync,
        sync_state_path=sync_state_path or default_state_path(config.database_url),
    )
    return DiscordRuntime(client=client, notifier=DiscordNotifier(client), token=token)


async def force_sync(
    config: Config,
    *,
    dev_guild_id: int | None = None,
    sync_state_path: Path | None = None,
    client: DeinfluenceClient | None = None,
) -> int:
    """`deinfluence discord-sync`: log in over REST only, sync the commands now, store the hash.

    Returns the number of top-level commands sent. Pass `client` to reuse one (tests do).
    """
    path = sync_state_path or default_state_path(config.database_url)
    own = client is None
    if client is None:
        token = config.env.discord_bot_token
        if token is None:
            raise ConfigError(["DISCORD_BOT_TOKEN: not set"])
        client = DeinfluenceClient(service=None, dev_guild_id=dev_guild_id, auto_sync=False)
        await client.login(token.reveal())
    try:
        await sync_commands(
            client, client.tree, guild_id=client.dev_guild_id, state_path=path, force=True
        )
        guild = discord.Object(client.dev_guild_id) if client.dev_guild_id else None
        return len(client.tree.get_commands(guild=guild))
    finally:
        if own:
            await client.close()
