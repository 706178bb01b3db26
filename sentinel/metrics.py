"""Prometheus metrics. Labels come only from bounded sets: table names, source
names and sub-processor names from config, categories, reasons; never IPs,
hosts, URLs or values.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        registry = registry if registry is not None else REGISTRY
        self.registry = registry
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
