"""The columnar backfill stores exactly what the per-event path stores, row for row."""

from __future__ import annotations

import gzip
import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("chdb")

from sentinel import ingest_columnar  # noqa: E402
from sentinel.collect.checkpoint import CheckpointStore, hash_head  # noqa: E402
from sentinel.collect.tail import FINGERPRINT_BYTES, fingerprint  # noqa: E402
from sentinel.ingest import Ingestor, expand  # noqa: E402
from sentinel.pipeline import Pipeline, make_event_id  # noqa: E402
from sentinel.runtime import build_pipeline  # noqa: E402
from sentinel.store import Store  # noqa: E402

# -- event ids ---------------------------------------------------------------------------


def test_event_ids_match_make_event_id_bit_for_bit():
    rng = random.Random(7)
    offsets = [0, 1, 255, 256, 2**31, 2**40 + 3, 2**55 + 1] + [rng.randrange(2**48) for _ in range(500)]
    index = [rng.choice((0, 0, 1, 2, 255, 256, 300)) for _ in offsets]
    for origin in ("", "0123456789abcdef", "é/☃"):
        got = ingest_columnar.event_ids(origin, np.array(offsets, np.int64), np.array(index, np.int64))
        assert got.dtype == np.uint64
        assert got.tolist() == [make_event_id(origin, o, i) for o, i in zip(offsets, index)]
        plain = ingest_columnar.event_ids(origin, np.array(offsets, np.int64))
        assert plain.tolist() == [make_event_id(origin, o, 0) for o in offsets]


def test_index_at_offset_counts_events_of_one_record():
    got = ingest_columnar._index_at_offset(np.array([0, 5, 5, 5, 9, 12, 12]))
    assert got.tolist() == [0, 0, 1, 2, 0, 0, 1]
    assert ingest_columnar._index_at_offset(np.array([3, 4])).tolist() == [0, 0]


def test_slices_never_part_the_events_of_one_record():
    offsets = np.array([0, 5, 5, 5, 9, 12, 12, 20])
    slices = ingest_columnar.record_slices(offsets, 2)
    assert slices[0][0] == 0 and slices[-1][1] == len(offsets)
    assert all(a[1] == b[0] for a, b in zip(slices, slices[1:]))  # contiguous, in order
    for begin, stop in slices:
        assert stop > begin
        assert stop == len(offsets) or offsets[stop] != offsets[stop - 1]
    assert ingest_columnar.record_slices(offsets, 100) == [(0, len(offsets))]
    assert ingest_columnar.record_slices(offsets[:0], 3) == []


# -- generated logs ----------------------------------------------------------------------
HOSTS = ["api.stripe.com", "API.Segment.io", "hooks.slack.com.", "o1.ingest.sentry.io", "unknown-vendor.example",
         "52.1.1.9", "api.openai.com"]  # fmt: skip
PATHS = [
    "/v1/charges?customer=cus_1&limit=10", "/v1/track", "/", "", "/a/b?email=jane%40example.com",
    "/v1/customers/cus_9s8d7f6g5h4j3k2l/cards/42?expand[]=x&jane@example.com=1", "/users/jane.doe@example.com/x",
    "/orders/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f#frag", "/app;jsessionid=ABC123?x", "/q?&&a=1&=2&b",
    "/t/eyJhbGciOiJIUzI1NiJ9abc123?token=sk_live_abcdefghijklmnop", "/p?" + "&".join(f"k{i}=v" for i in range(70)),
    "/ünï/cödé?ké=1", "/x//y/?", "/blobs/deadbeefcafebabe1234", "/call/tel:+4915112345678", "/api/12/envelope/",
]  # fmt: skip
UAS = ["curl/8.4.0", "-", "Mozilla/5.0 (X11; Linux x86_64)", "ü" * 300, "x" * 400]
# No '-': Squid's 'TCP_MISS/-200' parses to status -200, which no UInt16 column takes
# (the per-event path fails on it the same way).
JUNK = ['"', "\\", "\t", "é", "{", "}", " ", ":", "/", "?", "@", "[", "]", "A", "9"]


def _squid(rng: random.Random) -> str:
    host, path = rng.choice(HOSTS), rng.choice(PATHS)
    ts = f"1700000{rng.randrange(1000):03d}.{rng.randrange(1000):03d}"
    if rng.random() < 0.25:
        return (f"{ts} {rng.randrange(9999):6d} 10.0.0.{rng.randrange(9)} TCP_TUNNEL/200 {rng.randrange(9999)} "
                f"CONNECT {host}:{rng.choice((443, 25))} - HIER_DIRECT/52.1.1.{rng.randrange(9)} -")
    client = rng.choice(("10.0.0.1", "Host.LAN", "2001:db8::5", "10.0.0.2"))
    peer = rng.choice(("HIER_DIRECT/52.1.1.1", "DIRECT/peer.example", "HIER_NONE/-", "HIER_DIRECT/2600:1f18::1"))
    return (f"{ts} {rng.randrange(9999)} {client} TCP_MISS/{rng.choice((200, 404))} {rng.randrange(99999)} "
            f"{rng.choice(('GET', 'POST'))} {rng.choice(('http', 'https'))}://{host}{rng.choice(('', ':8080'))}"
            f"{path.replace(' ', '')} - {peer} text/html")


def _nginx(rng: random.Random) -> str:
    path = rng.choice(PATHS) or "/"
    req = rng.choice([f"GET {path} HTTP/1.1"] * 6 + ["POST http://api.example/x?y=1 HTTP/1.0", "-"])
    return (f'10.0.{rng.randrange(3)}.{rng.randrange(9)} - - [{rng.randrange(1, 29):02d}/Jan/2024:0{rng.randrange(10)}'
            f':15:{rng.randrange(60):02d} {rng.choice(("+0000", "-0700"))}] "{req}" {rng.choice((200, 404))} '
            f'{rng.choice(("512", "-"))} "-" "{rng.choice(UAS)}"')


def _envoy(rng: random.Random) -> str:
    rec = {
        "start_time": (f"2024-01-0{rng.randrange(1, 9)}T10:00:0{rng.randrange(10)}"
                       f".{rng.randrange(10 ** 6):0{rng.choice((3, 6))}d}{rng.choice(('Z', '+01:00', '-0730'))}"),
        "method": rng.choice(("GET", "POST", None)),
        "path": rng.choice(PATHS + [None]),
        "protocol": "HTTP/1.1",
        "response_code": rng.choice((200, 0, None)),
        "response_flags": rng.choice(("-", "UF")),
        "bytes_received": rng.randrange(5000),
        "bytes_sent": rng.randrange(5000),
        "duration": rng.randrange(500),
        "user_agent": rng.choice(UAS + [None]),
        "authority": rng.choice(HOSTS + [None, "x.example:8443"]),
        "upstream_host": rng.choice(("52.1.1.1:443", "52.1.1.2:80", None)),
        "upstream_cluster": rng.choice(("outbound|443||Api.Stripe.com", "local")),
        "downstream_remote_address": rng.choice(("10.0.0.1:5000", None)),
        "requested_server_name": rng.choice((None, "SNI.example", "api.stripe.com")),
        "upstream_tls_version": rng.choice((None, "TLSv1.3")),
    }
    return json.dumps(rec, separators=(",", ":"), ensure_ascii=rng.random() < 0.5)


GENERATORS = {"squid": _squid, "nginx": _nginx, "envoy": _envoy}


def write_log(directory: Path, family: str, n: int = 1500, seed: int = 1) -> Path:
    rng = random.Random(f"{family}-{seed}")
    lines = []
    for _ in range(n):
        line = GENERATORS[family](rng)
        if rng.random() < 0.05:  # damaged: Python fallback, some become rejects
            i = rng.randrange(len(line) + 1)
            line = line[:i] + rng.choice(JUNK) + line[i + rng.randrange(2):]
        lines.append(line)
    lines[7:7] = ["", "garbage that no parser takes"]
    path = directory / f"{family}.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- both ways into two stores -----------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_outside_config(monkeypatch):
    monkeypatch.delenv("SENTINEL_CONFIG", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)


def run_ingest(monkeypatch, directory: Path, files: list[Path], columnar: bool, detect=False,
               family="auto", options=None, prepare=None):
    """Ingest into a fresh store under `directory`; return what it stored, then close it
    (chDB serves one data path per process: the two runs go one after the other)."""
    from sentinel.config import load_settings

    directory.mkdir(parents=True)
    config = directory / "s.toml"
    config.write_text(f'data_dir = "{directory / "data"}"\n[storage]\nbatch_rows = 700\n')
    settings = load_settings(config)
    monkeypatch.setattr(ingest_columnar, "MIN_BYTES", 0 if columnar else 1 << 62)
    monkeypatch.setattr(ingest_columnar, "SLICE_ROWS", 1)  # batch_rows 700 slices these small files
    monkeypatch.setattr("sentinel.detection.load_site_key", lambda settings: b"k" * 32)  # same value hashes
    calls = []
    real = ingest_columnar.ingest_file
    monkeypatch.setattr(ingest_columnar, "ingest_file", lambda *a, **k: (calls.append(a[1]), real(*a, **k)))
    store = Store.open(settings)
    try:
        store.migrate()
        pipeline = build_pipeline(settings, store, detect=detect)
        checkpoints = CheckpointStore(settings.data_dir / "checkpoints", filename="ingest.json")
        if prepare:
            prepare(checkpoints)
        ingestor = Ingestor(pipeline, checkpoints, settings, log_format=family, log_options=options)
        ingestor.ingest(expand(files))
        assert ingestor.errors == []
        assert bool(calls) == columnar
        events = store.query("SELECT * EXCEPT ingested_at FROM {db}.events ORDER BY event_id").result_rows
        findings = store.query("SELECT * EXCEPT ingested_at FROM {db}.findings ORDER BY event_id, finding_no"
                               ).result_rows if detect else []
        quarantine = store.query("SELECT source, origin, offset, reason, excerpt FROM {db}.quarantine "
                                 "ORDER BY origin, offset").result_rows
        saved = CheckpointStore(settings.data_dir / "checkpoints", filename="ingest.json")
        positions = sorted((fp, saved.get(fp).offset) for fp in (fingerprint(f) for f in files))
        metrics = sorted((s.name, tuple(sorted(s.labels.items())), s.value)
                         for m in pipeline.metrics.registry.collect() for s in m.samples
                         if s.name.startswith(("sentinel_events_total", "sentinel_event_bytes_total",
                                               "sentinel_rejected_total", "sentinel_findings_total")))
        return {"events": events, "findings": findings, "quarantine": quarantine,
                "summary": pipeline.summary.as_dict(), "positions": positions, "metrics": metrics}
    finally:
        store.close()


def assert_same(a: dict, b: dict) -> None:
    assert len(a["events"]) == len(b["events"])
    for x, y in zip(a["events"], b["events"]):
        assert x == y
    assert a["findings"] == b["findings"]
    assert a["quarantine"] == b["quarantine"]
    assert a["positions"] == b["positions"]
    assert a["metrics"] == b["metrics"]
    # by count; ties in most_common() order may differ
    assert {k: (sorted(v.items()) if isinstance(v, dict) else v) for k, v in a["summary"].items()} == \
        {k: (sorted(v.items()) if isinstance(v, dict) else v) for k, v in b["summary"].items()}


@pytest.mark.parametrize("family", ["squid", "nginx", "envoy"])
def test_columnar_stores_what_the_per_event_path_stores(tmp_path, monkeypatch, family):
    path = write_log(tmp_path, family)
    options = {"dst_host": "api.segment.io"} if family == "nginx" else None
    per_event = run_ingest(monkeypatch, tmp_path / "a", [path], columnar=False, family=family, options=options)
    columnar = run_ingest(monkeypatch, tmp_path / "b", [path], columnar=True, family=family, options=options)
    assert len(per_event["events"]) > 1000
    assert per_event["quarantine"], "the generated file has rejects"
    assert {row[9] for row in per_event["events"]} > {""}, "known and unknown sub-processors"
    assert_same(per_event, columnar)


@pytest.mark.parametrize("family", ["squid", "envoy"])
def test_detection_runs_over_the_same_rows(tmp_path, monkeypatch, family):
    path = write_log(tmp_path, family, n=600, seed=3)
    per_event = run_ingest(monkeypatch, tmp_path / "a", [path], columnar=False, detect=True, family=family)
    columnar = run_ingest(monkeypatch, tmp_path / "b", [path], columnar=True, detect=True, family=family)
    assert per_event["findings"], "the generated URLs carry e-mails and keys"
    assert_same(per_event, columnar)


# Values in a URL's path only (no '?' or '@'): a webhook's token, REST paths with ids.
PATH_LEAKS = {
    "/hook/ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5": "SECRET",
    "/v1/t/DE89370400440532013000": "IBAN",
    "/users/jane.doe%40example.com/profile": "EMAIL",
    "/v1/pay/card=4111111111111111": "CREDIT_CARD",
    "/call/tel:+4915112345678": "PHONE_NUMBER",
}
STATIC_PATHS = ["/v1/track", "/api/12/envelope/"]


@pytest.mark.parametrize("columnar", [False, True], ids=["per-event", "columnar"])
def test_values_in_a_path_are_found_and_static_paths_not_scanned(tmp_path, monkeypatch, columnar):
    paths = list(PATH_LEAKS) + STATIC_PATHS
    log = tmp_path / "squid.log"
    log.write_text("".join(f"1700000{i:03d}.000    120 10.0.0.1 TCP_MISS/200 90 POST http://api.segment.io{path} - "
                           f"HIER_DIRECT/52.1.1.1 application/json\n" for i, path in enumerate(paths)))
    scanned = []
    real_scan = Pipeline._scan
    monkeypatch.setattr(Pipeline, "_scan", lambda self, method, url, *a: (scanned.append(url),
                                                                           real_scan(self, method, url, *a))[1])
    got = run_ingest(monkeypatch, tmp_path / "run", [log], columnar=columnar, detect=True, family="squid")
    assert sorted((row[9], row[13]) for row in got["findings"]) == sorted((c, "path") for c in PATH_LEAKS.values())
    assert sorted(url.removeprefix("http://api.segment.io") for url in scanned) == sorted(PATH_LEAKS)
    findings_per_event = {row[12]: row[24] for row in got["events"]}  # path template -> findings
    assert [findings_per_event[path] for path in ("/v1/track", "/api/{id}/envelope/")] == [0, 0]


@pytest.mark.parametrize("chunk_lines", [1_000_000, 97])
def test_auto_family_mixed_with_small_files_and_resume(tmp_path, monkeypatch, chunk_lines):
    """Several files in one run (per-event and columnar share the writer's batches), one of them
    resumed from a checkpoint in its middle; with 97 lines per chunk each file is parsed in
    chunks and the resumed one skips the chunks before its checkpoint."""
    monkeypatch.setattr(ingest_columnar, "CHUNK_LINES", chunk_lines)
    squid = write_log(tmp_path, "squid", n=900, seed=4)
    envoy = write_log(tmp_path, "envoy", n=900, seed=5)
    logs = Path(__file__).parent / "data" / "logs"
    small = tmp_path / "small.log"  # HAProxy: no fast path, its rows wait in the writer's batch
    shutil.copy(logs / "logs_haproxy" / "crowdsec_haproxy_http.log", small)
    squid_sample = tmp_path / "zz-squid.log"
    shutil.copy(logs / "logs_squid" / "plaso_squid_access.log", squid_sample)
    data = envoy.read_bytes()
    half = data.index(b"\n", len(data) // 2) + 1

    def resume(checkpoints):
        head = data[:FINGERPRINT_BYTES]
        checkpoints.register(fingerprint(envoy), offset=half, path=str(envoy), head_len=len(head),
                             head_hash=hash_head(head))
        checkpoints.save()

    files = [small, squid, envoy, squid_sample]
    per_event = run_ingest(monkeypatch, tmp_path / "a", files, columnar=False, prepare=resume)
    columnar = run_ingest(monkeypatch, tmp_path / "b", files, columnar=True, prepare=resume)
    assert_same(per_event, columnar)
    origin, offset = -3, -2  # ... origin, offset, inspected
    origins = {row[origin] for row in columnar["events"]}
    assert len(origins) == 4
    envoy_offsets = [row[offset] for row in columnar["events"] if row[origin] == fingerprint(envoy)[:16]]
    assert envoy_offsets and min(envoy_offsets) >= half


def test_what_keeps_the_per_event_path(tmp_path, monkeypatch):
    """Policy observers need per-event facts; other families, gzip and files too large to
    hold as columns stream event by event."""
    path = write_log(tmp_path, "squid", n=200)
    monkeypatch.setattr(ingest_columnar, "MIN_BYTES", 0)
    from sentinel.config import load_settings

    (tmp_path / "s.toml").write_text(f'data_dir = "{tmp_path / "data"}"\n')
    settings = load_settings(tmp_path / "s.toml")
    store = Store.open(settings)
    try:
        store.migrate()
        pipeline = build_pipeline(settings, store, detect=False)
        seen = []
        pipeline.observers.append(lambda facts, match, found: seen.append(facts.event_id))
        ingestor = Ingestor(pipeline, CheckpointStore(tmp_path / "cp", filename="i.json"), settings)
        item = expand([path])[0]
        assert not ingest_columnar.eligible(ingestor, item, "squid")
        pipeline.observers.clear()
        assert ingest_columnar.eligible(ingestor, item, "squid")
        assert not ingest_columnar.eligible(ingestor, item, "zeek")
        gz = tmp_path / "squid.log.gz"
        gz.write_bytes(gzip.compress(path.read_bytes()))
        assert not ingest_columnar.eligible(ingestor, expand([gz])[0], "squid")
        pipeline.observers.append(lambda facts, match, found: seen.append(facts.event_id))
        ingestor.ingest([item])
        assert len(seen) == pipeline.summary.events > 150
    finally:
        store.close()


def test_fastpath_puts_clickhouse_blocks_back_in_line_order():
    import pyarrow as pa

    from sentinel.collect.logs.fastpath import _in_line_order

    def table(*runs):
        batches = [pa.record_batch({"rn": pa.array(r, pa.int64()), "x": pa.array([v * 10 for v in r], pa.int64())}) for r in runs]
        return pa.Table.from_batches(batches)

    blocks = _in_line_order(table([3, 4, 5], [0, 1, 2], [], [6]))  # blocks of consecutive lines: reordered
    assert blocks.column("rn").to_pylist() == list(range(7)) and blocks.column("x").to_pylist()[-1] == 60
    mixed = _in_line_order(table([2, 0], [1, 3]))  # anything else: sorted
    assert mixed.column("rn").to_pylist() == [0, 1, 2, 3] and mixed.column("x").to_pylist() == [0, 10, 20, 30]
    gap = _in_line_order(table([2, 3], [0]))
    assert gap.column("rn").to_pylist() == [0, 2, 3]
