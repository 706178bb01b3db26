"""One timestamp convention for the package: float seconds since the epoch."""

from __future__ import annotations

import datetime as dt
import math
from numbers import Real
from typing import Any

import numpy as np


def to_epoch(ts: Any) -> float:
    """Seconds since the epoch from a datetime (naive = UTC), numpy datetime64 or number."""
    if isinstance(ts, dt.datetime):
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=dt.timezone.utc)
        return ts.timestamp()
    if isinstance(ts, np.datetime64):
        return float(ts.astype("datetime64[us]").astype(np.int64)) / 1e6
    if isinstance(ts, Real) and not isinstance(ts, bool) and math.isfinite(float(ts)):
        return float(ts)
    raise ValueError(f"timestamp: expected a datetime, numpy datetime64 or epoch seconds, got {ts!r}")
