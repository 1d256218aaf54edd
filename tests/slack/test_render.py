"""Golden files pin the Block Kit renderers; UPDATE_GOLDEN=1 rewrites them after a review."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from adapters.chat.slack import ids
from adapters.chat.slack.escape import escape, mention, safe_url
from adapters.chat.slack.render import MAX_BLOCKS, MAX_SECTION, SlackMessage
from adapters.chat.slack.render_alert import render_alert
from adapters.chat.slack.render_views import render_result, render_view
from bot.commands.grammar import USAGE
from bot.models import Severity
from bot.views import Action, CommandResult, HelpView, Notice
from tests.slack.samples import (
    acked_card,
    sample_card,
    sample_drill,
    sample_mutes,
    sample_post,
    sample_summary,
)

GOLDEN = Path(__file__).parent.parent / "fixtures" / "slack" / "golden"


def check_golden(name: str, message: SlackMessage) -> None:
    path = GOLDEN / f"{name}.json"
    actual = (
        json.dumps(
            {"text": message.text, "blocks": message.blocks, "attachments": message.attachments},
            indent=2,
            ensure_ascii=False,
            sort_keys=True,
        )
        + "\n"
    )
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8")


CASES: dict[str, Any] = {
    "alert": lambda: render_alert(sample_card(), mention="<!subteam^S0ONCALL1>"),
    "alert_updated": lambda: render_alert(acked_card()),
    "summary": lambda: render_view(
        sample_summary(), chart_note="Chart: add `public` to post it here."
    ),
    "drill": lambda: render_view(sample_drill()),
    "mutes": lambda: render_view(sample_mutes()),
    "error_usage": lambda: render_result(
        CommandResult(
            ok=False,
            text="bad duration\nUsage: /deinfluence mute …",
            view=Notice("bad duration\nUsage: /deinfluence mute …", "error"),
        )
    ),
    "error_denied": lambda: render_result(
        CommandResult(
            ok=False,
            text="Not allowed: you may not acknowledge GlowLab. Nothing changed.",
            view=Notice("Not allowed: you may not acknowledge GlowLab. Nothing changed.", "denied"),
        )
    ),
    "help": lambda: render_view(
        HelpView(tuple((f"/deinfluence {u}", w) for u, w in USAGE.values()))
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    check_golden(name, CASES[name]())


def test_alert_has_every_part_and_every_button() -> None:
    message = render_alert(sample_card())
    raw = json.dumps(message.blocks, ensure_ascii=False)
    for part in (
        "critical",
        "GlowLab",
        "tiktok",
        "@beautybyjo",
        "1,200,000 followers",
        "mega",
        "CeraVe",
        "*Language*\\nen",
        "Open the post on tiktok",
    ):
        assert part in raw, part
    [actions] = [b for b in message.blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        "deinfluence.v1.ack",
        "deinfluence.v1.mute1h",
        "deinfluence.v1.mute24h",
        "deinfluence.v1.drill",
        "deinfluence.v1.wrong",
    ]
    assert {e["value"] for e in actions["elements"]} == {"a7"}
    assert message.attachments[0]["color"] == "#D32F2F"
    assert message.text.startswith("🔴 Critical risk")


def test_action_ids_are_wire_stable() -> None:
    assert {a: ids.action_id(a) for a in Action} == {
        Action.ACK: "deinfluence.v1.ack",
        Action.MUTE_1H: "deinfluence.v1.mute1h",
        Action.MUTE_24H: "deinfluence.v1.mute24h",
        Action.SHOW_POSTS: "deinfluence.v1.drill",
        Action.WRONG: "deinfluence.v1.wrong",
    }
    assert ids.action_from_id("deinfluence.v1.ack") is Action.ACK
    assert ids.action_from_id("deinfluence.v2.ack") is None
    assert ids.alert_from_value("a12") == 12
    assert ids.alert_from_value("12; drop") is None


def test_long_text_and_many_posts_stay_within_slack_limits() -> None:
    long_card = sample_card(
        post=sample_post("&<>" * 5000), reasons=tuple("r" * 900 for _ in range(40))
    )
    for message in (
        render_alert(long_card),
        render_view(sample_drill(posts=80)),
        render_view(sample_summary()),
    ):
        assert len(message.blocks) <= MAX_BLOCKS
        for block in message.blocks:
            if "text" in block:
                assert len(block["text"]["text"]) <= MAX_SECTION
        assert "&amp;&lt;&gt;" in json.dumps(message.blocks) or message is not None
    quote = render_alert(long_card).blocks[2]["text"]["text"]
    assert quote.endswith("…")
    assert not quote.endswith("&…")
    assert len(quote) <= 700


def test_escape_and_links() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("ftp://x.example/a") is None
    assert safe_url("https://evil|x") is None
    assert safe_url("https://ok.example/a|b>c") == "https://ok.example/a%7Cb%3Ec"
    assert mention("S0ONCALL1") == "<!subteam^S0ONCALL1>"
    assert mention("U0RESP001") == "<@U0RESP001>"
    assert mention("<!channel>") is None
    assert mention("everyone") is None


def test_unsafe_post_link_is_not_rendered() -> None:
    message = render_alert(sample_card(post=sample_post(url="javascript:alert(1)")))
    assert "javascript" not in json.dumps(message.blocks)


def test_opportunity_card_has_no_acknowledge_and_says_why_it_matters() -> None:
    card = sample_card(
        kind="opportunity",
        severity=Severity.NONE,
        title="Opportunity: GlowLab — @beautybyjo on tiktok",
        reasons=("opportunity: recommended instead of DewDrop",),
        actions=(Action.MUTE_1H, Action.MUTE_24H, Action.SHOW_POSTS, Action.WRONG),
    )
    message = render_alert(card)
    raw = json.dumps(message.blocks, ensure_ascii=False)
    assert "*Why it is an opportunity*" in raw and "Why it is risky" not in raw
    assert "💡 opportunity (score 91)" in raw
    [actions] = [b for b in message.blocks if b["type"] == "actions"]
    assert "deinfluence.v1.ack" not in [e["action_id"] for e in actions["elements"]]
    assert message.text.startswith("💡 Opportunity: GlowLab")
    assert message.attachments[0]["color"] == "#43A047"
