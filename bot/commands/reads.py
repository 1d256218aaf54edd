"""Commands that only show things: help, status, brands, summary, drill, mutes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.alerts import ACKNOWLEDGED, ESCALATED, OPEN
from bot.commands import grammar as g
from bot.commands.base import CommandBase, count, notice
from bot.store import alerts as alert_store
from bot.store.mutes import recent_mutes
from bot.store.sources import all_health
from bot.store.tables import AlertRow, MentionRow, MuteRow, PostRow
from bot.summary import build_drill, build_summary
from bot.timeutil import short_time
from bot.views import (
    BrandLine,
    BrandsView,
    CommandResult,
    HelpView,
    MuteLine,
    MutesView,
    SourceStatus,
    StatusView,
)


class ReadCommands(CommandBase):
    async def _leader(self) -> str | None:
        """Who runs the scheduler; a status page must not fail because this lookup did."""
        if self.leader is None:
            return None
        try:
            return await self.leader() or "nobody (an election is under way)"
        except Exception as error:  # the database's view of the lock could not be read
            return f"unknown ({type(error).__name__})"

    def _help(self) -> CommandResult:
        lines = tuple((f"/deinfluence {usage}", what) for usage, what in g.USAGE.values())
        text = "\n".join(f"{u} — {w}" for u, w in lines)
        return CommandResult(ok=True, text=text, view=HelpView(lines))

    async def _status(self) -> CommandResult:
        now = self.clock.now()
        async with self.db.read() as session:
            health = await all_health(session)
            posts = await count(session, select(func.count()).select_from(PostRow))
            open_alerts = await count(
                session,
                select(func.count())
                .select_from(AlertRow)
                .where(AlertRow.status.in_((OPEN, ESCALATED))),
            )
            undelivered = await alert_store.count_undelivered(session)
            problems = await alert_store.delivery_problems(session)
            active = await count(
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
        leader = await self._leader()
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
                open_alerts = await count(
                    session,
                    select(func.count())
                    .select_from(AlertRow)
                    .where(
                        AlertRow.brand == brand.name,
                        AlertRow.status.in_((OPEN, ESCALATED, ACKNOWLEDGED)),
                    ),
                )
                recent = await count(
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
