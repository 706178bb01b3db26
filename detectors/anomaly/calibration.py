"""Calibration: a raw detector score -> -log10 of its upper-tail probability.

The probability is read from the detector's scores on its own training window: the
empirical tail below the `quantile`, an exponential tail above it (mean excess over the
quantile as the scale). The exponential tail keeps growing beyond the largest training
score, so a spike ten times larger than anything seen scores higher than one just past the
maximum, where a plain empirical CDF would give both the same 1/(n+1).

Log-probabilities of different detectors, entities and series are on one scale, which is
what lets one threshold serve every sub-processor.
"""

from __future__ import annotations

import math

import numpy as np

# Upper bound on -log10(p): keeps a zero-variance training tail from yielding infinity.
MAX_LOGP = 300.0


class TailCalibrator:
    def __init__(self, quantile: float = 0.9):
        self.quantile = quantile

    def fit(self, train_scores: np.ndarray) -> "TailCalibrator":
        ts = np.sort(np.asarray(train_scores, dtype=float))
        n = len(ts)
        if n == 0:
            raise ValueError("calibration needs at least one training score")
        self.sorted_ = ts
        self.n_ = n
        self.u_ = float(ts[min(int(self.quantile * n), n - 1)])
        excess = ts[ts > self.u_] - self.u_
        beta = float(excess.mean()) if len(excess) else 0.0
        if beta <= 0:
            beta = float(ts.std())
        # a constant training tail: any excess at all is as surprising as it gets
        self.beta_ = max(beta, 1e-12)
        self.log_tail_ = math.log10(1.0 - self.quantile)
        return self

    def logp(self, scores: np.ndarray) -> np.ndarray:
        s = np.asarray(scores, dtype=float)
        n = self.n_
        p_emp = (n - np.searchsorted(self.sorted_, s, side="left") + 1) / (n + 1)
        with np.errstate(over="ignore"):
            tail = -self.log_tail_ + (s - self.u_) / self.beta_ / math.log(10)
        out = np.where(s > self.u_, tail, -np.log10(p_emp))
        return np.clip(out, 0.0, MAX_LOGP)
