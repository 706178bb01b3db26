"""The causal ECOD and KNN give exactly what the fitted pyod models give one row at a time."""

import numpy as np
import pytest
from pyod.models.ecod import ECOD
from pyod.models.knn import KNN

from detectors.anomaly.calibration import TailCalibrator
from detectors.anomaly.ecod import CausalECOD
from detectors.anomaly.knn import CausalKNN


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    train = rng.gamma(2.0, size=(400, 4))
    train[:, 3] = rng.integers(0, 5, 400)  # ties, like counts
    rows = rng.gamma(2.0, size=(40, 4)) * rng.choice([1.0, 4.0], size=(40, 1))
    rows[:, 3] = rng.integers(-1, 7, 40)
    rows = np.vstack([rows, train[:5]])  # values equal to training values
    return train, rows


def test_causal_ecod_equals_pyod_row_by_row(data):
    train, rows = data
    pyod = ECOD().fit(train)
    mine = CausalECOD().fit(train)
    one_at_a_time = np.array([pyod.decision_function(r[None, :])[0] for r in rows])
    scores, parts = mine.score(rows)
    np.testing.assert_allclose(scores, one_at_a_time, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts.sum(axis=1), scores)
    np.testing.assert_allclose(mine.train_scores_, pyod.decision_scores_, rtol=1e-12)


def test_pyod_ecod_batch_scores_use_the_future(data):
    # why the causal version exists: pyod's batch scores change with the rows that follow
    train, rows = data
    pyod = ECOD().fit(train)
    batch = pyod.decision_function(rows)
    scores, _ = CausalECOD().fit(train).score(rows)
    assert not np.allclose(batch, scores)
    prefix = pyod.decision_function(rows[:10])
    assert not np.allclose(prefix, batch[:10])
    assert np.allclose(CausalECOD().fit(train).score(rows[:10])[0], scores[:10])


def test_causal_ecod_constant_column_scores_finite():
    train = np.column_stack([np.arange(50.0), np.zeros(50)])
    s, _ = CausalECOD().fit(train).score(np.array([[10.0, 0.0], [10.0, 3.0]]))
    assert np.all(np.isfinite(s))
    assert s[1] > s[0]  # a value never seen in a constant column is unusual


def test_causal_knn_equals_pyod_row_by_row(data):
    train, rows = data
    mine = CausalKNN(k=7).fit(train)
    pyod = KNN(n_neighbors=7, method="largest").fit(mine.transform(train))
    one_at_a_time = np.array([pyod.decision_function(mine.transform(r))[0] for r in rows])
    scores, parts = mine.score(rows)
    np.testing.assert_allclose(scores, one_at_a_time, rtol=1e-9)
    np.testing.assert_allclose(mine.train_scores_, pyod.decision_scores_, rtol=1e-9)
    np.testing.assert_allclose(np.sqrt(parts.sum(axis=1)), scores, rtol=1e-9)


def test_causal_knn_fit_equals_pyod_with_repeated_rows():
    # quiet hours repeat the same feature row: more than k copies are at distance exactly 0
    rng = np.random.default_rng(5)
    train = np.vstack([np.tile([[1.0, 0.0, 3.0]], (30, 1)), rng.normal(size=(300, 3))])
    mine = CausalKNN(k=10).fit(train)
    pyod = KNN(n_neighbors=10, method="largest").fit(mine.transform(train))
    np.testing.assert_allclose(mine.train_scores_, pyod.decision_scores_, rtol=1e-9, atol=1e-12)
    assert np.all(mine.train_scores_[:30] == 0.0)


def test_sparse_feature_scale_is_floored():
    train = np.column_stack([np.random.default_rng(0).normal(size=300), np.zeros(300)])
    train[::100, 1] = 1.0  # three rare events
    knn = CausalKNN(k=5, min_scale=0.25).fit(train)
    assert knn.scale_[1] == pytest.approx(0.25)
    assert CausalKNN(k=5).fit(train).scale_[1] < 0.25


@pytest.mark.parametrize("dist", ["normal", "exponential", "constant"])
def test_calibration_is_monotone_and_grows_past_the_maximum(dist):
    rng = np.random.default_rng(1)
    train = {"normal": rng.normal(size=500), "exponential": rng.exponential(size=500), "constant": np.ones(500)}[dist]
    cal = TailCalibrator(0.9).fit(train)
    grid = np.linspace(train.min() - 1, train.max() + 5, 200)
    lp = cal.logp(grid)
    assert np.all(np.diff(lp) >= 0)
    assert lp[0] == pytest.approx(0.0, abs=1e-2)
    far, near = cal.logp([train.max() + 10])[0], cal.logp([train.max() + 1])[0]
    assert far > near if dist != "constant" else far == near > 100  # any excess is maximal
    assert np.all(np.isfinite(cal.logp([1e300])))
