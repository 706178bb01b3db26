"""Bounded queues between sources and the pipeline: memory stays bounded, shedding is counted."""

from __future__ import annotations

import threading
import time

from prometheus_client import CollectorRegistry

from sentinel.config.daemon import SourceConfig
from sentinel.metrics import Metrics
from sentinel.model import EgressEvent, TrafficSample
from sentinel.sources import CaptureItem, LiveSource, WorkQueue


def sample(size: int) -> TrafficSample:
    return TrafficSample(ts=1.0, method="POST", url="/v1/track", headers=[], body=b"x" * size)


def test_queue_bounds_items_and_bytes():
    queue = WorkQueue(max_items=3, max_bytes=100)
    assert queue.put("a", timeout=0) and queue.put("b", nbytes=60, timeout=0)
    assert not queue.put("c", nbytes=50, timeout=0)  # would exceed the byte budget
    assert queue.put("c", nbytes=40, timeout=0)
    assert not queue.put("d", timeout=0)  # item limit
    assert len(queue) == 3 and queue.bytes == 100
    assert queue.get() == "a" and queue.bytes == 100
    assert queue.get() == "b" and queue.bytes == 40


def test_blocked_producer_resumes_when_consumer_drains():
    queue = WorkQueue(max_items=1)
    queue.put("first")
    done = threading.Event()

    def produce():
        queue.put("second")  # blocks until there is room: how log sources wait
        done.set()

    threading.Thread(target=produce, daemon=True).start()
    assert not done.wait(0.3)
    assert queue.get() == "first"
    assert done.wait(5) and queue.get() == "second"


def test_live_flood_sheds_samples_then_events_and_counts_them():
    metrics = Metrics(CollectorRegistry())
    queue = WorkQueue(max_items=50, max_bytes=1 << 20)
    source = LiveSource(SourceConfig(name="mirror", type="live", interface="lo"), queue, metrics, None)
    source.event_wait = 0.001  # the flood would otherwise wait 50 ms per shed event
    sent_samples = sent_events = 0
    for i in range(2000):  # far above what the queue holds, nobody consuming
        source.emit("sample", sample(10_000))
        source.emit("event", EgressEvent(ts=1.0, source="live"))
        sent_samples += 1
        sent_events += 1
    shed_samples = metrics.registry.get_sample_value("sentinel_samples_shed_total", {"source": "mirror"})
    shed_events = metrics.registry.get_sample_value("sentinel_events_shed_total", {"source": "mirror"})
    kept = [queue.get(timeout=0) for _ in range(len(queue))]
    kept_samples = sum(1 for item in kept if isinstance(item, CaptureItem) and item.kind == "sample")
    kept_events = sum(1 for item in kept if isinstance(item, CaptureItem) and item.kind == "event")
    assert len(kept) <= 50 and queue.bytes == 0  # bounded
    assert kept_samples + shed_samples == sent_samples  # nothing vanished without a count
    assert kept_events + shed_events == sent_events
    assert shed_samples > shed_events  # samples go first


def test_queue_get_times_out_empty():
    queue = WorkQueue()
    started = time.monotonic()
    assert queue.get(timeout=0.1) is None
    assert time.monotonic() - started >= 0.09
