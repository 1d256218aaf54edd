"""The /deinfluence grammar: typed commands, clear errors for bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.commands import grammar as g
from bot.durations import format_duration, parse_duration
from bot.models import Severity
from bot.mutes import MuteSpec


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("15m", 900), ("1h30m", 5400), ("7d", 604800), ("2w", 1209600), (" 24H ", 86400)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "0h", "-1h", "1y", "h", "1.5h", "10", "400d", "1h-"])
def test_bad_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    assert format_duration(timedelta(hours=1, minutes=30)) == "1h30m"
    assert parse_duration(format_duration(timedelta(days=8))) == timedelta(days=8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", g.Help()),
        ("help", g.Help()),
        ("/deinfluence status", g.Status()),
        ("brands", g.Brands()),
        ("mutes", g.Mutes()),
        ("summary", g.Summary()),
        ("summary GlowLab 7d", g.Summary("GlowLab", timedelta(days=7))),
        ("summary all 24h public", g.Summary(None, timedelta(hours=24), True)),
        ("drill 12", g.Drill(alert_id=12)),
        ("drill #12 7d 2", g.Drill(alert_id=12, window=timedelta(days=7), page=2)),
        ("drill GlowLab 48h", g.Drill(brand="GlowLab", window=timedelta(hours=48))),
        ("ack 5", g.Ack(5)),
        ("resolve #5", g.Resolve(5)),
        ("unmute 3", g.Unmute(3)),
        ("wrong 7 it's about the Toyota", g.Wrong(7, "it's about the Toyota")),
        (
            "mute GlowLab 2h influencer drama",
            g.MuteCmd(MuteSpec(brand="GlowLab"), timedelta(hours=2), "influencer drama"),
        ),
        (
            "mute brand=GlowLab source=tiktok author=@sam severity<=high 1d",
            g.MuteCmd(MuteSpec("GlowLab", "tiktok", "sam", Severity.HIGH), timedelta(days=1), ""),
        ),
        (
            'mute author="sam glow" 30m',
            g.MuteCmd(MuteSpec(author="sam glow"), timedelta(minutes=30), ""),
        ),
    ],
)
def test_parse(text: str, expected: g.Command) -> None:
    assert g.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("frobnicate", "unknown command 'frobnicate'"),
        ("status now", "status takes no arguments"),
        ("ack", "ack takes exactly one id"),
        ("ack abc", "the alert id must be a number"),
        ("ack 0", "the alert id must be a number"),
        ("ack 1 2", "ack takes exactly one id"),
        ("unmute x", "the mute id must be a number"),
        ("mute GlowLab", "mute needs a duration"),
        ("mute GlowLab 0h", "must be longer than zero"),
        ("mute GlowLab 2x", "bad duration '2x'"),
        ("mute GlowLab 5y", "bad duration '5y'"),
        ("mute 1h", "mute needs at least one matcher"),
        ("mute colour=red 1h", "unknown matcher 'colour=red'"),
        ("mute severity<=urgent 1h", "unknown severity 'urgent'"),
        ("mute brand<=GlowLab 1h", "brand matches with =, not <="),
        ("mute brand=A brand=B 1h", "brand is given twice"),
        ("summary GlowLab Lumina", "summary takes one brand"),
        ("summary 7d 24h", "give one window, not several"),
        ("summary GlowLab 3q", "bad duration '3q'"),
        ("drill", "drill needs an alert id or a brand"),
        ("drill 5 7d x", "unexpected 'x'"),
        ("wrong", "wrong needs the alert id"),
    ],
)
def test_bad_input_gets_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(g.UsageError) as caught:
        g.parse(text)
    assert message in str(caught.value)
    assert caught.value.usage.startswith("/deinfluence ")
