"""Socket Mode, really connected: the real SlackRuntime (Bolt's AsyncSocketModeHandler on
slack_sdk's aiohttp SocketModeClient) opens a websocket to a local fake, gets Slack's
`hello`, receives envelopes in Slack's wire format, acknowledges them and reaches the core.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl

import pytest
from sqlalchemy import select

from adapters.chat.slack import ids
from adapters.chat.slack.runtime import SlackRuntime, build_slack
from bot.config import Environment
from bot.store.tables import MuteRow
from bot.views import Action
from tests.fakes.slack_socket import SlackSocketServer, SocketModeSlack
from tests.slack.conftest import (
    BOT_TOKEN,
    CHANNEL,
    MANAGER,
    RESPONDER,
    Harness,
    action_body,
    command_body,
    make_harness,
    slack_config,
)

APP_TOKEN = "xapp-1-A0APP0001-1234567890-abcdef0123456789"


def command_payload(fake: SocketModeSlack, text: str, *, user: str) -> dict[str, Any]:
    """A slash_commands envelope's payload: the same fields Slack would form-post."""
    body = command_body(text, user=user, channel=CHANNEL, response_url=fake.response_url("sock"))
    return {**dict(parse_qsl(body)), "is_enterprise_install": "false"}


def button_payload(fake: SocketModeSlack, action: Action, alert_id: int, *, user: str) -> Any:
    """An interactive envelope's payload: the block_actions JSON Slack would post."""
    body = action_body(
        ids.action_id(action),
        ids.button_value(alert_id),
        user=user,
        channel=CHANNEL,
        response_url=fake.response_url("sock-btn"),
    )
    return json.loads(parse_qs(body)["payload"][0])


@pytest.fixture
async def socket_fake() -> AsyncIterator[SocketModeSlack]:
    server = await SocketModeSlack().start()
    yield server
    await server.stop()


@pytest.fixture
async def connected(
    tmp_path: Path, socket_fake: SocketModeSlack
) -> AsyncIterator[tuple[Harness, SlackRuntime]]:
    """The real core plus a Socket Mode runtime built only from the environment."""
    env = Environment.from_mapping(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "SLACK_API_URL": socket_fake.url,
        }
    )
    config = slack_config(tmp_path).model_copy(update={"env": env})
    harness = await make_harness(tmp_path, socket_fake, config)
    runtime = build_slack(
        config, harness.service, sleep=harness.time.sleep, monotonic=harness.time.monotonic
    )
    assert runtime.mode == "socket"
    harness.runtime = runtime
    harness.deliverer.notifiers["slack"] = runtime.notifier
    await runtime.start(None)
    await socket_fake.socket.wait_for(lambda s: bool(s.connections) and s.current.open)
    yield harness, runtime
    await runtime.stop()
    await harness.db.dispose()


def sent_hello(socket: SlackSocketServer) -> bool:
    return any(m["type"] == "hello" for m in socket.sent)


async def test_connects_with_the_app_token_and_gets_hello(
    connected: tuple[Harness, SlackRuntime], socket_fake: SocketModeSlack
) -> None:
    [opened] = socket_fake.of("apps.connections.open")
    assert opened.token == APP_TOKEN  # the app-level token, never the bot token
    assert opened.response is not None and opened.response["url"].startswith("ws://127.0.0.1:")
    assert sent_hello(socket_fake.socket)
    assert len(socket_fake.socket.connections) == 1


async def test_a_slash_command_envelope_is_acknowledged_and_mutes(
    connected: tuple[Harness, SlackRuntime], socket_fake: SocketModeSlack
) -> None:
    harness, _ = connected
    socket = socket_fake.socket
    envelope_id = await socket.slash_command(
        command_payload(socket_fake, "mute GlowLab 2h too noisy", user=MANAGER)
    )
    ack = await socket.wait_for_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id}  # ack() first, the answer goes to response_url

    await socket_fake.wait_for(lambda f: bool(f.of("respond")))
    [reply] = socket_fake.of("respond")
    assert reply.path == "/respond/sock"
    assert reply.args["response_type"] == "ephemeral"
    assert "Muted" in reply.args["text"] and "mute #1" in reply.args["text"]
    async with harness.db.read() as session:
        [mute] = list(await session.scalars(select(MuteRow)))
    assert (mute.brand, mute.created_by, mute.reason) == (
        "GlowLab",
        f"slack:{MANAGER}",
        "too noisy",
    )
    assert [a.action for a in await harness.audit()] == ["mute"]


async def test_a_button_envelope_is_acknowledged_and_edits_the_alert(
    connected: tuple[Harness, SlackRuntime], socket_fake: SocketModeSlack
) -> None:
    harness, _ = connected
    socket = socket_fake.socket
    alert_id = await harness.add_alert()
    [posted] = socket_fake.succeeded("chat.postMessage")

    envelope_id = await socket.interactive(
        button_payload(socket_fake, Action.ACK, alert_id, user=RESPONDER)
    )
    assert await socket.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}

    await socket_fake.wait_for(lambda f: bool(f.of("chat.update")) and bool(f.of("respond")))
    [update] = socket_fake.of("chat.update")
    assert posted.response is not None and update.args["ts"] == posted.response["ts"]
    assert f"acknowledged by <@{RESPONDER}>" in str(update.args["blocks"])
    assert "acknowledged" in socket_fake.of("respond")[0].args["text"]
    alert = await harness.alert(alert_id)
    assert (alert.status, alert.acked_by) == ("acknowledged", f"slack:{RESPONDER}")


async def test_every_envelope_gets_its_own_ack_even_when_refused(
    connected: tuple[Harness, SlackRuntime], socket_fake: SocketModeSlack
) -> None:
    harness, _ = connected
    socket = socket_fake.socket
    alert_id = await harness.add_alert()
    first = await socket.interactive(button_payload(socket_fake, Action.ACK, alert_id, user="U0X"))
    second = await socket.slash_command(command_payload(socket_fake, "help", user="U0X"))
    assert await socket.wait_for_ack(first) == {"envelope_id": first}
    assert await socket.wait_for_ack(second) == {"envelope_id": second}
    await socket_fake.wait_for(lambda f: len(f.of("respond")) == 2)
    texts = sorted(str(c.args.get("text")) for c in socket_fake.of("respond"))
    assert any(t.startswith("Not allowed") for t in texts), texts
    assert (await harness.alert(alert_id)).status == "open"
    assert await harness.audit() == []


async def test_stop_closes_the_socket_cleanly(
    connected: tuple[Harness, SlackRuntime], socket_fake: SocketModeSlack
) -> None:
    _, runtime = connected
    handler = runtime._socket
    assert handler is not None
    await runtime.stop()
    socket = socket_fake.socket
    await socket.wait_for(lambda s: s.current.closed_by is not None)
    assert socket.current.closed_by == "client"
    assert socket.current.close_code == 1000  # a normal closure, not a dropped connection
    assert runtime._socket is None
    assert handler.client.closed
    assert handler.client.aiohttp_client_session.closed
    assert len(socket.connections) == 1  # and it did not reconnect
