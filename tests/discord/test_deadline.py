"""Discord needs an answer within 3 seconds: handlers defer before touching a (slow) store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.chat.discord import commands
from bot.store.database import Database
from tests.discord.conftest import MANAGER, build_stack


class GatedDatabase(Database):
    """A store whose reads wait until the test opens the gate: as slow as we like, no sleeping."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.gate = asyncio.Event()
        self.gate.set()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        await self.gate.wait()
        async with super().read() as session:
            yield session


async def test_slow_store_still_gets_a_defer_within_3_seconds(tmp_path: Path) -> None:
    stack = await build_stack(tmp_path, GatedDatabase)
    db = stack.db
    assert isinstance(db, GatedDatabase)
    harness = stack.harness
    try:
        db.gate.clear()
        tasks = harness.begin(harness.command_payload("status", MANAGER, {}))
        await asyncio.wait_for(harness.webhooks.first_callback.wait(), timeout=3.0)
        assert [(s.kind, s.type) for s in harness.webhooks.sent] == [("callback", 5)]
        assert not any(t.done() for t in tasks)  # the slow work is still waiting on the store
        db.gate.set()
        await harness.settle(tasks)
        assert [s.kind for s in harness.webhooks.sent] == ["callback", "followup"]
        assert "open alerts" in harness.webhooks.sent[1].text()
    finally:
        db.gate.set()
        await harness.client.close()
        await db.dispose()


async def test_slow_alert_autocomplete_gives_no_choices_instead_of_timing_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = await build_stack(tmp_path, GatedDatabase)
    db = stack.db
    assert isinstance(db, GatedDatabase)
    monkeypatch.setattr(commands, "AUTOCOMPLETE_BUDGET", 0.05)  # Discord allows 3 s; keep it fast
    try:
        db.gate.clear()
        choices = await stack.harness.autocomplete("ack", MANAGER, "alert", alert="1")
        assert choices == []
    finally:
        db.gate.set()
        await stack.harness.client.close()
        await db.dispose()
