"""Config: defaults valid, unknown keys and bad values rejected by name."""

import pytest

from detectors.anomaly import AnomalyConfig, ConfigError


def test_defaults_round_trip():
    cfg = AnomalyConfig()
    assert AnomalyConfig.from_dict(cfg.to_dict()) == cfg
    assert AnomalyConfig.from_dict(None) == cfg


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match="windw"):
        AnomalyConfig.from_dict({"windw": 10})


@pytest.mark.parametrize(
    "key,value",
    [("window", 0), ("refit_every", -1), ("k", 1.5), ("knn_weight", 2.0), ("tail_quantile", 1.0),
     ("threshold", 0.0), ("refractory", -1), ("min_history", 5), ("derived", ["value", "median_3"]),
     ("min_scale", -0.1), ("score_scale", 0)],
)
def test_bad_values_name_the_key(key, value):
    with pytest.raises(ConfigError, match=key):
        AnomalyConfig.from_dict({key: value})
