"""StreamScorer: a causal anomaly score in [0, 1] for one entity's stream of buckets.

Each ``update(ts, value)`` scores the new bucket against the model fitted on earlier
buckets, then adds it to the history; the model is refitted every ``refit_every`` buckets
on the last ``window`` buckets, leaving out those the caller marked as alerting
(``mark_alerted()``), so an exfiltration is not learned as normal.

Score = min(1, -log10(p) / score_scale), p the calibrated tail probability of the blend of
ECOD and KNN (model.py), then the refractory rule: the score only counts (is non-zero) when
it beats the maximum score of the previous ``refractory`` buckets, so an episode alerts at
its onset and again only if it gets worse.

State (``state()`` / ``from_state()``) is a plain dict of JSON types (str, int, float,
bool, lists): the config, the feature names, the recent feature rows and alert flags, the
refractory memory and the counters. No fitted object is stored: the model is refitted on
restore from the same rows, which is deterministic, so the scores that follow a restore
are those that would have followed without it.
"""

from __future__ import annotations

import math
from collections import deque
from numbers import Real
from typing import Any, Mapping

import numpy as np

from .config import AnomalyConfig
from .derive import Deriver
from .model import Ensemble
from .timestamps import to_epoch

STATE_FORMAT = "sentinel.anomaly.stream/1"

Value = float | Mapping[str, float]


class StreamScorer:
    def __init__(self, config: AnomalyConfig | Mapping[str, Any] | None = None):
        if not isinstance(config, AnomalyConfig):
            config = AnomalyConfig.from_dict(config)
        self.config = config
        self._names: tuple[str, ...] | None = None
        self._scalar: bool | None = None
        self._deriver = Deriver(config.derived)
        keep = config.window + config.refit_every
        self._rows: deque[np.ndarray] = deque(maxlen=keep)
        self._alerted: deque[bool] = deque(maxlen=keep)
        self._since_fit = 0
        self._model: Ensemble | None = None
        self._recent: deque[float] = deque(maxlen=max(config.refractory, 1))
        self._n = 0
        self._last_ts: float | None = None
        self._last_score = 0.0
        self._last_raw = 0.0
        self._last_explain: dict[str, float] = {}
        self._episode = False  # inside an alerted episode (see mark_alerted)

    # ------------------------------------------------------------------ public API
    @property
    def feature_names(self) -> tuple[str, ...] | None:
        return self._names

    @property
    def ready(self) -> bool:
        """True once the entity has its own fitted model."""
        return self._model is not None

    @property
    def n_seen(self) -> int:
        return self._n

    @property
    def raw_score(self) -> float:
        """The last update's score before the refractory rule."""
        return self._last_raw

    def update(self, ts: Any, value: Value, *, fallback: Ensemble | None = None) -> float:
        """Score one bucket (causally) and learn it. ``fallback`` scores it while the
        entity has no model of its own (cold start: its peers' model)."""
        t = to_epoch(ts)
        if self._last_ts is not None and t < self._last_ts:
            raise ValueError(f"timestamp {ts!r} is earlier than the previous one; buckets must come in time order")
        x = self._feature_row(value)
        self._maybe_refit()

        model = self._model or fallback
        logp = 0.0
        shares = np.zeros(len(x))
        if model is not None:
            scored = model.score(x)[0]
            logp, shares = scored.logp, scored.contributions

        cfg = self.config
        raw = min(1.0, logp / cfg.score_scale)
        # compared on the clipped score: a saturated episode alerts once, not once per
        # bucket whose -log10(p) creeps higher
        if cfg.refractory and self._recent and raw <= max(self._recent):
            score = 0.0
        else:
            score = raw
        self._recent.append(raw)
        self._rows.append(x)
        # the refractory rule silences the rest of an episode, so the caller alerts (and
        # marks) only its first bucket; the buckets after it stay out of training too
        # while they keep scoring above the threshold
        self._episode = self._episode and raw >= cfg.threshold
        self._alerted.append(self._episode)
        self._since_fit += 1
        self._n += 1
        self._last_ts = t
        self._last_raw, self._last_score = raw, score
        self._last_explain = {n: float(raw * s) for n, s in zip(self._names, shares)}
        return score

    def explain(self) -> dict[str, float]:
        """Per-feature contributions to the last update's score (before the refractory
        rule); they sum to that score. Empty before the first update."""
        return dict(self._last_explain)

    def mark_alerted(self) -> None:
        """Keep the last updated bucket out of all future training windows, and the
        buckets that follow it as long as their score (before the refractory rule) stays
        at or above ``config.threshold``: the rest of the episode."""
        if not self._alerted:
            raise ValueError("mark_alerted() before any update()")
        self._alerted[-1] = True
        self._episode = True

    def training_rows(self, limit: int | None = None) -> np.ndarray:
        """The most recent un-alerted rows (at most ``limit``), e.g. to pool peers."""
        rows = [r for r, a in zip(self._rows, self._alerted) if not a]
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        d = len(self._names or ())
        return np.array(rows, dtype=float).reshape(len(rows), d)

    # ------------------------------------------------------------------ persistence
    def state(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "config": self.config.to_dict(),
            "names": list(self._names) if self._names is not None else None,
            "scalar": self._scalar,
            "deriver": self._deriver.state(),
            "rows": [r.tolist() for r in self._rows],
            "alerted": list(self._alerted),
            "since_fit": self._since_fit,
            "fitted": self._model is not None,
            "recent": list(self._recent),
            "n": self._n,
            "last_ts": self._last_ts,
            "episode": self._episode,
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> "StreamScorer":
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"not a StreamScorer state (expected format {STATE_FORMAT!r})")
        self = cls(AnomalyConfig.from_dict(state["config"]))
        self._names = tuple(state["names"]) if state["names"] is not None else None
        self._scalar = state["scalar"]
        self._deriver.load(state["deriver"])
        for r, a in zip(state["rows"], state["alerted"]):
            self._rows.append(np.asarray(r, dtype=float))
            self._alerted.append(bool(a))
        self._since_fit = int(state["since_fit"])
        self._recent.extend(float(v) for v in state["recent"])
        self._n = int(state["n"])
        self._last_ts = state["last_ts"]
        self._episode = bool(state["episode"])
        if state["fitted"]:
            # the rows of the last fit are still in the buffer: refit on exactly them
            self._model = self._fit(len(self._rows) - self._since_fit)
        return self

    # ------------------------------------------------------------------ internals
    def _feature_row(self, value: Value) -> np.ndarray:
        if isinstance(value, Mapping):
            if self._scalar:
                raise ValueError("value: this stream was started with scalar values, got a mapping")
            if self._names is None:
                if not value:
                    raise ValueError("value: empty feature mapping")
                names = tuple(str(k) for k in value)
            else:
                names = self._names
                missing = [n for n in names if n not in value]
                extra = [str(k) for k in value if k not in names]
                if missing or extra:
                    raise ValueError(f"value: feature names changed (missing {missing}, unexpected {extra})")
            row = np.empty(len(names))
            for i, n in enumerate(names):
                row[i] = _finite(value[n], n)
            self._names, self._scalar = names, False
            return row
        if self._scalar is False:
            raise ValueError("value: this stream was started with a feature mapping, got a scalar")
        v = _finite(value, "value")
        self._names, self._scalar = self.config.derived, True
        return self._deriver.push(v)

    def _maybe_refit(self) -> None:
        cfg = self.config
        if self._model is None:
            due = sum(not a for a in self._alerted) >= cfg.min_history
        else:
            due = self._since_fit >= cfg.refit_every
        if due:
            self._model = self._fit(len(self._rows))
            self._since_fit = 0

    def _fit(self, end: int) -> Ensemble | None:
        cfg = self.config
        start = max(0, end - cfg.window)
        rows = [self._rows[i] for i in range(start, end) if not self._alerted[i]]
        if len(rows) <= cfg.k:
            return None  # (nearly) everything was alerting: nothing to learn from
        return Ensemble.from_config(cfg).fit(np.array(rows))


def _finite(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, Real):
        raise ValueError(f"value {name!r}: expected a number, got {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise ValueError(f"value {name!r}: expected a finite number, got {v!r}")
    return f
