"""The fitted model of one training window: causal ECOD and KNN, each calibrated to a
-log10 tail probability against its own training scores, blended by weight.

ECOD reads each feature's tails (good on one extreme feature, blind to unusual
combinations, saturates beyond the training range); KNN measures distance to the usual
(catches combinations, grows with spike size). Their blend measured better than either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibration import TailCalibrator
from .ecod import CausalECOD
from .knn import CausalKNN


@dataclass
class Scored:
    logp: float  # blended -log10 tail probability
    ecod_logp: float
    knn_logp: float
    contributions: np.ndarray  # per feature, >= 0, sums to 1 (all zeros when nothing stands out)


class Ensemble:
    @classmethod
    def from_config(cls, cfg) -> "Ensemble":
        return cls(cfg.k, cfg.knn_weight, cfg.tail_quantile, cfg.min_scale)

    def __init__(self, k: int = 10, knn_weight: float = 0.4, tail_quantile: float = 0.9, min_scale: float = 0.0):
        self.k = k
        self.min_scale = min_scale
        self.knn_weight = knn_weight
        self.tail_quantile = tail_quantile

    def fit(self, train: np.ndarray) -> "Ensemble":
        train = np.asarray(train, dtype=float)
        self.n_train_ = len(train)
        self.ecod_ = CausalECOD().fit(train)
        self.knn_ = CausalKNN(self.k, self.min_scale).fit(train)
        self.cal_ecod_ = TailCalibrator(self.tail_quantile).fit(self.ecod_.train_scores_)
        self.cal_knn_ = TailCalibrator(self.tail_quantile).fit(self.knn_.train_scores_)
        return self

    def score(self, X: np.ndarray) -> list[Scored]:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        e_raw, e_parts = self.ecod_.score(X)
        k_raw, k_parts = self.knn_.score(X)
        e_lp = self.cal_ecod_.logp(e_raw)
        k_lp = self.cal_knn_.logp(k_raw)
        w = self.knn_weight
        blended = (1.0 - w) * e_lp + w * k_lp
        out = []
        for i in range(len(X)):
            # each detector's share of the blend, split over features by its own parts
            share = (1.0 - w) * e_lp[i] * _norm(e_parts[i]) + w * k_lp[i] * _norm(k_parts[i])
            out.append(Scored(float(blended[i]), float(e_lp[i]), float(k_lp[i]), _norm(share)))
        return out


def _norm(v: np.ndarray) -> np.ndarray:
    t = float(np.sum(v))
    return v / t if t > 0 else np.zeros_like(v)
