"""Plain domain data shared by every stage of the pipeline.

Everything here is immutable and free of I/O so that sources, the scorer, the
alert policy and the chat renderers can pass it around without coupling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum


class Severity(IntEnum):
    """Ordered so that thresholds compare with `>=`."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (one of {names})") from None


class Stance(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Claim(StrEnum):
    SAFETY = "safety"
    QUALITY = "quality"
    PRICE = "price"
    ETHICS = "ethics"
    HYPE = "hype"
    SERVICE = "service"


class ReachTier(StrEnum):
    SMALL = "small"
    MID = "mid"
    LARGE = "large"


GENERIC_ALTERNATIVE = "generic"


@dataclass(frozen=True, slots=True)
class Author:
    handle: str
    followers: int | None = None
    verified: bool | None = None


@dataclass(frozen=True, slots=True)
class Metrics:
    """Engagement counters; None means the platform does not report it."""

    views: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None


@dataclass(frozen=True, slots=True)
class Post:
    """A source's post, normalised. Identity is (source, native_id)."""

    source: str
    native_id: str
    text: str
    created_at: datetime
    author: Author
    metrics: Metrics = field(default_factory=Metrics)
    url: str | None = None
    lang: str | None = None
    hashtags: tuple[str, ...] = ()
    edited: bool = False
    deleted: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.native_id)


@dataclass(frozen=True, slots=True)
class BrandMatch:
    """Where a watched brand was found in a post (the alias that matched)."""

    brand: str
    alias: str


@dataclass(frozen=True, slots=True)
class ClaimHit:
    claim: Claim
    phrase: str


@dataclass(frozen=True, slots=True)
class Reason:
    """One human-readable cue behind a score, e.g. kind='claim', text='safety claim: "rash"'."""

    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Score:
    stance: Stance
    claims: tuple[ClaimHit, ...]
    alternative: str | None
    reach: ReachTier
    risk: int
    score: int
    severity: Severity
    reasons: tuple[Reason, ...]
    lang: str | None = None
    promotion: str = "none"  # "undisclosed" / "disclosed": commercial markers (see reasons)
    compared_with: tuple[str, ...] = ()  # competitors and other brands the post names

    @property
    def claim_names(self) -> tuple[str, ...]:
        return tuple(sorted({hit.claim.value for hit in self.claims}))
