"""Builds and runs the Slack side: Bolt's AsyncApp, the notifier, Socket Mode or HTTP mode.

Socket Mode when SLACK_APP_TOKEN is set (no public URL needed); otherwise Slack
calls POST /slack/events on the bot's own HTTP server and Bolt verifies every
request with SLACK_SIGNING_SECRET.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Literal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.slack.groups import GroupResolver, permission_groups
from adapters.chat.slack.handlers import SlackHandlers
from adapters.chat.slack.notifier import MIN_INTERVAL, ChannelPacer, Monotonic, SlackNotifier, Sleep
from adapters.http_server import HttpServer
from bot.commands.service import CommandService
from bot.config import Config, ConfigError, Environment

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
DEFAULT_API_URL = "https://slack.com/api/"
RATE_LIMIT_RETRIES = 2
MAX_RETRY_AFTER = 30.0  # longer waits are left to the outbox's own later retry
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9-]+$")
_SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")


def _check_token(name: str, value: str | None, prefix: str) -> list[str]:
    if value is None:
        return []
    if not value.startswith(prefix):
        return [f"{name}: must start with {prefix}"]
    if not _TOKEN_CHARS.fullmatch(value) or len(value) < len(prefix) + 10:
        return [f"{name}: does not look like a Slack token (letters, digits and dashes)"]
    return []


def check_slack_env(env: Environment) -> list[str]:
    """Problems with the Slack settings, each naming its variable; empty when all is well."""
    bot = env.slack_bot_token.reveal() if env.slack_bot_token else None
    app = env.slack_app_token.reveal() if env.slack_app_token else None
    signing = env.slack_signing_secret.reveal() if env.slack_signing_secret else None
    problems: list[str] = []
    if bot is None:
        problems.append(
            "SLACK_BOT_TOKEN: required for Slack routes (the xoxb-… Bot User OAuth Token)"
        )
    problems += _check_token("SLACK_BOT_TOKEN", bot, "xoxb-")
    problems += _check_token("SLACK_APP_TOKEN", app, "xapp-")
    if app is None and signing is None:
        problems.append(
            "SLACK_SIGNING_SECRET: required in HTTP mode (when SLACK_APP_TOKEN is not "
            "set); copy it from the app's Basic Information page"
        )
    if signing is not None and not _SIGNING_SECRET.fullmatch(signing):
        problems.append("SLACK_SIGNING_SECRET: must be the 32-character hex signing secret")
    if env.slack_api_url is not None and not re.match(r"^https?://[^\s/]+", env.slack_api_url):
        problems.append("SLACK_API_URL: must be an http(s) URL such as https://slack.com/api/")
    return problems


def check_slack_routes(config: Config) -> list[str]:
    """Slack routes must name channels by id: chat.update and history lookups need ids."""
    return [
        f"routes[{i}].channel: Slack channels are given by id (like C0123ABCD), not {r.channel!r}"
        for i, r in enumerate(config.routes)
        if r.platform == "slack" and not _CHANNEL_ID.fullmatch(r.channel)
    ]


class BoundedRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """The SDK's 429 handler with an injectable sleep and a cap on Retry-After.

    Still the only retry layer for 429s: a Retry-After longer than `max_wait` is not
    waited out here; the error goes to the outbox, which retries the alert later.
    """

    def __init__(
        self,
        max_retry_count: int = RATE_LIMIT_RETRIES,
        *,
        max_wait: float = MAX_RETRY_AFTER,
        sleep: Sleep | None = None,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.sleep = sleep

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        return _retry_after(response) <= self.max_wait

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if self.sleep is None or response is None:
            await super().prepare_for_next_attempt_async(
                state=state, request=request, response=response, error=error
            )
            return
        state.next_attempt_requested = True
        await self.sleep(_retry_after(response))
        state.increment_current_attempt()


def _retry_after(response: HttpResponse) -> float:
    for key, values in response.headers.items():
        if key.lower() == "retry-after" and values:
            try:
                return max(float(values[0]), 0.0)
            except ValueError:
                return 1.0
    return 1.0


def build_client(
    token: str, base_url: str | None = None, *, sleep: Sleep | None = None
) -> AsyncWebClient:
    """The Web API client with the SDK's own retry handlers: 429 (bounded), lost connections."""
    url = base_url or DEFAULT_API_URL
    handlers: list[AsyncRetryHandler] = [
        BoundedRateLimitRetry(sleep=sleep),
        AsyncConnectionErrorRetryHandler(max_retry_count=1),
    ]
    return AsyncWebClient(
        token=token,
        base_url=url if url.endswith("/") else url + "/",
        retry_handlers=handlers,
        timeout=30,
    )


@dataclass
class SlackRuntime:
    """Everything the composition root needs: the Bolt app, the notifier and start/stop."""

    app: AsyncApp
    notifier: SlackNotifier
    client: AsyncWebClient
    handlers: SlackHandlers
    mode: Literal["socket", "http"]
    app_token: str | None = None
    _socket: AsyncSocketModeHandler | None = None

    async def handle_http(self, request: web.Request) -> web.Response:
        """POST /slack/events: Bolt verifies the signature and dispatches."""
        bolt_response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_response)

    def routes(self) -> list[web.RouteDef]:
        return [web.post(EVENTS_PATH, self.handle_http)]

    async def start(self, http: HttpServer | None) -> None:
        """Socket Mode: connect. HTTP mode: mount POST /slack/events (call before http.start())."""
        if self.mode == "socket":
            self._socket = AsyncSocketModeHandler(self.app, self.app_token, web_client=self.client)
            await self._socket.connect_async()  # type: ignore[no-untyped-call]
            log.info("slack: connected in Socket Mode")
            return
        if http is None:
            raise RuntimeError("Slack HTTP mode needs the HTTP server (or set SLACK_APP_TOKEN)")
        if http.app.router.frozen:
            raise RuntimeError("mount Slack before starting the HTTP server: call start() first")
        http.add_routes(self.routes())
        log.info("slack: HTTP mode, listening at POST %s", EVENTS_PATH)

    async def connected(self) -> bool | str:
        """For /readyz: HTTP mode has nothing to hold open; Socket Mode must be connected."""
        if self.mode == "http":
            return True
        if self._socket is None:
            return "socket mode not started"
        return bool(await self._socket.client.is_connected()) or "socket not connected"

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None


def build_slack(
    config: Config,
    service: CommandService,
    *,
    client_base_url: str | None = None,
    sleep: Sleep | None = None,
    monotonic: Monotonic = time.monotonic,
    min_interval: float = MIN_INTERVAL,
) -> SlackRuntime:
    """Check the Slack settings (ConfigError naming each variable) and build the runtime.

    `sleep`, `monotonic` and `min_interval` exist for tests (no waiting on the real clock).
    """
    env = config.env
    problems = check_slack_env(env) + check_slack_routes(config)
    if problems:
        raise ConfigError(problems)
    assert env.slack_bot_token is not None
    client = build_client(
        env.slack_bot_token.reveal(), client_base_url or env.slack_api_url, sleep=sleep
    )
    app_token = env.slack_app_token.reveal() if env.slack_app_token else None
    signing = env.slack_signing_secret.reveal() if env.slack_signing_secret else ""
    app = AsyncApp(
        client=client,
        signing_secret=signing,
        process_before_response=False,
        name="deinfluence",
        logger=logging.getLogger("deinfluence.slack.bolt"),
    )
    pacer = (
        ChannelPacer(min_interval, monotonic=monotonic, sleep=sleep)
        if sleep
        else ChannelPacer(min_interval, monotonic=monotonic)
    )
    notifier = SlackNotifier(client, pacer=pacer)
    groups = GroupResolver(client, permission_groups(config), monotonic=monotonic)
    handlers = SlackHandlers(service, client, groups, pacer)
    handlers.register(app)
    return SlackRuntime(
        app=app,
        notifier=notifier,
        client=client,
        handlers=handlers,
        mode="socket" if app_token else "http",
        app_token=app_token,
    )
