"""Generated seasonal egress for the anomaly tests (hourly windows keep them fast)."""

from __future__ import annotations

import numpy as np

from detectors.anomaly.features import WindowCounts

HOUR = 3600
START = 1_704_067_200  # Monday 2024-01-01 00:00 UTC


def hourly_traffic(weeks: int, seed: int = 0, peak: float = 3000.0) -> list[tuple[float, WindowCounts]]:
    """(ts, counts) per hour: a daytime bell, quiet nights and weekends, log-normal noise."""
    rng = np.random.default_rng(seed)
    n = weeks * 7 * 24
    hour = np.arange(n) % 24
    weekend = (np.arange(n) // 24) % 7 >= 5
    level = peak * (0.15 + 0.85 * np.exp(-0.5 * ((hour - 14) / 3.5) ** 2)) * np.where(weekend, 0.5, 1.0)
    req = rng.poisson(level * np.exp(rng.normal(0, 0.1, n))).astype(float)
    byt = req * 20_000 * np.exp(rng.normal(0, 0.05, n))
    find = rng.poisson(req * 0.5).astype(float)
    subj = rng.poisson(find * 0.6).astype(float)
    return [(START + i * HOUR, WindowCounts(b, r, f, s, 0.0)) for i, (b, r, f, s) in enumerate(zip(byt, req, find, subj))]


def scale(c: WindowCounts, volume: float = 1.0, bytes_: float = 1.0, subjects: float = 1.0) -> WindowCounts:
    return WindowCounts(
        c.bytes_out * volume * bytes_,
        c.requests * volume,
        c.pii_findings * volume,
        c.distinct_subjects * volume * subjects,
        c.new_field_paths,
    )
