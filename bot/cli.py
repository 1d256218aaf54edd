"""`deinfluence …`: every entry point an operator or a brand team runs from a shell."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from rich.console import Console

from bot.config import Config, ConfigError, load_config
from bot.durations import parse_duration

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _duration(text: str) -> timedelta:
    """argparse type for duration flags: a bad value is a usage error with the grammar."""
    try:
        return parse_duration(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deinfluence", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--config",
            metavar="PATH",
            help="TOML config (default: $DEINFLUENCE_CONFIG or ./deinfluence.toml)",
        )
        return p

    run = with_config(sub.add_parser("run", help="run the bot: scheduler, sources, chat"))
    run.add_argument("--log-format", choices=("text", "json"), default="text")
    demo = sub.add_parser("demo", help="the whole pipeline on bundled data, no tokens needed")
    demo.add_argument("--seconds", type=float, default=30.0, help="how long the replay takes")
    demo.add_argument(
        "--out", type=Path, default=Path("demo-out"), help="where the db and chart go"
    )
    demo.add_argument("--no-interactive", action="store_true", help="exit after the summary")
    back = with_config(
        sub.add_parser("backtest", help="replay past posts: which alerts would fire")
    )
    back.add_argument("posts", type=Path, metavar="POSTS.jsonl")
    back.add_argument("--json", action="store_true", help="one JSON object per line")
    ev = sub.add_parser("eval", help="the scorer's quality on a labelled corpus")
    ev.add_argument("corpus", type=Path, metavar="CORPUS.jsonl")
    ev.add_argument("--brands", type=Path, required=True, metavar="BRANDS.json")
    ev.add_argument("--json", action="store_true")
    with_config(sub.add_parser("check-config", help="validate the config; list every problem"))
    db = with_config(sub.add_parser("db", help="database maintenance"))
    db.add_argument("action", choices=("upgrade", "current", "vacuum"))
    cmd = with_config(
        sub.add_parser("command", help="run one /deinfluence command against the store")
    )
    cmd.add_argument("text", help='e.g. "/deinfluence summary GlowLab 24h"')
    cmd.add_argument("--json", action="store_true", help="print the structured result")
    st = with_config(
        sub.add_parser("status", help="sources, queues, mutes and which replica leads")
    )
    st.add_argument("--json", action="store_true")
    poll = with_config(sub.add_parser("poll-once", help="poll every configured source once"))
    poll.add_argument("--json", action="store_true")
    bf = with_config(
        sub.add_parser("backfill", help="pull past posts so new brands' baselines have data")
    )
    bf.add_argument(
        "--since",
        type=_duration,
        default=timedelta(days=7),
        metavar="DURATION",
        help="how far back, e.g. 48h or 7d (default 7d); the same value resumes a stopped run",
    )
    bf.add_argument("--source", metavar="NAME", help="only this source (default: all enabled)")
    bf.add_argument("--json", action="store_true")
    bf.add_argument(
        "--alerts", action="store_true", help="let posts older than 24h open alerts too"
    )
    ds = with_config(sub.add_parser("discord-sync", help="push /deinfluence to Discord now"))
    ds.add_argument("--guild", type=int, help="sync to this guild only (development)")
    fb = with_config(
        sub.add_parser("export-feedback", help="false-positive corrections as corpus lines")
    )
    fb.add_argument("--out", type=Path, help="file to write (default: standard output)")
    return parser


def _load(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def _print_problems(problems: Sequence[str], where: str) -> None:
    err = Console(stderr=True, highlight=False)
    err.print(f"[bold red]{len(problems)} problem{'s' * (len(problems) != 1)} in {where}:[/]")
    for problem in problems:
        err.print(f"  - {problem}", markup=False)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_dispatch(args))
    except ConfigError as error:
        where = (
            getattr(args, "config", None) or os.environ.get("DEINFLUENCE_CONFIG") or "the config"
        )
        _print_problems(error.problems, str(where))
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace) -> int:
    from bot import commands_cli

    match args.command:
        case "demo":
            from bot.demo import run_demo

            return await run_demo(
                args.out, interactive=False if args.no_interactive else None, seconds=args.seconds
            )
        case "eval":
            from bot.evaluation import run_eval

            code, text = run_eval(args.corpus, args.brands, args.json)
            print(text)
            return code
        case "check-config":
            return await commands_cli.check_config(_load(args))
        case "backtest":
            from bot.backtest import run_backtest

            code, lines = await run_backtest(args.posts, _load(args), json_output=args.json)
            print("\n".join(lines))
            return code
        case "db":
            return await commands_cli.db(_load(args), args.action)
        case "command":
            return await commands_cli.one_command(_load(args), args.text, as_json=args.json)
        case "poll-once":
            return await commands_cli.poll_once(_load(args), as_json=args.json)
        case "backfill":
            return await commands_cli.backfill(
                _load(args), args.since, args.source, as_json=args.json, alerts=args.alerts
            )
        case "export-feedback":
            return await commands_cli.export_feedback(_load(args), args.out)
        case "status":
            return await commands_cli.one_command(_load(args), "status", as_json=args.json)
        case "discord-sync":
            return await commands_cli.discord_sync(_load(args), args.guild)
        case "run":
            return await commands_cli.run(_load(args), args.log_format)
    print(json.dumps({"error": f"unknown command {args.command}"}), file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
