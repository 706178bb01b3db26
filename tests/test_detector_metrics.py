"""The detectors' own counters (budget overruns, truncation, decode limits, errors,
repeats skipped) reach Prometheus, and stay monotonic across a reload's new scanner."""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry

from detectors.pii import Scanner
from sentinel.metrics import DETECTOR_EVENTS, Metrics

KEY = b"metrics-test-key-0000000000000000"


def events(metrics: Metrics, event: str) -> float | None:
    return metrics.registry.get_sample_value("sentinel_detector_events_total", {"event": event})


def scanned(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("sentinel_detector_scanned_bytes_total")


def note(text: str) -> tuple:
    return ("POST", "https://api.example.net/v1/notes", [], json.dumps({"note": text}).encode(), "application/json")


def test_every_event_is_exposed_before_any_scan():
    metrics = Metrics(CollectorRegistry())
    assert {k: events(metrics, k) for k in DETECTOR_EVENTS} == dict.fromkeys(DETECTOR_EVENTS, 0.0)
    assert scanned(metrics) == 0.0


def test_scanner_counters_are_read_at_scrape_time():
    metrics = Metrics(CollectorRegistry())
    scanner = Scanner({"max_sample_bytes": 64}, key=KEY)
    metrics.detector_stats.watch(scanner)
    request = note("shipped with the standard carrier, tracking pending " + "x" * 100)
    scanner.scan_request(*request)
    assert events(metrics, "truncated") == 1  # the body was cut to 64 bytes
    scanner.scan_request(*note("shipped with the standard carrier, tracking pending"))
    repeats = events(metrics, "segments_repeated")
    scanner.scan_request(*note("shipped with the standard carrier, tracking pending"))  # its note skipped as quiet
    assert events(metrics, "segments_repeated") == scanner.stats["segments_repeated"] > repeats
    assert scanned(metrics) == scanner.stats["bytes"] > 0


def test_a_new_scanner_carries_the_counts_forward():
    metrics = Metrics(CollectorRegistry())
    old = Scanner({"max_sample_bytes": 64}, key=KEY)
    metrics.detector_stats.watch(old)
    old.scan_request(*note("y" * 200))
    before = scanned(metrics)
    new = Scanner({"max_sample_bytes": 64}, key=KEY)  # what a reload builds
    metrics.detector_stats.watch(new)
    assert scanned(metrics) == before and events(metrics, "truncated") == 1
    new.scan_request(*note("z" * 200))
    assert events(metrics, "truncated") == 2
    assert scanned(metrics) == before + new.stats["bytes"]
