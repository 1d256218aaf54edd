"""Thin Slack listeners: ack first, build the Actor, call one core method, render, reply.

Slack wants an answer within 3 seconds, so `ack()` comes before any database work;
the reply goes out afterwards through `respond` (the response_url). Every listener
has one error boundary that turns a crash into an ephemeral reply with an error id.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.slack import ids
from adapters.chat.slack.groups import GroupResolver
from adapters.chat.slack.notifier import ChannelPacer, error_code
from adapters.chat.slack.render import MAX_ALT, fallback, section
from adapters.chat.slack.render_views import render_result
from bot.commands.service import CommandService
from bot.permissions import Actor
from bot.views import CommandResult, SummaryView

log = logging.getLogger(__name__)

Respond = Callable[..., Awaitable[Any]]
Ack = Callable[..., Awaitable[Any]]

CHART_FILENAME = "deinfluence-summary.png"
PRIVATE_CHART_NOTE = "The chart is shared only with public summaries: add `public` to post it here."
NO_CHART_IN_CHANNEL = (
    "Posted without the chart: invite the bot to this channel "
    "(/invite @deinfluence) so it can attach it."
)


class SlackHandlers:
    """The listeners, holding only what they need to reach the core and Slack."""

    def __init__(
        self,
        service: CommandService,
        client: AsyncWebClient,
        groups: GroupResolver,
        pacer: ChannelPacer,
    ) -> None:
        self.service = service
        self.client = client
        self.groups = groups
        self.pacer = pacer

    def register(self, app: AsyncApp) -> None:
        async def command_listener(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
            await ack()
            await self._guarded(respond, self.on_command(command, respond))

        async def action_listener(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            await ack()
            await self._guarded(respond, self.on_action(body, action, respond))

        app.command(ids.SLASH_COMMAND)(command_listener)
        app.action(ids.ACTION_ID_PATTERN)(action_listener)

    async def actor(self, user_id: str, name: str, channel: str | None) -> Actor:
        """The core's Actor: Slack user id, the route groups the user is in, the channel."""
        groups = await self.groups.groups_of(user_id)
        return Actor(platform="slack", user_id=user_id, name=name, groups=groups, channel=channel)

    async def on_command(self, command: dict[str, Any], respond: Respond) -> None:
        channel = command.get("channel_id")
        actor = await self.actor(
            str(command["user_id"]), str(command.get("user_name") or ""), channel
        )
        result = await self.service.run_text(str(command.get("text") or ""), actor)
        if result.ephemeral or not channel:
            note = PRIVATE_CHART_NOTE if result.chart_png is not None else ""
            await respond(
                **render_result(result, chart_note=note).payload(), response_type="ephemeral"
            )
            return
        await self._post_public(result, str(channel), respond)

    async def on_action(
        self, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        chosen = ids.action_from_id(str(action.get("action_id") or ""))
        alert_id = ids.alert_from_value(str(action.get("value") or ""))
        if chosen is None or alert_id is None:
            await respond(
                text="This button is no longer valid.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        user = body.get("user") or {}
        channel = (body.get("channel") or {}).get("id")
        actor = await self.actor(
            str(user.get("id")), str(user.get("username") or user.get("name") or ""), channel
        )
        result = await self.service.run_action(chosen, alert_id, actor)
        await respond(
            **render_result(result).payload(), response_type="ephemeral", replace_original=False
        )

    async def _post_public(self, result: CommandResult, channel: str, respond: Respond) -> None:
        """A public answer (`summary … public`): a channel message, its chart in the thread."""
        message = render_result(result)
        try:
            async with self.pacer.turn(channel):
                posted = await self.client.chat_postMessage(
                    channel=channel, **message.payload(), unfurl_links=False, unfurl_media=False
                )
        except SlackApiError as error:
            code = error_code(error)
            log.warning(
                "slack: public answer in %s failed (%s); answering through the command's "
                "response_url instead",
                channel,
                code,
            )
            await respond(**message.payload(), response_type="in_channel")
            if result.chart_png is not None:
                await respond(text=NO_CHART_IN_CHANNEL, response_type="ephemeral")
            return
        if result.chart_png is None:
            return
        alt = ""
        if isinstance(result.view, SummaryView):
            alt = result.view.chart_alt
        alt = (alt or "Chart of mentions by severity over time")[:MAX_ALT]
        try:
            await self.client.files_upload_v2(
                channel=str(posted.get("channel") or channel),
                thread_ts=str(posted["ts"]),
                file=result.chart_png,
                filename=CHART_FILENAME,
                title="Severity over time",
                alt_txt=alt,
            )
        except SlackApiError as error:
            log.warning(
                "slack: uploading the summary chart to %s failed: %s",
                channel,
                error_code(error),
            )
            await respond(
                text=f"The chart could not be attached ({error_code(error)}).",
                response_type="ephemeral",
            )

    async def _guarded(self, respond: Respond, work: Awaitable[None]) -> None:
        """The one error boundary: unknown failures become an error id, never a stack trace."""
        try:
            await work
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception("slack listener failed (error id %s)", error_id)
            text = f"Something went wrong (error id {error_id}). Please tell the operator."
            try:
                await respond(
                    text=fallback(text),
                    blocks=[section(f"⚠️ {fallback(text)}")],
                    response_type="ephemeral",
                    replace_original=False,
                )
            except Exception:
                log.exception("slack: could not report error id %s to the user", error_id)
