"""Apify dataset items: the posts a scraper actor wrote, read with an offset cursor.

Why Apify: TikTok's Research API is for approved researchers and Instagram's
hashtag search hides authors; a scraper actor (run on Apify's schedule)
fills those gaps. This adapter only reads datasets: `dataset_id` (a fixed,
possibly growing dataset) or `actor_id` (the default dataset of the actor's
last SUCCEEDED run, looked up on each poll; a new run starts at offset 0
once the previous dataset is read to its end). Items are mapped by `shape`
(see apify_map) to the platform's own ids, so they merge with native posts.

Cursor: `{"dataset_id": id, "offset": n, "done": bool}`.
History cursor: `{"dataset_id", "offset"}` walking the same dataset from 0,
keeping items created since `since`; then `{"done": true}`.
Cannot give: anything the actor does not scrape (see apify_map: Instagram
items have no followers or verified, no language); edits and deletes are
never marked; freshness is the actor's run schedule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import Field, model_validator

from adapters.sources.apify_map import SHAPES
from adapters.sources.base import item_id, make_http, map_items
from adapters.sources.context import SourceContext
from adapters.sources.http import RetryLater, SourceHttp, json_of
from adapters.sources.options import (
    StrictOptions,
    missing_secrets,
    option_messages,
    parse_options,
    secret_value,
)
from adapters.sources.query import PostFilter
from bot.config import Environment, SourceConfig
from bot.ports import SourceAuthError, SourceError, SourcePage, SourcePayloadError

ID_PATTERN = r"^[A-Za-z0-9._~-]{1,200}$"


class ApifyOptions(StrictOptions):
    base_url: str = Field("https://api.apify.com", pattern=r"^https?://")
    token_env: str = "APIFY_TOKEN"  # noqa: S105 (a variable name)
    dataset_id: str | None = Field(None, pattern=ID_PATTERN)
    actor_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9._~-]{1,100}(/[A-Za-z0-9._-]{1,100})?$", description="user/actor"
    )
    shape: Literal["tiktok", "instagram"]
    limit: int = Field(250, ge=1, le=1000)
    match_brands: bool = True
    require_tag: bool = True

    @model_validator(mode="after")
    def _one_target(self) -> ApifyOptions:
        if (self.dataset_id is None) == (self.actor_id is None):
            raise ValueError("set exactly one of dataset_id or actor_id")
        return self


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    problems = option_messages(cfg, ApifyOptions)
    if problems:
        return problems
    return missing_secrets(cfg, env, [ApifyOptions.model_validate(cfg.options).token_env])


def build(cfg: SourceConfig, ctx: SourceContext) -> ApifySource:
    opts = parse_options(cfg, ApifyOptions)
    http = make_http(ctx, cfg.name, opts.base_url.rstrip("/"))
    http.set_bearer(secret_value(ctx.env, opts.token_env))
    post_filter = PostFilter(
        cfg.hashtags or ctx.hashtags,
        ctx.brands,
        require_tag=opts.require_tag,
        require_brand=opts.match_brands,
    )
    return ApifySource(cfg.name, http, opts, post_filter)


def classify(response: httpx.Response) -> SourceError | RetryLater | None:
    """`{"error": {"type", "message"}}`: a missing dataset or actor is a config problem."""
    if response.is_success:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    kind = str(error.get("type") or "")
    said = f"apify: {kind}: {str(error.get('message') or '')[:160]}"
    if response.status_code in (401, 403) or kind in ("token-not-valid", "user-or-token-not-found"):
        return SourceAuthError(f"{said}; check the Apify token")
    if kind == "record-not-found":
        return SourceError(f"{said}; check dataset_id / actor_id")
    return None


class ApifySource:
    """Source and BackfillSource over one dataset (or an actor's latest one)."""

    def __init__(
        self, name: str, http: SourceHttp, opts: ApifyOptions, post_filter: PostFilter
    ) -> None:
        self.name = name
        self._http = http
        self._opts = opts
        self._filter = post_filter
        self._mapper = SHAPES[opts.shape]

    async def _latest_dataset(self) -> str:
        actor = str(self._opts.actor_id).replace("/", "~")
        response = await self._http.request(
            "GET", f"/v2/acts/{actor}/runs/last", params={"status": "SUCCEEDED"}, classify=classify
        )
        body = json_of(response, self.name)
        data = body.get("data") if isinstance(body, dict) else None
        dataset = data.get("defaultDatasetId") if isinstance(data, dict) else None
        if not isinstance(dataset, str) or not dataset:
            raise SourcePayloadError(f"{self.name}: the last run has no defaultDatasetId")
        return dataset

    async def _items(self, dataset: str, offset: int) -> tuple[list[Any], bool]:
        """One page of items and whether more are waiting after it."""
        params = {"format": "json", "clean": "true", "offset": str(offset)}
        params["limit"] = str(self._opts.limit)
        response = await self._http.request(
            "GET", f"/v2/datasets/{dataset}/items", params=params, classify=classify
        )
        items = json_of(response, self.name)
        if not isinstance(items, list):
            raise SourcePayloadError(f"{self.name}: dataset items are not a JSON array")
        total = response.headers.get("x-apify-pagination-total", "")
        if total.isdigit():
            return items, offset + len(items) < int(total) and bool(items)
        return items, len(items) >= self._opts.limit

    async def _dataset_for(self, saved: Mapping[str, Any]) -> tuple[str, int]:
        stored = saved.get("dataset_id") if isinstance(saved.get("dataset_id"), str) else None
        offset = saved.get("offset")
        offset = offset if isinstance(offset, int) and offset >= 0 else 0
        if self._opts.dataset_id:
            return self._opts.dataset_id, offset if stored == self._opts.dataset_id else 0
        if stored and not saved.get("done"):
            return stored, offset  # finish the dataset we were reading first
        latest = await self._latest_dataset()
        return latest, offset if latest == stored else 0

    def _page(self, items: list[Any], since: datetime | None = None) -> tuple[list[Any], list[Any]]:
        posts, skipped = map_items(
            items,
            self._mapper,
            lambda raw: item_id(raw, "id", "shortCode"),
            lambda post: (
                self._filter.wants(post.text, post.hashtags)
                and (since is None or post.created_at >= since)
            ),
        )
        return list({p.native_id: p for p in posts}.values()), skipped

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        dataset, offset = await self._dataset_for(cursor or {})
        items, more = await self._items(dataset, offset)
        posts, skipped = self._page(items)
        return SourcePage(
            posts=posts,
            cursor={"dataset_id": dataset, "offset": offset + len(items), "done": not more},
            more=more,
            skipped=skipped,
        )

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """Every item of the dataset (or the latest run's) from offset 0, since `since`."""
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage(posts=[], cursor=dict(saved))
        stored = saved.get("dataset_id")
        dataset = stored if isinstance(stored, str) else None
        if dataset is None:
            dataset = self._opts.dataset_id or await self._latest_dataset()
        offset = saved.get("offset") if isinstance(saved.get("offset"), int) else 0
        items, more = await self._items(dataset, int(offset or 0))
        posts, skipped = self._page(items, since)
        out: dict[str, Any] = {"dataset_id": dataset, "offset": int(offset or 0) + len(items)}
        return SourcePage(
            posts=posts, cursor=out if more else {"done": True}, more=more, skipped=skipped
        )

    async def aclose(self) -> None:
        await self._http.aclose()
