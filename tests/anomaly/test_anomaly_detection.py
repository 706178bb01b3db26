"""End to end on generated seasonal egress (hourly windows): features -> StreamScorer.

Three weeks of history, then a week scored at the default threshold, the way the daemon
runs it (alerting windows are marked), injections a day or more apart. The refractory
period is counted in buckets, so the hourly scorer gets a half-day one (the default, 150
buckets, is 12.5 h at 5 minutes)."""

import pytest

from anomaly_gen import HOUR, hourly_traffic, scale
from detectors.anomaly import AnomalyConfig, StreamScorer
from detectors.anomaly.features import FeatureBuilder, FeatureParams

WARMUP = 3 * 7 * 24


def score_all(traffic, changes=None):
    changes = changes or {}
    cfg = AnomalyConfig(refractory=12)
    build = FeatureBuilder(FeatureParams(window_seconds=HOUR))
    scorer = StreamScorer(cfg)
    scores = []
    for i, (ts, counts) in enumerate(traffic):
        counts = changes.get(i, counts)
        s = scorer.update(ts, build(ts, counts))
        if s >= cfg.threshold:
            scorer.mark_alerted()
        scores.append(s)
    return cfg, scores


@pytest.mark.parametrize("seed", [1, 2])
def test_a_normal_week_raises_no_alert(seed):
    cfg, scores = score_all(hourly_traffic(4, seed=seed))
    assert max(scores[WARMUP:]) < cfg.threshold


def test_spikes_and_off_hours_exports_are_caught():
    traffic = hourly_traffic(4, seed=3)
    day = 24
    inject = {
        WARMUP + 1 * day + 11: ("burst 3x", dict(volume=3)),
        WARMUP + 2 * day + 15: ("burst 10x", dict(volume=10)),
        WARMUP + 4 * day + 3: ("Friday 03:00 export", dict(bytes_=20, subjects=10)),
        WARMUP + 5 * day + 2: ("Saturday 02:00 export", dict(bytes_=10, volume=2)),
        WARMUP + 6 * day + 13: ("subjects 10x", dict(subjects=10)),
    }
    changes = {i: scale(traffic[i][1], **kw) for i, (_, kw) in inject.items()}
    cfg, scores = score_all(traffic, changes)
    missed = [name for i, (name, _) in inject.items() if scores[i] < cfg.threshold]
    assert missed == []
    false = [i for i in range(WARMUP, len(scores)) if scores[i] >= cfg.threshold and i not in inject and i - 1 not in inject]
    assert false == []
