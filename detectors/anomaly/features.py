"""Features of one sub-processor's egress in one window (5 min or 1 h).

The store's query yields raw counts per sub-processor and window (``WindowCounts``); this
module turns a window's counts + its timestamp + the entity's earlier windows
(``WindowHistory``) into the named feature vector the scorer consumes.

Volumes and ratios are log-scaled (log1p): exfiltration shows as a multiple of the usual,
and a 3x burst should weigh the same at 10 kB and at 10 GB. Seasonal context compares the
window with the same hour of week once three weeks of history exist, else with the same
hour of past days of the same kind (weekday / weekend; three needed), else not at all
(deviation 0). Short-term deviation compares it with the mean of the previous hour's
windows. Trend compares the day's typical level (median of hourly means) with the same
day in past weeks: a slow drip. Off-hours and weekend flags are computed too, but left out
of the default model input (see MODEL_FEATURES).

Pure: the caller (the daemon) persists a FeatureBuilder's history with state()/from_state().
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from dataclasses import dataclass
from typing import Any, Mapping

from .timestamps import to_epoch

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY


@dataclass(frozen=True)
class WindowCounts:
    """Raw counts of one sub-processor in one window."""

    bytes_out: float = 0.0
    requests: float = 0.0
    pii_findings: float = 0.0
    distinct_subjects: float = 0.0
    new_field_paths: float = 0.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise ValueError(f"WindowCounts.{f.name}: expected a finite number >= 0, got {v!r}")

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> "WindowCounts":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(m) - known)
        if unknown:
            raise ValueError(f"WindowCounts: unknown field(s) {', '.join(unknown)}")
        return cls(**{k: float(v) for k, v in m.items()})


COUNT_FIELDS = tuple(f.name for f in dataclasses.fields(WindowCounts))
SEASONAL_FIELDS = ("bytes_out", "requests", "distinct_subjects")
SHORT_FIELDS = ("bytes_out", "requests", "distinct_subjects")
TREND_FIELDS = ("bytes_out", "distinct_subjects")

FEATURE_NAMES = (
    "bytes_out",
    "requests",
    "pii_findings",
    "distinct_subjects",
    "new_field_paths",
    "bytes_per_request",
    "findings_per_request",
    "subjects_per_request",
    *(f"seasonal_{n}" for n in SEASONAL_FIELDS),
    *(f"short_{n}" for n in SHORT_FIELDS),
    *(f"trend_{n}" for n in TREND_FIELDS),
    "off_hours",
    "weekend",
)

# What the model gets by default. Measured on bench/anomaly_exfil.py (bursts >= 3x caught
# at one false alert per sub-processor-week): all features 90%, these 100%. Request and
# finding counts move with bytes and add nothing; the flags and findings per request are
# noisy dimensions (binary flags add a constant to ECOD's sum for every off-hours row),
# and the seasonal deviations already carry the time of day: a 3 a.m. export is a large
# deviation from the 3 a.m. norm.
MODEL_FEATURES = (
    "bytes_out",
    "distinct_subjects",
    "new_field_paths",
    "bytes_per_request",
    "subjects_per_request",
    *(f"seasonal_{n}" for n in SEASONAL_FIELDS),
    *(f"short_{n}" for n in SHORT_FIELDS),
    *(f"trend_{n}" for n in TREND_FIELDS),
)


@dataclass(frozen=True)
class FeatureParams:
    window_seconds: int = 300
    # previous windows averaged for the short-term deviation; None: an hour's worth, at
    # least 3 (at 1 h windows a 12-window mean would mostly measure the daily cycle)
    short_windows: int | None = None
    # weeks / days of the same hour needed before weekly / daily seasonal context is used
    min_weeks: int = 3
    min_days: int = 3
    # local business hours [start, end) and weekend days (Monday = 0) in `tz`
    business_hours: tuple[int, int] = (8, 19)
    weekend_days: tuple[int, ...] = (5, 6)
    tz: dt.tzinfo = dt.timezone.utc

    def __post_init__(self) -> None:
        if not (isinstance(self.window_seconds, int) and 0 < self.window_seconds <= HOUR and HOUR % self.window_seconds == 0):
            raise ValueError(f"window_seconds: expected a divisor of 3600, got {self.window_seconds!r}")
        if self.short_windows is None:
            object.__setattr__(self, "short_windows", max(3, HOUR // self.window_seconds))
        if not (isinstance(self.short_windows, int) and self.short_windows >= 1):
            raise ValueError(f"short_windows: expected an integer >= 1, got {self.short_windows!r}")
        a, b = self.business_hours
        if not (0 <= a < b <= 24):
            raise ValueError(f"business_hours: expected (start, end) with 0 <= start < end <= 24, got {self.business_hours!r}")


class WindowHistory:
    """Earlier windows of one sub-processor at one window size, keyed by slot
    (epoch // window_seconds). Windows never added count as zero traffic once history has
    begun (the store omits empty windows). Keeps `keep_weeks` weeks and a day."""

    def __init__(self, window_seconds: int = 300, keep_weeks: int = 4):
        self.window_seconds = window_seconds
        self.keep_weeks = keep_weeks
        self.per_hour = HOUR // window_seconds
        self._slots: dict[int, tuple[float, ...]] = {}
        # sums of complete past hours: seasonal and daily lookups hit them again and again
        self._hours: dict[int, tuple[float, ...]] = {}
        self.first_slot: int | None = None
        self.last_slot: int | None = None

    def slot(self, ts: float) -> int:
        return int(ts // self.window_seconds)

    def add(self, ts: float, counts: WindowCounts) -> None:
        s = self.slot(ts)
        self._slots[s] = tuple(float(getattr(counts, f)) for f in COUNT_FIELDS)
        self._hours.pop(s - s % self.per_hour, None)  # a late window changes its hour
        self.first_slot = s if self.first_slot is None else min(self.first_slot, s)
        self.last_slot = s if self.last_slot is None else max(self.last_slot, s)
        horizon = self.last_slot - (self.keep_weeks * WEEK + DAY + HOUR) // self.window_seconds
        if self.first_slot < horizon:
            for old in range(self.first_slot, horizon):
                self._slots.pop(old, None)
                if old % self.per_hour == 0:
                    self._hours.pop(old, None)
            self.first_slot = horizon

    def value(self, slot: int, field: str) -> float | None:
        """Count of `field` in `slot`; 0 for a missing slot inside the history, None outside."""
        if self.first_slot is None or slot < self.first_slot or slot > self.last_slot:
            return None
        row = self._slots.get(slot)
        return 0.0 if row is None else row[COUNT_FIELDS.index(field)]

    def sums(self, start: int, n: int) -> tuple[float, ...] | None:
        """Sum of every count field over slots [start, start + n), None unless all of
        them lie inside the history."""
        if n <= 0 or self.first_slot is None or start < self.first_slot or start + n - 1 > self.last_slot:
            return None
        acc = [0.0] * len(COUNT_FIELDS)
        s, end, ph = start, start + n, self.per_hour
        while s < end:
            if s % ph == 0 and s + ph <= end:
                block = self._hours.get(s)
                if block is None:
                    block = self._sum_slots(s, s + ph)
                    if s + ph - 1 < self.last_slot:  # complete: only a late add changes it
                        self._hours[s] = block
                step = ph
            else:
                block = self._slots.get(s)
                step = 1
            if block is not None:
                for i, v in enumerate(block):
                    acc[i] += v
            s += step
        return tuple(acc)

    def _sum_slots(self, a: int, b: int) -> tuple[float, ...]:
        acc = [0.0] * len(COUNT_FIELDS)
        for s in range(a, b):
            row = self._slots.get(s)
            if row is not None:
                for i, v in enumerate(row):
                    acc[i] += v
        return tuple(acc)

    def means(self, start: int, n: int) -> tuple[float, ...] | None:
        t = self.sums(start, n)
        return None if t is None else tuple(v / n for v in t)

    def mean(self, start: int, n: int, field: str) -> float | None:
        m = self.means(start, n)
        return None if m is None else m[COUNT_FIELDS.index(field)]

    def state(self) -> dict[str, Any]:
        return {
            "window_seconds": self.window_seconds,
            "keep_weeks": self.keep_weeks,
            "first_slot": self.first_slot,
            "last_slot": self.last_slot,
            "slots": [[k, list(v)] for k, v in sorted(self._slots.items())],
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "WindowHistory":
        h = cls(int(state["window_seconds"]), int(state["keep_weeks"]))
        h.first_slot, h.last_slot = state["first_slot"], state["last_slot"]
        h._slots = {int(k): tuple(float(x) for x in v) for k, v in state["slots"]}
        return h


def seasonal_expected(ts: float, history: WindowHistory, params: FeatureParams) -> tuple[dict[str, float] | None, str]:
    """Expected counts (per count field) of the window at `ts`, and the context used:
    'weekly' (same hour of week, `min_weeks` weeks), 'daily' (same hour of the last two
    weeks' days of the same kind, weekday or weekend, `min_days` of them), or 'none'.
    The expectation is the median over those weeks (days) of the hour's mean per window."""
    per_hour = HOUR // params.window_seconds
    hour_ts = ts - ts % HOUR
    hour_start = history.slot(hour_ts)
    week, day = WEEK // params.window_seconds, DAY // params.window_seconds
    blocks = [m for i in range(1, history.keep_weeks + 1) if (m := history.means(hour_start - i * week, per_hour)) is not None]
    kind = "weekly"
    if len(blocks) < params.min_weeks:
        # a Saturday is compared with past weekend days, a Monday with weekdays
        weekend = _is_weekend(hour_ts, params)
        same = [i for i in range(1, 15) if _is_weekend(hour_ts - i * DAY, params) == weekend]
        blocks = [m for i in same if (m := history.means(hour_start - i * day, per_hour)) is not None]
        kind = "daily"
        if len(blocks) < params.min_days:
            return None, "none"
    return {f: statistics.median(b[j] for b in blocks) for j, f in enumerate(COUNT_FIELDS)}, kind


def _is_weekend(ts: float, params: FeatureParams) -> bool:
    return dt.datetime.fromtimestamp(ts, params.tz).weekday() in params.weekend_days


def hourly_median(hour_slot: int, history: WindowHistory) -> tuple[float, ...] | None:
    """Median over the 24 complete hours before `hour_slot` of the mean per window, per
    count field: a day's typical level, which one bulk export does not move."""
    ph = history.per_hour
    hours = [history.means(hour_slot - i * ph, ph) for i in range(1, 25)]
    if any(h is None for h in hours):
        return None
    return tuple(statistics.median(h[j] for h in hours) for j in range(len(COUNT_FIELDS)))


def trend_expected(ts: float, history: WindowHistory) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """(this day's level, the median of the same day's level in past weeks): the
    week-over-week growth a slow drip shows long before any single window stands out."""
    hour_slot = history.slot(ts - ts % HOUR)
    back = WEEK // history.window_seconds
    now = hourly_median(hour_slot, history)
    past = [m for i in range(1, history.keep_weeks + 1) if (m := hourly_median(hour_slot - i * back, history)) is not None]
    if now is None or not past:
        return now, None
    return now, tuple(statistics.median(p[j] for p in past) for j in range(len(COUNT_FIELDS)))


def window_features(
    counts: WindowCounts,
    ts: Any,
    history: WindowHistory,
    params: FeatureParams | None = None,
    names: tuple[str, ...] = MODEL_FEATURES,
) -> dict[str, float]:
    """Features `names` (default MODEL_FEATURES; FEATURE_NAMES for all) of one window, in
    that order; `history` holds the earlier windows only (add this one after)."""
    params = params or FeatureParams(window_seconds=history.window_seconds)
    t = to_epoch(ts)
    c = counts
    f: dict[str, float] = {n: math.log1p(getattr(c, n)) for n in COUNT_FIELDS}
    req = c.requests
    f["bytes_per_request"] = math.log1p(c.bytes_out / req) if req > 0 else 0.0
    f["findings_per_request"] = math.log1p(c.pii_findings / req) if req > 0 else 0.0
    f["subjects_per_request"] = math.log1p(c.distinct_subjects / req) if req > 0 else 0.0
    expected, _ = seasonal_expected(t, history, params)
    for n in SEASONAL_FIELDS:
        f[f"seasonal_{n}"] = f[n] - math.log1p(expected[n]) if expected is not None else 0.0
    slot = history.slot(t)
    recent = history.means(slot - params.short_windows, params.short_windows)
    for n in SHORT_FIELDS:
        f[f"short_{n}"] = f[n] - math.log1p(recent[COUNT_FIELDS.index(n)]) if recent is not None else 0.0
    now, ref = trend_expected(t, history)
    for n in TREND_FIELDS:
        j = COUNT_FIELDS.index(n)
        f[f"trend_{n}"] = math.log1p(now[j]) - math.log1p(ref[j]) if ref is not None else 0.0
    local = dt.datetime.fromtimestamp(t, params.tz)
    start, end = params.business_hours
    f["off_hours"] = 0.0 if start <= local.hour < end else 1.0
    f["weekend"] = 1.0 if _is_weekend(t, params) else 0.0
    try:
        return {n: f[n] for n in names}
    except KeyError as exc:
        raise ValueError(f"unknown feature {exc.args[0]!r}; expected one of {', '.join(FEATURE_NAMES)}") from None


class FeatureBuilder:
    """Convenience: features of each new window of one entity, then remember it."""

    def __init__(self, params: FeatureParams | None = None, keep_weeks: int = 4, names: tuple[str, ...] = MODEL_FEATURES):
        self.params = params or FeatureParams()
        self.names = tuple(names)
        self.history = WindowHistory(self.params.window_seconds, keep_weeks)

    def __call__(self, ts: Any, counts: WindowCounts | Mapping[str, float]) -> dict[str, float]:
        if not isinstance(counts, WindowCounts):
            counts = WindowCounts.from_mapping(counts)
        feats = window_features(counts, ts, self.history, self.params, self.names)
        self.history.add(to_epoch(ts), counts)
        return feats

    def state(self) -> dict[str, Any]:
        """The history (JSON types); params and names come from config on restore."""
        return self.history.state()

    @classmethod
    def from_state(cls, state: Mapping[str, Any], params: FeatureParams | None = None, names: tuple[str, ...] = MODEL_FEATURES) -> "FeatureBuilder":
        b = cls(params, int(state["keep_weeks"]), names)
        if b.params.window_seconds != int(state["window_seconds"]):
            raise ValueError(f"history has {state['window_seconds']} s windows, params say {b.params.window_seconds} s")
        b.history = WindowHistory.from_state(state)
        return b
