"""The CLI subcommands that work on a configured deployment (store, sources, commands)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from rich.console import Console
from sqlalchemy import select, text

from bot.app import build_app, config_problems, serve, show_result
from bot.config import Config, ConfigError
from bot.logs import setup_logging
from bot.permissions import Actor
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
