"""A recording fake of discord.py's two HTTP layers, so Discord tests never touch the network.

`FakeDiscordHTTP.install(client)` replaces the REST client's `request` (messages, history,
command sync); `FakeWebhookAdapter` replaces the interaction webhook adapter (responses,
defers, follow-ups) through discord.py's own `async_context`. Everything sent is recorded
as plain JSON-like dicts; `fail_next` injects Discord errors (403, 5xx, rate limits).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

BOT_USER_ID = "900000000000000001"
_ids = itertools.count(1_300_000_000_000_000_000)


def snowflake() -> str:
    return str(next(_ids))


@dataclass
class Call:
    method: str
    path: str
    payload: Any
    files: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, Any] | None = None


class FakeResponse:
    """Enough of aiohttp.ClientResponse for discord.HTTPException."""

    def __init__(self, status: int, reason: str = "") -> None:
        self.status = status
        self.reason = reason


def http_error(status: int, message: str = "", code: int = 0) -> discord.HTTPException:
    """The exception discord.py raises after its own retries for this status."""
    data = {"message": message or f"HTTP {status}", "code": code}
    response = FakeResponse(status)
    if status == 403:
        return discord.Forbidden(response, data)  # type: ignore[arg-type]
    if status == 404:
        return discord.NotFound(response, data)  # type: ignore[arg-type]
    if status >= 500:
        return discord.DiscordServerError(response, data)  # type: ignore[arg-type]
    return discord.HTTPException(response, data)  # type: ignore[arg-type]


def _path(route: Route) -> str:
    return route.url[len(Route.BASE) :]


def _decode(payload: Any, form: Any) -> tuple[Any, list[dict[str, Any]]]:
    """JSON body, or the payload_json and files of a multipart body."""
    files: list[dict[str, Any]] = []
    if form:
        for part in form:
            if part.get("name") == "payload_json":
                payload = json.loads(part["value"])
            elif "filename" in part:
                value = part["value"]
                data = value.read() if hasattr(value, "read") else value
                if hasattr(value, "seek"):
                    value.seek(0)
                files.append(
                    {"name": part["name"], "filename": part["filename"], "size": len(data)}
                )
    return payload, files


def message_payload(
    channel_id: str, message_id: str, body: dict[str, Any], author_id: str = BOT_USER_ID
) -> dict[str, Any]:
    """A Discord message object as the API returns it after a create or edit."""
    return {
        "id": message_id,
        "channel_id": channel_id,
        "type": 0,
        "author": {
            "id": author_id,
            "username": "deinfluence",
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "global_name": None,
        },
        "content": body.get("content") or "",
        "embeds": body.get("embeds") or [],
        "components": body.get("components") or [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": "2025-03-01T12:00:00+00:00",
        "edited_timestamp": None,
        "flags": body.get("flags", 0),
    }


class FakeDiscordHTTP:
    """Stands in for discord.py's HTTPClient.request: records calls, keeps channel messages."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}  # channel -> id -> message
        self.fail_next: list[BaseException] = []

    def install(self, client: discord.Client, *, token: str = "fake-token") -> FakeDiscordHTTP:  # noqa: S107
        client.http.request = self.request  # type: ignore[method-assign]
        client.http.token = token
        return self

    def posts(self) -> list[Call]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith("/messages")]

    def edits(self) -> list[Call]:
        return [c for c in self.calls if c.method == "PATCH" and "/messages/" in c.path]

    async def request(
        self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any
    ) -> Any:
        payload, sent_files = _decode(kwargs.get("json"), form)
        path = _path(route)
        self.calls.append(Call(route.method, path, payload, sent_files, kwargs.get("params")))
        if self.fail_next:
            raise self.fail_next.pop(0)
        return self._answer(route.method, path, payload or {}, kwargs.get("params") or {})

    def _answer(self, method: str, path: str, body: Any, params: dict[str, Any]) -> Any:
        if found := re.fullmatch(r"/channels/(\d+)/messages", path):
            channel = found.group(1)
            if method == "POST":
                message = message_payload(channel, snowflake(), body)
                self.messages.setdefault(channel, {})[message["id"]] = message
                return message
            if method == "GET":
                newest_first = list(self.messages.get(channel, {}).values())[::-1]
                return newest_first[: int(params.get("limit", 50))]
        if found := re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path):
            channel, message_id = found.groups()
            stored = self.messages.get(channel, {}).get(message_id)
            if stored is None:
                raise http_error(404, "Unknown Message", 10008)
            if method == "PATCH":
                stored.update(
                    {k: v for k, v in body.items() if k in ("content", "embeds", "components")}
                )
                stored["edited_timestamp"] = "2025-03-01T12:05:00+00:00"
            return stored
        if re.fullmatch(r"/applications/\d+(/guilds/\d+)?/commands", path) and method == "PUT":
            return [
                {**command, "id": snowflake(), "application_id": "1", "version": "1"}
                for command in body
            ]
        raise AssertionError(f"the fake Discord API does not know {method} {path}")


@dataclass
class Sent:
    """One interaction answer: a callback (type 4 message, 5 defer, 6 update) or a follow-up."""

    kind: str  # "callback" | "followup" | "edit_original"
    type: int | None
    data: dict[str, Any]
    files: list[dict[str, Any]]

    @property
    def ephemeral(self) -> bool:
        return bool(self.data.get("flags", 0) & 64)

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.data.get("embeds") or [])

    def text(self) -> str:
        """Content and every embed string, for loose assertions."""
        return json.dumps({"content": self.content, "embeds": self.embeds}, ensure_ascii=False)


class FakeWebhookAdapter(AsyncWebhookAdapter):
    """Answers interaction callbacks and follow-ups the way Discord does, and records them."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.sent: list[Sent] = []
        self.first_callback = asyncio.Event()

    async def request(
        self,
        route: Route,
        session: Any = None,
        *,
        payload: Any = None,
        multipart: Any = None,
        files: Any = None,
        params: Any = None,
        **kwargs: Any,
    ) -> Any:
        body, sent_files = _decode(payload, multipart)
        body = body or {}
        path = _path(route)
        if path.endswith("/callback"):
            self.sent.append(Sent("callback", body.get("type"), body.get("data") or {}, sent_files))
            self.first_callback.set()
            return {"interaction": {"id": str(route.webhook_id), "type": 2}}
        if route.method == "POST":
            self.sent.append(Sent("followup", None, body, sent_files))
            return message_payload("0", snowflake(), body)
        if route.method == "PATCH" and path.endswith("/messages/@original"):
            self.sent.append(Sent("edit_original", None, body, sent_files))
            return message_payload("0", snowflake(), body)
        raise AssertionError(f"the fake webhook API does not know {route.method} {path}")


@contextmanager
def fake_webhooks() -> Iterator[FakeWebhookAdapter]:
    adapter = FakeWebhookAdapter()
    token = async_context.set(adapter)
    try:
        yield adapter
    finally:
        async_context.reset(token)
