"""Building the shared parts every command and the daemon need, from Settings."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from sentinel.config import Settings
from sentinel.detection import build_scanner
from sentinel.metrics import Metrics
from sentinel.pipeline import Pipeline, Summary
from sentinel.registry import SubprocessorRegistry
from sentinel.store import Store


def build_pipeline(settings: Settings, store: Store, metrics: Metrics | None = None,
                   summary: Summary | None = None, detect: bool = True) -> Pipeline:
    metrics = metrics or Metrics(CollectorRegistry())
    registry = SubprocessorRegistry(settings.registry)
    scanner = build_scanner(settings) if detect else None
    return Pipeline(registry, store.writer(metrics), scanner=scanner, metrics=metrics, summary=summary)
