"""A fake Slack Socket Mode endpoint on localhost (aiohttp websocket, port 0).

`SocketModeSlack` is the fake Web API plus `apps.connections.open`, which hands an
app-level token (xapp-…) the `ws://` URL of a `SlackSocketServer`, as Slack hands out
`wss://wss-primary.slack.com/link/?ticket=…`. On every connection the server sends
Slack's `hello`; a test then pushes envelopes in Slack's wire format
(`envelope_id`, `type`, `payload`, `accepts_response_payload`) and waits for the
client's acknowledgement (`{"envelope_id": …}`), exactly what Slack waits 3 s for.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.slack_api import FakeSlack

APP_ID = "A0APP0001"


@dataclass
class Connection:
    """One websocket session: what the client sent and how it ended."""

    number: int
    received: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None
    closed_by: str | None = None  # "client" or "server"
    ws: web.WebSocketResponse | None = None

    @property
    def open(self) -> bool:
        return self.ws is not None and not self.ws.closed


@dataclass
class SlackSocketServer:
    """The websocket side of Socket Mode. Start with `await server.start()`."""

    connections: list[Connection] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _tickets: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    def new_url(self) -> str:
        """A fresh connection URL, shaped like the one apps.connections.open returns."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket=t{next(self._tickets)}&app_id={APP_ID}"

    async def start(self) -> SlackSocketServer:
        app = web.Application()
        app.router.add_get("/link/", self._link)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        for connection in self.connections:
            if connection.ws is not None and not connection.ws.closed:
                connection.closed_by = "server"
                await connection.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests do ------------------------------------------------------------------

    @property
    def current(self) -> Connection:
        assert self.connections, "no Socket Mode client has connected"
        return self.connections[-1]

    async def wait_for(
        self, check: Callable[[SlackSocketServer], bool], within: float = 5.0
    ) -> None:
        """Wait (without polling) until what the server saw makes `check` true."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: check(self))

        await asyncio.wait_for(until(), within)

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool
    ) -> str:
        """Push one envelope to the connected client; return its envelope_id."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts_response_payload,
        }
        await self._send(self.current, envelope)
        return envelope_id

    async def slash_command(self, payload: dict[str, Any]) -> str:
        return await self.send_envelope("slash_commands", payload, accepts_response_payload=True)

    async def interactive(self, payload: dict[str, Any]) -> str:
        return await self.send_envelope("interactive", payload, accepts_response_payload=False)

    def acks(self) -> list[dict[str, Any]]:
        return [m for c in self.connections for m in c.received if "envelope_id" in m]

    def ack_of(self, envelope_id: str) -> dict[str, Any] | None:
        return next((m for m in self.acks() if m["envelope_id"] == envelope_id), None)

    async def wait_for_ack(self, envelope_id: str, within: float = 3.0) -> dict[str, Any]:
        """The client's acknowledgement; Slack gives up (and retries) after 3 seconds."""
        await self.wait_for(lambda s: s.ack_of(envelope_id) is not None, within)
        ack = self.ack_of(envelope_id)
        assert ack is not None
        return ack

    # --- the server ---------------------------------------------------------------------

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _send(self, connection: Connection, message: dict[str, Any]) -> None:
        assert connection.ws is not None and not connection.ws.closed, "the socket is closed"
        self.sent.append(message)
        await connection.ws.send_str(json.dumps(message))

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        connection = Connection(len(self.connections) + 1, ws=ws)
        self.connections.append(connection)
        await self._send(
            connection,
            {
                "type": "hello",
                "num_connections": len([c for c in self.connections if c.open]),
                "debug_info": {
                    "host": "applink-fake-1",
                    "build_number": 118,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": request.query.get("app_id", APP_ID)},
            },
        )
        await self._notify()
        async for message in ws:  # pings are answered by aiohttp itself
            if message.type == WSMsgType.TEXT:
                connection.received.append(json.loads(message.data))
                await self._notify()
        connection.close_code = ws.close_code
        connection.closed_by = connection.closed_by or "client"
        await self._notify()
        return ws


@dataclass
class SocketModeSlack(FakeSlack):
    """The fake Web API that also opens Socket Mode connections on `socket`."""

    socket: SlackSocketServer = field(default_factory=SlackSocketServer)

    async def start(self) -> SocketModeSlack:
        await self.socket.start()
        await super().start()
        return self

    async def stop(self) -> None:
        await self.socket.stop()
        await super().stop()

    def _answer(self, method: str, args: dict[str, Any], request: web.Request) -> dict[str, Any]:
        if method == "apps.connections.open":
            auth = request.headers.get("Authorization", "")
            if not auth.removeprefix("Bearer ").startswith("xapp-"):
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket.new_url()}
        return super()._answer(method, args, request)
