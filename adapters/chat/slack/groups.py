"""Which of the route's Slack user groups a user is in, so the core can check permissions.

Listing group members needs the usergroups:read scope, which the minimal manifest
does not ask for. Without it this answers "no groups" (and says so once in the log):
then only user ids listed in a route's responders/managers count.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.chat.slack.notifier import Monotonic, error_code
from bot.config import Config

log = logging.getLogger(__name__)

GROUP_ID = re.compile(r"^S[A-Z0-9]{2,20}$")
MEMBERS_TTL = 300.0


def permission_groups(config: Config) -> list[str]:
    """User-group ids named in the Slack routes' responders and managers."""
    found: list[str] = []
    for route in config.routes:
        if route.platform != "slack":
            continue
        for who in [*route.responders, *route.managers]:
            if GROUP_ID.fullmatch(who) and who not in found:
                found.append(who)
    return found


class GroupResolver:
    """Cached usergroups.users.list lookups, at most one per group every `ttl` seconds."""

    def __init__(
        self,
        client: AsyncWebClient,
        group_ids: Iterable[str],
        *,
        ttl: float = MEMBERS_TTL,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.client = client
        self.group_ids = list(group_ids)
        self.ttl = ttl
        self.monotonic = monotonic
        self.available = True
        self._members: dict[str, tuple[float, frozenset[str]]] = {}

    async def groups_of(self, user_id: str) -> tuple[str, ...]:
        if not self.group_ids or not self.available:
            return ()
        found = []
        for group in self.group_ids:
            members = await self._members_of(group)
            if user_id in members:
                found.append(group)
            if not self.available:
                return ()
        return tuple(found)

    async def _members_of(self, group: str) -> frozenset[str]:
        now = self.monotonic()
        cached = self._members.get(group)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            response = await self.client.usergroups_users_list(usergroup=group)
        except SlackApiError as error:
            code = error_code(error)
            if code == "missing_scope":
                self.available = False
                log.warning(
                    "slack: user-group permissions need the usergroups:read scope; until "
                    "it is added only user ids in a route's responders/managers count"
                )
                return frozenset()
            log.warning("slack: listing members of user group %s failed: %s", group, code)
            return cached[1] if cached else frozenset()
        except (SlackClientError, ClientError, TimeoutError) as error:
            log.warning(
                "slack: listing members of user group %s failed: %s", group, type(error).__name__
            )
            return cached[1] if cached else frozenset()
        members = frozenset(str(u) for u in response.get("users") or [])
        self._members[group] = (now + self.ttl, members)
        return members
