"""The [anomaly] table: two keys of Sentinel's alerting, the rest the model's own
(detectors/anomaly/config.py). Parsed on load, so a typo fails every command the same way."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

ALERTING_KEYS = ("alert_threshold", "warmup_days")
# Scores are recorded from the first window; alerts wait until a sub-processor has this
# much history (measured: 4.6 false alerts per week during the first three weeks, 0.8
# after, in bench/anomaly_exfil.py).
WARMUP_DAYS = 14.0


@dataclass(frozen=True)
class AnomalySettings:
    alert_threshold: float  # 0: the model's own threshold
    warmup_days: float
    model: Any  # detectors.anomaly.AnomalyConfig


def anomaly_settings(table: dict, window_seconds: int = 300) -> AnomalySettings:
    """The table for scoring windows of this length; a bad key raises a ValueError naming
    it (``anomaly.<key>: ...``)."""
    from detectors.anomaly import AnomalyConfig  # late: numpy, only for a configured [anomaly]

    known = {f.name for f in fields(AnomalyConfig)} | set(ALERTING_KEYS) | {"windows"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"anomaly: unknown key(s) {', '.join(unknown)}; expected one of {', '.join(sorted(known))}")
    options = dict(table)
    options.pop("windows", None)  # accepted for older configs: the daemon scores 5-minute and hourly windows
    alerting = {key: _number(options.pop(key), key) for key in ALERTING_KEYS if key in options}
    if "refractory" not in options:
        # The refractory period is counted in buckets: keep it the same length of time
        # (12.5 h at the default) whatever the window.
        options["refractory"] = max(1, round(AnomalyConfig().refractory * 300 / window_seconds))
    return AnomalySettings(alerting.get("alert_threshold", 0.0), alerting.get("warmup_days", WARMUP_DAYS),
                           AnomalyConfig.from_dict(options))


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"anomaly.{key}: expected a number >= 0, got {value!r}")
    return float(value)
