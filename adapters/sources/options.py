"""Each adapter's `options` table is a small strict pydantic model; this turns errors into lines."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.config import ConfigError, Environment, SourceConfig

M = TypeVar("M", bound=BaseModel)


class StrictOptions(BaseModel):
    """Unknown keys are spelling mistakes, so they are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def option_messages(cfg: SourceConfig, model: type[BaseModel]) -> list[str]:
    """`sources.<name>.options.<field>: <message>` for each problem, [] when valid."""
    try:
        model.model_validate(cfg.options)
    except ValidationError as error:
        out = []
        for item in error.errors():
            loc = ".".join(str(p) for p in item["loc"])
            where = f"sources.{cfg.name}.options" + (f".{loc}" if loc else "")
            if item["type"] == "missing":
                message = "required"
            elif item["type"] == "extra_forbidden":
                message = "unknown setting (check the spelling)"
            else:
                message = str(item["msg"]).removeprefix("Value error, ")
            out.append(f"{where}: {message}")
        return out
    return []


def parse_options(cfg: SourceConfig, model: type[M]) -> M:
    """The validated options, or ConfigError listing every problem."""
    problems = option_messages(cfg, model)
    if problems:
        raise ConfigError(problems)
    return model.model_validate(cfg.options)


def missing_secrets(cfg: SourceConfig, env: Environment, names: list[str]) -> list[str]:
    """One line per credential the environment lacks."""
    return [
        f"sources.{cfg.name}: environment variable {name} is not set"
        for name in names
        if not env.secret(name)
    ]


def secret_value(env: Environment, name: str) -> str | None:
    secret = env.secret(name)
    return secret.reveal() if secret else None
