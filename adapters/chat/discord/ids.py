"""Wire-stable custom_ids for Discord components: versioned, built from the core's Action values.

Messages posted months ago carry these strings; changing one breaks their buttons,
so a new layout gets a new version prefix and the old template keeps being parsed.
"""

from __future__ import annotations

import re

from bot.views import Action

PREFIX = "deinfluence:v1"
CUSTOM_ID_LIMIT = 100
_ACTIONS = "|".join(re.escape(a.value) for a in Action)
# Named groups are what DynamicItem.from_custom_id receives.
BUTTON_TEMPLATE = rf"deinfluence:v1:(?P<action>{_ACTIONS}):(?P<alert_id>[1-9][0-9]{{0,17}})"
_BUTTON = re.compile(BUTTON_TEMPLATE)


def button_id(action: Action, alert_id: int) -> str:
    """The custom_id of an alert button, e.g. `deinfluence:v1:ack:42`."""
    if alert_id <= 0:
        raise ValueError(f"alert id must be positive, not {alert_id}")
    custom_id = f"{PREFIX}:{action.value}:{alert_id}"
    if len(custom_id) > CUSTOM_ID_LIMIT:
        raise ValueError(f"custom_id longer than {CUSTOM_ID_LIMIT} characters: {custom_id!r}")
    return custom_id


def parse_button_id(custom_id: str) -> tuple[Action, int] | None:
    """The action and alert id of one of our buttons; None for anything else."""
    found = _BUTTON.fullmatch(custom_id)
    if found is None:
        return None
    return Action(found.group("action")), int(found.group("alert_id"))
