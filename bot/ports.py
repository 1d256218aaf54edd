"""The few protocols the core calls on adapters, and nothing else."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.views import AlertCard


@dataclass(frozen=True, slots=True)
class SourceItemError:
    """One payload item the adapter could not map; logged and skipped, never fatal."""

    native_id: str | None
    message: str


@dataclass(frozen=True)
class SourcePage:
    """What one fetch returns: posts, the cursor to store, and items that were skipped.

    `cursor` is opaque JSON-able data; it is stored in the same transaction as
    the posts, so a restart neither misses nor repeats posts. `more` tells the
    poller another page is waiting now (it walks up to the source's page budget).
    """

    posts: Sequence[Any]
    cursor: Mapping[str, Any] | None
    more: bool = False
    skipped: Sequence[SourceItemError] = field(default_factory=tuple)
    quota_left: int | None = None


class Source(Protocol):
    """A social source. `fetch` gets the stored cursor (None the first time)."""

    name: str

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a chat message lives, so it can be edited in place later."""

    platform: str
    channel: str
    message_id: str
    thread_id: str | None = None


class DeliveryError(Exception):
    """A chat delivery failed; `permanent` ones (no access, bad channel) need a person."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class ChatNotifier(Protocol):
    """Posts and edits alert messages on one platform.

    `thread` puts the message in the thread of (or as a reply to) another alert's
    message: a post alert held under an open spike. `reply` sends a short core-written
    notice under a message (an escalation), pinging only `mention`.
    """

    platform: str

    async def post(
        self,
        channel: str,
        card: AlertCard,
        *,
        mention: str | None,
        thread: MessageRef | None = None,
    ) -> MessageRef: ...

    async def update(self, ref: MessageRef, card: AlertCard) -> None: ...

    async def reply(self, ref: MessageRef, text: str, *, mention: str | None) -> MessageRef: ...


class SourceError(Exception):
    """A poll failed as a whole; the poller records it in the source's health."""

    state = "error"

    def __init__(self, message: str, *, resume_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class SourceAuthError(SourceError):
    """401/403: never retried; needs a person to fix credentials."""

    state = "auth failed"


class SourceQuotaError(SourceError):
    """Daily quota or budget used up: the source pauses until `resume_at`."""

    state = "quota exhausted"


class SourceRateLimited(SourceError):
    """Still rate limited after polite retries: back off until `resume_at`."""

    state = "backing off"


class SourceUnavailable(SourceError):
    """Transport errors or 5xx after retries."""

    state = "unavailable"


class SourcePayloadError(SourceError):
    """The page as a whole was unreadable (bad JSON, wrong shape)."""

    state = "bad payload"


class MappingError(ValueError):
    """One item could not be mapped into a Post; the adapter skips it with this message."""


class BackfillSource(Protocol):
    """A source that can walk back in time for a newly added brand."""

    name: str

    async def fetch_history(
        self, since: datetime, cursor: Mapping[str, Any] | None
    ) -> SourcePage: ...
