"""Builds bot/data/demo_posts.jsonl from the labelled corpus copy in tests/fixtures.

Deterministic: posts spread over three days with a daytime rhythm, labels
dropped, and a few posts seen again later with grown views so the demo shows
alerts being edited in place as severity rises. Run: python scripts/build_demo_data.py
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "corpus" / "dev.jsonl"
PROMOTIONS = ROOT / "tests" / "fixtures" / "corpus" / "promotion.jsonl"
OUT = ROOT / "bot" / "data" / "demo_posts.jsonl"
START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
SPAN = timedelta(days=3)
URLS = {
    "tiktok": "https://www.tiktok.com/@{handle}/video/{n}",
    "instagram": "https://www.instagram.com/p/{n}/",
    "youtube": "https://www.youtube.com/watch?v={n}",
    "reddit": "https://www.reddit.com/r/SkincareAddiction/comments/{n}/",
    "mastodon": "https://mastodon.social/@{handle}/{n}",
    "bluesky": "https://bsky.app/profile/{handle}.bsky.social/post/{n}",
    "x": "https://x.com/{handle}/status/{n}",
}


WAVE_BRAND = "PureFizz"
WAVE_START = START + timedelta(days=1, hours=9)


def _wave(rows: list[dict], rng: random.Random) -> list[dict]:
    """A de-influencing wave: 20 creators pile on one brand within 40 minutes (a spike)."""
    negatives = [
        r for r in rows if r["brand"] == WAVE_BRAND and "#deinfluencing" in r["text"]
        and r.get("labels", {}).get("stance", "negative") == "negative"
    ] or [r for r in rows if r["brand"] == WAVE_BRAND]
    wave = []
    for i in range(20):
        base = dict(negatives[i % len(negatives)])
        base.pop("labels", None)
        base["id"] = f"wave-{i:02d}"
        base["author"] = {**base["author"], "handle": f"{base['author']['handle']}_{i}"}
        at = WAVE_START + timedelta(minutes=2 * i, seconds=rng.randrange(60))
        base["created_at"] = at.isoformat()
        base["url"] = URLS[base["source"]].format(handle=base["author"]["handle"], n=10**15 + i)
        wave.append(base)
    return wave


def _promotions(rng: random.Random) -> list[dict]:
    """The labelled promotion cases: paid-looking critics, and opportunities for the demo."""
    rows = []
    for line in PROMOTIONS.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row.pop("labels", None)
        at = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        row["created_at"] = at.isoformat()
        row["url"] = URLS[row["source"]].format(
            handle=row["author"]["handle"], n=rng.randrange(10**15, 10**16)
        )
        rows.append(row)
    return rows


def main() -> None:
    rng = random.Random(20261102)
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = []
    labelled = [dict(r) for r in rows]
    for row in rows:
        at = START + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        row.pop("labels", None)
        n = rng.randrange(10**15, 10**16)
        row["url"] = URLS[row["source"]].format(handle=row["author"]["handle"], n=n)
        row["created_at"] = at.isoformat()
        out.append(row)
    out.extend(_wave(labelled, rng))
    regrow = rng.sample(out, 12)
    for row in regrow:
        later = dict(row)
        metrics = dict(row["metrics"])
        metrics["views"] = max(metrics.get("views") or 0, 40_000) * 30
        metrics["likes"] = (metrics.get("likes") or 0) * 10
        later["metrics"] = metrics
        later["observed_at"] = (datetime.fromisoformat(row["created_at"]) + timedelta(hours=6)).isoformat()
        out.append(later)
    out.extend(_promotions(random.Random(20261103)))
    out.sort(key=lambda r: r.get("observed_at") or r["created_at"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    print(f"wrote {len(out)} lines to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
