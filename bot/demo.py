"""`deinfluence demo`: the whole pipeline on the bundled data set, time compressed.

scheduler → replay source → matcher → scorer → alert policy → console chat,
then a summary; with a terminal attached it stays open for typed commands.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tomllib
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.text import Text

from bot.app import ReplaySource, build_app, repl, resolve_path, show_result, stop_scheduler
from bot.clock import Clock, PacedClock, ScaledClock
from bot.config import Environment, parse_config
from bot.permissions import Actor
from bot.progress import progress
from bot.scheduler import build_scheduler
from bot.store.sources import get_cursor
from bot.timeutil import parse_iso

DEMO_SECONDS = 30.0
WAVE_SECONDS = 12.0
DEMO_SOURCE = "demo"


def demo_config_data() -> dict[str, object]:
    return tomllib.loads(
        resources.files("bot.data").joinpath("demo.toml").read_text(encoding="utf-8")
    )


def _span(path: Path) -> tuple[datetime, datetime, list[datetime]]:
    """First and last release time, and the times of the bundled wave (ids `wave-…`)."""
    times = []
    wave = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            at = parse_iso(record.get("observed_at") or record["created_at"])
            times.append(at)
            if str(record.get("id", "")).startswith("wave-"):
                wave.append(at)
    return min(times), max(times), wave


def demo_clock(first: datetime, last: datetime, wave: list[datetime], seconds: float) -> Clock:
    """Days pass in seconds, but the wave plays at a pace where polls, spike detection and
    escalation (minutes apart in real life) can be watched: about WAVE_SECONDS for it."""
    start = first - timedelta(minutes=1)
    if not wave:
        return ScaledClock(start, speed=max((last - first).total_seconds() / seconds, 1.0))
    slow_from, slow_until = min(wave) - timedelta(minutes=10), max(wave) + timedelta(minutes=80)
    slow = (slow_until - slow_from).total_seconds() / WAVE_SECONDS
    fast_span = (last - first).total_seconds() - (slow_until - slow_from).total_seconds()
    fast = max(fast_span / max(seconds - WAVE_SECONDS, 1.0), slow)
    return PacedClock(start, [(slow_from, fast), (slow_until, slow)], last=fast)


def _fresh_db_path(out_dir: Path) -> Path:
    """Every demo starts from an empty database."""
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = out_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    return db_path


async def run_demo(
    out_dir: Path,
    *,
    interactive: bool | None = None,
    seconds: float = DEMO_SECONDS,
    console: Console | None = None,
) -> int:
    console = console or Console(highlight=False)
    # Skipped overlapping polls are expected at this speed; real errors still show.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    db_path = await asyncio.to_thread(_fresh_db_path, out_dir)
    data = demo_config_data()
    data["store"] = {"url": f"sqlite+aiosqlite:///{db_path}"}
    config = parse_config(data, Environment())
    source_cfg = next(s for s in config.sources if s.name == DEMO_SOURCE)
    first, last, wave = _span(resolve_path(str(source_cfg.options["path"])))
    span = (last - first).total_seconds()
    clock = demo_clock(first, last, wave, seconds)
    app = await build_app(config, clock=clock, console=console)
    source = app.sources[DEMO_SOURCE]
    assert isinstance(source, ReplaySource)
    console.rule(
        Text(
            f"deinfluence demo: {source.total} posts over {span / 86400:.1f} days, "
            f"replayed in ~{seconds:.0f}s"
        )
    )
    scheduler = build_scheduler(app.jobs())
    scheduler.start()
    try:
        with progress("replaying posts", source.total, console) as bar:
            done = 0
            ticks = 0
            while True:
                await asyncio.sleep(0.25)
                ticks += 1
                if ticks % 4 == 0:
                    # On-call timers run every 20 real seconds in production; in compressed
                    # time the demo ticks them each second so escalations show on screen.
                    await app.pipeline.tick()
                async with app.db.read() as session:
                    offset = int((await get_cursor(session, DEMO_SOURCE) or {}).get("offset", 0))
                bar.advance(offset - done)
                done = offset
                if source.exhausted({"offset": offset}):
                    break
    finally:
        await stop_scheduler(scheduler, app)
    await app.pipeline.deliver()
    console.rule("summary of the replayed days")
    actor = Actor(platform="console", user_id="operator")
    result = await app.service.run_text("summary all 4d", actor)
    show_result(console, result, out_dir)
    status = await app.service.run_text("status", actor)
    show_result(console, status, None)
    if interactive is None:
        interactive = sys.stdin.isatty()
    if interactive:
        await repl(app.service, console, out_dir)
    await app.close()
    return 0
