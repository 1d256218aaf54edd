"""Metrics move where things happen (polls, posted alerts, commands) and mirror the store."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from adapters.sources.replay import ReplaySource
from bot.clock import ManualClock
from bot.commands import grammar as g
from bot.commands.service import CommandService
from bot.metrics import SKIPPED_FOR_BACKOFF, Metrics
from bot.models import Severity
from bot.permissions import Actor
from bot.ports import SourcePage, SourceRateLimited
from bot.store.database import Database
from bot.store.tables import AlertRow
from tests.core.helpers import RASH, DeliveryError, RecordingChat, config, pipeline, post


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(f"deinfluence_{name}", labels)
    return 0.0 if found is None else found


def _replay(path: Path, count: int) -> None:
    lines = [
        {
            "id": f"r{i}",
            "text": f"post {i} about nothing much",
            "author": {"handle": f"a{i}", "followers": 10},
            "created_at": "2026-11-02T10:00:00+00:00",
        }
        for i in range(count)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


class LimitedSource:
    name = "limited"

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        raise SourceRateLimited("429 from the API")

    async def aclose(self) -> None:
        return None


async def test_a_poll_counts_the_poll_and_the_posts(
    db: Database, clock: ManualClock, tmp_path: Path
) -> None:
    _replay(tmp_path / "posts.jsonl", 3)
    pipe = pipeline(config(), db, clock, RecordingChat())
    await pipe.poller.poll(ReplaySource("replay", tmp_path / "posts.jsonl", clock), 5)
    metrics = pipe.metrics
    assert value(metrics, "polls_total", source="replay", state="ok") == 1
    assert value(metrics, "posts_fetched_total", source="replay") == 3


async def test_a_failing_source_counts_an_error_then_a_skipped_poll_and_backs_off(
    db: Database, clock: ManualClock
) -> None:
    pipe = pipeline(config(), db, clock, RecordingChat())
    await pipe.poller.poll(LimitedSource(), 3)
    await pipe.poller.poll(LimitedSource(), 3)
    metrics = pipe.metrics
    state = SourceRateLimited.state
    assert value(metrics, "source_errors_total", source="limited", state=state) == 1
    assert value(metrics, "polls_total", source="limited", state=state) == 1
    assert value(metrics, "polls_total", source="limited", state=SKIPPED_FOR_BACKOFF) == 1
    await metrics.refresh(db, clock)
    assert value(metrics, "source_backoff", source="limited") == 1


async def test_a_posted_alert_counts_by_kind_and_severity_and_an_edit_does_not(
    db: Database, clock: ManualClock
) -> None:
    pipe = pipeline(config(), db, clock, RecordingChat())
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500, views=1000)])
    await pipe.deliver()
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500, views=2_000_000)])
    await pipe.deliver()  # the same alert, edited to critical
    metrics = pipe.metrics
    assert value(metrics, "alerts_posted_total", kind="mention", severity="high") == 1
    assert value(metrics, "alerts_posted_total", kind="mention", severity="critical") == 0


async def test_command_latency_is_observed_per_command(db: Database, clock: ManualClock) -> None:
    metrics = Metrics()
    service = CommandService(config(), db, clock, metrics=metrics)
    await service.execute(g.Help(), Actor("slack", "U1", channel="C1"))
    await service.execute(g.Help(), Actor("slack", "U1", channel="C1"))
    assert value(metrics, "command_latency_seconds_count", command="Help") == 2
    assert value(metrics, "command_latency_seconds_sum", command="Help") > 0


async def test_gauges_mirror_the_store(db: Database, clock: ManualClock) -> None:
    chat = RecordingChat(fail_with=DeliveryError("channel_not_found"))
    pipe = pipeline(config(), db, clock, chat)
    await pipe.ingestor.ingest("src", [post("p1", RASH, followers=500, views=1000)], quota_left=42)
    await pipe.deliver()
    now = clock.now()
    async with db.transaction() as session:
        for i, status in enumerate(["open", "escalated", "escalated", "resolved"]):
            session.add(
                AlertRow(
                    dedup_key=f"spike:{i}",
                    kind="spike",
                    brand="GlowLab",
                    severity=3,
                    score=80,
                    status=status,
                    title="a wave",
                    created_at=now,
                    updated_at=now,
                )
            )
    metrics = pipe.metrics
    metrics.set_leader(True)
    assert await metrics.refresh(db, clock)
    assert value(metrics, "undelivered_alerts") == 1
    assert value(metrics, "spike_states", state="open") == 1
    assert value(metrics, "spike_states", state="escalated") == 2
    assert value(metrics, "spike_states", state="acknowledged") == 0
    assert value(metrics, "source_quota_left", source="src") == 42
    assert value(metrics, "source_backoff", source="src") == 0
    assert value(metrics, "scheduler_leader") == 1
    assert value(metrics, "store_up") == 1


async def test_a_store_that_cannot_be_read_reports_store_up_zero(clock: ManualClock) -> None:
    metrics = Metrics()
    broken = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert not await metrics.refresh(broken, clock)
    assert value(metrics, "store_up") == 0
    await broken.dispose()


def test_the_text_names_every_metric_with_its_labels() -> None:
    metrics = Metrics()
    metrics.poll_finished("tiktok", "ok", 4, error=False)
    metrics.alert_posted("spike", Severity.CRITICAL)
    text = metrics.render().decode()
    for line in (
        'deinfluence_polls_total{source="tiktok",state="ok"} 1.0',
        'deinfluence_posts_fetched_total{source="tiktok"} 4.0',
        'deinfluence_alerts_posted_total{kind="spike",severity="critical"} 1.0',
        "deinfluence_undelivered_alerts 0.0",
        "deinfluence_scheduler_leader 0.0",
    ):
        assert line in text
    for name in (
        "deinfluence_source_errors_total",
        "deinfluence_command_latency_seconds",
        "deinfluence_spike_states",
        "deinfluence_source_backoff",
        "deinfluence_source_quota_left",
    ):
        assert f"# TYPE {name}" in text


def test_two_apps_in_one_process_do_not_share_metrics() -> None:
    one, two = Metrics(), Metrics()
    one.poll_finished("tiktok", "ok", 1, error=False)
    assert value(two, "polls_total", source="tiktok", state="ok") == 0
