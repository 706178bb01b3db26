"""The daemon's inputs: each source is a thread that turns its input into work items
on one bounded queue; the pipeline thread consumes them and acknowledges positions
back once the store has them.

Overload: log sources block (the file is the buffer; lag grows and is measured);
capture sources shed samples first, then events, and count what they shed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sentinel.collect.checkpoint import CheckpointStore, hash_head
from sentinel.collect.logs import UnknownFormatError, detect_format, make_parser
from sentinel.collect.logs.base import ParseError
from sentinel.logs import first_line
from sentinel.collect.tail import FINGERPRINT_BYTES, FileTailer, fingerprint, read_head
from sentinel.config.daemon import SourceConfig
from sentinel.metrics import Metrics
from sentinel.model import EgressEvent

log = logging.getLogger("sentinel.sources")


# -- the queue between sources and the pipeline -------------------------------------------
class WorkQueue:
    """FIFO bounded by item count and by bytes of sample bodies."""

    def __init__(self, max_items: int = 20_000, max_bytes: int = 64 << 20):
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._items: deque = deque()
        self._bytes = 0
        self._cond = threading.Condition()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def fill(self) -> float:
        return max(len(self._items) / self.max_items, self._bytes / self.max_bytes if self.max_bytes else 0.0)

    def put(self, item: Any, nbytes: int = 0, timeout: float | None = None) -> bool:
        """Wait for room up to `timeout` (None = forever, 0 = not at all); False when still full."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while len(self._items) >= self.max_items or (nbytes and self._bytes + nbytes > self.max_bytes):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining if remaining is not None else 0.5)
            self._items.append((item, nbytes))
            self._bytes += nbytes
            self._cond.notify_all()
            return True

    def get(self, timeout: float = 0.2) -> Any | None:
        with self._cond:
            if not self._items and not self._cond.wait_for(lambda: self._items, timeout):
                return None
            item, nbytes = self._items.popleft()
            self._bytes -= nbytes
            self._cond.notify_all()
            return item


@dataclass
class LogBatch:
    source: str
    events: list[EgressEvent]
    rejects: list[tuple[str, int, str, str]]  # (origin, offset, reason, raw line)
    positions: dict  # {(source, fingerprint): end offset}


@dataclass
class CaptureItem:
    source: str
    kind: str  # sample | event | handshake | mark
    payload: Any = None
    positions: dict = field(default_factory=dict)


class Source(threading.Thread):
    def __init__(self, config: SourceConfig, queue: WorkQueue, metrics: Metrics):
        super().__init__(name=f"source-{config.name}", daemon=True)
        self.config = config
        self.queue = queue
        self.metrics = metrics
        self.stop_event = threading.Event()
        self._acks: deque = deque()
        # fingerprint -> offset queued for the pipeline and not yet acknowledged by the store.
        self._handed: dict[str, int] = {}
        self.problem = ""  # why the source is not reading, while it is not (for /healthz)

    def acknowledge(self, key: str, offset: int) -> None:
        """Called from the pipeline thread once the store holds data up to `offset`."""
        self._acks.append((key, offset))

    def _hand_over(self, fp: str, offset: int) -> None:
        self._handed[fp] = max(offset, self._handed.get(fp, 0))

    def _stored(self, fp: str, offset: int) -> None:
        if offset >= self._handed.get(fp, 0):
            self._handed.pop(fp, None)

    def stop(self) -> None:
        self.stop_event.set()

    @property
    def reading(self) -> bool:
        """Up: its thread runs and nothing keeps it from reading."""
        return self.is_alive() and not self.problem

    def _set_up(self, up: bool, problem: str = "") -> None:
        self.problem = "" if up else problem or "failing"
        self.metrics.source_up.labels(self.config.name).set(1 if up else 0)


class SourceEmitter:
    """Capture callbacks that enqueue for the pipeline worker instead of running it."""

    def __init__(self, source: "Source", origin: str):
        self.source = source
        self.origin = origin

    def on_sample(self, sample) -> None:
        self.source.emit("sample", sample)

    def on_event(self, event) -> None:
        self.source.emit("event", event)

    def on_handshake(self, handshake) -> None:
        self.source.emit("handshake", handshake)


# -- tailed logs --------------------------------------------------------------------------
class LogSource(Source):
    def __init__(self, config: SourceConfig, queue: WorkQueue, metrics: Metrics, state_dir: Path,
                 batch_lines: int = 2000):
        super().__init__(config, queue, metrics)
        self.checkpoints = CheckpointStore(state_dir / "checkpoints", filename=f"{config.name}.json")
        self.tailer = FileTailer(config.paths, self.checkpoints, start_at=config.start_at,
                                 max_batch_lines=batch_lines, fingerprint_bytes=config.fingerprint_bytes)
        self.parsers: dict[str, Any] = {}
        self.options = {"field_map": config.field_map, "timestamp_format": config.timestamp_format} \
            if config.format == "jsonl" else None

    def _parser(self, path: str, fp: str, first_offset: int):
        parser = self.parsers.get(fp)
        if parser is None:
            with open(path, "rb") as handle:
                head = handle.read(64 << 10).decode("utf-8", "replace").splitlines()
            family = self.config.format if self.config.format != "auto" else detect_format(head)
            parser = make_parser(family, self.options)
            if first_offset > 0:
                parser.prime(head)  # resuming mid-file: Zeek/VPC headers come first in the file
            self.parsers[fp] = parser
            if len(self.parsers) > 1024:
                self.parsers.pop(next(iter(self.parsers)))
        return parser

    def run(self) -> None:
        self._set_up(True)
        name = self.config.name
        while not self.stop_event.is_set():
            self._drain_acks()
            try:
                lines = self.tailer.poll()
            except OSError as exc:
                self._set_up(False, f"read failed: {exc.strerror or type(exc).__name__}")
                log.error("source %s: read failed: %s", name, exc.strerror or type(exc).__name__)
                self.stop_event.wait(5)
                continue
            # A file it cannot open (a missing SupplementaryGroups=, a rotated file's mode)
            # means lines are not being read: not up, whatever else it reads.
            unreadable = self.tailer.unreadable()
            self._set_up(not unreadable, f"cannot open {unreadable[0][0]}: {unreadable[0][1]}" if unreadable else "")
            if not lines:
                if not self._handed:  # read and stored all there is: an old backfill's age is no lag
                    self.metrics.lag.labels(name).set(0)
                self.stop_event.wait(0.25)
                continue
            events, rejects, positions = [], [], {}
            for line in lines:
                positions[(name, line.fingerprint)] = line.end_offset
                origin = line.fingerprint[:16]
                try:
                    parser = self._parser(line.path, line.fingerprint, line.offset)
                except (UnknownFormatError, ValueError, OSError) as exc:
                    rejects.append((origin, line.offset, "unknown_format", line.text))
                    log.warning("source %s: %s: %s", name, line.path, str(exc)[:200])
                    continue
                if line.truncated:
                    rejects.append((origin, line.offset, "too_long", line.text))
                    continue
                if not line.text:
                    continue
                try:
                    results = parser.parse_all(line.text) if parser.expands else [parser.parse(line.text)]
                except ParseError as exc:
                    results = [exc]
                for result in results:
                    if isinstance(result, ParseError):
                        rejects.append((origin, line.offset, result.reason, line.text))
                    elif result is not None:
                        # Named as configured, as captures are: two proxies' squid logs
                        # stay apart in the metrics, the quarantine and the rollups.
                        result.origin, result.offset, result.source = origin, line.offset, name
                        events.append(result)
            # Logs block: the file holds what the pipeline has no room for yet.
            while not self.queue.put(LogBatch(name, events, rejects, positions), timeout=1.0):
                self._drain_acks()
                if self.stop_event.is_set():
                    return
            for (_, fp), offset in positions.items():
                self._hand_over(fp, offset)
        self._drain_acks()

    def _drain_acks(self) -> None:
        commits: dict[str, int] = {}
        while self._acks:
            (_, fp), offset = self._acks.popleft()
            commits[fp] = max(offset, commits.get(fp, 0))
            self._stored(fp, offset)
        if commits:
            self.tailer.commit(commits)

    def close(self) -> None:
        self._drain_acks()
        self.tailer.close()


# -- capture files and HAR exports --------------------------------------------------------
class CaptureFileSource(Source):
    """Capture (pcap/pcapng) and HAR files appearing in paths, processed once each.

    A file still being written (modified in the last `settle` seconds) waits.
    """

    def __init__(self, config: SourceConfig, queue: WorkQueue, metrics: Metrics, state_dir: Path,
                 processor_factory, settle: float = 5.0):
        super().__init__(config, queue, metrics)
        self.checkpoints = CheckpointStore(state_dir / "checkpoints", filename=f"{config.name}.json")
        self.processor_factory = processor_factory
        self.settle = settle
        # A file's checkpoint moves only when the store acknowledges it (a crash re-reads the
        # file); what was handed over (Source._handed) keeps the next scan from reading it again.

    def candidates(self) -> list[Path]:
        found = []
        for raw in self.config.paths:
            path = Path(raw)
            if path.is_dir():
                found += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            elif any(ch in raw for ch in "*?["):
                found += sorted(Path(p) for p in map(str, Path(raw).parent.glob(Path(raw).name)))
            elif path.is_file():
                found.append(path)
        return found

    def run(self) -> None:
        self._set_up(True)
        while not self.stop_event.is_set():
            self.scan()
            self.stop_event.wait(2.0)
        self._drain_acks()

    def scan(self) -> None:
        """Take the store's acknowledgements, then process each settled file not yet done."""
        self._drain_acks()
        for path in self.candidates():
            if self.stop_event.is_set():
                break
            try:
                stat = path.stat()
                if time.time() - stat.st_mtime < self.settle:
                    continue
                fp = fingerprint(path)
            except OSError:
                continue
            if fp is None or self._done(fp, stat.st_size):
                continue
            self._process(path, fp, stat.st_size)

    def _done(self, fp: str, size: int) -> bool:
        """Acknowledged by the store, or handed to the pipeline in this run and not yet acknowledged."""
        entry = self.checkpoints.get(fp)
        return max(entry.offset if entry else 0, self._handed.get(fp, 0)) >= size

    def _process(self, path: Path, fp: str, size: int) -> None:
        name = self.config.name
        if fp not in self.checkpoints:
            head = read_head(path, FINGERPRINT_BYTES)
            self.checkpoints.register(fp, offset=0, path=str(path), head_len=len(head), head_hash=hash_head(head))
        try:
            self.processor_factory(self, path, fp[:16])
        except Exception as exc:  # a broken file must not stop the source: name it and go on
            reason = str(exc)[:300]
            self.metrics.rejected.labels(name, "unreadable_file").inc()
            # A HarParseError names the file itself: once is enough.
            log.error("source %s: %s", name, reason if reason.startswith(str(path)) else f"{path}: {reason}")
        # Done once the store acknowledges everything queued before this mark.
        self.queue.put(CaptureItem(name, "mark", positions={(name, fp): size}))
        self._hand_over(fp, size)

    def emit(self, kind: str, payload: Any) -> None:
        nbytes = len(payload.body) if kind == "sample" else 0
        if kind == "sample" and self.queue.fill() > 0.8:
            self.metrics.samples_shed.labels(self.config.name).inc()  # detection sheds before events do
            return
        self.queue.put(CaptureItem(self.config.name, kind, payload), nbytes=nbytes)

    def _drain_acks(self) -> None:
        while self._acks:
            (_, fp), offset = self._acks.popleft()
            if fp in self.checkpoints:
                self.checkpoints.advance(fp, offset)
            self._stored(fp, offset)
        self.checkpoints.save()


class CaptureCounts:
    """A live capture's health, from its thread every second: the kernel's packet and
    drop counts, and the reassembly table's flows. Drops are also logged, at most once a
    minute, since they are traffic that was never inspected."""

    warn_every = 60.0

    def __init__(self, name: str, metrics: Metrics, processor):
        self.name = name
        self.metrics = metrics
        self.processor = processor
        self._evicted = 0
        self._unreported_drops = 0
        self._next_warning = 0.0

    def update(self, packets: int, drops: int) -> None:
        m, name = self.metrics, self.name
        m.capture_packets.labels(name).inc(packets)
        evicted = self.processor.stats.get("flows_evicted", 0)
        m.flows_evicted.labels(name).inc(evicted - self._evicted)
        self._evicted = evicted
        m.flows.labels(name).set(self.processor.summary["open_flows"])
        if not drops and not self._unreported_drops:
            return
        m.capture_drops.labels(name).inc(drops)
        self._unreported_drops += drops
        now = time.monotonic()
        if now >= self._next_warning:
            log.warning("source %s: the kernel dropped %d frames the capture could not take in time (receive queue "
                        "full): that traffic was not inspected", name, self._unreported_drops)
            self._unreported_drops = 0
            self._next_warning = now + self.warn_every


class LiveSource(Source):
    """Live capture on an interface; never blocks the capture loop for long."""

    event_wait = 0.05  # seconds an event may wait for room before it is shed

    def __init__(self, config: SourceConfig, queue: WorkQueue, metrics: Metrics, processor_factory):
        super().__init__(config, queue, metrics)
        self.processor_factory = processor_factory

    def run(self) -> None:
        from sentinel.collect.capture import live_capture

        processor = self.processor_factory(self)
        counts = CaptureCounts(self.config.name, self.metrics, processor)
        while not self.stop_event.is_set():
            self._set_up(True)
            try:
                live_capture(self.config.interface, self.config.bpf, processor, self.stop_event,
                             on_kernel_counts=counts.update)
            except (OSError, PermissionError) as exc:
                self._set_up(False, f"capture failed: {exc}")
                log.error("source %s: capture on %s failed: %s (needs CAP_NET_RAW)", self.config.name,
                          self.config.interface, exc)
                self.stop_event.wait(10)
            except Exception as exc:  # scapy's own (a filter libpcap refuses): one line, retried
                self._set_up(False, f"capture failed: {first_line(exc)}")
                log.error("source %s: capture on %s with filter %r failed: %s", self.config.name,
                          self.config.interface, self.config.bpf, first_line(exc))
                self.stop_event.wait(10)
        processor.flush()

    def emit(self, kind: str, payload: Any) -> None:
        name = self.config.name
        if kind == "sample":
            if self.queue.fill() > 0.8 or not self.queue.put(CaptureItem(name, kind, payload),
                                                             nbytes=len(payload.body), timeout=0):
                self.metrics.samples_shed.labels(name).inc()
            return
        if not self.queue.put(CaptureItem(name, kind, payload), timeout=self.event_wait):
            self.metrics.events_shed.labels(name).inc()
