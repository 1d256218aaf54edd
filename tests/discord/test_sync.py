"""Commands are synced only when their definitions change; forced by `deinfluence discord-sync`."""

from __future__ import annotations

import json
from pathlib import Path

import discord
from discord import app_commands

from adapters.chat.discord.client import DeinfluenceClient
from adapters.chat.discord.runtime import force_sync
from adapters.chat.discord.sync import command_hash, default_state_path
from tests.discord.conftest import Stack, discord_config
from tests.discord.harness import APP_ID, DiscordHarness


def syncs(harness: DiscordHarness) -> list[str]:
    return [c.path for c in harness.http.calls if c.method == "PUT"]


async def fresh(stack: Stack, **options: object) -> DiscordHarness:
    client = DeinfluenceClient(service=stack.service, sync_state_path=stack.sync_state, **options)  # type: ignore[arg-type]
    return await DiscordHarness(client).start()


async def test_first_start_syncs_and_stores_the_hash(stack: Stack) -> None:
    assert syncs(stack.harness) == [f"/applications/{APP_ID}/commands"]
    stored = json.loads(stack.sync_state.read_text())
    assert stored == {f"{APP_ID}:global": command_hash(stack.harness.client.tree, None)}


async def test_unchanged_commands_are_not_synced_again(stack: Stack) -> None:
    harness = await fresh(stack)
    assert syncs(harness) == []
    await harness.client.close()


async def test_changed_definitions_are_synced(stack: Stack) -> None:
    client = DeinfluenceClient(service=stack.service, sync_state_path=stack.sync_state)

    @app_commands.command(name="extra", description="a new command")
    async def extra(interaction: discord.Interaction) -> None:
        raise AssertionError

    client.tree.add_command(extra)
    harness = await DiscordHarness(client).start()
    assert syncs(harness) == [f"/applications/{APP_ID}/commands"]
    assert len(json.loads(stack.sync_state.read_text())) == 1
    await client.close()


async def test_development_guild_gets_guild_scoped_commands(stack: Stack) -> None:
    harness = await fresh(stack, dev_guild_id=123456789012345678)
    assert syncs(harness) == [f"/applications/{APP_ID}/guilds/123456789012345678/commands"]
    assert f"{APP_ID}:guild:123456789012345678" in json.loads(stack.sync_state.read_text())
    again = await fresh(stack, dev_guild_id=123456789012345678)
    assert syncs(again) == []
    await harness.client.close()
    await again.client.close()


async def test_force_sync_always_syncs(stack: Stack) -> None:
    harness = await fresh(stack, auto_sync=False)
    count = await force_sync(stack.config, client=harness.client, sync_state_path=stack.sync_state)
    assert count == 1
    assert syncs(harness) == [f"/applications/{APP_ID}/commands"]
    await harness.client.close()


def test_state_file_lives_beside_the_sqlite_database(tmp_path: Path) -> None:
    config = discord_config(tmp_path / "data" / "bot.db")
    assert (
        default_state_path(config.database_url) == tmp_path / "data" / "bot.discord-commands.json"
    )
    assert (
        default_state_path("postgresql+asyncpg://db/x").name == "deinfluence.discord-commands.json"
    )
