"""`/deinfluence` as an app_commands.Group: typed options build the core's typed commands.

Each handler: refuse outside a server, build the command (bad input answers at once),
defer within Discord's 3 seconds, call `CommandService.execute`, send the rendered result.
Permissions are decided by the core (route role ids); `default_permissions` is only the
hint Discord uses to decide who sees the command by default.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

import discord
from discord import app_commands

from adapters.chat.discord.limits import CHOICE_NAME_LIMIT, clip
from adapters.chat.discord.respond import (
    actor_of,
    in_guild_or_refuse,
    send_notice,
    send_result,
    service_of,
)
from bot.commands import grammar as g
from bot.durations import parse_duration
from bot.models import Severity
from bot.mutes import MuteSpec
from bot.views import MutesView

log = logging.getLogger(__name__)

AUTOCOMPLETE_BUDGET = 2.5  # seconds; autocomplete cannot defer, so a slow store yields no choices
MAX_CHOICES = 25
WINDOW_SUGGESTIONS = ("1h", "6h", "24h", "7d", "30d")
DEFAULT_PERMISSIONS = discord.Permissions(send_messages=True)

SeverityOption = Literal["low", "medium", "high", "critical"]
AlertId = app_commands.Range[int, 1, 2**53]
Reason = app_commands.Range[str, 1, g.MAX_REASON]
Handle = app_commands.Range[str, 1, 256]


def window_of(text: str | None, command: str) -> timedelta:
    if text is None or not text.strip():
        return g.DEFAULT_WINDOW
    try:
        return parse_duration(text)
    except ValueError as error:
        raise g.UsageError(str(error), command) from None


async def run(
    interaction: discord.Interaction[Any], build: Callable[[], g.Command], *, public: bool = False
) -> None:
    """The one path of every subcommand: validate, defer, execute, answer."""
    if not await in_guild_or_refuse(interaction):
        return
    try:
        command = build()
    except g.UsageError as error:
        await send_notice(interaction, f"{error}\nUsage: {error.usage}")
        return
    await interaction.response.defer(ephemeral=not public, thinking=True)
    result = await service_of(interaction).execute(command, actor_of(interaction))
    await send_result(interaction, result, ephemeral=not public)


# --- autocompletion -------------------------------------------------------------------------------


def _filter_names(names: list[str], current: str) -> list[app_commands.Choice[str]]:
    needle = current.strip().casefold()
    return [
        app_commands.Choice(name=clip(n, CHOICE_NAME_LIMIT), value=n)
        for n in names
        if needle in n.casefold()
    ][:MAX_CHOICES]


async def brand_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return _filter_names(service_of(interaction).brand_names(), current)


async def summary_brand_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    return _filter_names(["all", *service_of(interaction).brand_names()], current)


async def window_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[str]]:
    names = list(WINDOW_SUGGESTIONS)
    if current.strip() and current.strip() not in names:
        names.insert(0, current.strip())
    return [app_commands.Choice(name=n, value=n) for n in names if current.strip() in n][
        :MAX_CHOICES
    ]


async def alert_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    try:
        found = await asyncio.wait_for(
            service_of(interaction).alert_choices(current, MAX_CHOICES), AUTOCOMPLETE_BUDGET
        )
    except TimeoutError:
        log.warning(
            "alert autocompletion took longer than %.1fs; offering no choices", AUTOCOMPLETE_BUDGET
        )
        return []
    return [
        app_commands.Choice(name=clip(label, CHOICE_NAME_LIMIT), value=alert_id)
        for alert_id, label in found
    ]


async def mute_autocomplete(
    interaction: discord.Interaction[Any], current: str
) -> list[app_commands.Choice[int]]:
    service = service_of(interaction)
    try:
        result = await asyncio.wait_for(
            service.execute(g.Mutes(), actor_of(interaction)), AUTOCOMPLETE_BUDGET
        )
    except TimeoutError:
        return []
    if not isinstance(result.view, MutesView):
        return []
    needle = current.strip().lstrip("#").casefold()
    choices = []
    for mute in result.view.mutes:
        if mute.state not in ("active", "pending"):
            continue
        label = f"#{mute.mute_id} {mute.matchers} [{mute.state}]"
        if needle in label.casefold():
            choices.append(
                app_commands.Choice(name=clip(label, CHOICE_NAME_LIMIT), value=mute.mute_id)
            )
    return choices[:MAX_CHOICES]


# --- the group ------------------------------------------------------------------------------------


class DeinfluenceGroup(
    app_commands.Group,
    name="deinfluence",
    description="Deinfluencing alerts: summaries, drill-downs, mutes and acknowledgements",
    guild_only=True,
    default_permissions=DEFAULT_PERMISSIONS,
):
    """Subcommands mirror the core grammar one to one (see bot/commands/grammar.py USAGE)."""

    @app_commands.command(name="help", description="What /deinfluence can do")
    async def help_(self, interaction: discord.Interaction[Any]) -> None:
        await run(interaction, g.Help)

    @app_commands.command(description="Sources, queues, mutes and who leads")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await run(interaction, g.Status)

    @app_commands.command(description="Watched brands with open alerts")
    async def brands(self, interaction: discord.Interaction[Any]) -> None:
        await run(interaction, g.Brands)

    @app_commands.command(description="Counts, top posts, claims, competitors and a chart")
    @app_commands.describe(
        brand="A watched brand, or all",
        window="How far back, e.g. 24h or 7d",
        public="Post it in the channel instead of only to you",
    )
    @app_commands.autocomplete(brand=summary_brand_autocomplete, window=window_autocomplete)
    async def summary(
        self,
        interaction: discord.Interaction[Any],
        brand: str | None = None,
        window: str | None = None,
        public: bool = False,
    ) -> None:
        def build() -> g.Command:
            name = None if brand is None or brand.strip().lower() in ("", "all") else brand.strip()
            return g.Summary(brand=name, window=window_of(window, "summary"), public=public)

        await run(interaction, build, public=public)

    @app_commands.command(description="The posts behind an alert or a brand")
    @app_commands.describe(
        alert="Alert id (give this or a brand)",
        brand="Brand (or an alert id)",
        window="How far back, e.g. 24h or 7d",
        page="Page number",
    )
    @app_commands.autocomplete(alert=alert_autocomplete)
    @app_commands.autocomplete(brand=brand_autocomplete, window=window_autocomplete)
    async def drill(
        self,
        interaction: discord.Interaction[Any],
        alert: AlertId | None = None,
        brand: str | None = None,
        window: str | None = None,
        page: app_commands.Range[int, 1, 10_000] = 1,
    ) -> None:
        def build() -> g.Command:
            if (alert is None) == (brand is None or not brand.strip()):
                raise g.UsageError("give either an alert id or a brand", "drill")
            return g.Drill(
                alert_id=alert,
                brand=brand.strip() if brand else None,
                window=window_of(window, "drill"),
                page=page,
            )

        await run(interaction, build)

    @app_commands.command(
        description="Silence matching alerts for a while (they are still recorded)"
    )
    @app_commands.describe(
        duration="How long, e.g. 1h, 24h or 7d",
        brand="Brand to mute",
        source="Only this source",
        author="Only this author (@handle)",
        severity="Only alerts at or below this severity",
        reason="Why (shown in /deinfluence mutes)",
    )
    @app_commands.autocomplete(brand=brand_autocomplete)
    async def mute(
        self,
        interaction: discord.Interaction[Any],
        duration: str,
        brand: str | None = None,
        source: str | None = None,
        author: str | None = None,
        severity: SeverityOption | None = None,
        reason: Reason | None = None,
    ) -> None:
        def build() -> g.Command:
            spec = MuteSpec(
                brand=brand.strip() if brand and brand.strip() else None,
                source=source.strip() if source and source.strip() else None,
                author=author.strip().lstrip("@") if author and author.strip() else None,
                max_severity=Severity.parse(severity) if severity else None,
            )
            if spec.is_empty():
                raise g.UsageError("mute needs at least one matcher, e.g. a brand", "mute")
            try:
                length = parse_duration(duration)
            except ValueError as error:
                raise g.UsageError(str(error), "mute") from None
            return g.MuteCmd(spec=spec, duration=length, reason=(reason or "")[: g.MAX_REASON])

        await run(interaction, build)

    @app_commands.command(description="Lift a mute early")
    @app_commands.describe(mute="The mute id (see /deinfluence mutes)")
    @app_commands.autocomplete(mute=mute_autocomplete)
    async def unmute(self, interaction: discord.Interaction[Any], mute: AlertId) -> None:
        await run(interaction, lambda: g.Unmute(mute))

    @app_commands.command(description="Active and recent mutes")
    async def mutes(self, interaction: discord.Interaction[Any]) -> None:
        await run(interaction, g.Mutes)

    @app_commands.command(description="Acknowledge an alert")
    @app_commands.describe(alert="The alert id")
    @app_commands.autocomplete(alert=alert_autocomplete)
    async def ack(self, interaction: discord.Interaction[Any], alert: AlertId) -> None:
        await run(interaction, lambda: g.Ack(alert))

    @app_commands.command(description="Resolve an alert by hand")
    @app_commands.describe(alert="The alert id")
    @app_commands.autocomplete(alert=alert_autocomplete)
    async def resolve(self, interaction: discord.Interaction[Any], alert: AlertId) -> None:
        await run(interaction, lambda: g.Resolve(alert))

    @app_commands.command(description="Mark an alert a false positive")
    @app_commands.describe(alert="The alert id", reason="What the scorer got wrong")
    @app_commands.autocomplete(alert=alert_autocomplete)
    async def wrong(
        self, interaction: discord.Interaction[Any], alert: AlertId, reason: Reason | None = None
    ) -> None:
        await run(interaction, lambda: g.Wrong(alert, (reason or "")[: g.MAX_REASON]))

    @app_commands.command(description="A creator's profile, credibility signals, recent mentions")
    @app_commands.describe(
        handle="The creator's handle, e.g. @beautybyjo", source="Only this source, e.g. tiktok"
    )
    async def creator(
        self, interaction: discord.Interaction[Any], handle: Handle, source: str | None = None
    ) -> None:
        def build() -> g.Command:
            return g.Creator(
                g.parse_handle(handle, "creator"),
                g.parse_source(source, "creator") if source and source.strip() else None,
            )

        await run(interaction, build)

    @app_commands.command(description="Creators with the most reach-weighted negative mentions")
    @app_commands.describe(brand="A watched brand, or all", window="How far back, e.g. 7d or 30d")
    @app_commands.autocomplete(brand=summary_brand_autocomplete, window=window_autocomplete)
    async def creators(
        self,
        interaction: discord.Interaction[Any],
        brand: str | None = None,
        window: str | None = None,
    ) -> None:
        def build() -> g.Command:
            name = None if brand is None or brand.strip().lower() in ("", "all") else brand.strip()
            length = (
                window_of(window, "creators") if window and window.strip() else g.CREATORS_WINDOW
            )
            return g.Creators(brand=name, window=length)

        await run(interaction, build)

    @app_commands.command(description="Alert on every new post by a creator until the watch ends")
    @app_commands.describe(
        handle="The creator's handle, e.g. @beautybyjo",
        duration="How long, e.g. 24h or 7d",
        source="Only this source, e.g. tiktok",
        reason="Why (shown in their alerts)",
    )
    async def watch(
        self,
        interaction: discord.Interaction[Any],
        handle: Handle,
        duration: str,
        source: str | None = None,
        reason: Reason | None = None,
    ) -> None:
        def build() -> g.Command:
            try:
                length = parse_duration(duration)
            except ValueError as error:
                raise g.UsageError(str(error), "watch") from None
            return g.Watch(
                g.parse_handle(handle, "watch"),
                length,
                (reason or "")[: g.MAX_REASON],
                g.parse_source(source, "watch") if source and source.strip() else None,
            )

        await run(interaction, build)
