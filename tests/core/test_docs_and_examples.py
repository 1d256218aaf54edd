"""What the README promises: the example config is valid, and every setting read is documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from bot.config import parse_config

REPO = Path(__file__).resolve().parents[2]


def documented() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_example_config_is_valid() -> None:
    data = tomllib.loads((REPO / "deinfluence.example.toml").read_text())
    config = parse_config(data)
    assert config.brands and config.sources and config.routes


def test_every_environment_setting_is_in_env_example() -> None:
    environment = (REPO / "bot" / "environment.py").read_text()
    read = set(re.findall(r'env\.get\("([A-Z_]+)"', environment))
    read |= set(re.findall(r'secret\("([A-Z_]+)"\)', environment))
    for path in (REPO / "adapters" / "sources").glob("*.py"):
        read |= set(re.findall(r'_env: str[^=]*= "([A-Z_]+)"', path.read_text()))
    assert read, "the scan found no settings: the patterns above are stale"
    missing = sorted(read - documented())
    assert missing == []


def test_readme_quick_start_is_the_two_make_commands() -> None:
    readme = (REPO / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (REPO / ".ci" / "run").read_text()
    assert "make lint test" in ci
