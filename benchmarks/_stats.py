"""The figures every benchmark prints: a median and the 95th percentile of many timings."""

from __future__ import annotations

import statistics


def p95(seconds: list[float]) -> float:
    """The 95th percentile (the nearest rank): what all but one update in twenty stay under."""
    values = sorted(seconds)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def median_and_p95_ms(seconds: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile, in milliseconds."""
    return statistics.median(seconds) * 1e3, p95(seconds) * 1e3
