"""Daily quota days and resets, and a unit counter that survives restarts through the cursor.

Why by hand: YouTube's quota resets at midnight Pacific time. The US DST rule
(second Sunday of March to first Sunday of November, 02:00 local) is written
out here so the adapter needs no tz database on the host (slim images lack one).
TikTok's Research API resets at 00:00 UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

PST = timedelta(hours=-8)
PDT = timedelta(hours=-7)


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (6 - first.weekday()) % 7  # weekday(): Monday 0 .. Sunday 6
    return first + timedelta(days=offset + 7 * (n - 1))


def pacific_offset(now: datetime) -> timedelta:
    """UTC offset of US Pacific time at the instant `now` (aware)."""
    utc = now.astimezone(UTC)
    year = utc.year
    start = datetime.combine(_nth_sunday(year, 3, 2), time(2), UTC) - PST  # 02:00 PST
    end = datetime.combine(_nth_sunday(year, 11, 1), time(2), UTC) - PDT  # 02:00 PDT
    return PDT if start <= utc < end else PST


def pacific_day(now: datetime) -> str:
    """The Pacific calendar day of `now`, as YYYY-MM-DD (the key of a YouTube quota day)."""
    return (now.astimezone(UTC) + pacific_offset(now)).date().isoformat()


def next_pacific_midnight(now: datetime) -> datetime:
    """When the YouTube quota next resets, as an aware UTC datetime."""
    local_day = date.fromisoformat(pacific_day(now)) + timedelta(days=1)
    guess = datetime.combine(local_day, time(0), UTC) - PST
    # The offset at the new local midnight can differ from today's (DST changes).
    return datetime.combine(local_day, time(0), UTC) - pacific_offset(guess)


def utc_day(now: datetime) -> str:
    return now.astimezone(UTC).date().isoformat()


def next_utc_midnight(now: datetime) -> datetime:
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time(0), UTC)


class DailyUnits:
    """Units spent on one quota day, restored from a cursor and kept in memory.

    Memory covers fetches that failed after spending (their cursor is never
    stored); the cursor covers restarts. The larger of the two wins.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.day: str | None = None
        self.used = 0

    def restore(self, day: str, saved: Mapping[str, Any] | None) -> None:
        saved_used = 0
        if saved and saved.get("day") == day and isinstance(saved.get("used"), int):
            saved_used = max(int(saved["used"]), 0)
        if self.day != day:
            self.day, self.used = day, 0
        self.used = max(self.used, saved_used)

    def left(self) -> int:
        return max(self.budget - self.used, 0)

    def fits(self, units: int) -> bool:
        return self.used + units <= self.budget

    def spend(self, units: int) -> None:
        self.used += units

    def snapshot(self) -> dict[str, Any]:
        return {"day": self.day, "used": self.used}
