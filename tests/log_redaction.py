"""A pytest plugin: every record the suite logs goes through the production log handler into
a file, and the run fails if any test secret shows up there.

The records are copied before the production filter rewrites them, so `caplog` in the
tests still sees exactly what was logged. Sentinel lines at the start and the end prove
the file really received logs the whole session (the check cannot pass on an empty file).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from bot.config import Secret
from bot.logs import log_handler
from tests.secrets_used import ALL, CONFIGURED, SLACK_BOT_TOKEN

SENTINEL_LOGGER = "tests.log_redaction"
START = "redaction check starts with"
END = "redaction check ends with"
# Per-statement debug chatter with no credentials in it; at DEBUG it would double the run time.
QUIET = ("aiosqlite",)


class SuiteLog(logging.Handler):
    """Hands a copy of every record to the production handler (its filter rewrites records)."""

    def __init__(self, inner: logging.Handler) -> None:
        super().__init__(logging.DEBUG)
        self.inner = inner
        self.records = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.records += 1
        self.inner.handle(logging.makeLogRecord(record.__dict__))


def leaks(text: str, secrets: tuple[str, ...] = ALL) -> list[str]:
    """The secrets that appear in `text`, plus a note for each sentinel that is missing."""
    found = [f"test secret {s!r} appears in the log" for s in secrets if s in text]
    for sentinel in (START, END):
        if f"{sentinel} ***" not in text:
            found.append(f"the line {sentinel!r} (with the token redacted) is missing")
    return found


@dataclass
class Capture:
    directory: Path
    stream: IO[str]
    handler: SuiteLog
    problems: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return self.directory / "suite.log"


_capture: Capture | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _capture
    directory = Path(tempfile.mkdtemp(prefix="deinfluence-test-logs-"))
    stream = (directory / "suite.log").open("w", encoding="utf-8")
    inner = log_handler("text", [Secret(s) for s in CONFIGURED], stream)
    _capture = Capture(directory, stream, SuiteLog(inner))
    root = logging.getLogger()
    root.addHandler(_capture.handler)
    root.setLevel(logging.DEBUG)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.INFO)
    _terse_failure_reports(session.config)
    logging.getLogger(SENTINEL_LOGGER).info("%s %s", START, SLACK_BOT_TOKEN)


def _terse_failure_reports(config: pytest.Config) -> None:
    """Root now passes DEBUG; keep a failed test's "Captured log" at WARNING, as it was."""
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    handler = getattr(plugin, "report_handler", None)
    if isinstance(handler, logging.Handler) and getattr(plugin, "log_level", 0) is None:
        handler.setLevel(logging.WARNING)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _capture
    capture, _capture = _capture, None
    if capture is None:
        return
    logging.getLogger(SENTINEL_LOGGER).info("%s %s", END, SLACK_BOT_TOKEN)
    logging.getLogger().removeHandler(capture.handler)
    capture.stream.close()
    if session.config.option.collectonly or session.testscollected == 0:
        shutil.rmtree(capture.directory, ignore_errors=True)
        return
    capture.problems = leaks(capture.path.read_text(encoding="utf-8"))
    if capture.problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        session.config.stash[_REPORT] = capture
    else:
        shutil.rmtree(capture.directory, ignore_errors=True)


_REPORT = pytest.StashKey[Capture]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    capture = terminalreporter.config.stash.get(_REPORT, None)
    if capture is None:
        return
    terminalreporter.section("log redaction", sep="!", red=True, bold=True)
    for problem in capture.problems:
        terminalreporter.write_line(problem, red=True, bold=True)
    terminalreporter.write_line(f"the suite's log is kept at {capture.path}", red=True)
