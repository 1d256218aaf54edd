"""Fewer messages for the same story: one alert per creator wave, post alerts under an open spike.

Grouping: several posts by one creator about one brand within `group_window`
become one alert; each later post gets an alert row of status `grouped` (so a
re-seen post still finds its alert) and the first alert's message is edited.
Inhibition (Alertmanager's word): while a brand has an open spike, its new post
alerts below `inhibit_below` go into the spike's thread instead of the channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import ACKNOWLEDGED, ESCALATED, GROUPED, OPEN
from bot.cards import mention_title
from bot.config import Config
from bot.models import Severity
from bot.oncall import ACTIVE
from bot.store import alerts as alert_store
from bot.store.tables import AlertRow, MentionRow, PostRow

Creator = tuple[str, str, str]  # brand, source, author handle (folded)


def creator_of(brand: str, post: PostRow) -> Creator:
    return (brand, post.source, post.author_handle.casefold())


@dataclass
class Placement:
    """Open alerts this page's new alerts may fold into, and open spikes by brand."""

    config: Config
    now: datetime
    groups: dict[Creator, AlertRow] = field(default_factory=dict)
    spikes: dict[str, int] = field(default_factory=dict)

    @classmethod
    async def load(
        cls,
        session: AsyncSession,
        config: Config,
        now: datetime,
        creators: set[Creator],
        handles: set[str],
    ) -> Placement:
        placement = cls(config, now)
        if creators:
            since = now - config.alerts.group_window
            rows = await session.execute(
                select(AlertRow, PostRow)
                .join(PostRow, PostRow.id == AlertRow.post_id)
                .where(
                    AlertRow.kind == "mention",
                    AlertRow.status.in_((OPEN, ESCALATED, ACKNOWLEDGED)),
                    AlertRow.created_at >= since,
                    AlertRow.brand.in_({c[0] for c in creators}),
                    PostRow.author_handle.in_(handles),  # as the platform spells them
                )
                .order_by(AlertRow.id)
            )
            for alert, post in rows:
                key = creator_of(alert.brand, post)
                if key in creators:
                    placement.groups.setdefault(key, alert)
        spikes = await session.execute(
            select(AlertRow.brand, AlertRow.id).where(
                AlertRow.kind == "spike", AlertRow.status.in_(ACTIVE)
            )
        )
        placement.spikes = {brand: int(alert_id) for brand, alert_id in spikes}
        return placement

    def thread_for(self, brand: str, severity: Severity) -> int | None:
        """The open spike a new post alert of this severity is held under, if any."""
        if severity >= self.config.alerts.inhibit_below:
            return None
        return self.spikes.get(brand)

    def fold(self, parent: AlertRow, post: PostRow, mention: MentionRow) -> None:
        """Add a creator's further post to their open alert and mark it for an edit."""
        ids = [*parent.details.get("mention_ids", []), mention.id]
        count = len(ids) + 1
        notes = [n for n in parent.details.get("notes", []) if not n.startswith("grouped:")]
        notes.append(
            f"grouped: {count} posts by @{post.author_handle} about {parent.brand} "
            f"(see /deinfluence drill {parent.id})"
        )
        parent.details = {**parent.details, "mention_ids": ids, "notes": notes[-8:]}
        if mention.severity > parent.severity:
            parent.severity = mention.severity
            parent.score = mention.score
            parent.title = mention_title(
                Severity(mention.severity), parent.brand, post.author_handle, post.source
            )
        alert_store.bump(parent, self.now)


def grouped_values(values: dict[str, object], parent_id: int | None) -> dict[str, object]:
    """The alert row of a folded post: never delivered, points at the alert it joined."""
    return {**values, "status": GROUPED, "details": {"grouped_into": parent_id}}
