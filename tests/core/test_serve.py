"""`deinfluence run` wiring, end to end on localhost: HTTP server, Slack in HTTP mode against the
fake Web API, a replay source on the scheduler, and the signed webhook ingest."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from adapters.sources.webhook import sign as sign_webhook
from bot.app import build_app, serve
from bot.config import Environment, parse_config
from bot.permissions import Actor
from tests.fakes.slack_api import FakeSlack

SIGNING = "0123456789abcdef0123456789abcdef"
WEBHOOK_SECRET = "webhook-shared-secret"
RASH = "GlowLab serum gave me a rash and burns, do not buy it #deinfluencing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def replay_line(i: int) -> str:
    return json.dumps(
        {
            "id": f"r{i}",
            "source": "tiktok",
            "lang": "en",
            "text": RASH,
            "created_at": "2026-01-01T10:00:00Z",
            "author": {"handle": f"creator{i}", "followers": 50_000, "verified": False},
            "metrics": {"views": 90_000, "likes": 10, "comments": 1, "shares": 1},
        }
    )


def slack_command(text: str) -> tuple[str, dict[str, str]]:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "t",
            "channel_id": "C0ALERTS1",
            "channel_name": "alerts",
            "user_id": "U0LEAD01",
            "user_name": "lead",
            "command": "/deinfluence",
            "text": text,
            "api_app_id": "A1",
            "response_url": "",
            "trigger_id": "1.2.3",
        }
    )
    ts = str(int(time.time()))
    signature = SignatureVerifier(SIGNING).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only when no timestamp is given
    headers = {
        "x-slack-request-timestamp": ts,
        "x-slack-signature": signature,
        "content-type": "application/x-www-form-urlencoded",
    }
    return body, headers


async def test_run_serves_slack_polls_and_accepts_webhooks(tmp_path: Path) -> None:
    fake = await FakeSlack().start()
    posts = tmp_path / "posts.jsonl"
    posts.write_text(replay_line(1) + "\n")
    port = free_port()
    env = Environment.from_mapping(
        {
            "SLACK_BOT_TOKEN": "xoxb-1234-5678-serve",
            "SLACK_SIGNING_SECRET": SIGNING,
            "SLACK_API_URL": fake.url,
            "DEINFLUENCE_HTTP_PORT": str(port),
            "WEBHOOK_VENDOR_SECRET": WEBHOOK_SECRET,
        }
    )
    config = parse_config(
        {
            "brands": [{"name": "GlowLab", "aliases": ["GlowLab"]}],
            "sources": [
                {
                    "name": "history",
                    "type": "replay",
                    "interval": "1s",
                    "options": {"path": str(posts)},
                },
                {"name": "vendor", "type": "webhook", "options": {"platform": "tiktok"}},
            ],
            "routes": [
                {
                    "name": "team",
                    "platform": "slack",
                    "channel": "C0ALERTS1",
                    "min_severity": "medium",
                    "managers": ["U0LEAD01"],
                }
            ],
            "store": {"url": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"},
        },
        env,
    )
    app = await build_app(config, chat_platforms=True)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            for _ in range(100):
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.05)
            # the scheduler polled the replay source and the alert reached Slack
            await fake.wait_for(lambda f: len(f.succeeded("chat.postMessage")) == 1, within=10)

            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["chat"] == {"slack": True}
            metrics = (await client.get("/metrics")).text
            assert 'deinfluence_polls_total{source="history",state="ok"}' in metrics
            assert 'deinfluence_alerts_posted_total{kind="mention",severity=' in metrics
            assert "deinfluence_scheduler_leader 1.0" in metrics

            # a signed push through the webhook is stored and alerts once, even when replayed
            payload: dict[str, Any] = {
                "delivery_id": "d-1",
                "posts": [
                    {
                        "id": "w1",
                        "text": RASH,
                        "created_at": "2026-01-01T11:00:00Z",
                        "author": {"handle": "pushed", "followers": 60_000, "verified": False},
                        "metrics": {"views": 100_000, "likes": 1, "comments": 1, "shares": 1},
                    }
                ],
            }
            raw = json.dumps(payload).encode()
            stamp = str(int(time.time()))
            headers = {
                "X-Deinfluence-Timestamp": stamp,
                "X-Deinfluence-Signature": sign_webhook(WEBHOOK_SECRET, stamp, raw),
                "Content-Type": "application/json",
            }
            first = await client.post("/ingest/vendor", content=raw, headers=headers)
            again = await client.post("/ingest/vendor", content=raw, headers=headers)
            forged = await client.post(
                "/ingest/vendor",
                content=raw,
                headers={**headers, "X-Deinfluence-Signature": "v1=" + "0" * 64},
            )
            assert first.status_code == 200, first.text
            assert again.json()["status"] == "duplicate"
            assert forged.status_code == 401
            await fake.wait_for(lambda f: len(f.succeeded("chat.postMessage")) == 2, within=10)

            # a signed slash command over the real endpoint reaches the core
            body, slack_headers = slack_command("mute GlowLab 1h noisy")
            answer = await client.post("/slack/events", content=body, headers=slack_headers)
            assert answer.status_code == 200
            tampered = await client.post("/slack/events", content=body + "x", headers=slack_headers)
            assert tampered.status_code == 401
        for _ in range(100):
            status = await app.service.run_text("mutes", Actor("cli", "test"))
            if "brand=GlowLab" in status.text:
                break
            await asyncio.sleep(0.05)
        assert "brand=GlowLab" in status.text
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await fake.stop()
    assert len(fake.succeeded("chat.postMessage")) == 2
