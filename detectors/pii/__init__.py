"""Personal data and secrets in egress samples: data in, findings out, no I/O.

    from detectors.pii import Scanner, Watchlist
    scanner = Scanner(config={"phone_regions": ["US"]}, key=site_key)
    findings = scanner.scan_request("POST", "/v1/customers", headers, body, "application/x-www-form-urlencoded")
    findings = scanner.scan_text("Hi, my name is Jane Doe ...")
"""

from .config import (AllowlistConfig, AllowRule, ConfigError, CustomDetector, DetectorSettings,
                     NerConfig, ScannerConfig, WatchlistConfig)
from .finding import Category, Encoding, Explanation, Finding, Location, NotReported
from .masking import Hasher, normalise
from . import scanner as _scanner_module
from .cmodules import C_MODULES, c_module
from .scanner import Scanner
from .watchlist import WatchEntry, Watchlist

# True when the scan path runs as C extensions compiled by mypyc from this source
# (setup.py); False when interpreted (no C compiler at install, or SENTINEL_PURE_PYTHON=1).
COMPILED = not _scanner_module.__file__.endswith(".py")
# The modules written in C for the hot path that this install built and loaded (setup.py):
# "walk" (structure walk), "text" (base64 runs, prose context, digits, entropy, the
# secrets' placeholder allowlist), "hmac" (value hashes, needs libssl-dev), "rx" (RE2,
# needs libre2-dev). Each one missing has its Python twin doing the same work, slower.
NATIVE = tuple(name for name in C_MODULES if c_module("_" + name) is not None)

__all__ = [
    "COMPILED", "NATIVE", "AllowRule", "AllowlistConfig", "Category", "ConfigError", "CustomDetector", "DetectorSettings",
    "Encoding", "Explanation", "Finding", "Hasher", "Location", "NerConfig", "NotReported", "Scanner",
    "ScannerConfig", "WatchEntry",
    "Watchlist", "WatchlistConfig", "normalise",
]
