"""`deinfluence backtest`: what would have fired on past posts, on simulated time.

Matcher, scorer and alert policy run exactly as live; chat calls are recorded
instead of sent. This is how a team tunes thresholds before going live.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.app import post_from_record
from bot.clock import ManualClock
from bot.config import Config
from bot.delivery import Deliverer
from bot.ingest import Ingestor
from bot.matching import BrandMatcher
from bot.models import Post
from bot.ports import MappingError, MessageRef
from bot.progress import progress
from bot.scoring.scorer import Scorer
from bot.store.database import Database
from bot.timeutil import parse_iso
from bot.views import AlertCard


@dataclass
class RecordingNotifier:
    """Stands in for every chat platform: keeps what would have been posted or edited."""

    platform: str
    events: list[tuple[str, str, AlertCard]] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)

    async def post(
        self,
        channel: str,
        card: AlertCard,
        *,
        mention: str | None,
        thread: MessageRef | None = None,
    ) -> MessageRef:
        self.events.append(("fired", channel, card))
        return MessageRef(self.platform, channel, str(len(self.events)))

    async def reply(self, ref: MessageRef, text: str, *, mention: str | None) -> MessageRef:
        self.notices.append((ref.channel, text))
        return MessageRef(self.platform, ref.channel, f"n{len(self.notices)}", ref.message_id)

    async def update(self, ref: MessageRef, card: AlertCard) -> None:
        self.events.append(("updated", ref.channel, card))


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


def _event_json(event: str, channel: str, card: AlertCard) -> dict[str, Any]:
    post = card.post
    return {
        "event": event,
        "kind": card.kind,
        "alert_id": card.alert_id,
        "brand": card.brand,
        "severity": card.severity.label,
        "score": card.score,
        "channel": channel,
        "post_id": post.native_id if post else None,
        "source": post.source if post else None,
        "author": post.author if post else None,
        "reasons": list(card.reasons),
    }


async def run_backtest(
    posts_path: Path, config: Config, *, json_output: bool
) -> tuple[int, list[str]]:
    items, problems = read_posts(posts_path)
    lines: list[str] = [f"skipped {p}" for p in problems] if not json_output else []
    if not items:
        return 1, [*lines, f"{posts_path}: no posts to replay"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'backtest.db'}")
        await db.upgrade()
        clock = ManualClock(items[0][0])
        ingestor = Ingestor(
            config, db, BrandMatcher(config.brands), Scorer(config.brands, config.policy), clock
        )
        recorders = {p: RecordingNotifier(p) for p in ("console", "slack", "discord")}
        deliverer = Deliverer(db, dict(recorders), clock, config.alerts)
        with progress("backtest", len(items)) as bar:
            for released, post in items:
                clock.set(released)
                await ingestor.ingest("backtest", [post])
                await deliverer.run_once()
                bar.advance()
        await db.dispose()
    events = sorted((e for r in recorders.values() for e in r.events), key=lambda e: e[2].alert_id)
    fired: dict[int, AlertCard] = {}
    for event, channel, card in events:
        if event == "fired" or card.alert_id in fired:
            fired[card.alert_id] = card
        if json_output:
            lines.append(json.dumps(_event_json(event, channel, card), ensure_ascii=False))
        else:
            line = card.post
            lines.append(
                f"{event:7} #{card.alert_id:<5} {card.severity.label:8} {card.score:3} "
                f"{card.brand:12} {line.native_id if line else '-':14} "
                f"@{line.author if line else '-'}"
                f"  {'; '.join(card.reasons)}"
            )
    counts = Counter(card.severity.label for card in fired.values())
    by_severity = {s: counts.get(s, 0) for s in ("critical", "high", "medium", "low")}
    summary = {
        "posts": len(items),
        "skipped": len(problems),
        "alerts": len(fired),
        "by_severity": by_severity,
    }
    if json_output:
        lines.append(json.dumps({"summary": summary}))
    else:
        lines.append(
            f"{len(items)} posts replayed, {len(fired)} alerts: "
            + ", ".join(f"{n} {s}" for s, n in by_severity.items())
        )
    return 0, lines
