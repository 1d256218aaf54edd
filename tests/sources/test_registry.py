"""The registry builds every adapter it names and reports config problems by name."""

from __future__ import annotations

import httpx
import pytest

from adapters.sources.registry import SOURCE_BUILDERS, build_source, option_problems
from bot.config import ConfigError, Environment
from tests.sources.conftest import MakeCtx, source_config
from tests.sources.fakeapi import FakeApi

GOOD: dict[str, dict[str, object]] = {
    "mastodon": {"instance": "https://mastodon.example"},
    "bluesky": {"handle": "bot.bsky.social"},
    "reddit": {"client_id": "abc"},
    "x": {},
    "rss": {"feeds": ["https://example.org/feed.xml"]},
}


@pytest.mark.parametrize("kind", sorted(GOOD))
async def test_builds_each_adapter(kind: str, make_ctx: MakeCtx) -> None:
    ctx = make_ctx(FakeApi().transport)
    cfg = source_config(f"my-{kind}", kind, **GOOD[kind])
    source = build_source(cfg, ctx)
    assert source.name == f"my-{kind}"
    assert option_problems(cfg, ctx.env) == []
    await source.aclose()


def test_replay_and_slots_registered() -> None:
    assert "replay" in SOURCE_BUILDERS
    for later in ("youtube", "tiktok", "instagram", "apify"):
        assert later not in SOURCE_BUILDERS or callable(SOURCE_BUILDERS[later])


def test_bad_options_raise_config_error(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(httpx.MockTransport(lambda r: httpx.Response(200)))
    with pytest.raises(ConfigError) as info:
        build_source(source_config("m", "mastodon", instanse="x"), ctx)
    assert info.value.problems == [
        "sources.m.options.instance: required",
        "sources.m.options.instanse: unknown setting (check the spelling)",
    ]


def test_option_problems_name_missing_credentials() -> None:
    env = Environment.from_mapping({})
    assert option_problems(source_config("tw", "x"), env) == [
        "sources.tw: environment variable X_BEARER_TOKEN is not set"
    ]
    assert option_problems(source_config("m", "mastodon"), env) == [
        "sources.m.options.instance: required"
    ]
