"""`deinfluence backtest`: what would have fired on past posts, on simulated time.

Matcher, scorer and alert policy run exactly as live; chat calls are recorded
instead of sent. This is how a team tunes thresholds before going live.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import post_from_record
from bot.clock import Clock, ManualClock
from bot.config import Config
from bot.matching import BrandMatcher
from bot.models import Post
from bot.pipeline import Pipeline
from bot.ports import MappingError, MessageRef
from bot.progress import progress
from bot.scoring.promotion import DISCLOSED, UNDISCLOSED, kind_of_reason
from bot.scoring.scorer import Scorer
from bot.store.database import Database
from bot.timeutil import parse_iso
from bot.views import AlertCard

AFTERMATH = timedelta(hours=3)


@dataclass(frozen=True)
class Event:
    at: datetime
    event: str  # fired | updated | notice
    channel: str
    card: AlertCard | None
    text: str = ""


@dataclass
class RecordingNotifier:
    """Stands in for every chat platform: keeps what would have been posted, edited or said."""

    platform: str
    clock: Clock
    events: list[Event] = field(default_factory=list)

    async def post(
        self,
        channel: str,
        card: AlertCard,
        *,
        mention: str | None,
        thread: MessageRef | None = None,
    ) -> MessageRef:
        self.events.append(Event(self.clock.now(), "fired", channel, card))
        return MessageRef(self.platform, channel, str(len(self.events)))

    async def reply(self, ref: MessageRef, text: str, *, mention: str | None) -> MessageRef:
        self.events.append(Event(self.clock.now(), "notice", ref.channel, None, text))
        return MessageRef(self.platform, ref.channel, f"n{len(self.events)}", ref.message_id)

    async def update(self, ref: MessageRef, card: AlertCard) -> None:
        self.events.append(Event(self.clock.now(), "updated", ref.channel, card))


def read_posts(path: Path) -> tuple[list[tuple[Any, Post]], list[str]]:
    """Posts with their release times, in time order; bad lines are reported, not fatal."""
    items = []
    problems = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise MappingError("not a JSON object")
            post = post_from_record(record)
            released = (
                parse_iso(record["observed_at"]) if record.get("observed_at") else post.created_at
            )
        except (json.JSONDecodeError, MappingError, ValueError) as error:
            problems.append(f"{path}:{number}: {error}")
            continue
        items.append((released, post))
    items.sort(key=lambda pair: pair[0])
    return items, problems


def _event_json(item: Event) -> dict[str, Any]:
    card = item.card
    if card is None:
        return {
            "event": item.event,
            "at": item.at.isoformat(),
            "channel": item.channel,
            "text": item.text,
        }
    post = card.post
    return {
        "event": item.event,
        "at": item.at.isoformat(),
        "kind": card.kind,
        "alert_id": card.alert_id,
        "status": card.status,
        "brand": card.brand,
        "severity": card.severity.label,
        "score": card.score,
        "channel": item.channel,
        "post_id": post.native_id if post else None,
        "source": post.source if post else None,
        "author": post.author if post else None,
        "reasons": list(card.reasons),
    }


def _event_text(item: Event) -> str:
    when = f"{item.at:%Y-%m-%d %H:%M}"
    card = item.card
    if card is None:
        return f"{when} notice  {item.channel}: {item.text}"
    line = card.post
    who = f"{line.native_id} @{line.author}" if line else card.title
    return (
        f"{when} {item.event:7} #{card.alert_id:<5} {card.kind:11} {card.status:12} "
        f"{card.severity.label:8} {card.brand:12} {who}  {'; '.join(card.reasons[:3])}"
    )


async def run_backtest(
    posts_path: Path, config: Config, *, json_output: bool
) -> tuple[int, list[str]]:
    """Replay the posts on simulated time, evaluating spikes and on-call timers every poll."""
    items, problems = read_posts(posts_path)
    lines: list[str] = [f"skipped {p}" for p in problems] if not json_output else []
    if not items:
        return 1, [*lines, f"{posts_path}: no posts to replay"]
    clock = ManualClock(items[0][0])
    recorders = {p: RecordingNotifier(p, clock) for p in ("console", "slack", "discord")}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'backtest.db'}")
        await db.upgrade()
        pipeline = Pipeline(
            config,
            db,
            clock,
            BrandMatcher(config.brands),
            Scorer(config.brands, config.policy),
            {},
            dict(recorders),
        )
        step = config.spikes.fast_window
        next_check = items[0][0]
        with progress("backtest", len(items)) as bar:
            for released, post in items:
                while next_check <= released:  # the polls that happened before this post
                    clock.set(next_check)
                    await pipeline.tick()
                    next_check += step
                clock.set(released)
                await pipeline.ingestor.ingest("backtest", [post])
                await pipeline.deliver()
                bar.advance()
        end = clock.now() + AFTERMATH  # let open spikes escalate or resolve on screen
        while next_check <= end:
            clock.set(next_check)
            await pipeline.tick()
            next_check += step
        await db.dispose()
    events = sorted((e for r in recorders.values() for e in r.events), key=lambda e: e.at)
    latest: dict[int, AlertCard] = {}
    for item in events:
        if item.card is not None:
            latest[item.card.alert_id] = item.card
        lines.append(
            json.dumps(_event_json(item), ensure_ascii=False) if json_output else _event_text(item)
        )
    posts_alerts = [c for c in latest.values() if c.kind == "mention"]
    spikes = [c for c in latest.values() if c.kind == "spike"]
    opportunities = [c for c in latest.values() if c.kind == "opportunity"]
    promotions = Counter(
        kind
        for card in posts_alerts
        for reason in card.reasons
        if (kind := kind_of_reason(reason)) is not None
    )
    counts = Counter(card.severity.label for card in posts_alerts)
    by_severity = {s: counts.get(s, 0) for s in ("critical", "high", "medium", "low")}
    summary = {
        "posts": len(items),
        "skipped": len(problems),
        "alerts": len(posts_alerts),
        "by_severity": by_severity,
        "spikes": len(spikes),
        "spikes_resolved": sum(1 for c in spikes if c.status == "resolved"),
        "escalations": sum(1 for e in events if e.event == "notice"),
        "opportunities": len(opportunities),
        "promotion_flags": {kind: promotions.get(kind, 0) for kind in (UNDISCLOSED, DISCLOSED)},
    }
    if json_output:
        lines.append(json.dumps({"summary": summary}))
    else:
        lines.append(
            f"{len(items)} posts replayed, {len(posts_alerts)} post alerts: "
            + ", ".join(f"{n} {s}" for s, n in by_severity.items())
            + f"; {len(spikes)} spikes ({summary['spikes_resolved']} resolved), "
            f"{summary['escalations']} escalation notices; "
            f"{len(opportunities)} opportunities; promotion flags: "
            f"{promotions.get(UNDISCLOSED, 0)} possibly undisclosed, "
            f"{promotions.get(DISCLOSED, 0)} disclosed"
        )
    return 0, lines
