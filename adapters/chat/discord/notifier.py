"""DiscordNotifier: the core outbox's ChatNotifier for Discord (post, edit in place, find).

discord.py handles 429s itself (bounded by the client's max_ratelimit_timeout); this layer
only classifies what is left into DeliveryError(permanent=…) so the outbox keeps the alert
and retries later. 401/403/404 and bad payloads are permanent: retrying cannot fix them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord

from adapters.chat.discord import ids
from adapters.chat.discord.buttons import alert_view
from adapters.chat.discord.limits import is_snowflake
from adapters.chat.discord.render import alert_message
from bot.ports import DeliveryError, MessageRef
from bot.views import AlertCard

log = logging.getLogger(__name__)

PLATFORM = "discord"
HISTORY_LIMIT = 50


def classify(error: BaseException, what: str) -> DeliveryError:
    """Turn a discord.py/transport failure into the outbox's retry decision."""
    if isinstance(error, DeliveryError):
        return error
    if isinstance(error, discord.RateLimited):
        return DeliveryError(f"{what}: rate limited for {error.retry_after:.0f}s", permanent=False)
    if isinstance(error, discord.DiscordServerError):
        return DeliveryError(f"{what}: Discord server error {error.status}", permanent=False)
    if isinstance(error, discord.HTTPException):
        permanent = error.status in (400, 401, 403, 404) or (
            400 <= error.status < 500 and error.status != 429
        )
        hint = {
            401: "the bot token was rejected",
            403: "the bot lacks access to the channel",
            404: "unknown channel or message",
        }.get(error.status, error.text or "request refused")
        return DeliveryError(f"{what}: HTTP {error.status} ({hint})", permanent=permanent)
    if isinstance(error, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        return DeliveryError(f"{what}: network error {type(error).__name__}", permanent=False)
    return DeliveryError(f"{what}: {type(error).__name__}: {error}", permanent=False)


def _reference(channel: str, parent: MessageRef | None) -> dict[str, Any]:
    """Send as a reply to `parent` (Discord's nearest thing to a thread), if given."""
    if parent is None or not is_snowflake(parent.message_id):
        return {}
    reference = discord.MessageReference(
        message_id=int(parent.message_id), channel_id=_channel_id(channel), fail_if_not_exists=False
    )
    return {"reference": reference, "mention_author": False}


def _channel_id(channel: str) -> int:
    if not is_snowflake(channel):
        raise DeliveryError(
            f"route channel {channel!r} is not a Discord channel id", permanent=True
        )
    return int(channel)


class DiscordNotifier:
    """Posts alert embeds with persistent buttons and edits them in place."""

    platform = PLATFORM

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _ready(self) -> None:
        if self.client.http.token is None:
            raise DeliveryError("the Discord client is not logged in yet", permanent=False)

    async def post(
        self,
        channel: str,
        card: AlertCard,
        *,
        mention: str | None,
        thread: MessageRef | None = None,
    ) -> MessageRef:
        self._ready()
        target = self.client.get_partial_messageable(_channel_id(channel))
        role = mention.strip() if mention and is_snowflake(mention) else None
        if mention and role is None:
            log.warning("ignoring on-call %r: not a Discord role id", mention)
        rendered = alert_message(card, role)
        # The one place anything may ping: exactly the route's on-call role, nothing else.
        allowed = (
            discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(int(role))], replied_user=False
            )
            if role
            else discord.AllowedMentions.none()
        )
        try:
            message = await target.send(
                content=rendered.content,
                embeds=list(rendered.embeds),
                view=alert_view(card),
                allowed_mentions=allowed,
                **_reference(channel, thread),
            )
        except Exception as error:
            raise classify(error, f"posting alert #{card.alert_id} to {channel}") from error
        return MessageRef(PLATFORM, channel, str(message.id), thread.message_id if thread else None)

    async def reply(self, ref: MessageRef, text: str, *, mention: str | None) -> MessageRef:
        """A notice as a reply to the alert message; it may ping only the given role."""
        self._ready()
        target = self.client.get_partial_messageable(_channel_id(ref.channel))
        role = mention.strip() if mention and is_snowflake(mention) else None
        body = discord.utils.escape_mentions(discord.utils.escape_markdown(text))[:1900]
        allowed = (
            discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(int(role))], replied_user=False
            )
            if role
            else discord.AllowedMentions.none()
        )
        try:
            message = await target.send(
                content=f"<@&{role}> {body}" if role else body,
                allowed_mentions=allowed,
                **_reference(ref.channel, ref),
            )
        except Exception as error:
            raise classify(error, f"replying under message {ref.message_id}") from error
        return MessageRef(PLATFORM, ref.channel, str(message.id), ref.message_id)

    async def update(self, ref: MessageRef, card: AlertCard) -> None:
        """Edit embed and buttons; the content line (and its one-time ping) stays as posted."""
        self._ready()
        if not is_snowflake(ref.message_id):
            raise DeliveryError(f"bad Discord message id {ref.message_id!r}", permanent=True)
        target = self.client.get_partial_messageable(_channel_id(ref.channel))
        rendered = alert_message(card)
        try:
            await target.get_partial_message(int(ref.message_id)).edit(
                embeds=list(rendered.embeds),
                view=alert_view(card),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except Exception as error:
            raise classify(error, f"editing alert #{card.alert_id} in {ref.channel}") from error

    async def find_posted(self, channel: str, alert_id: int) -> MessageRef | None:
        """After a crash mid-post: look for our message for this alert among recent ones."""
        try:
            self._ready()
            target = self.client.get_partial_messageable(_channel_id(channel))
            me = self.client.user.id if self.client.user else self.client.application_id
            async for message in target.history(limit=HISTORY_LIMIT):
                if me is not None and message.author.id != me:
                    continue
                if alert_id in _alert_ids(message):
                    return MessageRef(PLATFORM, channel, str(message.id))
        except Exception as error:
            log.warning(
                "could not look for alert #%s in %s: %s",
                alert_id,
                channel,
                classify(error, "history"),
            )
        return None


def _alert_ids(message: discord.Message) -> set[int]:
    found: set[int] = set()
    for row in message.components:
        for child in getattr(row, "children", ()):
            parsed = ids.parse_button_id(getattr(child, "custom_id", None) or "")
            if parsed is not None:
                found.add(parsed[1])
    return found
