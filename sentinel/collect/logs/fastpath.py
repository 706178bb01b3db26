"""Backfill fast path: ClickHouse (embedded chDB) parses a whole log file into a
pyarrow Table of event columns, for Squid, nginx combined and Envoy JSON.

Each line is read with `LineAsString`; a strict whole-line check (RE2 without capture
groups, so it runs as a DFA) decides whether the line is in the subset on which the SQL
below gives exactly what the Python parser gives: plain ASCII separators, absolute
http(s) URLs without userinfo or IPv6 literals, canonical Envoy JSON types, valid UTF-8
and the like. Every other line (and blank lines, '\\r\\n' endings, the BOM line) is handed
to the Python parser with its byte offset, so it becomes an event or gets its reject
reason: nothing is lost, and the result equals parse_file() row for row (tests check).

Unsupported inputs (other families, gzip, options the SQL does not implement) go
through parse_file() entirely; the result has the same shape.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from operator import attrgetter
from os import PathLike, fspath
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sentinel.collect.logs import detect_format, iter_records, make_parser, open_log, parse_file, read_head
from sentinel.collect.logs import _run  # same loop as parse_file, so fallbacks match exactly
from sentinel.collect.logs.records import MAX_RECORD_CHARS, _depth_delta
from sentinel.collect.logs.base import _TLS_NAMES, EVENT_FIELDS, TLS_PORTS, ParseError
from sentinel.model import EgressEvent

SCHEMA = pa.schema(
    [("offset", pa.int64()), ("ts", pa.float64()), ("source", pa.string()), ("src_ip", pa.string()),
     ("src_host", pa.string()), ("dst_host", pa.string()), ("dst_ip", pa.string()), ("dst_port", pa.int64()),
     ("method", pa.string()), ("scheme", pa.string()), ("url", pa.string()), ("status", pa.int64()),
     ("bytes_out", pa.int64()), ("bytes_in", pa.int64()), ("duration_ms", pa.float64()),
     ("tls_version", pa.string()), ("tls_cipher", pa.string()), ("sni", pa.string()),
     ("user_agent", pa.string()), ("http_version", pa.string()), ("action", pa.string())]
)  # fmt: skip
if tuple(SCHEMA.names[1:]) != EVENT_FIELDS:
    raise RuntimeError("fastpath.SCHEMA no longer matches EgressEvent: update it")
FAST_FAMILIES = ("squid", "nginx", "envoy")  # the SQL exists for these
# engine="auto" uses it where it beat Python at producing the same table (bench/parse_logs.py,
# CPU seconds per 1M lines: squid 3.3 vs 10.5, nginx 2.2 vs 11.3, envoy JSON 9.2 vs 14.7).
AUTO_FAMILIES = FAST_FAMILIES
# Starting chDB and planning the query costs ~0.3 s: below this size Python is quicker.
AUTO_MIN_BYTES = 8 << 20


@dataclass
class FastResult:
    table: pa.Table  # events, SCHEMA, sorted by offset
    errors: list[tuple[int, ParseError]] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)
    fast_lines: int = 0  # lines ClickHouse turned into events
    fallback_lines: int = 0  # lines handed to the Python parser
    engine: str = "python"  # which engine produced the bulk of the table
    note: str = ""  # why ClickHouse was not used, when it was asked for
    # With rows=(first, last): where the next chunk starts (line number and byte offset);
    # None when this chunk reached the end of the file.
    next_row: int | None = None
    next_offset: int = 0


def _q(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


_TLS_PORTS_SQL = "(" + ",".join(str(p) for p in sorted(TLS_PORTS)) + ")"
_DEFAULT_PORT_SQL = "multiIf({s}='http',80,{s}='https',443,{s}='ws',80,{s}='wss',443,{s}='ftp',21,{s}='tls',443,0)"
_IPISH = "(position({x}, ':') > 0 OR match({x}, '^[0-9.]*[0-9][0-9.]*$'))"

# Absolute URL the SQL splits like base.split_url: no userinfo, no [v6], no '?' or '#'
# before the path, port of at most 5 digits.
_ABS_URL = r"[a-zA-Z][a-zA-Z0-9+.\-]*://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:/[!-~]*)?"
_AUTHORITY = r"[A-Za-z0-9.\-]+:[0-9]{1,5}"


def _url_columns(u: str) -> str:
    """SQL aliases scheme_, host_, port_, path_ for an _ABS_URL or _AUTHORITY string."""
    return f"""
    position({u}, '://') AS sep_,
    if(sep_ > 0, lower(substring({u}, 1, sep_ - 1)), '') AS uscheme_,
    if(sep_ > 0, substring({u}, sep_ + 3), {u}) AS rest_,
    position(rest_, '/') AS slash_,
    if(slash_ > 0, substring(rest_, 1, slash_ - 1), rest_) AS auth_,
    if(slash_ > 0, substring(rest_, slash_), '/') AS upath_,
    position(auth_, ':') AS colon_,
    trim(TRAILING '.' FROM lower(if(colon_ > 0, substring(auth_, 1, colon_ - 1), auth_))) AS uhost_,
    if(colon_ > 0, toInt64OrZero(substring(auth_, colon_ + 1)), -1) AS uport_
    """


def _squid_sql(path: str) -> str:
    line_re = (
        r"^[0-9]{9,10}\.[0-9]{1,6} +[0-9]{1,9} +[!-~]+ +[A-Z_]{1,40}/[0-9]{3} +[0-9]{1,15} +[A-Z]{1,20} +"
        rf"(?:{_ABS_URL}|{_AUTHORITY}) +[!-~]+ +[!-~]+ +[!-~]+$"
    )
    return f"""
    SELECT _row_number AS rn, length(line) AS len_,
      match(line, {_q(line_re)}) AS m_,
      splitByWhitespace(line) AS f,  -- runs of spaces are one separator, like str.split()
      f[6] AS method_, f[7] AS u_,
      {_url_columns('u_')},
      m_ AND method_ != 'NONE' AND NOT startsWith(u_, 'error:') AND ((method_ = 'CONNECT') = (sep_ = 0)) AS ok,
      toFloat64OrZero(f[1]) AS ts,
      f[3] AS client_,
      {_IPISH.format(x='client_')} AS client_ip_,
      if(client_ip_, client_, '') AS src_ip,
      if(client_ip_, '', lower(client_)) AS src_host,
      uhost_ AS dst_host,
      substring(f[9], position(f[9], '/') + 1) AS peer_,
      if(position(f[9], '/') > 0 AND {_IPISH.format(x='peer_')}, peer_, '') AS dst_ip,
      if(method_ = 'CONNECT', uport_, if(uport_ >= 0, uport_, {_DEFAULT_PORT_SQL.format(s='uscheme_')})) AS dst_port,
      method_ AS method,
      if(method_ = 'CONNECT', if(dst_port IN {_TLS_PORTS_SQL}, 'tls', 'tcp'), uscheme_) AS scheme,
      if(method_ = 'CONNECT', '', upath_) AS url,
      toInt64OrZero(splitByChar('/', f[4])[2]) AS status,
      toInt64(0) AS bytes_out,
      toInt64OrZero(f[5]) AS bytes_in,
      toFloat64OrZero(f[2]) AS duration_ms,
      '' AS tls_version, '' AS tls_cipher, '' AS sni, '' AS user_agent, '' AS http_version,
      splitByChar('/', f[4])[1] AS action
    FROM file({_q(path)}, 'LineAsString')
    """


_MONTHS_SQL = "['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec']"


def _nginx_sql(path: str, default_host: str, default_port: int) -> str:
    q = r'"[^"\\]*"'
    line_re = (
        r"^[!#-~]+ [!#-~]+ [!#-~]+ \[[0-9]{2}/(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/"
        r"(?:19[7-9][0-9]|20[0-9][0-9]|21[0-4][0-9]):[0-9]{2}:[0-9]{2}:[0-9]{2} [+\-][0-9]{4}\] "
        r'"[A-Z]{1,20} /[!#-~]* HTTP/[0-9]\.[0-9]" [0-9]{3} (?:[0-9]{1,15}|-) '
        + q + " " + q + "(?: " + q + ")?$"
    )
    return f"""
    SELECT _row_number AS rn, length(line) AS len_,
      match(line, {_q(line_re)}) AND isValidUTF8(line) AND position(line, '\\\\') = 0 AND NOT startsWith(line, '{{') AS ok,
      splitByChar('"', line) AS p_,
      splitByChar(' ', p_[1]) AS pre_,
      pre_[4] AS tl_,
      toInt64OrZero(substring(tl_, 2, 2)) AS day_,
      indexOf({_MONTHS_SQL}, substring(tl_, 5, 3)) AS mon_,
      toInt64OrZero(substring(tl_, 9, 4)) AS year_,
      toInt64OrZero(substring(tl_, 14, 2)) AS hh_, toInt64OrZero(substring(tl_, 17, 2)) AS mi_,
      toInt64OrZero(substring(tl_, 20, 2)) AS ss_,
      pre_[5] AS tz_,
      (toInt64OrZero(substring(tz_, 2, 2)) * 3600 + toInt64OrZero(substring(tz_, 4, 2)) * 60)
        * if(startsWith(tz_, '-'), -1, 1) AS off_,
      toFloat64(
        (toInt64(toUInt16(makeDate(if(ok, year_, 1970), if(ok, mon_, 1), 1))) + day_ - 1) * 86400
        + hh_ * 3600 + mi_ * 60 + ss_ - off_) AS ts,
      pre_[1] AS src_ip, '' AS src_host,
      {_q(default_host)} AS dst_host, '' AS dst_ip, toInt64({int(default_port)}) AS dst_port,
      splitByChar(' ', p_[2]) AS req_,
      req_[1] AS method, '' AS scheme,
      req_[2] AS url,
      splitByChar(' ', trimBoth(p_[3])) AS sb_,
      toInt64OrZero(sb_[1]) AS status,
      toInt64(0) AS bytes_out,
      toInt64OrZero(sb_[2]) AS bytes_in,
      toFloat64(0) AS duration_ms,
      '' AS tls_version, '' AS tls_cipher, '' AS sni,
      if(p_[6] = '-', '', p_[6]) AS user_agent,
      req_[-1] AS http_version,
      '' AS action
    FROM file({_q(path)}, 'LineAsString')
    """


# Envoy JSON keys the Python parser reads, with the JSON type the fast path accepts.
_ENVOY_STR = ("start_time", "@timestamp", "timestamp", "method", ":method", "path", "x-envoy-origin-path",
              "x-envoy-original-path", ":path", "protocol", "response_flags", "authority", ":authority",
              "upstream_host", "upstream_cluster", "downstream_remote_address", "x_forwarded_for",
              "x-forwarded-for", "requested_server_name", "user_agent", "user-agent", "upstream_tls_version",
              "tls_version", "upstream_tls_cipher", "tls_cipher", "log")  # fmt: skip
_ENVOY_INT = ("response_code", "bytes_received", "bytes_sent", "duration")
_IP4_PORT = r"^[0-9.]+:[0-9]{1,5}$"
_HOST_PORT = r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$"
_XFF = r"^[0-9a-fA-F.:]+(, ?[0-9a-fA-F.:]+)*$"
_ISO_RE = r"^(?:19[7-9][0-9]|20[0-9][0-9]|21[0-4][0-9])-(?:0[1-9]|1[0-2])-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:Z|[+\-][0-9]{2}:?[0-9]{2})?$"


def _envoy_sql(path: str) -> str:
    # One typed JSONExtract into a named Tuple (one simdjson pass). Exactness guards:
    # no backslash in the line (so extracted strings equal the raw text and a quoted
    # key cannot hide inside a value), one regex pass proving every read key holds a
    # string/null (string keys) or a <=15-digit integer/null (number keys), and no
    # duplicate keys (orjson keeps the last, ClickHouse the first).
    tup = ", ".join(f"`{k}` Nullable(String)" for k in _ENVOY_STR) + ", " + ", ".join(
        f"`{k}` Nullable(Int64)" for k in _ENVOY_INT
    )
    str_keys = "|".join(re.escape(k) for k in _ENVOY_STR)
    int_keys = "|".join(re.escape(k) for k in _ENVOY_INT)
    # two patterns, not one alternation: the union blows RE2's DFA budget (10x slower)
    bad_str = rf'"(?:{str_keys})"\s*:\s*[^"n\s]'
    bad_int = rf'"(?:{int_keys})"\s*:\s*(?:[^\-0-9n\s]|-?[0-9]*[.eE]|-?[0-9]{{16}})'

    def v(k: str) -> str:
        return f"tupleElement(t_, {_q(k)})"

    def first(*ks: str) -> str:  # Python: _nz(g(a)) or _nz(g(b)) or ""
        return "ifNull(coalesce(" + ", ".join(f"nullIf(nullIf({v(k)}, '-'), '')" for k in ks) + "), '')"

    def fmt_ok(key: str, regex: str) -> str:  # value absent, null, '-', '' or of this shape
        return f"({first(key)} = '' OR match({first(key)}, {_q(regex)}))"

    def n(key: str) -> str:
        return f"ifNull({v(key)}, 0)"

    tls_keys = "[" + ",".join(_q(k) for k in _TLS_NAMES) + "]"
    tls_vals = "[" + ",".join(_q(x) for x in _TLS_NAMES.values()) + "]"
    return f"""
    SELECT _row_number AS rn, length(line) AS len_,
      startsWith(line, '{{') AND position(line, '\\\\') = 0 AND isValidJSON(line) AS json_,
      JSONExtract(if(json_, line, '{{}}'), {_q(f"Tuple({tup})")}) AS t_,
      if(json_, JSONExtractKeys(line), []) AS keys_,
      ifNull(coalesce(nullIf({v('start_time')}, ''), nullIf({v('@timestamp')}, ''), nullIf({v('timestamp')}, '')), '') AS ts_text_,
      extractGroups(ts_text_, '^([0-9]{{4}})-([0-9]{{2}})-([0-9]{{2}})T([0-9]{{2}}):([0-9]{{2}}):([0-9]{{2}})(?:\\\\.([0-9]+))?(Z|[+\\\\-][0-9]{{2}}:?[0-9]{{2}})?$') AS tg_,
      json_ AND isValidUTF8(line) AND lengthUTF8(line) = length(line)
        AND length(arrayDistinct(keys_)) = length(keys_) AND isNull({v('log')})
        AND match(ts_text_, {_q(_ISO_RE)}) AND NOT match(line, {_q(bad_str)}) AND NOT match(line, {_q(bad_int)})
        AND {fmt_ok('upstream_host', _IP4_PORT)} AND {fmt_ok('downstream_remote_address', _IP4_PORT)}
        AND {fmt_ok('authority', _HOST_PORT)} AND {fmt_ok(':authority', _HOST_PORT)}
        AND {fmt_ok('x_forwarded_for', _XFF)} AND {fmt_ok('x-forwarded-for', _XFF)} AS ok,
      replaceAll(if(tg_[8] IN ('', 'Z'), '+0000', tg_[8]), ':', '') AS tz_,
      (toInt64OrZero(substring(tz_, 2, 2)) * 3600 + toInt64OrZero(substring(tz_, 4, 2)) * 60)
        * if(startsWith(tz_, '-'), -1, 1) AS off_,
      toFloat64((toInt64(toUInt16(makeDate(if(ok, toInt64OrZero(tg_[1]), 1970), if(ok, toInt64OrZero(tg_[2]), 1), 1)))
        + toInt64OrZero(tg_[3]) - 1) * 86400 + toInt64OrZero(tg_[4]) * 3600 + toInt64OrZero(tg_[5]) * 60
        + toInt64OrZero(tg_[6])) AS base_,
      if(tg_[7] = '', toFloat64(0), toFloat64(toUInt64OrZero(tg_[7])) / pow(10, length(tg_[7]))) AS frac_,
      (base_ + frac_) - toFloat64(off_) AS ts,
      {first('downstream_remote_address')} AS dra_,
      {first('x_forwarded_for', 'x-forwarded-for')} AS xff_,
      if(dra_ != '', {_ip_of('dra_')}, trimBoth(splitByChar(',', xff_)[1])) AS src_ip,
      '' AS src_host,
      {first('upstream_host')} AS uh_,
      {_ip_of('uh_')} AS dst_ip,
      {_port_of('uh_')} AS up_port_,
      lower({first('requested_server_name')}) AS sni,
      {first('authority', ':authority')} AS auth_,
      {_host_of('auth_')} AS ahost_,
      if(up_port_ > 0, up_port_, {_port_of('auth_')}) AS dst_port,
      {first('method', ':method')} AS method,
      if(method != '', if(dst_port = 443, 'https', 'http'), if(sni != '', 'tls', 'tcp')) AS scheme,
      {first('upstream_cluster')} AS cl_,
      multiIf(ahost_ != '', ahost_, sni != '', sni,
              length(splitByChar('|', cl_)) = 4, lower(splitByChar('|', cl_)[4]), '') AS dst_host,
      {first('path', 'x-envoy-origin-path', 'x-envoy-original-path', ':path')} AS url,
      {n('response_code')} AS status,
      {n('bytes_received')} AS bytes_out,
      {n('bytes_sent')} AS bytes_in,
      toFloat64({n('duration')}) AS duration_ms,
      {first('upstream_tls_version', 'tls_version')} AS tv_,
      transform(tv_, {tls_keys}, {tls_vals}, tv_) AS tls_version,
      {first('upstream_tls_cipher', 'tls_cipher')} AS tls_cipher,
      {first('user_agent', 'user-agent')} AS user_agent,
      {first('protocol')} AS http_version,
      {first('response_flags')} AS action
    FROM file({_q(path)}, 'LineAsString')
    """


def _ip_of(x: str) -> str:
    # base.split_ip_port for 'a.b.c.d:port' (anything else is not 'ok', see _addr_ok)
    return f"if(position({x}, ':') > 0, substring({x}, 1, position({x}, ':') - 1), {x})"


def _port_of(x: str) -> str:
    return f"if(position({x}, ':') > 0, toInt64OrZero(substring({x}, position({x}, ':') + 1)), 0)"


def _host_of(x: str) -> str:
    return f"trim(TRAILING '.' FROM lower(if(position({x}, ':') > 0, substring({x}, 1, position({x}, ':') - 1), {x})))"


_lock = threading.Lock()


class EngineUnavailable(RuntimeError):
    """ClickHouse cannot read the file here (remote server, or chDB opened elsewhere)."""


def _query(sql: str, settings: dict[str, Any], client: Any = None) -> pa.Table:
    if client is not None:
        # file() reads the server's disk: only an embedded (chDB) client sees our file.
        if "chdb" not in type(client).__module__.lower():
            raise EngineUnavailable("the ClickHouse client is not embedded chDB")
        return client.query_arrow(sql, settings=settings)
    import chdb  # imported late: a plain parse_file user never pays for it

    text = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}" for k, v in settings.items())
    with _lock:  # chDB's default in-process connection is not safe to share across threads
        try:
            res = chdb.query(f"{sql} SETTINGS {text}", "Arrow")
        except Exception as exc:
            # chDB serves one data path per process: with the store open, pass its client.
            if "already initialized" in str(exc):
                raise EngineUnavailable("chDB is already open with a data path: pass client=") from None
            raise
    # chdb's own ArrowTable conversion imports pandas (seconds); read the IPC file directly
    return pa.ipc.open_file(pa.py_buffer(res.bytes())).read_all()


def _size(path: str) -> int:
    return os.path.getsize(path)


def _events_table(events: list[tuple[int, EgressEvent]]) -> pa.Table:
    evs = [ev for _, ev in events]
    cols: dict[str, list[Any]] = {"offset": [off for off, _ in events]}
    for name in EVENT_FIELDS:
        cols[name] = list(map(attrgetter(name), evs))
    return pa.Table.from_pydict(cols, schema=SCHEMA)


def _python_result(path: str, family: str, options: Mapping[str, Any] | None) -> FastResult:
    skipped: Counter = Counter()
    events, errors = [], []
    for off, item in parse_file(path, family, options, skipped=skipped):
        (errors if isinstance(item, ParseError) else events).append((off, item))
    return FastResult(_events_table(events), errors, skipped, 0, len(events) + len(errors))


def _fast_supported(family: str, options: Mapping[str, Any]) -> bool:
    if family == "nginx":
        return set(options) <= {"dst_host"}
    return not options  # squid and envoy take no options


def parse_file_arrow(
    path: str | PathLike[str],
    family: str = "auto",
    options: Mapping[str, Any] | None = None,
    *,
    engine: str = "auto",
    client: Any = None,
    rows: tuple[int, int] | None = None,
    first_offset: int = 0,
) -> FastResult:
    """Parse a whole file into a Table of events (SCHEMA).

    rows=(first, last): only lines first..last-1 (0-based), the first of them at byte
    `first_offset` (the previous chunk's next_offset), so a large file is parsed in chunks
    of bounded memory. A multi-line record still open at the chunk's end is left whole to
    the next chunk (next_row). Only the ClickHouse engine reads chunks.

    engine: 'auto' (ClickHouse for AUTO_FAMILIES in files of AUTO_MIN_BYTES or more),
    'clickhouse' (for every family in FAST_FAMILIES) or 'python'. The result is the same whichever engine runs.
    client: the store's clickhouse-connect client when it is embedded chDB (chDB
    serves one data path per process, so the default in-memory connection cannot be
    opened beside it); without one, chdb.query() is used. When ClickHouse cannot
    read the file, Python does the work and FastResult.note says why.
    """
    if engine not in ("auto", "clickhouse", "python"):
        raise ValueError("engine must be 'auto', 'clickhouse' or 'python'")
    path = fspath(path)
    options = dict(options or {})
    with open(path, "rb") as raw:
        gz = raw.read(2) == b"\x1f\x8b"
    if family == "auto":
        with open_log(path) as f:
            family = detect_format(read_head(f))
    wanted = FAST_FAMILIES if engine == "clickhouse" else ()
    if engine == "auto" and not gz and _size(path) >= AUTO_MIN_BYTES:
        wanted = AUTO_FAMILIES
    if gz or family not in wanted or not _fast_supported(family, options) or _size(path) == 0:
        return _python_result(path, family, options)
    parser = make_parser(family, options)  # validates options like the slow path does
    if family == "squid":
        sql = _squid_sql(path)
    elif family == "nginx":
        sql = _nginx_sql(path, getattr(parser, "default_host", ""), getattr(parser, "default_port", 0))
    else:
        sql = _envoy_sql(path)
    cols = ["rn", "ok", "len_"] + [f"{_q(family)} AS source" if c == "source" else c for c in EVENT_FIELDS]
    settings = {
        "precise_float_parsing": 1,  # same doubles as Python's float()
        # short-circuit AND evaluates shared subexpressions once per branch: 3x slower here
        "short_circuit_function_evaluation": "disable",
        "output_format_arrow_string_as_string": 1,
        # in-process: LZ4 frames (ClickHouse's default) only cost compressing and decompressing
        "output_format_arrow_compression_method": "none",
    }
    try:
        # No ORDER BY (a full sort, ~10% of the query): ClickHouse returns blocks of
        # consecutive lines, only the blocks out of order; _in_line_order puts them back.
        # The range filter is pushed below the parsing: lines outside it are read, not parsed.
        where = f" WHERE rn >= {int(rows[0])} AND rn < {int(rows[1])}" if rows else ""
        table = _in_line_order(_query(f"SELECT {', '.join(cols)} FROM ({sql}){where}", settings, client))
    except EngineUnavailable as exc:
        res = _python_result(path, family, options)
        res.note = str(exc)
        return res
    first = int(rows[0]) if rows else 0
    rn = table.column("rn").to_numpy() - first  # 0-based within this chunk
    n = len(rn)
    if n and (int(rn.min()) != 0 or int(rn.max()) != n - 1):
        raise RuntimeError("fastpath: ClickHouse row numbers do not cover the file")
    # Byte offsets from line lengths (LineAsString drops only the '\n').
    step = np.empty(n, np.int64)
    step[rn] = table.column("len_").to_numpy() + 1
    starts = np.zeros(n + 1, np.int64)
    np.cumsum(step, out=starts[1:])
    starts += first_offset
    chunked = bool(rows) and n == int(rows[1]) - first and int(starts[n]) < _size(path)  # the file goes on
    ok = table.column("ok").to_numpy().astype(bool)
    cut = n  # lines from here on are left to the next chunk
    with open(path, "rb") as f:
        reader = _LineReader(f, starts, _size(path))
        bad = set(rn[~ok].tolist())
        # A fallback line that opens a multi-line JSON record swallows the lines after
        # it in the Python path: take those away from ClickHouse too.
        for r in sorted(bad):
            line = reader.line(r)
            if line[:1] == "{" and not line.rstrip().endswith("}") and _depth_delta(line) > 0:
                following, closed = reader.continuation(r, _depth_delta(line), len(line))
                bad.update(following)
                if chunked and not closed:
                    if r == 0:  # a record longer than the chunk: read a chunk twice as long
                        return parse_file_arrow(path, family, options, engine=engine, client=client,
                                                rows=(first, first + 2 * (int(rows[1]) - first)),
                                                first_offset=first_offset)
                    cut = r  # the record may go on in the next chunk: parse it there, whole
                    break
        if cut < n:
            bad = {r for r in bad if r < cut}
            keep = rn < cut
            table, rn, ok = table.filter(pa.array(keep)), rn[keep], ok[keep]
        if len(bad) != int((~ok).sum()):
            ok = ~np.isin(rn, np.fromiter(bad, np.int64, len(bad)))
        fallback_rows = sorted(bad)
        runs: list[list[tuple[int, str]]] = []
        prev = -2
        for r in fallback_rows:
            if r != prev + 1:
                runs.append([])
            runs[-1].append((int(starts[r]), reader.line(r)))
            prev = r
    fast = table if ok.all() else table.filter(pa.array(ok))
    fast = fast.add_column(0, "offset", pa.array(starts[fast.column("rn").to_numpy() - first], pa.int64()))
    n_fast = fast.num_rows
    fast = fast.select(SCHEMA.names)
    if fast.schema != SCHEMA:
        fast = fast.cast(SCHEMA)
    events, errors = [], []
    for run in runs:  # contiguous lines only, so records join exactly as in parse_file
        for off, item in _run(parser, iter_records(iter(run))):
            (errors if isinstance(item, ParseError) else events).append((off, item))
    out = pa.concat_tables([fast, _events_table(events)]) if events else fast
    if events or not _sorted(out):
        out = out.take(pc.sort_indices(out, [("offset", "ascending")]))
    result = FastResult(out, errors, Counter(parser.skipped), n_fast, len(fallback_rows), "clickhouse")
    if chunked:
        result.next_row, result.next_offset = first + cut, int(starts[cut])
    return result


def _in_line_order(table: pa.Table) -> pa.Table:
    """Rows by `rn`: the record batches reordered when each holds consecutive lines (no copy),
    else a sort (a take over every column)."""
    batches = [b for b in table.to_batches() if b.num_rows]
    spans = []
    for b in batches:
        rn = b.column("rn").to_numpy()
        if len(rn) > 1 and not (np.diff(rn) == 1).all():
            break
        spans.append((int(rn[0]), int(rn[-1])))
    else:
        order = sorted(range(len(batches)), key=lambda i: spans[i][0])
        if all(spans[a][1] + 1 == spans[b][0] for a, b in itertools.pairwise(order)):
            return pa.Table.from_batches([batches[i] for i in order], schema=table.schema)
    return table.take(pc.sort_indices(table.column("rn")))


def _sorted(t: pa.Table) -> bool:
    off = t.column("offset").to_numpy()
    return bool(len(off) < 2 or (off[1:] > off[:-1]).all())


class _LineReader:
    """Random access to decoded lines, decoded exactly as iter_lines does."""

    def __init__(self, f, starts: np.ndarray, size: int) -> None:
        self.f, self.starts, self.size = f, starts, size
        self.n = len(starts) - 1

    def line(self, r: int) -> str:
        start = int(self.starts[r])
        end = min(int(self.starts[r + 1]), self.size)
        self.f.seek(start)
        line = self.f.read(end - start).decode("utf-8", "replace")
        if line[-1:] == "\n":
            line = line[:-2] if line[-2:-1] == "\r" else line[:-1]
        if start == 0 and line[:1] == "\ufeff":
            line = line[1:]
        return line

    def continuation(self, r: int, depth: int, size: int) -> tuple[list[int], bool]:
        """Lines of the record opened at line r after it, and whether it ended before the
        last line read (mirrors records.iter_records)."""
        out = []
        j = r + 1
        while j < self.n:
            line = self.line(j)
            if line[:1] == "{":
                return out, True
            out.append(j)
            size += len(line)
            depth += _depth_delta(line)
            if depth <= 0 or size > MAX_RECORD_CHARS:
                return out, True
            j += 1
        return out, False
