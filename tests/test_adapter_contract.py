"""The cross-adapter contract: the same scenario typed into the console, sent to Slack and
sent to Discord leaves three separate stores in the same state.

Each adapter gets its own fresh core (SQLite store, CommandService, Deliverer, Ingestor
with the real BrandMatcher and Scorer) seeded with the same posts at the same ManualClock
time, and is driven the way its users drive it: `repl` fed lines from a StringIO, signed
Slack requests through Bolt's `async_dispatch`, Discord interaction payloads through
discord.py's own parsing (DiscordHarness). The only allowed difference is who acted
(`console:operator`, `slack:U…`, `discord:…`), which the comparison replaces by `<actor>`.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from rich.console import Console
from sqlalchemy import select

from adapters.chat.console import ConsoleNotifier, repl
from adapters.chat.discord import ids as discord_ids
from adapters.chat.discord.client import DeinfluenceClient
from adapters.chat.discord.notifier import DiscordNotifier
from adapters.chat.slack.runtime import build_slack
from bot.clock import ManualClock
from bot.commands import grammar as g
from bot.commands.service import CommandService
from bot.config import Config, Environment, parse_config
from bot.delivery import Deliverer
from bot.ingest import Ingestor, IngestReport
from bot.matching import BrandMatcher
from bot.models import Author, Metrics, Post
from bot.permissions import Actor
from bot.ports import ChatNotifier
from bot.scoring.scorer import Scorer
from bot.store import alerts as alert_store
from bot.store.database import Database
from bot.store.tables import AlertRow, AuditRow, DeliveryRow, MentionRow, MuteRow
from bot.views import Action, CommandResult, SummaryView
from tests.discord.harness import CHANNEL_ID as DISCORD_CHANNEL
from tests.discord.harness import DiscordHarness, User
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import BOT_TOKEN, NOW, SIGNING_SECRET, FakeTime, Harness

SLACK_CHANNEL = "C0ALERTS1"
SLACK_USER = "U0ACTOR01"
SLACK_ONCALL = "S0ONCALL1"
DISCORD_USER = User("500000000000000009", "dana", ("333333333333333333",))
DISCORD_ONCALL = "222222222222222222"
STEP = timedelta(minutes=5)

SEED_TEXTS = {
    "v1": "Don't buy GlowLab serum, it gave me a rash. Get CeraVe instead #deinfluencing",
    "v2": "GlowLab is so overpriced, honestly not worth the money",
    "v3": "The GlowLab cream pilled under makeup and broke after a week, skip it",
    "v4": "I love my GlowLab serum, holy grail",
    "v5": "AeroCurl is a waste of money, do not buy",
}
LATE_TEXT = "GlowLab toner burned my skin, do not buy it"


def contract_config(db_path: Path, route: dict[str, Any], env: Environment) -> Config:
    """Identical brands, policy and thresholds; only the route's platform and people differ."""
    return parse_config(
        {
            "brands": [
                {"name": "GlowLab", "aliases": ["GlowLab", "#glowlab"], "competitors": ["CeraVe"]},
                {"name": "AeroCurl", "aliases": ["AeroCurl"]},
            ],
            "routes": [{"name": "brand-alerts", "min_severity": "low", **route}],
            "store": {"url": f"sqlite+aiosqlite:///{db_path}"},
        },
        env,
    )


def post(native_id: str, text: str, clock: ManualClock) -> Post:
    return Post(
        source="tiktok",
        native_id=native_id,
        text=text,
        created_at=clock.now(),
        author=Author(f"creator_{native_id}", 20_000, False),
        metrics=Metrics(views=80_000, likes=900),
        url=f"https://www.tiktok.com/@creator_{native_id}/video/{native_id}",
        lang="en",
    )


class RecordingService(CommandService):
    """The real CommandService, keeping every result it handed to an adapter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.results: list[CommandResult] = []

    async def execute(self, command: g.Command, actor: Actor) -> CommandResult:
        result = await super().execute(command, actor)
        self.results.append(result)
        return result


@dataclass
class Core:
    config: Config
    db: Database
    clock: ManualClock
    service: RecordingService
    deliverer: Deliverer
    ingestor: Ingestor
    notifiers: dict[str, ChatNotifier] = field(default_factory=dict)

    async def ingest(self, posts: list[Post]) -> IngestReport:
        report = await self.ingestor.ingest("tiktok", posts)
        await self.deliverer.run_once()
        return report


async def build_core(config: Config) -> Core:
    db = Database(config.database_url)
    await db.upgrade()
    clock = ManualClock(NOW)
    notifiers: dict[str, ChatNotifier] = {}
    deliverer = Deliverer(db, notifiers, clock, config.alerts)

    async def refresh() -> None:
        await deliverer.run_once()

    service = RecordingService(config, db, clock, on_change=refresh)
    ingestor = Ingestor(
        config, db, BrandMatcher(config.brands), Scorer(config.brands, config.policy), clock
    )
    return Core(config, db, clock, service, deliverer, ingestor, notifiers)


class Driver(Protocol):
    """One chat platform, driven the way its users drive it; each returns what they saw."""

    platform: str
    actor: str
    core: Core

    async def ack(self, alert_id: int) -> str: ...
    async def mute(self, brand: str, duration: str, reason: str) -> str: ...
    async def wrong(self, alert_id: int, reason: str) -> str: ...
    async def summary(self, brand: str, window: str) -> str: ...
    async def close(self) -> None: ...


@dataclass
class ConsoleDriver:
    core: Core
    out: io.StringIO
    platform: str = "console"
    actor: str = "console:operator"

    async def _type(self, line: str) -> str:
        start = len(self.out.getvalue())
        console = Console(file=self.out, width=200, highlight=False, color_system=None)
        await repl(self.core.service, console, None, io.StringIO(f"/deinfluence {line}\n"))
        return self.out.getvalue()[start:]

    async def ack(self, alert_id: int) -> str:
        return await self._type(f"ack {alert_id}")

    async def mute(self, brand: str, duration: str, reason: str) -> str:
        return await self._type(f"mute {brand} {duration} {reason}")

    async def wrong(self, alert_id: int, reason: str) -> str:
        return await self._type(f"wrong {alert_id} {reason}")

    async def summary(self, brand: str, window: str) -> str:
        return await self._type(f"summary {brand} {window}")

    async def close(self) -> None:
        await self.core.db.dispose()


@dataclass
class SlackDriver:
    core: Core
    harness: Harness
    platform: str = "slack"
    actor: str = f"slack:{SLACK_USER}"

    async def _slash(self, text: str) -> str:
        replies = await self.harness.slash(text, user=SLACK_USER, channel=SLACK_CHANNEL)
        return "\n".join(str(r) for r in replies)

    async def ack(self, alert_id: int) -> str:  # the Acknowledge button, as people do it
        return str(await self.harness.click(Action.ACK, alert_id, user=SLACK_USER))

    async def mute(self, brand: str, duration: str, reason: str) -> str:
        return await self._slash(f"mute {brand} {duration} {reason}")

    async def wrong(self, alert_id: int, reason: str) -> str:
        return await self._slash(f"wrong {alert_id} {reason}")

    async def summary(self, brand: str, window: str) -> str:
        return await self._slash(f"summary {brand} {window}")

    async def close(self) -> None:
        await self.harness.runtime.stop()
        await self.harness.fake.stop()
        await self.core.db.dispose()


@dataclass
class DiscordDriver:
    core: Core
    harness: DiscordHarness
    platform: str = "discord"
    actor: str = f"discord:{DISCORD_USER.user_id}"

    def message_of(self, alert_id: int) -> dict[str, Any]:
        """The stored Discord message that carries this alert's buttons."""
        for message in self.harness.http.messages.get(DISCORD_CHANNEL, {}).values():
            for row in message["components"]:
                for button in row["components"]:
                    if button["custom_id"].endswith(f":{alert_id}"):
                        return dict(message)
        raise AssertionError(f"no Discord message for alert {alert_id}")

    async def _slash(self, subcommand: str, **options: Any) -> str:
        sent = await self.harness.slash(subcommand, DISCORD_USER, **options)
        return "\n".join(str(s.data) for s in sent)

    async def ack(self, alert_id: int) -> str:  # the Acknowledge button, as people do it
        custom_id = discord_ids.button_id(Action.ACK, alert_id)
        sent = await self.harness.click(custom_id, self.message_of(alert_id), DISCORD_USER)
        return "\n".join(str(s.data) for s in sent)

    async def mute(self, brand: str, duration: str, reason: str) -> str:
        return await self._slash("mute", duration=duration, brand=brand, reason=reason)

    async def wrong(self, alert_id: int, reason: str) -> str:
        return await self._slash("wrong", alert=alert_id, reason=reason)

    async def summary(self, brand: str, window: str) -> str:
        return await self._slash("summary", brand=brand, window=window)

    async def close(self) -> None:
        await self.harness.client.close()
        await self.core.db.dispose()


async def console_driver(tmp_path: Path) -> ConsoleDriver:
    config = contract_config(
        tmp_path / "console.db",
        {"platform": "console", "channel": "#brand-alerts"},
        Environment(),
    )
    core = await build_core(config)
    out = io.StringIO()
    core.notifiers["console"] = ConsoleNotifier(
        Console(file=out, width=200, highlight=False, color_system=None)
    )
    return ConsoleDriver(core, out)


async def slack_driver(tmp_path: Path) -> SlackDriver:
    env = Environment.from_mapping(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    )
    route = {
        "platform": "slack",
        "channel": SLACK_CHANNEL,
        "oncall": SLACK_ONCALL,
        "responders": [SLACK_USER],
        "managers": [SLACK_USER],
    }
    config = contract_config(tmp_path / "slack.db", route, env)
    core = await build_core(config)
    fake = await FakeSlack().start()
    fake.usergroups[SLACK_ONCALL] = ["U0ONCALL1"]
    fake_time = FakeTime()
    runtime = build_slack(
        config,
        core.service,
        client_base_url=fake.url,
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
    )
    core.notifiers["slack"] = runtime.notifier
    harness = Harness(
        config,
        core.db,
        core.clock,
        core.service,
        core.deliverer,
        core.ingestor,
        runtime,
        fake,
        fake_time,
    )
    return SlackDriver(core, harness)


async def discord_driver(tmp_path: Path) -> DiscordDriver:
    route = {
        "platform": "discord",
        "channel": DISCORD_CHANNEL,
        "oncall": DISCORD_ONCALL,
        "responders": [DISCORD_USER.user_id],
        "managers": [DISCORD_USER.user_id],
    }
    config = contract_config(
        tmp_path / "discord.db", route, Environment.from_mapping({"DISCORD_BOT_TOKEN": "x"})
    )
    core = await build_core(config)
    client = DeinfluenceClient(
        service=core.service, sync_state_path=tmp_path / "discord-commands.json"
    )
    harness = await DiscordHarness(client).start()
    core.notifiers["discord"] = DiscordNotifier(client)
    return DiscordDriver(core, harness)


BUILDERS: dict[str, Callable[[Path], Awaitable[Driver]]] = {
    "console": console_driver,
    "slack": slack_driver,
    "discord": discord_driver,
}


@pytest.fixture
async def drivers(tmp_path: Path) -> AsyncIterator[list[Driver]]:
    built: list[Driver] = []
    try:
        for name, build in BUILDERS.items():
            folder = tmp_path / name
            folder.mkdir()
            built.append(await build(folder))
        yield built
    finally:
        for driver in built:
            await driver.close()


# --- the store, as platform-independent facts ------------------------------------------------


def neutral(value: Any, actor: str) -> Any:
    """`value` with the acting user's label (`slack:U…`) replaced by `<actor>`."""
    if isinstance(value, str):
        return value.replace(actor, "<actor>")
    if isinstance(value, dict):
        return {k: neutral(v, actor) for k, v in value.items()}
    if isinstance(value, list):
        return [neutral(v, actor) for v in value]
    if isinstance(value, tuple):
        return tuple(neutral(v, actor) for v in value)
    return value


async def facts(driver: Driver) -> dict[str, Any]:
    async with driver.core.db.read() as session:
        mutes = list(await session.scalars(select(MuteRow).order_by(MuteRow.id)))
        alerts = list(await session.scalars(select(AlertRow).order_by(AlertRow.id)))
        mentions = list(await session.scalars(select(MentionRow).order_by(MentionRow.id)))
        audit = list(await session.scalars(select(AuditRow).order_by(AuditRow.id)))
    found = {
        "mutes": [
            {
                "id": m.id,
                "matchers": (m.brand, m.source, m.author, m.max_severity),
                "starts_at": m.starts_at,
                "duration": m.ends_at - m.starts_at,
                "reason": m.reason,
                "created_by": m.created_by,
                "unmuted": (m.unmuted_at, m.unmuted_by),
            }
            for m in mutes
        ],
        "alerts": [
            {
                "id": a.id,
                "kind": a.kind,
                "brand": a.brand,
                "severity": a.severity,
                "status": a.status,
                "title": a.title,
                "acked": (a.acked_by, a.acked_at),
                "resolved": (a.resolved_by, a.resolved_at),
                "wrong_by": a.wrong_by,
                "muted_by": a.muted_by,
                "notes": a.details.get("notes", []),
                "version": a.version,
            }
            for a in alerts
        ],
        "mentions": [(m.id, m.brand, m.severity, m.wrong, m.wrong_reason) for m in mentions],
        "audit": [
            {"at": r.at, "actor": r.actor, "action": r.action, "target": r.target, **r.detail}
            for r in audit
        ],
        "results": [
            (r.ok, r.text, r.ephemeral, type(r.view).__name__, tuple(r.changed_alerts))
            for r in driver.core.service.results
        ],
    }
    assert {r.platform for r in audit} <= {driver.platform}
    return dict(neutral(found, driver.actor))


async def all_edits_delivered(driver: Driver) -> None:
    """Every alert's chat message went out once and shows its latest version."""
    async with driver.core.db.read() as session:
        rows = list(await session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)))
        versions = {a.id: a.version for a in await session.scalars(select(AlertRow))}
        undelivered = await alert_store.count_undelivered(session)
    assert undelivered == 0, driver.platform
    assert {r.platform for r in rows} == {driver.platform}
    for row in rows:
        assert row.message_id, (driver.platform, row.alert_id)
        assert row.delivered_version == versions[row.alert_id], (driver.platform, row.alert_id)


def last_summary(driver: Driver) -> SummaryView:
    views = [r.view for r in driver.core.service.results if isinstance(r.view, SummaryView)]
    assert views, driver.platform
    return views[-1]


# --- the contract ------------------------------------------------------------------------------


async def test_every_adapter_leaves_the_store_the_same(drivers: list[Driver]) -> None:
    seeded = []
    for driver in drivers:
        clock = driver.core.clock
        report = await driver.core.ingest(
            [post(native_id, text, clock) for native_id, text in SEED_TEXTS.items()]
        )
        seeded.append(report.alert_ids)
    assert seeded[0] and all(ids == seeded[0] for ids in seeded), seeded
    critical, medium, high, other_brand = seeded[0]

    replies: dict[str, dict[str, str]] = {d.platform: {} for d in drivers}
    for driver in drivers:
        seen = replies[driver.platform]
        driver.core.clock.advance(STEP)
        seen["ack"] = await driver.ack(critical)
        driver.core.clock.advance(STEP)
        seen["mute"] = await driver.mute("GlowLab", "2h", "too noisy")
        driver.core.clock.advance(STEP)
        seen["wrong"] = await driver.wrong(medium, "sarcasm")
        driver.core.clock.advance(STEP)
        late = await driver.core.ingest([post("v6", LATE_TEXT, driver.core.clock)])
        assert late.suppressed == 1, driver.platform  # the mute holds on every platform
        driver.core.clock.advance(STEP)
        seen["summary"] = await driver.summary("GlowLab", "24h")

    # Each platform showed its user the outcome.
    for driver in drivers:
        seen = replies[driver.platform]
        assert "acknowledged" in seen["ack"], (driver.platform, seen["ack"])
        assert "Muted" in seen["mute"], (driver.platform, seen["mute"])
        assert "false positive" in seen["wrong"], (driver.platform, seen["wrong"])
        assert "mentions" in seen["summary"], (driver.platform, seen["summary"])
        assert str(last_summary(driver).total) in seen["summary"], driver.platform

    # The stores end the same, fact by fact (first difference first, for a readable failure).
    expected = await facts(drivers[0])
    for driver in drivers[1:]:
        got = await facts(driver)
        for key in expected:
            assert got[key] == expected[key], f"{driver.platform} differs from console in {key}"

    # And what they agree on is what the scenario did.
    assert [a["action"] for a in expected["audit"]] == ["ack", "mute", "wrong"]
    [mute] = expected["mutes"]
    assert mute["matchers"] == ("GlowLab", None, None, None)
    assert (mute["duration"], mute["reason"], mute["created_by"]) == (
        timedelta(hours=2),
        "too noisy",
        "<actor>",
    )
    by_id = {a["id"]: a for a in expected["alerts"]}
    assert by_id[critical]["status"] == "acknowledged"
    assert by_id[critical]["acked"][0] == "<actor>"
    assert (by_id[medium]["status"], by_id[medium]["wrong_by"]) == ("resolved", "<actor>")
    assert by_id[high]["status"] == "open"
    assert by_id[other_brand]["notes"] == []  # the GlowLab mute left AeroCurl alone
    assert any("muted by <actor>" in n for n in by_id[high]["notes"])
    assert [m[3] for m in expected["mentions"]].count(True) == 1
    for driver in drivers:
        summary = last_summary(driver)
        assert (summary.muted, summary.hidden_wrong) == (1, 1), driver.platform
        await all_edits_delivered(driver)


async def test_summary_counts_are_the_same_everywhere(drivers: list[Driver]) -> None:
    for driver in drivers:
        await driver.core.ingest(
            [post(native_id, text, driver.core.clock) for native_id, text in SEED_TEXTS.items()]
        )
        driver.core.clock.advance(STEP)
        await driver.summary("GlowLab", "24h")
    views = [dataclasses.asdict(last_summary(d)) for d in drivers]
    assert views[0]["total"] > 0
    assert all(v == views[0] for v in views[1:])
