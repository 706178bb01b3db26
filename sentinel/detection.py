"""The scanner the configuration asks for: what every path that detects builds first.

Apart from the pipeline and the store, so that `sentinel detect` (a pre-commit hook,
run at every commit) starts without loading the ClickHouse client or pyarrow.
"""

from __future__ import annotations

from sentinel.config import ConfigError, Settings, section_error
from sentinel.keys import load_site_key
from sentinel.prefilter_cache import PrefilterCache


# `sentinel detect` reads what a user hands it whole: the per-sample limits that keep the
# daemon's throughput (1 MiB, 250 ms) would silently leave out the rest of a large file.
WHOLE_INPUTS = {"max_sample_bytes": 1 << 30, "max_decoded_bytes": 1 << 30, "max_fields": 10_000_000,
                "time_budget_ms": 600_000.0}


def build_scanner(settings: Settings, limits: dict | None = None, key: bytes | None = None):
    """The PII and secret scanner configured by [detectors], keyed with ``key`` (default: the
    site key, loaded now); ``limits`` replace the configured per-sample limits."""
    cache = PrefilterCache(settings.data_dir)
    cache.attach()
    scanner = scanner_for(settings, key=key if key is not None else load_site_key(settings), limits=limits)
    cache.save()
    return scanner


def scanner_for(settings: Settings, key: bytes | None = None, limits: dict | None = None):
    """The scanner [detectors] asks for; without a key, one drawn for this process (`config check`
    builds it so, and writes nothing)."""
    from detectors.pii import Scanner, ScannerConfig
    from detectors.pii.ner import NerUnavailable

    try:
        config = ScannerConfig.from_dict({**settings.config.detectors, **(limits or {})}, where="detectors")
        watchlist = None
        if config.watchlist.paths:
            from sentinel.watchlist_files import read_watchlist

            # Under the scanner's key: a registered value and the same value found by a
            # detector hash alike (without a key, the scanner adopts the watchlist's).
            watchlist = read_watchlist(settings, config.watchlist.paths, key, config.phone_regions)
        return Scanner(config=config, watchlist=watchlist, key=key)
    except NerUnavailable as exc:  # the Scanner names its own key; it is under [detectors] here
        raise ConfigError(settings.config_path or "sentinel.toml", [(f"detectors.{exc.key}", exc.reason)]) from None
    except (ValueError, TypeError) as exc:  # detectors.pii's ConfigError is a ValueError
        raise section_error(settings, "detectors", exc) from None
