"""Creator commands: `creator` (a profile), `creators` (a ranking) and `watch` (audited)."""

from __future__ import annotations

from bot.commands import grammar as g
from bot.commands.base import CommandBase, notice
from bot.commands.changes import KNOWN_SOURCES
from bot.creators.profile import ProfileInput, build_profile, rank_creators
from bot.creators.signals import span
from bot.durations import format_duration
from bot.permissions import Actor, may
from bot.store import audit
from bot.store import creators as store
from bot.timeutil import short_time
from bot.views import CommandResult, CreatorsView, CreatorView, Notice


def profile_text(view: CreatorView) -> str:
    """The plain answer (and every renderer's fallback)."""
    followers = (
        f"{view.followers:,} followers" if view.followers is not None else "followers unknown"
    )
    lines = [f"@{view.handle} on {view.source}: {followers}, {view.posts_seen} posts seen"]
    if view.first_seen and view.last_seen:
        lines.append(
            f"first seen {short_time(view.first_seen)}, last seen {short_time(view.last_seen)}"
        )
    if view.watch:
        lines.append(view.watch)
    for brand in view.mentions:
        stances = ", ".join(f"{c.name} {c.count}" for c in brand.by_stance)
        severities = ", ".join(f"{c.name} {c.count}" for c in brand.by_severity)
        lines.append(
            f"- {brand.brand}: {brand.total} mentions ({stances})"
            + (f"; negative by severity: {severities}" if severities else "")
        )
    for signal in view.signals:
        lines.append(f"{'⚑' if signal.fired else '·'} {signal.text}")
    for post in view.recent:
        lines.append(
            f"- [{post.severity.label}] {post.brand} {short_time(post.created_at)}: "
            f"{post.text[:100]} {post.url or ''}".rstrip()
        )
    if view.also_on:
        lines.append(f"also seen on {', '.join(view.also_on)} (add the source to choose)")
    return "\n".join(lines)


def ranking_text(view: CreatorsView) -> str:
    scope = view.brand or "all brands"
    head = f"Creators by reach-weighted negative mentions, {scope}, last {view.window}"
    if not view.creators:
        return f"{head}: none."
    return "\n".join(
        [head]
        + [
            f"{i}. @{c.handle} on {c.source}: {c.negative_posts} negative posts, "
            f"~{c.reach:,} reach, worst {c.worst.label}, brands {', '.join(c.brands)}"
            + (" (watched)" if c.watched else "")
            for i, c in enumerate(view.creators, start=1)
        ]
    )


class CreatorCommands(CommandBase):
    def _unknown_source(self, source: str | None) -> CommandResult | None:
        names = KNOWN_SOURCES | {s.name for s in self.config.sources}
        if source is None or source in names:
            return None
        return notice(
            f"Unknown source {source!r}. Known: {', '.join(sorted(names))}.", "error", ok=False
        )

    async def _creator(self, command: g.Creator) -> CommandResult:
        problem = self._unknown_source(command.source)
        if problem is not None:
            return problem
        now = self.clock.now()
        policy = self.config.creators
        where = f" on {command.source}" if command.source else ""
        async with self.db.read() as session:
            found = await store.spellings(session, command.handle, command.source)
            if not found:
                return notice(f"No posts stored from @{command.handle}{where}.", "error", ok=False)
            source, stored = found[0]
            rows = await store.creator_rows(session, source, stored)
            series = await store.follower_series(session, source, command.handle)
            peers = await store.peers(session, source, now - policy.window)
            watches = await store.watches_of(session, command.handle)
        handle = store.key_of(source, command.handle)[1]
        peers.pop(handle, None)
        active = [w for w in watches if w.state(now) == "active" and w.covers(source, handle)]
        watch = None
        if active:
            first = active[0]
            why = f": {first.reason}" if first.reason else ""
            watch = f"watched until {short_time(first.ends_at)} by {first.created_by}{why}"
        view = build_profile(
            ProfileInput(
                source, command.handle, rows, series, peers, watch, tuple(s for s, _ in found[1:])
            ),
            now,
            policy,
        )
        return CommandResult(ok=True, text=profile_text(view), view=view)

    async def _creators(self, command: g.Creators) -> CommandResult:
        brand = None
        if command.brand is not None:
            brand = self._brand(command.brand)
            if brand is None:
                return self._unknown_brand(command.brand)
        now = self.clock.now()
        since = now - command.window
        async with self.db.read() as session:
            rows = await store.negative_mentions(session, brand, since)
            watches = await store.live_watches(session, now)
        view = CreatorsView(brand, span(command.window), since, now, rank_creators(rows, watches))
        return CommandResult(ok=True, text=ranking_text(view), view=view)

    async def _watch(self, command: g.Watch, actor: Actor) -> CommandResult:
        problem = self._unknown_source(command.source)
        if problem is not None:
            return problem
        if not may(self.config, actor, "watch", None):
            return notice(
                "Not allowed: you may not put creators on the watchlist. Nothing changed.",
                "denied",
                ok=False,
            )
        now = self.clock.now()
        ends = now + command.duration
        async with self.db.transaction() as session:
            row = store.add_watch(
                session,
                handle=command.handle,
                source=command.source,
                starts_at=now,
                ends_at=ends,
                created_by=actor.label,
                reason=command.reason,
                now=now,
            )
            await session.flush()
            audit.record(
                session,
                at=now,
                actor=actor.label,
                platform=actor.platform,
                action="watch",
                target=f"watch:{row.id}",
                handle=row.handle,
                source=command.source,
                duration=format_duration(command.duration),
                reason=command.reason,
            )
        where = f" on {command.source}" if command.source else " on every source"
        text = (
            f"Watching @{row.handle}{where} for {format_duration(command.duration)} "
            f"(until {short_time(ends)}), watch #{row.id}: every new post by them that mentions "
            "a watched brand alerts, whatever its severity."
        )
        return CommandResult(ok=True, text=text, view=Notice(text))
