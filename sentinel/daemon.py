"""`sentinel run`: every configured source, the pipeline, policy, alerts, scoring and
metrics in one process.

Threads: one per source, one pipeline worker (the only one that touches the
writer), the alert deliverer, the scorer, the HTTP server; the main thread waits
for signals and pings the systemd watchdog while the worker keeps beating.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

from detectors.pii import COMPILED, NATIVE
from sentinel import logs
from sentinel.config import ConfigError, Settings, load_settings, redact_dsn
from sentinel.ingest_capture import CaptureBridge, processor_for, stamp_har
from sentinel.judge import Judge
from sentinel.keys import load_site_key
from sentinel.memory import trim_mapped_code
from sentinel.metrics import Metrics
from sentinel.pipeline import Pipeline
from sentinel.policy import PolicyEngine
from sentinel.registry import SubprocessorRegistry, unreachable_rules
from sentinel.detection import build_scanner
from sentinel.sources import (
    CaptureFileSource, CaptureItem, LiveSource, LogBatch, LogSource, Source, SourceEmitter, WorkQueue,
)
from sentinel.store import Store, StoreUnavailable
from sentinel.systemd import Notifier, watchdog_interval

log = logging.getLogger("sentinel.daemon")

PURGE_SECONDS = 2.0  # a purge takes ~0.2 ms; how often the embedded store returns freed memory (see Store.release_memory)
# Start-up code of the libraries (chDB's above all) leaves the resident set once the
# worker runs, again when the first batches have gone through, then every
# TRIM_SECONDS in case a rare path (a reload, a dashboard's query) pulled more in.
# A trim takes ~30 ms (see sentinel.memory).
TRIM_AFTER_START = (30.0,)
TRIM_SECONDS = 600.0
STALL_SECONDS = 60.0  # a worker silent this long stops the watchdog pings: systemd restarts us


def warn_unreachable_rules(settings: Settings) -> None:
    """Registry rules that never match, as `sentinel config check` prints them."""
    for key, message in unreachable_rules(settings.registry):
        log.warning("%s: %s: %s", settings.registry_path, key, message)


def restart_only(settings: Settings) -> dict[str, object]:
    """What the daemon reads once, at start: the port it binds, the store it opens (with its
    batches and TTLs), the key it hashes with, the directory of its checkpoints and token."""
    config = settings.config
    values = {"data_dir": settings.data_dir, "metrics.listen": config.metrics.listen,
              "keys.site_key_file": config.keys.site_key_file}
    for section in ("storage", "retention"):
        values.update({f"{section}.{key}": value for key, value in getattr(config, section).model_dump().items()})
    return values


def needs_restart(running: Settings, loaded: Settings) -> list[str]:
    """The restart-only settings that `loaded` changes, by name only (a dsn may hold a password)."""
    before, after = restart_only(running), restart_only(loaded)
    return [name for name in before if before[name] != after[name]]


class Daemon:
    def __init__(self, config_path: str | None = None, registry: CollectorRegistry | None = None):
        self.config_path = config_path
        self.metrics = Metrics(registry or CollectorRegistry())
        self.notifier = Notifier()
        self.queue = WorkQueue()
        self.metrics.queue_capacity.labels("pipeline").set(self.queue.max_items)  # the queue-fill panel
        self.stop_event = threading.Event()
        self.sources: dict[str, Source] = {}
        self.retired: dict[str, Source] = {}  # stopped by a reload, still owed acknowledgements
        self.heartbeat = time.monotonic()
        self._next_purge = 0.0
        self._next_trim = 0.0
        self._trim_gaps = list(TRIM_AFTER_START)
        self._signals: list[int] = []
        self._wake = threading.Event()
        # Reloads done and how the last one went: `sentinel reload` (systemctl reload) waits on it.
        self._reloaded = threading.Condition()
        self._reloads, self.last_reload = 0, {"ok": True, "message": "not reloaded yet"}
        self.alerts = None
        # Threads that query the store on their own (alerts, scoring): the store closes after them.
        self.store_threads: list[threading.Thread] = []
        self.drills: dict = {}
        self.scoring = None
        self.http = None
        self.store: Store | None = None
        self.site_key: bytes | None = None  # loaded once: a reload never changes the keyed hashes

    # -- lifecycle -----------------------------------------------------------------------
    def run(self) -> int:
        try:
            self.settings = load_settings(self.config_path)
        except ConfigError as exc:
            logs.setup("info")
            log.error("configuration error: %s", str(exc).replace("\n", "; "))
            return 2
        logs.setup(self.settings.config.log_level)
        warn_unreachable_rules(self.settings)
        try:
            self._open()
        except ConfigError as exc:
            self._close_after_failed_start()
            log.error("configuration error: %s", str(exc).replace("\n", "; "))
            return 2
        except StoreUnavailable as exc:
            self._close_after_failed_start()
            log.error("store unavailable: %s", exc)
            return 3  # as for every command (README: exit codes)
        except OSError as exc:  # a port in use, a directory it may not write: the host's setup
            self._close_after_failed_start()
            log.error("cannot start: %s", exc.strerror or exc)
            return 2
        self._install_signals()
        self.notifier.ready(f"watching {len(self.sources)} sources")
        log.info("ready", extra={"fields": {"sources": sorted(self.sources), "store": redact_dsn(self.settings.dsn),
                                            "detectors": "compiled" if COMPILED else "interpreted",
                                            "detector_c_modules": list(NATIVE)}})
        if not COMPILED:
            log.warning("the PII detectors run interpreted, at about half the scan throughput: reinstall "
                        "Sentinel where a C compiler and the Python headers are present")
        if "hs" not in NATIVE:
            log.warning("the detectors' Hyperscan module was not built: the prefilter calls back into Python for "
                        "every match, and the scan slows to a few percent of its speed while another thread is "
                        "busy; install libhyperscan-dev (x86-64) and reinstall Sentinel")
        self._main_loop()
        return self._shutdown()

    def _open(self) -> None:
        settings = self.settings
        # The port first: taken, it fails before the embedded store is open and must be shut.
        self._bind_http(settings)
        self.store = self._open_store(settings)
        self.writer = self.store.writer(self.metrics)
        self.site_key = load_site_key(settings)
        self.pipeline = Pipeline(SubprocessorRegistry(settings.registry), self.writer,
                                 scanner=build_scanner(settings, key=self.site_key), metrics=self.metrics)
        self.pipeline.replay_check_rows = 4 * settings.config.storage.batch_rows * max(1, len(settings.config.sources))
        self.pipeline.stored_ids = self._stored_ids
        self._open_alerts(settings)
        self.engine = PolicyEngine(settings.registry, self._known_paths())
        self.judge = Judge(self.engine, self.alerts, self.metrics, live=True)
        self.pipeline.observers.append(self.judge)
        self._open_scoring(settings)
        self._serve_http()
        self.worker = threading.Thread(target=self._work, name="pipeline", daemon=True)
        self.worker.start()
        for source in settings.config.sources:
            self._start_source(source)
        self._series_at_zero(settings)

    def _series_at_zero(self, settings: Settings) -> None:
        sources = settings.config.sources
        self.metrics.start_at_zero([s.name for s in sources], [r.name for r in settings.config.alerts.routes],
                                   [s.name for s in sources if s.type == "live"])

    def _open_store(self, settings: Settings) -> Store:
        store = Store.open(settings)
        store.migrate()
        return store

    def _open_alerts(self, settings: Settings) -> None:
        from sentinel.alert.manager import AlertManager

        self.alerts = AlertManager(self.store, settings, metrics=self.metrics)
        self._start_store_thread(self.alerts.run, "alerts")

    def _open_scoring(self, settings: Settings) -> None:
        try:
            from sentinel.scoring import ScoringJob
        except ImportError:
            return
        # Two views of the same rollups: 5-minute windows catch bursts, hourly ones slow exports.
        self.scorings = [ScoringJob(self.store, settings, self.alerts, self.metrics, window) for window in (300, 3600)]
        self.scoring = self.scorings[0]
        for job in self.scorings:
            self._start_store_thread(job.run, f"scoring-{job.label}")

    def _start_store_thread(self, run, name: str) -> None:
        thread = threading.Thread(target=run, args=(self.stop_event,), name=name, daemon=True)
        self.store_threads.append(thread)
        thread.start()

    def _join_store_threads(self) -> None:
        # A query still running when the embedded store closes can hang the process.
        for thread in self.store_threads:
            thread.join(timeout=10)

    def _bind_http(self, settings: Settings) -> None:
        listen = settings.config.metrics.listen
        if not listen:
            return
        from sentinel.http import HttpServer

        self.http = HttpServer(listen, self.metrics.registry, health=self.health, api=self.api).bind()

    def _serve_http(self) -> None:
        if self.http is None:
            return
        from sentinel.http import issue_api_token

        # Only now, with the port and the store held: an instance that fails to start
        # must not replace the running daemon's token.
        self.http.api_token = issue_api_token(self.settings.data_dir)
        self.http.start()
        log.info("metrics listening", extra={"fields": {"url": self.http.url}})

    def _close_after_failed_start(self) -> None:
        """Release what _open took: chDB left open at exit crashes the interpreter's shutdown."""
        self.stop_event.set()
        self._join_store_threads()
        if self.http is not None:
            self.http.stop()
        if self.store is not None:
            self.store.close()

    def _stored_ids(self, ids: list[int]) -> set[int]:
        rows = self.store.query("SELECT event_id FROM {db}.events WHERE event_id IN %(ids)s",
                                {"ids": ids}).result_rows
        return {row[0] for row in rows}

    def _known_paths(self) -> set[tuple[str, str, str]]:
        rows = self.store.query("SELECT DISTINCT subprocessor, category, field_path FROM {db}.findings "
                                "WHERE subprocessor != ''").result_rows
        return {tuple(row) for row in rows}

    def _start_source(self, config) -> None:
        state_dir = self.settings.data_dir
        if config.type == "log":
            source = LogSource(config, self.queue, self.metrics, state_dir)
        elif config.type in ("pcap", "har"):
            source = CaptureFileSource(config, self.queue, self.metrics, state_dir, self._process_capture_file)
        else:
            source = LiveSource(config, self.queue, self.metrics, self._live_processor)
        self.sources[config.name] = source
        source.start()

    # -- capture plumbing: callbacks run on source threads, enqueue for the worker -----------
    def _process_capture_file(self, source: CaptureFileSource, path: Path, origin: str) -> None:
        if source.config.type == "har" or path.suffix.lower() == ".har":
            from sentinel.collect.har import read_har

            # tls_terminated is applied by the worker's CaptureBridge, as for pcap events.
            har = read_har(path, max_body_bytes=self.settings.config.samples.max_body_bytes)
            for record in stamp_har(har, origin, source.config.name):
                source.emit("sample", record.sample)
                source.emit("event", record.event)
            return
        emitter = SourceEmitter(source, origin)
        processor = processor_for(self.settings, emitter, source=source.config.name)
        report = processor.process_file(path)
        if report.error:  # what was read before the damage is kept
            log.warning("capture file: %s", report.error)
            self.metrics.rejected.labels(source.config.name, "damaged_capture").inc()
        processor.flush()
        self.metrics.flows_evicted.labels(source.config.name).inc(processor.stats.get("flows_evicted", 0))

    def _live_processor(self, source: LiveSource):
        emitter = SourceEmitter(source, f"live:{source.config.name}:{int(time.time())}")
        return processor_for(self.settings, emitter, source=source.config.name)

    # -- the worker ------------------------------------------------------------------------
    def _work(self) -> None:
        bridges: dict[str, CaptureBridge] = {}
        while not self.stop_event.is_set() or len(self.queue):
            self.heartbeat = time.monotonic()
            item = self.queue.get(timeout=0.2)
            acks = []
            try:
                if isinstance(item, LogBatch):
                    acks += self.pipeline.add_events(item.events, item.positions)
                    for origin, offset, reason, raw in item.rejects:
                        acks += self.pipeline.reject(item.source, origin, offset, reason, raw, time.time())
                    if item.events and item.source in self.sources:  # a drill's canary is no source to lag
                        self.metrics.lag.labels(item.source).set(max(0.0, time.time() - item.events[-1].ts))
                elif isinstance(item, CaptureItem):
                    acks += self._capture_item(item, bridges)
                acks += self.writer.due()
                if time.monotonic() >= self._next_purge:
                    # here, beside the inserts, not in the main loop: signals and watchdog
                    # pings must never wait behind a slow query holding the store
                    self.store.release_memory()
                    self._next_purge = time.monotonic() + PURGE_SECONDS
                if time.monotonic() >= self._next_trim:
                    self._trim()
            except Exception:  # never let one bad item kill the worker; the type is logged, not the data
                log.exception("pipeline failed on an item")
            self._route(acks)
            self.metrics.queue_depth.labels("pipeline").set(len(self.queue))
        self._route([self.writer.flush()])

    def _trim(self) -> None:
        released = trim_mapped_code()
        self._next_trim = time.monotonic() + (self._trim_gaps.pop(0) if self._trim_gaps else TRIM_SECONDS)
        self.metrics.memory_trimmed.inc(released)
        log.info("unmapped clean library pages", extra={"fields": {"mib": released >> 20}})

    def _capture_item(self, item: CaptureItem, bridges: dict[str, CaptureBridge]) -> list:
        if item.kind == "mark":
            self.writer.mark(item.positions)
            return []
        payload = item.payload
        origin = payload.origin if hasattr(payload, "origin") and payload.origin else item.source
        bridge = bridges.get(origin)
        if bridge is None:
            source = self.sources.get(item.source) or self.retired.get(item.source)
            terminated = bool(source and source.config.tls_terminated)
            bridge = bridges[origin] = CaptureBridge(self.pipeline, origin, terminated)
            if len(bridges) > 256:
                bridges.pop(next(iter(bridges)))
        if item.kind == "sample":
            bridge.on_sample(payload)
        elif item.kind == "event":
            bridge.on_event(payload)
        else:
            bridge.on_handshake(payload)
        return []

    def _route(self, acks: list) -> None:
        for ack in acks:
            if not ack.durable:
                continue  # sources keep their positions: the data is re-read later
            for key, offset in ack.positions.items():
                name = key[0] if isinstance(key, tuple) else None
                source = self.sources.get(name) or self.retired.get(name)
                if source is not None:
                    source.acknowledge(key, offset)

    # -- the loopback API: inventory, alerts and audit, drills --------------------------------
    def api(self, method: str, target: str, body: bytes) -> tuple[int, dict]:
        from urllib.parse import parse_qs, urlsplit

        from sentinel import drill as drills
        from sentinel.alert import operations

        parts = urlsplit(target)
        path, query = parts.path, {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if operations.serves(path):
            # `sentinel alerts ...` and `sentinel audit ...` while the daemon holds the embedded
            # store: run by this daemon's own manager, so its state stays right and it audits.
            operator = operations.Operator(self.alerts, self.alerts.audit)
            return operations.serve(operator, method, path, parse_qs(parts.query, keep_blank_values=True), body)
        if method == "GET" and path == "/api/inventory":
            # With the embedded store the daemon holds it: `sentinel inventory` asks here.
            from dataclasses import asdict

            from sentinel import inventory

            try:
                since, diff = query.get("since", "30d"), query.get("diff")
                flows = inventory.collect(self.store, self.settings, since, diff)
                notes = inventory.diff_notes(self.store, since, diff) if diff else []
            except ValueError as exc:
                return 400, {"error": str(exc)}
            return 200, {"flows": [asdict(flow) for flow in flows], "notes": notes}
        if method == "POST" and path in ("/api/subject", "/api/subject/erase"):
            # `sentinel subject` (--erase) with the embedded store held here: keyed hashes in, never values.
            import json
            from dataclasses import asdict

            from sentinel import subject

            erasing = path == "/api/subject/erase"
            try:
                ask = json.loads(body)
                hashes, actor = [str(h) for h in ask["hashes"]], str(ask.get("actor", ""))
                identifiers = int(ask.get("identifiers", 0))
                if erasing:
                    return 200, asdict(subject.audited_erase(self.store, self.alerts.audit, hashes, actor, identifiers))
                rows = subject.audited_lookup(self.store, self.settings, self.alerts.audit, hashes,
                                              str(ask.get("since", "all")), actor, identifiers)
            except (ValueError, KeyError, TypeError) as exc:
                return 400, {"error": f"bad {'erasure request' if erasing else 'subject lookup'}: {exc}"}
            return 200, {"rows": [list(row) for row in rows]}
        if method == "POST" and path == "/api/reload":
            return self.reload_and_wait()
        timeout = self._drill_timeout()
        if method == "POST" and path == "/api/drill":
            drill = drills.new_drill()
            self.drills[drill.id] = drill
            if len(self.drills) > 100:
                self.drills.pop(next(iter(self.drills)))
            if not self.queue.put(drills.canary_batch(drill), timeout=5):
                drill.status, drill.detail = "failed", "pipeline queue full: the daemon is overloaded"
            return 202, drill.as_dict()
        if method == "GET" and path.startswith("/api/drill/"):
            drill = self.drills.get(path.rsplit("/", 1)[1])
            if drill is None:
                return 404, {"error": "no such drill"}
            was = drill.status
            drills.check(self.store, drill, timeout)
            if was == "pending" and drill.status != "pending":
                drills.audit(self.alerts.audit, drill)
            return 200, drill.as_dict()
        return 404, {"error": "not found"}

    def _drill_timeout(self) -> float:
        alerts = self.settings.config.alerts
        return alerts.group_wait_seconds + alerts.group_interval_seconds + 60.0

    # -- health ----------------------------------------------------------------------------
    def health(self) -> dict:
        from sentinel.http import Check

        stalled = time.monotonic() - self.heartbeat
        checks = {
            "pipeline": Check(stalled < STALL_SECONDS, f"last beat {stalled:.1f}s ago"),
            "queue": Check(self.queue.fill() < 0.95, f"{len(self.queue)} items"),
            "spool": Check(len(self.writer.spool) == 0 or self.writer.spool.bytes < self.writer.spool.max_bytes,
                           f"{self.writer.spool.bytes} bytes spooled"),
        }
        for name, source in self.sources.items():
            alive = source.is_alive()
            checks[f"source:{name}"] = Check(source.reading, (source.problem or "running") if alive else "stopped")
        return checks

    # -- signals and the main loop ---------------------------------------------------------
    def _install_signals(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        self._signals.append(signum)
        self._wake.set()

    def _main_loop(self) -> None:
        interval = watchdog_interval()
        tick = min(interval, 1.0) if interval else 1.0
        while True:
            self._wake.wait(tick)
            self._wake.clear()
            while self._signals:
                signum = self._signals.pop(0)
                if signum == signal.SIGHUP:
                    self.reload()
                else:
                    log.info("stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
                    return
            if interval and time.monotonic() - self.heartbeat < STALL_SECONDS:
                self.notifier.watchdog()
            for name, source in self.sources.items():
                self.metrics.source_up.labels(name).set(1 if source.reading else 0)
            # here too: the worker sets it after each item, so a stuck worker would freeze it
            self.metrics.queue_depth.labels("pipeline").set(len(self.queue))

    def reload(self) -> None:
        """SIGHUP: load and validate everything first; swap only when all of it is good."""
        self.notifier.reloading()
        try:
            settings = load_settings(self.config_path)
            self._refuse_restart_only_changes(settings)
            scanner = build_scanner(settings, key=self.site_key)
            if self.alerts is not None:
                from sentinel.alert.delivery import AppriseSender

                AppriseSender(settings.config.alerts.routes, settings.config_path)  # a bad URL: before swapping
            if getattr(self, "scorings", None):
                from sentinel.scoring import ScoringJob

                ScoringJob.check(settings)
        except ConfigError as exc:
            self.metrics.config_reloads.labels("failed").inc()
            reason = str(exc).replace("\n", "; ")
            log.error("reload rejected, keeping the running configuration: %s", reason)
            self.notifier.ready("reload rejected; running configuration kept")
            self._reload_done(False, f"reload rejected, running configuration kept: {reason}")
            return
        old = self.settings
        self.settings = settings
        logging.getLogger().setLevel(settings.config.log_level.upper())
        self.pipeline.set_registry(SubprocessorRegistry(settings.registry))
        self.pipeline.set_scanner(scanner)
        self.engine = PolicyEngine(settings.registry, self.engine.known_paths)
        self.judge.engine = self.engine
        if self.alerts is not None:
            self.alerts.reload(settings)
        for job in getattr(self, "scorings", []):
            job.reload(settings)
        old_sources = {s.name: s for s in old.config.sources}
        for config in settings.config.sources:
            if old_sources.get(config.name) != config:
                self._stop_source(config.name)
                self._start_source(config)
        for name in set(old_sources) - {s.name for s in settings.config.sources}:
            self._stop_source(name)
        self._series_at_zero(settings)
        self.metrics.config_reloads.labels("ok").inc()
        log.info("configuration reloaded", extra={"fields": {"digest": settings.digest[:12]}})
        warn_unreachable_rules(settings)
        self.notifier.ready(f"watching {len(self.sources)} sources")
        self._reload_done(True, f"configuration reloaded ({settings.digest[:12]}), watching {len(self.sources)} sources")

    def _reload_done(self, ok: bool, message: str) -> None:
        with self._reloaded:
            self._reloads += 1
            self.last_reload = {"ok": ok, "message": message}
            self._reloaded.notify_all()

    def reload_and_wait(self, timeout: float = 120.0) -> tuple[int, dict]:
        """For the API: reload as SIGHUP does (in the main loop) and say how it went."""
        with self._reloaded:
            before = self._reloads
            self._signals.append(signal.SIGHUP)
            self._wake.set()
            if not self._reloaded.wait_for(lambda: self._reloads > before, timeout):
                return 504, {"error": f"the reload did not finish within {timeout:g} s"}
            return 200, dict(self.last_reload)

    def _refuse_restart_only_changes(self, settings: Settings) -> None:
        # Refused whole, as an invalid file is: applying the rest would leave the daemon
        # running a configuration that is neither the old file nor the new one, and a
        # reload counted "ok" while a changed data_dir or port silently did nothing.
        changed = needs_restart(self.settings, settings)
        if changed:
            raise ConfigError(settings.config_path, [(name, "cannot change on reload; restart the daemon to apply it")
                                                     for name in changed])

    def _stop_source(self, name: str) -> None:
        source = self.sources.pop(name, None)
        if source is None:
            return
        source.stop()
        source.join(timeout=10)
        self.retired[name] = source

    def _shutdown(self) -> int:
        self.notifier.stopping()
        for name in list(self.sources):
            self._stop_source(name)
        if self.http is not None:  # first: its API calls use the store and the alert manager
            self.http.stop()
        self.stop_event.set()  # the worker drains the queue, then flushes the writer
        self.worker.join(timeout=60)
        for source in self.retired.values():
            if hasattr(source, "close"):
                source.close()
            elif hasattr(source, "_drain_acks"):
                source._drain_acks()
        self._join_store_threads()
        if self.alerts is not None:
            try:
                self.alerts.deliver()
            except Exception:
                log.exception("final alert delivery failed; the outbox keeps it for next start")
            self.alerts.close()
        self.store.close()
        log.info("stopped cleanly")
        return 0


def main(config_path: str | None = None) -> int:
    return Daemon(config_path or os.environ.get("SENTINEL_CONFIG")).run()
