"""Mutes as a pure function of time, and the alert decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypedDict

from bot.alerts import OPEN, SUPPRESSED, ExistingAlert, MentionFacts, decide
from bot.config import RouteConfig
from bot.models import Severity
from bot.mutes import Mute, MuteSpec

T = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
ROUTES = [
    RouteConfig(name="all", platform="console", channel="#a", min_severity=Severity.MEDIUM),
    RouteConfig(
        name="crit",
        platform="slack",
        channel="C1",
        min_severity=Severity.CRITICAL,
        brands=["GlowLab"],
    ),
]


class Seen(TypedDict):
    """The keywords of `MuteSpec.matches`."""

    brand: str
    source: str
    author: str
    severity: Severity


def facts(severity: Severity, brand: str = "GlowLab") -> MentionFacts:
    return MentionFacts(brand, "tiktok", "sam", severity, 50)


def mute(spec: MuteSpec, hours: int = 1, unmuted: datetime | None = None) -> Mute:
    return Mute(1, spec, T, T + timedelta(hours=hours), "console:op", "", unmuted)


def test_mute_state_is_a_function_of_time() -> None:
    m = mute(MuteSpec(brand="GlowLab"))
    assert m.state(T - timedelta(seconds=1)) == "pending"
    assert m.state(T) == "active"
    assert m.state(T + timedelta(minutes=59)) == "active"
    assert m.state(T + timedelta(hours=1)) == "expired"
    lifted = mute(MuteSpec(brand="GlowLab"), unmuted=T + timedelta(minutes=5))
    assert lifted.state(T + timedelta(minutes=4)) == "active"
    assert lifted.state(T + timedelta(minutes=5)) == "unmuted"


def test_all_matchers_must_match() -> None:
    spec = MuteSpec(brand="glowlab", source="TikTok", author="@Sam", max_severity=Severity.HIGH)
    ok: Seen = {"brand": "GlowLab", "source": "tiktok", "author": "sam", "severity": Severity.HIGH}
    assert spec.matches(**ok)
    assert not spec.matches(**(ok | {"brand": "Tundra"}))
    assert not spec.matches(**(ok | {"source": "x"}))
    assert not spec.matches(**(ok | {"author": "samuel"}))
    assert not spec.matches(**(ok | {"severity": Severity.CRITICAL}))


def test_below_every_threshold_nothing_happens() -> None:
    assert decide(facts(Severity.LOW), None, ROUTES, [], T).action == "none"


def test_new_alert_goes_to_every_route_whose_threshold_it_reaches() -> None:
    high = decide(facts(Severity.HIGH), None, ROUTES, [], T)
    assert (high.action, high.status) == ("create", OPEN)
    assert [r.name for r in high.routes] == ["all"]
    critical = decide(facts(Severity.CRITICAL), None, ROUTES, [], T)
    assert [r.name for r in critical.routes] == ["all", "crit"]
    other_brand = decide(facts(Severity.CRITICAL, "Tundra"), None, ROUTES, [], T)
    assert [r.name for r in other_brand.routes] == ["all"]


def test_muted_alert_is_recorded_as_suppressed_with_no_delivery() -> None:
    decision = decide(facts(Severity.HIGH), None, ROUTES, [mute(MuteSpec(brand="GlowLab"))], T)
    assert (decision.action, decision.status, decision.muted_by, decision.routes) == (
        "create",
        SUPPRESSED,
        1,
        (),
    )
    expired = decide(
        facts(Severity.HIGH),
        None,
        ROUTES,
        [mute(MuteSpec(brand="GlowLab"))],
        T + timedelta(hours=2),
    )
    assert expired.status == OPEN


def test_one_alert_per_mention_and_update_when_severity_rises() -> None:
    existing = ExistingAlert(7, OPEN, Severity.HIGH, frozenset({"all"}))
    assert decide(facts(Severity.HIGH), existing, ROUTES, [], T).action == "none"
    assert decide(facts(Severity.MEDIUM), existing, ROUTES, [], T).action == "none"
    risen = decide(facts(Severity.CRITICAL), existing, ROUTES, [], T)
    assert risen.action == "raise"
    assert [r.name for r in risen.routes] == ["crit"]  # "all" already has it: edited, not re-posted
    assert (
        decide(facts(Severity.CRITICAL), existing, ROUTES, [], T, update_on_rise=False).action
        == "none"
    )


def test_suppressed_alert_rising_past_the_mute_is_delivered() -> None:
    existing = ExistingAlert(7, SUPPRESSED, Severity.HIGH, frozenset())
    capped = mute(MuteSpec(brand="GlowLab", max_severity=Severity.HIGH))
    risen = decide(facts(Severity.CRITICAL), existing, ROUTES, [capped], T)
    assert (risen.action, risen.status) == ("raise", OPEN)
    assert [r.name for r in risen.routes] == ["all", "crit"]
