"""Reading what servers say about limits and errors: reset headers, Retry-After, error bodies.

Kept apart from the client so the parsing is testable on its own and the
client module stays small. Every platform's header style is handled here:
Retry-After (seconds or HTTP-date), Mastodon ISO-8601 resets, epoch resets
(X, Bluesky) and Reddit's seconds-until-reset with float remaining counts.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx

SENSITIVE_PARAMS = frozenset(
    {
        "key",
        "api_key",
        "apikey",
        "access_token",
        "token",
        "client_secret",
        "password",
        "secret",
        "sig",
        "signature",
        "usg",
    }
)
_RESET_HEADERS = ("x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset")
_REMAINING_HEADERS = ("x-rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining")
_LIMIT_HEADERS = ("x-rate-limit-limit", "ratelimit-limit", "x-ratelimit-limit")
_EPOCH_THRESHOLD = 1_000_000_000  # numbers above this are epoch seconds, below: seconds from now


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The last rate-limit headers seen; None where the platform did not say."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None


def redact_url(url: httpx.URL | str) -> str:
    """The URL with credential-like query values replaced by *** (for logs)."""
    parsed = httpx.URL(str(url))
    if not parsed.query:
        return str(parsed)
    pairs = [
        (k, "***" if k.lower() in SENSITIVE_PARAMS else v) for k, v in parsed.params.multi_items()
    ]
    return str(parsed.copy_with(params=pairs))


class _RedactHttpxLog(logging.Filter):
    """httpx logs each request URL at INFO; keep API keys in query strings out of logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(
                redact_url(a) if isinstance(a, httpx.URL) else a for a in record.args
            )
        return True


_HTTPX_FILTER = _RedactHttpxLog()


def install_log_redaction() -> None:
    logger = logging.getLogger("httpx")
    if _HTTPX_FILTER not in logger.filters:
        logger.addFilter(_HTTPX_FILTER)


def parse_time_value(value: str, now: datetime) -> datetime | None:
    """A reset/Retry-After value as an aware UTC time.

    Accepts seconds-from-now (Retry-After, Reddit), epoch seconds (X, Bluesky),
    ISO-8601 with fractions (Mastodon) and HTTP-dates (Retry-After).
    """
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if math.isfinite(number):
        if number >= _EPOCH_THRESHOLD:
            return datetime.fromtimestamp(number, UTC)
        return now + timedelta(seconds=max(number, 0.0))
    for parse in (_parse_iso, _parse_http_date):
        parsed = parse(text)
        if parsed is not None:
            return parsed
    return None


def _parse_iso(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_http_date(text: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _header_int(headers: httpx.Headers, names: tuple[str, ...]) -> int | None:
    for name in names:
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            number = float(raw)
        except ValueError:
            continue
        if math.isfinite(number):
            return max(math.floor(number), 0)
    return None


def read_rate_limit(headers: httpx.Headers, now: datetime) -> RateLimit | None:
    """Rate-limit state from any of the platforms' header styles, or None if absent."""
    remaining = _header_int(headers, _REMAINING_HEADERS)
    limit = _header_int(headers, _LIMIT_HEADERS)
    reset_at = None
    for name in _RESET_HEADERS:
        raw = headers.get(name)
        if raw is not None:
            reset_at = parse_time_value(raw, now)
            if reset_at is not None:
                break
    if remaining is None and limit is None and reset_at is None:
        return None
    return RateLimit(limit=limit, remaining=remaining, reset_at=reset_at)


def retry_delay(response: httpx.Response, now: datetime) -> float | None:
    """Seconds the server asked us to wait (Retry-After first, then reset headers)."""
    raw = response.headers.get("retry-after")
    when = parse_time_value(raw, now) if raw is not None else None
    if when is None:
        state = read_rate_limit(response.headers, now)
        when = state.reset_at if state else None
    if when is None:
        return None
    return max((when - now).total_seconds(), 0.0)


def error_text(response: httpx.Response, limit: int = 200) -> str:
    """The platform's own error words from the usual JSON error shapes, shortened."""
    try:
        body = response.json()
    except ValueError:
        return ""
    parts: list[str] = []
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            error = error.get("message")
        for value in (
            error,
            body.get("title"),
            body.get("error_description"),
            body.get("message"),
            body.get("detail"),
        ):
            if isinstance(value, str) and value and value not in parts:
                parts.append(value)
        errors = body.get("errors")
        if not parts and isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0].get("message")
            if isinstance(first, str):
                parts.append(first)
    return ": ".join(parts)[:limit]
