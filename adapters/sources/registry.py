"""Source type name -> builder, and the config check behind `deinfluence check-config`.

Each adapter module exposes `build(cfg, ctx) -> Source` and
`check(cfg, env) -> list[str]`; registering a new platform is two lines here.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.sources import (
    apify,
    bluesky,
    instagram,
    mastodon,
    reddit,
    rss,
    tiktok,
    webhook,
    x,
    youtube,
)
from adapters.sources.context import SourceContext
from bot.config import ConfigError, Environment, SourceConfig
from bot.ports import Source

__all__ = [
    "SOURCE_BUILDERS",
    "SOURCE_CHECKS",
    "SourceContext",
    "build_source",
    "option_problems",
]

Builder = Callable[[SourceConfig, SourceContext], Source]
Check = Callable[[SourceConfig, Environment], list[str]]


def _build_replay(cfg: SourceConfig, ctx: SourceContext) -> Source:
    # Imported late: the replay module imports this one for SourceContext.
    from adapters.sources.replay import build

    return build(cfg, ctx)


def _check_replay(cfg: SourceConfig, env: Environment) -> list[str]:
    from adapters.sources import replay

    check: Check | None = getattr(replay, "check", None)
    return check(cfg, env) if check else []


SOURCE_BUILDERS: dict[str, Builder] = {
    "replay": _build_replay,
    "mastodon": mastodon.build,
    "bluesky": bluesky.build,
    "reddit": reddit.build,
    "x": x.build,
    "rss": rss.build,
    "youtube": youtube.build,
    "tiktok": tiktok.build,
    "instagram": instagram.build,
    "apify": apify.build,
    "webhook": webhook.build,
}

SOURCE_CHECKS: dict[str, Check] = {
    "replay": _check_replay,
    "mastodon": mastodon.check,
    "bluesky": bluesky.check,
    "reddit": reddit.check,
    "x": x.check,
    "rss": rss.check,
    "youtube": youtube.check,
    "tiktok": tiktok.check,
    "instagram": instagram.check,
    "apify": apify.check,
    "webhook": webhook.check,
}


def build_source(cfg: SourceConfig, ctx: SourceContext) -> Source:
    """A ready adapter for `cfg`; ConfigError for an unknown type or bad options."""
    builder = SOURCE_BUILDERS.get(cfg.type)
    if builder is None:
        raise ConfigError([f"sources.{cfg.name}.type: no adapter for {cfg.type!r} yet"])
    return builder(cfg, ctx)


def option_problems(cfg: SourceConfig, env: Environment) -> list[str]:
    """Every problem with the source's options and credentials, one line each."""
    check = SOURCE_CHECKS.get(cfg.type)
    if check is None:
        return [f"sources.{cfg.name}.type: no adapter for {cfg.type!r} yet"]
    return check(cfg, env)
