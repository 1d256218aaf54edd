"""Inbound `POST /ingest/{source}`: any listening vendor (or our own relay) pushes posts to us.

Why our own signing scheme: the vendors we looked at either sign nothing
(Apify's run webhooks carry no HMAC) or do not push posts at all, so the
sender signs with a per-source shared secret, Stripe/Slack style:

    X-Deinfluence-Timestamp: <unix seconds>
    X-Deinfluence-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
    X-Deinfluence-Delivery:  <delivery id> (optional; must equal the body's `delivery_id`)

A request is refused, with nothing stored, when: the source is unknown (404),
the body is larger than `max_body` (413), a header is missing, the signature
is wrong or the timestamp is more than `tolerance_seconds` away (401), or
the JSON is malformed or holds no valid post (400, with the reasons).
Body (UTF-8 JSON):

    {"delivery_id": "vendor-123",
     "posts": [{"platform": "tiktok", "id": "7412…", "text": "…",
                "created_at": "2026-09-14T08:00:00Z", "url": "…", "lang": "nl",
                "author": {"handle": "…", "followers": 1200, "verified": false},
                "metrics": {"views": 1, "likes": 1, "comments": 1, "shares": 1},
                "hashtags": ["deinfluencing"], "edited": false, "deleted": false}]}

`platform` (default: the source's `platform` option, else its name) becomes
`Post.source`, so a pushed TikTok post merges with one polled natively.
A batch with some bad items stores the good ones and answers 200 with
`status: "partial"` and the bad items' index, id and reason: fix them and
send them again under a new delivery id (the old one is now spent). A
delivery id seen before answers 200 `{"status": "duplicate"}`; nothing is
stored twice (the core's `Pipeline.receive` keeps the ledger).

Registry: `build()` returns an inert Source (`fetch` returns an empty page)
so a webhook source is configured, checked and shown like the others; the
app wires `ingest_routes(webhook_configs(...), pipeline.receive, clock)`
into the HTTP server, and need not schedule polls for it (`pushed = True`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import Field

from adapters.sources.context import SourceContext
from adapters.sources.fields import as_count, obj, opt_bool, opt_str, parse_time, str_list, unique
from adapters.sources.options import StrictOptions, option_messages, parse_options
from bot.clock import Clock
from bot.config import ConfigError, Environment, Secret, SourceConfig
from bot.models import Author, Metrics, Post
from bot.ports import MappingError, SourcePage

if TYPE_CHECKING:
    from bot.ingest import IngestReport

TIMESTAMP_HEADER = "X-Deinfluence-Timestamp"
SIGNATURE_HEADER = "X-Deinfluence-Signature"
DELIVERY_HEADER = "X-Deinfluence-Delivery"
MAX_BODY = 1024 * 1024
PLATFORM_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
LANG_RE = re.compile(r"^[a-z]{2,3}$")

Receive = Callable[[str, str, list[Post]], Awaitable["IngestReport | None"]]


class WebhookOptions(StrictOptions):
    secret_env: str | None = Field(None, pattern=r"^[A-Z][A-Z0-9_]*SECRET$")
    platform: str | None = Field(None, pattern=PLATFORM_RE.pattern)
    tolerance_seconds: int = Field(300, ge=30, le=3600)
    max_posts: int = Field(500, ge=1, le=10_000)


def secret_name(cfg: SourceConfig, opts: WebhookOptions) -> str:
    """`WEBHOOK_<NAME>_SECRET` unless `secret_env` names another variable."""
    return opts.secret_env or f"WEBHOOK_{re.sub(r'[^A-Z0-9]', '_', cfg.name.upper())}_SECRET"


@dataclass(frozen=True, slots=True)
class WebhookSourceConfig:
    """What the endpoint needs to know about one pushing source."""

    name: str
    secret: Secret
    platform: str
    tolerance: timedelta = timedelta(minutes=5)
    max_posts: int = 500


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, WebhookOptions)
    if problems:
        return problems
    name = secret_name(cfg, WebhookOptions.model_validate(cfg.options))
    return (
        [] if env.secret(name) else [f"sources.{cfg.name}: environment variable {name} is not set"]
    )


def webhook_config(cfg: SourceConfig, env: Environment) -> WebhookSourceConfig:
    opts = parse_options(cfg, WebhookOptions)
    secret = env.secret(secret_name(cfg, opts))
    if not secret:
        raise ConfigError(
            [f"sources.{cfg.name}: environment variable {secret_name(cfg, opts)} is not set"]
        )
    return WebhookSourceConfig(
        name=cfg.name,
        secret=secret,
        platform=opts.platform or cfg.name,
        tolerance=timedelta(seconds=opts.tolerance_seconds),
        max_posts=opts.max_posts,
    )


def webhook_configs(
    sources: Iterable[SourceConfig], env: Environment
) -> dict[str, WebhookSourceConfig]:
    """The enabled webhook sources, by name (the `{source}` of the URL)."""
    return {s.name: webhook_config(s, env) for s in sources if s.type == "webhook" and s.enabled}


class WebhookSource:
    """The polled face of a pushed source: nothing to fetch, the cursor stays as it is."""

    pushed = True

    def __init__(self, name: str) -> None:
        self.name = name

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        return SourcePage(posts=[], cursor=cursor)

    async def aclose(self) -> None:
        return None


def build(cfg: SourceConfig, ctx: SourceContext) -> WebhookSource:
    webhook_config(cfg, ctx.env)  # same errors as at wiring time
    return WebhookSource(cfg.name)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value a sender computes (also used by tests and the README)."""
    mac = hmac.new(secret.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def map_pushed(raw: Any, default_platform: str) -> Post:
    """One pushed post in the neutral shape above; MappingError says what is wrong."""
    item = obj(raw, "post")
    platform = item.get("platform", default_platform)
    if not isinstance(platform, str) or not PLATFORM_RE.match(platform):
        raise MappingError("platform: expected a lowercase platform name")
    native = item.get("id")
    if isinstance(native, int) and not isinstance(native, bool):
        native = str(native)
    if not isinstance(native, str) or not native.strip() or len(native) > 200:
        raise MappingError("id: expected a non-empty string")
    text = item.get("text")
    if not isinstance(text, str):
        raise MappingError("text: expected a string")
    author = obj(item.get("author"), "author")
    handle = author.get("handle")
    if not isinstance(handle, str) or not handle.strip():
        raise MappingError("author.handle: expected a non-empty string")
    metrics_raw = item.get("metrics", {})
    metrics = obj(metrics_raw, "metrics") if metrics_raw is not None else {}
    lang = opt_str(item, "lang")
    return Post(
        source=platform,
        native_id=native.strip(),
        text=text,
        created_at=parse_time(item.get("created_at"), "created_at"),
        author=Author(
            handle=handle.strip().lstrip("@"),
            followers=as_count(author.get("followers")),
            verified=opt_bool(author, "verified"),
        ),
        metrics=Metrics(
            views=as_count(metrics.get("views")),
            likes=as_count(metrics.get("likes")),
            comments=as_count(metrics.get("comments")),
            shares=as_count(metrics.get("shares")),
        ),
        url=opt_str(item, "url"),
        lang=lang.casefold() if lang and LANG_RE.match(lang.casefold()) else None,
        hashtags=unique(str_list(item.get("hashtags"))),
        edited=item.get("edited") is True,
        deleted=item.get("deleted") is True,
    )


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def _read_body(request: web.Request, max_body: int) -> bytes:
    if request.content_length is not None and request.content_length > max_body:
        raise _Refused(413, f"body larger than {max_body} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_body:
            raise _Refused(413, f"body larger than {max_body} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _verify(cfg: WebhookSourceConfig, request: web.Request, body: bytes, now: datetime) -> None:
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not timestamp or not signature:
        raise _Refused(401, f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}")
    expected = sign(cfg.secret.reveal(), timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise _Refused(401, "signature does not match")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise _Refused(401, "timestamp is not unix seconds")
    if abs(now.timestamp() - int(timestamp)) > cfg.tolerance.total_seconds():
        raise _Refused(401, "timestamp outside the replay window")


def _parse(cfg: WebhookSourceConfig, request: web.Request, body: bytes) -> tuple[str, list[Any]]:
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "body is not UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise _Refused(400, "body must be a JSON object")
    delivery = payload.get("delivery_id")
    if not isinstance(delivery, str) or not delivery.strip() or len(delivery) > 200:
        raise _Refused(400, "delivery_id: expected a non-empty string (at most 200 chars)")
    header = request.headers.get(DELIVERY_HEADER)
    if header is not None and header.strip() != delivery.strip():
        raise _Refused(400, f"{DELIVERY_HEADER} does not match delivery_id")
    items = payload.get("posts")
    if not isinstance(items, list):
        raise _Refused(400, "posts: expected a list")
    if len(items) > cfg.max_posts:
        raise _Refused(400, f"posts: at most {cfg.max_posts} per delivery")
    return delivery.strip(), items


def _item_ref(raw: Any) -> str | None:
    value = raw.get("id") if isinstance(raw, dict) else None
    return (
        str(value)[:200] if isinstance(value, str | int) and not isinstance(value, bool) else None
    )


def ingest_routes(
    sources: Mapping[str, WebhookSourceConfig],
    receive: Receive,
    clock: Clock,
    *,
    max_body: int = MAX_BODY,
    path: str = "/ingest/{source}",
) -> list[web.RouteDef]:
    """The POST route for every configured webhook source; add with HttpServer.add_routes."""

    async def handle(request: web.Request) -> web.Response:
        name = request.match_info.get("source", "")
        cfg = sources.get(name)
        if cfg is None:
            return web.json_response({"status": "error", "error": "unknown source"}, status=404)
        try:
            body = await _read_body(request, max_body)
            _verify(cfg, request, body, clock.now())
            delivery, items = _parse(cfg, request, body)
        except _Refused as refused:
            return web.json_response(
                {"status": "error", "error": refused.reason}, status=refused.status
            )
        posts: list[Post] = []
        bad: list[dict[str, Any]] = []
        for index, raw in enumerate(items):
            try:
                posts.append(map_pushed(raw, cfg.platform))
            except MappingError as error:
                bad.append({"index": index, "id": _item_ref(raw), "error": str(error)})
        if bad and not posts:
            return web.json_response(
                {"status": "error", "error": "no valid post in the batch", "skipped": bad},
                status=400,
            )
        report = await receive(cfg.name, delivery, posts)
        if report is None:
            return web.json_response({"status": "duplicate", "delivery_id": delivery})
        return web.json_response(
            {
                "status": "partial" if bad else "ok",
                "delivery_id": delivery,
                "stored": len(posts),
                "new": report.new,
                "updated": report.updated,
                "skipped": bad,
            }
        )

    return [web.post(path, handle)]
