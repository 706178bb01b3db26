"""Bounded queues between sources and the pipeline: memory stays bounded, shedding is counted."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from sentinel.collect.har import read_har
from sentinel.collect.tail import fingerprint
from sentinel.config.daemon import SourceConfig
from sentinel.ingest_capture import stamp_har
from sentinel.metrics import Metrics
from sentinel.model import EgressEvent, TrafficSample
from sentinel.sources import CaptureFileSource, CaptureItem, LiveSource, WorkQueue


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


# -- capture files: each one read once per run, again after a crash if never acknowledged ----
HARS = Path(__file__).parent / "data" / "har"
HAR_FILES = ("pagexray_case_sensitive_protocol_chrome.har", "mitmproxy_export_json_protobuf_post_br.har",
             "mitmproxy_insomnia_rest_client.har")


def read_har_into(source, path, origin):
    """What the daemon does with a HAR file: every entry's sample and event onto the queue."""
    for record in stamp_har(read_har(path), origin):
        source.emit("sample", record.sample)
        source.emit("event", record.event)


def har_source(watched: Path, state: Path, queue: WorkQueue) -> CaptureFileSource:
    config = SourceConfig(name="hars", type="har", paths=[str(watched)])
    return CaptureFileSource(config, queue, Metrics(CollectorRegistry()), state, read_har_into, settle=0)


def drain(queue: WorkQueue) -> list[CaptureItem]:
    return [queue.get(timeout=0) for _ in range(len(queue))]


def events_per_file(items: list[CaptureItem], watched: Path) -> dict[str, int]:
    """Queued events counted by file name (the origin is the file's fingerprint prefix)."""
    names = {fingerprint(path)[:16]: path.name for path in watched.iterdir()}
    return dict(Counter(names[item.payload.origin] for item in items if item.kind == "event"))


def test_busy_pipeline_gets_each_capture_file_once_and_a_restart_rereads_the_unacknowledged(tmp_path):
    watched = tmp_path / "hars"
    watched.mkdir()
    for name in HAR_FILES:
        shutil.copy(HARS / name, watched / name)
    expected = {name: len(list(read_har(HARS / name))) for name in HAR_FILES}
    queue = WorkQueue()
    source = har_source(watched, tmp_path / "state", queue)

    source.scan()
    source.scan()  # the writer has acknowledged nothing yet: files queued must not be read again
    items = drain(queue)
    assert events_per_file(items, watched) == expected
    marks = [item for item in items if item.kind == "mark"]
    assert len(marks) == len(HAR_FILES)

    # The store acknowledges the first two files; the third is still in flight when the daemon dies.
    for mark in marks[:2]:
        for key, offset in mark.positions.items():
            source.acknowledge(key, offset)
    source.scan()
    assert drain(queue) == []

    restarted = har_source(watched, tmp_path / "state", queue)
    restarted.scan()
    restarted.scan()
    unacknowledged = next(iter(marks[2].positions))[1]
    reread = [name for name in HAR_FILES if fingerprint(watched / name) == unacknowledged]
    assert events_per_file(drain(queue), watched) == {name: expected[name] for name in reread}


def test_a_broken_har_is_named_once_and_the_others_are_read(tmp_path, caplog):
    watched = tmp_path / "hars"
    watched.mkdir()
    shutil.copy(HARS / HAR_FILES[0], watched / HAR_FILES[0])
    (watched / "broken.har").write_text('{"log": {"entries": [\x01')
    queue = WorkQueue()
    source = har_source(watched, tmp_path / "state", queue)
    source.scan()
    assert source.metrics.rejected.labels("hars", "unreadable_file")._value.get() == 1  # counted, not only logged
    (error,) = [r.getMessage() for r in caplog.records if "broken.har" in r.getMessage()]
    assert error.startswith("source hars: ") and error.count("broken.har") == 1
    assert list(events_per_file(drain(queue), watched)) == [HAR_FILES[0]]


SQUID_LINE = ("1764151200.{n:03d}    120 10.20.1.{n} TCP_TUNNEL/200 4512 CONNECT api.segment.io:443 - "
              "HIER_DIRECT/198.51.100.{n} -\n")


def log_events(config: SourceConfig, state: Path, expected: int, timeout: float = 10.0) -> list:
    """Run a log source until it has queued ``expected`` events (or the timeout): its events."""
    from sentinel.sources import LogSource

    queue = WorkQueue()
    source = LogSource(config, queue, Metrics(CollectorRegistry()), state)
    source.start()
    events, deadline = [], time.monotonic() + timeout
    try:
        while len(events) < expected and time.monotonic() < deadline:
            batch = queue.get(timeout=0.2)
            if batch is not None:
                events += batch.events
    finally:
        source.stop()
        source.join(5)
    return events


def test_logs_sharing_a_long_first_stretch_are_told_apart_with_a_longer_fingerprint(tmp_path):
    # Two proxies' logs that begin with the same lines (a replayed head, a fixed preamble):
    # the first 256 bytes make them one identity, so the second is taken for a copy.
    head = "".join(SQUID_LINE.format(n=n) for n in range(1, 4))
    assert len(head) > 256
    logs = tmp_path / "logs"
    logs.mkdir()
    for name, first in (("a.log", 10), ("b.log", 20)):
        (logs / name).write_text(head + "".join(SQUID_LINE.format(n=n) for n in range(first, first + 5)))

    default = SourceConfig(name="proxies", type="log", paths=[str(logs)], format="squid")
    assert len(log_events(default, tmp_path / "one", expected=16, timeout=3.0)) == 8

    longer = default.model_copy(update={"fingerprint_bytes": 1024})
    events = log_events(longer, tmp_path / "two", expected=16)
    assert len(events) == 16
    assert {ev.source for ev in events} == {"proxies"}  # named as configured, not "squid"


def test_a_log_it_cannot_open_takes_the_source_down_and_says_why(tmp_path):
    # The README's warning case (a unit without SupplementaryGroups=): the source said it was
    # up and healthy while it read nothing. Root reads any file, so the check runs in a
    # process without the capabilities that let it (setpriv, util-linux).
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to deny a file to a process")
    log = tmp_path / "access.log"
    log.write_text(SQUID_LINE.format(n=1))
    os.chown(log, pwd.getpwnam("nobody").pw_uid, -1)
    log.chmod(0o600)
    program = f"""
import time
from pathlib import Path
from prometheus_client import CollectorRegistry
from sentinel.config.daemon import SourceConfig
from sentinel.metrics import Metrics
from sentinel.sources import LogSource, WorkQueue
metrics = Metrics(CollectorRegistry())
source = LogSource(SourceConfig(name="edge", type="log", paths=[{str(log)!r}]), WorkQueue(), metrics, Path({str(tmp_path)!r}))
source.start()
time.sleep(1.5)
source.stop(); source.join(5)
print(metrics.registry.get_sample_value("sentinel_source_up", {{"source": "edge"}}))
print(source.problem)
"""
    result = subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--", sys.executable, "-c",
                             program], capture_output=True, text=True, timeout=60)
    up, problem = result.stdout.split("\n")[:2]
    assert up == "0.0", result.stderr
    assert problem == f"cannot open {log}: Permission denied"


def test_live_capture_counts_reach_the_metrics_and_drops_are_logged_once_a_minute(caplog):
    from sentinel.collect.capture.processor import CaptureProcessor
    from sentinel.sources import CaptureCounts

    metrics = Metrics(CollectorRegistry())
    metrics.start_at_zero(["mirror"], captures=["mirror"])
    processor = CaptureProcessor(on_event=lambda e: None, on_sample=lambda s: None)
    counts = CaptureCounts("mirror", metrics, processor)

    def value(name):
        return metrics.registry.get_sample_value(name, {"source": "mirror"})

    assert value("sentinel_capture_kernel_drops_total") == 0  # exported before the first drop
    processor.stats["flows_evicted"] = 3
    with caplog.at_level("WARNING", logger="sentinel.sources"):
        counts.update(120, 0)
        counts.update(80, 7)
        counts.update(50, 5)  # within the minute: counted, not logged again
        assert value("sentinel_capture_packets_total") == 250
        assert value("sentinel_capture_kernel_drops_total") == 12
        assert value("sentinel_capture_flows_evicted_total") == 3  # the processor's total, added once
        assert value("sentinel_capture_flows") == 0
        warnings = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
        assert len(warnings) == 1 and "7 frames" in warnings[0] and "mirror" in warnings[0]
        counts._next_warning = 0.0  # a minute later
        counts.update(10, 0)
        warnings = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
        assert len(warnings) == 2 and "5 frames" in warnings[1]  # the drops not yet reported
