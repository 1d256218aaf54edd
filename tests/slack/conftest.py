"""The real core (SQLite store, CommandService, Deliverer) wired to the Slack adapter,
which talks to the fake Slack Web API on localhost. Requests into Bolt are signed
with the SDK's own signature code; verification is never switched off."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select

from adapters.chat.slack import ids
from adapters.chat.slack.runtime import SlackRuntime, build_slack
from bot.clock import ManualClock
from bot.commands.service import CommandService
from bot.config import Config, Environment, parse_config
from bot.delivery import Deliverer
from bot.ingest import Ingestor
from bot.matching import BrandMatcher
from bot.models import Author, Metrics, Post
from bot.scoring.scorer import Scorer
from bot.store.database import Database
from bot.store.tables import AlertRow, AuditRow
from bot.views import Action
from tests.fakes.slack_api import FakeSlack

NOW = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)
SIGNING_SECRET = "8f742231b10e8888abcd99ab12cd85a5"
BOT_TOKEN = "xoxb-1234-5678-testtoken"
CHANNEL = "C0ALERTS1"
ONCALL_GROUP = "S0ONCALL1"
RESPONDER = "U0RESP001"
MANAGER = "U0MGR0001"
STRANGER = "U0OTHER01"

HOSTILE = (
    "Don't buy GlowLab serum, it broke me out and is a total waste of money. "
    "Get CeraVe instead <!channel> <!here> <@U123> <https://evil|x> & more #deinfluencing"
)


def slack_config(tmp_path: Path, **route: Any) -> Config:
    env = Environment.from_mapping(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    )
    route_data = {
        "name": "glowlab-slack",
        "platform": "slack",
        "channel": CHANNEL,
        "oncall": ONCALL_GROUP,
        "responders": [RESPONDER, ONCALL_GROUP],
        "managers": [MANAGER],
        **route,
    }
    return parse_config(
        {
            "brands": [
                {"name": "GlowLab", "aliases": ["GlowLab", "#glowlab"], "competitors": ["CeraVe"]}
            ],
            "routes": [route_data],
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path}/slack.db"},
        },
        env,
    )


@dataclass
class FakeTime:
    """monotonic() and sleep() for the pacer and the 429 handler: waits are recorded, not slept."""

    now: float = 1000.0
    waits: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def sign(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """Headers Slack would send, built with the SDK's own signature code."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = str(SignatureVerifier(secret).generate_signature(timestamp=ts, body=body))
    return {
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
        "content-type": "application/x-www-form-urlencoded",
    }


def command_body(text: str, *, user: str, channel: str, response_url: str) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0TEAM01",
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "alerts",
            "user_id": user,
            "user_name": f"name-{user}",
            "command": ids.SLASH_COMMAND,
            "text": text,
            "api_app_id": "A0APP0001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
    )


def action_body(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str,
    response_url: str,
    message_ts: str = "1700000000.000001",
) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM01", "domain": "test"},
        "user": {"id": user, "username": f"name-{user}", "team_id": "T0TEAM01"},
        "api_app_id": "A0APP0001",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel, "name": "alerts"},
        "message": {"ts": message_ts, "text": "alert"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": ids.ACTIONS_BLOCK,
                "value": value,
                "action_ts": "1700000002.000001",
                "text": {"type": "plain_text", "text": "x"},
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


@dataclass
class Harness:
    config: Config
    db: Database
    clock: ManualClock
    service: CommandService
    deliverer: Deliverer
    ingestor: Ingestor
    runtime: SlackRuntime
    fake: FakeSlack
    time: FakeTime
    _responses: int = 0
    _posts: int = 0

    async def dispatch(self, body: str, headers: dict[str, str] | None = None) -> BoltResponse:
        chosen: dict[str, str | Sequence[str]] = dict(
            headers if headers is not None else sign(body)
        )
        request = AsyncBoltRequest(body=body, headers=chosen)
        return await self.runtime.app.async_dispatch(request)

    async def slash(
        self, text: str, *, user: str = RESPONDER, channel: str = CHANNEL
    ) -> list[dict[str, Any]]:
        """Run `/deinfluence text`; return the replies sent to its response_url."""
        before = len(self.fake.of("respond"))
        body = command_body(
            text, user=user, channel=channel, response_url=self.fake.response_url("cmd")
        )
        response = await self.dispatch(body)
        assert response.status == 200, response.body
        await self.fake.wait_for(lambda f: len(f.of("respond")) > before)
        await self.runtime_idle()
        return [c.args for c in self.fake.of("respond")[before:]]

    async def click(
        self, action: Action, alert_id: int, *, user: str = RESPONDER, channel: str = CHANNEL
    ) -> dict[str, Any]:
        before = len(self.fake.of("respond"))
        body = action_body(
            ids.action_id(action),
            ids.button_value(alert_id),
            user=user,
            channel=channel,
            response_url=self.fake.response_url("btn"),
        )
        response = await self.dispatch(body)
        assert response.status == 200, response.body
        await self.fake.wait_for(lambda f: len(f.of("respond")) > before)
        return self.fake.of("respond")[before].args

    async def dispatch_and_wait_for_upload(self, text: str) -> None:
        """A public command whose listener ends by uploading a chart."""
        body = command_body(
            text, user=RESPONDER, channel=CHANNEL, response_url=self.fake.response_url("cmd")
        )
        response = await self.dispatch(body)
        assert response.status == 200, response.body
        await self.fake.wait_for(lambda f: bool(f.of("files.completeUploadExternal")))

    async def runtime_idle(self) -> None:
        """Let listener tasks that already replied finish their last awaits."""
        for _ in range(5):
            await asyncio.sleep(0)

    async def add_alert(
        self,
        text: str = HOSTILE,
        *,
        native_id: str = "p1",
        followers: int = 1_200_000,
        deliver: bool = True,
    ) -> int:
        self._posts += 1
        post = Post(
            source="tiktok",
            native_id=native_id,
            text=text,
            created_at=self.clock.now(),
            # one creator per seeded alert: posts by one creator within hours are grouped
            author=Author(
                "beautybyjo" if self._posts == 1 else f"beautybyjo{self._posts}", followers, True
            ),
            metrics=Metrics(views=followers * 3, likes=12_000),
            url=f"https://www.tiktok.com/@beautybyjo/video/{native_id}",
            lang="en",
        )
        report = await self.ingestor.ingest_once("tiktok", f"k{self._posts}", [post])
        assert report is not None
        assert report.alert_ids, report
        if deliver:
            await self.deliverer.run_once()
        return report.alert_ids[-1]

    async def alert(self, alert_id: int) -> AlertRow:
        async with self.db.read() as session:
            row = await session.get(AlertRow, alert_id)
            assert row is not None
            return row

    async def audit(self) -> list[AuditRow]:
        async with self.db.read() as session:
            return list(await session.scalars(select(AuditRow).order_by(AuditRow.id)))


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    server = await FakeSlack().start()
    yield server
    await server.stop()


async def make_harness(
    tmp_path: Path, fake: FakeSlack, config: Config | None = None, db: Database | None = None
) -> Harness:
    config = config or slack_config(tmp_path)
    db = db or Database(config.database_url)
    await db.upgrade()
    clock = ManualClock(NOW)
    fake_time = FakeTime()
    fake.usergroups.setdefault(ONCALL_GROUP, ["U0ONCALL1"])
    holder: dict[str, Deliverer] = {}

    async def refresh() -> None:
        await holder["deliverer"].run_once()

    service = CommandService(config, db, clock, on_change=refresh)
    runtime = build_slack(
        config,
        service,
        client_base_url=fake.url,
        sleep=fake_time.sleep,
        monotonic=fake_time.monotonic,
    )
    deliverer = Deliverer(db, {"slack": runtime.notifier}, clock, config.alerts)
    holder["deliverer"] = deliverer
    ingestor = Ingestor(
        config, db, BrandMatcher(config.brands), Scorer(config.brands, config.policy), clock
    )
    return Harness(config, db, clock, service, deliverer, ingestor, runtime, fake, fake_time)


@pytest.fixture
async def harness(tmp_path: Path, fake: FakeSlack) -> AsyncIterator[Harness]:
    built = await make_harness(tmp_path, fake)
    yield built
    await built.runtime.stop()
    await built.db.dispose()
