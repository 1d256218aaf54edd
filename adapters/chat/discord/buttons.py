"""Alert buttons as DynamicItems: the custom_id carries action and alert id, so no state is kept.

The client registers `AlertButton` in `setup_hook`; discord.py then matches any clicked
custom_id against its template, also on messages posted long before this process started.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

import discord

from adapters.chat.discord import ids
from adapters.chat.discord.limits import BUTTON_LABEL_LIMIT, clip, one_line
from adapters.chat.discord.respond import (
    actor_of,
    in_guild_or_refuse,
    send_notice,
    send_result,
    service_of,
)
from bot.views import Action, AlertCard

log = logging.getLogger(__name__)

STYLES = {
    Action.ACK: discord.ButtonStyle.success,
    Action.MUTE_1H: discord.ButtonStyle.secondary,
    Action.MUTE_24H: discord.ButtonStyle.secondary,
    Action.SHOW_POSTS: discord.ButtonStyle.primary,
    Action.WRONG: discord.ButtonStyle.danger,
}


def button_label(action: Action, brand: str) -> str:
    """Button text; brand names are configured by us, not taken from posts."""
    name = one_line(brand) or "brand"
    labels = {
        Action.ACK: "Acknowledge",
        Action.MUTE_1H: f"Mute {name} 1h",
        Action.MUTE_24H: f"Mute {name} 24h",
        Action.SHOW_POSTS: "Show posts",
        Action.WRONG: "Wrong",
    }
    return clip(labels[action], BUTTON_LABEL_LIMIT)


class AlertButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=ids.BUTTON_TEMPLATE):
    """One alert button; every click becomes `CommandService.run_action`."""

    def __init__(self, action: Action, alert_id: int, *, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or button_label(action, ""),
                style=STYLES[action],
                custom_id=ids.button_id(action, alert_id),
            )
        )
        self.action = action
        self.alert_id = alert_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AlertButton:
        label = getattr(item, "label", None)
        return cls(
            Action(match["action"]),
            int(match["alert_id"]),
            label=label if isinstance(label, str) else None,
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await handle_click(interaction, self.action, self.alert_id)


async def handle_click(
    interaction: discord.Interaction[Any], action: Action, alert_id: int
) -> None:
    """Defer at once (private), run the action in the core, answer privately.

    The alert message itself is edited by the core's outbox (via the notifier), the same
    path as every other change, so it is never posted twice.
    """
    if not await in_guild_or_refuse(interaction):
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        result = await service_of(interaction).run_action(action, alert_id, actor_of(interaction))
    except Exception:  # the error boundary for clicks: discord.py would only log it
        error_id = secrets.token_hex(4)
        log.exception(
            "button %s on alert #%s failed (error id %s)", action.value, alert_id, error_id
        )
        await send_notice(
            interaction, f"Something went wrong (error id {error_id}). Nothing was changed."
        )
        return
    await send_result(interaction, result, ephemeral=True)


def alert_view(card: AlertCard) -> discord.ui.View:
    """The buttons under an alert; persistent (timeout=None) and stateless."""
    view = discord.ui.View(timeout=None)
    for action in card.actions:
        view.add_item(AlertButton(action, card.alert_id, label=button_label(action, card.brand)))
    return view
