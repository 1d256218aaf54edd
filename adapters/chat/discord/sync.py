"""Command syncing only when the definitions change: a hash per (application, scope) in a JSON file.

Syncing on every start is rate limited by Discord and slow to propagate; so the client
hashes the JSON Discord would receive and syncs only when it differs from the stored one.
A configured development guild gets guild-scoped commands (instant); otherwise global.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

STATE_FILE_SUFFIX = ".discord-commands.json"
FALLBACK_STATE_FILE = Path("deinfluence" + STATE_FILE_SUFFIX)


def default_state_path(database_url: str) -> Path:
    """Beside the SQLite database when there is one, else in the working directory."""
    prefix, sep, rest = database_url.partition(":///")
    if sep and prefix.startswith("sqlite") and rest and not rest.startswith(":memory:"):
        db_file = Path(rest.split("?", 1)[0])
        return db_file.with_name(db_file.stem + STATE_FILE_SUFFIX)
    return FALLBACK_STATE_FILE


def scope_key(application_id: int, guild_id: int | None) -> str:
    return f"{application_id}:guild:{guild_id}" if guild_id else f"{application_id}:global"


def command_payload(
    tree: app_commands.CommandTree[Any], guild_id: int | None
) -> list[dict[str, Any]]:
    """Exactly what `tree.sync` would send for this scope."""
    guild = discord.Object(guild_id) if guild_id else None
    return [command.to_dict(tree) for command in tree.get_commands(guild=guild)]


def command_hash(tree: app_commands.CommandTree[Any], guild_id: int | None) -> str:
    text = json.dumps(
        command_payload(tree, guild_id), sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()


class SyncState:
    """The stored hashes: a small JSON object {scope: sha256}, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            log.warning("ignoring unreadable command sync state %s", self.path)
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get(self, key: str) -> str | None:
        return self.load().get(key)

    def put(self, key: str, value: str) -> None:
        data = self.load()
        data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(self.path.name + ".tmp")
        temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, self.path)


async def sync_commands(
    client: discord.Client,
    tree: app_commands.CommandTree[Any],
    *,
    guild_id: int | None,
    state_path: Path,
    force: bool = False,
) -> bool:
    """Sync when the hash changed (or when forced); True when a sync was sent.

    Needs `client.application_id`, i.e. call it after login (setup_hook is after login).
    """
    if client.application_id is None:
        raise app_commands.MissingApplicationID
    key = scope_key(client.application_id, guild_id)
    digest = command_hash(tree, guild_id)
    state = SyncState(state_path)
    if not force and state.get(key) == digest:
        log.info("Discord commands unchanged (%s); not syncing", key)
        return False
    synced = await tree.sync(guild=discord.Object(guild_id) if guild_id else None)
    state.put(key, digest)
    log.info("synced %d Discord command(s) to %s", len(synced), key)
    return True
