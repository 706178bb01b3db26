"""Building the shared parts every command and the daemon need, from Settings."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from sentinel.config import ConfigError, Settings
from sentinel.keys import load_site_key
from sentinel.metrics import Metrics
from sentinel.pipeline import Pipeline, Summary
from sentinel.prefilter_cache import PrefilterCache
from sentinel.registry import SubprocessorRegistry
from sentinel.store import Store


def build_scanner(settings: Settings):
    """The PII and secret scanner configured by [detectors], keyed with the site key."""
    from detectors.pii import Scanner, ScannerConfig

    try:
        config = ScannerConfig.from_dict(settings.config.detectors)
    except (ValueError, TypeError) as exc:
        where = settings.config_path or "sentinel.toml"
        raise ConfigError(where, [("detectors", str(exc))]) from None
    cache = PrefilterCache(settings.data_dir)
    cache.attach()
    scanner = Scanner(config=config, key=load_site_key(settings))
    cache.save()
    return scanner


def build_pipeline(settings: Settings, store: Store, metrics: Metrics | None = None,
                   summary: Summary | None = None, detect: bool = True) -> Pipeline:
    metrics = metrics or Metrics(CollectorRegistry())
    registry = SubprocessorRegistry(settings.registry)
    scanner = build_scanner(settings) if detect else None
    return Pipeline(registry, store.writer(metrics), scanner=scanner, metrics=metrics, summary=summary)
