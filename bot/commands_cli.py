"""The CLI subcommands that work on a configured deployment (store, sources, commands)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from sqlalchemy import select, text

from bot.app import build_app, config_problems, serve, show_result
from bot.backfill import Backfiller, BackfillReport, history_of
from bot.config import Config, ConfigError
from bot.logs import setup_logging
from bot.permissions import Actor
from bot.progress import progress
from bot.store.database import Database, redact_url
from bot.store.tables import AlertRow, AuditRow, MentionRow, PostRow


async def check_config(config: Config) -> int:
    problems = config_problems(config)
    if problems:
        raise ConfigError(problems)
    routes = ", ".join(
        f"{r.name} ({r.platform} {r.channel}, ≥{r.min_severity.label})" for r in config.routes
    )
    print(
        f"config OK: {len(config.brands)} brands, {len(config.sources)} sources, "
        f"{len(config.routes)} routes{': ' + routes if routes else ''}; "
        f"store {redact_url(config.database_url)}"
    )
    return 0


async def db(config: Config, action: str) -> int:
    database = Database(config.database_url)
    try:
        if action == "upgrade":
            await database.upgrade()
            print(
                f"database at revision {await database.current_revision()} "
                f"(head {Database.head_revision()})"
            )
        elif action == "current":
            current = await database.current_revision()
            head = Database.head_revision()
            print(
                f"current {current or 'none'}, head {head}"
                + ("" if current == head else " (needs upgrade)")
            )
            return 0 if current == head else 1
        else:
            if not database.is_sqlite:
                print("vacuum is for SQLite; PostgreSQL runs autovacuum", file=sys.stderr)
                return 1
            async with database.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM"))
            print("vacuumed")
    finally:
        await database.dispose()
    return 0


async def one_command(config: Config, command_text: str, *, as_json: bool) -> int:
    app = await build_app(config, console=Console(highlight=False))
    try:
        result = await app.service.run_text(command_text, Actor(platform="cli", user_id="shell"))
    finally:
        await app.close()
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        show_result(app.console, result, Path("."))
    return 0 if result.ok else 1


async def poll_once(config: Config, *, as_json: bool) -> int:
    app = await build_app(config, console=Console(highlight=False, stderr=True))
    reports = []
    try:
        for name in app.sources:
            reports.append(await app.pipeline.poll(name, force=True))
    finally:
        await app.close()
    failed = any(r.error for r in reports)
    if as_json:
        print(json.dumps({"sources": [r.to_json() for r in reports], "ok": not failed}, indent=2))
    else:
        for r in reports:
            print(
                f"{r.source}: fetched {r.ingest.fetched}, new {r.ingest.new}, "
                f"updated {r.ingest.updated}, "
                f"alerts {r.ingest.alerts_created}, state {r.state}"
                + (f", error: {r.error}" if r.error else "")
            )
    return 1 if failed else 0


async def backfill(
    config: Config, lookback: timedelta, only: str | None, *, as_json: bool, alerts: bool
) -> int:
    """Walk each selected source's history; exit 1 when any stopped on an error or quota."""
    configured = {s.name: s for s in config.sources}
    if only is not None and only not in configured:
        known = ", ".join(configured) or "none"
        print(f"unknown source {only!r} (configured: {known})", file=sys.stderr)
        return 2
    if only is not None and not configured[only].enabled:
        print(f"source {only!r} is disabled in the config", file=sys.stderr)
        return 2
    names = [only] if only else [s.name for s in config.sources if s.enabled]
    app = await build_app(config, console=Console(highlight=False, stderr=True))
    backfiller = Backfiller(app.db, app.pipeline.ingestor, app.clock)
    rows: list[dict[str, object]] = []
    lines: list[str] = []
    failed = False
    try:
        for name in names:
            source = history_of(app.sources[name])
            if source is None:
                why = (
                    "pushed by the sender, nothing to pull"
                    if getattr(app.sources[name], "pushed", False)
                    else "the platform keeps no history"
                )
                rows.append({"source": name, "state": "no history", "note": why})
                lines.append(f"{name}: {why}")
                continue
            with progress(f"{name} backfill: posts", None) as bar:
                report = await backfiller.run(source, lookback, progress=bar, alerts=alerts)
            failed = failed or report.failed
            rows.append(report.to_json())
            lines.append(_backfill_line(report))
    finally:
        await app.close()
    if as_json:
        print(json.dumps({"sources": rows, "ok": not failed}, indent=2))
    else:
        print("\n".join(lines))
    return 1 if failed else 0


def _backfill_line(r: BackfillReport) -> str:
    since = r.since.strftime("%Y-%m-%d %H:%M UTC") if r.since else "?"
    notes = [" (resumed)" if r.resumed else "", " (the platform's limit)" if r.clamped else ""]
    queued = f", {r.ingest.alerts_created} alerts queued" if r.ingest.alerts_created else ""
    return (
        f"{r.source}: since {since}{''.join(notes)}: fetched {r.ingest.fetched}, "
        f"new {r.ingest.new}, pages {r.pages}{queued}, state {r.describe()}"
    )


async def export_feedback(config: Config, out: Path | None) -> int:
    """Each false-positive correction as a corpus line labelled `mentions_brand: false`-or-neutral.

    The correction says the alert was wrong; we cannot know which part, so the
    line is labelled as not a risk (neutral, severity none) and carries the reason
    for a person to refine before it joins the labelled set.
    """
    database = Database(config.database_url)
    lines = []
    try:
        async with database.read() as session:
            rows = await session.execute(
                select(MentionRow, PostRow, AlertRow)
                .join(PostRow, PostRow.id == MentionRow.post_id)
                .join(AlertRow, AlertRow.mention_id == MentionRow.id)
                .where(MentionRow.wrong.is_(True))
                .order_by(AlertRow.id)
            )
            for mention, post, alert in rows:
                audit = await session.scalar(
                    select(AuditRow).where(
                        AuditRow.action == "wrong", AuditRow.target == f"alert:{alert.id}"
                    )
                )
                lines.append(
                    {
                        "id": f"feedback-{post.source}-{post.native_id}-{mention.brand}",
                        "source": post.source,
                        "lang": mention.lang or post.lang or "en",
                        "text": post.text,
                        "brand": mention.brand,
                        "author": {
                            "handle": post.author_handle,
                            "followers": post.author_followers or 0,
                            "verified": bool(post.author_verified),
                        },
                        "metrics": {
                            "views": post.views,
                            "likes": post.likes,
                            "comments": post.comments,
                            "shares": post.shares,
                        },
                        "labels": {
                            "mentions_brand": True,
                            "stance": "neutral",
                            "claims": [],
                            "alternative": None,
                            "severity": "low",
                        },
                        "feedback": {
                            "alert_id": alert.id,
                            "by": alert.wrong_by,
                            "reason": mention.wrong_reason or "",
                            "at": audit.at.isoformat() if audit else None,
                            "scored": {
                                "stance": mention.stance,
                                "severity": mention.severity,
                                "claims": [c["claim"] for c in mention.claims],
                                "alternative": mention.alternative,
                            },
                        },
                    }
                )
    finally:
        await database.dispose()
    body = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if out is None:
        sys.stdout.write(body)
    else:
        await asyncio.to_thread(out.write_text, body, encoding="utf-8")
        print(f"wrote {len(lines)} corrections to {out}", file=sys.stderr)
    return 0


async def run(config: Config, log_format: str) -> int:
    setup_logging(config.env.log_level, log_format, config.env.secrets.values())
    app = await build_app(config, chat_platforms=True)
    await serve(app)
    return 0


async def discord_sync(config: Config, guild: int | None) -> int:
    """Push the /deinfluence definitions to Discord now, changed or not."""
    from bot.app import force_discord_sync

    count = await force_discord_sync(config, guild)
    print(f"synced {count} command(s) to {'guild ' + str(guild) if guild else 'all guilds'}")
    return 0
