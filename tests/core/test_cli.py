"""The shell entry points: check-config, command, backtest, db, export-feedback, demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main

REPO = Path(__file__).resolve().parents[2]
DEMO_POSTS = REPO / "bot" / "data" / "demo_posts.jsonl"


def write_config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "deinfluence.toml"
    path.write_text(f"""
[store]
url = "sqlite+aiosqlite:///{tmp_path / "bot.db"}"

[[brands]]
name = "GlowLab"
aliases = ["GlowLab", "Glow Lab", "#glowlab"]
competitors = ["DewDrop"]

[[brands]]
name = "Tundra"
aliases = ["Tundra cup", "Tundra tumbler", "#tundracup"]
exclusions = ["Toyota Tundra"]
competitors = ["IceKeep"]

[[routes]]
name = "terminal"
platform = "console"
channel = "#alerts"
min_severity = "high"
{extra}
""")
    return path


def test_check_config_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--config", str(write_config(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "config OK: 2 brands, 0 sources, 1 routes" in out


def test_check_config_lists_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("""
[[brands]]
name = "A"
aliases = []

[[sources]]
name = "feed"
type = "replay"
options = { path = "/nonexistent/file.jsonl" }

[[routes]]
name = "r"
platform = "console"
channel = "#c"
min_severity = "urgent"
""")
    assert main(["check-config", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "brands[0].aliases: must not be empty" in err
    assert "routes[0].min_severity: unknown severity 'urgent'" in err
    path.write_text(
        path.read_text().replace("aliases = []", 'aliases = ["a"]').replace("urgent", "high")
    )
    assert main(["check-config", "--config", str(path)]) == 1
    assert "sources.feed.options.path: file not found" in capsys.readouterr().err


def test_backtest_prints_alerts_and_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["backtest", str(DEMO_POSTS), "--config", str(config), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    alerts, summary = lines[:-1], lines[-1]["summary"]
    assert alerts, "the demo data must fire alerts for GlowLab and Tundra"
    assert {a["brand"] for a in alerts} <= {"GlowLab", "Tundra"}
    for alert in alerts:
        assert set(alert) >= {"kind", "brand", "severity", "score", "post_id", "reasons"}
        assert alert["severity"] in {"high", "critical"}
    fired = {a["alert_id"] for a in alerts if a["event"] == "fired"}
    assert summary["alerts"] == len(fired)
    assert sum(summary["by_severity"].values()) == len(fired)


def test_backtest_reports_bad_lines_and_empty_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"id": "x"}\nnot json\n')
    assert main(["backtest", str(posts), "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "skipped" in out and "no posts to replay" in out


def test_command_json_and_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(write_config(tmp_path))
    assert main(["db", "upgrade", "--config", config]) == 0
    assert main(["db", "current", "--config", config]) == 0
    capsys.readouterr()
    assert main(["command", "/deinfluence summary GlowLab 24h", "--config", config, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and result["kind"] == "SummaryView" and result["has_chart"]
    assert result["view"]["brand"] == "GlowLab"
    assert main(["command", "mute GlowLab 0h", "--config", config, "--json"]) == 1
    assert "must be longer than zero" in json.loads(capsys.readouterr().out)["text"]
    assert main(["db", "vacuum", "--config", config]) == 0


def test_export_feedback_turns_corrections_into_corpus_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(write_config(tmp_path))
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps(
            {
                "id": "p1",
                "source": "tiktok",
                "lang": "en",
                "created_at": "2026-11-02T10:00:00Z",
                "text": "GlowLab serum gave me a rash, do not buy #deinfluencing",
                "author": {"handle": "sam", "followers": 500, "verified": False},
                "metrics": {"views": 1000, "likes": 5, "comments": 1, "shares": 0},
            }
        )
        + "\n"
    )
    source = f'\n[[sources]]\nname = "file"\ntype = "replay"\noptions = {{ path = "{posts}" }}\n'
    Path(config).write_text(Path(config).read_text() + source)
    assert main(["poll-once", "--config", config, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["sources"][0]["new"] == 1
    assert main(["command", "wrong 1 it was sarcasm", "--config", config]) == 0
    capsys.readouterr()
    out_file = tmp_path / "feedback.jsonl"
    assert main(["export-feedback", "--config", config, "--out", str(out_file)]) == 0
    [line] = [json.loads(x) for x in out_file.read_text().splitlines()]
    assert line["brand"] == "GlowLab" and line["text"].startswith("GlowLab serum")
    assert line["feedback"]["reason"] == "it was sarcasm" and line["feedback"]["by"] == "cli:shell"
    assert set(line["labels"]) == {"mentions_brand", "stance", "claims", "alternative", "severity"}


@pytest.mark.slow
def test_demo_runs_end_to_end_without_a_terminal(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo", "--seconds", "4", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "Critical risk" in out  # real alerts came through the console adapter
    assert "Spike: PureFizz" in out  # the bundled wave is detected ...
    assert "Escalation 1/2" in out  # ... and escalates when nobody acknowledges it
    assert "Summary for all brands" in out
    assert (tmp_path / "out" / "summary-chart.png").read_bytes().startswith(b"\x89PNG")
    assert "Traceback" not in done.stderr


def test_backtest_reports_spikes_and_their_lifecycle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    posts = tmp_path / "wave.jsonl"
    posts.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"s{i}",
                    "source": "tiktok",
                    "lang": "en",
                    "text": "GlowLab serum is overpriced, do not buy it #deinfluencing",
                    "author": {"handle": f"c{i}", "followers": 500, "verified": False},
                    "metrics": {"views": 100, "likes": 1, "comments": 0, "shares": 0},
                    "created_at": (start + timedelta(minutes=2 * i)).isoformat(),
                }
            )
            + "\n"
            for i in range(25)
        )
    )
    assert main(["backtest", str(posts), "--config", str(config), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    summary = lines[-1]["summary"]
    assert summary["spikes"] == 1 and summary["spikes_resolved"] == 1
    assert summary["escalations"] >= 1  # nobody acks in a backtest: what would have paged
    spike_events = [e for e in lines[:-1] if e.get("kind") == "spike"]
    assert spike_events[0]["event"] == "fired" and spike_events[-1]["status"] == "resolved"
    assert any("negative mentions in the last hour" in r for r in spike_events[0]["reasons"])


def test_status_names_the_leader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(write_config(tmp_path))
    assert main(["status", "--config", config, "--json"]) == 0
    view = json.loads(capsys.readouterr().out)["view"]
    assert "SQLite: a single instance" in view["leader"]
