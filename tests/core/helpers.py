"""Builders for core tests: configs, posts and a pipeline on a real store."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

from bot.clock import ManualClock
from bot.config import Config, parse_config
from bot.matching import BrandMatcher
from bot.models import Author, Metrics, Post
from bot.pipeline import Pipeline
from bot.ports import DeliveryError, MessageRef
from bot.scoring.scorer import Scorer
from bot.store.database import Database
from bot.views import AlertCard

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def config(routes: list[dict[str, Any]] | None = None, **extra: Any) -> Config:
    data: dict[str, Any] = {
        "brands": [
            {
                "name": "GlowLab",
                "aliases": ["GlowLab", "Glow Lab", "#glowlab"],
                "competitors": ["DewDrop", "The Basics Co"],
            },
            {
                "name": "Tundra",
                "aliases": ["Tundra cup", "Tundra tumbler", "#tundracup"],
                "exclusions": ["Toyota Tundra"],
                "competitors": ["IceKeep"],
            },
        ],
        "routes": routes
        if routes is not None
        else [
            {
                "name": "alerts",
                "platform": "console",
                "channel": "#alerts",
                "min_severity": "medium",
            }
        ],
        **extra,
    }
    return parse_config(data)


def post(
    native_id: str,
    text: str,
    *,
    followers: int | None = 500,
    views: int | None = 1000,
    source: str = "tiktok",
    author: str = "creator",
    at: datetime = T0,
    **kw: Any,
) -> Post:
    return Post(
        source=source,
        native_id=native_id,
        text=text,
        created_at=at,
        author=Author(author, followers, False),
        metrics=Metrics(views, kw.pop("likes", 10), 1, 1),
        url=f"https://example.com/{native_id}",
        lang=kw.pop("lang", "en"),
        **kw,
    )


class Reach(TypedDict):
    """Reach keywords for `post`, typed so they can be spread into it."""

    followers: int | None
    views: int | None


RASH = "GlowLab serum gave me a rash, do not buy it #deinfluencing"


@dataclass
class RecordingChat:
    """A ChatNotifier that records calls and can be told to fail."""

    platform: str = "console"
    posted: list[tuple[str, AlertCard, str | None]] = field(default_factory=list)
    updated: list[tuple[MessageRef, AlertCard]] = field(default_factory=list)
    fail_with: Exception | None = None

    replies: list[tuple[MessageRef, str, str | None]] = field(default_factory=list)
    threads: dict[int, str] = field(default_factory=dict)

    async def post(
        self,
        channel: str,
        card: AlertCard,
        *,
        mention: str | None,
        thread: MessageRef | None = None,
    ) -> MessageRef:
        if self.fail_with is not None:
            raise self.fail_with
        self.posted.append((channel, card, mention))
        if thread is not None:
            self.threads[card.alert_id] = thread.message_id
        return MessageRef(
            self.platform,
            channel,
            f"m{len(self.posted)}",
            thread.message_id if thread is not None else None,
        )

    async def reply(self, ref: MessageRef, text: str, *, mention: str | None) -> MessageRef:
        if self.fail_with is not None:
            raise self.fail_with
        self.replies.append((ref, text, mention))
        return MessageRef(self.platform, ref.channel, f"r{len(self.replies)}", ref.message_id)

    async def update(self, ref: MessageRef, card: AlertCard) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.updated.append((ref, card))


def pipeline(cfg: Config, db: Database, clock: ManualClock, chat: RecordingChat) -> Pipeline:
    return Pipeline(
        cfg,
        db,
        clock,
        BrandMatcher(cfg.brands),
        Scorer(cfg.brands, cfg.policy),
        {},
        {chat.platform: chat},
    )


def redeliver(pipe: Pipeline) -> Callable[[], Awaitable[None]]:
    """`pipe.deliver` as a CommandService `on_change` hook (which wants no result)."""

    async def on_change() -> None:
        await pipe.deliver()

    return on_change


__all__ = ["T0", "DeliveryError", "RecordingChat", "config", "pipeline", "post"]
