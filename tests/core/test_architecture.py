"""Standing rules: the core knows no platform; the migrations match the models."""

from __future__ import annotations

import ast
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bot.store.database import Database
from bot.store.tables import Base

BOT = Path(__file__).resolve().parents[2] / "bot"
FORBIDDEN = ("slack_bolt", "slack_sdk", "discord", "httpx", "aiohttp", "adapters")
COMPOSITION_ROOT = BOT / "app.py"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_platform_or_source_code() -> None:
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        if path == COMPOSITION_ROOT:
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(BOT.parent)} imports {name}")
    assert offenders == []


async def test_migrations_match_the_models(db: Database) -> None:
    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
