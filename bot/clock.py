"""Time is a parameter: everything that needs `now` gets a Clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Simulated time that runs `speed` times faster than the wall clock (demo, backtest)."""

    def __init__(self, start: datetime, speed: float) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._start = start
        self._speed = speed
        self._origin = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._origin) * self._speed
        return self._start + timedelta(seconds=elapsed)


class ManualClock:
    """A clock that moves only when told to; used by backtests and tests."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, value: datetime) -> None:
        if value.tzinfo is None:
            raise ValueError("value must be timezone-aware")
        self._now = max(self._now, value)

    def advance(self, delta: timedelta) -> None:
        self._now += delta


class PacedClock:
    """Simulated time whose speed changes at given simulated moments (the demo slows down
    around the interesting part): `segments` are (until, speed) in order; the last speed holds."""

    def __init__(
        self, start: datetime, segments: list[tuple[datetime, float]], last: float
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._start = start
        self._segments = segments
        self._last = last
        self._origin = time.monotonic()

    def now(self) -> datetime:
        real = time.monotonic() - self._origin
        at = self._start
        for until, speed in self._segments:
            span = (until - at).total_seconds() / speed  # real seconds this segment lasts
            if real <= span:
                return at + timedelta(seconds=real * speed)
            real -= span
            at = until
        return at + timedelta(seconds=real * self._last)
