"""`creator`, `creators` and `watch` through Bolt's dispatch, signed, against the real core."""

from __future__ import annotations

from sqlalchemy import select

from bot.store.tables import AuditRow
from tests.slack.conftest import MANAGER, RESPONDER, STRANGER, Harness


def texts(replies: list[dict[str, object]]) -> str:
    return "\n".join(str(r.get("text")) + str(r.get("blocks")) for r in replies)


async def test_creator_profile_is_private_and_escapes_post_text(harness: Harness) -> None:
    await harness.add_alert()
    [reply] = await harness.slash("creator @BeautyByJo tiktok", user=RESPONDER)
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "@beautybyjo on tiktok", "emoji": True},
    }
    body = texts([reply])
    assert "Credibility signals" in body
    assert "engagement" in body and "not compared" in body
    assert "&lt;!channel&gt;" in body and "<!channel>" not in body  # the hostile caption


async def test_creators_ranks_the_critics(harness: Harness) -> None:
    await harness.add_alert()
    await harness.add_alert(native_id="p2", followers=20_000)
    [reply] = await harness.slash("creators GlowLab 7d")
    body = texts([reply])
    assert reply["blocks"][0]["text"]["text"] == "Creators: GlowLab, last 7 days"
    assert body.index("@beautybyjo*") < body.index("@beautybyjo2*")
    assert "~3,600,000 reach" in body


async def test_watch_needs_a_manager_and_is_audited(harness: Harness) -> None:
    [refused] = await harness.slash("watch @jo 1d", user=STRANGER)
    assert "Not allowed" in texts([refused])
    [reply] = await harness.slash("watch @jo tiktok 1d undisclosed ads", user=MANAGER)
    assert "Watching @jo on tiktok for 1d" in reply["text"]
    async with harness.db.read() as session:
        [audit] = list(await session.scalars(select(AuditRow).where(AuditRow.action == "watch")))
    assert audit.actor == f"slack:{MANAGER}"
