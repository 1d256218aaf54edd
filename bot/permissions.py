"""Who may do what, decided in the core so every adapter refuses the same things."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Config, RouteConfig

LOCAL_PLATFORMS = frozenset({"cli", "console"})
RESPONDER_ACTIONS = frozenset({"ack", "resolve"})
MANAGER_ACTIONS = frozenset({"mute", "unmute", "wrong", "watch"})
VIEWER_ACTIONS = frozenset({"view"})


@dataclass(frozen=True)
class Actor:
    """The person behind a command or click; `groups` are Slack user groups / Discord roles."""

    platform: str
    user_id: str
    name: str = ""
    groups: tuple[str, ...] = field(default_factory=tuple)
    channel: str | None = None

    @property
    def label(self) -> str:
        return f"{self.platform}:{self.user_id}"


def _allowed_by(route: RouteConfig, action: str, actor: Actor) -> bool:
    if action in VIEWER_ACTIONS:
        people = route.viewers
    else:
        people = route.responders if action in RESPONDER_ACTIONS else route.managers
    if not people:
        return True
    return actor.user_id in people or any(group in people for group in actor.groups)


def may(config: Config, actor: Actor, action: str, brand: str | None) -> bool:
    """True when a route on the actor's platform that covers `brand` lets the actor act.

    The local terminal (console, `deinfluence command`) is the operator and may do anything.
    """
    if action not in RESPONDER_ACTIONS | MANAGER_ACTIONS | VIEWER_ACTIONS:
        return True
    if actor.platform in LOCAL_PLATFORMS:
        return True
    routes = [
        r
        for r in config.routes
        if r.platform == actor.platform and (brand is None or r.covers(brand))
    ]
    if actor.channel is not None:
        in_channel = [r for r in routes if r.channel == actor.channel]
        routes = in_channel or routes
    if not routes:
        return False
    if brand is None and action not in VIEWER_ACTIONS:
        # a mute across brands needs the right on every route it touches
        return all(_allowed_by(route, action, actor) for route in routes)
    return any(_allowed_by(route, action, actor) for route in routes)
