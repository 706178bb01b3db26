"""Columnar backfill: a large log file from parse to insert as Arrow columns.

For Squid, nginx combined and Envoy JSON files of fastpath.AUTO_MIN_BYTES or more, the
per-event Python path (Pipeline.add_events) costs more than parsing. Here:

  parse      fastpath.parse_file_arrow() in the store's own chDB (one data path per process),
             CHUNK_LINES lines at a time
  classify   once per distinct (sni, dst_host, dst_ip); per-row columns are dictionary codes
  mask       redact.mask_url_parts_array: the RE2 twins of split_url/path_template/mask_query
  event_id   pipeline.make_event_id in numpy uint64 arithmetic
  detect     the scanner only over rows add_events would scan: a URL with '?' or '@', or a
             path that may hold data (redact.path_may_hold_data_array)
  count      summary and metrics per (source, subprocessor) with one group_by
  insert     Writer.add_arrow in slices of batch_rows (SLICE_ROWS at least), each acknowledged
             slice checkpointed

The rows stored are the ones Pipeline.add_events stores for the same file, column for
column (tests/test_ingest_columnar.py). Policy observers need per-event facts, and replay
filtering needs per-event lookups: with either, the Ingestor keeps the per-event path.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sentinel.collect.logs import fastpath
from sentinel.pipeline import EVENT_COLUMNS, FINDING_COLUMNS, count_events, destination
from sentinel.redact import mask_url_parts_array, mask_user_agent, path_may_hold_data_array
from sentinel.store.schema import TABLES_BY_NAME
from sentinel.store.writer import arrow_type, clean_ip

if TYPE_CHECKING:
    from sentinel.ingest import Ingestor, InputFile

MIN_BYTES = fastpath.AUTO_MIN_BYTES  # below this, starting the SQL costs more than it saves
# Lines parsed per ClickHouse query: peak memory grows by about 1 GB per million lines
# (measured on Squid; mostly chDB's result and its Arrow copy). Each further chunk reads
# the file again up to its lines (reading is ~10% of parsing), so a file of 10M lines
# costs about 1.5x its parse instead of a peak of 10 GB.
CHUNK_LINES = 1_000_000
# Rows per insert at least: Arrow slices are compact and the file's table is in memory
# already, and fewer, larger parts leave chDB fewer merges (bench/store.py on one core:
# 100k-row inserts ~450k rows/s, 250k-row inserts ~630k rows/s).
SLICE_ROWS = 250_000


def _event_field(name: str) -> pa.Field:
    ch_type = TABLES_BY_NAME["events"].column_type(name)
    value_type = arrow_type(ch_type)
    if ch_type.startswith("LowCardinality("):
        # dictionary arrays: chDB builds LowCardinality from them without hashing every
        # string, and the Arrow buffer handed to it is a third smaller
        return pa.field(name, pa.dictionary(pa.int32(), value_type))
    return pa.field(name, value_type)


EVENT_SCHEMA = pa.schema([_event_field(name) for name in EVENT_COLUMNS])


def eligible(ingestor: Ingestor, item: InputFile, family: str) -> bool:
    """Whether this file takes the columnar path (else Pipeline.add_events, event by event)."""
    pipeline = ingestor.pipeline
    if family not in fastpath.FAST_FAMILIES or item.size < MIN_BYTES:
        return False
    if pipeline.observers or pipeline.replay_check_rows > 0:
        return False
    if not fastpath._fast_supported(family, dict(ingestor.log_options or {})):
        return False
    client = getattr(pipeline.writer, "client", None)
    if client is None or "chdb" not in type(client).__module__.lower():
        return False  # file() reads the server's disk: only embedded chDB sees our file
    with open(item.path, "rb") as handle:
        return handle.read(2) != b"\x1f\x8b"  # gzip: parse_file_arrow would parse it in Python


def ingest_file(ingestor: Ingestor, item: InputFile, key: tuple, origin: str, start: int, family: str) -> None:
    """Parse, classify, mask and queue a file chunk by chunk; checkpoints advance from the writer's acks."""
    writer = ingestor.pipeline.writer
    row, offset, reported = 0, 0, 0
    while True:
        result = fastpath.parse_file_arrow(item.path, family, ingestor.log_options, engine="clickhouse",
                                           client=writer.client, rows=(row, row + CHUNK_LINES), first_offset=offset)
        end = item.size if result.next_row is None else result.next_offset
        reported = _ingest_chunk(ingestor, item, key, origin, start, family, result, end, reported)
        if result.next_row is None:
            return
        row, offset = result.next_row, result.next_offset


def _ingest_chunk(ingestor: Ingestor, item: InputFile, key: tuple, origin: str, start: int, family: str,
                  result: fastpath.FastResult, end: int, reported: int) -> int:
    """Queue one parsed chunk whose lines end at byte `end`; returns the bytes reported as done."""
    pipeline = ingestor.pipeline
    writer = pipeline.writer
    pipeline.summary.skipped.update(result.skipped)
    if end <= start:  # read before a crash: the checkpoint is past this chunk already
        ingestor.on_progress(end - reported)
        return end
    table = result.table
    if start > 0:
        table = table.filter(pc.greater_equal(table.column("offset"), start))
    for offset, error in result.errors:
        if offset >= start:
            ingestor._quarantine(item, family, origin, offset, error)
    n = table.num_rows
    if not n:
        writer.mark({key: end})
        ingestor._commit([])
        ingestor.on_progress(end - reported)
        return end
    # The writer's batch concatenates what it holds: per-event rows (plain strings) and these
    # dictionary columns must not meet in one batch, so it starts and ends empty of events.
    if writer.pending_rows:
        ingestor.flush()
    offsets = table.column("offset").to_numpy()
    slices = record_slices(offsets, max(int(writer.batch_rows), SLICE_ROWS))
    # The next slice's columns are built (Arrow compute, GIL released) while this one is
    # inserted (chDB, GIL released): on two cores the two overlap.
    with ThreadPoolExecutor(1, thread_name_prefix="columnar-build") as pool:
        def build(i: int):
            begin, stop = slices[i]
            return pool.submit(build_events, pipeline, table.slice(begin, stop - begin), origin)

        built = build(0)
        for i, (_, stop) in enumerate(slices):
            events, finding_rows = built.result()
            if i + 1 < len(slices):
                built = build(i + 1)
            if finding_rows:  # flushed with these events (events are inserted first)
                ingestor._commit(writer.add("findings", FINDING_COLUMNS, finding_rows))
            # like the per-event path: a slice checkpoints at its last record, the chunk's end at the end
            position = end if stop == n else int(offsets[stop - 1])
            ingestor._commit(writer.add_arrow("events", events, {key: position}))
            if stop == n and writer.pending_rows:
                ingestor.flush()
            done = min(position, item.size)
            ingestor.on_progress(done - reported)
            reported = done
    return reported


def record_slices(offsets: np.ndarray, rows: int) -> list[tuple[int, int]]:
    """[begin, stop) ranges of about `rows` rows that never part the events of one
    record (same offset): an event's id counts its place within its record."""
    n = len(offsets)
    slices, begin = [], 0
    while begin < n:
        stop = min(begin + rows, n)
        if stop < n and offsets[stop] == offsets[stop - 1]:
            stop = int(np.searchsorted(offsets, offsets[stop - 1], side="right"))
        slices.append((begin, stop))
        begin = stop
    return slices


# -- the columns ---------------------------------------------------------------------------
def _seed(origin: str) -> int:
    return int.from_bytes(hashlib.blake2b(origin.encode(), digest_size=8).digest(), "big")


def event_ids(origin: str, offsets: np.ndarray, index: np.ndarray | None = None) -> np.ndarray:
    """pipeline.make_event_id(origin, offset, index) for arrays of offsets (and indexes), bit for bit."""
    z = np.asarray(offsets).astype(np.uint64) << np.uint64(8)
    if index is not None:
        z |= np.asarray(index).astype(np.uint64) & np.uint64(0xFF)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps modulo 2**64, like the & _MASK64
        z = np.uint64(_seed(origin)) + z * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _index_at_offset(offsets: np.ndarray) -> np.ndarray:
    """n-th event of the same record (offsets are sorted): 0 unless a record held several."""
    n = len(offsets)
    if n < 2 or (offsets[1:] != offsets[:-1]).all():
        return np.zeros(n, np.int64)
    new_run = np.ones(n, bool)
    new_run[1:] = offsets[1:] != offsets[:-1]
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(n), 0))
    return np.arange(n) - run_start


def _encoded(table: pa.Table, name: str) -> pa.DictionaryArray:
    """A string column dictionary-encoded (one dictionary for all chunks, no string copied)."""
    column = table.column(name)
    if column.null_count:
        column = column.fill_null("")
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        if encoded.num_chunks == 0:
            return pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
        encoded = encoded.combine_chunks() if encoded.num_chunks > 1 else encoded.chunk(0)
    return encoded


def _from_values(values: list[str], codes: np.ndarray) -> pa.DictionaryArray:
    """values[codes] as a dictionary array; `values` may repeat (the dictionary does not)."""
    slots: dict[str, int] = {}
    remap = np.fromiter((slots.setdefault(v, len(slots)) for v in values), np.int32, len(values))
    return pa.DictionaryArray.from_arrays(pa.array(remap[codes] if len(remap) else codes.astype(np.int32)),
                                          pa.array(list(slots), pa.string()))


def _constant(value: str, n: int) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value], pa.string()))


def _map_dictionary(encoded: pa.DictionaryArray, fn) -> pa.DictionaryArray:
    """fn(str) -> str applied to the distinct values only."""
    return _from_values([fn(v) for v in encoded.dictionary.to_pylist()], np.asarray(encoded.indices))


def _codes(encoded: pa.DictionaryArray) -> np.ndarray:
    return np.asarray(encoded.indices, np.int64)


class _Key:
    """What Pipeline.classify reads from an event."""

    __slots__ = ("dst_host", "dst_ip", "sni")

    def __init__(self, sni: str, dst_host: str, dst_ip: str):
        self.sni, self.dst_host, self.dst_ip = sni, dst_host, dst_ip


def build_events(pipeline, table: pa.Table, origin: str) -> tuple[pa.Table, list[tuple]]:
    """The events table (EVENT_COLUMNS, writer types) for a fastpath table; also finding rows,
    and counts into the summary and metrics, exactly as Pipeline.add_events would."""
    n = table.num_rows
    if not n:
        return EVENT_SCHEMA.empty_table(), []
    offsets = table.column("offset").to_numpy()
    ids = event_ids(origin, offsets, _index_at_offset(offsets))
    sni, dst_host, dst_ip = (_encoded(table, c) for c in ("sni", "dst_host", "dst_ip"))

    # classify once per distinct (sni, dst_host, dst_ip)
    s_values, h_values, i_values = (a.dictionary.to_pylist() for a in (sni, dst_host, dst_ip))
    n_hosts, n_ips = max(len(h_values), 1), max(len(i_values), 1)
    pair = pc.dictionary_encode(pa.array(_codes(sni) * n_hosts + _codes(dst_host)))
    triple = pc.dictionary_encode(pa.array(np.asarray(pair.indices, np.int64) * n_ips + _codes(dst_ip)))
    which = np.asarray(triple.indices, np.int64)
    pair_of, ip_of = np.divmod(np.asarray(triple.dictionary, np.int64), n_ips)
    sni_of, host_of = np.divmod(np.asarray(pair.dictionary, np.int64)[pair_of], n_hosts)
    keys = [(s_values[s], h_values[h], i_values[i]) for s, h, i in zip(sni_of.tolist(), host_of.tolist(),
                                                                       ip_of.tolist())]
    matches = [pipeline.classify(_Key(*key)) for key in keys]
    subprocessor = _from_values([m.subprocessor for m in matches], which)
    source = _encoded(table, "source")
    _tally(pipeline, source, subprocessor, table.column("bytes_out"), matches, [k[2] for k in keys], which)

    findings = np.zeros(n, np.uint16)
    finding_rows: list[tuple] = []
    url = table.column("url")
    url = (url.combine_chunks() if url.num_chunks != 1 else url.chunk(0)) if url.num_chunks else pa.array([""] * n)
    if url.null_count:
        url = url.fill_null("")
    raw_path, path, query = mask_url_parts_array(url)
    if pipeline.scan_urls:
        findings, finding_rows, hidden = _scan(pipeline, table, url, path_may_hold_data_array(raw_path, path), ids,
                                               matches, which)
        if hidden:  # paths a detector found a value in, as add_events stores them
            where = np.zeros(n, bool)
            where[list(hidden)] = True
            path = pc.replace_with_mask(path, pa.array(where), pa.array(list(hidden.values()), path.type))
    columns = {
        "event_id": pa.array(ids, pa.uint64()),
        "ts": table.column("ts"),
        "source": source,
        "src_ip": _map_dictionary(_encoded(table, "src_ip"), clean_ip).dictionary_decode(),
        "src_host": _encoded(table, "src_host"),
        # ev.dst_host or match.host, destination(match): per distinct triple
        "dst_host": _from_values([k[1] or m.host for k, m in zip(keys, matches)], which),
        "dst_ip": _map_dictionary(dst_ip, clean_ip).dictionary_decode(),
        "dst_port": table.column("dst_port"),
        "registrable_domain": _from_values([destination(m) for m in matches], which),
        "subprocessor": subprocessor,
        "method": _encoded(table, "method"),
        "scheme": _encoded(table, "scheme"),
        "path": path,
        "query": query,
        "status": table.column("status"),
        "bytes_out": table.column("bytes_out"),
        "bytes_in": table.column("bytes_in"),
        "duration_ms": table.column("duration_ms"),
        "http_version": _encoded(table, "http_version"),
        "tls_version": _encoded(table, "tls_version"),
        "tls_cipher": _encoded(table, "tls_cipher"),
        "sni": sni,
        "user_agent": _map_dictionary(_encoded(table, "user_agent"), mask_user_agent),  # per distinct agent
        "action": _encoded(table, "action"),
        "findings": pa.array(findings, pa.uint16()),
        "origin": _constant(origin, n),
        "offset": table.column("offset"),
        "inspected": _constant("url" if pipeline.scan_urls else "none", n),  # as Pipeline.event_row says
    }
    arrays = []
    for field in EVENT_SCHEMA:
        column = columns[field.name]
        if column.type != field.type:
            # dictionaries are built above with int32 indices and string values; numbers:
            # a checked cast (an out-of-range value fails as pa.array() does in to_arrow),
            # float64 -> float32 rounds like pa.array(floats, pa.float32())
            column = pc.cast(column, field.type, safe=not pa.types.is_floating(field.type))
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=EVENT_SCHEMA), finding_rows


def _tally(pipeline, source: pa.DictionaryArray, subprocessor: pa.DictionaryArray, bytes_out, matches: list,
           ips: list[str], which: np.ndarray) -> None:
    """pipeline.Tally for a whole table: per (source, subprocessor) counts and bytes, unknowns."""
    summary, metrics = pipeline.summary, pipeline.metrics
    grouped = (pa.table({"s": source.indices, "p": subprocessor.indices, "bytes_out": bytes_out})
               .group_by(["s", "p"], use_threads=False)
               .aggregate([("bytes_out", "count"), ("bytes_out", "sum")]))
    sources, subs = source.dictionary.to_pylist(), subprocessor.dictionary.to_pylist()
    for s, p, events, nbytes in zip(*(grouped.column(c).to_pylist() for c in ("s", "p", "bytes_out_count",
                                                                                "bytes_out_sum"))):
        count_events(summary, metrics, sources[s], subs[p], events, nbytes or 0)
    counts = np.bincount(which, minlength=len(matches))
    for match, ip, count in zip(matches, ips, counts.tolist()):
        if count and not match.subprocessor:
            summary.unknown_destinations[destination(match) or ip or "(no destination)"] += count


def _scan(pipeline, table: pa.Table, url: pa.Array, path_may_hold_data: np.ndarray, ids: np.ndarray, matches: list,
          which: np.ndarray) -> tuple[np.ndarray, list[tuple], dict[int, str]]:
    """The detectors over the rows add_events would scan (a URL with '?' or '@', or a path
    that may hold data), row by row; also {row: path template with the found values hidden}."""
    n = table.num_rows
    findings = np.zeros(n, np.uint16)
    query_or_user = np.asarray(pc.or_(pc.match_substring(url, "?"), pc.match_substring(url, "@")), bool)
    rows = np.flatnonzero(query_or_user | path_may_hold_data)
    finding_rows: list[tuple] = []
    hidden: dict[int, str] = {}
    if not len(rows):
        return findings, finding_rows, hidden
    take = pa.array(rows)
    subset = table.select(["ts", "source", "dst_host", "method"]).take(take)
    urls = url.take(take).to_pylist()
    ts, source, host, method = (subset.column(c).to_pylist() for c in ("ts", "source", "dst_host", "method"))
    for j, row in enumerate(rows.tolist()):
        origin = SimpleNamespace(ts=ts[j], source=source[j], dst_host=host[j] or "")
        found, template = pipeline._scan(method[j] or "", urls[j], [], b"", "", origin, matches[which[row]],
                                         int(ids[row]), finding_rows)
        findings[row] = len(found)
        if template:  # a value found in the path, hidden
            hidden[row] = template
    return findings, finding_rows, hidden
