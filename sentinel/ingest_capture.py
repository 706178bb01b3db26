"""Captures and HAR exports into the pipeline.

A capture emits a request's sample (when its body is complete) before its event
(when the response is done); both carry the same (origin, offset), so findings
and event share an event id and the finding count waits in a small bounded map.
"""

from __future__ import annotations

from collections import OrderedDict

from sentinel.collect.capture import CaptureProcessor
from sentinel.collect.har import HarParseError, read_har
from sentinel.config import Settings
from sentinel.model import EgressEvent, TlsHandshake, TrafficSample
from sentinel.pipeline import Pipeline, make_event_id

_PENDING_LIMIT = 100_000


class CaptureBridge:
    """Callbacks for a CaptureProcessor that feed one Pipeline."""

    def __init__(self, pipeline: Pipeline, origin: str, tls_terminated: bool = False):
        self.pipeline = pipeline
        self.origin = origin
        # Behind a TLS-terminating proxy, plaintext on the wire left encrypted.
        self.tls_terminated = tls_terminated
        self._pending: OrderedDict[int, int] = OrderedDict()  # event id -> findings, sample seen first

    def _id(self, origin: str, offset: int) -> int:
        return make_event_id(origin or self.origin, offset)

    def on_sample(self, sample: TrafficSample) -> None:
        event_id = self._id(sample.origin, sample.offset)
        found = self.pipeline.scan_sample(sample, event_id)
        if found:
            self._pending[event_id] = found
            if len(self._pending) > _PENDING_LIMIT:
                self._pending.popitem(last=False)  # bounded: an event that never came loses only its count

    def on_event(self, ev: EgressEvent) -> None:
        ev.origin = ev.origin or self.origin
        if self.tls_terminated and ev.scheme == "http":
            ev.scheme = "https"
        event_id = self._id(ev.origin, ev.offset)
        self.pipeline.add_event(ev, event_id, self._pending.pop(event_id, 0))

    def on_handshake(self, hs: TlsHandshake) -> None:
        # One id per (connection, ClientHello): a HelloRetryRequest gives a second row.
        event_id = make_event_id(f"{self.origin}:{hs.flow_id}", int(hs.ts * 1_000_000))
        self.pipeline.add_handshake(hs, event_id)


def stamp_har(har, origin: str, source: str = ""):
    """Tie each HAR entry's event and sample to (origin, entry index): one event id for both;
    ``source``, when given, names them as configured."""
    for record in har:
        record.event.origin = origin
        record.sample.origin, record.sample.offset = origin, record.index
        if source:
            record.event.source = record.sample.source = source
        yield record


def processor_for(settings: Settings, bridge: CaptureBridge, source: str = "pcap") -> CaptureProcessor:
    capture, samples = settings.config.capture, settings.config.samples
    proc = CaptureProcessor(
        max_flows=capture.max_flows, max_buffer_bytes=capture.max_buffer_bytes,
        idle_timeout=capture.idle_timeout_seconds, max_body_bytes=samples.max_body_bytes,
        sample_rate=samples.rate, sample_by="host", on_event=bridge.on_event, on_sample=bridge.on_sample,
        on_handshake=bridge.on_handshake, source=source,
    )
    proc.origin = bridge.origin
    return proc


def ingest_capture(ingestor, item) -> None:
    """Ingestor hook for pcap/pcapng and HAR inputs."""
    from sentinel.ingest import InputError

    pipeline: Pipeline = ingestor.pipeline
    summary = pipeline.summary
    opened = ingestor.open_input(item)
    if opened is None:
        return
    fp, _ = opened  # read from the start even when resuming: the store drops repeats by event id
    summary.files += 1
    origin = fp[:16]
    settings = ingestor.settings
    if item.kind == "har":
        try:
            har = read_har(item.path, max_body_bytes=settings.config.samples.max_body_bytes)
        except HarParseError as exc:
            raise InputError(str(exc)) from None
        for record in stamp_har(har, origin):
            event_id = make_event_id(origin, record.index)
            ingestor._commit(pipeline.add_request(record.event, record.sample, event_id))
        bad = har.stats.get("bad_entries", 0)
        if bad:
            summary.rejected["har_bad_entry"] += bad
    else:
        bridge = CaptureBridge(pipeline, origin, ingestor.tls_terminated)
        proc = processor_for(settings, bridge)
        report = proc.process_file(item.path)
        proc.flush()
        counts = proc.summary
        summary.flows += counts.get("flows", 0)
        summary.truncated_flows += counts.get("truncated_flows", 0)
        # Packets that did not decode, and connections whose HTTP/1 or HTTP/2 framing was
        # lost part-way (what was read before is kept): told, not only counted.
        for reason in ("bad_packets", "http_desync", "h2_desync"):
            if proc.stats.get(reason):
                summary.rejected[reason] += proc.stats[reason]
        if report.error:
            ingestor.errors.append(report.error)
    # The file is fully queued: checkpoint its end once the writer acknowledges it.
    pipeline.writer.mark({(fp, str(item.path)): item.size})
    ingestor.identities.mark_queued(fp, item.size)
    ingestor.on_progress(item.size)
