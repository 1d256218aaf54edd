"""Ingest one page of posts: store, match, score and decide alerts in ONE transaction.

The page's cursor and the source's health are written in that same transaction,
so a crash either keeps all of it or none of it: a restart neither misses nor
repeats posts, and a decided alert is always recorded before any chat call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import (
    GROUPED,
    OPEN,
    SUPPRESSED,
    Decision,
    ExistingAlert,
    MentionFacts,
    decide,
    mention_key,
)
from bot.cards import mention_title
from bot.clock import Clock
from bot.config import Config
from bot.creators.stage import CreatorStage, PageCreators
from bot.grouping import Creator, Placement, creator_of, grouped_values
from bot.models import BrandMatch, Post, Score, Severity
from bot.mutes import Mute
from bot.opportunities import find as find_opportunity
from bot.opportunity_alerts import open_opportunities
from bot.store import alerts as alert_store
from bot.store import posts as post_store
from bot.store import sources as source_store
from bot.store.database import Database
from bot.store.mutes import live_mutes
from bot.store.tables import AlertRow, MentionRow, PostRow


class Matcher(Protocol):
    def match(self, post: Post) -> list[BrandMatch]: ...


class Scorer(Protocol):
    def score(self, post: Post, brand: str) -> Score: ...


@dataclass
class IngestReport:
    fetched: int = 0
    new: int = 0
    updated: int = 0
    mentions: int = 0
    alerts_created: int = 0
    alerts_raised: int = 0
    alerts_grouped: int = 0
    suppressed: int = 0
    opportunities: int = 0
    skipped: int = 0
    quiet: int = 0  # history posts scored but given no new alert (see ingest_history)
    alert_ids: list[int] = field(default_factory=list)

    def add(self, other: IngestReport) -> None:
        for name in (
            "fetched",
            "new",
            "updated",
            "mentions",
            "alerts_created",
            "alerts_raised",
            "alerts_grouped",
            "suppressed",
            "opportunities",
            "skipped",
            "quiet",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.alert_ids.extend(other.alert_ids)


class Ingestor:
    def __init__(
        self, config: Config, db: Database, matcher: Matcher, scorer: Scorer, clock: Clock
    ) -> None:
        self.config = config
        self.db = db
        self.matcher = matcher
        self.scorer = scorer
        self.clock = clock
        self.creators = CreatorStage(config.creators)
        per_source = {tag for source in config.sources for tag in source.hashtags or ()}
        self.tracked = sorted(per_source | set(config.tracking.hashtags))

    async def ingest(
        self,
        source: str,
        posts: Sequence[Post],
        cursor: Mapping[str, Any] | None = None,
        *,
        skipped: int = 0,
        quota_left: int | None = None,
    ) -> IngestReport:
        async with self.db.transaction() as session:
            report = await self._ingest(session, posts)
            now = self.clock.now()
            await source_store.save_cursor(session, source, cursor, now)
            health = await source_store.health_row(session, source)
            health.posts_fetched = (health.posts_fetched or 0) + len(posts)
            health.last_success_at = now
            health.state = "ok"
            health.backoff_until = None
            if quota_left is not None:
                health.quota_left = quota_left
        report.skipped = skipped
        return report

    async def ingest_history(
        self,
        key: str,
        posts: Sequence[Post],
        cursor: Mapping[str, Any] | None,
        *,
        alert_after: datetime | None,
        skipped: int = 0,
    ) -> IngestReport:
        """A backfilled page and the walk's cursor (stored under `key`) in ONE transaction.

        `cursor=None` stores no cursor (history loaded from elsewhere, as in tests).

        The live cursor and the source's health are left alone, so a backfill can
        neither move the poller nor hide its errors. Mentions are scored as usual;
        posts created before `alert_after` open no new alert (history feeds
        baselines and summaries, it should not page people about last week).
        `alert_after=None` lets every post alert.
        """
        async with self.db.transaction() as session:
            report = await self._ingest(session, posts, alert_after=alert_after)
            await source_store.save_cursor(session, key, cursor, self.clock.now())
        report.skipped = skipped
        return report

    async def ingest_once(
        self, source: str, key: str, posts: Sequence[Post]
    ) -> IngestReport | None:
        """Ingest a pushed delivery exactly once: None when `key` was seen before (a replay)."""
        async with self.db.transaction() as session:
            now = self.clock.now()
            if not await source_store.first_time(session, f"ingest:{source}", key, now):
                return None
            report = await self._ingest(session, posts)
            health = await source_store.health_row(session, source)
            health.posts_fetched = (health.posts_fetched or 0) + len(posts)
            health.last_success_at = now
            health.state = "ok"
        return report

    async def _ingest(
        self,
        session: AsyncSession,
        posts: Sequence[Post],
        *,
        alert_after: datetime | None = None,
    ) -> IngestReport:
        now = self.clock.now()
        report = IngestReport(fetched=len(posts))
        stored = await post_store.upsert_posts(session, posts, now)
        report.new = sum(1 for s in stored if s.is_new)
        report.updated = sum(1 for s in stored if not s.is_new and s.changed)
        changed = [s for s in stored if s.changed and not s.row.deleted]
        if not changed:
            return report
        known = await post_store.mentions_for(session, [s.row.id for s in changed])
        pending: list[tuple[PostRow, str, dict[str, Any]]] = []
        opportunities: list[tuple[PostRow, str]] = []
        for item in changed:
            post = post_store.post_from_row(item.row)
            for match in self.matcher.match(post):
                score = self.scorer.score(post, match.brand)
                values = post_store.mention_values(score, match.alias, now)
                found = find_opportunity(
                    post, match.brand, score, self.tracked, self.config.opportunities
                )
                if found is not None:
                    values["reasons"].append({"kind": "opportunity", "text": found.reason})
                    opportunities.append((item.row, match.brand))
                pending.append((item.row, match.brand, values))
        if not pending:
            return report
        creators = await self.creators.load(session, pending, now)
        creators.apply(pending)  # credibility signals and watch reasons
        fresh: list[tuple[PostRow, str, dict[str, Any]]] = []
        for row, brand, values in pending:
            existing = known.get((row.id, brand))
            if existing is None:
                fresh.append((row, brand, values))
            else:
                post_store.update_mention(existing, values)
        known.update(await post_store.insert_mentions(session, fresh))
        scored = [(row, known[(row.id, brand)]) for row, brand, _ in pending]
        report.mentions = len(scored)
        mutes = await live_mutes(session, now)
        await self._decide_all(session, scored, mutes, report, alert_after, creators)
        if opportunities:
            ids = await open_opportunities(
                session,
                self.config,
                [(row, known[(row.id, brand)]) for row, brand in opportunities],
                mutes,
                now,
                alert_after=alert_after,
            )
            report.opportunities += len(ids)
            report.alert_ids.extend(ids)
        return report

    async def _decide_all(
        self,
        session: AsyncSession,
        scored: list[tuple[PostRow, MentionRow]],
        mutes: list[Mute],
        report: IngestReport,
        alert_after: datetime | None = None,
        page: PageCreators | None = None,
    ) -> None:
        now = self.clock.now()
        keys = [mention_key(post.id, mention.brand) for post, mention in scored]
        alerts = await alert_store.alerts_by_key(session, keys)
        routes = await alert_store.routes_of(session, [a.id for a in alerts.values()])
        creators = {creator_of(mention.brand, post) for post, mention in scored}
        handles = {post.author_handle for post, _ in scored}
        placement = await Placement.load(session, self.config, now, creators, handles)
        fresh: dict[str, tuple[dict[str, Any], Decision]] = {}
        outgoing: list[alert_store.Outgoing] = []
        first_in_page: dict[Creator, str] = {}
        folds: list[tuple[str, Creator, PostRow, MentionRow]] = []
        for (post, mention), key in zip(scored, keys, strict=True):
            if mention.wrong or key in fresh:
                continue
            alert = alerts.get(key)
            existing = None
            if alert is not None:
                existing = ExistingAlert(
                    alert.id,
                    alert.status,
                    Severity(alert.severity),
                    frozenset(routes.get(alert.id, set())),
                )
            watched = page is not None and page.watch_for(post) is not None
            facts = MentionFacts(
                mention.brand,
                post.source,
                post.author_handle,
                Severity(mention.severity),
                mention.score,
                watched=watched,
            )
            decision = decide(
                facts,
                existing,
                self.config.routes,
                mutes,
                now,
                update_on_rise=self.config.alerts.update_on_severity_rise,
            )
            if decision.action == "create" and alert_after and post.created_at < alert_after:
                report.quiet += 1  # old history: stored and scored, nobody paged
            elif decision.action == "create":
                values = self._new_alert(key, post, mention, decision)
                who = creator_of(mention.brand, post)
                groupable = decision.status == OPEN and not watched  # watched: each post alerts
                parent = placement.groups.get(who) if groupable else None
                if parent is not None:
                    placement.fold(parent, post, mention)
                    fresh[key] = (grouped_values(values, parent.id), decision)
                    report.alerts_grouped += 1
                elif groupable and who in first_in_page:
                    fresh[key] = (grouped_values(values, None), decision)
                    folds.append((key, who, post, mention))
                    report.alerts_grouped += 1
                else:
                    fresh[key] = (values, decision)
                    report.alerts_created += 1
                    report.suppressed += decision.status == SUPPRESSED
                    if groupable:
                        first_in_page[who] = key
            elif decision.action == "raise" and alert is not None and alert.status == GROUPED:
                await self._raise_grouped(session, alert, post, mention)
                report.alerts_raised += 1
            elif decision.action == "raise" and alert is not None:
                self._raise(alert, post, mention, decision)
                outgoing.append(
                    alert_store.Outgoing(
                        alert.id, decision.routes, severity=Severity(mention.severity)
                    )
                )
                report.alerts_raised += 1
                report.alert_ids.append(alert.id)
        if fresh:
            # One executemany, then the ids back by key (ORM inserts go row by row on SQLite).
            await session.execute(insert(AlertRow), [values for values, _ in fresh.values()])
            created = await alert_store.alerts_by_key(session, list(fresh))
            for key, (_, decision) in fresh.items():
                alert = created[key]
                if alert.status == GROUPED:
                    continue
                severity = Severity(alert.severity)
                thread = placement.thread_for(alert.brand, severity)
                outgoing.append(
                    alert_store.Outgoing(alert.id, decision.routes, thread, severity=severity)
                )
                report.alert_ids.append(alert.id)
            for key, who, post, mention in folds:
                parent = created[first_in_page[who]]
                placement.fold(parent, post, mention)
                created[key].details = {"grouped_into": parent.id}
        await alert_store.add_deliveries(session, outgoing, now)

    def _new_alert(
        self, key: str, post: PostRow, mention: MentionRow, decision: Decision
    ) -> dict[str, Any]:
        severity = Severity(mention.severity)
        return alert_store.post_alert_values(
            key,
            "mention",
            post,
            mention,
            severity=severity,
            status=decision.status,
            title=mention_title(severity, mention.brand, post.author_handle, post.source),
            muted_by=decision.muted_by,
            now=self.clock.now(),
        )

    async def _raise_grouped(
        self, session: AsyncSession, alert: AlertRow, post: PostRow, mention: MentionRow
    ) -> None:
        """A folded post grew: its own row follows, and so does the alert it joined."""
        alert.severity, alert.score = mention.severity, mention.score
        parent = await session.get(AlertRow, alert.details.get("grouped_into") or 0)
        if parent is not None and mention.severity > parent.severity:
            old = Severity(parent.severity)
            parent.severity, parent.score = mention.severity, mention.score
            parent.title = mention_title(
                Severity(mention.severity), parent.brand, post.author_handle, post.source
            )
            notes = [
                *parent.details.get("notes", []),
                (
                    f"severity rose from {old.label} to {Severity(mention.severity).label}: "
                    f"a grouped post by @{post.author_handle} grew"
                ),
            ]
            parent.details = {**parent.details, "notes": notes[-8:]}
            alert_store.bump(parent, self.clock.now())

    def _raise(
        self, alert: AlertRow, post: PostRow, mention: MentionRow, decision: Decision
    ) -> None:
        now = self.clock.now()
        old = Severity(alert.severity)
        new = Severity(mention.severity)
        alert.severity = int(new)
        alert.score = mention.score
        alert.title = mention_title(new, mention.brand, post.author_handle, post.source)
        if decision.status == OPEN and alert.status == SUPPRESSED:
            alert.status = OPEN
            alert.muted_by = None
        notes = list(alert.details.get("notes", []))
        notes.append(f"severity rose from {old.label} to {new.label} as the post grew")
        alert.details = {**alert.details, "notes": notes[-5:]}
        alert_store.bump(alert, now)
