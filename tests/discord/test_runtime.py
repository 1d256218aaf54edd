"""Wiring: enabled by DISCORD_BOT_TOKEN, minimal intents, no default mentions, clear errors."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest

from adapters.chat.discord import build_discord, check_discord_env
from adapters.chat.discord.client import MAX_RATELIMIT_TIMEOUT
from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.config import ConfigError, Environment, Secret, parse_config
from bot.store.database import Database
from tests.discord.conftest import START, discord_config


def service_for(config_path: Path) -> CommandService:
    config = discord_config(config_path)
    return CommandService(config, Database(config.database_url), ManualClock(START))


async def test_build_discord_uses_minimal_intents_and_no_default_mentions(tmp_path: Path) -> None:
    service = service_for(tmp_path / "x.db")
    runtime = build_discord(service.config, service)
    client = runtime.client
    assert client.intents.value == discord.Intents(guilds=True).value
    assert not client.intents.members
    assert not client.intents.presences
    assert not client.intents.message_content
    assert client.allowed_mentions is not None
    assert client.allowed_mentions.to_dict() == {"parse": []}  # type: ignore[comparison-overlap]
    assert client.http.max_ratelimit_timeout == MAX_RATELIMIT_TIMEOUT
    assert runtime.notifier.platform == "discord"
    assert "fake-token" not in repr(runtime)
    assert client.sync_state_path == tmp_path / "x.discord-commands.json"
    await client.close()


def test_build_discord_needs_the_token(tmp_path: Path) -> None:
    config = discord_config(tmp_path / "x.db").model_copy(update={"env": Environment()})
    service = CommandService(config, Database(config.database_url), ManualClock(START))
    with pytest.raises(ConfigError) as raised:
        build_discord(config, service)
    assert "DISCORD_BOT_TOKEN: not set" in raised.value.problems


def test_check_discord_env_reports_bad_ids_and_tokens() -> None:
    config = parse_config(
        {
            "brands": [{"name": "GlowLab", "aliases": ["GlowLab"]}],
            "routes": [
                {
                    "name": "d",
                    "platform": "discord",
                    "channel": "#alerts",
                    "oncall": "@oncall",
                    "managers": ["mara"],
                }
            ],
        }
    )
    problems = check_discord_env(Environment(discord_bot_token=Secret("Bot abc")), config)
    assert problems == [
        "DISCORD_BOT_TOKEN: give the bare token, without 'Bot ' or spaces",
        "routes[0].channel: '#alerts' is not a Discord channel id",
        "routes[0].oncall: '@oncall' is not a Discord role id",
        "routes[0].managers[0]: 'mara' is not a Discord user or role id",
    ]
    missing = check_discord_env(Environment(), config)
    assert "routes[0].platform: discord needs DISCORD_BOT_TOKEN in the environment" in missing
