"""Golden files for every renderer, plus the limits and the hostile caption.

Regenerate after an intended change with: UPDATE_GOLDEN=1 pytest tests/discord/test_render.py
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from adapters.chat.discord import ids, limits
from adapters.chat.discord.buttons import alert_view
from adapters.chat.discord.render import Rendered, alert_message, render_result
from bot.models import Severity
from bot.views import (
    Action,
    AlertCard,
    BrandLine,
    BrandsView,
    CommandResult,
    Counted,
    DrillView,
    HelpView,
    MuteLine,
    MutesView,
    Notice,
    PostLine,
    SourceStatus,
    StatusView,
    SummaryView,
)

GOLDEN = Path(__file__).parents[1] / "fixtures" / "discord" / "golden"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HOSTILE = (
    "Do NOT buy *GlowLab*, it gave me a rash @everyone @here <@123456789012345678> "
    "<@&222222222222222222> [free gift](https://evil.example) get DewDrop instead"
)


def post(text: str = HOSTILE, **changes: Any) -> PostLine:
    values: dict[str, Any] = dict(
        source="tiktok",
        native_id="v1",
        url="https://www.tiktok.com/@skin.truth/video/1",
        author="skin.truth",
        followers=850_000,
        verified=True,
        text=text,
        lang="en",
        created_at=T0,
        views=2_000_000,
        likes=90_000,
        severity=Severity.CRITICAL,
        score=98,
        reach="large",
        reasons=('negative: "do not buy"', 'safety claim: "rash"', "recommends DewDrop instead"),
        brand="GlowLab",
        alert_id=7,
    )
    values.update(changes)
    return PostLine(**values)


def card(**changes: Any) -> AlertCard:
    line = post()
    values: dict[str, Any] = dict(
        alert_id=7,
        kind="mention",
        brand="GlowLab",
        severity=Severity.CRITICAL,
        score=98,
        status="open",
        title="Critical risk: GlowLab — @skin.truth on tiktok",
        post=line,
        reasons=line.reasons,
        updated_at=T0,
    )
    values.update(changes)
    return AlertCard(**values)


def as_json(rendered: Rendered, view: discord.ui.View | None = None) -> dict[str, Any]:
    return {
        "content": rendered.content,
        "embeds": [e.to_dict() for e in rendered.embeds],
        "components": view.to_components() if view is not None else [],
        "chart": rendered.chart_filename,
        "chart_alt": rendered.chart_alt,
    }


def check_golden(name: str, value: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from {path}"


def summary_view() -> SummaryView:
    return SummaryView(
        brand="GlowLab",
        window="7d",
        since=T0 - timedelta(days=7),
        until=T0,
        total=12,
        by_severity=(Counted("critical", 2), Counted("high", 4), Counted("medium", 6)),
        suppressed=3,
        muted=2,
        hidden_wrong=1,
        top_posts=(post(), post(native_id="v2", alert_id=8)),
        top_claims=(Counted("safety", 5), Counted("price", 3)),
        alternatives=(Counted("DewDrop", 4), Counted("generic", 1)),
        languages=(Counted("en", 10), Counted("de", 2)),
        sources=(Counted("tiktok", 12),),
        chart_alt="Mentions per day for GlowLab, rising from 0 to 5 over 7 days",
    )


async def test_alert_golden() -> None:
    value = card()
    check_golden(
        "alert_mention", as_json(alert_message(value, "222222222222222222"), alert_view(value))
    )


async def test_alert_resolved_golden() -> None:
    value = card(
        status="resolved",
        actions=(Action.SHOW_POSTS,),
        history=(
            "acknowledged by discord:5 at 2025-03-01 12:03 UTC",
            "resolved by discord:5 at 2025-03-01 13:00 UTC",
        ),
    )
    check_golden("alert_resolved", as_json(alert_message(value), alert_view(value)))


async def test_spike_alert_without_post_golden() -> None:
    value = card(
        kind="spike",
        post=None,
        severity=Severity.HIGH,
        score=80,
        title="Spike: GlowLab mentions 5x baseline",
        reasons=("42 mentions in 1h against a baseline of 8",),
    )
    check_golden("alert_spike", as_json(alert_message(value), alert_view(value)))


@pytest.mark.parametrize(
    ("name", "result"),
    [
        (
            "notice_info",
            CommandResult(True, "Alert #7 acknowledged.", Notice("Alert #7 acknowledged.")),
        ),
        (
            "notice_denied",
            CommandResult(False, "Not allowed", Notice("Not allowed: no.", "denied")),
        ),
        (
            "help",
            CommandResult(
                True,
                "",
                HelpView(
                    (
                        ("/deinfluence help", "this list"),
                        ("/deinfluence ack <alert-id>", "acknowledge"),
                    )
                ),
            ),
        ),
        (
            "status",
            CommandResult(
                True,
                "",
                StatusView(
                    now=T0,
                    posts=120,
                    open_alerts=3,
                    undelivered=1,
                    active_mutes=2,
                    leader="host-a",
                    sources=(
                        SourceStatus("tiktok-main", "tiktok", "ok", T0, None, None, None, 300),
                        SourceStatus(
                            "x",
                            "x",
                            "backing off",
                            None,
                            "429 @everyone",
                            T0,
                            T0 + timedelta(minutes=5),
                            0,
                            12,
                        ),
                    ),
                ),
            ),
        ),
        (
            "brands",
            CommandResult(
                True,
                "",
                BrandsView(
                    (
                        BrandLine("GlowLab", ("GlowLab", "#glowlab"), ("DewDrop",), 2, 14),
                        BrandLine("AeroCurl", ("AeroCurl",), (), 0, 1),
                    )
                ),
            ),
        ),
        ("summary", CommandResult(True, "", summary_view(), chart_png=b"\x89PNG fake")),
        ("drill", CommandResult(True, "", DrillView("Posts behind alert #7", (post(),), 1, 3, 21))),
        (
            "mutes",
            CommandResult(
                True,
                "",
                MutesView(
                    (
                        MuteLine(
                            4,
                            "brand=GlowLab",
                            T0,
                            T0 + timedelta(hours=1),
                            "discord:5",
                            "launch day",
                            "active",
                        ),
                    )
                ),
            ),
        ),
        ("mutes_empty", CommandResult(True, "", MutesView(()))),
    ],
)
def test_result_golden(name: str, result: CommandResult) -> None:
    check_golden(f"result_{name}", as_json(render_result(result)))


def test_hostile_caption_cannot_ping_or_format() -> None:
    rendered = alert_message(card())
    description = rendered.embeds[0].description or ""
    for raw in ("@everyone", "@here", "<@123456789012345678>", "<@&222222222222222222>"):
        assert raw not in description
    assert "@\u200beveryone" in description
    assert "\\*GlowLab\\*" in description  # markdown escaped
    assert HOSTILE not in (rendered.content or "")
    assert "<@" not in (rendered.content or "")  # no mention without an on-call role


def test_oncall_mention_only_when_it_is_a_role_id() -> None:
    assert (alert_message(card(), "222222222222222222").content or "").startswith(
        "<@&222222222222222222>"
    )
    assert "<@" not in (alert_message(card(), "@everyone").content or "")


def embed_within_limits(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= limits.TITLE_LIMIT
    assert len(embed.description or "") <= limits.DESCRIPTION_LIMIT
    assert len(embed.fields) <= limits.FIELD_COUNT_LIMIT
    for f in embed.fields:
        assert len(f.name or "") <= limits.FIELD_NAME_LIMIT
        assert len(f.value or "") <= limits.FIELD_VALUE_LIMIT
    assert len(embed.footer.text or "") <= limits.FOOTER_LIMIT
    assert len(embed) <= limits.EMBED_TOTAL_LIMIT


def test_huge_alert_is_truncated_within_every_limit() -> None:
    huge = card(
        title="T" * 1000,
        brand="B" * 300,
        post=post(text="x" * 20_000, author="a" * 500),
        reasons=tuple("reason " * 80 for _ in range(60)),
        history=tuple(f"note {i} " * 50 for i in range(40)),
    )
    rendered = alert_message(huge, "222222222222222222")
    embed = rendered.embeds[0]
    embed_within_limits(embed)
    assert len(rendered.content or "") <= limits.MESSAGE_LIMIT
    assert (embed.title or "").endswith("…")
    assert "…" in (embed.description or "")


def test_many_posts_and_mutes_are_cut_to_25_fields_and_6000_chars() -> None:
    posts = tuple(post(native_id=str(i), text="y" * 900, alert_id=i + 1) for i in range(40))
    drill = render_result(CommandResult(True, "", DrillView("t" * 300, posts, 1, 1, 40))).embeds[0]
    embed_within_limits(drill)
    assert "more not shown" in (drill.footer.text or "")
    mutes = tuple(
        MuteLine(i, "brand=X " * 40, T0, T0, "me", "r" * 900, "active") for i in range(60)
    )
    embed_within_limits(render_result(CommandResult(True, "", MutesView(mutes))).embeds[0])


def test_long_notice_fits_a_message() -> None:
    rendered = render_result(CommandResult(True, "", Notice("z" * 5000)))
    assert len(rendered.content or "") <= limits.MESSAGE_LIMIT


def test_custom_ids_are_versioned_and_round_trip() -> None:
    for action in Action:
        custom_id = ids.button_id(action, 123456789012345678)
        assert custom_id.startswith("deinfluence:v1:")
        assert len(custom_id) <= ids.CUSTOM_ID_LIMIT
        assert ids.parse_button_id(custom_id) == (action, 123456789012345678)
    assert ids.button_id(Action.ACK, 42) == "deinfluence:v1:ack:42"
    assert ids.parse_button_id("deinfluence:v2:ack:1") is None
    assert ids.parse_button_id("deinfluence:v1:ack:0") is None
    with pytest.raises(ValueError, match="positive"):
        ids.button_id(Action.ACK, 0)


def test_unsafe_links_are_dropped() -> None:
    assert limits.safe_url("javascript:alert(1)") is None
    assert limits.safe_url("https://x.example/a b)") == "https://x.example/a%20b%29"


def test_opportunity_card_has_no_acknowledge_button_and_says_why_it_matters() -> None:
    opportunity = card(
        kind="opportunity",
        severity=Severity.NONE,
        title="Opportunity: GlowLab — @skin.truth on tiktok",
        reasons=("opportunity: recommended instead of DewDrop",),
        actions=(Action.MUTE_1H, Action.MUTE_24H, Action.SHOW_POSTS, Action.WRONG),
    )
    data = as_json(alert_message(opportunity), alert_view(opportunity))
    [embed] = data["embeds"]
    assert embed["title"].startswith("💡 #7 Opportunity: GlowLab")
    assert embed["color"] == 0x43A047
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert "Why it is risky" not in fields
    assert "recommended instead of DewDrop" in fields["Why it is an opportunity"]
    assert fields["Severity"].startswith("opportunity")
    ids_ = [c["custom_id"] for row in data["components"] for c in row["components"]]
    assert len(ids_) == 4 and "deinfluence:v1:ack:7" not in ids_
    assert data["content"].startswith("New opportunity alert for **GlowLab**")
