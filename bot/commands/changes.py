"""Commands that change things: mute, unmute, ack, resolve, wrong. Each is audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import ACKNOWLEDGED, ESCALATED, GROUPED, OPEN, RESOLVED, SUPPRESSED
from bot.commands import grammar as g
from bot.commands.base import CommandBase, denied, notice
from bot.durations import format_duration
from bot.models import Severity
from bot.mutes import MuteSpec
from bot.oncall import ack_expiry, stop_escalation
from bot.opportunities import KIND as OPPORTUNITY
from bot.permissions import Actor, may
from bot.store import alerts as alert_store
from bot.store import audit
from bot.store.mutes import add_mute, mute_from_row
from bot.store.tables import AlertRow, MentionRow, MuteRow, PostRow
from bot.timeutil import short_time
from bot.views import CommandResult, Notice

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


class ChangeCommands(CommandBase):
    async def _alert_to_change(
        self, session: AsyncSession, alert_id: int, actor: Actor, action: str
    ) -> AlertRow | CommandResult:
        """The alert, or the answer that stops the change: unknown alert, or not allowed."""
        alert = await session.get(AlertRow, alert_id)
        if alert is None:
            return notice(f"No alert #{alert_id}.", "error", ok=False)
        if not may(self.config, actor, action, alert.brand):
            return denied(action, alert.brand)
        return alert

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

    async def _ack_or_resolve(self, command: g.Ack | g.Resolve, actor: Actor) -> CommandResult:
        action = "ack" if isinstance(command, g.Ack) else "resolve"
        now = self.clock.now()
        async with self.db.transaction() as session:
            alert = await self._alert_to_change(session, command.alert_id, actor, action)
            if isinstance(alert, CommandResult):
                return alert
            if alert.status == RESOLVED:
                return notice(f"Alert #{alert.id} is already resolved; nothing changed.")
            if action == "ack":
                if alert.kind == OPPORTUNITY:
                    return notice(
                        f"Alert #{alert.id} is an opportunity: there is nothing to acknowledge "
                        "(mute, show posts, mark it wrong or resolve it).",
                        "error",
                        ok=False,
                    )
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
            alert = await self._alert_to_change(session, command.alert_id, actor, "wrong")
            if isinstance(alert, CommandResult):
                return alert
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
