"""Fixed view models for renderer tests and golden files (no database needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.models import Severity
from bot.views import (
    Action,
    AlertCard,
    Counted,
    DrillView,
    MuteLine,
    MutesView,
    PostLine,
    SummaryView,
)

AT = datetime(2026, 9, 14, 10, 0, tzinfo=UTC)
HOSTILE_TEXT = (
    "Don't buy GlowLab serum <!channel> <!here> <@U123> <https://evil|x> "
    "& it broke me out. Get CeraVe instead #deinfluencing"
)


def sample_post(
    text: str = HOSTILE_TEXT,
    *,
    url: str | None = "https://www.tiktok.com/@jo/video/1",
    alert_id: int | None = 7,
) -> PostLine:
    return PostLine(
        source="tiktok",
        native_id="1",
        url=url,
        author="beautybyjo",
        followers=1_200_000,
        verified=True,
        text=text,
        lang="en",
        created_at=AT,
        views=3_400_000,
        likes=12_000,
        severity=Severity.CRITICAL,
        score=91,
        reach="mega",
        reasons=("tells followers not to buy: “don't buy”", "recommends a competitor: CeraVe"),
        brand="GlowLab",
        alert_id=alert_id,
    )


def sample_card(alert_id: int = 7, **changes: object) -> AlertCard:
    card = AlertCard(
        alert_id=alert_id,
        kind="mention",
        brand="GlowLab",
        severity=Severity.CRITICAL,
        score=91,
        status="open",
        title="Critical risk: GlowLab — @beautybyjo on tiktok",
        post=sample_post(alert_id=alert_id),
        reasons=sample_post().reasons,
    )
    return replace(card, **changes)  # type: ignore[arg-type]


def acked_card() -> AlertCard:
    return sample_card(
        status="acknowledged",
        updated_at=AT,
        history=("acknowledged by slack:U0RESP001 at 2026-09-14 10:05 UTC",),
        actions=(Action.MUTE_1H, Action.MUTE_24H, Action.SHOW_POSTS, Action.WRONG),
    )


def sample_summary() -> SummaryView:
    return SummaryView(
        brand="GlowLab",
        window="24h",
        since=AT.replace(day=13),
        until=AT,
        total=3,
        by_severity=(Counted("critical", 1), Counted("high", 2)),
        suppressed=1,
        muted=1,
        hidden_wrong=0,
        top_posts=(sample_post(),),
        top_claims=(Counted("breakouts", 2), Counted("waste of money", 1)),
        alternatives=(Counted("CeraVe", 2),),
        languages=(Counted("en", 3),),
        sources=(Counted("tiktok", 3),),
        chart_alt="Mentions per hour by severity",
    )


def sample_drill(posts: int = 2) -> DrillView:
    return DrillView(
        title="Posts behind alert #7",
        posts=tuple(sample_post() for _ in range(posts)),
        page=1,
        pages=2,
        total=posts + 5,
    )


def sample_mutes() -> MutesView:
    return MutesView(
        (
            MuteLine(
                1,
                "brand=GlowLab",
                AT,
                AT.replace(hour=12),
                "slack:U0MGR0001",
                "launch day <!here>",
                "active",
            ),
        )
    )
