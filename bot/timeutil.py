"""Aware-UTC helpers; naive datetimes are bugs."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """Treat a naive value (SQLite hands those back) as UTC; convert aware ones to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_iso(text: str) -> datetime:
    """ISO 8601 with `Z` accepted; a value without zone is taken as UTC."""
    return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))


def short_time(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%d %H:%M UTC")
