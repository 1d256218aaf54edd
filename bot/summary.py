"""Summaries and drill-downs: what managers see without reading every post."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import ACKNOWLEDGED, RESOLVED, SUPPRESSED
from bot.cards import post_line
from bot.charts import severity_chart
from bot.durations import format_duration
from bot.models import Severity
from bot.retention import aggregates
from bot.scoring.promotion import UNDISCLOSED, kind_of_reason
from bot.store.tables import AlertRow, MentionRow, PostRow
from bot.timeutil import short_time
from bot.views import Counted, DrillView, PostLine, SummaryView

TOP_POSTS = 5
PAGE_SIZE = 10


def _reach_key(post: PostRow) -> int:
    return max(post.views or 0, post.author_followers or 0)


def _rank(pair: tuple[MentionRow, PostRow]) -> tuple[int, int, int]:
    mention, post = pair
    return (-mention.severity, -_reach_key(post), -mention.score)


def _counted(counter: Counter[str], limit: int = 10) -> tuple[Counted, ...]:
    return tuple(Counted(name, count) for name, count in counter.most_common(limit))


async def _mentions(
    session: AsyncSession, brand: str | None, since: datetime, until: datetime
) -> list[tuple[MentionRow, PostRow]]:
    query = (
        select(MentionRow, PostRow)
        .join(PostRow, PostRow.id == MentionRow.post_id)
        .where(MentionRow.post_created_at >= since, MentionRow.post_created_at <= until)
    )
    if brand is not None:
        query = query.where(MentionRow.brand == brand)
    rows = await session.execute(query)
    return [(m, p) for m, p in rows]


@dataclass(frozen=True)
class SummaryResult:
    view: SummaryView
    chart_png: bytes | None
    text: str


async def build_summary(
    session: AsyncSession,
    brand: str | None,
    window: timedelta,
    now: datetime,
    *,
    chart: bool = True,
) -> SummaryResult:
    since = now - window
    pairs = await _mentions(session, brand, since, now)
    hidden = [p for p in pairs if p[0].wrong]
    pairs = [p for p in pairs if not p[0].wrong]
    by_severity = Counter(Severity(m.severity).label for m, _ in pairs)
    negative = [(m, p) for m, p in pairs if m.stance == "negative"]
    claims = Counter(c["claim"] for m, _ in negative for c in m.claims)
    alternatives = Counter(m.alternative for m, _ in negative if m.alternative)
    languages = Counter((m.lang or p.lang or "unknown") for m, p in pairs)
    sources = Counter(p.source for _, p in pairs)
    points = [(m.post_created_at, Severity(m.severity), 1) for m, _ in pairs]
    older = await aggregates(session, brand, since, now)  # hours whose posts were pruned
    for row in older:
        by_severity[Severity(row.severity).label] += row.count
        languages[row.lang or "unknown"] += row.count
        sources[row.source] += row.count
        if row.stance == "negative":
            claims.update({k: int(v) for k, v in row.claims.items()})
            alternatives.update({k: int(v) for k, v in row.alternatives.items()})
        points.append((row.hour, Severity(row.severity), row.count))
    alert_query = select(AlertRow.status, func.count()).where(
        AlertRow.kind == "mention", AlertRow.created_at >= since, AlertRow.created_at <= now
    )
    if brand is not None:
        alert_query = alert_query.where(AlertRow.brand == brand)
    statuses = dict((await session.execute(alert_query.group_by(AlertRow.status))).all())
    muted = int(statuses.get(SUPPRESSED, 0))
    alerted = sum(int(v) for v in statuses.values())
    below = sum(1 for m, _ in pairs if m.severity > 0) - alerted
    top = sorted((p for p in pairs if p[0].severity > 0), key=_rank)[:TOP_POSTS]
    alert_ids = await _alert_ids(session, [m.id for m, _ in top])
    view = SummaryView(
        brand=brand,
        window=format_duration(window),
        since=since,
        until=now,
        total=len(pairs) + sum(row.count for row in older),
        by_severity=tuple(
            Counted(s.label, by_severity.get(s.label, 0)) for s in reversed(Severity)
        ),
        suppressed=max(below, 0),
        muted=muted,
        hidden_wrong=len(hidden),
        top_posts=tuple(post_line(p, m, alert_ids.get(m.id)) for m, p in top),
        top_claims=_counted(claims),
        alternatives=_counted(alternatives),
        languages=_counted(languages),
        sources=_counted(sources),
        agenda=agenda_lines(pairs),
        chart_alt=f"Mentions per {'hour' if window <= timedelta(days=3) else 'day'} by severity "
        f"for {brand or 'all brands'} over the last {format_duration(window)}",
    )
    spikes = await _spikes(session, brand, since, now)
    view = replace(view, open_spikes=tuple(line for line, _, _, active in spikes if active))
    png = None
    if chart:
        png = severity_chart(
            points,
            since,
            now,
            f"{brand or 'All brands'}: mentions by severity",
            spikes=[(start, end) for _, start, end, _ in spikes],
        )
    return SummaryResult(view, png, summary_text(view))


async def _spikes(
    session: AsyncSession, brand: str | None, since: datetime, until: datetime
) -> list[tuple[str, datetime, datetime, bool]]:
    """Spikes that overlap the window: (owner line, start, end, still open)."""
    query = select(AlertRow).where(AlertRow.kind == "spike", AlertRow.created_at <= until)
    if brand is not None:
        query = query.where(AlertRow.brand == brand)
    out = []
    for alert in await session.scalars(query.order_by(AlertRow.id)):
        end = alert.resolved_at or until
        if end < since:
            continue
        active = alert.status != RESOLVED
        owner = (
            f"acknowledged by {alert.acked_by}"
            if alert.status == ACKNOWLEDGED
            else "nobody owns it yet"
            if active
            else "resolved"
        )
        since_when = short_time(alert.created_at)
        line = f"#{alert.id} {alert.brand} since {since_when}: {alert.status}, {owner}"
        out.append((line, max(alert.created_at, since), end, active))
    return out


async def _alert_ids(session: AsyncSession, mention_ids: list[int]) -> dict[int, int]:
    if not mention_ids:
        return {}
    rows = await session.execute(
        select(AlertRow.mention_id, AlertRow.id).where(AlertRow.mention_id.in_(mention_ids))
    )
    return {int(m): int(a) for m, a in rows if m is not None}


def agenda_lines(pairs: Sequence[tuple[MentionRow, PostRow]]) -> tuple[str, ...]:
    """Hidden agendas and opportunities in the window, from the reasons the scorer stored."""
    undisclosed: Counter[str] = Counter()
    disclosed: Counter[str] = Counter()
    opportunities = 0
    for mention, _ in pairs:
        texts = [str(r.get("text", "")) for r in mention.reasons]
        flags = [kind for text in texts if (kind := kind_of_reason(text)) is not None]
        if flags:
            flagged = undisclosed if flags[0] == UNDISCLOSED else disclosed
            flagged[mention.alternative or "another product"] += 1
        opportunities += any(r.get("kind") == "opportunity" for r in mention.reasons)
    lines = []
    for label, counts in (
        ("Possible undisclosed promotions", undisclosed),
        ("Disclosed promotions", disclosed),
    ):
        if counts:
            of = ", ".join(f"{name} {n}" for name, n in counts.most_common(3))
            lines.append(f"{label}: {sum(counts.values())} (of {of})")
    if opportunities:
        noun = "post" if opportunities == 1 else "posts"
        lines.append(f"Opportunities: {opportunities} {noun} recommending or praising the brand")
    return tuple(lines)


def summary_text(view: SummaryView) -> str:
    counts = ", ".join(f"{c.count} {c.name}" for c in view.by_severity if c.count)
    lines = [
        f"Summary for {view.brand or 'all brands'}, last {view.window}: {view.total} mentions"
        + (f" ({counts})" if counts else ""),
        f"Below alert thresholds: {view.suppressed}; muted: {view.muted}; "
        f"marked wrong: {view.hidden_wrong}",
    ]
    if view.top_claims:
        lines.append("Top claims: " + ", ".join(f"{c.name} ({c.count})" for c in view.top_claims))
    if view.alternatives:
        lines.append(
            "Recommended instead: " + ", ".join(f"{c.name} ({c.count})" for c in view.alternatives)
        )
    if view.languages:
        lines.append("Languages: " + ", ".join(f"{c.name} ({c.count})" for c in view.languages))
    lines.extend(f"Open spike {spike}" for spike in view.open_spikes)
    lines.extend(view.agenda)
    for line in view.top_posts:
        lines.append(f"- [{line.severity.label}] @{line.author} on {line.source}: {line.text[:80]}")
    return "\n".join(lines)


async def build_drill(
    session: AsyncSession,
    *,
    brand: str | None,
    alert: AlertRow | None,
    window: timedelta,
    now: datetime,
    page: int,
) -> DrillView:
    pairs: list[tuple[MentionRow, PostRow]]
    if alert is not None and alert.kind == "spike" and alert.details.get("wave_start"):
        title = f"Alert #{alert.id}: {alert.title}"
        start = datetime.fromisoformat(alert.details["wave_start"])
        pairs = [
            (m, p)
            for m, p in await _mentions(session, alert.brand, start, alert.resolved_at or now)
            if m.stance == "negative"
            and (alert.details.get("source") is None or p.source == alert.details["source"])
        ]
    elif alert is not None:
        title = f"Alert #{alert.id}: {alert.title}"
        pairs = []
        if alert.mention_id is not None:
            mention = await session.get(MentionRow, alert.mention_id)
            post = await session.get(PostRow, alert.post_id) if alert.post_id else None
            if mention is not None and post is not None:
                pairs = [(mention, post)]
        for mention_id in alert.details.get("mention_ids", []):
            mention = await session.get(MentionRow, mention_id)
            if mention is not None:
                post = await session.get(PostRow, mention.post_id)
                if post is not None and (mention, post) not in pairs:
                    pairs.append((mention, post))
    else:
        title = f"{brand}: posts of the last {format_duration(window)}"
        pairs = [p for p in await _mentions(session, brand, now - window, now) if p[0].severity > 0]
    pairs = sorted((p for p in pairs if not p[0].wrong), key=_rank)
    pages = max(1, -(-len(pairs) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = pairs[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ids = await _alert_ids(session, [m.id for m, _ in shown])
    lines: tuple[PostLine, ...] = tuple(post_line(p, m, ids.get(m.id)) for m, p in shown)
    return DrillView(title=title, posts=lines, page=page, pages=pages, total=len(pairs))
