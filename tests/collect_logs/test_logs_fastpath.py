"""The ClickHouse fast path gives exactly what the Python parsers give: same events
(every column, same offsets), same rejects, same skip counts; nothing is lost."""

from __future__ import annotations

import gzip
import json
import math
import random
from collections import Counter

import pytest

pytest.importorskip("chdb")

from sentinel.collect.logs import ParseError, parse_file  # noqa: E402
from sentinel.collect.logs.base import EVENT_FIELDS  # noqa: E402
from sentinel.collect.logs.fastpath import SCHEMA, parse_file_arrow  # noqa: E402

from .conftest import DATA  # noqa: E402


def python_rows(path, family, options=None):
    skipped: Counter = Counter()
    rows, errors = [], []
    for off, item in parse_file(path, family, options, skipped=skipped):
        if isinstance(item, ParseError):
            errors.append((off, item.reason))
        else:
            row = {"offset": off}
            row.update({k: getattr(item, k) for k in EVENT_FIELDS})
            rows.append(row)
    return rows, errors, skipped


def assert_same(path, family, options=None, engine="clickhouse"):
    res = parse_file_arrow(path, family, options, engine=engine)
    assert res.table.schema == SCHEMA
    rows, errors, skipped = python_rows(path, family, options)
    got = res.table.to_pylist()
    assert len(got) == len(rows)
    for a, b in zip(got, rows):
        for k in b:
            if isinstance(b[k], float):
                assert math.isclose(a[k], b[k], rel_tol=0, abs_tol=1e-6), (k, a, b)
            else:
                assert a[k] == b[k], (k, a, b)
    assert [(o, e.reason) for o, e in res.errors] == errors
    assert dict(res.skipped) == dict(skipped)
    return res


@pytest.mark.parametrize(
    "rel,family",
    [
        ("logs_squid/plaso_squid_access.log", "squid"),
        ("logs_squid/metron_squid_native_single_space.log", "squid"),
        ("logs_nginx/lnav_shop_access_combined_xff.log", "nginx"),
        ("logs_envoy/crowdsec_envoy_bad_user_agent.log", "envoy"),
        ("logs_envoy/istio_docs_egress_access.log", "envoy"),
    ],
)
def test_samples_equal_python(rel, family):
    res = assert_same(DATA / rel, family)
    if family != "envoy":  # CRI and text Envoy lines are left to Python by design
        assert res.fast_lines == res.table.num_rows and res.fallback_lines == 0


HOSTS = ["api.stripe.com", "API.Segment.io", "hooks.slack.com.", "o1.ingest.sentry.io"]
PATHS = ["/v1/charges?customer=cus_1&limit=10", "/v1/track", "/", "/a/b?email=jane%40example.com", ""]
JUNK = ['"', "\\", "\t", "é", "\x00", "{", "}", " ", "-", ":", "/", "?", "@", "[", "]", "A", "9", ".", ","]


def _squid(rng):
    host, path = rng.choice(HOSTS), rng.choice(PATHS)
    if rng.random() < 0.3:
        return f"1700000000.{rng.randrange(1000):03d} {rng.randrange(9999):6d} 10.0.0.{rng.randrange(9)} TCP_TUNNEL/200 {rng.randrange(9999)} CONNECT {host}:{rng.choice((443, 25, 8443))} - HIER_DIRECT/52.1.1.{rng.randrange(9)} -"
    return f"1700000000.{rng.randrange(1000):03d} {rng.randrange(9999)} {rng.choice(('10.0.0.1', 'Host.LAN', '2001:db8::5'))} TCP_MISS/{rng.choice((200, 404))} {rng.randrange(9999)} {rng.choice(('GET', 'POST', 'NONE'))} {rng.choice(('http', 'https', 'HTTPS', 'ftp'))}://{host}{rng.choice(('', ':8080'))}{path} - {rng.choice(('HIER_DIRECT/52.1.1.1', 'DIRECT/peer.example', 'HIER_NONE/-'))} text/html"


def _nginx(rng):
    tz = rng.choice(("+0000", "+0330", "-0700"))
    req = rng.choice([f"GET {p or '/'} HTTP/1.1" for p in PATHS] + ["-", "HELP", f"CONNECT {HOSTS[0]}:443 HTTP/1.1", "POST http://api.example/x HTTP/1.0"])
    xff = rng.choice(("", ' "-"', ' "10.1.1.1, 10.0.0.1"'))
    return f'10.0.0.{rng.randrange(9)} - - [{rng.randrange(1, 29):02d}/Jan/2024:0{rng.randrange(10)}:15:{rng.randrange(60):02d} {tz}] "{req}" {rng.choice((200, 404))} {rng.choice(("512", "-"))} "-" "{rng.choice(("curl/8", "-", "Mozilla/5.0 (X11)"))}"{xff}'


def _envoy(rng):
    rec = {
        "start_time": f"2024-01-0{rng.randrange(1, 9)}T10:00:0{rng.randrange(10)}.{rng.randrange(1000):03d}Z",
        "method": rng.choice(("GET", "POST", None, "-")),
        "path": rng.choice(PATHS + [None]),
        "protocol": "HTTP/1.1",
        "response_code": rng.choice((200, 0, None)),
        "response_flags": rng.choice(("-", "UF")),
        "bytes_received": rng.randrange(5000),
        "bytes_sent": rng.randrange(5000),
        "duration": rng.randrange(500),
        "user_agent": rng.choice(("curl/8", None)),
        "authority": rng.choice(HOSTS + [None, "x.example:8443"]),
        "upstream_host": rng.choice(("52.1.1.1:443", "52.1.1.2:80", None)),
        "upstream_cluster": rng.choice(("outbound|443||Api.Stripe.com", "local")),
        "downstream_remote_address": rng.choice(("10.0.0.1:5000", None)),
        "x_forwarded_for": rng.choice((None, "10.9.9.9, 10.0.0.1")),
        "requested_server_name": rng.choice((None, "SNI.example")),
        "upstream_tls_version": rng.choice((None, "TLSv1.3", "TLSv1")),
    }
    if rng.random() < 0.05:
        rec["start_time"] = rng.choice(("-", 1700000000, "2024-01-01T10:00:00+01:00"))
    if rng.random() < 0.05:
        rec["response_code"] = rng.choice(("200", 1.5, True))
    return json.dumps(rec, separators=(",", ":") if rng.random() < 0.8 else (", ", ": "))


@pytest.mark.parametrize("family,make", [("squid", _squid), ("nginx", _nginx), ("envoy", _envoy)])
@pytest.mark.parametrize("seed", [1, 2])
def test_generated_and_mutated_lines_equal_python(tmp_path, family, make, seed):
    rng = random.Random(f"{family}-{seed}")
    lines = []
    for _ in range(600):
        line = make(rng)
        if rng.random() < 0.2:  # damage it
            for _ in range(rng.randint(1, 3)):
                i = rng.randrange(len(line) + 1)
                line = line[:i] + rng.choice(JUNK) + line[i + rng.randrange(2) :]
        lines.append(line)
    lines[5:5] = ["", "   "]
    if family == "nginx":  # a pretty-printed JSON record and a truncated one
        lines[40:40] = ["{", '  "time_local": "10/Oct/2000:13:55:36 -0700",', '  "request": "GET /j HTTP/1.1"', "}", '{"remote_addr": "1.2.3.4",']
    data = "\n".join(lines).encode("utf-8")
    if seed == 2:
        data = b"\xef\xbb\xbf" + data.replace(b"\xc3\xa9", b"\xe9\xff") + b"\r\n"
    path = tmp_path / f"{family}.log"
    path.write_bytes(data)
    res = assert_same(path, family)
    assert res.fast_lines > 200  # most well-formed lines really went through ClickHouse
    assert res.fallback_lines > 0


def test_gzip_and_engines(tmp_path):
    src = DATA / "logs_squid/plaso_squid_access.log"
    gz = tmp_path / "access.log.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    res = assert_same(gz, "squid")
    assert res.fast_lines == 0  # gzip goes through Python
    assert_same(src, "squid", engine="python")
    assert_same(DATA / "logs_zeek/lnav_zeek_conn_tsv.log", "zeek")  # no SQL for zeek: Python, same shape
    auto = parse_file_arrow(src)  # family and engine auto: a small file stays in Python
    assert auto.engine == "python" and auto.table.column("dst_host").to_pylist()[0] == "domain.xyz"
    forced = parse_file_arrow(src, engine="clickhouse")
    assert forced.engine == "clickhouse" and forced.fast_lines == 8 and forced.table.equals(auto.table)
    with pytest.raises(ValueError, match="engine"):
        parse_file_arrow(src, engine="spark")


def test_nginx_options(tmp_path):
    path = DATA / "logs_nginx/lnav_shop_access_combined_xff.log"
    res = assert_same(path, "nginx", {"dst_host": "shop.example:8443"})
    assert res.fast_lines == 1000
    assert set(res.table.column("dst_host").to_pylist()) == {"shop.example"}
    res = assert_same(path, "nginx", {"trust_xff": True})  # not in SQL: Python
    assert res.fast_lines == 0


def test_store_client_and_engine_unavailable(tmp_path):
    """chDB serves one data path per process: with the store's embedded client open,
    the fast path runs through that client; without it, Python does the work and says why."""
    import clickhouse_connect

    src = DATA / "logs_nginx/lnav_shop_access_combined_xff.log"
    client = clickhouse_connect.get_client(dsn=f"chdb://{tmp_path / 'db'}")
    try:
        res = parse_file_arrow(src, "nginx", client=client, engine="clickhouse")
        assert res.engine == "clickhouse" and res.fast_lines == 1000
        alone = parse_file_arrow(src, "nginx", engine="clickhouse")  # default connection cannot open beside it
        assert alone.engine == "python" and "client" in alone.note
        assert alone.table.equals(res.table)
    finally:
        client.close()

    class HttpClient:  # a remote server cannot read our file: never sent there
        def query_arrow(self, *a, **k):
            raise AssertionError("must not be called")

    res = parse_file_arrow(src, "nginx", client=HttpClient(), engine="clickhouse")
    assert res.engine == "python" and "not embedded" in res.note and res.table.num_rows == 1000


def parse_in_chunks(path, family, lines_per_chunk):
    """parse_file_arrow chunk after chunk, as the columnar backfill reads a large file."""
    import pyarrow as pa

    tables, errors, skipped, chunks = [], [], Counter(), 0
    row, offset = 0, 0
    while True:
        res = parse_file_arrow(path, family, engine="clickhouse", rows=(row, row + lines_per_chunk),
                               first_offset=offset)
        tables.append(res.table)
        errors += res.errors
        skipped.update(res.skipped)
        chunks += 1
        if res.next_row is None:
            return pa.concat_tables(tables), errors, skipped, chunks
        assert res.next_row > row  # always moves on
        row, offset = res.next_row, res.next_offset


@pytest.mark.parametrize("lines_per_chunk", [3, 7, 50])
def test_chunks_of_a_file_equal_the_whole_file(tmp_path, lines_per_chunk):
    rng = random.Random(lines_per_chunk)
    lines = [_envoy(rng) for _ in range(120)]
    for at in (10, 33, 70, 71):  # pretty-printed records, some across chunk boundaries
        lines[at:at] = ["{", '  "start_time": "2024-01-02T10:00:00.000Z",', '  "method": "PUT",',
                        '  "path": "/multi", "authority": "api.stripe.com"', "}"]
    lines[90:90] = ["junk that is no record", '{"start_time": "2024-01-02T10:00:01.000Z", "method":']  # truncated
    path = tmp_path / "envoy.log"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\n")
    table, errors, skipped, chunks = parse_in_chunks(path, "envoy", lines_per_chunk)
    rows, python_errors, python_skipped = python_rows(path, "envoy")
    assert chunks > 1
    assert table.column("offset").to_pylist() == [r["offset"] for r in rows]
    for got, want in zip(table.to_pylist(), rows):
        assert {k: got[k] for k in ("method", "url", "dst_host", "status")} == \
            {k: want[k] for k in ("method", "url", "dst_host", "status")}
    assert "/multi" in table.column("url").to_pylist()
    assert [(o, e.reason) for o, e in errors] == python_errors
    assert dict(skipped) == dict(python_skipped)


def test_squid_sample_in_chunks_equals_python():
    path = DATA / "logs_squid/plaso_squid_access.log"
    table, errors, _, chunks = parse_in_chunks(path, "squid", 4)
    rows, python_errors, _ = python_rows(path, "squid")
    assert chunks > 1
    assert [{k: r[k] for k in ("offset", "ts", "src_ip", "dst_host", "url", "status")} for r in table.to_pylist()] == \
        [{k: r[k] for k in ("offset", "ts", "src_ip", "dst_host", "url", "status")} for r in rows]
    assert [(o, e.reason) for o, e in errors] == python_errors
