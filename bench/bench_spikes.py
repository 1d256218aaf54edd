"""Spike detector on synthetic history: recall per spike size, delay, false alarms per week.

Run: .venv/bin/python -m bench.bench_spikes [--days 30] [--poll 5] [--replicates 2]

Each brand gets `days` of Poisson mentions whose rate follows a daily pattern
(peak in the evening, local time) and a weekly one (busier weekends; one brand
also has a Monday-morning rush), with fixed seeds. Spikes multiply the usual
rate by 2, 3, 5 or 10 for 1-3 hours, starting on a poll. The detector is fed
exactly what the core would have after each poll: hourly counts by severity
for the past and the last hour's mentions; it never sees the injected times.

Two readings of "a spike of 5x", side by side:

- Onset (rate): the injected rate multiple. Detection = a spike check between
  spike start and spike end + one poll; delay = minutes from spike start.
- Alert (as the manager reads it): the alert says "31 negative mentions in the
  last hour; usual ... is 2-5; 6.2x above". A spike *is* k x at the first poll
  (during the spike) where the alert window's count is at least k x the true
  usual count of that window (the generator knows the rate) and at least the
  policy's min_count. Detected within one poll = the detector fired, after the
  spike started, by that poll or the next one.

False alarm = an alert episode (first spike check until checks have stayed
clear for resolve_after, as the lifecycle would do) that starts outside every
injected spike (spike start .. spike end + window).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

from bot.models import Severity
from bot.spikes import RecentMention, Sensitivity, Series, SpikePolicy, assess, hour_start

START = datetime(2024, 9, 2, tzinfo=UTC)  # a Monday
SIZES = (2, 3, 5, 10)
MULTIPLES = (5, 10)  # the alert reading: "k x above usual"
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


@dataclass(frozen=True)
class Poll:
    """The alert window ending at one poll, as the generator knows it."""

    at: datetime
    count: int  # mentions in the window
    usual: float  # true expected count of the window without any spike


@dataclass(frozen=True)
class Verdict:
    """The detector's answer at one poll; its hourly count test explains a miss."""

    fired: bool
    expected: float
    threshold: float
    basis: str


@dataclass
class Run:
    """One brand and seed: every poll, every sensitivity's verdict at every poll."""

    brand: Brand
    seed: int
    spikes: list[Spike]
    polls: list[Poll]
    verdicts: dict[Sensitivity, list[Verdict]]
    firsts: list[int]  # mentions in each spike's first poll interval


@dataclass
class Outcome:
    delays: dict[int, list[float | None]]  # size -> delay in minutes per spike (None: missed)
    first_poll: list[tuple[int, int, bool]]  # (size, mentions in the spike's first poll, caught)
    false_alarms: dict[str, int]  # phase -> count
    weeks: dict[str, float]  # phase -> brand-weeks observed


@dataclass(frozen=True)
class Reading:
    """One spike under the alert reading for one multiple k and one sensitivity."""

    brand: Brand
    seed: int
    spike: Spike
    k: int
    reached: int | None  # index of the first poll where the window is k x usual and >= min_count
    under_minimum: bool  # k x usual only ever with fewer than min_count mentions
    fired: datetime | None  # the detector's first spike check after the spike started


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
) -> tuple[list[tuple[datetime, Severity]], list[float]]:
    """Events (time, severity) and each poll interval's usual expected count.

    Spikes multiply the usual rate by their size; the usual list is without them.
    """
    severities = [s for s, _ in SEVERITY_MIX]
    probs = [p for _, p in SEVERITY_MIX]
    events: list[tuple[datetime, Severity]] = []
    usual: list[float] = []
    t = START
    end = START + timedelta(days=days)
    step_h = poll / timedelta(hours=1)
    while t < end:
        mid = t + poll / 2
        rate = brand.rate(mid)
        usual.append(rate * step_h)
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
    return events, usual


def phase(at: datetime) -> str:
    day = (at - START) / timedelta(days=1)
    return "warm-up" if day < 3 else "hour-of-day" if day < 21 else "hour-of-week"


def run_brand(
    brand: Brand, seed: int, days: int, poll: timedelta, policies: dict[Sensitivity, SpikePolicy]
) -> Run:
    rng = np.random.default_rng(seed)
    spikes = plan_spikes(rng, days, poll)
    events, usual = simulate(brand, spikes, rng, days, poll)
    hourly: dict[datetime, dict[Severity, int]] = {}
    recent: deque[RecentMention] = deque()
    window = next(iter(policies.values())).window
    per_window = window // poll  # poll intervals in the alert window (windows end on polls)
    verdicts: dict[Sensitivity, list[Verdict]] = {s: [] for s in policies}
    polls: list[Poll] = []
    i = 0
    step = 0
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
        polls.append(Poll(now, len(recent), sum(usual[max(0, step + 1 - per_window) : step + 1])))
        series = Series(hourly=hourly, recent=tuple(recent), covered_from=START)
        for sens, policy in policies.items():
            check = assess(series, now, policy, brand=brand.name)
            hourly_test = check.triggers[0]
            verdicts[sens].append(
                Verdict(check.is_spike, hourly_test.expected, hourly_test.threshold, check.basis)
            )
        now += poll
        step += 1
    times = [at for at, _ in events]
    firsts = [bisect_right(times, s.start + poll) - bisect_right(times, s.start) for s in spikes]
    return Run(brand, seed, spikes, polls, verdicts, firsts)


def onset(run: Run, sens: Sensitivity, policy: SpikePolicy, poll: timedelta, days: int) -> Outcome:
    """The rate reading: delay from the injected start; false alarm episodes."""
    checks = [(p.at, v.fired) for p, v in zip(run.polls, run.verdicts[sens], strict=True)]
    delays: dict[int, list[float | None]] = {size: [] for size in SIZES}
    first_poll = []
    for s, first in zip(run.spikes, run.firsts, strict=True):
        hit = next((t for t, fired in checks if fired and s.start < t <= s.end + poll), None)
        delays[s.size].append(None if hit is None else (hit - s.start) / timedelta(minutes=1))
        first_poll.append((s.size, first, hit is not None and hit - s.start <= poll))
    false_alarms = {"warm-up": 0, "hour-of-day": 0, "hour-of-week": 0}
    open_since: datetime | None = None
    last_fired: datetime | None = None
    for t, fired in checks:
        if fired:
            if open_since is None:
                open_since = t
                explained = any(s.start < t <= s.end + policy.window for s in run.spikes)
                if not explained:
                    false_alarms[phase(t)] += 1
            last_fired = t
        elif last_fired is not None and t - last_fired >= policy.resolve_after:
            open_since = None
    week = 7.0
    weeks = {"warm-up": 3 / week, "hour-of-day": 18 / week, "hour-of-week": (days - 21) / week}
    return Outcome(delays, first_poll, false_alarms, weeks)


def alert_reading(run: Run, sens: Sensitivity, policy: SpikePolicy, k: int) -> list[Reading]:
    """The manager's reading: when does each spike's alert window hold k x its usual count?"""
    out = []
    verdicts = run.verdicts[sens]
    first_at = run.polls[0].at
    step = run.polls[1].at - first_at
    for s in run.spikes:
        # polls are evenly spaced: the ones with s.start < at <= s.end
        lo = (s.start - first_at) // step + 1
        hi = min((s.end - first_at) // step, len(run.polls) - 1)
        during = range(lo, hi + 1)
        big = [j for j in during if run.polls[j].count >= k * run.polls[j].usual]
        reached = next((j for j in big if run.polls[j].count >= policy.min_count), None)
        fired = next(
            (
                p.at
                for p, v in zip(run.polls, verdicts, strict=True)
                if v.fired and s.start < p.at <= s.end + policy.window
            ),
            None,
        )
        out.append(
            Reading(run.brand, run.seed, s, k, reached, bool(big) and reached is None, fired)
        )
    return out


def _alarm_rates(
    rows: list[tuple[Brand, Outcome]], count: Callable[[Mapping[str, float]], float]
) -> tuple[float, float, str]:
    """False alarms per brand per week over the phases `count` adds up: all brands, and
    the worst brand with its name."""
    overall = sum(count(o.false_alarms) for _, o in rows) / sum(count(o.weeks) for _, o in rows)
    worst = max(
        (
            sum(count(o.false_alarms) for b, o in rows if b == brand)
            / sum(count(o.weeks) for b, o in rows if b == brand),
            brand.name,
        )
        for brand in BRANDS
    )
    return overall, worst[0], worst[1]


def settled(by_phase: Mapping[str, float]) -> float:
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
    runs = [
        run_brand(brand, 1000 * b + r, args.days, poll, policies)
        for b, brand in enumerate(BRANDS)
        for r in range(args.replicates)
    ]
    elapsed = time.perf_counter() - started
    print(report(runs, policies, poll, args))
    print(f"\n({elapsed:.0f} s; {len(BRANDS)} brands x {args.replicates} seeds)")


def report(
    runs: list[Run],
    policies: dict[Sensitivity, SpikePolicy],
    poll: timedelta,
    args: argparse.Namespace,
) -> str:
    totals = {
        sens: [(run.brand, onset(run, sens, policy, poll, args.days)) for run in runs]
        for sens, policy in policies.items()
    }
    readings = {
        (sens, k): [r for run in runs for r in alert_reading(run, sens, policy, k)]
        for sens, policy in policies.items()
        for k in MULTIPLES
    }
    lines = [
        f"Poll every {args.poll} min; {args.days} days; brands (mean negative mentions/h): "
        + ", ".join(f"{b.name} {b.per_hour:g}" for b in BRANDS)
        + f"; {args.replicates} seeds each.",
        "",
        *alert_tables(readings, runs, poll),
        "",
        "Onset reading (injected rate multiple; delay from the spike's start):",
        "",
        *onset_tables(totals, args.poll),
    ]
    return "\n".join(lines)


def alert_tables(
    readings: dict[tuple[Sensitivity, int], list[Reading]], runs: list[Run], poll: timedelta
) -> list[str]:
    """n, detections within one poll of reaching k x, and every miss with its numbers."""
    by_run = {(run.brand.name, run.seed): run for run in runs}
    minute = timedelta(minutes=1)
    lines = [
        "Alert reading: the first poll during a spike at which the last hour holds at least "
        "k × its true usual count and at least min_count mentions; detected = the detector "
        "fired (after the spike started) by that poll / by the next poll.",
        "",
        "| sensitivity | k× | n | reached after (median min from start) | fired by that poll "
        "| within one poll | missed | k× only below min_count |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    misses: list[str] = []
    for (sens, k), rows in readings.items():
        lag: list[float] = []
        by_then = within = 0
        for r in rows:
            if r.reached is None:
                continue
            run = by_run[r.brand.name, r.seed]
            at = run.polls[r.reached].at
            lag.append((at - r.spike.start) / minute)
            by_then += r.fired is not None and r.fired <= at
            if r.fired is not None and r.fired <= at + poll:
                within += 1
            else:
                misses.append(miss_line(sens, r, run, r.reached))
        under = sum(1 for r in rows if r.under_minimum)
        med = f"{statistics.median(lag):.0f}" if lag else "–"
        lines.append(
            f"| {sens} | {k}× | {len(lag)} | {med} | {by_then} | **{within}** "
            f"| {len(lag) - within} | {under} |"
        )
    lines += ["", "Misses under the alert reading (not fired by the poll after reaching k×):", ""]
    if not misses:
        return [*lines, "none"]
    return [
        *lines,
        "| sensitivity | k× | brand (mean/h) | seed | spike | reached at | count | true usual "
        "| detector usual / threshold (hour) | detector fired |",
        "|---|---:|---|---:|---:|---|---:|---:|---:|---|",
        *misses,
    ]


def miss_line(sens: Sensitivity, r: Reading, run: Run, j: int) -> str:
    p = run.polls[j]
    v = run.verdicts[sens][j]
    minute = timedelta(minutes=1)
    after = (p.at - r.spike.start) / minute
    fired = "never" if r.fired is None else f"{(r.fired - p.at) / minute:+.0f} min"
    return (
        f"| {sens} | {r.k}× | {r.brand.name} ({r.brand.per_hour:g}) | {r.seed} "
        f"| {r.spike.size}× {(r.spike.end - r.spike.start) / minute:.0f} min "
        f"| day {(p.at - START).days} {p.at:%a %H:%M} (+{after:.0f} min) "
        f"| {p.count} | {p.usual:.1f} "
        f"| {v.expected:.1f} / {math.ceil(v.threshold - 1e-9)} ({v.basis}) | {fired} |"
    )


def onset_tables(totals: dict[Sensitivity, list[tuple[Brand, Outcome]]], pm: int) -> list[str]:
    lines = [
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
                if b == brand
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
        "| sensitivity | warm-up (days 0–3) | hour-of-day (3–21) | hour-of-week (21–30) "
        "| days 3–30 | worst brand, days 3–30 | all days | worst brand, all days |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for sens, rows in totals.items():
        cells = []
        for ph in ("warm-up", "hour-of-day", "hour-of-week"):
            fa = sum(o.false_alarms[ph] for _, o in rows)
            weeks = sum(o.weeks[ph] for _, o in rows)
            cells.append(f"{fa / weeks:.2f}")
        for count in (settled, lambda by_phase: sum(by_phase.values())):
            overall, worst, name = _alarm_rates(rows, count)
            cells += [f"{overall:.2f}", f"{worst:.2f} ({name})"]
        lines.append(f"| {sens} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    main()
