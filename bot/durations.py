"""The one duration grammar for config, commands and CLI flags: `90s`, `15m`, `1h30m`, `7d`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"(?:\d+[smhdw])+")
MAX_DURATION = timedelta(days=366)


def parse_duration(text: str) -> timedelta:
    """Parse a positive duration; raise ValueError with a message fit for a user."""
    raw = text.strip().lower()
    if not _WHOLE.fullmatch(raw):
        raise ValueError(
            f"bad duration {text!r}: use a number and a unit s, m, h, d or w, like 30m, 1h or 7d"
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(raw))
    if seconds <= 0:
        raise ValueError(f"bad duration {text!r}: must be longer than zero")
    value = timedelta(seconds=seconds)
    if value > MAX_DURATION:
        raise ValueError(f"bad duration {text!r}: longer than a year")
    return value


def format_duration(value: timedelta) -> str:
    """Shortest exact spelling in the same grammar, for messages (`1h30m`)."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def duration_value(value: object) -> object:
    """Config values: a duration string, or a positive number of seconds."""
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value <= 0:
            raise ValueError("must be longer than zero")
        return timedelta(seconds=value)
    return value


Duration = Annotated[timedelta, BeforeValidator(duration_value)]
