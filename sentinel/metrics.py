"""Prometheus metrics. Labels come only from bounded sets: table names, source
names and sub-processor names from config, categories, reasons; never IPs,
hosts, URLs or values.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from prometheus_client import (REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector,
                               disable_created_metrics)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

import detectors.pii

# A `_created` gauge beside every counter and histogram series doubled what Prometheus
# stores; rate() and increase() do not need them.
disable_created_metrics()


# Parse-error reasons the daemon adds for a whole file or input, beside the parsers' own.
SOURCE_FAILURES = frozenset({"unknown_format", "unreadable_file", "damaged_capture"})


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        registry = registry if registry is not None else REGISTRY
        self.registry = registry
        if registry is not REGISTRY:  # the default registry has its own
            # process_resident_memory_bytes, process_cpu_seconds_total, open fds: the daemon's
            # footprint, ClickHouse's included when the store is embedded
            ProcessCollector(registry=registry)
        self.store_rows = Counter(
            "sentinel_store_rows_written_total", "Rows inserted into ClickHouse.", ["table"], registry=registry)
        self.store_failures = Counter(
            "sentinel_store_insert_failures_total", "Batches ClickHouse refused or could not take.", ["table"],
            registry=registry)
        self.store_batch_seconds = Histogram(
            "sentinel_store_insert_duration_seconds", "Time to insert one batch into ClickHouse.", ["table"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=registry)
        self.spool_bytes = Gauge(
            "sentinel_spool_bytes", "Bytes of batches waiting on disk for ClickHouse.", registry=registry)
        self.spool_batches = Gauge(
            "sentinel_spool_batches", "Batches waiting on disk for ClickHouse.", registry=registry)
        self.spool_overflow = Counter(
            "sentinel_spool_overflow_total", "Rows refused because the spool was full (not acknowledged).",
            ["table"], registry=registry)
        self.spool_rejected = Counter(
            "sentinel_spool_rejected_batches_total",
            "Spooled batches ClickHouse kept refusing, moved to spool/rejected/.", ["table"], registry=registry)
        self.events = Counter(
            "sentinel_events_total", "Egress events ingested.", ["source", "subprocessor"], registry=registry)
        self.event_bytes = Counter(
            "sentinel_event_bytes_total", "Bytes sent to third parties, from ingested events.",
            ["source", "subprocessor"], registry=registry)
        self.rejected = Counter(
            "sentinel_parse_errors_total", "Input lines or records that could not be parsed, by reason.",
            ["source", "reason"], registry=registry)
        self.findings = Counter(
            "sentinel_findings_total", "Personal data and secrets found in requests.",
            ["subprocessor", "category"], registry=registry)
        self.violations = Counter(
            "sentinel_policy_violations_total", "Policy violations, by kind and severity.",
            ["subprocessor", "kind", "severity"], registry=registry)
        self.samples = Counter(
            "sentinel_samples_scanned_total", "Plaintext request samples handed to the detectors.",
            ["source"], registry=registry)
        self.samples_shed = Counter(
            "sentinel_samples_shed_total", "Samples not scanned because the pipeline was over capacity.",
            ["source"], registry=registry)
        self.events_shed = Counter(
            "sentinel_events_shed_total", "Captured events dropped because the pipeline queue stayed full.",
            ["source"], registry=registry)
        self.queue_depth = Gauge(
            "sentinel_queue_depth", "Items waiting between pipeline stages.", ["queue"], registry=registry)
        self.queue_capacity = Gauge(
            "sentinel_queue_capacity", "Bound of each pipeline queue.", ["queue"], registry=registry)
        self.lag = Gauge(
            "sentinel_pipeline_lag_seconds", "Age of the newest event written, per source (now - event time); "
            "0 once the source has read and stored all there is.",
            ["source"], registry=registry)
        self.flows = Gauge(
            "sentinel_capture_flows", "TCP flows tracked by the reassembly table.", ["source"], registry=registry)
        self.flows_evicted = Counter(
            "sentinel_capture_flows_evicted_total", "Flows dropped from the reassembly table at its limits.",
            ["source"], registry=registry)
        self.capture_packets = Counter(
            "sentinel_capture_packets_total", "Frames the kernel handed a live capture's socket after its BPF "
            "filter, the dropped ones included.", ["source"], registry=registry)
        self.capture_drops = Counter(
            "sentinel_capture_kernel_drops_total", "Frames a live capture lost in the kernel, its socket's receive "
            "queue full: traffic Sentinel never saw.", ["source"], registry=registry)
        self.anomaly_score = Gauge(
            "sentinel_anomaly_score", "Latest calibrated anomaly score per sub-processor and window (0-1).",
            ["subprocessor", "window"], registry=registry)
        self.source_up = Gauge(
            "sentinel_source_up", "1 when a source is open and reading, 0 when it is failing.", ["source"],
            registry=registry)
        self.config_reloads = Counter(
            "sentinel_config_reloads_total", "Configuration reloads on SIGHUP, by result.", ["result"],
            registry=registry)
        # Alerts: `channel` is the route name from config, a bounded set.
        self.alerts = Counter(
            "sentinel_alerts_total", "Alerts raised (a new condition; repeats of a firing alert are not counted).",
            ["kind", "severity"], registry=registry)
        self.notifications = Counter(
            "sentinel_notifications_total",
            "Notification delivery outcomes per route: sent, failed (an attempt; it is retried) or expired.",
            ["channel", "status"], registry=registry)
        self.outbox_pending = Gauge(
            "sentinel_outbox_pending", "Notifications in the outbox not yet delivered or expired.", registry=registry)
        self.memory_trimmed = Counter(
            "sentinel_memory_trimmed_bytes", "Clean library pages (start-up code) unmapped from the resident set; "
            "they stay in the page cache.", registry=registry)
        self.detectors_compiled = Gauge(
            "sentinel_detectors_compiled", "1 when the PII detectors run compiled (mypyc), 0 when interpreted: "
            "about half the scan throughput (installed without a C compiler).", registry=registry)
        self.detectors_compiled.set(1 if detectors.pii.COMPILED else 0)
        self.detectors_c_module = Gauge(
            "sentinel_detectors_c_module", "1 for each of the detectors' C modules this install loaded, 0 for one "
            "missing: walk and text (built with a C compiler), hmac (needs libssl-dev), rx (needs libre2-dev), "
            "hs (needs libhyperscan-dev).",
            ["module"], registry=registry)
        for module in detectors.pii.cmodules.C_MODULES:
            self.detectors_c_module.labels(module).set(1 if module in detectors.pii.NATIVE else 0)
        self.detector_stats = DetectorStats(registry)
        self.alert_delivery_seconds = Histogram(
            "sentinel_alert_delivery_seconds", "Time from an alert being raised to its notification being delivered.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600), registry=registry)

    def start_at_zero(self, sources: Iterable[str] = (), routes: Iterable[str] = (),
                      captures: Iterable[str] = ()) -> None:
        """Export the series of rare events at 0 from the start. A series created by its first
        occurrence appears at 1, and Prometheus's increase() and rate() see no rise: the
        dashboards' alerts, parse errors and reload panels stayed flat for the first one."""
        from sentinel.collect.logs.base import REASONS
        from sentinel.policy import KINDS, SEVERITY_ORDER
        from sentinel.store.schema import TABLES_BY_NAME

        for result in ("ok", "failed"):
            self.config_reloads.labels(result)
        for kind in KINDS:
            for severity in SEVERITY_ORDER:
                self.alerts.labels(kind, severity)
        for table in TABLES_BY_NAME:
            for counter in (self.store_failures, self.spool_overflow, self.spool_rejected):
                counter.labels(table)
        for source in sources:
            for reason in REASONS | SOURCE_FAILURES:
                self.rejected.labels(source, reason)
        for route in routes:
            for status in ("sent", "failed", "expired"):
                self.notifications.labels(route, status)
        for source in captures:  # live capture sources
            for counter in (self.capture_packets, self.capture_drops, self.flows_evicted):
                counter.labels(source)
            self.flows.labels(source)


# Scanner.stats keys exported, with what each counts.
DETECTOR_EVENTS = {
    "budget_overruns": "samples whose time budget ran out (the rest of the sample was not scanned)",
    "truncated": "samples or fields cut to the size cap",
    "fields_dropped": "fields beyond max_fields",
    "decode_errors": "layers that claimed an encoding and did not decode",
    "decode_limited": "layers not decoded because the sample's decode budget was spent",
    "depth_limited": "layers deeper than max_depth",
    "errors": "recogniser or parser errors (the sample went on)",
    "base64_decoded": "base64 layers decoded",
    "segments_repeated": "fields skipped because the same value gave nothing before",
}


class DetectorStats(Collector):
    """The scanner's own counters, read at scrape time (nothing on the scan path). A
    reload brings a new scanner: what the old one counted is carried, so the counters
    only grow."""

    def __init__(self, registry: CollectorRegistry):
        self.scanner: Any = None
        self.carried: dict[str, int] = {}
        registry.register(self)

    def watch(self, scanner: Any) -> None:
        if scanner is self.scanner:
            return
        if self.scanner is not None:
            for k, v in self.scanner.stats.items():
                self.carried[k] = self.carried.get(k, 0) + v
        self.scanner = scanner

    def _count(self, key: str) -> int:
        now = self.scanner.stats.get(key, 0) if self.scanner is not None else 0
        return self.carried.get(key, 0) + now

    def collect(self) -> Iterator[CounterMetricFamily]:
        events = CounterMetricFamily(
            "sentinel_detector_events", "What the PII detectors met while scanning, by event: "
            + "; ".join(f"{k}: {v}" for k, v in DETECTOR_EVENTS.items()) + ".", labels=["event"])
        for key in DETECTOR_EVENTS:
            events.add_metric([key], self._count(key))
        yield events
        yield CounterMetricFamily("sentinel_detector_scanned_bytes", "Bytes of requests and text handed to the "
                                  "PII detectors.", value=self._count("bytes"))

    def describe(self) -> Iterator[CounterMetricFamily]:
        return iter(())  # no sample read at registration: the scanner may not exist yet
