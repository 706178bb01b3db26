"""The alert manager: raise, group, route, silence, store, deliver, audit.

State lives in ClickHouse and is mirrored in memory for speed; a new manager over
the same store rebuilds its groups, timers, silences and pending outbox from the
tables, so a restart loses nothing and sends nothing twice. Time comes from an
injectable clock. One manager (one process) writes at a time.

The daemon calls `raise_alert` / `resolve` from the pipeline and `run(stop)` (or
`tick()` on its own schedule); the CLI calls the operator methods.
"""

from __future__ import annotations

import difflib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from sentinel.alert import payloads
from sentinel.alert.delivery import AppriseSender
from sentinel.alert.fingerprint import group_key, group_labels
from sentinel.alert.grouping import Group, Groups, Plan, Timing, plan_flush
from sentinel.alert.model import (ACKNOWLEDGED, FIRING, RESOLVED, SILENCED, Alert, AlertRecord, Severity, new_id)
from sentinel.alert.outbox import Outbox, OutboxItem
from sentinel.alert.routing import Router
from sentinel.alert.silences import (MAX_SILENCE_SECONDS, SILENCE_LABELS, Ack, Matcher, Silence, SilenceError,
                                     Suppressions, UsageError, check_approver, needs_approval, parse_duration)
from sentinel.alert.store import AlertStore
from sentinel.audit import AuditLog
from sentinel.config import Settings
from sentinel.metrics import Metrics
from sentinel.store import Store

log = logging.getLogger("sentinel.alert")

SYSTEM = "sentinel"  # the audit actor for what the daemon does by itself
PERSIST_EVERY = 5.0  # seconds between writes of occurrence counts of alerts that keep firing
REFRESH_EVERY = 10.0  # seconds between re-reads of silences/acks another process may have written


@dataclass
class Delivery:
    notification_id: str
    channel: str
    route: str
    ok: bool
    error: str = ""
    attempts: int = 0


@dataclass
class TickResult:
    resolved: int = 0
    notifications: int = 0  # outbox items created
    deliveries: list[Delivery] = field(default_factory=list)
    expired: int = 0

    @property
    def sent(self) -> int:
        return sum(1 for d in self.deliveries if d.ok)

    @property
    def failed(self) -> int:
        return sum(1 for d in self.deliveries if not d.ok)


@dataclass
class AlertView:
    """An alert as an operator sees it: stored state plus what hides it now."""

    record: AlertRecord
    status: str  # firing | acknowledged | silenced | resolved
    awaiting_approval: list[str]

    def as_dict(self) -> dict:
        r = self.record
        return {"alert_id": r.alert_id, "fingerprint": r.fingerprint, "status": self.status,
                "severity": r.severity.label, "kind": r.kind, "subprocessor": r.subprocessor,
                "category": r.category, "title": r.title, "policy": r.policy, "occurrences": r.occurrences,
                "first_seen": payloads.iso(r.first_seen), "last_seen": payloads.iso(r.last_seen),
                "raised_at": payloads.iso(r.raised_at), "resolved_at": payloads.iso(r.resolved_at),
                "group_key": r.group_key, "labels": r.identity, "awaiting_approval": self.awaiting_approval,
                "summary": r.summary, "evidence": r.evidence}  # masked when the alert was raised


class AlertManager:
    def __init__(self, store: Store, settings: Settings, *, clock: Callable[[], float] = time.time,
                 metrics: Metrics | None = None, audit: AuditLog | None = None, sender=None):
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.db = AlertStore(store)
        self.audit = audit or AuditLog(store, clock=clock)
        self._lock = threading.RLock()
        self._deliver_lock = threading.Lock()
        self._wake = threading.Event()
        self.records: dict[str, AlertRecord] = {}  # by fingerprint: firing, or resolved and not yet announced
        self._configure(settings, sender)
        self.suppressions = Suppressions(self.threshold)
        self.outbox = Outbox(self.cfg.retry_initial_seconds, self.cfg.retry_max_seconds,
                             self.cfg.expire_after_seconds)
        self.groups = Groups(self.timing)
        self._persisted_at = 0.0
        self._refreshed_at = 0.0
        self._load()
        self.audit.record_config(settings)

    def _configure(self, settings: Settings, sender=None) -> None:
        self.settings = settings
        self.cfg = settings.config.alerts
        self.router = Router(self.cfg.routes)
        self.sender = sender or AppriseSender(self.cfg.routes, settings.config_path)
        self.links = payloads.Links(self.cfg.base_url, self.cfg.drilldown_path)
        self.timing = Timing(self.cfg.group_wait_seconds, self.cfg.group_interval_seconds,
                             self.cfg.repeat_interval_seconds)
        self.threshold = Severity.parse(self.cfg.approval_min_severity)

    def reload(self, settings: Settings) -> None:
        """New routes and timings (SIGHUP); state is kept."""
        sender = AppriseSender(settings.config.alerts.routes, settings.config_path)  # fail before changing anything
        with self._lock:
            self._configure(settings, sender)
            self.suppressions.threshold = self.threshold
            self.groups.timing = self.timing
            self.outbox.retry_initial = self.cfg.retry_initial_seconds
            self.outbox.retry_max = self.cfg.retry_max_seconds
            self.outbox.expire_after = self.cfg.expire_after_seconds
        self.audit.record_config(settings)

    # -- rebuilding from the store -----------------------------------------------------
    def _load(self) -> None:
        now = self.clock()
        groups = self.db.load_groups()
        members = sorted({fp for g in groups for fp in g.members})
        for record in self.db.load_alerts(members):
            self.records[record.fingerprint] = record
        for group in groups:
            group.members &= set(self.records)
            if group.members:
                self.groups.by_key[group.key] = group
        grouped = {fp for g in self.groups.by_key.values() for fp in g.members}
        for record in list(self.records.values()):
            if record.fingerprint in grouped:
                continue
            if record.status == FIRING:  # stored without its group (a crash in between): regroup it
                group, _ = self.groups.add(record.group_key, self._group_labels(record), record.fingerprint, now)
                self.db.put_group(group, now)
            else:
                del self.records[record.fingerprint]
        self._refresh_suppressions(now, force=True)
        for item in self.db.load_pending_outbox():
            self.outbox.add(item)
        self.db.flush()
        self._gauge()
        if self.records or len(self.outbox):
            log.info("alert state restored: %d alerts, %d groups, %d notifications pending",
                     len(self.records), len(self.groups.by_key), len(self.outbox))

    def _refresh_suppressions(self, now: float, force: bool = False) -> None:
        if not force and now - self._refreshed_at < REFRESH_EVERY:
            return
        self._refreshed_at = now
        self.suppressions.silences = {s.silence_id: s for s in self.db.silences(since=now)}
        ids = [r.alert_id for r in self.records.values()]
        self.suppressions.acks = {a.ack_id: a for a in self.db.acks(ids)}

    # -- raising and resolving ---------------------------------------------------------
    def raise_alert(self, alert: Alert) -> AlertRecord:
        """Record an alert (or a new sighting of one already firing); durable on return."""
        now = self.clock()
        with self._lock:
            record = self.records.get(alert.fingerprint)
            if record is not None:
                self._sighting(record, alert, now)
                return record
            record = self._new_record(alert, now)
            self.records[record.fingerprint] = record
            group, _ = self.groups.add(record.group_key, self._group_labels(record), record.fingerprint, now)
            self.db.put_alert(record, now)
            self.db.put_group(group, now)
            self.db.flush()
            self.audit.append(SYSTEM, "alert.raised", record.alert_id, {
                "fingerprint": record.fingerprint, "kind": record.kind, "severity": record.severity.label,
                "subprocessor": record.subprocessor, "category": record.category, "group": record.group_key})
            if self.metrics:
                self.metrics.alerts.labels(record.kind, record.severity.label).inc()
        self._wake.set()
        return record

    def _new_record(self, alert: Alert, now: float) -> AlertRecord:
        first = alert.first_seen if alert.first_seen is not None else now
        resolve_after = alert.resolve_after if alert.resolve_after is not None else self.cfg.resolve_timeout_seconds
        return AlertRecord(
            alert_id=new_id("al"), fingerprint=alert.fingerprint,
            group_key=group_key(self._labels_of(alert), self.cfg.group_by), kind=alert.kind,
            severity=alert.severity, title=payloads.scrub(alert.title), summary=payloads.scrub(alert.summary),
            identity={k: payloads.scrub(v, payloads.MAX_VALUE) for k, v in alert.identity().items()},
            policy=payloads.scrub(alert.policy), evidence=payloads.safe_evidence(alert.evidence),
            status=FIRING, stored_status=FIRING, raised_at=now, first_seen=first,
            last_seen=alert.last_seen if alert.last_seen is not None else max(first, now),
            occurrences=alert.count, ends_at=alert.ends_at or 0.0, resolve_after=resolve_after)

    @staticmethod
    def _labels_of(alert: Alert) -> dict[str, str]:
        return {**alert.identity(), "severity": alert.severity.label}

    def _group_labels(self, record: AlertRecord) -> dict[str, str]:
        return group_labels({**record.identity, "severity": record.severity.label}, self.cfg.group_by)

    def _sighting(self, record: AlertRecord, alert: Alert, now: float) -> None:
        record.occurrences += alert.count
        record.last_seen = max(record.last_seen, alert.last_seen if alert.last_seen is not None else now)
        record.evidence = payloads.safe_evidence(alert.evidence) or record.evidence
        record.title, record.summary = payloads.scrub(alert.title), payloads.scrub(alert.summary)
        record.ends_at = alert.ends_at or 0.0
        if alert.resolve_after is not None:
            record.resolve_after = alert.resolve_after
        record.dirty = True
        urgent = False
        if alert.severity > record.severity:  # escalation may reach new routes: store and look now
            record.severity = alert.severity
            urgent = True
        if record.status == RESOLVED:  # back before its resolution was announced: it simply fires on
            record.status, record.resolved_at, record.stored_status = FIRING, 0.0, FIRING
            urgent = True
            self.audit.append(SYSTEM, "alert.refiring", record.alert_id, {"fingerprint": record.fingerprint})
        if urgent:
            self.db.put_alert(record, now)
            self.db.flush()
            self._wake.set()

    def resolve(self, fingerprint: str, reason: str = "resolved by caller", actor: str = SYSTEM) -> AlertRecord | None:
        """The condition ended; a resolved notification follows at the group's next flush."""
        now = self.clock()
        with self._lock:
            record = self.records.get(fingerprint)
            if record is None or record.status == RESOLVED:
                return None
            self._resolve(record, now, reason, actor)
            self.db.flush()
        self._wake.set()
        return record

    def _resolve(self, record: AlertRecord, at: float, reason: str, actor: str = SYSTEM) -> None:
        record.status, record.stored_status, record.resolved_at = RESOLVED, RESOLVED, at
        self.db.put_alert(record, at)
        self.audit.append(actor, "alert.resolved", record.alert_id,
                          {"fingerprint": record.fingerprint, "reason": reason})

    # -- the loop ---------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> TickResult:
        """Resolve what timed out, flush due groups into the outbox, deliver what is due."""
        now = self.clock() if now is None else now
        result = TickResult()
        with self._lock:
            self._refresh_suppressions(now)
            self.db.retry_spool()
            for record in list(self.records.values()):
                due = record.resolve_due() if record.status == FIRING else None
                if due is not None and due <= now:
                    reason = "ends_at passed" if record.ends_at and record.ends_at <= now else \
                        f"not seen for {record.resolve_after:g}s"
                    self._resolve(record, due, reason)
                    result.resolved += 1
            self._store_statuses(now)
            for group in self.groups.due(now):
                result.notifications += self._flush_group(group, now)
            if now - self._persisted_at >= PERSIST_EVERY:
                self._persisted_at = now
                for record in self.records.values():
                    if record.dirty:
                        self.db.put_alert(record, now)
            for item in self.outbox.expired(now):
                self._expire(item, now)
                result.expired += 1
            self.db.flush()
        result.deliveries = self.deliver(now)
        return result

    def next_wakeup(self) -> float:
        """When `tick` next has something to do (the daemon may also just tick every second)."""
        now = self.clock()
        with self._lock:
            times = [self.groups.next_due(), self.outbox.next_due()]
            times += [r.resolve_due() for r in self.records.values() if r.status == FIRING]
            times += [s.ends_at for s in self.suppressions.silences.values() if s.ends_at > now]
        return min((t for t in times if t is not None), default=now + 60.0)

    def wake(self) -> None:
        """Make `run` tick now (e.g. right after setting its stop event)."""
        self._wake.set()

    def run(self, stop: threading.Event, max_sleep: float = 1.0) -> None:
        """Tick until `stop` is set; a raise or resolve wakes the loop at once."""
        while not stop.is_set():
            self._wake.clear()  # before the tick: a raise during it wakes the next wait at once
            floor = 0.02  # timers are this coarse at best; a raise or resolve still wakes at once
            try:
                self.tick()
            except Exception:  # the loop must outlive a bad tick; the next one retries
                log.exception("alert tick failed")
                floor = 1.0
            delay = min(max_sleep, max(floor, self.next_wakeup() - self.clock()))
            self._wake.wait(delay)

    # -- grouping into notifications ------------------------------------------------------
    def _hidden(self, record: AlertRecord, now: float) -> bool:
        return self._suppression(record, now) != FIRING

    def effective_status(self, record: AlertRecord, now: float) -> str:
        if record.status == RESOLVED:
            return RESOLVED
        return self._suppression(record, now)

    def _suppression(self, record: AlertRecord, now: float) -> str:
        # Asked for every alert on every tick: without acks or silences (the usual case)
        # there is nothing to match, not even labels to build.
        suppressions = self.suppressions
        if suppressions.acks and suppressions.acknowledged(record.alert_id, record.severity):
            return ACKNOWLEDGED
        if suppressions.silences and suppressions.silenced_by(record.labels(), record.severity, now) is not None:
            return SILENCED
        return FIRING

    def _store_statuses(self, now: float) -> None:
        for record in self.records.values():
            status = self.effective_status(record, now)
            if status != record.stored_status:
                record.stored_status = status
                self.db.put_alert(record, now)

    def _flush_group(self, group: Group, now: float) -> int:
        members = [self.records[fp] for fp in sorted(group.members) if fp in self.records]
        resolved = {r.fingerprint for r in members if r.status == RESOLVED}
        firing_by_route: dict[str, set[str]] = {}
        routes_of: dict[tuple, list[str]] = {}  # a group's members mostly share kind, category, severity
        for record in members:
            if record.status == FIRING and not self._hidden(record, now):
                key = (record.kind, record.subprocessor, record.category, record.severity)
                routes = routes_of.get(key)
                if routes is None:
                    routes = routes_of[key] = self.router.routes_for(*key)
                for route in routes:
                    firing_by_route.setdefault(route, set()).add(record.fingerprint)
        before = (dict(group.routes), frozenset(group.members))
        plans, states = plan_flush(group, now, firing_by_route, resolved, self.timing)
        created = sum(self._enqueue(group, plan, now) for plan in plans)
        alive = self.groups.flushed(group, now, states, resolved)
        for fp in resolved:
            self.records.pop(fp, None)
        if (group.routes, frozenset(group.members)) != before or not alive:
            self.db.put_group(group, now, active=alive)
        return created

    def _enqueue(self, group: Group, plan: Plan, now: float) -> int:
        firing = [self.records[fp] for fp in plan.firing]
        resolved = [self.records[fp] for fp in plan.resolved]
        previous = group.routes.get(plan.route)
        new = [r for r in firing if not previous or r.fingerprint not in previous.firing]
        raised_at = min([r.raised_at for r in new] + [r.resolved_at for r in resolved], default=now)
        notification_id = new_id("nt")
        document = payloads.build_notification(notification_id, plan.route, group.key, group.labels, firing,
                                               resolved, now, self.links, repeat=plan.repeat,
                                               new=frozenset(r.fingerprint for r in new))
        return self._queue(document, plan.route, raised_at, now)

    def _queue(self, document: dict, route: str, raised_at: float, now: float) -> int:
        subject, _ = payloads.email_message(document)
        body = json.dumps(document, sort_keys=True)
        channels = self.sender.channels(route)
        for channel in channels:
            item = OutboxItem(document["notification_id"], channel.id, route, now, raised_at,
                              document["group_key"], document["severity"], subject, body,
                              payloads.alert_ids(document))
            self.outbox.add(item)
            self.db.put_outbox(item)
        self._gauge()
        return len(channels)

    # -- delivery -----------------------------------------------------------------------
    def deliver(self, now: float | None = None, only: set[str] | None = None, force: bool = False,
                notifications: set[str] | None = None) -> list[Delivery]:
        """Send what is due, in order per channel, channels side by side; each outcome is stored.
        ``notifications``: only these, ahead of whatever else a channel holds."""
        with self._deliver_lock:
            with self._lock:
                now = self.clock() if now is None else now
                due = self.outbox.due(float("inf") if force else now, only)
                if notifications is not None:
                    due = {channel: kept for channel, items in due.items()
                           if (kept := [i for i in items if i.notification_id in notifications])}
            if not due:
                return []
            if len(due) == 1:
                return self._deliver_channel(*next(iter(due.items())))
            results: list[Delivery] = []
            with ThreadPoolExecutor(max_workers=min(8, len(due)), thread_name_prefix="alert-send") as pool:
                for outcome in pool.map(lambda pair: self._deliver_channel(*pair), due.items()):
                    results += outcome
            return results

    def _deliver_channel(self, channel_id: str, items: list[OutboxItem]) -> list[Delivery]:
        channel = self.sender.get(channel_id)
        results = []
        for item in items:
            if channel is None:
                ok, error = False, "the channel is no longer configured"
            else:
                ok, error = self.sender.send(channel, json.loads(item.body))
            with self._lock:
                if item.key not in self.outbox.pending:
                    continue  # expired meanwhile
                if ok:
                    self._sent(item)
                else:
                    self._failed(item, error)
            results.append(Delivery(item.notification_id, channel_id, item.route, ok, error, item.attempts))
            if not ok:
                break  # the channel backs off as a whole; later items keep their order
        return results

    def _sent(self, item: OutboxItem) -> None:
        now = self.clock()
        self.outbox.sent(item, now)
        self.db.put_outbox(item)
        self.db.flush()
        self.audit.append(SYSTEM, "alert.sent", item.notification_id, {
            "channel": item.channel, "route": item.route, "alerts": item.alert_ids, "attempts": item.attempts})
        if self.metrics:
            self.metrics.notifications.labels(item.route, "sent").inc()
            self.metrics.alert_delivery_seconds.observe(max(0.0, now - item.raised_at))
        self._gauge()

    def _failed(self, item: OutboxItem, error: str) -> None:
        now = self.clock()
        retry_at = self.outbox.failed(item, now, error)
        self.db.put_outbox(item)
        self.db.flush()
        log.warning("delivery of %s to %s failed (attempt %d, next in %.0fs): %s", item.notification_id,
                    item.channel, item.attempts, retry_at - now, error)
        if self.metrics:
            self.metrics.notifications.labels(item.route, "failed").inc()

    def _expire(self, item: OutboxItem, now: float) -> None:
        self.outbox.expire(item, now)
        self.db.put_outbox(item)
        log.error("notification %s to %s expired undelivered after %d attempts: %s", item.notification_id,
                  item.channel, item.attempts, item.last_error)
        self.audit.append(SYSTEM, "alert.expired", item.notification_id, {
            "channel": item.channel, "route": item.route, "alerts": item.alert_ids, "attempts": item.attempts,
            "last_error": item.last_error})
        if self.metrics:
            self.metrics.notifications.labels(item.route, "expired").inc()
        self._gauge()

    def _gauge(self) -> None:
        if self.metrics:
            self.metrics.outbox_pending.set(len(self.outbox))

    # -- operators ----------------------------------------------------------------------
    def _active_by_id(self, alert_id: str) -> AlertRecord:
        for record in self.records.values():
            if record.alert_id == alert_id and record.status == FIRING:
                return record
        stored = self.db.alert(alert_id)
        if stored is None:
            raise SilenceError(f"no alert {alert_id}; `sentinel alerts list` shows the ids")
        raise SilenceError(f"alert {alert_id} is not firing (it is {stored.stored_status})")

    def acknowledge(self, alert_id: str, by: str, reason: str = "") -> tuple[Ack, bool]:
        """Acknowledge a firing alert; returns the ack and whether it still waits for approval."""
        if not by.strip():
            raise UsageError("--by NAME is required: acknowledgements are recorded with the operator's name")
        now = self.clock()
        with self._lock:
            record = self._active_by_id(alert_id)
            for earlier in self.suppressions.acks_for(record.alert_id):
                pending = not earlier.approved_by and needs_approval(record.severity, self.threshold)
                hint = f"; a second operator approves it: sentinel alerts approve {earlier.ack_id} --by NAME" \
                    if pending else ""
                raise SilenceError(f"alert {alert_id} is already acknowledged by {earlier.created_by} "
                                   f"({earlier.ack_id}){hint}")
            ack = Ack(new_id("ak"), record.alert_id, record.fingerprint, by.strip(), reason, now)
            self.suppressions.acks[ack.ack_id] = ack
            self.db.put_ack(ack)
            waiting = needs_approval(record.severity, self.threshold)
            self._store_statuses(now)
            self.db.flush()
            self.audit.append(by.strip(), "alert.acknowledged", record.alert_id, {
                "ack": ack.ack_id, "reason": reason, "severity": record.severity.label,
                "awaiting_approval": waiting})
        return ack, waiting

    def _check_subprocessor(self, m: Matcher) -> None:
        """A sub-processor the registry does not name (a typo) would silence nothing, unseen."""
        if m.key != "subprocessor" or m.op not in ("=", "!=") or not m.value:
            return
        names = [sub.name for sub in self.settings.registry.subprocessor]
        if m.value not in names:
            close = difflib.get_close_matches(m.value, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise UsageError(f"matcher {m}: the registry names no sub-processor {m.value!r}{hint}")

    def silence(self, matchers: list[str | Matcher], duration: float | str, reason: str, by: str) -> tuple[
            Silence, list[AlertRecord], list[AlertRecord]]:
        """Silence alerts matching every matcher for `duration`; returns the silence, the firing alerts it
        matches, and those of them that stay visible until a second operator approves it."""
        parsed = [m if isinstance(m, Matcher) else Matcher.parse(m) for m in matchers]
        if not parsed:
            raise UsageError("a silence needs at least one --match label=value")
        for m in parsed:
            if m.key not in SILENCE_LABELS:  # it would match nothing, or everything with !=
                raise UsageError(f"matcher {m}: no alert has the label {m.key!r}; labels: "
                                 f"{', '.join(SILENCE_LABELS)}")
            self._check_subprocessor(m)
        if not reason.strip():
            raise UsageError("--reason is required: silences are audited")
        if not by.strip():
            raise UsageError("--by NAME is required: silences are recorded with the operator's name")
        seconds = parse_duration(duration) if isinstance(duration, str) else float(duration)
        if seconds <= 0:
            raise UsageError("the duration must be positive")
        if seconds > MAX_SILENCE_SECONDS:
            raise UsageError(f"a silence lasts at most {MAX_SILENCE_SECONDS // 86400} days: one that outlives "
                               f"its reason hides new incidents; renew it when it ends")
        now = self.clock()
        with self._lock:
            silence = Silence(new_id("si"), parsed, by.strip(), reason.strip(), now, now, now + seconds)
            self.suppressions.silences[silence.silence_id] = silence
            self.db.put_silence(silence)
            matching = [r for r in self.records.values() if r.status == FIRING and silence.matches(r.labels())]
            severe = [r for r in matching if needs_approval(r.severity, self.threshold)]
            self._store_statuses(now)
            self.db.flush()
            self.audit.append(by.strip(), "alert.silenced", silence.silence_id, {
                "matchers": [str(m) for m in parsed], "ends_at": payloads.iso(silence.ends_at),
                "reason": silence.reason, "matching": [r.alert_id for r in matching],
                "awaiting_approval": [r.alert_id for r in severe]})
        return silence, matching, severe

    def approve(self, item_id: str, by: str) -> Silence | Ack:
        """A second operator approves a silence or acknowledgement; then it hides severe alerts too."""
        now = self.clock()
        with self._lock:
            self._refresh_suppressions(now, force=True)
            silence = self.suppressions.silences.get(item_id)
            if silence is None and item_id.startswith("si-"):
                if any(s.silence_id == item_id for s in self.db.silences()):
                    raise SilenceError(f"silence {item_id} has expired")
            if silence is not None:
                check_approver(silence.created_by, by, f"silence {item_id}")
                if silence.approved_by:
                    raise SilenceError(f"silence {item_id} was already approved by {silence.approved_by}")
                silence.approved_by, silence.approved_at = by.strip(), now
                self.db.put_silence(silence)
                subject, action = silence, "silence.approved"
                details = {"created_by": silence.created_by, "matchers": [str(m) for m in silence.matchers]}
            else:
                ack = self.suppressions.acks.get(item_id) or next(
                    (a for a in self.db.acks() if a.ack_id == item_id), None)
                if ack is None:
                    raise SilenceError(f"no silence or acknowledgement {item_id}; `sentinel alerts silences` "
                                       "and `sentinel alerts list` show them")
                check_approver(ack.created_by, by, f"acknowledgement {item_id}")
                if ack.approved_by:
                    raise SilenceError(f"acknowledgement {item_id} was already approved by {ack.approved_by}")
                ack.approved_by, ack.approved_at = by.strip(), now
                self.suppressions.acks[ack.ack_id] = ack
                self.db.put_ack(ack)
                subject, action = ack, "ack.approved"
                details = {"created_by": ack.created_by, "alert": ack.alert_id}
            self._store_statuses(now)
            self.db.flush()
            self.audit.append(by.strip(), action, item_id, details)
        self._wake.set()
        return subject

    def expire_silence(self, silence_id: str, by: str) -> Silence:
        """End a silence now (the maintenance is over): what it hid fires again at once.
        Ending one needs no second operator: it hides nothing more."""
        if not by.strip():
            raise UsageError("--by NAME is required: expiring a silence is recorded with the operator's name")
        now = self.clock()
        with self._lock:
            self._refresh_suppressions(now, force=True)
            silence = self.suppressions.silences.pop(silence_id, None)
            if silence is None:
                raise SilenceError(f"no active silence {silence_id}; `sentinel alerts silences` shows them")
            silence.ends_at = now
            self.db.put_silence(silence)
            self._store_statuses(now)
            self.db.flush()
            self.audit.append(by.strip(), "silence.expired", silence_id, {
                "created_by": silence.created_by, "matchers": [str(m) for m in silence.matchers]})
        self._wake.set()
        return silence

    def silences(self, include_expired: bool = False) -> list[Silence]:
        with self._lock:
            if include_expired:
                return self.db.silences()
            now = self.clock()
            self._refresh_suppressions(now, force=True)
            return sorted(self.suppressions.silences.values(), key=lambda s: s.created_at)

    def alerts(self, status: str = "firing", limit: int = 1000) -> list[AlertView]:
        """Alerts from the store (all of history for `resolved`/`all`), with their status now."""
        now = self.clock()
        with self._lock:
            return [self._view(stored, now) for stored in self.db.alerts(status, limit)]

    def alert(self, alert_id: str) -> AlertView | None:
        """One alert, firing or resolved, with its status now."""
        with self._lock:
            stored = self.db.alert(alert_id)
            return self._view(stored, self.clock()) if stored is not None else None

    def _view(self, stored: AlertRecord, now: float) -> AlertView:
        live = self.records.get(stored.fingerprint)
        record = live if live is not None and live.alert_id == stored.alert_id else stored
        state = self.effective_status(record, now) if record.status == FIRING else RESOLVED
        waiting = self.suppressions.waiting_approval(record.alert_id, record.labels(), record.severity,
                                                     now) if state == FIRING else []
        return AlertView(record, state, waiting)

    def send_test(self, route: str | None = None, by: str = SYSTEM) -> list[Delivery]:
        """A test notification to every channel of `route` (default: all routes), past all filters."""
        routes = [route] if route else self.router.names
        if route and route not in self.router.by_name:
            raise SilenceError(f"no route {route!r}; routes: {', '.join(self.router.names) or '(none configured)'}")
        if not routes:
            raise SilenceError("no routes are configured under [alerts] in the config")
        now = self.clock()
        channels: set[str] = set()
        with self._lock:
            record = AlertRecord(
                alert_id=new_id("al"), fingerprint="test", group_key="test", kind="test", severity=Severity.INFO,
                title="Sentinel test notification", identity={"kind": "test", "subprocessor": "example"},
                policy="none: this is a test", summary="If you can read this, this channel delivers Sentinel's "
                "alerts.", evidence={"masked": "j***@e***.com", "field_path": "body.email"},
                raised_at=now, first_seen=now, last_seen=now, occurrences=1)
            ids = []
            for name in routes:
                document = payloads.build_notification(new_id("nt"), name, "test", {"kind": "test"}, [record], [],
                                                       now, self.links, test=True)
                self._queue(document, name, now, now)
                ids.append(document["notification_id"])
                channels |= {c.id for c in self.sender.channels(name)}
            self.db.flush()
            self.audit.append(by, "alert.test", ",".join(ids), {"routes": routes})
        # Tried now, each on its own: behind a channel's backlog a test would never be tried.
        return self.deliver(now, only=channels, force=True, notifications=set(ids))

    def close(self) -> None:
        with self._lock:
            for record in self.records.values():
                if record.dirty:
                    self.db.put_alert(record, self.clock())
            self.db.close()
        self.audit.close()
