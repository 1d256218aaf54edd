"""Spike detector on synthetic history: recall per spike size, delay, false alarms per week.

Run: .venv/bin/python -m bench.bench_spikes [--days 30] [--poll 5] [--replicates 2]

Each brand gets `days` of Poisson mentions whose rate follows a daily pattern
(peak in the evening, local time) and a weekly one (busier weekends; one brand
also has a Monday-morning rush), with fixed seeds. Spikes multiply the usual
rate by 2, 3, 5 or 10 for 1-3 hours, starting on a poll. The detector is fed
exactly what the core would have after each poll: hourly counts by severity
for the past and the last hour's mentions; it never sees the injected times.

False alarm = an alert episode (first spike check until checks have stayed
clear for resolve_after, as the lifecycle would do) that starts outside every
injected spike (spike start .. spike end + window). Detection = a spike check
between spike start and spike end + one poll; delay = minutes from spike start.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.models import Severity
from bot.spikes import RecentMention, Sensitivity, Series, SpikePolicy, assess, hour_start

START = datetime(2024, 9, 2, tzinfo=UTC)  # a Monday
SIZES = (2, 3, 5, 10)
SEVERITY_MIX = (
    (Severity.LOW, 0.45),
    (Severity.MEDIUM, 0.30),
    (Severity.HIGH, 0.18),
    (Severity.CRITICAL, 0.07),
)


@dataclass(frozen=True)
class Brand:
    name: str
    per_hour: float  # mean rate over a week
    monday_rush: bool = False

    def rate(self, at: datetime) -> float:
        """Mentions per hour at this moment: daily swing x weekly swing."""
        hour = at.hour + at.minute / 60
        daily = 1 + 0.6 * math.cos(2 * math.pi * (hour - 20) / 24)
        weekly = 1.3 if at.weekday() >= 5 else 1.0
        if self.monday_rush and at.weekday() == 0 and 8 <= at.hour < 12:
            weekly = 3.0
        return self.per_hour * daily * weekly


BRANDS = (
    Brand("tiny", 2),
    Brand("small", 5),
    Brand("medium", 12, monday_rush=True),
    Brand("large", 30),
    Brand("huge", 80),
)


@dataclass(frozen=True)
class Spike:
    start: datetime
    end: datetime
    size: int


@dataclass
class Outcome:
    delays: dict[int, list[float | None]]  # size -> delay in minutes per spike (None: missed)
    first_poll: list[tuple[int, int, bool]]  # (size, mentions in the spike's first poll, caught)
    false_alarms: dict[str, int]  # phase -> count
    weeks: dict[str, float]  # phase -> brand-weeks observed


def plan_spikes(rng: np.random.Generator, days: int, poll: timedelta) -> list[Spike]:
    """Spikes from day 3 on, 18-42 hours apart, sizes in rotation."""
    spikes: list[Spike] = []
    at = START + timedelta(days=3, hours=float(rng.uniform(2, 20)))
    i = int(rng.integers(0, len(SIZES)))
    while True:
        at = START + ((at - START) // poll) * poll
        length = timedelta(minutes=int(rng.integers(60, 181)))
        if at + length > START + timedelta(days=days):
            return spikes
        spikes.append(Spike(at, at + length, SIZES[i % len(SIZES)]))
        i += 1
        at = at + length + timedelta(hours=float(rng.uniform(18, 42)))


def simulate(
    brand: Brand, spikes: list[Spike], rng: np.random.Generator, days: int, poll: timedelta
) -> list[tuple[datetime, Severity]]:
    """Events per poll interval: (time, severity); spikes add (size-1) x the usual rate."""
    severities = [s for s, _ in SEVERITY_MIX]
    probs = [p for _, p in SEVERITY_MIX]
    events: list[tuple[datetime, Severity]] = []
    t = START
    end = START + timedelta(days=days)
    step_h = poll / timedelta(hours=1)
    while t < end:
        mid = t + poll / 2
        rate = brand.rate(mid)
        for s in spikes:
            if s.start <= mid < s.end:
                rate *= s.size
        n = int(rng.poisson(rate * step_h))
        offsets = sorted(rng.uniform(0, poll.total_seconds(), n))
        picks = rng.choice(len(severities), size=n, p=probs)
        events.extend(
            (t + timedelta(seconds=float(o)), severities[int(k)])
            for o, k in zip(offsets, picks, strict=True)
        )
        t += poll
    return events


def phase(at: datetime) -> str:
    day = (at - START) / timedelta(days=1)
    return "floor" if day < 3 else "hour-of-day" if day < 21 else "hour-of-week"


def run_brand(
    brand: Brand, seed: int, days: int, poll: timedelta, policies: dict[Sensitivity, SpikePolicy]
) -> dict[Sensitivity, Outcome]:
    rng = np.random.default_rng(seed)
    spikes = plan_spikes(rng, days, poll)
    events = simulate(brand, spikes, rng, days, poll)
    hourly: dict[datetime, dict[Severity, int]] = {}
    recent: deque[RecentMention] = deque()
    window = next(iter(policies.values())).window
    checks: dict[Sensitivity, list[tuple[datetime, bool]]] = {s: [] for s in policies}
    i = 0
    now = START + poll
    while now <= START + timedelta(days=days):
        while i < len(events) and events[i][0] <= now:
            at, sev = events[i]
            bucket = hourly.setdefault(hour_start(at), {})
            bucket[sev] = bucket.get(sev, 0) + 1
            recent.append(RecentMention(at=at, severity=sev, ref=f"{brand.name}-{i}"))
            i += 1
        while recent and recent[0].at <= now - window:
            recent.popleft()
        series = Series(hourly=hourly, recent=tuple(recent), covered_from=START)
        for sens, policy in policies.items():
            check = assess(series, now, policy, brand=brand.name)
            checks[sens].append((now, check.is_spike))
        now += poll
    times = [at for at, _ in events]
    firsts = [bisect_right(times, s.start + poll) - bisect_right(times, s.start) for s in spikes]
    return {
        sens: score(checks[sens], spikes, firsts, policies[sens], poll, days) for sens in policies
    }


def score(
    checks: list[tuple[datetime, bool]],
    spikes: list[Spike],
    firsts: list[int],
    policy: SpikePolicy,
    poll: timedelta,
    days: int,
) -> Outcome:
    delays: dict[int, list[float | None]] = {size: [] for size in SIZES}
    first_poll = []
    for s, first in zip(spikes, firsts, strict=True):
        hit = next((t for t, fired in checks if fired and s.start < t <= s.end + poll), None)
        delays[s.size].append(None if hit is None else (hit - s.start) / timedelta(minutes=1))
        first_poll.append((s.size, first, hit is not None and hit - s.start <= poll))
    false_alarms = {"floor": 0, "hour-of-day": 0, "hour-of-week": 0}
    open_since: datetime | None = None
    last_fired: datetime | None = None
    for t, fired in checks:
        if fired:
            if open_since is None:
                open_since = t
                explained = any(s.start < t <= s.end + policy.window for s in spikes)
                if not explained:
                    false_alarms[phase(t)] += 1
            last_fired = t
        elif last_fired is not None and t - last_fired >= policy.resolve_after:
            open_since = None
    week = 7.0
    weeks = {"floor": 3 / week, "hour-of-day": 18 / week, "hour-of-week": (days - 21) / week}
    return Outcome(delays, first_poll, false_alarms, weeks)


def settled(by_phase: dict[str, int] | dict[str, float]) -> float:
    """Days 3-30: once a history-based baseline exists."""
    return by_phase["hour-of-day"] + by_phase["hour-of-week"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--poll", type=int, default=5, help="poll interval in minutes")
    parser.add_argument("--replicates", type=int, default=2, help="seeds per brand")
    args = parser.parse_args()
    poll = timedelta(minutes=args.poll)
    policies = {s: SpikePolicy(sensitivity=s, fast_window=poll) for s in Sensitivity}
    started = time.perf_counter()
    totals: dict[Sensitivity, list[tuple[Brand, Outcome]]] = {s: [] for s in Sensitivity}
    for b, brand in enumerate(BRANDS):
        for r in range(args.replicates):
            result = run_brand(brand, 1000 * b + r, args.days, poll, policies)
            for sens, outcome in result.items():
                totals[sens].append((brand, outcome))
    elapsed = time.perf_counter() - started
    print(report(totals, args))
    print(f"\n({elapsed:.0f} s; {len(BRANDS)} brands x {args.replicates} seeds)")


def report(totals: dict[Sensitivity, list[tuple[Brand, Outcome]]], args: argparse.Namespace) -> str:
    pm = args.poll
    lines = [
        f"Poll every {pm} min; {args.days} days; brands (mean negative mentions/h): "
        + ", ".join(f"{b.name} {b.per_hour:g}" for b in BRANDS)
        + f"; {args.replicates} seeds each.",
        "",
        "| sensitivity | spike | n | recall | within one poll | median delay (min) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for sens, rows in totals.items():
        for size in SIZES:
            ds = [d for _, o in rows for d in o.delays[size]]
            hits = [d for d in ds if d is not None]
            fast = sum(1 for d in hits if d <= pm)
            med = f"{statistics.median(hits):.0f}" if hits else "–"
            lines.append(
                f"| {sens} | {size}× | {len(ds)} | {len(hits) / len(ds):.2f} "
                f"| {fast / len(ds):.2f} | {med} |"
            )
    lines += [
        "",
        "Per brand, spikes of 5× and more: detected within one poll / detected at all / n:",
        "",
        "| sensitivity | " + " | ".join(b.name for b in BRANDS) + " |",
        "|---|" + "---:|" * len(BRANDS),
    ]
    for sens, rows in totals.items():
        cells = []
        for brand in BRANDS:
            ds = [
                d
                for b, o in rows
                if b is brand
                for size in SIZES
                if size >= 5
                for d in o.delays[size]
            ]
            fast = sum(1 for d in ds if d is not None and d <= pm)
            seen = sum(1 for d in ds if d is not None)
            cells.append(f"{fast} / {seen} / {len(ds)}")
        lines.append(f"| {sens} | " + " | ".join(cells) + " |")
    bands = ((0, 4), (5, 9), (10, 14), (15, 10**9))
    lines += [
        "",
        "Spikes of 5× and more caught at the first poll, by how many mentions that first "
        "poll interval held:",
        "",
        "| sensitivity | "
        + " | ".join(f"{lo}–{hi}" if hi < 10**9 else f"{lo}+" for lo, hi in bands)
        + " |",
        "|---|" + "---:|" * len(bands),
    ]
    for sens, rows in totals.items():
        cells = []
        for lo, hi in bands:
            got = [c for _, o in rows for size, n, c in o.first_poll if size >= 5 and lo <= n <= hi]
            cells.append(f"{sum(got)}/{len(got)}")
        lines.append(f"| {sens} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "False alarms per brand per week (episodes starting outside injected spikes):",
        "",
        "| sensitivity | floor (days 0–3) | hour-of-day (3–21) | hour-of-week (21–30) "
        "| days 3–30 | worst brand, days 3–30 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for sens, rows in totals.items():
        cells = []
        for ph in ("floor", "hour-of-day", "hour-of-week"):
            fa = sum(o.false_alarms[ph] for _, o in rows)
            weeks = sum(o.weeks[ph] for _, o in rows)
            cells.append(f"{fa / weeks:.2f}")
        fa_all = sum(
            o.false_alarms["hour-of-day"] + o.false_alarms["hour-of-week"] for _, o in rows
        )
        wk_all = sum(o.weeks["hour-of-day"] + o.weeks["hour-of-week"] for _, o in rows)
        cells.append(f"{fa_all / wk_all:.2f}")
        worst = []
        for brand in BRANDS:
            fa = sum(
                o.false_alarms["hour-of-day"] + o.false_alarms["hour-of-week"]
                for b, o in rows
                if b is brand
            )
            wk = sum(
                o.weeks["hour-of-day"] + o.weeks["hour-of-week"] for b, o in rows if b is brand
            )
            worst.append((fa / wk, brand.name))
        rate, name = max(worst)
        cells.append(f"{rate:.2f} ({name})")
        lines.append(f"| {sens} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
