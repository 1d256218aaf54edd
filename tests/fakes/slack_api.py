"""A fake Slack Web API on localhost (aiohttp, port 0) that records every request.

Like python-slack-sdk's mock server, faults are chosen per test: queue them with
`fail()`, `rate_limit()` or `hold()`, or pick them by token suffix (a token ending in
`-ratelimited` always gets a 429, one ending in `-invalid_auth` always fails auth).
It also serves response_url posts (`/respond/<id>`) and file upload URLs.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

BOT_USER = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM = "T0TEAM01"


@dataclass
class Call:
    """One recorded request: the Web API method (or `respond`/`upload`) and its arguments."""

    method: str
    args: dict[str, Any]
    token: str | None
    path: str
    response: dict[str, Any] | None = None


@dataclass
class Fault:
    error: str | None = None
    status: int = 200
    retry_after: int | None = None
    gate: asyncio.Event | None = None
    answer_first: bool = False  # do the work, then hold the answer (a crash mid-call)


@dataclass
class StoredMessage:
    channel: str
    ts: str
    text: str
    blocks: list[Any]
    metadata: dict[str, Any] | None
    thread_ts: str | None = None
    edits: int = 0


@dataclass
class FakeSlack:
    """Start with `await fake.start()`; point AsyncWebClient(base_url=fake.url) at it."""

    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[str, str], StoredMessage] = field(default_factory=dict)
    usergroups: dict[str, list[str]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _ts: Any = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL (what SLACK_API_URL would be)."""
        return f"{self.base}/api/"

    def response_url(self, name: str = "r1") -> str:
        return f"{self.base}/respond/{name}"

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- faults chosen per test -------------------------------------------------------

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self._faults.setdefault(method, []).extend(Fault(error=error) for _ in range(times))

    def rate_limit(self, method: str, *, retry_after: int = 0, times: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 with Retry-After."""
        self._faults.setdefault(method, []).extend(
            Fault(error="ratelimited", status=429, retry_after=retry_after) for _ in range(times)
        )

    def hold_answer(self, method: str) -> asyncio.Event:
        """The next call of `method` takes effect, but its answer waits for the event: what
        Slack sees when the sender dies between the request and the response."""
        gate = asyncio.Event()
        self._faults.setdefault(method, []).append(Fault(gate=gate, answer_first=True))
        return gate

    def hold(self, method: str) -> asyncio.Event:
        """The next call of `method` waits (a slow answer) until the returned event is set."""
        gate = asyncio.Event()
        self._faults.setdefault(method, []).append(Fault(gate=gate))
        return gate

    # --- what tests look at -------------------------------------------------------------

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def succeeded(self, method: str) -> list[Call]:
        return [c for c in self.of(method) if c.response is not None and c.response.get("ok")]

    async def wait_for(self, check: Callable[[FakeSlack], bool], within: float = 5.0) -> None:
        """Wait (without polling) until a recorded request makes `check` true."""

        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: check(self))

        await asyncio.wait_for(until(), within)

    # --- the server ---------------------------------------------------------------------

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        raw = await request.read()
        if raw and request.content_type == "application/json":
            args.update(json.loads(raw))
        elif raw:
            args.update(parse_qsl(raw.decode()))
        for key in ("blocks", "attachments", "metadata", "files"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else args.get("token")
        call = Call(method, args, token, request.path)
        fault = self._next_fault(method, token)
        if fault is not None and fault.gate is not None and fault.answer_first:
            call.response = self._answer(method, args, request)
            await self._record(call)
            await fault.gate.wait()
            return web.json_response(call.response)
        if fault is not None and fault.gate is not None:
            await fault.gate.wait()
            fault = None
        if fault is not None:
            call.response = {"ok": False, "error": fault.error}
            await self._record(call)
            headers = (
                {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            )
            return web.json_response(call.response, status=fault.status, headers=headers)
        if not token:
            call.response = {"ok": False, "error": "not_authed"}
        else:
            call.response = self._answer(method, args, request)
        await self._record(call)
        return web.json_response(call.response)

    def _next_fault(self, method: str, token: str | None) -> Fault | None:
        if token and token.endswith("-ratelimited"):
            return Fault(error="ratelimited", status=429, retry_after=0)
        if token and token.endswith("-invalid_auth"):
            return Fault(error="invalid_auth")
        queue = self._faults.get(method)
        return queue.pop(0) if queue else None

    def _answer(self, method: str, args: dict[str, Any], request: web.Request) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "team_id": TEAM,
                "user": "deinfluence",
                "team": "Test",
                "url": "https://test.slack.com/",
            }
        if method == "chat.postMessage":
            channel = str(args["channel"])
            ts = f"1700000000.{next(self._ts):06d}"
            self.messages[(channel, ts)] = StoredMessage(
                channel,
                ts,
                str(args.get("text", "")),
                list(args.get("blocks") or []),
                args.get("metadata"),
                args.get("thread_ts"),
            )
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": args.get("text", ""), "ts": ts, "bot_id": BOT_ID},
            }
        if method == "chat.update":
            key = (str(args["channel"]), str(args["ts"]))
            stored = self.messages.get(key)
            if stored is None:
                return {"ok": False, "error": "message_not_found"}
            stored.text = str(args.get("text", ""))
            stored.blocks = list(args.get("blocks") or [])
            stored.metadata = args.get("metadata") or stored.metadata
            stored.edits += 1
            return {"ok": True, "channel": key[0], "ts": key[1], "text": stored.text}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000001.{next(self._ts):06d}"}
        if method == "conversations.history":
            channel = str(args["channel"])
            found = sorted(
                (m for m in self.messages.values() if m.channel == channel),
                key=lambda m: m.ts,
                reverse=True,
            )
            with_meta = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
            return {
                "ok": True,
                "channel": channel,
                "has_more": False,
                "messages": [
                    {
                        "type": "message",
                        "ts": m.ts,
                        "text": m.text,
                        "bot_id": BOT_ID,
                        **({"metadata": m.metadata} if with_meta and m.metadata else {}),
                    }
                    for m in found
                ],
            }
        if method == "usergroups.users.list":
            group = str(args.get("usergroup"))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": self.usergroups[group]}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ts):08d}"
            return {"ok": True, "file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    async def _respond(self, request: web.Request) -> web.Response:
        body = json.loads(await request.read() or b"{}")
        call = Call("respond", body, None, request.path, {"ok": True})
        await self._record(call)
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        data = await request.read()
        file_id = request.match_info["file_id"]
        self.uploads[file_id] = data
        await self._record(
            Call(
                "upload",
                {"file_id": file_id, "length": len(data)},
                None,
                request.path,
                {"ok": True},
            )
        )
        return web.Response(text=f"OK - {len(data)}")
