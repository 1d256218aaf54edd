"""Logs: one line per poll, JSON on request, secrets redacted, and the suite-wide check is sound."""

from __future__ import annotations

import ast
import io
import json
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from adapters.sources.replay import ReplaySource
from bot.clock import ManualClock
from bot.config import Secret
from bot.logs import JsonFormatter, log_handler, setup_logging
from bot.ports import SourcePage, SourceUnavailable
from bot.store.database import Database
from tests.core.helpers import RecordingChat, config, pipeline
from tests.log_redaction import END, START, leaks
from tests.secrets_used import ALL, OBTAINED, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET

TESTS = Path(__file__).resolve().parents[1]
ENV_SECRET = re.compile(r"(TOKEN|SECRET|KEY|PASSWORD|CLIENT_ID)$")  # as Environment reads them
SECRET_KEYWORDS = {"client_id", "client_secret", "password", "token", "api_key", "secret"}


def _logger(stream: io.StringIO, fmt: str) -> logging.Logger:
    """A logger of its own that does not propagate: these records hold secrets on purpose."""
    logger = logging.getLogger(f"tests.logs.{fmt}")
    logger.handlers[:] = [log_handler(fmt, [Secret(SLACK_SIGNING_SECRET)], stream)]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def test_json_lines_carry_level_logger_message_and_redacted_traceback() -> None:
    stream = io.StringIO()
    logger = _logger(stream, "json")
    logger.info("signing with %s for user %s", SLACK_SIGNING_SECRET, "U1")
    try:
        raise RuntimeError(f"call failed: Authorization: Bearer {OBTAINED[0]}")
    except RuntimeError:
        logger.exception("slack call failed with %s", SLACK_BOT_TOKEN)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "info" and first["logger"] == "tests.logs.json"
    assert first["msg"] == "signing with *** for user U1"
    assert first["ts"].endswith("+00:00")
    assert second["level"] == "error" and second["msg"] == "slack call failed with ***"
    assert "RuntimeError: call failed: Authorization: ***" in second["exc"]
    assert not [s for s in ALL if s in stream.getvalue()]


def test_text_lines_are_readable_and_redacted() -> None:
    stream = io.StringIO()
    _logger(stream, "text").warning("token %s rejected", SLACK_BOT_TOKEN)
    line = stream.getvalue().strip()
    assert re.fullmatch(r"\S+ \S+ WARNING tests\.logs\.text: token \*\*\* rejected", line)


def test_setup_logging_json_installs_the_json_formatter() -> None:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    try:
        setup_logging("DEBUG", "json", [Secret(SLACK_SIGNING_SECRET)])
        [handler] = root.handlers
        assert isinstance(handler.formatter, JsonFormatter)
    finally:
        root.handlers[:] = saved
        root.setLevel(level)


def test_cli_accepts_log_format_json() -> None:
    from bot.cli import _parser

    args = _parser().parse_args(["run", "--log-format", "json"])
    assert args.log_format == "json"


class DownSource:
    name = "down"

    async def fetch(self, cursor: Mapping[str, Any] | None) -> SourcePage:
        raise SourceUnavailable("503 from the API")

    async def aclose(self) -> None:
        return None


async def test_one_line_per_poll_per_source(
    db: Database, clock: ManualClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text("", encoding="utf-8")
    pipe = pipeline(config(), db, clock, RecordingChat())
    with caplog.at_level(logging.DEBUG, logger="bot.polling"):
        await pipe.poller.poll(ReplaySource("replay", path, clock), 3)
        await pipe.poller.poll(DownSource(), 3)  # fails
        await pipe.poller.poll(DownSource(), 3)  # backing off
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.polling"]
    assert len(lines) == 3
    assert lines[0].startswith("poll source=replay pages=1 fetched=0")
    assert lines[1].startswith("poll source=down pages=0") and "error=503 from the API" in lines[1]
    assert lines[2].startswith("poll source=down skipped: backing off until")


def test_the_suite_check_finds_a_leak_and_an_empty_log() -> None:
    clean = f"x {START} ***\ny {END} ***\n"
    assert leaks(clean, ALL) == []
    assert leaks(clean + f"z {OBTAINED[-1]}7 done", ALL) == [
        f"test secret {OBTAINED[-1]!r} appears in the log"
    ]
    assert len(leaks("", ALL)) == 2  # no sentinels: the handler never saw the run


def _secret_literals(tree: ast.AST) -> Iterator[str]:
    """String literals the tests hand the bot as credentials."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and isinstance(key.value, str)
                    and ENV_SECRET.search(key.value)
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    yield value.value
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in ("Secret", "set_bearer"):
                yield from (
                    a.value
                    for a in node.args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                )
            for keyword in node.keywords:
                value = keyword.value
                if (
                    keyword.arg in SECRET_KEYWORDS
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    yield value.value
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.match(r"(xox[a-z]|xapp)-\w", node.value)
        ):
            yield node.value


def test_every_secret_the_tests_use_is_listed_for_the_check() -> None:
    unlisted = set()
    for path in sorted(TESTS.rglob("*.py")):
        if "fixtures" in path.parts or path.name == "secrets_used.py":
            continue
        for literal in _secret_literals(ast.parse(path.read_text(encoding="utf-8"))):
            if len(literal) >= 4 and literal not in ALL:
                unlisted.add(f"{path.relative_to(TESTS)}: {literal!r}")
    assert sorted(unlisted) == [], "add these to tests/secrets_used.py"
