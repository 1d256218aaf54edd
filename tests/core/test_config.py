"""Config: every problem reported with its location; secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Environment, Secret, load_config, parse_config
from bot.models import Claim, Severity

GOOD = """
[[brands]]
name = "GlowLab"
aliases = ["GlowLab"]
competitors = ["DewDrop"]

[[routes]]
name = "alerts"
platform = "console"
channel = "#alerts"
min_severity = "high"
"""


def problems(data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def test_valid_config_loads_with_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD)
    config = load_config(path, environ={})
    assert config.brands[0].competitors[0].name == "DewDrop"
    assert config.routes[0].min_severity is Severity.HIGH
    assert config.tracking.hashtags == ["deinfluencing"]
    assert config.database_url.startswith("sqlite+aiosqlite:///")


def test_every_problem_is_listed_with_its_location() -> None:
    found = problems(
        {
            "brands": [
                {"name": "A", "aliases": ["a"]},
                {"name": "B", "aliases": ["b"]},
                {"name": "C", "aliases": []},
            ],
            "sources": [{"name": "s", "type": "replay", "interval": "0m"}],
            "routes": [{"name": "r", "platform": "slack", "channel": "C1", "min_severity": "hgh"}],
        }
    )
    assert "brands[2].aliases: must not be empty" in found
    assert any(p.startswith("sources[0].interval: bad duration") for p in found)
    assert any(p.startswith("routes[0].min_severity: unknown severity 'hgh'") for p in found)


def test_cross_references_are_checked() -> None:
    found = problems(
        {
            "brands": [{"name": "A", "aliases": ["a"]}, {"name": "a", "aliases": ["x"]}],
            "routes": [{"name": "r", "platform": "console", "channel": "#c", "brands": ["Nope"]}],
        }
    )
    assert "brands[1].name: duplicate brand 'a'" in found
    assert "routes[0].brands[0]: unknown brand 'Nope'" in found


def test_unknown_keys_and_missing_brands_are_errors() -> None:
    found = problems({"brands": [{"name": "A", "aliases": ["a"], "alias": ["typo"]}], "extra": 1})
    assert "brands[0].alias: unknown setting (check the spelling)" in found
    assert "extra: unknown setting (check the spelling)" in found
    assert "brands: required" in problems({})


def test_bad_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[brands]\nname=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad, environ={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml", environ={})


def test_secrets_never_print() -> None:
    env = Environment.from_mapping(
        {"SLACK_BOT_TOKEN": "xoxb-very-secret", "X_BEARER_TOKEN": "abc123"}
    )
    assert env.slack_bot_token is not None
    assert env.slack_bot_token.reveal() == "xoxb-very-secret"
    for shown in (str(env), repr(env), str(env.slack_bot_token), repr(env.secrets)):
        assert "very-secret" not in shown
        assert "abc123" not in shown
    assert str(Secret("x")) == "***"


def test_database_url_from_environment_wins(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(GOOD)
    config = load_config(path, environ={"DATABASE_URL": "postgresql+asyncpg://u@h/db"})
    assert config.database_url == "postgresql+asyncpg://u@h/db"


def test_bad_port_is_named() -> None:
    with pytest.raises(ConfigError, match="DEINFLUENCE_HTTP_PORT"):
        Environment.from_mapping({"DEINFLUENCE_HTTP_PORT": "eighty"})


def test_policy_can_be_tuned_and_is_validated() -> None:
    config = parse_config(
        {
            "brands": [{"name": "A", "aliases": ["a"]}],
            "policy": {"alternative_bonus": 0, "claim_risk": {"price": 2}},
        }
    )
    assert config.policy.alternative_bonus == 0
    assert config.policy.claim_risk[Claim.PRICE] == 2
    found = problems(
        {
            "brands": [{"name": "A", "aliases": ["a"]}],
            "policy": {"severity_table": {"0": ["low", "low"]}},
        }
    )
    assert any("three severities" in p for p in found)


def test_field_errors_and_cross_references_are_reported_together() -> None:
    found = problems(
        {
            "brands": [{"name": "A", "aliases": []}, {"name": "a", "aliases": ["x"]}],
            "routes": [{"name": "r", "platform": "console", "channel": "#c", "brands": ["Nope"]}],
        }
    )
    assert "brands[0].aliases: must not be empty" in found
    assert "brands[1].name: duplicate brand 'a'" in found
    assert "routes[0].brands[0]: unknown brand 'Nope'" in found
    assert len(found) == len(set(found))
