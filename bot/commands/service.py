"""Executes typed commands for any adapter: one service, same rules on every platform."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import select

from bot.clock import Clock
from bot.commands import grammar as g
from bot.commands.base import denied, notice
from bot.commands.changes import ChangeCommands
from bot.commands.creators import CreatorCommands
from bot.commands.reads import ReadCommands
from bot.config import Config
from bot.metrics import Metrics
from bot.mutes import MuteSpec
from bot.permissions import Actor, may
from bot.store.database import Database
from bot.store.tables import AlertRow
from bot.views import Action, CommandResult

log = logging.getLogger(__name__)

__all__ = ["CommandService", "denied", "notice"]


class CommandService(ReadCommands, ChangeCommands, CreatorCommands):
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Clock,
        on_change: Callable[[], Awaitable[None]] | None = None,
        leader: Callable[[], Awaitable[str | None]] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.on_change = on_change
        self.leader = leader
        self.metrics = metrics or Metrics()

    async def run_text(self, text: str, actor: Actor) -> CommandResult:
        """Parse and execute; usage errors and crashes become friendly answers."""
        try:
            command = g.parse(text)
        except g.UsageError as error:
            return notice(f"{error}\nUsage: {error.usage}", "error", ok=False)
        return await self.execute(command, actor)

    async def execute(self, command: g.Command, actor: Actor) -> CommandResult:
        with self.metrics.command_timer(type(command).__name__):
            return await self._execute(command, actor)

    async def _execute(self, command: g.Command, actor: Actor) -> CommandResult:
        try:
            result = await self._dispatch(command, actor)
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception(
                "command %s by %s failed (error id %s)",
                type(command).__name__,
                actor.label,
                error_id,
            )
            return notice(
                f"Something went wrong (error id {error_id}). Nothing was changed.",
                "error",
                ok=False,
            )
        if result.changed_alerts and self.on_change is not None:
            try:
                await self.on_change()
            except Exception:
                log.exception("refreshing alert messages after a command failed")
        return result

    async def run_action(self, action: Action, alert_id: int, actor: Actor) -> CommandResult:
        """An alert button, as the same command a person could type."""
        command: g.Command
        if action is Action.ACK:
            command = g.Ack(alert_id)
        elif action is Action.SHOW_POSTS:
            command = g.Drill(alert_id=alert_id)
        elif action is Action.WRONG:
            command = g.Wrong(alert_id, "marked from the alert's button")
        else:
            async with self.db.read() as session:
                alert = await session.get(AlertRow, alert_id)
            if alert is None:
                return notice(f"No alert #{alert_id}.", "error", ok=False)
            hours = 1 if action is Action.MUTE_1H else 24
            command = g.MuteCmd(
                MuteSpec(brand=alert.brand), timedelta(hours=hours), f"muted from alert #{alert_id}"
            )
        return await self.execute(command, actor)

    def brand_names(self) -> list[str]:
        return [b.name for b in self.config.brands]

    async def alert_choices(self, query: str = "", limit: int = 25) -> list[tuple[int, str]]:
        """Recent alerts for autocompletion: (id, label), newest first, filtered by id or text."""
        async with self.db.read() as session:
            rows = await session.execute(
                select(AlertRow.id, AlertRow.title, AlertRow.status)
                .order_by(AlertRow.id.desc())
                .limit(200)
            )
            found = []
            needle = query.strip().lstrip("#").casefold()
            for alert_id, title, status in rows:
                label = f"#{alert_id} {title} [{status}]"
                if not needle or needle in str(alert_id) or needle in label.casefold():
                    found.append((int(alert_id), label[:100]))
                if len(found) >= limit:
                    break
        return found

    async def _dispatch(self, command: g.Command, actor: Actor) -> CommandResult:
        reading, brand = self._viewed_brand(command)
        if reading and not may(self.config, actor, "view", brand):
            return denied("view", brand)
        match command:
            case g.Help():
                return self._help()
            case g.Status():
                return await self._status()
            case g.Brands():
                return await self._brands()
            case g.Summary():
                return await self._summary(command)
            case g.Drill():
                return await self._drill(command)
            case g.MuteCmd():
                return await self._mute(command, actor)
            case g.Unmute():
                return await self._unmute(command, actor)
            case g.Mutes():
                return await self._mutes()
            case g.Ack() | g.Resolve():
                return await self._ack_or_resolve(command, actor)
            case g.Wrong():
                return await self._wrong(command, actor)
            case g.Creator():
                return await self._creator(command)
            case g.Creators():
                return await self._creators(command)
            case g.Watch():
                return await self._watch(command, actor)
        raise AssertionError(f"unhandled command {command!r}")

    def _viewed_brand(self, command: g.Command) -> tuple[bool, str | None]:
        """Whether a command only shows things, and which brand (None: all of them)."""
        match command:
            case g.Summary() | g.Drill() | g.Creators():
                return True, self._brand(command.brand) if command.brand else None
            case g.Creator():
                return True, None
            case g.Status() | g.Brands() | g.Mutes():
                return True, None
        return False, None
