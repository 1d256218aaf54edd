"""Typed, defensive reads from untrusted JSON: every failure is a MappingError.

Mappers use these instead of `item["x"]` so a malformed item can only ever
raise MappingError, which the adapter turns into a skipped item.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from bot.ports import MappingError

_MAX_INT = 2**63


def obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MappingError(f"{what}: expected an object, got {type(value).__name__}")
    return value


def req_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MappingError(f"{key}: expected a non-empty string")
    return value


def opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def opt_int(data: Mapping[str, Any], key: str) -> int | None:
    """A non-negative count; numbers sent as strings (YouTube) and floats are accepted."""
    return as_count(data.get(key))


def as_count(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value) and 0 <= value < _MAX_INT:
        return int(value)
    return None


def opt_bool(data: Mapping[str, Any], key: str) -> bool | None:
    value = data.get(key)
    return value if isinstance(value, bool) else None


def str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str) and v]


def parse_time(value: Any, what: str) -> datetime:
    """ISO-8601 / RFC 3339 text or epoch seconds as an aware UTC datetime."""
    if isinstance(value, bool):
        raise MappingError(f"{what}: not a time")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            raise MappingError(f"{what}: epoch out of range") from None
    if not isinstance(value, str):
        raise MappingError(f"{what}: expected a timestamp")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)  # +0000 -> +00:00
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{what}: not an ISO-8601 time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise MappingError(f"{what}: time out of range") from None


class _TextExtractor(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "blockquote", "h1", "h2", "h3", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strip_html(markup: str) -> str:
    """Plain text from HTML: tags dropped, entities decoded, blank runs collapsed."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
        text = "".join(parser.parts)
    except (AssertionError, ValueError):  # HTMLParser on pathological input
        text = re.sub(r"<[^>]*>", " ", html.unescape(markup))
    lines = [re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


_TAG_RE = re.compile(r"(?<![\w#&])#(\w[\w-]*)", re.UNICODE)


def hashtags_in(text: str) -> list[str]:
    """Hashtags written in the text, lowercased, in order (for platforms without tag fields)."""
    return [m.group(1).rstrip("-").casefold() for m in _TAG_RE.finditer(text)]


def unique(tags: list[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in tags:
        folded = tag.lstrip("#").casefold()
        if folded:
            seen.setdefault(folded, None)
    return tuple(seen)
