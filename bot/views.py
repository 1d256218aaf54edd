"""Platform-neutral view models: built once in the core, rendered per platform by pure functions.

Adapters never compute anything shown here; they only lay it out within their limits.
Text that came from social posts is kept raw here and escaped by each renderer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.models import Severity

SEVERITY_EMOJI = {
    Severity.NONE: "⚪",
    Severity.LOW: "🔵",
    Severity.MEDIUM: "🟡",
    Severity.HIGH: "🟠",
    Severity.CRITICAL: "🔴",
}
SEVERITY_COLOUR = {
    Severity.NONE: 0x9E9E9E,
    Severity.LOW: 0x2196F3,
    Severity.MEDIUM: 0xFFC107,
    Severity.HIGH: 0xFF7043,
    Severity.CRITICAL: 0xD32F2F,
}
OPPORTUNITY_EMOJI = "💡"
OPPORTUNITY_COLOUR = 0x43A047


class Action(StrEnum):
    """Alert buttons. The values are wire-stable: adapters build their ids from them."""

    ACK = "ack"
    MUTE_1H = "mute1h"
    MUTE_24H = "mute24h"
    SHOW_POSTS = "drill"
    WRONG = "wrong"


@dataclass(frozen=True)
class PostLine:
    """One post as people see it in alerts, drill-downs and summaries."""

    source: str
    native_id: str
    url: str | None
    author: str
    followers: int | None
    verified: bool | None
    text: str
    lang: str | None
    created_at: datetime
    views: int | None
    likes: int | None
    severity: Severity
    score: int
    reach: str
    reasons: tuple[str, ...]
    brand: str
    alert_id: int | None = None


@dataclass(frozen=True)
class AlertCard:
    alert_id: int
    kind: str
    brand: str
    severity: Severity
    score: int
    status: str
    title: str
    post: PostLine | None
    reasons: tuple[str, ...]
    history: tuple[str, ...] = ()
    actions: tuple[Action, ...] = (
        Action.ACK,
        Action.MUTE_1H,
        Action.MUTE_24H,
        Action.SHOW_POSTS,
        Action.WRONG,
    )
    updated_at: datetime | None = None

    @property
    def opportunity(self) -> bool:
        return self.kind == "opportunity"

    @property
    def badge(self) -> str:
        return OPPORTUNITY_EMOJI if self.opportunity else SEVERITY_EMOJI[self.severity]

    @property
    def colour(self) -> int:
        return OPPORTUNITY_COLOUR if self.opportunity else SEVERITY_COLOUR[self.severity]

    @property
    def grade(self) -> str:
        """'high' or 'opportunity': what the card is, where a risk card shows its severity."""
        return "opportunity" if self.opportunity else self.severity.label

    @property
    def reasons_heading(self) -> str:
        return "Why it is an opportunity" if self.opportunity else "Why it is risky"


@dataclass(frozen=True)
class Notice:
    """A plain answer: done, refused, or a usage error."""

    text: str
    level: str = "info"  # info | error | denied


@dataclass(frozen=True)
class HelpView:
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SourceStatus:
    name: str
    type: str
    state: str
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    backoff_until: datetime | None
    posts_fetched: int
    quota_left: int | None = None


@dataclass(frozen=True)
class StatusView:
    now: datetime
    sources: tuple[SourceStatus, ...]
    posts: int
    open_alerts: int
    undelivered: int
    active_mutes: int
    leader: str | None = None
    delivery_problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class BrandLine:
    name: str
    aliases: tuple[str, ...]
    competitors: tuple[str, ...]
    open_alerts: int
    mentions_24h: int


@dataclass(frozen=True)
class BrandsView:
    brands: tuple[BrandLine, ...]


@dataclass(frozen=True)
class Counted:
    name: str
    count: int


@dataclass(frozen=True)
class SummaryView:
    brand: str | None
    window: str
    since: datetime
    until: datetime
    total: int
    by_severity: tuple[Counted, ...]
    suppressed: int
    muted: int
    hidden_wrong: int
    top_posts: tuple[PostLine, ...]
    top_claims: tuple[Counted, ...]
    alternatives: tuple[Counted, ...]
    languages: tuple[Counted, ...]
    sources: tuple[Counted, ...]
    chart_alt: str = ""
    open_spikes: tuple[str, ...] = ()
    agenda: tuple[str, ...] = ()  # promotion flags and opportunities, one line each


@dataclass(frozen=True)
class DrillView:
    title: str
    posts: tuple[PostLine, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class MuteLine:
    mute_id: int
    matchers: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reason: str
    state: str


@dataclass(frozen=True)
class MutesView:
    mutes: tuple[MuteLine, ...]


@dataclass(frozen=True)
class SignalLine:
    """One credibility signal in words; `weight` is what it adds to a score when it fires."""

    name: str
    fired: bool
    text: str
    weight: int = 0


@dataclass(frozen=True)
class BrandMentions:
    brand: str
    total: int
    by_stance: tuple[Counted, ...]
    by_severity: tuple[Counted, ...]  # negative mentions only


@dataclass(frozen=True)
class FollowerCount:
    at: datetime
    followers: int


@dataclass(frozen=True)
class CreatorView:
    source: str
    handle: str
    followers: int | None
    verified: bool | None
    followers_over_time: tuple[FollowerCount, ...]
    posts_seen: int
    first_seen: datetime | None
    last_seen: datetime | None
    mentions: tuple[BrandMentions, ...]
    signals: tuple[SignalLine, ...]
    recent: tuple[PostLine, ...]
    watch: str | None = None
    also_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class CreatorLine:
    source: str
    handle: str
    followers: int | None
    negative_posts: int
    reach: int  # views (or followers where views are missing) summed over those posts
    brands: tuple[str, ...]
    worst: Severity
    watched: bool = False


@dataclass(frozen=True)
class CreatorsView:
    brand: str | None
    window: str
    since: datetime
    until: datetime
    creators: tuple[CreatorLine, ...]


View = (
    Notice
    | HelpView
    | StatusView
    | BrandsView
    | SummaryView
    | DrillView
    | MutesView
    | AlertCard
    | CreatorView
    | CreatorsView
)


@dataclass(frozen=True)
class CommandResult:
    """What every command returns; adapters render `view` and may fall back to `text`."""

    ok: bool
    text: str
    view: View
    ephemeral: bool = True
    chart_png: bytes | None = field(default=None, repr=False)
    changed_alerts: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "text": self.text,
            "kind": type(self.view).__name__,
            "view": _jsonable(asdict(self.view)),
            "ephemeral": self.ephemeral,
            "has_chart": self.chart_png is not None,
        }


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Severity):
        return value.label
    if isinstance(value, datetime):
        return value.isoformat()
    return value
