"""`deinfluence backtest` end to end: a hidden agenda flagged, an opportunity in its channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CRITIC = [  # one creator, all week: GlowLab is bad, buy DewDrop with my code, no #ad
    "don't buy GlowLab, it broke me out. DewDrop is so much better, code DUPE15 for 15% off",
    "GlowLab is overhyped and overpriced. switched to DewDrop, use my code DUPE15 (link in bio)",
    "still not over how bad GlowLab is. DewDrop all the way, code DUPE15",
    "GlowLab again? no. skip it and grab DewDrop with code DUPE15 #deinfluencing",
]
FILLER = [
    "does anyone know if GlowLab ships to Norway?",
    "GlowLab restock today, the orange bottle is back",
    "my morning routine: cleanser, toner, sunscreen",
]
OPPORTUNITY = "DewDrop broke me out twice. back to my GlowLab, never leaving again #deinfluencing"


def _record(n: int, at: datetime, text: str, author: str, followers: int) -> dict[str, Any]:
    return {
        "id": f"week-{n:03d}",
        "source": "tiktok",
        "lang": "en",
        "text": text,
        "author": {"handle": author, "followers": followers, "verified": False},
        "metrics": {"views": followers * 3, "likes": followers // 10, "comments": 40, "shares": 9},
        "url": f"https://www.tiktok.com/@{author}/video/{n}",
        "created_at": at.isoformat(),
    }


def _week(path: Path) -> Path:
    rows: list[dict[str, Any]] = []
    for day, text in enumerate(CRITIC):
        rows.append(_record(len(rows), START + timedelta(days=day * 2), text, "dupequeen", 60_000))
    for day, text in enumerate(FILLER):
        at = START + timedelta(days=day * 2, hours=5)
        rows.append(_record(len(rows), at, text, f"viewer{day}", 800))
    rows.append(
        _record(len(rows), START + timedelta(days=5, hours=3), OPPORTUNITY, "glowfan", 3_000)
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "deinfluence.toml"
    path.write_text(
        """
[[brands]]
name = "GlowLab"
aliases = ["GlowLab", "Glow Lab", "#glowlab"]
competitors = ["DewDrop", "The Basics Co"]

[[routes]]
name = "risk"
platform = "console"
channel = "#risk"
min_severity = "low"

[[routes]]
name = "marketing"
platform = "console"
channel = "#marketing"
min_severity = "critical"
opportunity_channel = "#wins"
""",
        encoding="utf-8",
    )
    return path


def test_a_week_of_a_paid_critic_and_one_opportunity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    posts = _week(tmp_path / "week.jsonl")
    assert main(["backtest", str(posts), "--config", str(_config(tmp_path)), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    events, summary = lines[:-1], lines[-1]["summary"]
    fired = [e for e in events if e["event"] == "fired"]

    critic = [e for e in fired if e["author"] == "dupequeen" and e["channel"] == "#risk"]
    assert len(critic) == len(CRITIC)  # two days apart: no grouping, one alert per post
    for alert in critic:
        assert alert["kind"] == "mention"
        assert any(
            r.startswith('possible undisclosed promotion of DewDrop: "code DUPE15"')
            for r in alert["reasons"]
        ), alert["reasons"]
    repeat = [
        alert
        for alert in critic
        if any(
            "negative posts about GlowLab" in r and "repeat critic" in r for r in alert["reasons"]
        )
    ]
    assert [a["post_id"] for a in repeat] == ["week-002", "week-003"]  # from the third post on
    assert summary["promotion_flags"] == {"undisclosed": len(CRITIC), "disclosed": 0}

    [opportunity] = [e for e in fired if e["kind"] == "opportunity"]
    assert opportunity["channel"] == "#wins"
    assert opportunity["author"] == "glowfan"
    assert "opportunity: recommended instead of DewDrop" in opportunity["reasons"]
    elsewhere = [e for e in events if e.get("author") == "glowfan" and e["channel"] != "#wins"]
    assert elsewhere == []  # the opportunity route only
    assert summary["opportunities"] == 1
