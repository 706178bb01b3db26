"""Anomaly model of egress volumes per sub-processor (issue 7). Pure code: no I/O.

- features.py: a window's raw counts + timestamp + history -> named feature vector
- derive.py: features derived from a scalar stream (value, change, rolling mean/deviation)
- ecod.py, knn.py: causal ECOD and KNN (pyod-equivalent scores, one row at a time)
- calibration.py: raw score -> -log10 tail probability
- model.py: the blend of both, with per-feature explanation
- scorer.py: StreamScorer, the per-entity streaming scorer (refit, refractory, state)
- peers.py: EntityScorers, per-entity scorers with peer comparison at cold start
"""

from .config import AnomalyConfig, ConfigError
from .scorer import StreamScorer

__all__ = ["AnomalyConfig", "ConfigError", "StreamScorer"]
