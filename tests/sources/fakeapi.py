"""A scripted fake HTTP API served through httpx.MockTransport (no sockets, no internet)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def fixture(platform: str, name: str) -> Any:
    """A fixture file: parsed JSON for .json, text otherwise."""
    path = FIXTURES / platform / name
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text


def fixture_bytes(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / name).read_bytes()


def respond(
    status: int = 200, body: Any = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    """JSON for any JSON value, raw text or bytes as given; no body for a bare status."""
    if isinstance(body, bytes):
        return httpx.Response(status, content=body, headers=headers)
    if isinstance(body, str):
        return httpx.Response(status, text=body, headers=headers)
    if body is None and status != 200:
        return httpx.Response(status, headers=headers)
    payload = json.dumps(body).encode()  # NaN/Infinity stay in: servers do send them
    return httpx.Response(
        status, content=payload, headers={"Content-Type": "application/json", **(headers or {})}
    )


class FakeApi:
    """Routes (METHOD, path) to queued replies; the last reply of a route repeats.

    A reply is a Response, an exception to raise (e.g. httpx.ReadTimeout), or a
    function of the request. Every request is recorded in `requests`.
    """

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []

    def add(self, method: str, path: str, *replies: Reply) -> FakeApi:
        self.routes.setdefault((method.upper(), path), []).extend(replies)
        return self

    def calls(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return respond(404, {"error": "Record not found"})
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return httpx.Response(
                reply.status_code, headers=reply.headers, content=reply.content, request=request
            )
        return reply(request)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
