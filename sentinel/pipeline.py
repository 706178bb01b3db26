"""From collector output to store rows: classify, mask, detect, hand to the writer.

Everything that reaches the writer here is already safe to keep: paths are
templates, query values are masked, findings carry masked previews and keyed
hashes. Raw URLs, headers and bodies live only in the objects passed in.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sentinel.metrics import Metrics
from sentinel.model import EgressEvent, TlsHandshake, TrafficSample
from sentinel.policy import RequestFacts
from sentinel.redact import (excerpt, hide_found, mask_query, mask_user_agent, path_may_hold_data, path_template,
                             split_url)
from sentinel.registry import Match, SubprocessorRegistry
from sentinel.store.writer import Writer

log = logging.getLogger("sentinel.pipeline")

EVENT_COLUMNS = (
    "event_id", "ts", "source", "src_ip", "src_host", "dst_host", "dst_ip", "dst_port", "registrable_domain",
    "subprocessor", "method", "scheme", "path", "query", "status", "bytes_out", "bytes_in", "duration_ms",
    "http_version", "tls_version", "tls_cipher", "sni", "user_agent", "action", "findings", "origin", "offset",
    "inspected",
)  # fmt: skip
FINDING_COLUMNS = (
    "event_id", "finding_no", "ts", "source", "subprocessor", "registrable_domain", "dst_host", "method", "endpoint",
    "category", "subtype", "encoding", "location", "field_path", "detector", "confidence", "masked", "value_hash",
    "watchlist",
)  # fmt: skip
TLS_COLUMNS = (
    "event_id", "ts", "source", "src_ip", "src_port", "dst_ip", "dst_port", "sni", "registrable_domain",
    "subprocessor", "offered_versions", "version", "cipher", "offered_ciphers", "alpn", "ech", "flow_id",
)  # fmt: skip
QUARANTINE_COLUMNS = ("ts", "source", "origin", "offset", "reason", "excerpt")

_TEMPLATE_CACHE_LIMIT = 50_000


_MASK64 = (1 << 64) - 1
_origin_seeds: dict[str, int] = {}


def make_event_id(origin: str, offset: int, index: int = 0) -> int:
    """Stable UInt64 for (input identity, position, n-th event at that position).

    A keyed hash of the origin, once per origin, then splitmix64 over the position:
    the same input always gives the same id (replays collapse), at a fraction of a
    cryptographic hash per event.
    """
    seed = _origin_seeds.get(origin)
    if seed is None:
        seed = int.from_bytes(hashlib.blake2b(origin.encode(), digest_size=8).digest(), "big")
        if len(_origin_seeds) < 100_000:
            _origin_seeds[origin] = seed
    z = (seed + (offset << 8 | (index & 0xFF)) * 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


@dataclass
class Summary:
    """What an ingest run did, for the CLI's table and --json."""

    events: int = 0
    rejected: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    unknown_destinations: Counter = field(default_factory=Counter)
    by_subprocessor: Counter = field(default_factory=Counter)
    bytes_out: int = 0
    findings: int = 0
    findings_by_category: Counter = field(default_factory=Counter)
    samples: int = 0
    tls_handshakes: int = 0
    flows: int = 0
    truncated_flows: int = 0
    files: int = 0
    files_skipped: int = 0
    files_failed: int = 0  # an error stopped them before anything was read
    not_acknowledged: int = 0
    violations: Counter = field(default_factory=Counter)  # by kind, when the policy judged the run

    def as_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "rejected": dict(self.rejected),
            "skipped": dict(self.skipped),
            "unknown_destinations": dict(self.unknown_destinations.most_common()),
            "by_subprocessor": dict(self.by_subprocessor.most_common()),
            "bytes_out": self.bytes_out,
            "findings": self.findings,
            "findings_by_category": dict(self.findings_by_category.most_common()),
            "samples": self.samples,
            "tls_handshakes": self.tls_handshakes,
            "flows": self.flows,
            "truncated_flows": self.truncated_flows,
            "files": self.files,
            "files_skipped": self.files_skipped,
            "files_failed": self.files_failed,
            "not_acknowledged": self.not_acknowledged,
            "violations": dict(self.violations.most_common()),
        }


class Tally:
    """Counts for one batch, applied to the summary and metrics once (a metric update per
    event would cost more than parsing it)."""

    __slots__ = ("counts", "unknown")

    def __init__(self):
        self.counts: dict[tuple[str, str], list[int]] = {}
        self.unknown: Counter = Counter()

    def add(self, ev: EgressEvent, match: Match) -> None:
        key = (ev.source, match.subprocessor)
        entry = self.counts.get(key)
        if entry is None:
            entry = self.counts[key] = [0, 0]
        entry[0] += 1
        entry[1] += ev.bytes_out
        if not match.subprocessor:
            self.unknown[destination(match) or ev.dst_ip or "(no destination)"] += 1

    def flush(self, summary: "Summary", metrics: Metrics | None) -> None:
        for (source, sub), (events, nbytes) in self.counts.items():
            count_events(summary, metrics, source, sub, events, nbytes)
        summary.unknown_destinations.update(self.unknown)


def count_events(summary: "Summary", metrics: Metrics | None, source: str, sub: str, events: int,
                 nbytes: int) -> None:
    """Add one (source, sub-processor) group of events to the run summary and the metrics."""
    summary.events += events
    summary.bytes_out += nbytes
    if sub:
        summary.by_subprocessor[sub] += events
    if metrics:
        metrics.events.labels(source, sub or "unknown").inc(events)
        if nbytes:
            metrics.event_bytes.labels(source, sub or "unknown").inc(nbytes)


def destination(match: Match) -> str:
    """What to group a destination by: its registrable domain, or the address for unknown raw-IP traffic."""
    return match.registrable_domain or ("" if match.subprocessor else match.host)


class Pipeline:
    """Turns events, samples and handshakes into rows; one per process, shared by sources.

    `scanner` is a detectors.pii.Scanner (or None to skip detection); `observers` are
    called with (RequestFacts, match, findings) for policy.
    """

    def __init__(
        self,
        registry: SubprocessorRegistry,
        writer: Writer,
        scanner: Any = None,
        metrics: Metrics | None = None,
        summary: Summary | None = None,
        scan_urls: bool = True,
    ):
        self.registry = registry
        self.writer = writer
        self.scanner = None
        self.metrics = metrics
        self.set_scanner(scanner)
        self.summary = summary or Summary()
        self.scan_urls = scan_urls and scanner is not None
        self.observers: list[Callable[[RequestFacts, Match, list], None]] = []
        # After a restart, inputs are re-read from their last checkpoint; what the store got
        # before the crash is filtered out here, so rollups never count an event twice.
        self.replay_check_rows = 0
        self.stored_ids: Callable[[list[int]], set[int]] | None = None
        self._templates: dict[str, tuple[str, bool]] = {}  # path -> (template, may hold data)
        # event id -> its path template with detected values hidden (None: nothing hidden),
        # for each request whose sample the detectors read before its event arrived
        self._scanned: dict[int, str | None] = {}
        self._agents: dict[str, str] = {}  # User-Agent -> as stored
        self._matches: dict[tuple[str, str, str], Match] = {}

    def set_scanner(self, scanner: Any) -> None:
        self.scanner = scanner
        if self.metrics is not None and scanner is not None:
            self.metrics.detector_stats.watch(scanner)

    def set_registry(self, registry: SubprocessorRegistry) -> None:
        """A reloaded registry: cached destinations may now belong elsewhere."""
        self.registry = registry
        self._matches = {}

    # -- events --------------------------------------------------------------------------
    def _path_facts(self, path: str) -> tuple[str, bool]:
        """(template, whether the path may hold data: redact.path_may_hold_data), cached."""
        cached = self._templates.get(path)
        if cached is None:
            template = path_template(path)
            cached = (template, path_may_hold_data(path, template))
            if len(self._templates) < _TEMPLATE_CACHE_LIMIT:
                self._templates[path] = cached
        return cached

    def _user_agent(self, agent: str) -> str:
        """mask_user_agent, cached: a proxy's lines come from a few hundred clients."""
        masked = self._agents.get(agent)
        if masked is None:
            masked = mask_user_agent(agent)
            if len(self._agents) >= _TEMPLATE_CACHE_LIMIT:
                self._agents.clear()
            self._agents[agent] = masked
        return masked

    def _template(self, path: str) -> str:
        return self._path_facts(path)[0]

    def _hidden(self, path: str, found: list) -> str | None:
        """The path's template with every segment a detector found a value in hidden; None
        when no finding is in the path (its template stands as it is)."""
        spans = [(f.start, f.end) for f in found if f.location == "path"]
        return hide_found(path, self._template(path), spans) if spans else None

    def event_row(self, ev: EgressEvent, event_id: int, match: Match, findings: int = 0,
                  url: tuple[str, str] | None = None) -> tuple:
        """The events row; `url` is (path template, raw query) when the caller split ev.url
        already: a log line, whose URL alone was there to inspect."""
        if url is None:  # a capture's or HAR's request: its sample came first, if it was taken
            path, query = split_url(ev.url) if ev.url else ("", "")
            sampled = event_id in self._scanned
            hidden = self._scanned.pop(event_id, None) if sampled else None
            template, inspected = hidden or self._template(path), "body" if sampled else "none"
        else:
            (template, query), inspected = url, "url" if self.scan_urls else "none"
        return (
            event_id, ev.ts, ev.source, ev.src_ip, ev.src_host, ev.dst_host or match.host, ev.dst_ip, ev.dst_port,
            destination(match), match.subprocessor, ev.method, ev.scheme, template,
            mask_query(query) if query else "", ev.status, ev.bytes_out,
            ev.bytes_in, ev.duration_ms, ev.http_version, ev.tls_version, ev.tls_cipher, ev.sni,
            self._user_agent(ev.user_agent), ev.action, findings, ev.origin, ev.offset, inspected,
        )

    def classify(self, ev: EgressEvent) -> Match:
        key = (ev.sni, ev.dst_host, ev.dst_ip)
        match = self._matches.get(key)
        if match is None:
            match = self.registry.classify(sni=ev.sni, host=ev.dst_host, ip=ev.dst_ip)
            if len(self._matches) >= _TEMPLATE_CACHE_LIMIT:
                self._matches.clear()
            self._matches[key] = match
        return match

    def add_events(self, events: Iterable[EgressEvent], positions: dict | None = None) -> list:
        """Log events (no body): classify, mask, scan the URL, queue. Returns writer acks."""
        rows = []
        finding_rows: list[tuple] = []
        last_key = None
        index = 0
        tally = Tally()
        scan_urls, observe = self.scan_urls, bool(self.observers)
        for ev in events:
            key = (ev.origin, ev.offset)
            index = index + 1 if key == last_key else 0  # one record may hold several events
            last_key = key
            event_id = make_event_id(ev.origin, ev.offset, index)
            match = self.classify(ev)
            path, query = split_url(ev.url) if ev.url else ("", "")
            template, may_hold_data = self._path_facts(path)
            found = []
            # Static paths (/v1/track) are not worth the detectors: most of a proxy's lines.
            if scan_urls and ("?" in ev.url or "@" in ev.url or may_hold_data):
                found, hidden = self._scan(ev.method, ev.url, [], b"", "", ev, match, event_id, finding_rows)
                template = hidden or template
            rows.append(self.event_row(ev, event_id, match, len(found), (template, query)))
            tally.add(ev, match)
            if observe:
                self._observe(ev.ts, ev.method, ev.url, ev.scheme, ev.tls_version, event_id, match, found, template)
        tally.flush(self.summary, self.metrics)
        return self._queue(rows, finding_rows, positions)

    def _queue(self, rows: list[tuple], finding_rows: list[tuple], positions: dict | None) -> list:
        if self.replay_check_rows > 0 and rows:
            rows, finding_rows = self._drop_stored(rows, finding_rows)
        acks = []
        if finding_rows:
            acks += self.writer.add("findings", FINDING_COLUMNS, finding_rows)
        if rows:
            acks += self.writer.add("events", EVENT_COLUMNS, rows, positions)
        elif positions:
            self.writer.mark(positions)
        return acks

    def _drop_stored(self, rows: list[tuple], finding_rows: list[tuple]) -> tuple[list[tuple], list[tuple]]:
        self.replay_check_rows -= len(rows)
        if self.stored_ids is None:
            return rows, finding_rows
        stored = self.stored_ids([row[0] for row in rows])
        if not stored:
            return rows, finding_rows
        self.summary.skipped["replayed"] += len(stored)
        return [r for r in rows if r[0] not in stored], [r for r in finding_rows if r[0] not in stored]

    def _observe(self, ts: float, method: str, url: str, scheme: str, tls_version: str, event_id: int,
                 match: Match, found: list, template: str | None = None) -> None:
        if not self.observers:
            return
        path = split_url(url)[0]
        if template is None:
            template = self._template(path)
        facts = RequestFacts(ts, method, path, f"{method} {template}".strip(), scheme, tls_version, event_id)
        for observer in self.observers:
            observer(facts, match, found)

    def _count(self, ev: EgressEvent, match: Match) -> None:
        tally = Tally()
        tally.add(ev, match)
        tally.flush(self.summary, self.metrics)

    # -- captures and HAR: a request's sample and its event ------------------------------
    def scan_sample(self, sample: TrafficSample, event_id: int) -> int:
        """Detect in a plaintext request (body, headers, URL); returns the number of findings.

        Transport is judged when the event arrives (captures emit the sample first).
        """
        self.summary.samples += 1
        if self.metrics:
            self.metrics.samples.labels(sample.source or "capture").inc()
        match = self.registry.classify(host=sample.host, ip=sample.dst_ip)
        finding_rows: list[tuple] = []
        found = []
        hidden = None
        if self.scanner is not None:
            found, hidden = self._scan(sample.method, sample.url, sample.headers, sample.body, sample.content_type,
                                       sample, match, event_id, finding_rows)
            if len(self._scanned) >= _TEMPLATE_CACHE_LIMIT:  # events that never came
                self._scanned.clear()
            self._scanned[event_id] = hidden  # for its event, which comes next
        template = hidden or self._template(split_url(sample.url)[0])
        self._observe(sample.ts, sample.method, sample.url, "", "", event_id, match, found, template)
        if finding_rows:
            self.writer.add("findings", FINDING_COLUMNS, finding_rows)
        return len(found)

    def add_event(self, ev: EgressEvent, event_id: int, findings: int = 0, positions: dict | None = None) -> list:
        """An event whose request body (if any) was scanned already."""
        match = self.classify(ev)
        self._count(ev, match)
        self._observe(ev.ts, ev.method, ev.url, ev.scheme, ev.tls_version, event_id, match, [])
        return self._queue([self.event_row(ev, event_id, match, findings)], [], positions)

    def add_request(self, ev: EgressEvent, sample: TrafficSample | None, event_id: int,
                    positions: dict | None = None) -> list:
        """Event and sample together (HAR)."""
        findings = self.scan_sample(sample, event_id) if sample is not None else 0
        return self.add_event(ev, event_id, findings, positions)

    def _scan(self, method: str, url: str, headers, body: bytes, content_type: str, origin, match: Match,
              event_id: int, out: list[tuple]) -> tuple[list, str | None]:
        """(findings, the path template with found values hidden: None when none is in the
        path); the finding rows go to `out`."""
        try:
            found = self.scanner.scan_request(method or "GET", url, headers, body,
                                              content_type=content_type or None, subprocessor=match.subprocessor)
        except Exception as exc:  # a detector bug must not stop the stream; the type names it, not the data
            log.error("detector failed on a request from %s: %s", origin.source, type(exc).__name__)
            self.summary.rejected["detector_error"] += 1
            return [], None
        if not found:
            return [], None
        path = split_url(url)[0]
        hidden = self._hidden(path, found)
        endpoint = hidden or self._template(path)
        host = getattr(origin, "dst_host", "") or getattr(origin, "host", "") or match.host
        for number, f in enumerate(found):
            out.append((
                event_id, number, origin.ts, origin.source, match.subprocessor, destination(match), host, method,
                endpoint, f.category, f.subtype, f.encoding, f.location, f.field_path, f.detector, f.confidence,
                f.masked, f.value_hash, 1 if f.watchlist else 0,
            ))
            self.summary.findings_by_category[f.category] += 1
            if self.metrics:
                self.metrics.findings.labels(match.subprocessor or "unknown", f.category).inc()
        self.summary.findings += len(found)
        return found, hidden

    # -- TLS -------------------------------------------------------------------------------
    def add_handshake(self, hs: TlsHandshake, event_id: int) -> list:
        match = self.registry.classify(sni=hs.sni, ip=hs.dst_ip)
        self.summary.tls_handshakes += 1
        row = (
            event_id, hs.ts, hs.source, hs.src_ip, hs.src_port, hs.dst_ip, hs.dst_port, hs.sni,
            destination(match), match.subprocessor, hs.offered_versions, hs.version, hs.cipher,
            hs.offered_ciphers, hs.alpn, 1 if hs.ech else 0, hs.flow_id,
        )
        return self.writer.add("tls_handshakes", TLS_COLUMNS, [row])

    # -- what could not be parsed ----------------------------------------------------------
    def reject(self, source: str, origin: str, offset: int, reason: str, raw: str, ts: float) -> list:
        self.summary.rejected[reason] += 1
        if self.metrics:
            self.metrics.rejected.labels(source, reason).inc()
        return self.writer.add("quarantine", QUARANTINE_COLUMNS, [(ts, source, origin, offset, reason, excerpt(raw))])
