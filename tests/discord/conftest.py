"""The real core (SQLite, CommandService, Deliverer, ManualClock) wired to a Discord client
whose HTTP layers are recording fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.chat.discord.client import DeinfluenceClient
from adapters.chat.discord.notifier import DiscordNotifier
from bot.cards import alert_card
from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.config import Config, Environment, Secret, parse_config
from bot.delivery import Deliverer
from bot.ingest import Ingestor
from bot.matching import BrandMatcher
from bot.models import Author, Metrics, Post
from bot.ports import ChatNotifier
from bot.scoring.scorer import Scorer
from bot.store import alerts as alert_store
from bot.store.database import Database
from bot.views import AlertCard
from tests.discord.harness import CHANNEL_ID, DiscordHarness, User

ONCALL_ROLE = "222222222222222222"
RESPONDER_ROLE = "333333333333333333"
MANAGER_ROLE = "444444444444444444"
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

MANAGER = User("500000000000000001", "mara", (MANAGER_ROLE, RESPONDER_ROLE))
RESPONDER = User("500000000000000002", "rory", (RESPONDER_ROLE,))
OUTSIDER = User("500000000000000003", "otto", ())

HOSTILE = (
    "Do NOT buy GlowLab, it gave me a rash and chemical burns @everyone @here "
    "<@123456789012345678> "
    "<@&222222222222222222> get DewDrop instead #deinfluencing"
)


def discord_config(db_path: Path) -> Config:
    return parse_config(
        {
            "brands": [
                {"name": "GlowLab", "aliases": ["GlowLab", "#glowlab"], "competitors": ["DewDrop"]},
                {"name": "AeroCurl", "aliases": ["AeroCurl"]},
            ],
            "routes": [
                {
                    "name": "brand-discord",
                    "platform": "discord",
                    "channel": CHANNEL_ID,
                    "oncall": ONCALL_ROLE,
                    "responders": [RESPONDER_ROLE],
                    "managers": [MANAGER_ROLE],
                    "min_severity": "low",
                }
            ],
            "store": {"url": f"sqlite+aiosqlite:///{db_path}"},
        },
        Environment(discord_bot_token=Secret("fake-token")),
    )


@dataclass
class Stack:
    config: Config
    db: Database
    clock: ManualClock
    ingestor: Ingestor
    deliverer: Deliverer
    service: CommandService
    notifiers: dict[str, ChatNotifier]
    harness: DiscordHarness
    sync_state: Path
    _posts: int = 0

    async def new_alert(
        self,
        text: str = HOSTILE,
        *,
        followers: int = 850_000,
        url: str = "https://www.tiktok.com/@skin.truth/video/1",
    ) -> int:
        """Ingest one risky post through the real pipeline and deliver it; return the alert id."""
        self._posts += 1
        post = Post(
            source="tiktok",
            native_id=f"v{self._posts}",
            text=text,
            created_at=self.clock.now(),
            # one creator per seeded alert: posts by one creator within hours are grouped
            author=Author(
                "skin.truth" if self._posts == 1 else f"skin.truth{self._posts}", followers, True
            ),
            metrics=Metrics(views=2_000_000, likes=90_000),
            url=url,
            lang="en",
            hashtags=("deinfluencing",),
        )
        report = await self.ingestor.ingest("tiktok", [post])
        assert report.alert_ids, report
        await self.deliverer.run_once()
        return report.alert_ids[-1]

    def message_of(self, alert_id: int) -> dict[str, Any]:
        """The stored Discord message that carries this alert's buttons."""
        for message in self.harness.http.messages.get(CHANNEL_ID, {}).values():
            for row in message["components"]:
                for button in row["components"]:
                    if button["custom_id"].endswith(f":{alert_id}"):
                        return message
        raise AssertionError(f"no message for alert {alert_id}")

    async def restart(self) -> DiscordHarness:
        """A new process: a new client and notifier over the same database and channel state."""
        old = self.harness
        client = DeinfluenceClient(service=self.service, sync_state_path=self.sync_state)
        harness = DiscordHarness(client, http=old.http)
        await harness.start()
        self.notifiers["discord"] = DiscordNotifier(client)
        self.harness = harness
        await old.client.close()
        return harness


async def build_stack(tmp_path: Path, database: type[Database] = Database) -> Stack:
    config = discord_config(tmp_path / "deinfluence.db")
    db = database(config.database_url)
    await db.upgrade()
    clock = ManualClock(START)
    notifiers: dict[str, ChatNotifier] = {}
    deliverer = Deliverer(db, notifiers, clock, config.alerts)

    async def refresh() -> None:
        await deliverer.run_once()

    service = CommandService(config, db, clock, on_change=refresh)
    sync_state = tmp_path / "deinfluence.discord-commands.json"
    client = DeinfluenceClient(service=service, sync_state_path=sync_state)
    harness = await DiscordHarness(client).start()
    notifiers["discord"] = DiscordNotifier(client)
    ingestor = Ingestor(
        config, db, BrandMatcher(config.brands), Scorer(config.brands, config.policy), clock
    )
    return Stack(config, db, clock, ingestor, deliverer, service, notifiers, harness, sync_state)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    built = await build_stack(tmp_path)
    yield built
    await built.harness.client.close()
    await built.db.dispose()


async def card_of(stack: Stack) -> AlertCard:
    """A real alert card from the store, without delivering it."""
    post = Post(
        source="tiktok",
        native_id="card",
        text=HOSTILE,
        created_at=stack.clock.now(),
        author=Author("skin.truth", 850_000, True),
        metrics=Metrics(views=2_000_000),
    )
    report = await stack.ingestor.ingest("tiktok", [post])
    async with stack.db.read() as session:
        loaded = await alert_store.load_alert(session, report.alert_ids[-1])
    assert loaded is not None
    return alert_card(*loaded)
