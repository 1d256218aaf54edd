"""The shared client: header styles, caps, what is retried and what never is, redaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters.sources.http import (
    RetryLater,
    RetryPolicy,
    SourceHttp,
    parse_time_value,
    read_rate_limit,
    redact_url,
)
from bot.clock import ManualClock
from bot.ports import (
    SourceAuthError,
    SourceError,
    SourcePayloadError,
    SourceQuotaError,
    SourceRateLimited,
    SourceUnavailable,
)
from tests.sources.conftest import NOW, FakeSleep
from tests.sources.fakeapi import FakeApi, respond


def _client(api: FakeApi, clock: ManualClock, sleep: FakeSleep, **kw: object) -> SourceHttp:
    return SourceHttp(
        source="test",
        base_url="https://api.test",
        transport=api.transport,
        clock=clock,
        sleep=sleep,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", NOW + timedelta(seconds=30)),  # Retry-After seconds / Reddit seconds-until
        ("997.5", NOW + timedelta(seconds=997.5)),
        ("1789380000", datetime.fromtimestamp(1789380000, UTC)),  # X / Bluesky epoch
        ("2026-09-14T10:05:00.123456Z", datetime(2026, 9, 14, 10, 5, 0, 123456, tzinfo=UTC)),
        ("Mon, 14 Sep 2026 10:01:00 GMT", datetime(2026, 9, 14, 10, 1, tzinfo=UTC)),
        ("-5", NOW),
        ("soon", None),
        ("", None),
    ],
)
def test_parse_time_value(value: str, expected: datetime | None) -> None:
    assert parse_time_value(value, NOW) == expected


def test_read_rate_limit_float_remaining() -> None:
    headers = httpx.Headers({"x-ratelimit-remaining": "997.0", "x-ratelimit-reset": "247"})
    state = read_rate_limit(headers, NOW)
    assert state is not None
    assert state.remaining == 997
    assert state.reset_at == NOW + timedelta(seconds=247)
    assert read_rate_limit(httpx.Headers({}), NOW) is None


def test_redact_url() -> None:
    url = "https://www.googleapis.com/youtube/v3/search?part=snippet&key=SECRETKEY&q=x"
    assert (
        redact_url(url)
        == "https://www.googleapis.com/youtube/v3/search?part=snippet&key=%2A%2A%2A&q=x"
    )


async def test_httpx_request_log_is_redacted(
    clock: ManualClock, sleep: FakeSleep, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeApi().add("GET", "/v", respond(200, {}))
    client = _client(api, clock, sleep)
    client.set_bearer("bearer-secret")
    with caplog.at_level(logging.DEBUG):
        await client.get_json("/v", params={"key": "SECRETKEY"})
    assert "SECRETKEY" not in caplog.text
    assert "bearer-secret" not in caplog.text


async def test_4xx_other_than_408_429_never_retried(clock: ManualClock, sleep: FakeSleep) -> None:
    for status in (400, 404, 409, 422):
        api = FakeApi().add("GET", "/x", respond(status, {"error": "nope"}))
        with pytest.raises(SourceError) as info:
            await _client(api, clock, sleep).request("GET", "/x")
        assert type(info.value) is SourceError
        assert len(api.requests) == 1
    assert sleep.waits == []


async def test_403_is_auth(clock: ManualClock, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", "/x", respond(403, {"error": 403}))
    client = _client(api, clock, sleep)
    client.set_bearer("super-secret")
    with pytest.raises(SourceAuthError) as info:
        await client.request("GET", "/x")
    assert "super-secret" not in str(info.value)


async def test_408_retried_with_backoff(clock: ManualClock, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", "/x", respond(408), respond(200, {"ok": True}))
    assert await _client(api, clock, sleep).get_json("/x") == {"ok": True}
    assert len(sleep.waits) == 1
    assert 0 <= sleep.waits[0] <= 1.0


async def test_429_without_headers_backs_off_then_gives_up(
    clock: ManualClock, sleep: FakeSleep
) -> None:
    api = FakeApi().add("GET", "/x", respond(429))
    with pytest.raises(SourceRateLimited) as info:
        await _client(api, clock, sleep, policy=RetryPolicy(attempts=3)).request("GET", "/x")
    assert len(api.requests) == 3
    assert len(sleep.waits) == 2
    assert info.value.resume_at is not None


async def test_timeouts_exhausted_are_unavailable(clock: ManualClock, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", "/x", httpx.ConnectTimeout("slow"))
    with pytest.raises(SourceUnavailable):
        await _client(api, clock, sleep).request("GET", "/x")
    assert len(api.requests) == 4


async def test_503_retry_after_beyond_cap(clock: ManualClock, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", "/x", respond(503, "", {"Retry-After": "600"}))
    with pytest.raises(SourceUnavailable) as info:
        await _client(api, clock, sleep).request("GET", "/x")
    assert info.value.resume_at == NOW + timedelta(seconds=600)
    assert len(api.requests) == 1


async def test_not_json(clock: ManualClock, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", "/x", respond(200, "<html>", {"Content-Type": "text/html"}))
    with pytest.raises(SourcePayloadError, match="text/html"):
        await _client(api, clock, sleep).get_json("/x")


async def test_classifier_can_stop_or_retry(clock: ManualClock, sleep: FakeSleep) -> None:
    def quota(response: httpx.Response) -> SourceError | RetryLater | None:
        body = response.json()
        if body.get("reason") == "quotaExceeded":
            return SourceQuotaError("quota", resume_at=NOW + timedelta(hours=8))
        if body.get("reason") == "busy":
            return RetryLater(SourceUnavailable("busy"), delay=2.0)
        return None

    api = FakeApi().add("GET", "/x", respond(403, {"reason": "quotaExceeded"}))
    with pytest.raises(SourceQuotaError):
        await _client(api, clock, sleep).request("GET", "/x", classify=quota)
    api = FakeApi().add("GET", "/x", respond(200, {"reason": "busy"}), respond(200, {}))
    await _client(api, clock, sleep).request("GET", "/x", classify=quota)
    assert sleep.waits == [2.0]


async def test_allowed_status_is_returned(clock: ManualClock, sleep: FakeSleep) -> None:
    api = FakeApi().add("GET", "/x", respond(304))
    response = await _client(api, clock, sleep).request("GET", "/x", allow=(304,))
    assert response.status_code == 304


async def test_spent_window_waits_when_short(clock: ManualClock, sleep: FakeSleep) -> None:
    spent = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW.timestamp()) + 20)}
    api = FakeApi().add("GET", "/x", respond(200, {}, spent), respond(200, {}))
    client = _client(api, clock, sleep)
    await client.request("GET", "/x")
    assert client.quota_left == 0
    await client.request("GET", "/x")
    assert sleep.waits == [20.0]


def test_timeout_is_mandatory() -> None:
    with pytest.raises(ValueError, match="timeout"):
        SourceHttp(source="t", timeout=None)  # type: ignore[arg-type]
