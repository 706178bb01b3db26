"""StreamScorer: causal, persistent, explainable, refractory, keeps alerts out of training."""

import json
import math

import numpy as np
import pytest

from detectors.anomaly import AnomalyConfig, StreamScorer

SMALL = AnomalyConfig(window=400, refit_every=50, min_history=60, refractory=30)


def series(n=700, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = 50 + 10 * np.sin(2 * np.pi * t / 96) + rng.normal(0, 2, n)
    if n > 520:
        x[[300, 520]] += [60, -45]
    return x


def run(values, cfg=SMALL, scorer=None, start=0, mark=True):
    """Score a series as the daemon does: alerting buckets are marked."""
    s = scorer or StreamScorer(cfg)
    out = []
    for i, v in enumerate(values):
        out.append(s.update(300.0 * (start + i), float(v)))
        if mark and out[-1] >= s.config.threshold:
            s.mark_alerted()
    return s, out


def test_scores_in_unit_interval_and_spikes_stand_out():
    x = series()
    _, scores = run(x)
    assert all(0.0 <= v <= 1.0 for v in scores)
    assert scores[300] >= SMALL.threshold and scores[520] >= SMALL.threshold
    quiet = [v for i, v in enumerate(scores) if i not in (300, 301, 520, 521)]
    assert max(quiet[SMALL.min_history:]) < scores[300]


def test_score_never_changes_when_later_rows_are_appended():
    x = series()
    _, full = run(x)
    for cut in (SMALL.min_history + 1, 299, 301, 455, 600):
        _, prefix = run(x[:cut])
        assert prefix == full[:cut]


def test_state_round_trip_gives_identical_scores():
    x = series(900)
    # cut at several points of the refit cycle, including right after a refit
    for cut in (30, 60, 333, 350, 401, 520):
        a, _ = run(x[:cut])
        blob = json.dumps(a.state())  # plain JSON, no pickle
        b = StreamScorer.from_state(json.loads(blob))
        _, rest_a = run(x[cut:], scorer=a, start=cut)
        _, rest_b = run(x[cut:], scorer=b, start=cut)
        assert rest_a == rest_b
        assert a.explain() == b.explain()


def test_mapping_state_round_trip_and_explain():
    rng = np.random.default_rng(5)
    s = StreamScorer(SMALL)
    rows = [{"bytes": float(v), "requests": float(r)} for v, r in zip(rng.normal(10, 1, 300), rng.normal(5, 1, 300))]
    rows[250] = {"bytes": 10.0, "requests": 25.0}  # unusual in one feature only
    for i, r in enumerate(rows):
        score = s.update(60.0 * i, r)
        if i == 250:
            ex = s.explain()
            assert set(ex) == {"bytes", "requests"}
            assert ex["requests"] > ex["bytes"]
            assert math.isclose(sum(ex.values()), s.raw_score, rel_tol=1e-9)
            assert score >= SMALL.threshold
    b = StreamScorer.from_state(json.loads(json.dumps(s.state())))
    nxt = {"bytes": 11.0, "requests": 4.0}
    assert s.update(60.0 * 300, nxt) == b.update(60.0 * 300, nxt)


def test_refractory_alerts_once_per_episode():
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(10, 1, 300), rng.normal(40, 1, 20), rng.normal(10, 1, 100)]
    _, scores = run(x)
    episode = [v >= SMALL.threshold for v in scores[300:320]]
    assert episode[0]
    # at the onset, and again only while it gets worse (until the score saturates)
    assert sum(episode) <= 3 and not any(episode[5:])
    _, every = run(x, AnomalyConfig(window=400, refit_every=50, min_history=60, refractory=0))
    assert sum(v >= SMALL.threshold for v in every[300:320]) >= 15


def test_refractory_zero_reports_every_row():
    rng = np.random.default_rng(2)
    x = np.r_[rng.normal(10, 1, 300), rng.normal(40, 1, 5)]
    cfg = AnomalyConfig(window=400, refit_every=50, min_history=60, refractory=0)
    _, scores = run(x, cfg)
    assert all(v >= cfg.threshold for v in scores[300:305])


def test_marked_episode_is_kept_out_of_training():
    rng = np.random.default_rng(4)
    x = np.r_[rng.normal(10, 1, 300), rng.normal(40, 1, 20), rng.normal(10, 1, 100)]

    def go(mark):
        s = StreamScorer(SMALL)
        for i, v in enumerate(x):
            if s.update(300.0 * i, float(v)) >= SMALL.threshold and mark:
                s.mark_alerted()
        return s

    marked, unmarked = go(True), go(False)
    # the whole episode (its first bucket alerted, the rest silenced) stays out
    assert len(marked.training_rows()) <= len(unmarked.training_rows()) - 20
    assert marked.training_rows()[:, 0].max() < 30
    # so the same burst again is still unusual for the marked scorer
    again = float(rng.normal(40, 1))
    marked.update(300.0 * len(x), again)
    unmarked.update(300.0 * len(x), again)
    assert marked.raw_score >= SMALL.threshold
    assert marked.raw_score > unmarked.raw_score


def test_cold_start_scores_zero_without_peers():
    s, scores = run(series(SMALL.min_history))
    assert scores == [0.0] * SMALL.min_history
    assert not s.ready
    s.update(300.0 * SMALL.min_history, 50.0)
    assert s.ready


@pytest.mark.parametrize(
    "bad",
    [float("nan"), float("inf"), "12", True, {"a": float("nan")}],
)
def test_bad_values_rejected_with_a_clear_error(bad):
    with pytest.raises(ValueError, match="value"):
        StreamScorer(SMALL).update(0.0, bad)


def test_stream_shape_is_fixed():
    s = StreamScorer(SMALL)
    s.update(0.0, {"a": 1.0, "b": 2.0})
    with pytest.raises(ValueError, match="missing"):
        s.update(1.0, {"a": 1.0})
    with pytest.raises(ValueError, match="scalar"):
        s.update(2.0, 3.0)
    t = StreamScorer(SMALL)
    t.update(0.0, 1.0)
    with pytest.raises(ValueError, match="mapping"):
        t.update(1.0, {"a": 1.0})


def test_time_must_not_go_backwards_and_accepts_datetimes():
    import datetime as dt

    s = StreamScorer(SMALL)
    s.update(dt.datetime(2024, 1, 1, 12, 0), 1.0)
    s.update(np.datetime64("2024-01-01T12:05"), 1.0)
    s.update(dt.datetime(2024, 1, 1, 12, 5, tzinfo=dt.timezone.utc), 1.0)  # equal is fine
    with pytest.raises(ValueError, match="earlier"):
        s.update(dt.datetime(2024, 1, 1, 11, 0), 1.0)


def test_from_state_rejects_foreign_data():
    with pytest.raises(ValueError, match="StreamScorer state"):
        StreamScorer.from_state({"format": "something else"})
