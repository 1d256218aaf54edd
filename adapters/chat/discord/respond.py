"""What every handler shares: who is acting, which core service to call, how to answer.

Handlers stay thin: answer Discord first (respond or defer), then call one core method,
then send what `render` made of the result. Answers never ping anyone.
"""

from __future__ import annotations

import io
import logging
from typing import Any, Protocol, runtime_checkable

import discord

from adapters.chat.discord.render import Rendered, notice_content, render_result
from bot.commands.service import CommandService
from bot.permissions import Actor
from bot.views import CommandResult, Notice

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_MENTIONS = discord.AllowedMentions.none()
GUILD_ONLY_TEXT = (
    "/deinfluence works only inside a server, not in direct messages. Nothing changed."
)


@runtime_checkable
class ServiceHost(Protocol):
    """A client that carries the core command service (DeinfluenceClient does)."""

    deinfluence_service: CommandService | None


def service_of(interaction: discord.Interaction[Any]) -> CommandService:
    client = interaction.client
    service = client.deinfluence_service if isinstance(client, ServiceHost) else None
    if service is None:
        raise RuntimeError("this Discord client was built without a command service")
    return service


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """The clicking/typing person as the core sees them: user id, role ids, channel id."""
    user = interaction.user
    roles: set[str] = set()
    if isinstance(user, discord.Member):
        # `_roles` holds the role ids straight from the interaction payload, so it is right
        # even while the guild cache is cold (just after a restart); `roles` needs that cache.
        roles.update(str(role_id) for role_id in user._roles)
        roles.update(str(role.id) for role in user.roles if not role.is_default())
    channel = str(interaction.channel_id) if interaction.channel_id is not None else None
    return Actor(
        platform=PLATFORM,
        user_id=str(user.id),
        name=user.name,
        groups=tuple(sorted(roles)),
        channel=channel,
    )


async def send(
    interaction: discord.Interaction[Any],
    rendered: Rendered,
    *,
    ephemeral: bool,
    chart_png: bytes | None = None,
) -> None:
    """Answer the interaction: the first response if none was sent yet, else a follow-up."""
    files: list[discord.File] = []
    if chart_png is not None and rendered.chart_filename:
        files.append(
            discord.File(
                io.BytesIO(chart_png),
                filename=rendered.chart_filename,
                description=rendered.chart_alt,
            )
        )
    embeds = list(rendered.embeds)
    if interaction.response.is_done():
        await interaction.followup.send(
            content=rendered.content or discord.utils.MISSING,
            embeds=embeds,
            files=files,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )
    else:
        await interaction.response.send_message(
            content=rendered.content,
            embeds=embeds,
            files=files,
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )


async def send_result(
    interaction: discord.Interaction[Any], result: CommandResult, *, ephemeral: bool
) -> None:
    await send(interaction, render_result(result), ephemeral=ephemeral, chart_png=result.chart_png)


async def send_notice(
    interaction: discord.Interaction[Any], text: str, level: str = "error"
) -> None:
    await send(interaction, Rendered(content=notice_content(Notice(text, level))), ephemeral=True)


async def in_guild_or_refuse(interaction: discord.Interaction[Any]) -> bool:
    """guild_only in code too: the UI flag hides the command in DMs, this refuses it."""
    if interaction.guild_id is not None:
        return True
    await send_notice(interaction, GUILD_ONLY_TEXT, "denied")
    return False
