"""Severity-over-time chart as PNG bytes, rendered in-process (no display needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.models import Severity
from bot.timeutil import as_utc
from bot.views import SEVERITY_COLOUR


def bucket_size(window: timedelta) -> timedelta:
    return timedelta(hours=1) if window <= timedelta(days=3) else timedelta(days=1)


def severity_chart(
    points: Sequence[tuple[datetime, Severity, int]],
    since: datetime,
    until: datetime,
    title: str,
    spikes: Sequence[tuple[datetime, datetime]] = (),
) -> bytes:
    """Stacked bars of mentions per hour (per day for long windows) by severity; spikes shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.dates import date2num

    step = bucket_size(until - since)
    buckets = max(1, int((until - since) / step) + 1)
    shown = [s for s in Severity if s is not Severity.NONE]
    counts = {s: [0] * buckets for s in shown}
    for at, severity, count in points:
        index = int((as_utc(at) - since) / step)
        if 0 <= index < buckets and severity in counts:
            counts[severity][index] += count
    xs = date2num([since + i * step for i in range(buckets)])  # type: ignore[no-untyped-call]
    fig, ax = plt.subplots(figsize=(8, 3), dpi=100)
    bottom = [0] * buckets
    width = step / timedelta(days=1) * 0.9
    for severity in shown:
        colour = f"#{SEVERITY_COLOUR[severity]:06x}"
        ax.bar(
            xs,
            counts[severity],
            width=width,
            bottom=bottom,
            color=colour,
            label=severity.label,
            align="edge",
        )
        bottom = [b + c for b, c in zip(bottom, counts[severity], strict=True)]
    for number, (start, end) in enumerate(spikes):
        left, right = date2num([start, end])  # type: ignore[no-untyped-call]
        ax.axvspan(
            left,
            right,
            color="#d32f2f",
            alpha=0.12,
            label="spike" if number == 0 else None,
        )
    ax.set_title(title)
    ax.set_ylabel("mentions")
    ax.legend(loc="upper left", fontsize="small", ncols=4)
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
