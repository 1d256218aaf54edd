"""Settings and secrets that come only from the environment, read in one place."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_CONFIG_PATH = "deinfluence.toml"


class ConfigError(Exception):
    """Every problem found, each as `location: message`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Secret:
    """A string that never shows itself in repr, str, logs or error messages."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Environment(BaseModel):
    """Settings and secrets that come only from the environment."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    database_url: str | None = None
    config_path: str = DEFAULT_CONFIG_PATH
    log_level: str = "INFO"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    slack_bot_token: Secret | None = None
    slack_app_token: Secret | None = None
    slack_signing_secret: Secret | None = None
    slack_api_url: str | None = None
    discord_bot_token: Secret | None = None
    discord_dev_guild_id: int | None = None
    discord_sync_state: str | None = None
    secrets: dict[str, Secret] = Field(
        default_factory=dict,
        description="source credentials: *_TOKEN, _SECRET, _KEY, _PASSWORD, _CLIENT_ID, _HANDLE",
    )

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Environment:
        def secret(name: str) -> Secret | None:
            value = env.get(name, "").strip()
            return Secret(value) if value else None

        port_text = env.get("DEINFLUENCE_HTTP_PORT", "8080").strip() or "8080"
        if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise ConfigError([f"DEINFLUENCE_HTTP_PORT: not a port number: {port_text!r}"])
        guild = env.get("DISCORD_DEV_GUILD_ID", "").strip()
        if guild and not guild.isdigit():
            raise ConfigError([f"DISCORD_DEV_GUILD_ID: not a Discord guild id: {guild!r}"])
        extra = {
            k: Secret(v)
            for k, v in env.items()
            if re.search(r"(TOKEN|SECRET|KEY|PASSWORD|CLIENT_ID|HANDLE)$", k) and v.strip()
        }
        return cls(
            database_url=env.get("DATABASE_URL") or None,
            config_path=env.get("DEINFLUENCE_CONFIG") or DEFAULT_CONFIG_PATH,
            log_level=(env.get("DEINFLUENCE_LOG_LEVEL") or "INFO").upper(),
            http_host=env.get("DEINFLUENCE_HTTP_HOST") or "127.0.0.1",
            http_port=int(port_text),
            slack_bot_token=secret("SLACK_BOT_TOKEN"),
            slack_app_token=secret("SLACK_APP_TOKEN"),
            slack_signing_secret=secret("SLACK_SIGNING_SECRET"),
            slack_api_url=env.get("SLACK_API_URL") or None,
            discord_bot_token=secret("DISCORD_BOT_TOKEN"),
            discord_dev_guild_id=int(guild) if guild else None,
            discord_sync_state=env.get("DISCORD_SYNC_STATE") or None,
            secrets=extra,
        )

    def secret(self, name: str) -> Secret | None:
        return self.secrets.get(name)
