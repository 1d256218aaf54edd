"""Spike detection: is a brand's negative volume above what its own history makes usual?

Pure: no I/O, no clock. The core builds a `Series` (hourly counts by severity
plus the window's mentions), calls `assess` after every poll and uses
`SpikeCheck.explain()` / `.drivers` for the alert and `is_clear` to resolve it.
"""

from bot.spikes.baseline import Basis
from bot.spikes.detector import Measure, SpikeCheck, Trigger, assess, is_clear
from bot.spikes.policy import Sensitivity, SpikePolicy
from bot.spikes.series import HourCounts, RecentMention, Series, hour_start, hourly_counts

__all__ = [
    "Basis",
    "HourCounts",
    "Measure",
    "RecentMention",
    "Sensitivity",
    "Series",
    "SpikeCheck",
    "SpikePolicy",
    "Trigger",
    "assess",
    "hour_start",
    "hourly_counts",
    "is_clear",
]
