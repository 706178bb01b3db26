"""EntityScorers: a new sub-processor is compared with its peers until it has its own model."""

import json

import numpy as np
import pytest

from detectors.anomaly import AnomalyConfig
from detectors.anomaly.peers import EntityScorers

CFG = AnomalyConfig(window=600, refit_every=50, min_history=100, refractory=20)


def traffic(rng, level, n):
    return [{"bytes": float(b), "requests": float(r)} for b, r in zip(rng.normal(level, 0.3, n), rng.normal(level - 4, 0.3, n))]


@pytest.fixture
def established():
    rng = np.random.default_rng(0)
    es = EntityScorers(CFG, groups={"stripe": "payments", "adyen": "payments", "new-psp": "payments"})
    streams = {"stripe": traffic(rng, 12.0, 300), "adyen": traffic(rng, 12.5, 300)}
    for i in range(300):
        for name, rows in streams.items():
            es.update(name, 60.0 * i, rows[i])
    return es, rng


def test_new_entity_is_scored_against_its_peers(established):
    es, rng = established
    assert es["stripe"].ready and es["adyen"].ready
    # a newcomer ten times the peers' volume (log scale: +2.3) is unusual from its first bucket
    s = es.update("new-psp", 60.0 * 300, {"bytes": 14.6, "requests": 10.6})
    assert not es["new-psp"].ready
    assert s >= CFG.threshold
    assert es.peer_members("new-psp") == ("adyen", "stripe")
    assert set(es.explain("new-psp")) == {"bytes", "requests"}


def test_peer_like_newcomer_stays_quiet_then_gets_its_own_model(established):
    es, rng = established
    rows = traffic(rng, 12.2, CFG.min_history + 1)
    scores = [es.update("new-psp", 60.0 * (300 + i), r) for i, r in enumerate(rows)]
    assert max(scores) < CFG.threshold
    assert es["new-psp"].ready


def test_other_groups_are_not_peers(established):
    es, _ = established
    es.update("mailer", 60.0 * 300, {"bytes": 12.0, "requests": 8.0})
    assert es.peer_members("mailer") == ()
    assert es["mailer"].raw_score == 0.0  # nobody to compare with: no score, no guess


def test_state_round_trip(established):
    es, rng = established
    rows = traffic(rng, 12.2, 30)
    for i, r in enumerate(rows[:10]):
        es.update("new-psp", 60.0 * (300 + i), r)
    copy = EntityScorers.from_state(json.loads(json.dumps(es.state())))
    for i, r in enumerate(rows[10:]):
        t = 60.0 * (310 + i)
        assert es.update("new-psp", t, r) == copy.update("new-psp", t, r)
        assert es.update("stripe", t, r) == copy.update("stripe", t, r)
