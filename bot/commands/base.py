"""What every command handler shares: config, store, clock, and the friendly answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Config
from bot.store.database import Database
from bot.views import CommandResult, Notice

ACTION_VERBS = {
    "view": "view",
    "ack": "acknowledge",
    "resolve": "resolve",
    "mute": "mute",
    "unmute": "unmute",
    "wrong": "mark alerts wrong for",
    "watch": "put creators on the watchlist for",
}


def notice(text: str, level: str = "info", *, ok: bool = True) -> CommandResult:
    return CommandResult(ok=ok, text=text, view=Notice(text, level))


def denied(action: str, brand: str | None) -> CommandResult:
    what = f" {brand}" if brand else " these alerts"
    return notice(
        f"Not allowed: you may not {ACTION_VERBS.get(action, action)}{what}. Nothing changed.",
        "denied",
        ok=False,
    )


class CommandBase:
    """State and helpers the read and change handlers both use."""

    config: Config
    db: Database
    clock: Clock
    on_change: Callable[[], Awaitable[None]] | None
    leader: Callable[[], Awaitable[str | None]] | None

    def _brand(self, name: str) -> str | None:
        brand = self.config.brand(name)
        return brand.name if brand else None

    def _unknown_brand(self, name: str) -> CommandResult:
        known = ", ".join(b.name for b in self.config.brands)
        return notice(f"Unknown brand {name!r}. Watched brands: {known}.", "error", ok=False)


async def count(session: AsyncSession, query: object) -> int:
    return int(await session.scalar(query) or 0)  # type: ignore[call-overload]
