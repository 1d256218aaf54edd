"""No duplicates, no loss, proved with real processes: two `deinfluence run` replicas on one
PostgreSQL database, a replay source and the fake Slack Web API. The leader is killed with
SIGKILL in the middle of a chat call, and the next leader in the middle of a poll walk; the
survivors take over within the failover window, every post is stored and every alert is
posted exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.leader import asyncpg_dsn, current_leader
from tests.conftest import PG_URL, need_postgres
from tests.fakes.slack_api import FakeSlack

POSTS = 24
FAILOVER = 30.0  # seconds the issue allows for a survivor to take over
CHANNEL = "C0FAILOVER"
TEXT = "GlowLab serum gave me a rash and burns, do not buy it #deinfluencing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A database of its own: advisory locks and the schema belong to this test alone."""
    await need_postgres()
    import asyncpg  # type: ignore[import-untyped]

    name = f"deinfluence_failover_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = PG_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(PG_URL))
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await admin.close()


def write_files(tmp_path: Path) -> Path:
    start = datetime.now(UTC) - timedelta(hours=1)
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"p{i}",
                    "source": "tiktok",
                    "lang": "en",
                    "text": TEXT,
                    "created_at": (start + timedelta(seconds=i)).isoformat(),
                    "author": {"handle": f"creator{i}", "followers": 500, "verified": False},
                    "metrics": {"views": 1000, "likes": 5, "comments": 1, "shares": 0},
                }
            )
            + "\n"
            for i in range(POSTS)
        )
    )
    config = tmp_path / "deinfluence.toml"
    config.write_text(f"""
[[brands]]
name = "GlowLab"
aliases = ["GlowLab"]

[[sources]]
name = "history"
type = "replay"
interval = "1s"
jitter = "0s"
page_budget = 2
options = {{ path = "{posts}", page_size = 2 }}

[[routes]]
name = "team"
platform = "slack"
channel = "{CHANNEL}"
min_severity = "medium"
digest = ""

[spikes]
min_count = 1000
""")
    return config


class Replica:
    def __init__(self, name: str, config: Path, url: str, fake: FakeSlack, logs: Path) -> None:
        env = {
            **os.environ,
            "HOSTNAME": name,
            "DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-1111-2222-failover",
            "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
            "SLACK_API_URL": fake.url,
            "DEINFLUENCE_HTTP_PORT": str(free_port()),
        }
        env.pop("SLACK_APP_TOKEN", None)
        self.name = name
        self.log = (logs / f"{name}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


async def wait_until(check: object, within: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if await check():  # type: ignore[operator]
            return time.monotonic() - started
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {within}s waiting for {what}")


async def count(url: str, sql: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return int(await conn.fetchval(sql) or 0)
    except asyncpg.UndefinedTableError:
        return 0
    finally:
        await conn.close()


@pytest.mark.slow
async def test_killing_leaders_loses_nothing_and_posts_each_alert_once(
    database: str, tmp_path: Path
) -> None:
    fake = await FakeSlack().start()
    config = write_files(tmp_path)
    replicas: list[Replica] = []

    def start(name: str) -> Replica:
        replica = Replica(name, config, database, fake, tmp_path)
        replicas.append(replica)
        return replica

    async def leader_is(name: str) -> bool:
        try:
            return await current_leader(database) == name
        except Exception:
            return False

    try:
        # The first leader's next chat call takes effect in Slack, but the answer never comes
        # back: it is killed in the middle of the call.
        gate = fake.hold_answer("chat.postMessage")
        a = start("replica-a")
        await wait_until(lambda: leader_is("replica-a"), 60, "replica-a to lead")
        b = start("replica-b")

        async def called() -> bool:
            return bool(fake.of("chat.postMessage"))

        await wait_until(called, 60, "replica-a to call chat.postMessage")
        a.kill()
        took = await wait_until(lambda: leader_is("replica-b"), FAILOVER, "replica-b to take over")
        gate.set()
        assert took <= FAILOVER

        # The second leader is killed in the middle of its poll walk.
        stored = await count(database, "SELECT count(*) FROM posts")
        await wait_until(lambda: _more(database, stored), 60, "replica-b to store more posts")
        b.kill()
        start("replica-c")
        await wait_until(lambda: leader_is("replica-c"), FAILOVER, "replica-c to take over")

        async def finished() -> bool:
            posts = await count(database, "SELECT count(*) FROM posts")
            pending = await count(
                database, "SELECT count(*) FROM deliveries WHERE state <> 'delivered'"
            )
            return posts == POSTS and pending == 0 and len(_posted(fake)) >= POSTS

        await wait_until(finished, 120, "every post stored and every alert delivered")
    finally:
        for replica in replicas:
            replica.stop()
        await fake.stop()

    assert await count(database, "SELECT count(DISTINCT native_id) FROM posts") == POSTS
    ids = await alert_ids(database)
    assert len(ids) == POSTS  # one risky post each, by distinct creators: one alert each
    per_alert = Counter(_posted(fake))
    # Ids, not 1..N: a transaction killed with its leader still consumed sequence values.
    assert sorted(per_alert) == ids
    assert set(per_alert.values()) == {1}, f"posted more than once: {per_alert}"


async def alert_ids(url: str) -> list[int]:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await conn.fetch("SELECT id FROM alerts WHERE kind = 'mention' ORDER BY id")
    finally:
        await conn.close()
    return [int(r["id"]) for r in rows]


async def _more(url: str, than: int) -> bool:
    return await count(url, "SELECT count(*) FROM posts") > than


def _posted(fake: FakeSlack) -> list[int]:
    """Alert ids of the messages Slack holds (each message carries its alert id)."""
    ids = []
    for message in fake.messages.values():
        payload = (message.metadata or {}).get("event_payload") or {}
        if message.thread_ts is None and "alert_id" in payload:
            ids.append(int(payload["alert_id"]))
    return ids
