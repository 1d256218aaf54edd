"""What the core hands the detector: hourly history plus the recent mentions themselves.

Hourly buckets keep the history query to one GROUP BY; the individual recent
mentions let the window slide minute by minute (a burst shows at the next
poll, not at the next full hour) and name the posts that drive a spike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.models import Severity

HOUR = timedelta(hours=1)
_ZERO = timedelta(0)

HourCounts = Mapping[Severity, int]
"""Negative mentions in one hour, by severity (missing severities are zero)."""


def require_aware(value: datetime, what: str) -> None:
    """Naive datetimes are bugs: refuse them instead of guessing a zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (UTC), got naive {value.isoformat()}")


def hour_start(value: datetime) -> datetime:
    """The UTC hour bucket a moment falls in."""
    require_aware(value, "time")
    return value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class RecentMention:
    """One negative mention inside the current window.

    `at` is the post's creation time (clamped by the core to when it was first
    seen, so a late-indexed post is not "in the future"); `ref` is whatever
    id the core uses to show the post (e.g. the mention or post id).
    """

    at: datetime
    severity: Severity
    ref: str
    reach: int = 0

    def __post_init__(self) -> None:
        require_aware(self.at, "RecentMention.at")


@dataclass(frozen=True, slots=True)
class Series:
    """A brand's (or brand+source's) negative mentions.

    hourly: UTC hour start -> counts by severity, for at least `policy.history`
        before now (hours overlapping the current window are ignored; missing
        hours are zero).
    recent: every negative mention with `now - policy.window < at <= now`
        (older ones are ignored).
    covered_from: since when this brand/source has been watched; history
        before it is unknown, not zero. None: the earliest hourly bucket.
    """

    hourly: Mapping[datetime, HourCounts]
    recent: Sequence[RecentMention] = ()
    covered_from: datetime | None = None
    _first: datetime | None = field(default=None, init=False, repr=False, compare=False)
    _totals: Mapping[Severity, int] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        first: datetime | None = None
        totals: dict[Severity, int] = {}
        for key, counts in self.hourly.items():
            if key.utcoffset() != _ZERO or key.minute or key.second or key.microsecond:
                require_aware(key, "hourly bucket key")
                raise ValueError(f"hourly bucket key {key.isoformat()} is not a UTC hour start")
            for severity, n in counts.items():
                totals[severity] = totals.get(severity, 0) + n
            if first is None or key < first:
                first = key
        if self.covered_from is not None:
            require_aware(self.covered_from, "covered_from")
            first = hour_start(self.covered_from)
        object.__setattr__(self, "_first", first)
        object.__setattr__(self, "_totals", totals)

    @property
    def first_hour(self) -> datetime | None:
        """The earliest hour whose count is known (possibly zero)."""
        return self._first

    @property
    def totals(self) -> Mapping[Severity, int]:
        """All history by severity: the brand's usual severity mix."""
        return self._totals

    def counts(self, hour: datetime) -> HourCounts:
        return self.hourly.get(hour, {})


def hourly_counts(
    events: Iterable[tuple[datetime, Severity]],
) -> dict[datetime, dict[Severity, int]]:
    """Bucket (time, severity) pairs by UTC hour: the shape `Series.hourly` wants."""
    out: dict[datetime, dict[Severity, int]] = {}
    for at, severity in events:
        bucket = out.setdefault(hour_start(at), {})
        bucket[severity] = bucket.get(severity, 0) + 1
    return out
