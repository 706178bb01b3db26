"""The anomaly scoring job: on each closed window, per sub-processor, features from
ClickHouse, a causal score, a row in `anomaly_scores`, and an alert when it is unusual.

Aggregation is ClickHouse's: one query per window reads requests and bytes from the
`traffic_1m` rollup, findings and distinct subjects from `findings_1m`, and new field
paths from `findings`. Python only scores. Scorer state (models and history) is saved
to `<data_dir>/anomaly-state.json` after each window, so a restart resumes.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from detectors.anomaly.features import FeatureBuilder, FeatureParams, WindowHistory
from detectors.anomaly.peers import EntityScorers
from sentinel.config.anomaly import anomaly_settings
from sentinel.store.writer import to_arrow

log = logging.getLogger("sentinel.scoring")

WINDOW_SQL = """
SELECT subprocessor, toUnixTimestamp(toStartOfInterval(minute, INTERVAL {w} SECOND)) AS window,
       sum(requests) AS requests, sum(bytes_out) AS bytes_out
FROM {{db}}.traffic_1m
WHERE minute >= toDateTime(%(start)s) AND minute < toDateTime(%(end)s) AND subprocessor != ''
GROUP BY subprocessor, window
"""
FINDINGS_SQL = """
SELECT subprocessor, toUnixTimestamp(toStartOfInterval(minute, INTERVAL {w} SECOND)) AS window,
       sum(findings) AS findings, uniqMerge(subjects) AS subjects
FROM {{db}}.findings_1m
WHERE minute >= toDateTime(%(start)s) AND minute < toDateTime(%(end)s) AND subprocessor != ''
GROUP BY subprocessor, window
"""
NEW_PATHS_SQL = """
SELECT subprocessor, toUnixTimestamp(toStartOfInterval(first, INTERVAL {w} SECOND)) AS window, count() AS paths
FROM (SELECT subprocessor, category, field_path, min(ts) AS first FROM {{db}}.findings
      WHERE subprocessor != '' GROUP BY subprocessor, category, field_path)
WHERE first >= toDateTime64(%(start)s, 3) AND first < toDateTime64(%(end)s, 3)
GROUP BY subprocessor, window
"""
SCORE_COLUMNS = ("ts", "window", "subprocessor", "score", "threshold", "alerted", "features", "explanation", "model")


class ScoringJob:
    def __init__(self, store, settings, alerts=None, metrics=None, window_seconds: int = 300):
        self.store = store
        self.alerts = alerts
        self.metrics = metrics
        self.window = window_seconds
        self.label = f"{window_seconds // 60}m" if window_seconds < 3600 else f"{window_seconds // 3600}h"
        self.state_path = Path(settings.data_dir) / f"anomaly-state-{self.label}.json"
        self.windows_scored = 0
        self._configure(settings)
        self._load()

    def _configure(self, settings) -> None:
        try:
            parsed = anomaly_settings(settings.config.anomaly, self.window)
        except (TypeError, ValueError) as exc:  # detectors.anomaly.ConfigError is a ValueError too
            from sentinel.config import section_error

            raise section_error(settings, "anomaly", exc) from None
        self.warmup_windows = int(parsed.warmup_days * 86400 / self.window)
        self.config = parsed.model
        self.threshold = parsed.alert_threshold or self.config.threshold
        self.settings = settings

    def reload(self, settings) -> None:
        self._configure(settings)

    @classmethod
    def check(cls, settings) -> None:
        """Raise ConfigError if [anomaly] is invalid, without touching a running job."""
        probe = cls.__new__(cls)
        probe.window = 300
        probe._configure(settings)

    # -- state ----------------------------------------------------------------------------
    def _load(self) -> None:
        self.scorers = EntityScorers(self.config)
        self.builders: dict[str, FeatureBuilder] = {}
        self.firing: set[str] = set()
        self.seen: dict[str, int] = {}
        self.next_window = 0.0
        try:
            state = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("anomaly state unreadable, starting fresh: %s", type(exc).__name__)
            return
        try:
            self.scorers = EntityScorers.from_state(state["scorers"])
            for name, history in state.get("histories", {}).items():
                builder = self._builder(name)
                builder.history = WindowHistory.from_state(history)
            self.firing = set(state.get("firing", []))
            self.seen = {k: int(v) for k, v in state.get("seen", {}).items()}
            self.next_window = float(state.get("next_window", 0.0))
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("anomaly state does not match this version, starting fresh: %s", type(exc).__name__)
            self.scorers, self.builders = EntityScorers(self.config), {}

    def save(self) -> None:
        state = {"scorers": self.scorers.state(), "firing": sorted(self.firing), "next_window": self.next_window,
                 "seen": self.seen,
                 "histories": {name: b.history.state() for name, b in self.builders.items()}}
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.state_path)

    def _builder(self, name: str) -> FeatureBuilder:
        builder = self.builders.get(name)
        if builder is None:
            builder = self.builders[name] = FeatureBuilder(FeatureParams(window_seconds=self.window))
        return builder

    # -- scoring ----------------------------------------------------------------------------
    def counts(self, start: float, end: float) -> dict[tuple[str, int], dict[str, float]]:
        """Raw counts per (sub-processor, window start) between start and end, from ClickHouse."""
        import datetime as dt

        params = {"start": dt.datetime.fromtimestamp(start, dt.timezone.utc).replace(tzinfo=None),
                  "end": dt.datetime.fromtimestamp(end, dt.timezone.utc).replace(tzinfo=None)}
        out: dict[tuple[str, int], dict[str, float]] = {}

        def slot(key):
            return out.setdefault(key, {"bytes_out": 0.0, "requests": 0.0, "pii_findings": 0.0,
                                        "distinct_subjects": 0.0, "new_field_paths": 0.0})

        for sub, window, requests, nbytes in self.store.query(WINDOW_SQL.format(w=self.window), params).result_rows:
            entry = slot((sub, int(window)))
            entry["requests"], entry["bytes_out"] = float(requests), float(nbytes)
        for sub, window, findings, subjects in self.store.query(FINDINGS_SQL.format(w=self.window),
                                                                params).result_rows:
            entry = slot((sub, int(window)))
            entry["pii_findings"], entry["distinct_subjects"] = float(findings), float(subjects)
        for sub, window, paths in self.store.query(NEW_PATHS_SQL.format(w=self.window), params).result_rows:
            slot((sub, int(window)))["new_field_paths"] = float(paths)
        return out

    def score_range(self, start: float, end: float) -> int:
        """Score every closed window in [start, end) in time order; return alerts raised."""
        start = start - start % self.window
        counts = self.counts(start, end)
        names = sorted({sub for sub, _ in counts} | set(self.builders))
        rows, raised = [], 0
        for window in range(int(start), int(end) - self.window + 1, self.window):
            for name in names:
                values = counts.get((name, window))
                if values is None and name not in self.builders:
                    continue  # not seen yet: no history to compare an empty window with
                values = values or {"bytes_out": 0.0, "requests": 0.0, "pii_findings": 0.0,
                                    "distinct_subjects": 0.0, "new_field_paths": 0.0}
                features = self._builder(name)(window, values)
                score = self.scorers.update(name, window, features)
                explanation = self.scorers.explain(name)
                alerted = self._judge(name, window, score, values, explanation)
                raised += alerted
                rows.append((float(window), self.label, name, float(score), float(self.threshold), int(alerted),
                             {k: float(v) for k, v in values.items()},
                             {k: float(v) for k, v in explanation.items()}, "knn+ecod"))
                if self.metrics:
                    self.metrics.anomaly_score.labels(name, self.label).set(score)
            self.windows_scored += 1
        if rows:
            # Straight to ClickHouse: this thread must not share the pipeline's writer. A failure
            # raises before the window advances, so the window is scored again next time.
            self.store.client.insert_arrow(self.store.table("anomaly_scores"), to_arrow("anomaly_scores",
                                                                                        SCORE_COLUMNS, rows))
        self.next_window = max(self.next_window, float(end - end % self.window))
        self.save()
        return raised

    def _judge(self, name: str, window: int, score: float, values: dict, explanation: dict) -> bool:
        self.seen[name] = self.seen.get(name, 0) + 1
        if score >= self.threshold and self.seen[name] > self.warmup_windows:
            self.scorers.mark_alerted(name)  # keep the exfiltration out of the training window
            if self.alerts is not None:
                self.alerts.raise_alert(self._alert(name, window, score, values, explanation))
            self.firing.add(name)
            return True
        if name in self.firing and score < self.threshold / 2:
            self.firing.discard(name)
            if self.alerts is not None:
                self.alerts.resolve(self._alert(name, window, score, values, explanation).fingerprint,
                                    "volume back to normal")
        return False

    def _alert(self, name, window, score, values, explanation):
        from sentinel.alert.model import Alert

        drivers = ", ".join(f"{k} ({v:.2f})" for k, v in sorted(explanation.items(), key=lambda kv: -kv[1])[:3])
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(window))
        return Alert(
            kind="volume_anomaly", severity="high" if score >= min(1.0, self.threshold * 3) else "medium",
            title=f"Unusual volume to {name}", subprocessor=name,
            policy=f"anomaly score {score:.2f} over threshold {self.threshold:.2f} in the {self.label} window "
                   f"starting {when}; driven by {drivers or 'volume'}",
            summary=f"{int(values['requests'])} requests, {int(values['bytes_out'])} bytes, "
                    f"{int(values['distinct_subjects'])} data subjects in the window",
            evidence={"window": when, "requests": str(int(values["requests"])),
                      "bytes_out": str(int(values["bytes_out"])), "subjects": str(int(values["distinct_subjects"])),
                      "score": f"{score:.2f}"},
            first_seen=float(window), last_seen=float(window + self.window), resolve_after=0,
        )

    # -- in the daemon and the demo ---------------------------------------------------------
    def backfill(self, days: float = 8.0, until: float | None = None) -> int:
        """Score everything stored up to the last closed window (the demo, first start),
        or up to ``until``."""
        now = time.time() if until is None else until
        start = self.next_window or now - days * 86400
        return self.score_range(start, now - now % self.window)

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            # A minute of grace: the last events of a window arrive with the next batches.
            settled = time.time() - 60
            end = settled - settled % self.window
            if end > self.next_window:
                try:
                    self.score_range(self.next_window or end - self.window, end)
                except Exception:
                    log.exception("anomaly scoring failed; the window is scored again next time")
            stop.wait(min(30.0, self.window / 5))
