"""The terminal as a chat platform: alerts as panels, `/deinfluence …` typed on standard input.

Text from posts goes into rich `Text` objects, never into markup strings, so a
caption cannot restyle or fake the output.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from pathlib import Path
from typing import TextIO

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from bot.commands.service import CommandService
from bot.models import Severity
from bot.permissions import Actor
from bot.ports import MessageRef
from bot.timeutil import short_time
from bot.views import (
    AlertCard,
    BrandsView,
    CommandResult,
    CreatorsView,
    CreatorView,
    DrillView,
    HelpView,
    MutesView,
    Notice,
    PostLine,
    StatusView,
    SummaryView,
)

STYLE = {
    Severity.NONE: "dim",
    Severity.LOW: "blue",
    Severity.MEDIUM: "yellow",
    Severity.HIGH: "dark_orange",
    Severity.CRITICAL: "bold red",
}
TEXT_LIMIT = 280


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reach(line: PostLine) -> str:
    parts = []
    if line.followers is not None:
        parts.append(f"{line.followers:,} followers")
    if line.views is not None:
        parts.append(f"{line.views:,} views")
    return f"{line.reach} ({', '.join(parts)})" if parts else line.reach


def alert_renderable(card: AlertCard, *, updated: bool = False) -> Panel:
    body = Text()
    if card.post is not None:
        post = card.post
        verified = " ✓" if post.verified else ""
        body.append(
            f"@{post.author}{verified} on {post.source} · reach {_reach(post)}"
            f" · {post.lang or '?'}\n",
            style="bold",
        )
        body.append("“" + _clip(post.text) + "”\n", style="italic")
    for reason in card.reasons:
        body.append(f"• {reason}\n")
    if card.post is not None and card.post.url:
        body.append(card.post.url + "\n", style="underline")
    for line in card.history:
        body.append(f"↳ {line}\n", style="green")
    if card.actions:
        body.append(
            "actions: " + ", ".join(f"{a.value} {card.alert_id}" for a in card.actions), style="dim"
        )
    label = "updated" if updated else "new"
    title = Text(f"{card.badge} #{card.alert_id} {card.title} [{card.status}] ({label})")
    border = "green" if card.opportunity else STYLE[card.severity]
    return Panel(body, title=title, title_align="left", border_style=border)


class ConsoleNotifier:
    """A ChatNotifier that prints; message ids are a running count."""

    platform = "console"

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self._ids = itertools.count(1)

    async def post(
        self,
        channel: str,
        card: AlertCard,
        *,
        mention: str | None,
        thread: MessageRef | None = None,
    ) -> MessageRef:
        panel = alert_renderable(card)
        if card.opportunity:  # its own channel: say so, the terminal is every channel at once
            panel.title = Text(f"{channel} · ") + Text(str(panel.title))
        if thread is not None:
            panel.title = Text(f"↳ in the thread of message {thread.message_id}: ") + Text(
                str(panel.title)
            )
        self.console.print(panel)
        return MessageRef(
            self.platform, channel, str(next(self._ids)), thread.message_id if thread else None
        )

    async def reply(self, ref: MessageRef, text: str, *, mention: str | None) -> MessageRef:
        who = f"@{mention} " if mention else ""
        self.console.print(Text(f"↳ {who}{text}", style="bold magenta"))
        return MessageRef(self.platform, ref.channel, str(next(self._ids)), ref.message_id)

    async def update(self, ref: MessageRef, card: AlertCard) -> None:
        self.console.print(alert_renderable(card, updated=True))


def _posts_table(posts: tuple[PostLine, ...]) -> Table:
    table = Table(show_lines=False, expand=True)
    for name in ("sev", "alert", "author", "reach", "text", "reasons"):
        table.add_column(name, overflow="fold")
    for line in posts:
        table.add_row(
            Text(line.severity.label, style=STYLE[line.severity]),
            f"#{line.alert_id}" if line.alert_id else "",
            f"@{line.author} ({line.source})",
            _reach(line),
            Text(_clip(line.text, 120)),
            Text("; ".join(line.reasons)),
        )
    return table


def result_renderable(result: CommandResult) -> Panel | Table | Text | Group:
    view = result.view
    match view:
        case Notice():
            style = {"error": "red", "denied": "bold red"}.get(view.level, "green")
            return Text(view.text, style=style)
        case HelpView():
            table = Table("command", "what it does", title="/deinfluence")
            for usage, what in view.lines:
                table.add_row(usage, what)
            return table
        case StatusView():
            table = Table(
                "source",
                "type",
                "state",
                "posts",
                "last success",
                "last error",
                title=f"status at {short_time(view.now)}",
            )
            for s in view.sources:
                table.add_row(
                    s.name,
                    s.type,
                    s.state,
                    str(s.posts_fetched),
                    short_time(s.last_success) if s.last_success else "—",
                    Text(s.last_error or "—"),
                )
            lead = f"; leader {view.leader}" if view.leader else ""
            problems = [Text(f"⚠ {p}", style="red") for p in view.delivery_problems]
            return Group(
                table,
                *problems,
                Text(
                    f"{view.posts} posts, {view.open_alerts} open alerts, "
                    f"{view.undelivered} undelivered, {view.active_mutes} active mutes{lead}"
                ),
            )
        case BrandsView():
            table = Table("brand", "aliases", "competitors", "open alerts", "mentions 24h")
            for b in view.brands:
                table.add_row(
                    b.name,
                    ", ".join(b.aliases),
                    ", ".join(b.competitors),
                    str(b.open_alerts),
                    str(b.mentions_24h),
                )
            return table
        case SummaryView():
            return Group(Text(result.text), _posts_table(view.top_posts))
        case DrillView():
            return Group(
                Text(
                    f"{view.title} — page {view.page}/{view.pages}, {view.total} posts",
                    style="bold",
                ),
                _posts_table(view.posts),
            )
        case MutesView():
            table = Table("id", "matchers", "until", "state", "by", "reason")
            for m in view.mutes:
                table.add_row(
                    str(m.mute_id),
                    m.matchers,
                    short_time(m.ends_at),
                    m.state,
                    m.created_by,
                    Text(m.reason),
                )
            return table
        case AlertCard():
            return alert_renderable(view)
        case CreatorView():
            return _creator(view)
        case CreatorsView():
            return _creators(view)
    return Text(result.text)


def _creator(view: CreatorView) -> Group:
    followers = f"{view.followers:,} followers" if view.followers is not None else "followers ?"
    head = Text(f"@{view.handle} on {view.source} · {followers} · {view.posts_seen} posts seen")
    head.stylize("bold")
    parts: list[Text | Table] = [head]
    if view.first_seen and view.last_seen:
        parts.append(
            Text(f"first seen {short_time(view.first_seen)}, last {short_time(view.last_seen)}")
        )
    if view.followers_over_time:
        series = " → ".join(f"{p.followers:,} ({p.at:%Y-%m-%d})" for p in view.followers_over_time)
        parts.append(Text(f"followers over time: {series}"))
    if view.watch:
        parts.append(Text(f"👁 {view.watch}", style="magenta"))
    if view.mentions:
        table = Table("brand", "mentions", "stance", "negative by severity")
        for b in view.mentions:
            table.add_row(
                b.brand,
                str(b.total),
                ", ".join(f"{c.name} {c.count}" for c in b.by_stance),
                ", ".join(f"{c.name} {c.count}" for c in b.by_severity) or "—",
            )
        parts.append(table)
    for signal in view.signals:
        style = "bold red" if signal.fired else "dim"
        parts.append(Text(f"{'⚑' if signal.fired else '·'} {signal.text}", style=style))
    if view.recent:
        parts.append(_posts_table(view.recent))
    if view.also_on:
        parts.append(Text(f"also seen on {', '.join(view.also_on)}", style="dim"))
    return Group(*parts)


def _creators(view: CreatorsView) -> Table:
    table = Table(
        "#",
        "creator",
        "negative posts",
        "reach",
        "worst",
        "brands",
        title=f"Creators by reach-weighted negative mentions: {view.brand or 'all brands'}, "
        f"last {view.window}",
    )
    for index, c in enumerate(view.creators, start=1):
        watched = " 👁" if c.watched else ""
        table.add_row(
            str(index),
            Text(f"@{c.handle} ({c.source}){watched}"),
            str(c.negative_posts),
            f"{c.reach:,}",
            Text(c.worst.label, style=STYLE[c.worst]),
            ", ".join(c.brands),
        )
    return table


def show_result(console: Console, result: CommandResult, chart_dir: Path | None) -> Path | None:
    """Print a command result; write its chart (if any) to `chart_dir` and say where."""
    console.print(result_renderable(result))
    if result.chart_png is None or chart_dir is None:
        return None
    chart_dir.mkdir(parents=True, exist_ok=True)
    path = chart_dir / "summary-chart.png"
    path.write_bytes(result.chart_png)
    console.print(Text(f"chart written to {path}", style="dim"))
    return path


async def repl(
    service: CommandService, console: Console, chart_dir: Path | None, stream: TextIO | None = None
) -> None:
    """Read `/deinfluence …` lines until EOF, `quit` or `exit`."""
    source = stream or sys.stdin
    actor = Actor(platform="console", user_id="operator", name="terminal")
    loop = asyncio.get_running_loop()
    console.print(Text("Type /deinfluence help (or quit).", style="bold"))
    while True:
        console.print(Text("deinfluence> ", style="bold cyan"), end="")
        line = await loop.run_in_executor(None, source.readline)
        if not line:
            console.print()
            return
        text = line.strip()
        if text in {"quit", "exit"}:
            return
        if not text:
            continue
        result = await service.run_text(text, actor)
        show_result(console, result, chart_dir)
