"""Discord adapter: renders the core's neutral views as embeds and buttons, and turns
`/deinfluence` commands and button clicks into `CommandService` calls (discord.py 2.x)."""

from adapters.chat.discord.runtime import (
    DiscordRuntime,
    build_discord,
    check_discord_env,
    force_sync,
)

__all__ = ["DiscordRuntime", "build_discord", "check_discord_env", "force_sync"]
