"""Logging: readable text by default, JSON lines on request, secrets always redacted."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO

from bot.config import Secret

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_TOKENISH = re.compile(
    r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+)"
)


class RedactSecrets(logging.Filter):
    """Replaces every configured secret, and anything shaped like a token, with ***."""

    def __init__(self, secrets: Iterable[Secret]) -> None:
        super().__init__()
        self._values = sorted(
            {s.reveal() for s in secrets if len(s.reveal()) >= 4}, key=len, reverse=True
        )

    def redact(self, text: str) -> str:
        for value in self._values:
            text = text.replace(value, "***")
        return _TOKENISH.sub("***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self.redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            payload["exc"] = record.exc_text
        if record.stack_info:
            payload["stack"] = self.formatStack(record.stack_info)
        return json.dumps(payload, ensure_ascii=False)


def log_handler(
    fmt: str, secrets: Iterable[Secret], stream: IO[str] | None = None
) -> logging.Handler:
    """The production handler (redaction, then text or JSON lines); tests reuse it as is."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(secrets))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    return handler


def setup_logging(level: str, fmt: str, secrets: Iterable[Secret]) -> None:
    handler = log_handler(fmt, secrets)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "httpx", "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
