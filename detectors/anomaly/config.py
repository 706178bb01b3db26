"""Anomaly model configuration: one dataclass, built from a dict (the app layer validates the
TOML and hands us the dict). Unknown keys are rejected by name.

Defaults are the settings measured on NAB (bench/anomaly_nab.py) and on generated egress
(bench/anomaly_exfil.py); the same values serve every series, nothing is tuned per file.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

# Derived features of a scalar stream, by name: "value", "diff" (change from the previous
# row), "mean_N" (mean of the last N rows, this one included), "std_N" (their standard
# deviation).
DEFAULT_DERIVED = ("value", "diff", "mean_6", "std_12", "mean_48")


class ConfigError(ValueError):
    """A config value is wrong; the message names the key and what is expected."""


@dataclass(frozen=True)
class AnomalyConfig:
    # Rows (buckets) in the training window; the models see only the last `window` rows
    # that did not raise an alert.
    window: int = 3000
    # Refit the models after this many new rows. Between refits rows are scored against
    # the last fit, so scoring never uses a row that came later.
    refit_every: int = 100
    # Rows of its own history an entity needs before it is scored by its own model;
    # before that it is scored against its peers (EntityScorers) or gets 0.
    min_history: int = 200
    # Neighbours for KNN (distance to the k-th nearest training row).
    k: int = 10
    # Weight of KNN in the blend of calibrated log-probabilities; ECOD gets the rest.
    knn_weight: float = 0.4
    # Floor on the KNN scale of a feature that is constant over half the window or more
    # (a sparse count such as new field paths), in feature units: one such event then
    # weighs like a change of `value / min_scale` deviations, not dozens. For the log-scaled
    # egress features 0.5 is a 65% change; it does not touch dense features.
    min_scale: float = 0.5
    # Quantile of the training scores above which the tail is modelled as exponential:
    # lets a score beyond anything seen in training keep growing with its size
    # (ECOD alone saturates at the training maximum).
    tail_quantile: float = 0.9
    # -log10(tail probability) that maps to a score of 1.0 (8: p = 1e-8). Scores above
    # saturate, so an episode that keeps getting "more impossible" is not re-alerted.
    score_scale: float = 8.0
    # A score only counts when it beats the maximum score of the previous `refractory`
    # buckets, otherwise 0: one alert at the onset of an episode, not one per bucket.
    # Counted in buckets: 150 is 12.5 h at 5-minute windows; use ~12 for 1 h windows.
    # 0 disables.
    refractory: int = 150
    # Default alert threshold on the [0, 1] score (callers may use their own): 0.4 is
    # p = 10^-3.2, about one false alert per sub-processor-week on 5-minute windows.
    threshold: float = 0.4
    # Features derived from a scalar value (see DEFAULT_DERIVED); ignored when update()
    # receives a mapping of named features.
    derived: tuple[str, ...] = DEFAULT_DERIVED

    def __post_init__(self) -> None:
        def need(ok: bool, key: str, what: str) -> None:
            if not ok:
                raise ConfigError(f"anomaly.{key}: expected {what}, got {getattr(self, key)!r}")

        for key in ("window", "refit_every", "min_history", "k"):
            v = getattr(self, key)
            need(isinstance(v, int) and not isinstance(v, bool) and v >= 1, key, "an integer >= 1")
        need(isinstance(self.refractory, int) and self.refractory >= 0, "refractory", "an integer >= 0")
        need(self.min_history > self.k, "min_history", f"an integer > k ({self.k})")
        need(self.window >= self.min_history, "window", f"an integer >= min_history ({self.min_history})")
        need(0.0 <= self.knn_weight <= 1.0, "knn_weight", "a number in [0, 1]")
        need(self.min_scale >= 0, "min_scale", "a number >= 0")
        need(0.5 <= self.tail_quantile < 1.0, "tail_quantile", "a number in [0.5, 1)")
        need(self.score_scale > 0, "score_scale", "a number > 0")
        need(0.0 < self.threshold <= 1.0, "threshold", "a number in (0, 1]")
        object.__setattr__(self, "derived", tuple(self.derived))
        need(len(self.derived) > 0, "derived", "a non-empty list of feature names")
        for name in self.derived:
            try:
                parse_derived(name)
            except ValueError as exc:
                raise ConfigError(f"anomaly.derived: {exc}") from None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "AnomalyConfig":
        data = dict(data or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"anomaly: unknown key(s) {', '.join(unknown)}; expected one of {', '.join(sorted(known))}")
        if "derived" in data:
            data["derived"] = tuple(data["derived"])
        try:
            return cls(**data)
        except TypeError as exc:  # wrong types that __post_init__ comparisons trip over
            raise ConfigError(f"anomaly: {exc}") from None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["derived"] = list(self.derived)
        return d


def parse_derived(name: str) -> tuple[str, int]:
    """'value' -> ('value', 0), 'mean_6' -> ('mean', 6); ValueError on anything else."""
    if name in ("value", "diff"):
        return name, 0
    kind, _, n = name.partition("_")
    if kind in ("mean", "std") and n.isdigit() and int(n) >= (2 if kind == "std" else 1):
        return kind, int(n)
    raise ValueError(f"unknown derived feature {name!r}; expected value, diff, mean_N or std_N (N >= 2 for std)")
