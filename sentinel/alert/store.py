"""Alert state in ClickHouse: alerts, groups, outbox, silences and acknowledgements.

Each change is a new row with a higher `version` (ReplacingMergeTree), read back
with FINAL. Writes go through a Writer with its own spool, so a change is
durable (inserted, or on disk until ClickHouse is back) before it is acted on.
"""

from __future__ import annotations

import json
import threading
import time

from sentinel.alert.grouping import Group
from sentinel.alert.model import FIRING, RESOLVED, AlertRecord, Severity
from sentinel.alert.outbox import PENDING, OutboxItem
from sentinel.alert.silences import Ack, Matcher, Silence
from sentinel.store import Store
from sentinel.store.schema import TABLES_BY_NAME
from sentinel.store.spool import Spool
from sentinel.store.writer import Writer

ALERT_COLUMNS = (
    "alert_id", "fingerprint", "version", "ts", "first_seen", "last_seen", "kind", "severity", "status",
    "subprocessor", "category", "title", "summary", "labels", "evidence", "group_key", "occurrences", "policy",
    "raised_at", "ends_at", "resolved_at", "resolve_after",
)
GROUP_COLUMNS = ("group_key", "version", "updated_at", "created_at", "labels", "next_flush_at", "members", "routes",
                 "active")
OUTBOX_COLUMNS = (
    "notification_id", "channel", "version", "created_at", "updated_at", "state", "attempts", "next_attempt_at",
    "alert_ids", "group_key", "severity", "title", "body", "last_error", "route", "raised_at", "delivered_at",
)
SILENCE_COLUMNS = ("silence_id", "version", "created_at", "created_by", "reason", "matchers", "starts_at", "ends_at",
                   "approved_by", "approved_at")
ACK_COLUMNS = ("ack_id", "version", "alert_id", "fingerprint", "created_at", "created_by", "reason", "approved_by",
               "approved_at")


class AlertStoreError(Exception):
    """Alert state could not be made durable (ClickHouse away and the spool full)."""


_last_version = 0
_version_lock = threading.Lock()


def next_version() -> int:
    """Strictly increasing across the process, and across restarts (microseconds of wall time)."""
    global _last_version
    with _version_lock:
        _last_version = max(_last_version + 1, time.time_ns() // 1000)
        return _last_version


def _select(table: str, columns: tuple[str, ...]) -> str:
    spec = TABLES_BY_NAME[table]
    parts = []
    for name in columns:
        if spec.column_type(name).startswith("DateTime"):
            parts.append(f"toUnixTimestamp64Milli(`{name}`) / 1000.0 AS `{name}`")
        else:
            parts.append(f"`{name}`")
    return ", ".join(parts)


class AlertStore:
    def __init__(self, store: Store):
        self.store = store
        storage = store.settings.config.storage
        spool = Spool(store.settings.data_dir / "spool-alerts", storage.spool_max_bytes)
        # Flushed explicitly after each change; the thresholds only keep it from flushing on its own.
        self.writer = Writer(store.client, store.ctx, spool, batch_rows=1_000_000, batch_seconds=3600)
        self._lock = threading.Lock()
        self.writer.replay()  # changes spooled before a restart come before anything read now

    # -- writing ---------------------------------------------------------------------------
    def put_alert(self, r: AlertRecord, now: float) -> None:
        r.version = next_version()
        row = (r.alert_id, r.fingerprint, r.version, now, r.first_seen, r.last_seen, r.kind, r.severity.label,
               r.stored_status, r.subprocessor, r.category, r.title, r.summary, dict(r.identity),
               json.dumps(r.evidence, sort_keys=True), r.group_key, r.occurrences, r.policy, r.raised_at,
               r.ends_at, r.resolved_at, r.resolve_after)
        self._add("alerts", ALERT_COLUMNS, row)
        r.dirty = False

    def put_group(self, g: Group, now: float, active: bool = True) -> None:
        g.version = next_version()
        row = (g.key, g.version, now, g.created_at, dict(g.labels), g.next_flush_at, sorted(g.members),
               g.routes_json(), 1 if active else 0)
        self._add("alert_groups", GROUP_COLUMNS, row)

    def put_outbox(self, i: OutboxItem) -> None:
        i.version = next_version()
        row = (i.notification_id, i.channel, i.version, i.created_at, i.updated_at or i.created_at, i.state,
               i.attempts, i.next_attempt_at, list(i.alert_ids), i.group_key, i.severity, i.title, i.body,
               i.last_error, i.route, i.raised_at, i.delivered_at)
        self._add("alert_outbox", OUTBOX_COLUMNS, row)

    def put_silence(self, s: Silence) -> None:
        s.version = next_version()
        matchers = json.dumps([[m.key, m.op, m.value] for m in s.matchers])
        row = (s.silence_id, s.version, s.created_at, s.created_by, s.reason, matchers, s.starts_at, s.ends_at,
               s.approved_by, s.approved_at)
        self._add("alert_silences", SILENCE_COLUMNS, row)

    def put_ack(self, a: Ack) -> None:
        a.version = next_version()
        row = (a.ack_id, a.version, a.alert_id, a.fingerprint, a.created_at, a.created_by, a.reason, a.approved_by,
               a.approved_at)
        self._add("alert_acks", ACK_COLUMNS, row)

    def _add(self, table: str, columns: tuple[str, ...], row: tuple) -> None:
        with self._lock:
            self.writer.add(table, columns, [row])

    def flush(self) -> bool:
        """Make queued changes durable; True when they reached ClickHouse (False: spooled)."""
        with self._lock:
            if not self.writer.pending_rows and not len(self.writer.spool):
                return True
            ack = self.writer.flush()
        if not ack.durable:
            raise AlertStoreError("alert state could not be stored or spooled (spool full)")
        return not ack.spooled

    def retry_spool(self) -> None:
        with self._lock:
            if len(self.writer.spool):
                self.writer.replay()

    # -- reading ---------------------------------------------------------------------------
    def _rows(self, table: str, columns: tuple[str, ...], where: str = "", params: dict | None = None,
              tail: str = "") -> list[dict]:
        sql = f"SELECT {_select(table, columns)} FROM {{db}}.`{table}` FINAL"
        if where:
            sql += f" WHERE {where}"
        if tail:
            sql += f" {tail}"
        return [dict(zip(columns, row)) for row in self.store.query(sql, params).result_rows]

    def load_groups(self) -> list[Group]:
        groups = []
        for row in self._rows("alert_groups", GROUP_COLUMNS, "active = 1"):
            groups.append(Group(row["group_key"], dict(row["labels"]), row["created_at"], row["next_flush_at"],
                                set(row["members"]), Group.routes_from_json(row["routes"]), row["version"]))
        return groups

    def load_alerts(self, fingerprints: list[str]) -> list[AlertRecord]:
        """Alerts still firing, and the latest record of each fingerprint asked for."""
        rows = self._rows(
            "alerts", ALERT_COLUMNS, "status != %(resolved)s OR has(%(fps)s, fingerprint)",
            {"resolved": RESOLVED, "fps": fingerprints},
            "ORDER BY fingerprint, status = %(resolved)s, raised_at DESC LIMIT 1 BY fingerprint")
        return [self._record(row) for row in rows]

    def alerts(self, status: str = "all", limit: int = 1000) -> list[AlertRecord]:
        where = {"firing": "status != 'resolved'", "resolved": "status = 'resolved'"}.get(status, "")
        rows = self._rows("alerts", ALERT_COLUMNS, where, None, f"ORDER BY raised_at DESC LIMIT {int(limit)}")
        return [self._record(row) for row in rows]

    def alert(self, alert_id: str) -> AlertRecord | None:
        rows = self._rows("alerts", ALERT_COLUMNS, "alert_id = %(id)s", {"id": alert_id})
        return self._record(rows[0]) if rows else None

    @staticmethod
    def _record(row: dict) -> AlertRecord:
        try:
            evidence = json.loads(row["evidence"] or "{}")
        except ValueError:
            evidence = {}
        status = row["status"]
        return AlertRecord(
            alert_id=row["alert_id"], fingerprint=row["fingerprint"], group_key=row["group_key"], kind=row["kind"],
            severity=Severity.parse(row["severity"]), title=row["title"], identity=dict(row["labels"]),
            policy=row["policy"], summary=row["summary"], evidence=evidence,
            status=RESOLVED if status == RESOLVED else FIRING, stored_status=status, raised_at=row["raised_at"],
            first_seen=row["first_seen"], last_seen=row["last_seen"], occurrences=int(row["occurrences"]),
            ends_at=row["ends_at"], resolve_after=row["resolve_after"], resolved_at=row["resolved_at"],
            version=int(row["version"]),
        )

    def load_pending_outbox(self) -> list[OutboxItem]:
        rows = self._rows("alert_outbox", OUTBOX_COLUMNS, "state = %(state)s", {"state": PENDING},
                          "ORDER BY created_at")
        return [self._item(row) for row in rows]

    def outbox(self, limit: int = 1000) -> list[OutboxItem]:
        rows = self._rows("alert_outbox", OUTBOX_COLUMNS, "", None, f"ORDER BY created_at DESC LIMIT {int(limit)}")
        return [self._item(row) for row in rows]

    @staticmethod
    def _item(row: dict) -> OutboxItem:
        return OutboxItem(
            notification_id=row["notification_id"], channel=row["channel"], route=row["route"],
            created_at=row["created_at"], raised_at=row["raised_at"], group_key=row["group_key"],
            severity=row["severity"], title=row["title"], body=row["body"], alert_ids=list(row["alert_ids"]),
            state=row["state"], attempts=int(row["attempts"]), next_attempt_at=row["next_attempt_at"],
            updated_at=row["updated_at"], delivered_at=row["delivered_at"], last_error=row["last_error"],
            version=int(row["version"]),
        )

    def silences(self, since: float | None = None) -> list[Silence]:
        where, params = ("ends_at > toDateTime64(%(since)s, 3, 'UTC')", {"since": since}) if since is not None \
            else ("", None)
        rows = self._rows("alert_silences", SILENCE_COLUMNS, where, params, "ORDER BY created_at")
        out = []
        for row in rows:
            matchers = [Matcher(k, op, v) for k, op, v in json.loads(row["matchers"] or "[]")]
            out.append(Silence(row["silence_id"], matchers, row["created_by"], row["reason"], row["created_at"],
                               row["starts_at"], row["ends_at"], row["approved_by"], row["approved_at"],
                               int(row["version"])))
        return out

    def acks(self, alert_ids: list[str] | None = None) -> list[Ack]:
        where, params = ("has(%(ids)s, alert_id)", {"ids": alert_ids}) if alert_ids is not None else ("", None)
        rows = self._rows("alert_acks", ACK_COLUMNS, where, params, "ORDER BY created_at")
        return [Ack(row["ack_id"], row["alert_id"], row["fingerprint"], row["created_by"], row["reason"],
                    row["created_at"], row["approved_by"], row["approved_at"], int(row["version"])) for row in rows]

    def close(self) -> None:
        try:
            self.flush()
        except AlertStoreError:
            pass
