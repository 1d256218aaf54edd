"""The bot's own HTTP server (aiohttp): health, Slack HTTP mode, inbound webhooks, metrics.

Adapters contribute routes; the server knows nothing about what they do.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

MAX_BODY = 1024 * 1024


async def _healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


class HttpServer:
    def __init__(self, host: str, port: int, *, max_body: int = MAX_BODY) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_get("/healthz", _healthz)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        self.app.router.add_routes(list(routes))

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()

    @property
    def bound_port(self) -> int:
        """The real port (tests bind port 0)."""
        if self._runner is None:
            raise RuntimeError("server not started")
        for address in self._runner.addresses:
            return int(address[1])
        raise RuntimeError("server has no address")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
