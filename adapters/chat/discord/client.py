"""The discord.Client: minimal intents, no mentions by default, rate limits that fail fast.

Only the `guilds` intent (not privileged): interactions arrive without any intent, and
`guilds` keeps discord.py's guild/channel/role cache coherent as its docs ask. No members,
presences or message content are needed, because everything we act on comes in the
interaction payload (user id and role ids) or from our own messages.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from adapters.chat.discord.buttons import AlertButton
from adapters.chat.discord.commands import DeinfluenceGroup
from adapters.chat.discord.respond import send_notice
from adapters.chat.discord.sync import sync_commands
from bot.commands.service import CommandService

log = logging.getLogger(__name__)

# discord.py's smallest allowed value: a request that would wait longer for a rate limit raises
# discord.RateLimited, so an outbox job fails and is retried later instead of hanging.
MAX_RATELIMIT_TIMEOUT = 30.0


def intents() -> discord.Intents:
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


class DeinfluenceTree(app_commands.CommandTree[discord.Client]):
    """The error boundary: an unexpected failure becomes a private message with an error id."""

    async def on_error(
        self,
        interaction: discord.Interaction[discord.Client],
        error: app_commands.AppCommandError,
        /,
    ) -> None:
        error_id = secrets.token_hex(4)
        name = interaction.command.qualified_name if interaction.command else "?"
        log.error(
            "Discord command %s by %s failed (error id %s)",
            name,
            interaction.user.id,
            error_id,
            exc_info=error,
        )
        try:
            await send_notice(
                interaction, f"Something went wrong (error id {error_id}). Nothing was changed."
            )
        except discord.HTTPException:
            log.warning("could not tell the user about error %s", error_id)


class DeinfluenceClient(discord.Client):
    """Carries the core service for the handlers; registers buttons and commands at setup."""

    def __init__(
        self,
        *,
        service: CommandService | None,
        dev_guild_id: int | None = None,
        sync_state_path: Path | None = None,
        auto_sync: bool = True,
        **options: Any,
    ) -> None:
        super().__init__(
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_TIMEOUT,
            **options,
        )
        self.deinfluence_service = service
        self.dev_guild_id = dev_guild_id
        self.sync_state_path = sync_state_path
        self.auto_sync = auto_sync
        self.tree = DeinfluenceTree(self)
        self.tree.add_command(DeinfluenceGroup())
        if dev_guild_id:
            self.tree.copy_global_to(guild=discord.Object(dev_guild_id))

    def register_components(self) -> None:
        """Persistent buttons: any of our custom_ids, on any message, routes to AlertButton."""
        self.add_dynamic_items(AlertButton)

    async def setup_hook(self) -> None:
        """After login, before the gateway: buttons first, then a sync only if commands changed."""
        self.register_components()
        if self.auto_sync and self.sync_state_path is not None:
            try:
                await sync_commands(
                    self, self.tree, guild_id=self.dev_guild_id, state_path=self.sync_state_path
                )
            except (discord.HTTPException, app_commands.AppCommandError, OSError):
                log.exception(
                    "syncing Discord commands failed; the old definitions stay until "
                    "the next start or `deinfluence discord-sync`"
                )
