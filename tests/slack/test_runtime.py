"""Start-up checks, mode selection and the app manifest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from adapters.chat.slack.runtime import build_slack, check_slack_env
from bot.config import ConfigError, Environment, parse_config
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import BOT_TOKEN, SIGNING_SECRET, Harness, make_harness, slack_config

MANIFEST = Path(__file__).parents[2] / "deploy" / "slack-app-manifest.yml"


def env(**values: str) -> Environment:
    return Environment.from_mapping(values)


def test_good_settings_have_no_problems() -> None:
    assert (
        check_slack_env(env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET)) == []
    )
    assert (
        check_slack_env(env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN="xapp-1-A0-123-abcdef"))
        == []
    )


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({}, "SLACK_BOT_TOKEN: required"),
        ({"SLACK_BOT_TOKEN": "xoxp-1234-5678-user"}, "SLACK_BOT_TOKEN: must start with xoxb-"),
        ({"SLACK_BOT_TOKEN": "xoxb-12 34 5678 bad"}, "SLACK_BOT_TOKEN: does not look like"),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xoxb-1-A0-123-abcdef"},
            "SLACK_APP_TOKEN: must start with xapp-",
        ),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_SIGNING_SECRET: required in HTTP mode"),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": "not-hex"},
            "SLACK_SIGNING_SECRET: must be the 32-character hex",
        ),
        (
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": "ftp://x",
            },
            "SLACK_API_URL: must be an http(s) URL",
        ),
    ],
)
def test_bad_settings_name_the_variable(values: dict[str, str], problem: str) -> None:
    problems = check_slack_env(env(**values))
    assert any(p.startswith(problem) for p in problems), problems
    assert all("xoxb-1234" not in p for p in problems)  # secrets never appear


def test_build_slack_refuses_bad_settings_and_channel_names(tmp_path: Path) -> None:
    config = parse_config(
        {
            "brands": [{"name": "GlowLab", "aliases": ["GlowLab"]}],
            "routes": [{"name": "r", "platform": "slack", "channel": "#alerts"}],
        },
        env(SLACK_BOT_TOKEN="xoxp-nope-nope-nope"),
    )
    with pytest.raises(ConfigError) as caught:
        build_slack(config, None)  # type: ignore[arg-type]
    text = str(caught.value)
    assert "SLACK_BOT_TOKEN: must start with xoxb-" in text
    assert "routes[0].channel" in text


async def test_socket_mode_when_the_app_token_is_set(tmp_path: Path, fake: FakeSlack) -> None:
    config = slack_config(tmp_path)
    socket_env = Environment.from_mapping(
        {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-A0-123-abcdef"}
    )
    harness = await make_harness(tmp_path, fake, config.model_copy(update={"env": socket_env}))
    assert harness.runtime.mode == "socket"
    await harness.db.dispose()


async def test_http_mode_otherwise(harness: Harness) -> None:
    assert harness.runtime.mode == "http"
    assert str(harness.runtime.client.base_url).startswith(harness.fake.url)


def test_manifest_declares_the_bot_command_interactivity_and_minimal_scopes() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert manifest["oauth_config"]["scopes"]["bot"] == ["chat:write", "commands", "files:write"]
    assert manifest["features"]["bot_user"]["display_name"] == "deinfluence"
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == "/deinfluence"
    assert command["usage_hint"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
