"""Pipeline throughput: ingest → match → score → store → alert decision on SQLite.

Compared with the bare floor: parsing the same JSON and inserting the same
rows with no logic, through the same async SQLAlchemy engine, in the same page
size. Each variant runs in its own process so peak memory (max RSS) is its own.

    python -m bench.bench_pipeline [--posts 100000] [--page 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "bot" / "data" / "demo_posts.jsonl"


def make_lines(count: int) -> list[str]:
    """`count` distinct posts cycled from the bundled sample, spread over 30 days."""
    base = [
        json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    base = [r for r in base if "observed_at" not in r]
    start = datetime(2026, 10, 1, tzinfo=UTC)
    step = timedelta(days=30) / count
    lines = []
    for i in range(count):
        row = dict(base[i % len(base)])
        row["id"] = f"bench-{i}"
        # distinct creators: a cycled author would be grouped into one alert per 6 hours
        row["author"] = {**row["author"], "handle": f"{row['author']['handle']}-{i}"}
        row["created_at"] = (start + step * i).isoformat()
        lines.append(json.dumps(row, ensure_ascii=False))
    return lines


def _config(db_url: str):  # type: ignore[no-untyped-def]
    from bot.config import parse_config
    from bot.demo import demo_config_data

    data = demo_config_data()
    data["store"] = {"url": db_url}
    data["sources"] = []
    data["routes"] = [
        {"name": "bench", "platform": "console", "channel": "#b", "min_severity": "high"}
    ]
    return parse_config(data)


async def run_pipeline(lines: list[str], page: int, db_url: str) -> dict[str, float]:
    from bot.app import post_from_record
    from bot.clock import ManualClock
    from bot.ingest import Ingestor
    from bot.matching import BrandMatcher
    from bot.scoring.scorer import Scorer
    from bot.store.database import Database

    config = _config(db_url)
    db = Database(db_url)
    await db.upgrade()
    clock = ManualClock(datetime(2026, 10, 1, tzinfo=UTC))
    ingestor = Ingestor(
        config, db, BrandMatcher(config.brands), Scorer(config.brands, config.policy), clock
    )
    alerts = mentions = 0
    started = time.perf_counter()
    for start in range(0, len(lines), page):
        posts = [post_from_record(json.loads(line)) for line in lines[start : start + page]]
        clock.set(max(p.created_at for p in posts))  # time moves as the posts arrive
        report = await ingestor.ingest("bench", posts, {"offset": start + page})
        alerts += report.alerts_created
        mentions += report.mentions
    elapsed = time.perf_counter() - started
    await db.dispose()
    return {"seconds": elapsed, "alerts": alerts, "mentions": mentions}


async def run_floor(lines: list[str], page: int, db_url: str) -> dict[str, float]:
    from bot.store.database import Database
    from bot.store.tables import PostRow
    from bot.timeutil import parse_iso

    db = Database(db_url)
    await db.upgrade()
    now = datetime(2026, 11, 1, tzinfo=UTC)
    started = time.perf_counter()
    for start in range(0, len(lines), page):
        rows = []
        for line in lines[start : start + page]:
            r = json.loads(line)
            a, m = r["author"], r["metrics"]
            rows.append(
                {
                    "source": r["source"],
                    "native_id": r["id"],
                    "url": r.get("url"),
                    "text": r["text"],
                    "lang": r.get("lang"),
                    "created_at": parse_iso(r["created_at"]),
                    "author_handle": a["handle"],
                    "author_followers": a["followers"],
                    "author_verified": a["verified"],
                    "views": m.get("views"),
                    "likes": m.get("likes"),
                    "comments": m.get("comments"),
                    "shares": m.get("shares"),
                    "hashtags": [],
                    "edited": False,
                    "deleted": False,
                    "first_seen_at": now,
                    "last_seen_at": now,
                }
            )
        async with db.transaction() as session:
            await session.execute(insert(PostRow), rows)
    elapsed = time.perf_counter() - started
    await db.dispose()
    return {"seconds": elapsed}


def child(variant: str, count: int, page: int) -> None:
    lines = make_lines(count)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        runner = run_pipeline if variant == "pipeline" else run_floor
        result = asyncio.run(runner(lines, page, url))
    result["posts_per_second"] = count / result["seconds"]
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--variant", choices=("pipeline", "floor"))
    args = parser.parse_args()
    if args.variant:
        child(args.variant, args.posts, args.page)
        return
    results = {}
    for variant in ("floor", "pipeline"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_pipeline",
                "--variant",
                variant,
                "--posts",
                str(args.posts),
                "--page",
                str(args.page),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results[variant] = json.loads(out.strip().splitlines()[-1])
    floor, pipe = results["floor"], results["pipeline"]
    print(f"## Pipeline throughput ({args.posts:,} posts, SQLite, pages of {args.page})\n")
    print("| variant | seconds | posts/s | peak RSS (MiB) |")
    print("|---|---:|---:|---:|")
    print(
        f"| bare floor: parse JSON + insert rows | {floor['seconds']:.1f} | "
        f"{floor['posts_per_second']:,.0f} | {floor['peak_rss_mib']:.0f} |"
    )
    print(
        f"| pipeline: ingest → match → score → store → alert decision | {pipe['seconds']:.1f} | "
        f"{pipe['posts_per_second']:,.0f} | {pipe['peak_rss_mib']:.0f} |"
    )
    print(
        f"\nOverhead: the pipeline takes {pipe['seconds'] / floor['seconds']:.1f}× "
        "the floor's time; "
        f"{pipe['mentions']:,.0f} mentions scored, {pipe['alerts']:,.0f} alerts decided."
    )


if __name__ == "__main__":
    main()
