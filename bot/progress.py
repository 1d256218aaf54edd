"""Progress bars for long runs: shown on a terminal, silent in pipes and CI logs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


class Tracker(Protocol):
    def advance(self, amount: int = 1) -> None: ...


class _Silent:
    def advance(self, amount: int = 1) -> None:
        return None


class _Bar:
    def __init__(self, progress: Progress, task: int) -> None:
        self._progress = progress
        self._task = task

    def advance(self, amount: int = 1) -> None:
        self._progress.advance(self._task, amount)  # type: ignore[arg-type]


@contextmanager
def progress(label: str, total: int | None, console: Console | None = None) -> Iterator[Tracker]:
    target = console or Console(stderr=True)
    if not (target.is_terminal and sys.stderr.isatty()):
        yield _Silent()
        return
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=target, transient=True) as bar:
        yield _Bar(bar, bar.add_task(label, total=total))
