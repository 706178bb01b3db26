"""Egress window features: ratios, seasonal context and its fallbacks, short-term deviation,
trend, flags, history bounds and state."""

import datetime as dt
import json
import math

import pytest

from detectors.anomaly.features import (
    FEATURE_NAMES,
    MODEL_FEATURES,
    FeatureBuilder,
    FeatureParams,
    WindowCounts,
    WindowHistory,
    seasonal_expected,
    window_features,
)

HOUR = 3600
DAY = 24 * HOUR
MONDAY = 1_704_067_200  # 2024-01-01 00:00 UTC
P5 = FeatureParams(window_seconds=300)


def fill(history, start, end, counts, step=300):
    for t in range(start, end, step):
        history.add(t, counts)


def test_ratios_and_flags():
    h = WindowHistory(300)
    f = window_features(WindowCounts(10_000, 10, 5, 4, 1), MONDAY + 3 * HOUR, h, P5, FEATURE_NAMES)
    assert list(f) == list(FEATURE_NAMES)
    assert f["bytes_out"] == pytest.approx(math.log1p(10_000))
    assert f["bytes_per_request"] == pytest.approx(math.log1p(1000))
    assert f["findings_per_request"] == pytest.approx(math.log1p(0.5))
    assert f["subjects_per_request"] == pytest.approx(math.log1p(0.4))
    assert f["off_hours"] == 1.0 and f["weekend"] == 0.0
    noon_saturday = window_features(WindowCounts(), MONDAY + 5 * DAY + 12 * HOUR, h, P5, FEATURE_NAMES)
    assert noon_saturday["off_hours"] == 0.0 and noon_saturday["weekend"] == 1.0
    assert noon_saturday["bytes_per_request"] == 0.0  # no requests: no ratio, no error


def test_flags_follow_the_configured_time_zone():
    tz = dt.timezone(dt.timedelta(hours=-5))
    f = window_features(WindowCounts(), MONDAY + 14 * HOUR, WindowHistory(300), FeatureParams(tz=tz), FEATURE_NAMES)
    assert f["off_hours"] == 0.0  # 09:00 local
    f = window_features(WindowCounts(), MONDAY + 2 * HOUR, WindowHistory(300), FeatureParams(tz=tz), FEATURE_NAMES)
    assert f["weekend"] == 1.0  # Sunday 21:00 local


def test_seasonal_context_none_then_daily_then_weekly():
    h = WindowHistory(HOUR)
    p = FeatureParams(window_seconds=HOUR)
    for d in range(2):
        fill(h, MONDAY + d * DAY, MONDAY + (d + 1) * DAY, WindowCounts(100, 1), HOUR)
    assert seasonal_expected(MONDAY + 2 * DAY + 10 * HOUR, h, p)[1] == "none"
    fill(h, MONDAY + 2 * DAY, MONDAY + 21 * DAY, WindowCounts(100, 1), HOUR)
    exp, kind = seasonal_expected(MONDAY + 20 * DAY + 10 * HOUR, h, p)
    assert kind == "daily" and exp["bytes_out"] == pytest.approx(100)
    exp, kind = seasonal_expected(MONDAY + 21 * DAY + 10 * HOUR, h, p)
    assert kind == "weekly"


def test_weekly_context_compares_same_hour_of_week():
    # Mondays 10:00 carry 1000, every other hour 100: after three weeks the Monday
    # 10:00 window is normal, while a daily context would call it 10x
    h = WindowHistory(HOUR)
    p = FeatureParams(window_seconds=HOUR)
    for t in range(MONDAY, MONDAY + 21 * DAY + 10 * HOUR, HOUR):
        h.add(t, WindowCounts(1000 if (t - MONDAY) % (7 * DAY) == 10 * HOUR else 100, 1))
    f = window_features(WindowCounts(1000, 1), MONDAY + 21 * DAY + 10 * HOUR, h, p, FEATURE_NAMES)
    assert f["seasonal_bytes_out"] == pytest.approx(0.0)
    assert f["short_bytes_out"] == pytest.approx(math.log1p(1000) - math.log1p(100), rel=0.05)


def test_missing_windows_inside_history_count_as_zero():
    h = WindowHistory(300)
    h.add(MONDAY, WindowCounts(120, 1))
    h.add(MONDAY + 11 * 300, WindowCounts(120, 1))
    assert h.mean(h.slot(MONDAY), 12, "bytes_out") == pytest.approx(20)
    assert h.mean(h.slot(MONDAY) - 1, 12, "bytes_out") is None  # before history began


def test_trend_sees_a_drip_not_a_single_export():
    b = FeatureBuilder(P5)
    t = MONDAY
    for _ in range(7 * 288):
        b(t, WindowCounts(1000, 10))
        t += 300
    # one 50x export lasting an hour: the day's typical level does not move
    for _ in range(12):
        b(t, WindowCounts(50_000, 10))
        t += 300
    for _ in range(12):
        f = b(t, WindowCounts(1000, 10))
        t += 300
    assert abs(f["trend_bytes_out"]) < 0.05
    # a day at 2x: it does
    for _ in range(288):
        f = b(t, WindowCounts(2000, 10))
        t += 300
    assert f["trend_bytes_out"] == pytest.approx(math.log(2), abs=0.05)


def test_history_is_bounded_and_round_trips():
    b = FeatureBuilder(FeatureParams(window_seconds=HOUR), keep_weeks=2)
    for i in range(24 * 7 * 5):
        b(MONDAY + i * HOUR, {"bytes_out": 100 + i % 24, "requests": 2})
    h = b.history
    assert len(h._slots) <= 24 * (7 * 2 + 1) + 2  # keep_weeks, a day for the trend, an hour
    h2 = WindowHistory.from_state(json.loads(json.dumps(h.state())))
    t = MONDAY + 24 * 7 * 5 * HOUR
    c = WindowCounts(300, 3)
    p = b.params
    assert window_features(c, t, h, p, FEATURE_NAMES) == window_features(c, t, h2, p, FEATURE_NAMES)
    b2 = FeatureBuilder.from_state(json.loads(json.dumps(b.state())), b.params)
    assert b(t, c) == b2(t, c)
    with pytest.raises(ValueError, match="windows"):
        FeatureBuilder.from_state(b.state(), FeatureParams(window_seconds=300))


def test_default_selection_and_bad_input():
    f = window_features(WindowCounts(1, 1), MONDAY, WindowHistory(300))
    assert tuple(f) == MODEL_FEATURES
    with pytest.raises(ValueError, match="bytes_in"):
        window_features(WindowCounts(), MONDAY, WindowHistory(300), names=("bytes_in",))
    with pytest.raises(ValueError, match="bytes_out"):
        WindowCounts(bytes_out=-1)
    with pytest.raises(ValueError, match="bogus"):
        WindowCounts.from_mapping({"bogus": 1})
    with pytest.raises(ValueError, match="window_seconds"):
        FeatureParams(window_seconds=7)
