"""`sentinel ingest` end to end on real sample logs into real embedded ClickHouse."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.ingest import Ingestor, InputError, expand
from sentinel.runtime import build_pipeline
from tests.test_cli import sentinel

LOGS = Path(__file__).parent / "data" / "logs"
SQUID = LOGS / "logs_squid" / "plaso_squid_access.log"  # 8 records: 3 CONNECT, 4 GET, 1 POST


def ingest(store, settings, *paths, force=False, detect=False):
    pipeline = build_pipeline(settings, store, detect=detect)
    checkpoints = CheckpointStore(settings.data_dir / "checkpoints", filename="ingest.json")
    ingestor = Ingestor(pipeline, checkpoints, force=force, store=store)
    ingestor.ingest(expand(paths))
    return pipeline.summary, ingestor


def rows(store, sql):
    return store.query(sql).result_rows


def test_squid_log_lands_with_masked_urls(store):
    summary, ingestor = ingest(store, store.settings, SQUID)
    assert ingestor.errors == []
    assert summary.events == 8
    assert rows(store, "SELECT count() FROM {db}.events FINAL") == [(8,)]
    methods = dict(rows(store, "SELECT method, count() FROM {db}.events GROUP BY method"))
    assert methods == {"CONNECT": 3, "GET": 4, "POST": 1}
    connects = rows(store, "SELECT DISTINCT dst_port FROM {db}.events WHERE method = 'CONNECT'")
    assert connects == [(443,)]
    # Query values never reach the store: every stored query is key=* pairs.
    for (query,) in rows(store, "SELECT query FROM {db}.events WHERE query != ''"):
        assert all(pair.endswith("=*") or "=" not in pair for pair in query.split("&")), query


def test_rerun_skips_and_force_does_not_duplicate(store):
    ingest(store, store.settings, SQUID)
    again, _ = ingest(store, store.settings, SQUID)
    assert again.events == 0 and again.files_skipped == 1
    forced, _ = ingest(store, store.settings, SQUID, force=True)
    assert forced.events == 8
    assert rows(store, "SELECT count() FROM {db}.events FINAL") == [(8,)]


def rollups(store) -> dict[str, tuple]:
    """What the dashboards read: per-minute rollups by sub-processor."""
    traffic = rows(store, "SELECT subprocessor, sum(requests) FROM {db}.traffic_1m GROUP BY subprocessor")
    found = rows(store, "SELECT category, sum(findings), uniqMerge(subjects) FROM {db}.findings_1m GROUP BY category")
    return {"traffic": dict(traffic), "findings": {c: (n, u) for c, n, u in found}}


def test_force_replaces_a_file_and_the_dashboards_count_it_once(store, settings_factory, tmp_path):
    from sentinel.demo_data import write_log

    log = tmp_path / "recent.log"  # within rollup retention, which counts from the traffic's time
    write_log(log, time.time() // 3600 * 3600, days=1)
    first, _ = ingest(store, store.settings, log, detect=True)
    before = rollups(store)
    assert before["traffic"]["segment"] > 0 and sum(n for n, _ in before["findings"].values()) > 0

    forced, _ = ingest(store, store.settings, log, force=True, detect=True)
    assert forced.events == first.events
    assert rollups(store) == before  # re-counted from the store, not added to it
    assert rows(store, "SELECT count() FROM {db}.events") == [(first.events,)]

    # Re-ingested after the registry changed: stored under the new classification only.
    registry = (Path(store.settings.registry_path).read_text()
                .replace('domains = ["segment.io", "segment.com", "segmentapis.com"]', 'domains = ["segment.invalid"]'))
    (tmp_path / "reg.toml").write_text(registry)
    changed = settings_factory(f'registry = "{tmp_path / "reg.toml"}"\n')
    ingest(store, changed, log, force=True, detect=True)
    after = rollups(store)
    assert "segment" not in after["traffic"]
    assert sum(after["traffic"].values()) == sum(before["traffic"].values())
    assert rows(store, "SELECT count() FROM {db}.events WHERE subprocessor = 'segment'") == [(0,)]
    assert rows(store, "SELECT count() FROM {db}.events") == [(first.events,)]


def test_interrupted_ingest_resumes_after_the_checkpoint(store, tmp_path):
    copy = tmp_path / "access.log"
    shutil.copy(SQUID, copy)
    lines = copy.read_bytes().splitlines(keepends=True)
    half = sum(len(line) for line in lines[:5])
    # A previous run acknowledged the first five lines, then died.
    from sentinel.collect.checkpoint import hash_head
    from sentinel.collect.tail import FINGERPRINT_BYTES, fingerprint

    checkpoints = CheckpointStore(store.settings.data_dir / "checkpoints", filename="ingest.json")
    head = copy.read_bytes()[:FINGERPRINT_BYTES]
    checkpoints.register(fingerprint(copy), offset=half, path=str(copy), head_len=len(head),
                         head_hash=hash_head(head))
    checkpoints.save()
    summary, _ = ingest(store, store.settings, copy)
    assert summary.events == 3


def test_bad_lines_are_quarantined_masked_and_do_not_stop_the_stream(store, tmp_path):
    good = SQUID.read_text().splitlines()
    path = tmp_path / "access.log"
    path.write_text("\n".join([good[0], "1286536309.bad 333 jane.doe@example.com GARBAGE", good[1]]) + "\n")
    summary, _ = ingest(store, store.settings, path)
    assert summary.events == 2
    assert sum(summary.rejected.values()) == 1
    (reason, excerpt), = rows(store, "SELECT reason, excerpt FROM {db}.quarantine")
    assert reason and "jane" not in excerpt and "example" not in excerpt


def test_unknown_format_names_what_was_tried(store, tmp_path):
    path = tmp_path / "notes.log"
    path.write_text("hello world\nthis is not a proxy log\n")
    summary, ingestor = ingest(store, store.settings, path)
    assert summary.events == 0
    assert len(ingestor.errors) == 1 and "notes.log" in ingestor.errors[0] and "squid" in ingestor.errors[0]


def test_a_file_that_cannot_be_read_is_not_counted_as_ingested(tmp_path):
    notes = tmp_path / "notes.log"
    notes.write_text("hello world\nthis is not a proxy log\n")
    result = sentinel("ingest", "--json", str(notes), str(SQUID), tmp_path=tmp_path)
    assert result.returncode == 2  # a file error, though the other file went in
    out = json.loads(result.stdout)
    assert (out["files"], out["files_failed"]) == (1, 1) and out["events"] == 8
    assert len(out["errors"]) == 1 and "notes.log" in out["errors"][0]


def test_a_gzip_log_cut_short_keeps_its_lines_and_the_run_goes_on(tmp_path):
    # A rotation or a copy in progress: the run ended with exit 130 and no word, nothing stored.
    import gzip

    lines = SQUID.read_bytes() * 400  # 3,200 records: the cut falls well inside
    cut = tmp_path / "access.log.1.gz"
    cut.write_bytes(gzip.compress(lines)[:-200])
    result = sentinel("ingest", "--json", str(cut), str(LOGS / "logs_squid"), tmp_path=tmp_path)
    assert result.returncode == 2, result.stderr
    out = json.loads(result.stdout)
    assert len(out["errors"]) == 1 and "access.log.1.gz" in out["errors"][0]
    assert "end-of-stream" in out["errors"][0] and "what came before is kept" in out["errors"][0]
    whole_squid_dir = 13
    assert 2000 + whole_squid_dir < out["events"] < 3200 + whole_squid_dir  # the lines before the cut


def test_an_unknown_format_option_is_refused_before_anything_is_read(tmp_path):
    result = sentinel("ingest", "--format", "squidx", str(SQUID), tmp_path=tmp_path)
    assert result.returncode == 2
    assert "squidx" in result.stderr and "squid" in result.stderr.replace("squidx", "")
    assert "ingest summary" not in result.stdout


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        expand([tmp_path / "absent"])


def test_every_sample_log_directory_ingests(store):
    summary, ingestor = ingest(store, store.settings, LOGS)
    assert ingestor.errors == [] or all("jsonl" in e or "format" in e for e in ingestor.errors)
    stored = rows(store, "SELECT count() FROM {db}.events FINAL")[0][0]
    assert stored == summary.events > 1300
    assert rows(store, "SELECT count() FROM {db}.events WHERE subprocessor = ''")[0][0] > 0


def test_cli_json_summary(tmp_path):
    result = sentinel("ingest", "--json", str(SQUID), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["events"] == 8
    assert {"events", "rejected", "unknown_destinations", "by_subprocessor"} <= set(out)
    assert sum(out["unknown_destinations"].values()) + sum(out["by_subprocessor"].values()) == 8


def test_a_broken_http2_connection_is_reported_in_the_summary(tmp_path):
    # One h2c connection whose frames turn to garbage after its first request.
    import h2.config
    import h2.connection

    from tests.capture.capture_frames import TcpConn, write_pcap

    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    client.send_headers(1, [(":method", "POST"), (":scheme", "http"), (":authority", "api.segment.io"),
                            (":path", "/v1/identify"), ("content-type", "application/json")])
    client.send_data(1, b'{"traits":{"email":"jane.doe@example.com"}}', end_stream=True)
    conn = TcpConn(server=("203.0.113.10", 4317))
    frames = conn.handshake() + conn.c_segments(client.data_to_send() + b"\xff" * 40) + conn.close()
    pcap = write_pcap(tmp_path / "h2c.pcap", frames)
    result = sentinel("ingest", "--json", str(pcap), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["rejected"] == {"h2_desync": 1}
    assert out["events"] == 1 and out["findings"] >= 1  # the request read before the garbage is kept


def test_values_in_paths_and_user_agents_never_reach_the_store(store, tmp_path):
    # Twilio Lookup puts the number in the path; apps and bots put e-mails and tokens in
    # their User-Agent. Both were stored as they came.
    phone, email, token = "+14155550123", "jane.doe@example.com", "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    agent = f"MyApp/1.0 (user={email}; t={token})"
    log = tmp_path / "access.log"
    log.write_text(f'10.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /v2/PhoneNumbers/{phone}?Type=carrier HTTP/1.1" '
                   f'200 512 "-" "{agent}"\n')
    har = tmp_path / "lookup.har"
    entry = {"startedDateTime": "2026-11-26T10:00:01.000Z", "time": 12, "response": {"status": 200},
             "request": {"method": "GET", "url": f"https://lookups.twilio.com/v2/PhoneNumbers/{phone.replace('+', '%2B')}",
                         "httpVersion": "HTTP/1.1", "headers": [{"name": "User-Agent", "value": agent}]}}
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [entry]}}))
    from sentinel.ingest_capture import ingest_capture

    pipeline = build_pipeline(store.settings, store, detect=True)
    ingestor = Ingestor(pipeline, CheckpointStore(tmp_path / "checkpoints"), store.settings,
                        capture_factory=ingest_capture, store=store)
    ingestor.ingest(expand([log, har]))
    pipeline.writer.flush()
    assert ingestor.errors == [] and pipeline.summary.events == 2
    assert pipeline.summary.findings_by_category["PHONE_NUMBER"] == 2  # found, then hidden where stored
    for table in ("events", "findings"):
        columns = [name for name, kind in rows(store, f"SELECT name, type FROM system.columns WHERE "
                                                      f"database = 'sentinel' AND table = '{table}'")
                   if "String" in kind]
        stored = " ".join(str(value) for row in rows(store, f"SELECT {', '.join(columns)} FROM {{db}}.{table}")
                          for value in row)
        for value in (phone, phone[1:], email, token):
            assert value not in stored, f"{table} holds a raw value"
    assert rows(store, "SELECT DISTINCT path FROM {db}.events") == [("/v2/PhoneNumbers/{pii}",)]


# -- files that share a long header -----------------------------------------------------
# AWS Transit Gateway flow logs begin with a 394-byte header line: every such file has the
# same first 256 bytes, which alone used to identify a file.
TGW = LOGS / "logs_aws_vpcflow" / "otel_tgw_v6_flow.log"  # header + 1 record, no final newline


def tgw_logs(directory: Path) -> dict[str, Path]:
    """a: the sample; b: same header, another record; c: same header, two other records."""
    header, record = TGW.read_text().split("\n")
    other = [record.replace(" 12345 443 ", f" {port} 443 ") for port in (23456, 34567, 45678)]
    files = {"a": TGW.read_text(), "b": f"{header}\n{other[0]}\n", "c": f"{header}\n{other[1]}\n{other[2]}\n"}
    for name, text in files.items():
        (directory / f"{name}.log").write_text(text)
    return {name: directory / f"{name}.log" for name in files}


def stored_ids(store) -> tuple[int, int]:
    return rows(store, "SELECT count(), uniqExact(event_id) FROM {db}.events")[0]


def test_files_sharing_a_header_are_each_ingested_in_separate_runs(store, tmp_path):
    logs = tgw_logs(tmp_path)
    counts = []
    for name in "abc":
        summary, ingestor = ingest(store, store.settings, logs[name])
        assert ingestor.errors == [] and sum(summary.rejected.values()) == 0
        counts.append((summary.files, summary.files_skipped, summary.events))
    assert counts == [(1, 0, 1), (1, 0, 1), (1, 0, 2)]
    assert stored_ids(store) == (4, 4)


def test_files_sharing_a_header_are_each_ingested_in_one_run(store, tmp_path):
    logs = tgw_logs(tmp_path)
    summary, ingestor = ingest(store, store.settings, *logs.values())
    assert ingestor.errors == [] and sum(summary.rejected.values()) == 0
    assert (summary.files, summary.files_skipped, summary.events) == (3, 0, 4)
    assert stored_ids(store) == (4, 4)
    again, _ = ingest(store, store.settings, *logs.values())
    assert (again.files_skipped, again.events) == (3, 0)


def test_a_copy_of_an_ingested_file_is_skipped_in_a_later_run_and_in_the_same_run(store, tmp_path):
    logs = tgw_logs(tmp_path)
    ingest(store, store.settings, logs["a"], logs["c"])
    copies = tmp_path / "copies"
    copies.mkdir()
    for name in "ac":
        shutil.copy(logs[name], copies / f"{name}.log.1")
    later, _ = ingest(store, store.settings, copies)
    assert (later.files, later.files_skipped, later.events) == (0, 2, 0)

    shutil.copy(logs["b"], copies / "b.log.1")
    same_run, _ = ingest(store, store.settings, logs["b"], copies / "b.log.1")
    assert (same_run.files, same_run.files_skipped, same_run.events) == (1, 1, 1)
    assert stored_ids(store) == (4, 4)


def test_an_earlier_copy_of_an_ingested_file_is_skipped(store, tmp_path):
    ingest(store, store.settings, SQUID)
    earlier = tmp_path / "access.log.snapshot"  # taken while the log held its first five lines
    earlier.write_bytes(b"".join(SQUID.read_bytes().splitlines(keepends=True)[:5]))
    summary, _ = ingest(store, store.settings, earlier)
    assert (summary.files_skipped, summary.events) == (1, 0)
    assert stored_ids(store) == (8, 8)

def legacy_checkpoint(store, path: Path) -> None:
    """What an ingest before identities could grow left behind: the first 256 bytes, all read."""
    from sentinel.collect.checkpoint import hash_head
    from sentinel.collect.tail import FINGERPRINT_BYTES, fingerprint

    checkpoints = CheckpointStore(store.settings.data_dir / "checkpoints", filename="ingest.json")
    head = path.read_bytes()[:FINGERPRINT_BYTES]
    checkpoints.register(fingerprint(path), offset=path.stat().st_size, path=str(path), head_len=len(head),
                         head_hash=hash_head(head))
    checkpoints.save()


def test_a_file_ingested_before_keeps_its_identity(store, tmp_path):
    logs = tgw_logs(tmp_path)
    legacy_checkpoint(store, logs["a"])
    again, _ = ingest(store, store.settings, logs["a"])
    assert (again.files_skipped, again.events) == (1, 0)
    # The others are told apart from it.
    others, _ = ingest(store, store.settings, logs["b"], logs["c"])
    assert (others.files, others.files_skipped, others.events) == (2, 0, 3)
    assert ingest(store, store.settings, logs["a"])[0].files_skipped == 1


def test_a_file_with_first_bytes_of_its_own_keeps_its_event_ids(store):
    from sentinel.collect.tail import fingerprint

    ingest(store, store.settings, SQUID)
    assert rows(store, "SELECT DISTINCT origin FROM {db}.events") == [(fingerprint(SQUID)[:16],)]


def test_a_file_ingested_before_and_since_renamed_keeps_its_identity(store, tmp_path):
    logs = tgw_logs(tmp_path)
    legacy_checkpoint(store, logs["a"])
    rotated = logs["a"].rename(tmp_path / "a.log.1")
    summary, _ = ingest(store, store.settings, rotated, logs["c"])
    assert (summary.files, summary.files_skipped, summary.events) == (1, 1, 2)


def test_ingest_with_alerts_judges_the_backfill_as_the_daemon_would(tmp_path):
    now = time.time()
    lines = [  # an e-mail to Mixpanel (which may receive none) a minute ago, a token to an unknown host two days ago
        f'{now - 60:.3f}    80 10.20.1.5 TCP_MISS/200 420 GET https://api.mixpanel.com/track?email=jane%40example.com '
        '- HIER_DIRECT/198.51.100.80 image/gif',
        f'{now - 2 * 86400:.3f}   120 10.20.2.15 TCP_MISS/200 90 POST https://hooks.slack-example.org/cb?'
        'token=ghp_R7x2Kq9Lm4Np8Wv3Ty6Zb1Hc5Jd0Fg2Sa7Qe - HIER_DIRECT/203.0.113.50 application/json',
    ]
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    plain = sentinel("ingest", "--json", str(log), tmp_path=tmp_path)
    assert json.loads(plain.stdout)["violations"] == {}  # without --alerts: stored and detected only
    judged = sentinel("ingest", "--json", "--force", "--alerts", str(log), tmp_path=tmp_path)
    assert judged.returncode == 0, judged.stderr
    violations = json.loads(judged.stdout)["violations"]
    assert violations["unapproved_category"] == 1 and violations["secret_leak"] == 1
    listed = json.loads(sentinel("alerts", "list", "--json", "--status", "all", tmp_path=tmp_path).stdout)
    by_kind = {alert["kind"]: alert for alert in listed}
    assert by_kind["unapproved_category"]["status"] == "firing"  # a minute old: still going on
    assert by_kind["secret_leak"]["status"] == "resolved"  # two days old: over, counted from its own time
    assert "ghp_R7x2" not in judged.stdout + json.dumps(listed)


def test_a_notice_beside_the_data_is_skipped_and_one_named_is_read(tmp_path):
    data = tmp_path / "logs"
    data.mkdir()
    shutil.copy(SQUID, data / "access.log")
    (data / "NOTICE.md").write_text("Sample logs from plaso, Apache License 2.0.\n")
    beside = json.loads(sentinel("ingest", "--json", str(data), tmp_path=tmp_path).stdout)
    assert (beside["files"], beside["errors"]) == (1, [])
    named = sentinel("ingest", "--json", str(data / "NOTICE.md"), tmp_path=tmp_path)
    assert named.returncode == 2 and "NOTICE.md" in json.loads(named.stdout)["errors"][0]  # read, not a log
