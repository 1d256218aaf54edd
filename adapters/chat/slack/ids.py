"""Wire-stable ids for Slack: action ids, the slash command, message metadata.

Messages already in channels carry these ids, so changing one breaks old buttons:
add a new version (`deinfluence.v2.…`) instead of renaming.
"""

from __future__ import annotations

import re

from bot.views import Action

SLASH_COMMAND = "/deinfluence"
ACTION_PREFIX = "deinfluence.v1."
ACTION_IDS: dict[Action, str] = {action: f"{ACTION_PREFIX}{action.value}" for action in Action}
ACTION_ID_PATTERN = re.compile(r"^deinfluence\.v1\.(" + "|".join(a.value for a in Action) + r")$")

METADATA_EVENT = "deinfluence_alert"
ALERT_BLOCK = "deinfluence.v1.alert"
ACTIONS_BLOCK = "deinfluence.v1.actions"

_VALUE = re.compile(r"^a(\d{1,18})$")


def action_id(action: Action) -> str:
    return ACTION_IDS[action]


def action_from_id(value: str) -> Action | None:
    """The Action behind an action_id, or None for ids we never issued."""
    found = ACTION_ID_PATTERN.fullmatch(value)
    return Action(found.group(1)) if found else None


def button_value(alert_id: int) -> str:
    """A short opaque value: the alert id only, never anything from a post."""
    return f"a{alert_id}"


def alert_from_value(value: str) -> int | None:
    found = _VALUE.fullmatch(value.strip())
    return int(found.group(1)) if found else None
