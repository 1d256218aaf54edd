"""A brand or competitor mention in a post, as the scorer sees it."""

from __future__ import annotations

from typing import NamedTuple

TARGET, COMPETITOR, OTHER = "target", "competitor", "other"


class Entity(NamedTuple):
    """A named tuple, not a frozen dataclass: a post makes a few, and a frozen
    dataclass costs ~3x as much to build (one object.__setattr__ per field)."""

    kind: str
    name: str
    start: int
    end: int
    tag: bool = False  # written as a #hashtag: a label of the post, not a word of a sentence
