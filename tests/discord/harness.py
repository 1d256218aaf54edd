"""Reusable Discord test harness: real discord.Interaction objects from raw gateway payloads,
dispatched the way discord.py does (ConnectionState.parse_interaction_create), against the
recording fakes in tests/fakes/discord_http.py. The cross-adapter contract test can use
`DiscordHarness.slash()` / `.click()` / `.autocomplete()` and read back what was sent.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.webhook.async_ import async_context

from adapters.chat.discord.client import DeinfluenceClient
from tests.fakes.discord_http import (
    BOT_USER_ID,
    FakeDiscordHTTP,
    FakeWebhookAdapter,
    Sent,
    snowflake,
)

APP_ID = "800000000000000001"
GUILD_ID = "700000000000000001"
CHANNEL_ID = "111111111111111111"
_tokens = itertools.count(1)


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    roles: tuple[str, ...] = ()


def _option(name: str, value: Any, focused: bool = False) -> dict[str, Any]:
    kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 3
    option: dict[str, Any] = {"type": kind, "name": name, "value": value}
    if focused:
        option["focused"] = True
    return option


@dataclass
class DiscordHarness:
    client: DeinfluenceClient
    http: FakeDiscordHTTP = field(default_factory=FakeDiscordHTTP)
    webhooks: FakeWebhookAdapter = field(default_factory=FakeWebhookAdapter)
    guild_id: str | None = GUILD_ID
    channel_id: str = CHANNEL_ID

    async def start(self) -> DiscordHarness:
        """What login does before the gateway: loop binding, application id, setup_hook."""
        self.http.install(self.client)
        await self.client._async_setup_hook()
        self.client._connection.application_id = int(APP_ID)
        self.client._connection.user = discord.ClientUser(
            state=self.client._connection,
            data={
                "id": BOT_USER_ID,
                "username": "deinfluence",
                "discriminator": "0",
                "avatar": None,
                "bot": True,
                "global_name": None,
            },
        )
        await self.client.setup_hook()
        return self

    # --- payloads -------------------------------------------------------------------------------

    def base_payload(self, kind: int, user: User, *, guild: bool = True) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": snowflake(),
            "application_id": APP_ID,
            "type": kind,
            "version": 1,
            "token": f"interaction-token-{next(_tokens)}",
            "locale": "en-US",
            "app_permissions": "2251799813685247",
            "entitlements": [],
            "attachment_size_limit": 26214400,
            "channel_id": self.channel_id,
        }
        account = {
            "id": user.user_id,
            "username": user.name,
            "discriminator": "0",
            "avatar": None,
            "global_name": user.name,
        }
        if guild and self.guild_id:
            payload.update(
                {
                    "guild_id": self.guild_id,
                    "guild_locale": "en-US",
                    "context": 0,
                    "authorizing_integration_owners": {"0": self.guild_id},
                    "channel": {
                        "id": self.channel_id,
                        "type": 0,
                        "guild_id": self.guild_id,
                        "name": "brand-alerts",
                        "position": 0,
                        "permission_overwrites": [],
                        "nsfw": False,
                        "parent_id": None,
                    },
                    "member": {
                        "user": account,
                        "roles": list(user.roles),
                        "nick": None,
                        "joined_at": "2024-01-01T00:00:00+00:00",
                        "deaf": False,
                        "mute": False,
                        "flags": 0,
                        "permissions": "2248473465835073",
                    },
                }
            )
        else:
            payload.update(
                {
                    "context": 1,
                    "authorizing_integration_owners": {"1": user.user_id},
                    "channel": {"id": self.channel_id, "type": 1, "recipients": [account]},
                    "user": account,
                }
            )
        return payload

    def command_payload(
        self,
        subcommand: str,
        user: User,
        options: dict[str, Any],
        *,
        focused: str | None = None,
        guild: bool = True,
    ) -> dict[str, Any]:
        payload = self.base_payload(4 if focused else 2, user, guild=guild)
        payload["data"] = {
            "id": "600000000000000001",
            "name": "deinfluence",
            "type": 1,
            "options": [
                {
                    "type": 1,
                    "name": subcommand,
                    "options": [_option(k, v, k == focused) for k, v in options.items()],
                }
            ],
        }
        return payload

    def click_payload(self, custom_id: str, message: dict[str, Any], user: User) -> dict[str, Any]:
        payload = self.base_payload(3, user)
        payload["data"] = {"custom_id": custom_id, "component_type": 2}
        payload["message"] = message
        return payload

    # --- dispatch -------------------------------------------------------------------------------

    def begin(self, payload: dict[str, Any]) -> set[asyncio.Task[Any]]:
        """Dispatch like the gateway does; returns the tasks discord.py started for it."""
        before = asyncio.all_tasks()
        token = async_context.set(self.webhooks)
        try:
            self.client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]
        finally:
            async_context.reset(token)
        return asyncio.all_tasks() - before

    async def settle(self, tasks: set[asyncio.Task[Any]]) -> None:
        """Wait for the handler tasks and anything they started."""
        seen = set(tasks)
        while tasks:
            await asyncio.gather(*tasks)
            current = asyncio.current_task()
            tasks = {t for t in asyncio.all_tasks() if t is not current and not t.done()} - seen
            seen |= tasks

    async def dispatch(self, payload: dict[str, Any]) -> list[Sent]:
        start = len(self.webhooks.sent)
        await self.settle(self.begin(payload))
        return self.webhooks.sent[start:]

    async def slash(
        self, subcommand: str, user: User, *, guild: bool = True, **options: Any
    ) -> list[Sent]:
        """Run `/deinfluence <subcommand> …` through the command tree; return what was answered."""
        return await self.dispatch(self.command_payload(subcommand, user, options, guild=guild))

    async def autocomplete(
        self, subcommand: str, user: User, focused: str, **options: Any
    ) -> list[dict[str, Any]]:
        sent = await self.dispatch(self.command_payload(subcommand, user, options, focused=focused))
        assert len(sent) == 1, sent
        assert sent[0].type == 8, sent
        return list(sent[0].data["choices"])

    async def click(self, custom_id: str, message: dict[str, Any], user: User) -> list[Sent]:
        """Press a button on `message` (a message payload as Discord stores it)."""
        return await self.dispatch(self.click_payload(custom_id, message, user))
