"""The audit log: append-only and hash-chained.

Every entry carries the hash of the one before it, and its own hash covers all its
fields, so an entry altered, removed or inserted in the store breaks the chain at
that entry. `verify()` recomputes the chain and names the first entry that does
not fit. The head of the chain (last seq and hash) is also kept in a small file
beside the store, so removing the newest entries is caught too.

One writer process: seq continues from max(seq) + 1 read at open.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa

from sentinel.config import redact_dsn
from sentinel.store import Store
from sentinel.store.spool import Spool
from sentinel.store.writer import Writer

log = logging.getLogger("sentinel.audit")

GENESIS = "0" * 64
TABLE = "audit_log"
_COLUMNS = ("seq", "ts", "actor", "action", "subject", "details", "prev_hash", "hash")
_SCHEMA = pa.schema([
    ("seq", pa.uint64()),
    ("ts", pa.timestamp("us", tz="UTC")),  # exact microseconds: the hash covers them
    ("actor", pa.string()),
    ("action", pa.string()),
    ("subject", pa.string()),
    ("details", pa.string()),
    ("prev_hash", pa.string()),
    ("hash", pa.string()),
])


class AuditError(Exception):
    """An audit entry could not be made durable."""


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def entry_hash(seq: int, ts_us: int, actor: str, action: str, subject: str, details: str, prev_hash: str) -> str:
    """sha256 over the canonical serialisation of every field before `hash`."""
    payload = canonical_json([seq, ts_us, actor, action, subject, details, prev_hash])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    ts_us: int
    actor: str
    action: str
    subject: str
    details: str  # canonical JSON
    prev_hash: str
    hash: str

    @property
    def ts(self) -> float:
        return self.ts_us / 1e6

    def details_dict(self) -> dict:
        try:
            return json.loads(self.details)
        except ValueError:
            return {}

    def expected_hash(self) -> str:
        return entry_hash(self.seq, self.ts_us, self.actor, self.action, self.subject, self.details, self.prev_hash)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    seq: int | None = None  # the first entry that does not fit
    problem: str = ""
    caveat: str = ""  # what this check could not see

    def __str__(self) -> str:
        if self.ok:
            return f"audit log intact: {self.checked} entries" + (f" ({self.caveat})" if self.caveat else "")
        return f"audit log broken at entry {self.seq}: {self.problem}"


class AuditLog:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time, anchor: Path | None | bool = True):
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        data_dir = store.settings.data_dir
        storage = store.settings.config.storage
        self._writer = Writer(store.client, store.ctx, Spool(data_dir / "spool-audit", storage.spool_max_bytes),
                              batch_rows=1_000_000, batch_seconds=3600)
        self._anchor = (data_dir / "audit.head") if anchor is True else (anchor or None)
        self._where = f"{redact_dsn(store.settings.dsn)}#{store.ctx.database}"  # written to audit.head
        self._writer.replay()  # entries spooled during an outage come before anything new
        rows = store.query(f"SELECT seq, hash FROM {{db}}.{TABLE} ORDER BY seq DESC LIMIT 1").result_rows
        self._seq, self._head = (int(rows[0][0]), rows[0][1]) if rows else (0, GENESIS)

    @property
    def head(self) -> tuple[int, str]:
        return self._seq, self._head

    # -- writing -----------------------------------------------------------------------
    def append(self, actor: str, action: str, subject: str = "", details: dict | None = None) -> AuditEntry:
        """Add an entry and make it durable (inserted, or spooled on disk) before returning."""
        body = canonical_json(details or {})
        with self._lock:
            seq = self._seq + 1
            ts_us = int(round(self.clock() * 1e6))
            digest = entry_hash(seq, ts_us, actor, action, subject, body, self._head)
            entry = AuditEntry(seq, ts_us, actor, action, subject, body, self._head, digest)
            data = pa.Table.from_pylist([{
                "seq": seq, "ts": ts_us, "actor": actor, "action": action, "subject": subject,
                "details": body, "prev_hash": self._head, "hash": digest,
            }], schema=_SCHEMA)
            self._writer.add_arrow(TABLE, data)
            ack = self._writer.flush()
            if not ack.durable:
                raise AuditError(f"audit entry {seq} ({action}) could not be stored or spooled")
            self._seq, self._head = seq, digest
            self._write_anchor()
            return entry

    def record_config(self, settings, actor: str = "sentinel") -> AuditEntry | None:
        """Record a config load, unless the last recorded load had the same digest."""
        rows = self.store.query(
            f"SELECT details FROM {{db}}.{TABLE} WHERE action = 'config.loaded' ORDER BY seq DESC LIMIT 1"
        ).result_rows
        if rows:
            try:
                if json.loads(rows[0][0]).get("digest") == settings.digest:
                    return None
            except ValueError:
                pass
        return self.append(actor, "config.loaded", settings.config_path or "(built-in defaults)",
                           {"digest": settings.digest, "registry": settings.registry_path})

    def _write_anchor(self) -> None:
        if not self._anchor:
            return
        try:
            tmp = self._anchor.with_suffix(".tmp")
            tmp.write_text(canonical_json({"seq": self._seq, "hash": self._head, "store": self._where}))
            os.replace(tmp, self._anchor)
        except OSError as exc:  # the chain in the store is the record; the anchor only guards the tail
            log.warning("cannot update audit head %s: %s", self._anchor, exc.strerror)

    def _read_anchor(self) -> dict | None:
        if not self._anchor:
            return None
        try:
            data = json.loads(self._anchor.read_text())
        except (OSError, ValueError):
            return None
        return data if data.get("store") == self._where else None

    # -- reading -----------------------------------------------------------------------
    def iter_entries(self, page: int = 10_000, upto: int | None = None) -> Iterator[AuditEntry]:
        after = 0
        bound = "" if upto is None else f" AND seq <= {int(upto)}"
        while True:
            rows = self.store.query(
                f"SELECT seq, toUnixTimestamp64Micro(ts), actor, action, subject, details, prev_hash, hash "
                f"FROM {{db}}.{TABLE} WHERE seq > %(after)s{bound} ORDER BY seq LIMIT {int(page)}",
                {"after": after},
            ).result_rows
            for row in rows:
                yield AuditEntry(int(row[0]), int(row[1]), *row[2:])
            if len(rows) < page:
                return
            after = int(rows[-1][0])

    def entries(self, limit: int | None = None) -> list[AuditEntry]:
        """The newest `limit` entries (all when None), oldest first."""
        if limit is None:
            return list(self.iter_entries())
        rows = self.store.query(
            f"SELECT seq, toUnixTimestamp64Micro(ts), actor, action, subject, details, prev_hash, hash "
            f"FROM {{db}}.{TABLE} ORDER BY seq DESC LIMIT {int(limit)}"
        ).result_rows
        return [AuditEntry(int(r[0]), int(r[1]), *r[2:]) for r in reversed(rows)]

    def verify(self) -> Verification:
        """Recompute the chain; name the first entry altered, removed or out of place."""
        # The head as of now, and the chain up to it: in the daemon, entries appended while
        # the chain is read (an alert sent meanwhile) are not a mismatch with the head.
        with self._lock:
            self._writer.replay()
            own = (self._seq, self._head)
            anchor = self._read_anchor()
        upto = max([own[0]] + ([int(anchor["seq"])] if anchor else []))
        expected_seq, prev_hash, checked = 1, GENESIS, 0
        for entry in self.iter_entries(upto=upto):
            if entry.seq < expected_seq:
                return Verification(False, checked, entry.seq, "entry appears more than once (a second chain was "
                                                               "written or a row was copied)")
            if entry.seq > expected_seq:
                missing = expected_seq if entry.seq == expected_seq + 1 else f"{expected_seq}-{entry.seq - 1}"
                return Verification(False, checked, expected_seq,
                                    f"entry {missing} removed: the log jumps from {expected_seq - 1} to {entry.seq}")
            if entry.expected_hash() != entry.hash:
                return Verification(False, checked, entry.seq, "altered: its content no longer matches its hash")
            if entry.prev_hash != prev_hash:
                return Verification(False, checked, entry.seq - 1,
                                    f"altered or replaced: entry {entry.seq} was chained to a different entry "
                                    f"{entry.seq - 1}")
            prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        last = expected_seq - 1
        heads = [own] + ([(int(anchor["seq"]), anchor["hash"])] if anchor else [])
        for seq, digest in heads:
            if seq > last:
                return Verification(False, checked, last + 1,
                                    f"entries {last + 1}-{seq} removed: the chain ended at entry {seq}")
            if seq == last and seq and digest != prev_hash:
                return Verification(False, checked, seq, "altered or replaced: it differs from the recorded head")
        caveat = ""
        if self._anchor and anchor is None and checked:
            caveat = (f"the head file {self._anchor} is missing or names another store: entries removed from the "
                      f"end of the log would not show")
        return Verification(True, checked, caveat=caveat)

    def close(self) -> None:
        with self._lock:
            self._writer.flush()
