"""The mention-alert policy as a pure decision: thresholds, one alert per (post, brand), mutes.

The pipeline applies the decision inside the same transaction that stored the
mention, so deciding and recording are one atomic step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.config import RouteConfig
from bot.models import Severity
from bot.mutes import Mute, first_matching

OPEN = "open"
ACKNOWLEDGED = "acknowledged"
RESOLVED = "resolved"
SUPPRESSED = "suppressed"
ESCALATED = "escalated"
GROUPED = "grouped"  # a post folded into another alert by the same creator


def mention_key(post_id: int, brand: str) -> str:
    return f"mention:{post_id}:{brand}"


@dataclass(frozen=True, slots=True)
class MentionFacts:
    brand: str
    source: str
    author: str
    severity: Severity
    score: int
    watched: bool = False  # a watched creator's new post: every covering route, any severity


@dataclass(frozen=True, slots=True)
class ExistingAlert:
    id: int
    status: str
    severity: Severity
    routes: frozenset[str]


@dataclass(frozen=True)
class Decision:
    """`create`: a new alert; `raise`: the existing one's severity goes up; `none`: nothing."""

    action: str
    status: str = OPEN
    muted_by: int | None = None
    routes: tuple[RouteConfig, ...] = field(default_factory=tuple)


NOTHING = Decision("none")


def decide(
    facts: MentionFacts,
    existing: ExistingAlert | None,
    routes: list[RouteConfig],
    mutes: list[Mute],
    now: datetime,
    *,
    update_on_rise: bool = True,
) -> Decision:
    """Which alert change, if any, a freshly scored mention causes.

    A watched creator's post is eligible on every route covering the brand whatever its
    severity; mutes still apply to it (a silence is someone's explicit choice).
    """
    eligible = tuple(
        r
        for r in routes
        if r.covers(facts.brand) and (facts.watched or facts.severity >= r.min_severity)
    )
    if not eligible:
        return NOTHING
    mute = first_matching(
        mutes,
        now,
        brand=facts.brand,
        source=facts.source,
        author=facts.author,
        severity=facts.severity,
    )
    if existing is None:
        if mute is not None:
            return Decision("create", status=SUPPRESSED, muted_by=mute.id)
        return Decision("create", status=OPEN, routes=eligible)
    if not update_on_rise or facts.severity <= existing.severity:
        return NOTHING
    if existing.status == SUPPRESSED:
        if mute is not None:
            return Decision("raise", status=SUPPRESSED, muted_by=mute.id)
        return Decision("raise", status=OPEN, routes=eligible)
    new_routes = tuple(r for r in eligible if r.name not in existing.routes)
    return Decision("raise", status=existing.status, routes=new_routes)
