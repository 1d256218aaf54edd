"""SlackNotifier: the core's ChatNotifier for Slack, paced per channel, classified on failure.

Retries for 429 happen once, inside the SDK's retry handler (see `runtime.py`); this
module never retries. A failure that needs a person (bot not in the channel, bad
channel, bad token) raises a permanent DeliveryError: the outbox keeps the alert as
undelivered and tries again later, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.slack import ids
from adapters.chat.slack.escape import escape
from adapters.chat.slack.escape import mention as build_mention
from adapters.chat.slack.render_alert import render_alert
from bot.ports import DeliveryError, MessageRef
from bot.views import AlertCard

log = logging.getLogger(__name__)

PLATFORM = "slack"
MIN_INTERVAL = 1.0  # Slack allows about one message per second per channel
HISTORY_LIMIT = 200

# Errors that no retry fixes until a person acts; the hint says what to do.
PERMANENT_ERRORS = {
    "not_in_channel": "invite the bot to the channel (/invite @deinfluence)",
    "channel_not_found": "check the route's channel id (use the id, e.g. C0123ABCD)",
    "is_archived": "the channel is archived; unarchive it or change the route",
    "invalid_auth": "check SLACK_BOT_TOKEN",
    "not_authed": "check SLACK_BOT_TOKEN",
    "account_inactive": "the bot token was revoked; reinstall the app",
    "token_revoked": "the bot token was revoked; reinstall the app",
    "missing_scope": "add the missing scope in the app settings and reinstall",
    "restricted_action": "a workspace setting blocks the bot from posting here",
    "invalid_blocks": "a rendering bug; please report it",
    "message_not_found": "the alert message was deleted",
    "cant_update_message": "the message is not the bot's own",
}
QUIET_LOOKUP_ERRORS = frozenset({"missing_scope", "not_in_channel", "channel_not_found"})

Sleep = Callable[[float], Awaitable[None]]
Monotonic = Callable[[], float]


@dataclass
class ChannelProblem:
    """The last permanent failure seen for a channel, for status pages and logs."""

    channel: str
    error: str
    hint: str
    at: float

    def describe(self) -> str:
        return f"slack channel {self.channel}: {self.error} — {self.hint}"


class ChannelPacer:
    """One queue per channel: sends wait their turn and keep `interval` seconds apart."""

    def __init__(
        self,
        interval: float = MIN_INTERVAL,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.interval = interval
        self.monotonic = monotonic
        self.sleep = sleep
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            last = self._last.get(channel)
            if last is not None:
                wait = last + self.interval - self.monotonic()
                if wait > 0:
                    await self.sleep(wait)
            try:
                yield
            finally:
                self._last[channel] = self.monotonic()


class SlackNotifier:
    """Posts and edits alert messages; `find_posted` lets a restart settle a crashed send."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, *, pacer: ChannelPacer | None = None) -> None:
        self.client = client
        self.pacer = pacer or ChannelPacer()
        self.problems: dict[str, ChannelProblem] = {}
        self._quiet_lookups: set[str] = set()

    def status_lines(self) -> list[str]:
        """Current per-channel problems, e.g. for a status page or a start-up check."""
        return [p.describe() for p in self.problems.values()]

    async def post(
        self,
        channel: str,
        card: AlertCard,
        *,
        mention: str | None,
        thread: MessageRef | None = None,
    ) -> MessageRef:
        message = render_alert(card, mention=build_mention(mention))
        threading = {"thread_ts": thread.message_id} if thread is not None else {}
        async with self.pacer.turn(channel):
            response = await self._call(
                channel,
                "chat.postMessage",
                self.client.chat_postMessage,
                channel=channel,
                **message.payload(),
                **threading,
                unfurl_links=False,
                unfurl_media=False,
                metadata=_metadata(card.alert_id),
            )
        self.problems.pop(channel, None)
        return MessageRef(
            PLATFORM,
            str(response.get("channel") or channel),
            str(response["ts"]),
            thread.message_id if thread is not None else None,
        )

    async def reply(self, ref: MessageRef, text: str, *, mention: str | None) -> MessageRef:
        """A notice in the alert's thread, also shown in the channel so it is seen."""
        markup = build_mention(mention)
        body = f"{markup} {escape(text)}" if markup else escape(text)
        async with self.pacer.turn(ref.channel):
            response = await self._call(
                ref.channel,
                "chat.postMessage",
                self.client.chat_postMessage,
                channel=ref.channel,
                thread_ts=ref.thread_id or ref.message_id,
                reply_broadcast=True,
                text=body,
                unfurl_links=False,
                unfurl_media=False,
            )
        return MessageRef(PLATFORM, ref.channel, str(response["ts"]), ref.message_id)

    async def update(self, ref: MessageRef, card: AlertCard) -> None:
        message = render_alert(card)
        async with self.pacer.turn(ref.channel):
            await self._call(
                ref.channel,
                "chat.update",
                self.client.chat_update,
                channel=ref.channel,
                ts=ref.message_id,
                **message.payload(),
                metadata=_metadata(card.alert_id),
            )
        self.problems.pop(ref.channel, None)

    async def find_posted(self, channel: str, alert_id: int) -> MessageRef | None:
        """Our message for `alert_id` in the channel's recent history, if there is one.

        Best effort: it needs the channels:history scope, which the minimal manifest does
        not ask for. Without it (or on any failure) this returns None and the outbox
        re-sends, because a repeated alert costs less than a lost one.
        """
        try:
            response = await self.client.conversations_history(
                channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True
            )
        except SlackApiError as error:
            code = error_code(error)
            if code in QUIET_LOOKUP_ERRORS:
                if code not in self._quiet_lookups:
                    self._quiet_lookups.add(code)
                    log.info(
                        "slack: cannot look up earlier alert messages in %s (%s); a crashed "
                        "delivery will be re-sent (add channels:history to avoid that)",
                        channel,
                        code,
                    )
            else:
                log.warning("slack: looking up alert #%s in %s failed: %s", alert_id, channel, code)
            return None
        except (SlackClientError, ClientError, TimeoutError) as error:
            log.warning(
                "slack: looking up alert #%s in %s failed: %s",
                alert_id,
                channel,
                type(error).__name__,
            )
            return None
        for item in response.get("messages") or []:
            meta = item.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == ids.METADATA_EVENT and str(payload.get("alert_id")) == str(
                alert_id
            ):
                return MessageRef(
                    PLATFORM,
                    str(response.get("channel") or channel),
                    str(item["ts"]),
                    item.get("thread_ts"),
                )
        return None

    async def _call(
        self, where: str, method: str, func: Callable[..., Awaitable[Any]], **kwargs: Any
    ) -> Any:
        try:
            return await func(**kwargs)
        except SlackApiError as error:
            code = error_code(error)
            hint = PERMANENT_ERRORS.get(code)
            if hint is None:
                # ratelimited (after the SDK's own bounded retries), fatal_error, …: retry later
                raise DeliveryError(f"slack {method} to {where}: {code}") from None
            problem = ChannelProblem(where, code, hint, self.pacer.monotonic())
            self.problems[where] = problem
            log.error(
                "slack: %s to %s failed: %s — %s; the alert stays undelivered and is retried later",
                method,
                where,
                code,
                hint,
            )
            raise DeliveryError(problem.describe(), permanent=True) from None
        except (SlackClientError, ClientError, TimeoutError) as error:
            raise DeliveryError(f"slack {method} to {where}: {type(error).__name__}") from None


def error_code(error: SlackApiError) -> str:
    """Slack's error code (`not_in_channel`, …) even when the body was not JSON."""
    data = getattr(error.response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or f"http_{error.response.status_code}")
    return f"http_{error.response.status_code}"


def _metadata(alert_id: int) -> dict[str, Any]:
    return {"event_type": ids.METADATA_EVENT, "event_payload": {"alert_id": alert_id}}
