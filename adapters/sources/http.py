"""The one HTTP client every social source uses, so retries and rate limits behave the same.

Why a wrapper: each platform signals "slow down" differently (Retry-After,
epoch resets, ISO resets, seconds-until-reset) and the poller needs every
failure classified into the ports error classes. Adapters only say what they
want; this module decides whether to retry, wait, or give up.

Stable API (other adapters build on it; change only by adding):

    client = SourceHttp(
        source="mastodon",                  # used in messages and logs
        base_url="https://mastodon.social", # relative paths are joined to it
        transport=None,                     # httpx.MockTransport in tests
        clock=SystemClock(),                # resume_at and reset headers use it
        sleep=asyncio.sleep,                # tests pass a fake; nothing waits on the real clock
        policy=RetryPolicy(),               # attempts, backoff, the longest polite wait
        headers={"Accept": "application/json"},
        user_agent="deinfluence/0.1",
        timeout=httpx.Timeout(20.0, connect=10.0),  # never None
        hide_paths=False,                   # True when the URL itself is a secret (feeds)
    )
    response = await client.request("GET", "/path", params=..., headers=..., json=..., data=...,
                                    auth=..., allow=(304,), classify=fn)
    data = await client.get_json("/path", params=...)            # parsed JSON (Any)
    data = await client.request_json("POST", "/path", json=...)  # same for any method
    client.set_bearer(token)   # str | None; sent as `Authorization: Bearer <token>`
    client.rate                # RateLimit(limit, remaining, reset_at) from the last headers
    client.quota_left          # == client.rate.remaining, for SourcePage.quota_left
    await client.aclose()

Classification (per response, after `classify` had its say):
    2xx or a status in `allow` -> returned
    401, 403                   -> SourceAuthError (message never holds credentials)
    429                        -> wait Retry-After / reset header (capped) or back off, retry;
                                  wait beyond the cap or attempts used up -> SourceRateLimited
    408, 5xx, transport errors -> back off with jitter, retry; then SourceUnavailable
    any other 4xx              -> SourceError, never retried
    not JSON in *_json         -> SourcePayloadError

`classify(response)` lets an adapter read platform error bodies first: return
a SourceError to raise it at once, `RetryLater(error, delay)` to retry it like
a 429, or None for the default rules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from adapters.sources.headers import (
    RateLimit,
    error_text,
    install_log_redaction,
    parse_time_value,
    read_rate_limit,
    redact_url,
    retry_delay,
)
from bot.clock import Clock, SystemClock
from bot.ports import (
    SourceAuthError,
    SourceError,
    SourcePayloadError,
    SourceRateLimited,
    SourceUnavailable,
)

__all__ = [
    "Classifier",
    "RateLimit",
    "RetryLater",
    "RetryPolicy",
    "SourceHttp",
    "error_text",
    "json_of",
    "parse_time_value",
    "read_rate_limit",
    "redact_url",
    "retry_delay",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
DEFAULT_USER_AGENT = "deinfluence/0.1 (self-hosted #deinfluencing monitor)"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try. `max_wait` caps any single wait a server asks for (seconds)."""

    attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    max_wait: float = 60.0


@dataclass(frozen=True, slots=True)
class RetryLater:
    """A classifier's verdict: retry like a 429 (after `delay` s if given), else raise `error`."""

    error: SourceError
    delay: float | None = None


Classifier = Callable[[httpx.Response], SourceError | RetryLater | None]


class _Retry(Exception):
    """Internal: one attempt failed in a way worth retrying."""

    def __init__(self, error: SourceError, delay: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.delay = delay


def json_of(response: httpx.Response, source: str) -> Any:
    """The body as JSON, or SourcePayloadError (an HTML error page, a truncated body)."""
    try:
        return response.json()
    except ValueError:
        kind = response.headers.get("content-type", "unknown content type")
        raise SourcePayloadError(
            f"{source}: expected JSON from {response.url.host}, got {kind} "
            f"(HTTP {response.status_code})"
        ) from None


class SourceHttp:
    """An httpx.AsyncClient with the retry, rate-limit and error rules of the module docstring."""

    def __init__(
        self,
        *,
        source: str,
        base_url: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        hide_paths: bool = False,
    ) -> None:
        if timeout is None:
            raise ValueError("source HTTP calls always need a timeout")
        install_log_redaction()
        self.source = source
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self.rate = RateLimit()
        self._sleep = sleep
        self._hide_paths = hide_paths
        self._backoff = wait_random_exponential(
            multiplier=self.policy.base_delay, max=self.policy.max_delay
        )
        self._client = httpx.AsyncClient(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": user_agent, **(headers or {})},
        )

    @property
    def quota_left(self) -> int | None:
        return self.rate.remaining

    def set_bearer(self, token: str | None, scheme: str = "Bearer") -> None:
        """Send (or stop sending) `Authorization: <scheme> <token>` on every request."""
        if token:
            self._client.headers["Authorization"] = f"{scheme} {token}"
        else:
            self._client.headers.pop("Authorization", None)

    def describe(self, url: httpx.URL) -> str:
        """Where a request went, safe for logs and messages (no query; no path if hidden)."""
        if self._hide_paths:
            return url.host or "feed"
        return f"{url.host}{url.path}"

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get_json(
        self,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        classify: Classifier | None = None,
    ) -> Any:
        response = await self.request("GET", url, params=params, headers=headers, classify=classify)
        return json_of(response, self.source)

    async def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        response = await self.request(method, url, **kwargs)
        return json_of(response, self.source)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        allow: Collection[int] = (),
        classify: Classifier | None = None,
    ) -> httpx.Response:
        """Send with retries; return a 2xx (or allowed) response or raise a SourceError."""
        await self._wait_for_window()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(_Retry),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(
                        method, url, params, headers, json, data, auth, allow, classify
                    )
        except _Retry as final:
            raise final.error from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _wait_for_window(self) -> None:
        """Don't send a request the last headers said would be refused."""
        if self.rate.remaining != 0 or self.rate.reset_at is None:
            return
        now = self.clock.now()
        wait = (self.rate.reset_at - now).total_seconds()
        if wait > self.policy.max_wait:
            raise SourceRateLimited(
                f"{self.source}: rate limit used up until {self.rate.reset_at.isoformat()}",
                resume_at=self.rate.reset_at,
            )
        if wait > 0:
            log.info("%s: rate limit used up, waiting %.1fs", self.source, wait)
            await self._sleep(wait)
        self.rate = RateLimit(limit=self.rate.limit)

    async def _once(
        self,
        method: str,
        url: str,
        params: Any,
        headers: Mapping[str, str] | None,
        json: Any,
        data: Mapping[str, str] | None,
        auth: httpx.Auth | tuple[str, str] | None,
        allow: Collection[int],
        classify: Classifier | None,
    ) -> httpx.Response:
        try:
            response = await self._client.request(
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                data=data,
                auth=auth if auth is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.TransportError as error:
            raise _Retry(
                SourceUnavailable(f"{self.source}: {type(error).__name__} talking to the API")
            ) from None
        except httpx.RequestError as error:
            raise SourcePayloadError(
                f"{self.source}: unreadable response ({type(error).__name__})"
            ) from None
        now = self.clock.now()
        state = read_rate_limit(response.headers, now)
        if state is not None:
            self.rate = state
        log.debug(
            "%s: %s %s -> %d",
            self.source,
            method,
            self.describe(response.url),
            response.status_code,
        )
        verdict = classify(response) if classify else None
        if isinstance(verdict, SourceError):
            raise verdict
        if isinstance(verdict, RetryLater):
            raise self._retry_or_give_up(verdict.error, verdict.delay, now)
        if response.is_success or response.status_code in allow:
            return response
        raise self._classify(response, now)

    def _classify(self, response: httpx.Response, now: datetime) -> Exception:
        status = response.status_code
        where = self.describe(response.url)
        detail = error_text(response)
        said = f" ({detail})" if detail else ""
        if status in (401, 403):
            return SourceAuthError(
                f"{self.source}: {where} refused the credentials (HTTP {status}){said}; "
                "check the token or app password in the environment"
            )
        if status == 429:
            delay = retry_delay(response, now)
            wait = delay if delay is not None else self.policy.max_delay
            limited = SourceRateLimited(
                f"{self.source}: rate limited by {where}{said}",
                resume_at=now + timedelta(seconds=wait),
            )
            return self._retry_or_give_up(limited, delay, now)
        if status == 408 or status >= 500:
            delay = retry_delay(response, now) if "retry-after" in response.headers else None
            down = SourceUnavailable(
                f"{self.source}: {where} answered HTTP {status}{said}",
                resume_at=now + timedelta(seconds=delay) if delay is not None else None,
            )
            return self._retry_or_give_up(down, delay, now)
        return SourceError(f"{self.source}: {where} answered HTTP {status}{said}")

    def _retry_or_give_up(
        self, error: SourceError, delay: float | None, now: datetime
    ) -> Exception:
        """Within the cap: retry (after `delay`); beyond it: stop and tell the poller when."""
        if delay is not None and delay > self.policy.max_wait:
            error.resume_at = now + timedelta(seconds=delay)
            return error
        return _Retry(error, delay)

    def _wait(self, state: RetryCallState) -> float:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        if isinstance(error, _Retry) and error.delay is not None:
            return error.delay
        return float(self._backoff(state))

    def _log_retry(self, state: RetryCallState) -> None:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: attempt %d failed (%s); retrying in %.1fs",
            self.source,
            state.attempt_number,
            error,
            wait,
        )
