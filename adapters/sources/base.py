"""Small pieces every adapter repeats: the HTTP client from the context, item-by-item mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from adapters.sources.context import SourceContext
from adapters.sources.http import DEFAULT_USER_AGENT, RetryPolicy, SourceHttp
from bot.models import Post
from bot.ports import MappingError, SourceItemError

Mapper = Callable[[Any], Post]


def make_http(
    ctx: SourceContext,
    source: str,
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    user_agent: str | None = None,
    policy: RetryPolicy | None = None,
    hide_paths: bool = False,
) -> SourceHttp:
    """A SourceHttp wired to the context's clock, sleep and (test) transport."""
    return SourceHttp(
        source=source,
        base_url=base_url,
        transport=ctx.transport,
        clock=ctx.clock,
        sleep=ctx.sleep,
        policy=policy,
        headers=headers or {"Accept": "application/json"},
        hide_paths=hide_paths,
        user_agent=user_agent or DEFAULT_USER_AGENT,
    )


def item_id(item: Any, *keys: str) -> str | None:
    """Best-effort id of a raw item for the skipped list (never raises)."""
    if not isinstance(item, dict):
        return None
    for key in keys:
        value = item.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


def map_items(
    items: Iterable[Any],
    mapper: Mapper,
    id_of: Callable[[Any], str | None],
    keep: Callable[[Post], bool] = lambda _post: True,
) -> tuple[list[Post], list[SourceItemError]]:
    """Map each item; a MappingError skips only that item. `keep` drops off-topic posts."""
    posts: list[Post] = []
    skipped: list[SourceItemError] = []
    for item in items:
        try:
            post = mapper(item)
        except MappingError as error:
            skipped.append(SourceItemError(id_of(item), str(error)))
            continue
        if keep(post):
            posts.append(post)
    return posts, skipped
