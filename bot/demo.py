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
from bot.clock import ScaledClock
from bot.config import Environment, parse_config
from bot.permissions import Actor
from bot.progress import progress
from bot.scheduler import build_scheduler
from bot.store.sources import get_cursor
from bot.timeutil import parse_iso

DEMO_SECONDS = 20.0
DEMO_SOURCE = "demo"


def demo_config_data() -> dict[str, object]:
    return tomllib.loads(
        resources.files("bot.data").joinpath("demo.toml").read_text(encoding="utf-8")
    )


def _span(path: Path) -> tuple[datetime, datetime]:
    times = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            times.append(parse_iso(record.get("observed_at") or record["created_at"]))
    return min(times), max(times)


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
    first, last = _span(resolve_path(str(source_cfg.options["path"])))
    span = (last - first).total_seconds()
    clock = ScaledClock(first - timedelta(minutes=1), speed=max(span / seconds, 1.0))
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
            while True:
                await asyncio.sleep(0.25)
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
