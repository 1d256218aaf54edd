"""A brand or competitor mention in a post, as the scorer sees it."""

from __future__ import annotations

from dataclasses import dataclass

TARGET, COMPETITOR, OTHER = "target", "competitor", "other"


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str
    name: str
    start: int
    end: int
