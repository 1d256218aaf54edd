"""The ingest stage for creators: credibility signals and the watchlist, one page at a time.

Loads, in a few queries per page, what the signals need about the page's creators
(their recent posts, mentions and follower counts, and their size band's peers),
then adjusts each de-influencing mention's score by the weights of the signals that
fired and adds those signals, in words, to its reasons. Severity stays the rubric's.
A watched creator's new post gets the watch's reason line, and `watch_for` tells the
alert decision to use every route covering the brand.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.creators.policy import CreatorPolicy
from bot.creators.signals import (
    BandPeers,
    History,
    MentionStats,
    Peer,
    adjusted_score,
    evaluate,
)
from bot.creators.watch import Watch, watching
from bot.models import Stance
from bot.store import creators as store
from bot.store.tables import PostRow

Scored = tuple[PostRow, str, dict[str, Any]]  # post, brand, the mention's column values


@dataclass
class PageCreators:
    policy: CreatorPolicy
    now: datetime
    histories: dict[store.Key, History] = field(default_factory=dict)
    peers: dict[str, dict[str, Peer]] = field(default_factory=dict)
    bands: dict[str, BandPeers] = field(default_factory=dict)
    watches: list[Watch] = field(default_factory=list)

    def watch_for(self, post: PostRow) -> Watch | None:
        return watching(
            self.watches,
            self.now,
            source=post.source,
            handle=post.author_handle,
            first_seen=post.first_seen_at,
        )

    def apply(self, scored: Sequence[Scored]) -> None:
        """Adjust the scored mentions' values in place."""
        page: dict[store.Key, list[MentionStats]] = defaultdict(list)
        for post, brand, values in scored:
            page[store.key_of(post.source, post.author_handle)].append(
                MentionStats(
                    post.id, brand, values["stance"], values["alternative"], post.created_at
                )
            )
        for post, brand, values in scored:
            key = store.key_of(post.source, post.author_handle)
            history = self.histories.get(key)
            if values["stance"] == Stance.NEGATIVE.value and history is not None:
                fresh = {(m.post_id, m.brand) for m in page[key]}
                mentions = [m for m in history.mentions if (m.post_id, m.brand) not in fresh]
                signals = evaluate(
                    replace(
                        history,
                        mentions=(*mentions, *page[key]),
                        peers=self.bands.get(post.source, ()),
                        own_peer=self.peers.get(post.source, {}).get(key[1]),
                    ),
                    brand,
                    self.now,
                    self.policy,
                )
                values["score"] = adjusted_score(values["score"], signals)
                values["reasons"] = [
                    *values["reasons"],
                    *({"kind": "creator", "text": s.text} for s in signals if s.fired),
                ]
            watch = self.watch_for(post)
            if watch is not None:
                values["reasons"] = [
                    *values["reasons"],
                    {"kind": "watch", "text": watch.reason_line()},
                ]


class CreatorStage:
    """Held by the Ingestor; keeps the size bands' peers cached between pages."""

    def __init__(self, policy: CreatorPolicy) -> None:
        self.policy = policy
        self.peer_cache = store.PeerCache(policy.peer_refresh)
        self._band_cache: dict[str, tuple[int, BandPeers]] = {}

    def _bands(self, source: str, peers: dict[str, Peer]) -> BandPeers:
        """Indexed once per peer refresh (the cache hands back the same dict until then)."""
        cached = self._band_cache.get(source)
        if cached is None or cached[0] != id(peers):
            cached = (id(peers), BandPeers(peers.values(), self.policy))
            self._band_cache[source] = cached
        return cached[1]

    async def load(
        self, session: AsyncSession, scored: Sequence[Scored], now: datetime
    ) -> PageCreators:
        page = PageCreators(self.policy, now, watches=await store.live_watches(session, now))
        critics = {
            (post.source, post.author_handle)
            for post, _, values in scored
            if values["stance"] == Stance.NEGATIVE.value
        }
        if not critics:
            return page
        since = now - self.policy.window
        page.histories = await store.histories(
            session, critics, since, self.policy.follower_jump_within
        )
        for source in sorted({source for source, _ in critics}):
            page.peers[source] = await self.peer_cache.get(session, source, since, now)
            page.bands[source] = self._bands(source, page.peers[source])
        return page
