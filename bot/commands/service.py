"""Executes typed commands for any adapter: one service, same rules on every platform."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import ACKNOWLEDGED, ESCALATED, GROUPED, OPEN, RESOLVED, SUPPRESSED
from bot.clock import Clock
from bot.commands import grammar as g
from bot.config import Config
from bot.durations import format_duration
from bot.models import Severity
from bot.mutes import MuteSpec
from bot.oncall import ack_expiry, stop_escalation
from bot.permissions import Actor, may
from bot.store import alerts as alert_store
from bot.store import audit
from bot.store.database import Database
from bot.store.mutes import add_mute, mute_from_row, recent_mutes
from bot.store.sources import all_health
from bot.store.tables import AlertRow, MentionRow, MuteRow, PostRow
from bot.summary import build_drill, build_summary
from bot.timeutil import short_time
from bot.views import (
    Action,
    BrandLine,
    BrandsView,
    CommandResult,
    HelpView,
    MuteLine,
    MutesView,
    Notice,
    SourceStatus,
    StatusView,
)

log = logging.getLogger(__name__)

KNOWN_SOURCES = frozenset(
    {
        "tiktok",
        "instagram",
        "youtube",
        "reddit",
        "mastodon",
        "bluesky",
        "x",
        "rss",
        "apify",
        "webhook",
    }
)
ACTION_VERBS = {
    "ack": "acknowledge",
    "resolve": "resolve",
    "mute": "mute",
    "unmute": "unmute",
    "wrong": "mark alerts wrong for",
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


class CommandService:
    def __init__(
        self,
        config: Config,
        db: Database,
        clock: Clock,
        on_change: Callable[[], Awaitable[None]] | None = None,
        leader: Callable[[], str | None] | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.on_change = on_change
        self.leader = leader

    async def run_text(self, text: str, actor: Actor) -> CommandResult:
        """Parse and execute; usage errors and crashes become friendly answers."""
        try:
            command = g.parse(text)
        except g.UsageError as error:
            return notice(f"{error}\nUsage: {error.usage}", "error", ok=False)
        return await self.execute(command, actor)

    async def execute(self, command: g.Command, actor: Actor) -> CommandResult:
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
        raise AssertionError(f"unhandled command {command!r}")

    def _brand(self, name: str) -> str | None:
        brand = self.config.brand(name)
        return brand.name if brand else None

    def _unknown_brand(self, name: str) -> CommandResult:
        known = ", ".join(b.name for b in self.config.brands)
        return notice(f"Unknown brand {name!r}. Watched brands: {known}.", "error", ok=False)

    def _help(self) -> CommandResult:
        lines = tuple((f"/deinfluence {usage}", what) for usage, what in g.USAGE.values())
        text = "\n".join(f"{u} — {w}" for u, w in lines)
        return CommandResult(ok=True, text=text, view=HelpView(lines))

    async def _status(self) -> CommandResult:
        now = self.clock.now()
        async with self.db.read() as session:
            health = await all_health(session)
            posts = await _count(session, select(func.count()).select_from(PostRow))
            open_alerts = await _count(
                session,
                select(func.count())
                .select_from(AlertRow)
                .where(AlertRow.status.in_((OPEN, ESCALATED))),
            )
            undelivered = await alert_store.count_undelivered(session)
            problems = await alert_store.delivery_problems(session)
            active = await _count(
                session,
                select(func.count())
                .select_from(MuteRow)
                .where(
                    MuteRow.starts_at <= now, MuteRow.ends_at > now, MuteRow.unmuted_at.is_(None)
                ),
            )
        sources = []
        for source in self.config.sources:
            row = health.get(source.name)
            sources.append(
                SourceStatus(
                    name=source.name,
                    type=source.type,
                    state=(
                        "disabled" if not source.enabled else row.state if row else "never polled"
                    ),
                    last_success=row.last_success_at if row else None,
                    last_error=row.last_error if row else None,
                    last_error_at=row.last_error_at if row else None,
                    backoff_until=row.backoff_until if row else None,
                    posts_fetched=row.posts_fetched if row else 0,
                    quota_left=row.quota_left if row else None,
                )
            )
        leader = self.leader() if self.leader else None
        view = StatusView(
            now=now,
            sources=tuple(sources),
            posts=posts,
            open_alerts=open_alerts,
            undelivered=undelivered,
            active_mutes=active,
            leader=leader,
            delivery_problems=tuple(problems),
        )
        text = "\n".join(
            [
                f"{posts} posts stored, {open_alerts} open alerts, {undelivered} undelivered, "
                f"{active} active mutes" + (f"; scheduler leader: {leader}" if leader else "")
            ]
            + [
                f"- {s.name} ({s.type}): {s.state}, {s.posts_fetched} posts fetched"
                + (f", last error: {s.last_error}" if s.last_error else "")
                for s in sources
            ]
            + [f"! {problem}" for problem in problems]
        )
        return CommandResult(ok=True, text=text, view=view)

    async def _brands(self) -> CommandResult:
        now = self.clock.now()
        lines = []
        async with self.db.read() as session:
            for brand in self.config.brands:
                open_alerts = await _count(
                    session,
                    select(func.count())
                    .select_from(AlertRow)
                    .where(
                        AlertRow.brand == brand.name,
                        AlertRow.status.in_((OPEN, ESCALATED, ACKNOWLEDGED)),
                    ),
                )
                recent = await _count(
                    session,
                    select(func.count())
                    .select_from(MentionRow)
                    .where(
                        MentionRow.brand == brand.name,
                        MentionRow.post_created_at >= now - timedelta(hours=24),
                    ),
                )
                lines.append(
                    BrandLine(
                        brand.name,
                        tuple(brand.aliases),
                        tuple(c.name for c in brand.competitors),
                        open_alerts,
                        recent,
                    )
                )
        text = "\n".join(
            f"- {b.name}: {b.open_alerts} open alerts, {b.mentions_24h} mentions in 24h"
            for b in lines
        )
        return CommandResult(ok=True, text=text, view=BrandsView(tuple(lines)))

    async def _summary(self, command: g.Summary) -> CommandResult:
        brand = None
        if command.brand is not None:
            brand = self._brand(command.brand)
            if brand is None:
                return self._unknown_brand(command.brand)
        async with self.db.read() as session:
            summary = await build_summary(session, brand, command.window, self.clock.now())
        return CommandResult(
            ok=True,
            text=summary.text,
            view=summary.view,
            ephemeral=not command.public,
            chart_png=summary.chart_png,
        )

    async def _drill(self, command: g.Drill) -> CommandResult:
        async with self.db.read() as session:
            alert = None
            brand = None
            if command.alert_id is not None:
                alert = await session.get(AlertRow, command.alert_id)
                if alert is None:
                    return notice(f"No alert #{command.alert_id}.", "error", ok=False)
            else:
                brand = self._brand(command.brand or "")
                if brand is None:
                    return self._unknown_brand(command.brand or "")
            view = await build_drill(
                session,
                brand=brand,
                alert=alert,
                window=command.window,
                now=self.clock.now(),
                page=command.page,
            )
        text = "\n".join(
            [f"{view.title} (page {view.page}/{view.pages}, {view.total} posts)"]
            + [
                f"- [{p.severity.label}] @{p.author} on {p.source}: {p.text[:100]} {p.url or ''}"
                for p in view.posts
            ]
        )
        return CommandResult(ok=True, text=text, view=view)

    async def _mute(self, command: g.MuteCmd, actor: Actor) -> CommandResult:
        spec = command.spec
        if spec.brand is not None:
            brand = self._brand(spec.brand)
            if brand is None:
                return self._unknown_brand(spec.brand)
            spec = MuteSpec(brand, spec.source, spec.author, spec.max_severity)
        source_names = KNOWN_SOURCES | {s.name for s in self.config.sources}
        if spec.source is not None and spec.source.lower() not in source_names:
            return notice(
                f"Unknown source {spec.source!r}. Known: {', '.join(sorted(source_names))}.",
                "error",
                ok=False,
            )
        if not may(self.config, actor, "mute", spec.brand):
            return denied("mute", spec.brand)
        now = self.clock.now()
        ends = now + command.duration
        async with self.db.transaction() as session:
            row = add_mute(
                session,
                spec,
                starts_at=now,
                ends_at=ends,
                created_by=actor.label,
                reason=command.reason,
                now=now,
            )
            await session.flush()
            changed = await self._note_matching(
                session, spec, f"muted by {actor.label} until {short_time(ends)} (mute #{row.id})"
            )
            audit.record(
                session,
                at=now,
                actor=actor.label,
                platform=actor.platform,
                action="mute",
                target=f"mute:{row.id}",
                matchers=spec.describe(),
                duration=format_duration(command.duration),
                reason=command.reason,
            )
        text = (
            f"Muted {spec.describe()} for {format_duration(command.duration)} "
            f"(until {short_time(ends)}), mute #{row.id}. Muted alerts are still recorded."
        )
        return CommandResult(ok=True, text=text, view=Notice(text), changed_alerts=tuple(changed))

    async def _note_matching(self, session: AsyncSession, spec: MuteSpec, note: str) -> list[int]:
        """Show the mute on open alerts it covers, so their messages say why they went quiet."""
        now = self.clock.now()
        query = (
            select(AlertRow, PostRow)
            .join(PostRow, PostRow.id == AlertRow.post_id)
            .where(
                AlertRow.status.in_((OPEN, ESCALATED, ACKNOWLEDGED)),
                AlertRow.created_at >= now - timedelta(days=2),
            )
        )
        if spec.brand:
            query = query.where(AlertRow.brand == spec.brand)
        changed = []
        for alert, post in await session.execute(query.limit(200)):
            if spec.matches(
                brand=alert.brand,
                source=post.source,
                author=post.author_handle,
                severity=Severity(alert.severity),
            ):
                alert.details = {
                    **alert.details,
                    "notes": [*alert.details.get("notes", []), note][-5:],
                }
                alert_store.bump(alert, now)
                changed.append(alert.id)
        return changed

    async def _unmute(self, command: g.Unmute, actor: Actor) -> CommandResult:
        now = self.clock.now()
        async with self.db.transaction() as session:
            row = await session.get(MuteRow, command.mute_id)
            if row is None:
                return notice(f"No mute #{command.mute_id}.", "error", ok=False)
            if not may(self.config, actor, "unmute", row.brand):
                return denied("unmute", row.brand)
            state = mute_from_row(row).state(now)
            if state != "active" and state != "pending":
                return notice(f"Mute #{row.id} is already {state}; nothing changed.")
            row.unmuted_at = now
            row.unmuted_by = actor.label
            audit.record(
                session,
                at=now,
                actor=actor.label,
                platform=actor.platform,
                action="unmute",
                target=f"mute:{row.id}",
            )
        return notice(f"Mute #{command.mute_id} lifted.")

    async def _mutes(self) -> CommandResult:
        now = self.clock.now()
        async with self.db.read() as session:
            mutes = await recent_mutes(session, now)
        lines = tuple(
            MuteLine(
                m.id,
                m.spec.describe(),
                m.starts_at,
                m.ends_at,
                m.created_by,
                m.reason,
                m.state(now),
            )
            for m in mutes
        )
        text = (
            "\n".join(
                f"#{m.mute_id} {m.matchers} until {short_time(m.ends_at)} [{m.state}] "
                f"by {m.created_by}" + (f": {m.reason}" if m.reason else "")
                for m in lines
            )
            or "No mutes."
        )
        return CommandResult(ok=True, text=text, view=MutesView(lines))

    async def _ack_or_resolve(self, command: g.Ack | g.Resolve, actor: Actor) -> CommandResult:
        action = "ack" if isinstance(command, g.Ack) else "resolve"
        now = self.clock.now()
        async with self.db.transaction() as session:
            alert = await session.get(AlertRow, command.alert_id)
            if alert is None:
                return notice(f"No alert #{command.alert_id}.", "error", ok=False)
            if not may(self.config, actor, action, alert.brand):
                return denied(action, alert.brand)
            if alert.status == RESOLVED:
                return notice(f"Alert #{alert.id} is already resolved; nothing changed.")
            if action == "ack":
                if alert.status == ACKNOWLEDGED:
                    return notice(
                        f"Alert #{alert.id} was already acknowledged by {alert.acked_by}."
                    )
                if alert.status in (SUPPRESSED, GROUPED):
                    return notice(f"Alert #{alert.id} is {alert.status}; nothing to acknowledge.")
                alert.status, alert.acked_by, alert.acked_at = ACKNOWLEDGED, actor.label, now
                if alert.kind == "spike":
                    alert.ack_expires_at = now + ack_expiry(self.config, alert.brand)
                text = f"Alert #{alert.id} acknowledged by {actor.label}."
            else:
                alert.status, alert.resolved_by, alert.resolved_at = RESOLVED, actor.label, now
                text = f"Alert #{alert.id} resolved by {actor.label}."
            await stop_escalation(session, alert.id)
            alert_store.bump(alert, now)
            audit.record(
                session,
                at=now,
                actor=actor.label,
                platform=actor.platform,
                action=action,
                target=f"alert:{alert.id}",
            )
        return CommandResult(
            ok=True, text=text, view=Notice(text), changed_alerts=(command.alert_id,)
        )

    async def _wrong(self, command: g.Wrong, actor: Actor) -> CommandResult:
        now = self.clock.now()
        async with self.db.transaction() as session:
            alert = await session.get(AlertRow, command.alert_id)
            if alert is None:
                return notice(f"No alert #{command.alert_id}.", "error", ok=False)
            if not may(self.config, actor, "wrong", alert.brand):
                return denied("wrong", alert.brand)
            if alert.wrong_by:
                return notice(f"Alert #{alert.id} was already marked wrong by {alert.wrong_by}.")
            mention = await session.get(MentionRow, alert.mention_id) if alert.mention_id else None
            if mention is not None:
                mention.wrong = True
                mention.wrong_reason = command.reason or None
            alert.wrong_by = actor.label
            if alert.status != RESOLVED:
                alert.status, alert.resolved_at, alert.resolved_by = RESOLVED, now, actor.label
            alert_store.bump(alert, now)
            audit.record(
                session,
                at=now,
                actor=actor.label,
                platform=actor.platform,
                action="wrong",
                target=f"alert:{alert.id}",
                reason=command.reason,
                mention_id=alert.mention_id,
                post_id=alert.post_id,
            )
        text = (
            f"Alert #{command.alert_id} marked as a false positive; its post is hidden from "
            "summaries and the correction is kept for `deinfluence export-feedback`."
        )
        return CommandResult(
            ok=True, text=text, view=Notice(text), changed_alerts=(command.alert_id,)
        )


async def _count(session: AsyncSession, query: object) -> int:
    return int(await session.scalar(query) or 0)  # type: ignore[call-overload]
