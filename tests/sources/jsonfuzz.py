"""Hypothesis strategies for mapper fuzzing: random JSON, and real fixtures cut or mutated."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from bot.ports import MappingError

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


def _mutations(item: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The real item with one key dropped, or one value (at any depth 1) replaced."""
    keys = sorted(item)

    def drop(key: str) -> Any:
        out = copy.deepcopy(item)
        out.pop(key, None)
        return out

    def replace(pair: tuple[str, Any]) -> Any:
        out = copy.deepcopy(item)
        out[pair[0]] = pair[1]
        return out

    def truncate(cut: int) -> Any:
        text = json.dumps(item)[:cut]
        try:
            return json.loads(text)
        except ValueError:
            return text

    return (
        st.sampled_from(keys).map(drop)
        | st.tuples(st.sampled_from(keys), json_values).map(replace)
        | st.integers(min_value=0, max_value=len(json.dumps(item))).map(truncate)
    )


def payloads(real_items: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """Random JSON, or a real fixture item damaged in one place."""
    mutated = st.one_of(*[_mutations(i) for i in real_items])
    return json_values | mutated | st.sampled_from(real_items)


def only_mapping_errors(mapper: Callable[[Any], Any], payload: Any) -> None:
    """The mapper may succeed or raise MappingError; anything else is a bug."""
    with contextlib.suppress(MappingError):
        mapper(payload)
