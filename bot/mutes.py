"""Silences in the Alertmanager sense: matchers, a window, who and why.

A mute's state is a pure function of time; nothing expires by a job, so an
expiry holds across restarts and replicas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Severity


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


@dataclass(frozen=True, slots=True)
class MuteSpec:
    """All given matchers must match; an empty field matches anything."""

    brand: str | None = None
    source: str | None = None
    author: str | None = None
    max_severity: Severity | None = None

    def is_empty(self) -> bool:
        return not (self.brand or self.source or self.author or self.max_severity is not None)

    def matches(self, *, brand: str, source: str, author: str, severity: Severity) -> bool:
        if self.brand is not None and self.brand.casefold() != brand.casefold():
            return False
        if self.source is not None and self.source.casefold() != source.casefold():
            return False
        if self.author is not None and normalise_handle(self.author) != normalise_handle(author):
            return False
        return self.max_severity is None or severity <= self.max_severity

    def describe(self) -> str:
        parts = []
        if self.brand:
            parts.append(f"brand={self.brand}")
        if self.source:
            parts.append(f"source={self.source}")
        if self.author:
            parts.append(f"author=@{normalise_handle(self.author)}")
        if self.max_severity is not None:
            parts.append(f"severity<={self.max_severity.label}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Mute:
    id: int
    spec: MuteSpec
    starts_at: datetime
    ends_at: datetime
    created_by: str
    reason: str
    unmuted_at: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.unmuted_at is not None and self.unmuted_at <= now:
            return "unmuted"
        if now < self.starts_at:
            return "pending"
        if now >= self.ends_at:
            return "expired"
        return "active"

    def is_active(self, now: datetime) -> bool:
        return self.state(now) == "active"


def first_matching(
    mutes: list[Mute], now: datetime, *, brand: str, source: str, author: str, severity: Severity
) -> Mute | None:
    for mute in mutes:
        if mute.is_active(now) and mute.spec.matches(
            brand=brand, source=source, author=author, severity=severity
        ):
            return mute
    return None
