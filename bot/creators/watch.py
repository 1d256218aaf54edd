"""The creator watchlist: while a watch is active, every new post by the creator alerts.

Like a mute, a watch's state is a pure function of time, so its expiry needs no job
and holds across restarts and replicas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.mutes import normalise_handle
from bot.timeutil import short_time


@dataclass(frozen=True, slots=True)
class Watch:
    id: int
    handle: str
    source: str | None
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reason: str
    unwatched_at: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.unwatched_at is not None and self.unwatched_at <= now:
            return "lifted"
        if now < self.starts_at:
            return "pending"
        if now >= self.ends_at:
            return "expired"
        return "active"

    def covers(self, source: str, handle: str) -> bool:
        if self.source is not None and self.source.casefold() != source.casefold():
            return False
        return normalise_handle(self.handle) == normalise_handle(handle)

    @property
    def who(self) -> str:
        where = f" on {self.source}" if self.source else ""
        return f"@{normalise_handle(self.handle)}{where}"

    def reason_line(self) -> str:
        """The line a watched creator's alert carries."""
        why = f": {self.reason}" if self.reason else ""
        return f"watched creator{why} (until {short_time(self.ends_at)})"


def watching(
    watches: Iterable[Watch], now: datetime, *, source: str, handle: str, first_seen: datetime
) -> Watch | None:
    """The active watch covering a post first seen since the watch began, if any."""
    for watch in watches:
        if (
            watch.state(now) == "active"
            and first_seen >= watch.starts_at
            and watch.covers(source, handle)
        ):
            return watch
    return None
