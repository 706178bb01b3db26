"""KNN scores on robustly scaled features, exactly pyod's ``KNN(method="largest")``.

Distance to the k-th nearest training row; training rows are scored leave-one-out. pyod's
KNN ``decision_function`` is already causal (each row is scored alone against the training
set). Fit and scores are computed here by brute force in numpy with the same result as pyod
(tested against pyod): importing pyod in the daemon pulls sklearn, scipy, pandas, numba and
matplotlib, about 200 MiB of a 512 MiB budget, for a few thousand rows that numpy handles
in milliseconds.

Features are centred on the training median and divided by IQR/1.349: distances are
comparable across features whatever their units, and a burst in the training window does
not stretch the scale. A feature constant over at least half the window (IQR 0: a sparse
event count, such as new field paths) is divided by its standard deviation floored at
``min_scale`` instead: otherwise one rare event would be dozens of deviations away and
outweigh everything else.
"""

from __future__ import annotations

import numpy as np


def robust_scale(train: np.ndarray, min_scale: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    center = np.median(train, axis=0)
    q75, q25 = np.percentile(train, [75, 25], axis=0)
    iqr = (q75 - q25) / 1.349
    sd = np.maximum(train.std(axis=0), min_scale)
    scale = np.where(iqr > 0, iqr, np.where(sd > 0, sd, 1.0))
    return center, scale


class CausalKNN:
    def __init__(self, k: int = 10, min_scale: float = 0.0):
        self.k = k
        self.min_scale = min_scale

    def fit(self, train: np.ndarray) -> "CausalKNN":
        train = np.asarray(train, dtype=float)
        if train.ndim != 2 or len(train) <= self.k:
            raise ValueError(f"KNN needs a 2-D training matrix with more than k={self.k} rows")
        self.center_, self.scale_ = robust_scale(train, self.min_scale)
        self.train_ = (train - self.center_) / self.scale_
        self.train_scores_ = self._leave_one_out_scores()
        return self

    def _leave_one_out_scores(self, block: int = 32) -> np.ndarray:
        """Each training row's distance to its k-th nearest other row. Differences, not the
        |a|^2 + |b|^2 - 2ab expansion, so equal rows are at distance exactly 0 as in pyod;
        in row blocks so memory stays at block x n x features whatever the window."""
        train, k = self.train_, self.k
        scores = np.empty(len(train))
        for start in range(0, len(train), block):
            rows = train[start:start + block]
            diff = rows[:, None, :] - train[None, :, :]
            d2 = np.einsum("bnf,bnf->bn", diff, diff)
            d2[np.arange(len(rows)), np.arange(start, start + len(rows))] = np.inf  # not itself
            scores[start:start + len(rows)] = np.sqrt(np.partition(d2, k - 1, axis=1)[:, k - 1])
        return scores

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(np.asarray(X, dtype=float)) - self.center_) / self.scale_

    def score(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores (m,), per-feature share of the squared distance to the k-th neighbour)."""
        Z = self.transform(X)
        k = self.k
        scores = np.empty(len(Z))
        contrib = np.empty(Z.shape)
        for i, z in enumerate(Z):
            diff = self.train_ - z
            d2 = np.einsum("ij,ij->i", diff, diff)
            idx = np.argpartition(d2, k - 1)[k - 1]
            scores[i] = np.sqrt(d2[idx])
            contrib[i] = diff[idx] ** 2
        return scores, contrib
