"""Replays posts from a JSONL file as if they arrived live: the demo, backtests and failover tests.

Each line is a post in the corpus format plus `created_at` (ISO 8601), in time
order: `{id, source, lang?, text, author: {handle, followers, verified},
metrics: {views, likes, comments, shares}, created_at, url?, hashtags?, observed_at?}`.
Labels, when present, are ignored. A line whose `id` was seen before carries
updated metrics for the same post; its `observed_at` says when it was re-seen.
A line is released once the clock has reached its `observed_at` or else its
`created_at`, so a scaled clock compresses time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adapters.sources.context import SourceContext
from bot.clock import Clock
from bot.config import Environment, SourceConfig
from bot.models import Author, Metrics, Post
from bot.ports import MappingError, SourceItemError, SourcePage, SourcePayloadError
from bot.timeutil import parse_iso

BUILTIN_PREFIX = "builtin:"
_HASHTAG = re.compile(r"#(\w+)", re.UNICODE)


class ReplayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="a JSONL file, or builtin:demo for the bundled sample")
    page_size: int = Field(100, ge=1, le=10_000)


def resolve_path(path: str) -> Path:
    if path.startswith(BUILTIN_PREFIX):
        name = path.removeprefix(BUILTIN_PREFIX)
        return Path(str(resources.files("bot.data").joinpath(f"{name}_posts.jsonl")))
    return Path(path).expanduser()


def _int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(f"expected a whole number, got {value!r}")
    return value


def post_from_record(record: Mapping[str, Any]) -> Post:
    """Map one replay/corpus record; MappingError says what is wrong with it."""
    try:
        author = record.get("author") or {}
        metrics = record.get("metrics") or {}
        text = record["text"]
        if not isinstance(text, str) or not text.strip():
            raise MappingError("text is missing or empty")
        native_id = str(record["id"])
        created = parse_iso(str(record["created_at"]))
        handle = str(author.get("handle") or "").strip()
        if not handle:
            raise MappingError("author.handle is missing")
        tags = record.get("hashtags")
        hashtags = (
            tuple(str(t).lstrip("#").lower() for t in tags)
            if isinstance(tags, list)
            else tuple(t.lower() for t in _HASHTAG.findall(text))
        )
        return Post(
            source=str(record.get("source") or "replay"),
            native_id=native_id,
            text=text,
            created_at=created,
            author=Author(
                handle,
                _int(author.get("followers")),
                bool(author["verified"]) if author.get("verified") is not None else None,
            ),
            metrics=Metrics(
                _int(metrics.get("views")),
                _int(metrics.get("likes")),
                _int(metrics.get("comments")),
                _int(metrics.get("shares")),
            ),
            url=str(record["url"]) if record.get("url") else None,
            lang=str(record["lang"]) if record.get("lang") else None,
            hashtags=hashtags,
            edited=bool(record.get("edited", False)),
            deleted=bool(record.get("deleted", False)),
        )
    except MappingError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise MappingError(f"bad record: {error!r}") from None


class ReplaySource:
    """Serves a file's lines in order; the cursor is the number of lines consumed.

    Also a BackfillSource: history is the lines already released.
    """

    def __init__(self, name: str, path: Path, clock: Clock, page_size: int = 100) -> None:
        self.name = name
        self.path = path
        self.clock = clock
        self.page_size = page_size
        self._lines: list[str] | None = None

    def _load(self) -> list[str]:
        if self._lines is None:
            try:
                text = self.path.read_text(encoding="utf-8")
            except OSError as error:
                raise SourcePayloadError(f"cannot read replay file {self.path}: {error}") from None
            self._lines = [line for line in text.splitlines() if line.strip()]
        return self._lines

    @property
    def total(self) -> int:
        return len(self._load())

    def exhausted(self, cursor: Mapping[str, Any] | None) -> bool:
        return int((cursor or {}).get("offset", 0)) >= self.total

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        lines = self._load()
        offset = int((cursor or {}).get("offset", 0))
        now = self.clock.now()
        posts: list[Post] = []
        skipped: list[SourceItemError] = []
        index = offset
        while index < len(lines) and len(posts) + len(skipped) < self.page_size:
            try:
                record = json.loads(lines[index])
                if not isinstance(record, dict):
                    raise MappingError("line is not a JSON object")
                post = post_from_record(record)
            except (json.JSONDecodeError, MappingError) as error:
                skipped.append(SourceItemError(None, f"line {index + 1}: {error}"))
                index += 1
                continue
            released = parse_iso(str(record["observed_at"])) if record.get("observed_at") else None
            if (released or post.created_at) > now:
                break
            posts.append(post)
            index += 1
        more = index < len(lines) and len(posts) + len(skipped) >= self.page_size
        return SourcePage(posts=posts, cursor={"offset": index}, more=more, skipped=skipped)

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        """The file's lines already released, from `since` on, a page at a time.

        History cursor: `{"offset": lines consumed}`, then `{"done": true}`.
        """
        saved = cursor or {}
        if saved.get("done"):
            return SourcePage(posts=[], cursor=dict(saved))
        lines = self._load()
        index = int(saved.get("offset", 0))
        now = self.clock.now()
        posts: list[Post] = []
        skipped: list[SourceItemError] = []
        while index < len(lines) and len(posts) + len(skipped) < self.page_size:
            try:
                record = json.loads(lines[index])
                if not isinstance(record, dict):
                    raise MappingError("line is not a JSON object")
                post = post_from_record(record)
            except (json.JSONDecodeError, MappingError) as error:
                skipped.append(SourceItemError(None, f"line {index + 1}: {error}"))
                index += 1
                continue
            released = parse_iso(str(record["observed_at"])) if record.get("observed_at") else None
            if (released or post.created_at) > now:
                index = len(lines)  # the file is in time order: the rest is the future
                break
            if post.created_at >= since:
                posts.append(post)
            index += 1
        more = index < len(lines)
        return SourcePage(
            posts=posts,
            cursor={"offset": index} if more else {"done": True},
            more=more,
            skipped=skipped,
        )

    async def aclose(self) -> None:
        return None


def build(cfg: SourceConfig, ctx: SourceContext) -> ReplaySource:
    options = ReplayOptions.model_validate(cfg.options)
    return ReplaySource(cfg.name, resolve_path(options.path), ctx.clock, options.page_size)


def check(cfg: SourceConfig, env: Environment) -> list[str]:
    try:
        options = ReplayOptions.model_validate(cfg.options)
    except ValidationError as error:
        return [
            f"sources.{cfg.name}.options.{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in error.errors()
        ]
    path = resolve_path(options.path)
    if not path.is_file():
        return [f"sources.{cfg.name}.options.path: file not found: {options.path}"]
    return []
