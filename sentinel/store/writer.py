"""Batched, columnar inserts with acknowledgements and a spool for outages.

A batch spans every table (an event, its findings and its TLS record belong to
the same input line), is flushed by row count or age, and is acknowledged once
it is durable: inserted, or written to the spool. Callers hand positions (file
offsets) with their rows and advance checkpoints only from an acknowledgement.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import pyarrow as pa

from sentinel.logs import first_line
from sentinel.metrics import Metrics
from sentinel.store.ddl import DdlContext
from sentinel.store.schema import TABLES_BY_NAME
from sentinel.store.spool import Spool, SpoolEntry

log = logging.getLogger("sentinel.store")

# A spooled batch refused this many times while ClickHouse answers other queries is
# a poison batch (bad data), not an outage.
MAX_REPLAY_FAILURES = 5
# Rows of one insert never repeat (replays are filtered before the writer), so the
# Replacing engines need not collapse each block on insert: this halves insert time.
INSERT_SETTINGS = {"optimize_on_insert": 0}


@dataclass
class Ack:
    """What a flush made durable. `positions` are the caller's, merged (max) per key."""

    rows: dict[str, int] = field(default_factory=dict)
    positions: dict[Any, int] = field(default_factory=dict)
    durable: bool = True
    spooled: bool = False


def arrow_type(ch_type: str) -> pa.DataType:
    base = ch_type.split(" CODEC")[0].split(" DEFAULT")[0].strip()
    if base.startswith("LowCardinality("):
        base = base[len("LowCardinality("):-1]
    if base.startswith("Array("):
        return pa.list_(arrow_type(base[len("Array("):-1]))
    if base.startswith("Map("):
        key, value = _split_args(base[len("Map("):-1])
        return pa.map_(arrow_type(key), arrow_type(value))
    if base.startswith(("DateTime", "Float64")):
        return pa.float64()  # epoch seconds; ClickHouse converts to DateTime64 on insert
    simple = {
        "UInt8": pa.uint8(), "UInt16": pa.uint16(), "UInt32": pa.uint32(), "UInt64": pa.uint64(),
        "Int32": pa.int32(), "Int64": pa.int64(), "Float32": pa.float32(),
    }
    if base in simple:
        return simple[base]
    return pa.string()  # String, FixedString, IPv6 (as text)


def _split_args(args: str) -> tuple[str, str]:
    depth = 0
    for i, ch in enumerate(args):
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            return args[:i].strip(), args[i + 1:].strip()
    raise ValueError(args)


_ip_cache: dict[str, str] = {}


def clean_ip(value: str) -> str:
    """An address ClickHouse's IPv6 type accepts; '::' for empty or malformed input.

    One bad address must not poison a whole batch.
    """
    cached = _ip_cache.get(value)
    if cached is not None:
        return cached
    try:
        cleaned = str(ipaddress.ip_address(value.strip("[]").split("%")[0])) if value else "::"
    except ValueError:
        cleaned = "::"
    if len(_ip_cache) < 100_000:
        _ip_cache[value] = cleaned
    return cleaned


class Batch:
    """Rows waiting for one flush, per table, kept as tuples in a fixed column order."""

    def __init__(self):
        self.rows: dict[str, tuple[tuple[str, ...], list[tuple]]] = {}
        self.columns: dict[str, list[pa.Table]] = {}
        self.positions: dict[Any, int] = {}
        self.count = 0
        self.started = 0.0

    def add_rows(self, table: str, names: tuple[str, ...], rows: list[tuple]) -> None:
        held = self.rows.get(table)
        if held is None or held[0] != names:
            if held is not None and held[1]:
                self.columns.setdefault(table, []).append(to_arrow(table, held[0], held[1]))
            held = self.rows[table] = (names, [])
        held[1].extend(rows)
        self.count += len(rows)

    def add_arrow(self, table: str, data: pa.Table) -> None:
        self.columns.setdefault(table, []).append(data)
        self.count += data.num_rows

    def merge_positions(self, positions: dict[Any, int] | None) -> None:
        for key, value in (positions or {}).items():
            if value > self.positions.get(key, -1):
                self.positions[key] = value

    def tables(self) -> dict[str, pa.Table]:
        out: dict[str, list[pa.Table]] = {t: list(chunks) for t, chunks in self.columns.items()}
        for table, (names, rows) in self.rows.items():
            if rows:
                out.setdefault(table, []).append(to_arrow(table, names, rows))
        return {t: _concat(chunks) for t, chunks in out.items() if chunks}


def _concat(chunks: list[pa.Table]) -> pa.Table:
    if len(chunks) == 1:
        return chunks[0]
    if any(chunk.schema != chunks[0].schema for chunk in chunks):
        chunks = [_plain(chunk) for chunk in chunks]  # dictionary and plain strings do not concatenate
    return pa.concat_tables(chunks, promote_options="default")


def _plain(table: pa.Table) -> pa.Table:
    columns = [column.cast(column.type.value_type) if pa.types.is_dictionary(column.type) else column
               for column in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)


def to_arrow(table: str, names: Sequence[str], rows: list[tuple]) -> pa.Table:
    """Rows (tuples in `names` order) as an Arrow table of the column types of `table`.

    Arrow reads the tuples as one struct array in C++: half the cost of transposing them
    in Python and converting column by column. A value outside its column type fails the
    struct; then each column is converted on its own and the stray values coerced.
    """
    spec = TABLES_BY_NAME[table]
    ch_types = [spec.column_type(name) for name in names]
    if not rows or any(t.startswith("Map(") for t in ch_types):
        return _to_arrow_by_column(table, names, rows)
    struct = pa.struct([pa.field(name, arrow_type(t)) for name, t in zip(names, ch_types)])
    try:
        columns = pa.array(rows, type=struct).flatten()
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        return _to_arrow_by_column(table, names, rows)
    arrays = [_finish(column, ch_type) for column, ch_type in zip(columns, ch_types)]
    return pa.Table.from_arrays(arrays, names=list(names))


def _finish(column: pa.Array, ch_type: str) -> pa.Array:
    if ch_type.startswith("IPv6"):
        # few distinct addresses: clean each once, not once per row
        encoded = column.fill_null("").dictionary_encode()
        cleaned = pa.array([clean_ip(v) for v in encoded.dictionary.to_pylist()], pa.string())
        return cleaned.take(encoded.indices)
    if ch_type.startswith("LowCardinality(String"):
        # ClickHouse reads dictionary arrays straight into LowCardinality: ~15% faster inserts.
        return column.dictionary_encode()
    return column


def _to_arrow_by_column(table: str, names: Sequence[str], rows: list[tuple]) -> pa.Table:
    spec = TABLES_BY_NAME[table]
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    arrays = []
    for name, values in zip(names, columns):
        ch_type = spec.column_type(name)
        if ch_type.startswith("IPv6"):
            values = [clean_ip(v) for v in values]
        elif ch_type.startswith("Map("):
            values = [list(v.items()) if isinstance(v, dict) else v for v in values]
        arrow = arrow_type(ch_type)
        try:
            array = pa.array(values, type=arrow)
            if ch_type.startswith("LowCardinality(String"):
                array = array.dictionary_encode()
            arrays.append(array)
        except (pa.ArrowException, OverflowError, TypeError, ValueError):
            arrays.append(pa.array([_coerce(v, arrow) for v in values], type=arrow))
            log.error("table %s column %s: values outside its type were stored as zero or empty", table, name)
    return pa.Table.from_arrays(arrays, names=list(names))


def _coerce(value, arrow: pa.DataType):
    """One value the column type cannot hold (a negative status, a NaN) becomes its zero:
    the row is kept, which matters more than one broken number in it."""
    try:
        pa.array([value], type=arrow)
        return value
    except (pa.ArrowException, OverflowError, TypeError, ValueError):
        if pa.types.is_integer(arrow) or pa.types.is_floating(arrow):
            return 0
        if pa.types.is_list(arrow) or pa.types.is_map(arrow):
            return []
        return "" if value is None else str(value)


class Writer:
    def __init__(
        self,
        client,
        ctx: DdlContext,
        spool: Spool,
        batch_rows: int = 50_000,
        batch_seconds: float = 1.0,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.client = client
        self.ctx = ctx
        self.spool = spool
        self.batch_rows = batch_rows
        self.batch_seconds = batch_seconds
        self.metrics = metrics
        self.clock = clock
        self._batch = Batch()
        self._replay_failures: dict[int, int] = {}
        self._next_replay = 0.0
        self._backoff = 0.5
        self._update_spool_gauges()

    # -- adding rows -------------------------------------------------------------------
    def add(self, table: str, names: tuple[str, ...], rows: list[tuple],
            positions: dict[Any, int] | None = None) -> list[Ack]:
        """Queue rows (tuples in `names` order); returns acks of any batch this flushed."""
        self._start()
        self._batch.add_rows(table, names, rows)
        self._batch.merge_positions(positions)
        return self._flush_if_full()

    def add_arrow(self, table: str, data: pa.Table, positions: dict[Any, int] | None = None) -> list[Ack]:
        self._start()
        self._batch.add_arrow(table, data)
        self._batch.merge_positions(positions)
        return self._flush_if_full()

    def mark(self, positions: dict[Any, int]) -> None:
        """Attach positions to the current batch without rows (e.g. lines that were all rejected)."""
        self._start()
        self._batch.merge_positions(positions)

    def _start(self) -> None:
        if not self._batch.count and not self._batch.positions:
            self._batch.started = self.clock()

    def _flush_if_full(self) -> list[Ack]:
        return [self.flush()] if self._batch.count >= self.batch_rows else []

    def due(self) -> list[Ack]:
        """Flush the batch if it is old enough, and retry the spool; call this from a loop."""
        acks = []
        if (self._batch.count or self._batch.positions) and self.clock() - self._batch.started >= self.batch_seconds:
            acks.append(self.flush())
        elif len(self.spool) and self.clock() >= self._next_replay:
            self.replay()
        return acks

    @property
    def pending_rows(self) -> int:
        return self._batch.count

    # -- flushing ----------------------------------------------------------------------
    def flush(self) -> Ack:
        batch, self._batch = self._batch, Batch()
        ack = Ack(positions=dict(batch.positions))
        tables = batch.tables()
        spool_first = bool(len(self.spool)) and not self.replay()
        for table in _insert_order(tables):
            data = tables[table]
            ack.rows[table] = data.num_rows
            if not spool_first and self._insert(table, data):
                continue
            spool_first = True  # keep order: once one table spools, the rest of the batch follows
            if self.spool.append(table, data) is None:
                ack.durable = False
                if self.metrics:
                    self.metrics.spool_overflow.labels(table).inc(data.num_rows)
                log.error("spool full (%d bytes): %d %s rows not acknowledged; sources will re-read them",
                          self.spool.bytes, data.num_rows, table)
            else:
                ack.spooled = True
        self._update_spool_gauges()
        return ack

    def _insert(self, table: str, data: pa.Table) -> bool:
        started = time.perf_counter()
        try:
            self.client.insert_arrow(self.ctx.qualified(table), data, settings=INSERT_SETTINGS)
        except Exception as exc:  # any failure: the batch goes to the spool, nothing is dropped
            if self.metrics:
                self.metrics.store_failures.labels(table).inc()
            log.warning("insert into %s failed, spooling %d rows: %s", table, data.num_rows, first_line(exc))
            self._schedule_retry()
            return False
        if self.metrics:
            self.metrics.store_rows.labels(table).inc(data.num_rows)
            self.metrics.store_batch_seconds.labels(table).observe(time.perf_counter() - started)
        return True

    def replay(self) -> bool:
        """Insert spooled batches in order; True when the spool is empty afterwards."""
        self.spool.resync()
        for entry in self.spool.entries():
            # Locked from read to removal: an erasure scrubbing the spool meanwhile waits,
            # and the batch it rewrote or removed is what is read here.
            with self.spool.locked():
                if not entry.path.exists():
                    continue  # an erasure emptied it
                try:
                    data = Spool.read(entry)
                except (OSError, pa.ArrowException) as exc:  # damaged on disk: it would block every later batch
                    target = self.spool.reject(entry)
                    log.error("spooled batch %d for %s cannot be read (%s); moved to %s", entry.seq, entry.table,
                              first_line(exc), target)
                    continue
                inserted = self._insert(entry.table, data)
                if inserted:
                    self.spool.remove(entry)
            if inserted:
                self._replay_failures.pop(entry.seq, None)
                self._backoff = 0.5
                continue
            self._note_replay_failure(entry)
            self._update_spool_gauges()
            return False
        self._update_spool_gauges()
        return True

    def _note_replay_failure(self, entry: SpoolEntry) -> None:
        failures = self._replay_failures.get(entry.seq, 0) + 1
        self._replay_failures[entry.seq] = failures
        if failures >= MAX_REPLAY_FAILURES and self._store_answers():
            target = self.spool.reject(entry)
            self._replay_failures.pop(entry.seq, None)
            if self.metrics:
                self.metrics.spool_rejected.labels(entry.table).inc()
            log.error("ClickHouse refused spooled batch %d for %s %d times while healthy; moved to %s",
                      entry.seq, entry.table, failures, target)

    def _store_answers(self) -> bool:
        try:
            self.client.command("SELECT 1")
            return True
        except Exception:
            return False

    def _schedule_retry(self) -> None:
        self._next_replay = self.clock() + self._backoff
        self._backoff = min(self._backoff * 2, 30.0)

    def _update_spool_gauges(self) -> None:
        if self.metrics:
            self.metrics.spool_bytes.set(self.spool.bytes)
            self.metrics.spool_batches.set(len(self.spool))

    def close(self) -> Ack:
        return self.flush()


def _insert_order(tables: Iterable[str]) -> list[str]:
    # Events first: a finding without its event is worse than an event without findings.
    order = {"events": 0, "tls_handshakes": 1, "findings": 2}
    return sorted(tables, key=lambda t: order.get(t, 3))


