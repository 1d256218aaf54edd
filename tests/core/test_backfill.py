"""The backfill core: resumable walks, quota pauses, the live cursor left alone, quiet history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.sources.replay import ReplaySource
from bot.backfill import Backfiller, backfill_key
from bot.cli import main
from bot.clock import ManualClock
from bot.models import Post
from bot.ports import SourcePage, SourceQuotaError, SourceUnavailable
from bot.store import sources as source_store
from bot.store.database import Database
from bot.store.tables import AlertRow, MentionRow, PostRow, SourceHealthRow
from tests.core.helpers import RASH, RecordingChat, config, pipeline, post
from tests.core.test_cli import write_config


def rash(native_id: str, at: datetime, author: str) -> Post:
    """A post that alerts at high (safety claim, small reach) whenever it may alert."""
    return post(native_id, RASH, at=at, author=author, followers=500, views=1000)


class FakeHistory:
    """A BackfillSource over a fixed list, newest first, paged by offset; can fail on cue."""

    def __init__(self, posts: list[Post], page_size: int = 2, name: str = "src") -> None:
        self.name = name
        self.posts = posts
        self.page_size = page_size
        self.fail_at: dict[int, Exception] = {}  # offset -> error raised once
        self.calls: list[tuple[datetime, int]] = []

    async def fetch_history(self, since: datetime, cursor: Mapping[str, Any] | None) -> SourcePage:
        offset = int((cursor or {}).get("offset", 0))
        self.calls.append((since, offset))
        if offset in self.fail_at:
            raise self.fail_at.pop(offset)
        wanted = [p for p in self.posts if p.created_at >= since]
        page = wanted[offset : offset + self.page_size]
        end = offset + len(page)
        more = end < len(wanted)
        return SourcePage(page, {"offset": end} if more else {"done": True}, more=more)


def _history(clock: ManualClock, count: int, *, step: timedelta = timedelta(hours=1)) -> list[Post]:
    now = clock.now()
    return [
        post(f"h{i}", f"GlowLab serum is fine I guess #deinfluencing {i}", at=now - step * (i + 1))
        for i in range(count)
    ]


def _backfiller(db: Database, clock: ManualClock) -> Backfiller:
    pipe = pipeline(config(), db, clock, RecordingChat())
    return Backfiller(db, pipe.ingestor, clock)


async def _count(db: Database, table: Any) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_error_mid_walk_resumes_without_gap_or_duplicate(
    db: Database, clock: ManualClock
) -> None:
    source = FakeHistory(_history(clock, 9))
    source.fail_at[4] = SourceUnavailable("src: 503 after retries")
    backfiller = _backfiller(db, clock)
    first = await backfiller.run(source, timedelta(days=7))
    assert first.failed and first.state == "unavailable" and first.pages == 2
    assert "run again to resume" in first.describe()
    assert await _count(db, PostRow) == 4
    clock.advance(timedelta(minutes=10))
    second = await backfiller.run(source, timedelta(days=7))
    assert second.resumed and second.state == "done" and not second.failed
    assert second.since == first.since  # the window it was started with, not now - 7d
    assert [offset for _, offset in source.calls] == [0, 2, 4, 4, 6, 8]
    assert (second.ingest.fetched, second.ingest.new) == (5, 5)
    assert await _count(db, PostRow) == 9


async def test_quota_pause_is_reported_recorded_and_respected(
    db: Database, clock: ManualClock
) -> None:
    source = FakeHistory(_history(clock, 6))
    reset = clock.now() + timedelta(hours=5)
    source.fail_at[2] = SourceQuotaError("src: daily quota used", resume_at=reset)
    backfiller = _backfiller(db, clock)
    report = await backfiller.run(source, timedelta(days=2))
    assert report.state == "paused" and report.failed and report.resume_at == reset
    assert report.describe() == f"paused until {reset.isoformat()}, run again to resume"
    async with db.read() as session:
        health = await session.get(SourceHealthRow, "src")
    assert health is not None and health.state == "quota exhausted"
    assert health.backoff_until == reset  # the live poller waits for the reset too
    calls = len(source.calls)
    again = await backfiller.run(source, timedelta(days=2))
    assert again.state == "paused" and len(source.calls) == calls  # no call spent
    clock.advance(timedelta(hours=6))
    done = await backfiller.run(source, timedelta(days=2))
    assert done.state == "done" and done.resumed and await _count(db, PostRow) == 6


async def test_live_cursor_and_health_are_untouched(db: Database, clock: ManualClock) -> None:
    live = {"min_id": "113000000000000042"}
    async with db.transaction() as session:
        await source_store.save_cursor(session, "src", live, clock.now())
        health = await source_store.health_row(session, "src")
        health.state, health.posts_fetched = "ok", 7
    await _backfiller(db, clock).run(FakeHistory(_history(clock, 3)), timedelta(days=1))
    async with db.read() as session:
        assert await source_store.get_cursor(session, "src") == live
        row = await session.get(SourceHealthRow, "src")
        stored = await source_store.get_cursor(session, backfill_key("src"))
    assert row is not None and (row.state, row.posts_fetched) == ("ok", 7)
    assert stored is not None and stored["done"] is True and stored["lookback"] == 86400


async def test_history_opens_no_alerts_unless_asked(db: Database, clock: ManualClock) -> None:
    now = clock.now()
    old = [rash(f"old{i}", now - timedelta(days=2 + i), f"a{i}") for i in range(3)]
    recent = rash("recent", now - timedelta(hours=2), "r")
    source = FakeHistory([recent, *old])
    report = await _backfiller(db, clock).run(source, timedelta(days=7))
    assert (report.ingest.mentions, report.ingest.alerts_created, report.ingest.quiet) == (4, 1, 3)
    assert await _count(db, MentionRow) == 4  # scored for baselines all the same
    async with db.read() as session:
        [alerted] = (await session.scalars(select(AlertRow))).all()
        alerted_post = await session.get(PostRow, alerted.post_id)
    assert alerted_post is not None and alerted_post.native_id == "recent"

    loud = FakeHistory([rash("old9", now - timedelta(days=3), "o")])
    report = await _backfiller(db, clock).run(loud, timedelta(days=7), alerts=True)
    assert (report.ingest.alerts_created, report.ingest.quiet) == (1, 0)


async def test_other_lookback_or_finished_walk_starts_over(
    db: Database, clock: ManualClock
) -> None:
    source = FakeHistory(_history(clock, 5))
    source.fail_at[2] = SourceUnavailable("boom")
    backfiller = _backfiller(db, clock)
    await backfiller.run(source, timedelta(days=7))
    assert [offset for _, offset in source.calls] == [0, 2]
    other = await backfiller.run(source, timedelta(days=1))
    assert not other.resumed and other.state == "done"
    assert source.calls[2] == (clock.now() - timedelta(days=1), 0)  # from the start
    calls = len(source.calls)
    finished = await backfiller.run(source, timedelta(days=1))
    assert not finished.resumed and source.calls[calls][1] == 0
    assert finished.ingest.new == 0  # walked again (new brands may match), nothing duplicated


async def test_page_budget_stops_and_resumes(db: Database, clock: ManualClock) -> None:
    source = FakeHistory(_history(clock, 5))
    backfiller = _backfiller(db, clock)
    report = await backfiller.run(source, timedelta(days=7), page_budget=1)
    assert (report.state, report.pages, report.failed) == ("budget used", 1, False)
    rest = await backfiller.run(source, timedelta(days=7))
    assert rest.resumed and rest.pages == 2 and await _count(db, PostRow) == 5


async def test_limited_history_is_clamped_and_said_so(db: Database, clock: ManualClock) -> None:
    source = FakeHistory(_history(clock, 3, step=timedelta(days=3)))
    source.history_window = timedelta(days=7)  # type: ignore[attr-defined]
    report = await _backfiller(db, clock).run(source, timedelta(days=30))
    assert report.clamped and report.since == clock.now() - timedelta(days=7)
    assert report.ingest.fetched == 2


async def test_progress_counts_posts(db: Database, clock: ManualClock) -> None:
    class Count:
        total = 0

        def advance(self, amount: int = 1) -> None:
            self.total += amount

    bar = Count()
    await _backfiller(db, clock).run(
        FakeHistory(_history(clock, 5)), timedelta(days=1), progress=bar
    )
    assert bar.total == 5


async def test_backfill_key_of_the_longest_source_name_fits_the_store(any_db: Database) -> None:
    """PostgreSQL enforces the column length that SQLite ignores."""
    key = backfill_key("a" * 40)  # source names are at most 40 characters
    assert key == "backfill:" + "a" * 40
    async with any_db.transaction() as session:
        await source_store.save_cursor(
            session, key, {"done": True}, datetime(2026, 11, 2, tzinfo=UTC)
        )
        assert await source_store.first_time(
            session, "ingest:" + "a" * 40, "d1", datetime(2026, 11, 2, tzinfo=UTC)
        )
    async with any_db.read() as session:
        assert await source_store.get_cursor(session, key) == {"done": True}


# --- the CLI, on a replay file (ReplaySource is a BackfillSource) ---------------------------


def _replay_config(tmp_path: Path, extra: str = "") -> str:
    now = datetime.now(UTC)
    records = [
        {"id": f"f{i}", "text": RASH, "created_at": (now - timedelta(days=d)).isoformat()}
        for i, d in enumerate([6, 5, 3.5, 2, 0.1])
    ]
    lines = [
        json.dumps({**r, "author": {"handle": f"author{i}", "followers": 500}})
        for i, r in enumerate(records)
    ]
    posts = tmp_path / "history.jsonl"
    posts.write_text("\n".join(lines) + "\n")
    source = (
        f'\n[[sources]]\nname = "file"\ntype = "replay"\n'
        f'options = {{ path = "{posts}", page_size = 2 }}\n'
    )
    return str(write_config(tmp_path, source + extra))


def test_cli_backfills_quietly_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rss_source = (
        '\n[[sources]]\nname = "feeds"\ntype = "rss"\n'
        'options = { feeds = ["https://example.com/feed.xml"] }\n'
    )
    path = _replay_config(tmp_path, rss_source)
    assert main(["backfill", "--since", "4d", "--config", path, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    [file, feeds] = out["sources"]
    assert out["ok"] and file["state"] == "done" and (file["fetched"], file["new"]) == (3, 3)
    assert (file["alerts"], file["quiet"]) == (1, 2)  # only the post from today alerts
    assert feeds == {
        "source": "feeds",
        "state": "no history",
        "note": "the platform keeps no history",
    }
    assert main(["backfill", "--source", "file", "--config", path, "--alerts"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("file: since ") and "fetched 5, new 2, pages 3" in line
    assert line.endswith("2 alerts queued, state done")


def test_cli_failure_exits_1_and_the_rerun_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _replay_config(tmp_path)
    real = ReplaySource.fetch_history
    failures = [SourceUnavailable("file: disk hiccup")]

    async def flaky(
        self: ReplaySource, since: datetime, cursor: Mapping[str, Any] | None
    ) -> SourcePage:
        if cursor and failures:
            raise failures.pop()
        return await real(self, since, cursor)

    monkeypatch.setattr(ReplaySource, "fetch_history", flaky)
    assert main(["backfill", "--config", path]) == 1
    assert "state unavailable: file: disk hiccup; run again to resume" in capsys.readouterr().out
    assert main(["backfill", "--config", path]) == 0
    line = capsys.readouterr().out
    assert "(resumed)" in line and "fetched 3, new 3, pages 2" in line


def test_cli_rejects_unknown_source_and_bad_since(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _replay_config(tmp_path)
    assert main(["backfill", "--source", "nope", "--config", path]) == 2
    assert "unknown source 'nope' (configured: file)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["backfill", "--since", "a week", "--config", path])
    assert exit_info.value.code == 2
    assert "bad duration 'a week'" in capsys.readouterr().err
