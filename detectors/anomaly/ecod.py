"""Causal ECOD: pyod's ECOD scores, computed one row at a time against a fixed training set.

pyod's ``ECOD.decision_function(X)`` appends the whole batch X to the training data before
computing the empirical CDFs and the skewness, so a row's score depends on the rows that
came after it in the batch. Scoring a row alone (``decision_function(x[None])``) is causal;
this class gives exactly those per-row scores, vectorised: for each row, the ECDFs and the
skewness are taken over the training set plus that one row only.

Per feature j and row x (n training rows, ties count as "<=" like pyod's ECDF):
    U_l = -log((#{t <= x} + 1) / (n + 1)),  U_r = -log((#{t >= x} + 1) / (n + 1))
    O_j = max(U_l, U_r, U_skew), U_skew = U_l if skew < 0, U_r if skew > 0, U_l + U_r if 0
and the score is sum_j O_j. The per-feature O_j are kept as the explanation.

One deliberate difference: where pyod yields NaN (a training column with zero variance,
whose skewness is undefined) we use max(U_l, U_r), so a value never seen in a constant
column scores high instead of NaN.
"""

from __future__ import annotations

import numpy as np


class CausalECOD:
    def fit(self, train: np.ndarray) -> "CausalECOD":
        train = np.asarray(train, dtype=float)
        if train.ndim != 2 or len(train) < 2:
            raise ValueError("ECOD needs a 2-D training matrix with at least 2 rows")
        n = len(train)
        self.n_ = n
        self.sorted_ = np.sort(train, axis=0).T.copy()  # (d, n), one sorted column per row
        # central power sums, to get the skewness of train + one row without a pass over n
        self.mean_ = train.mean(axis=0)
        y = train - self.mean_
        self.a1_ = y.sum(axis=0)
        self.a2_ = (y**2).sum(axis=0)
        self.a3_ = (y**3).sum(axis=0)
        self.train_scores_, _ = self._in_sample(train)
        return self

    def _counts(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if len(X) <= 8:  # a few rows: one vectorised comparison beats 2*d searchsorted calls
            le = (self.sorted_[None, :, :] <= X[:, :, None]).sum(axis=2).astype(float)
            ge = (self.sorted_[None, :, :] >= X[:, :, None]).sum(axis=2).astype(float)
            return le, ge
        le = np.empty(X.shape, dtype=float)
        ge = np.empty(X.shape, dtype=float)
        for j, col in enumerate(self.sorted_):
            le[:, j] = np.searchsorted(col, X[:, j], side="right")
            ge[:, j] = self.n_ - np.searchsorted(col, X[:, j], side="left")
        return le, ge

    def _in_sample(self, train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # what pyod's fit() reports for the training rows: ECDF over the training set alone
        n = self.n_
        le, ge = self._counts(train)
        u_l = -np.log(le / n)
        u_r = -np.log(ge / n)
        sign = _moment_skew_sign(self.a1_ / n, self.a2_ / n, self.a3_ / n, self.mean_)
        o = _combine(u_l, u_r, np.broadcast_to(sign, u_l.shape))
        return o.sum(axis=1), o

    def score(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(scores (m,), per-feature contributions (m, d)) of rows X, each alone."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        n = self.n_
        le, ge = self._counts(X)
        u_l = -np.log((le + 1) / (n + 1))
        u_r = -np.log((ge + 1) / (n + 1))
        # skewness of train + x: moments about the training mean, updated with the new row
        y = X - self.mean_
        m = n + 1
        s1 = (self.a1_ + y) / m
        sign = _moment_skew_sign(s1, (self.a2_ + y**2) / m, (self.a3_ + y**3) / m, self.mean_)
        o = _combine(u_l, u_r, sign)
        return o.sum(axis=1), o


def _moment_skew_sign(s1, s2, s3, shift):
    """Sign of the skewness from raw moments s1..s3 of (x - shift)."""
    m2 = s2 - s1**2
    m3 = s3 - 3 * s1 * s2 + 2 * s1**3
    # scipy.stats.skew returns NaN when m2 is below float resolution of the mean; keep that
    # case apart (sign NaN) instead of letting rounding noise pick a side.
    tiny = m2 <= (np.finfo(float).resolution * np.abs(shift + s1)) ** 2
    return np.where(tiny, np.nan, np.sign(m3))


def _combine(u_l: np.ndarray, u_r: np.ndarray, sign: np.ndarray) -> np.ndarray:
    o = np.maximum(u_l, u_r)
    # skewness exactly 0: pyod's U_skew is U_l + U_r, which then is the maximum
    return np.where(sign == 0, u_l + u_r, o)
