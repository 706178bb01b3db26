"""The data-flow inventory from real ingested traffic in real embedded ClickHouse."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime, timezone

import pytest

from sentinel import inventory as inv
from sentinel.collect.checkpoint import CheckpointStore
from sentinel.demo_data import write_capture
from sentinel.ingest import Ingestor, expand
from sentinel.ingest_capture import ingest_capture
from sentinel.runtime import build_pipeline

RAW_VALUES = ("ada.lovelace@example.com", "AKIAZ7Q4M2N8P5R3T6V9", "+1 202-555-0147", "Grace Hopper")


def ingest_demo_capture(store, tmp_path, when):
    path = tmp_path / "mirror.pcap"
    write_capture(path, when)
    pipeline = build_pipeline(store.settings, store)
    Ingestor(pipeline, CheckpointStore(tmp_path / "cp"), store.settings, capture_factory=ingest_capture,
             tls_terminated=True).ingest(expand([path]))
    return pipeline


def test_flows_with_counts_and_approval(store, tmp_path):
    ingest_demo_capture(store, tmp_path, time.time())
    flows = inv.collect(store, store.settings, since="1d")
    by_key = {(f.subprocessor, f.category, f.field_path): f for f in flows}
    approved = by_key[("segment", "EMAIL", "$.traits.email")]
    assert approved.approved and approved.requests == 1 and approved.subjects == 1
    assert not by_key[("segment", "EMAIL", "$.properties.email")].approved
    assert not by_key[("openai", "PHONE_NUMBER", "$.messages[].content")].approved
    assert by_key[("stripe", "SECRET", "header.authorization")].approved  # its own API key
    assert not by_key[("sentry", "SECRET", "$.extra.aws_secret_access_key")].approved
    # one e-mail address, seen in several places, is one data subject per flow
    assert all(f.subjects <= f.requests for f in flows if f.category)


STRIPE_KEY = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcXy"


def _har_entry(url: str, authorization: str = "", ts: float | None = None) -> dict:
    headers = [{"name": "Authorization", "value": authorization}] if authorization else []
    started = datetime.fromtimestamp(ts, timezone.utc) if ts is not None else datetime.now(timezone.utc)
    return {"startedDateTime": started.isoformat(), "time": 5,
            "request": {"method": "POST", "url": url, "httpVersion": "HTTP/1.1", "headers": headers,
                        "queryString": [], "headersSize": -1, "bodySize": 0},
            "response": {"status": 200, "httpVersion": "HTTP/1.1", "headers": [], "content": {"size": 0},
                         "headersSize": -1, "bodySize": 0}}


def test_a_vendors_key_in_another_vendors_login_field_is_not_approved(store, tmp_path):
    har = tmp_path / "run.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": [
        _har_entry("https://api.stripe.com/v1/charges", f"Bearer {STRIPE_KEY}"),
        _har_entry("https://api.segment.io/v1/track", f"Bearer {STRIPE_KEY}"),
        _har_entry(f"https://api.mixpanel.com/track?key={STRIPE_KEY}"),
        _har_entry("https://api.segment.io/v1/identify", "Bearer c2VnbWVudC13cml0ZS1rZXktOTQ3MjE4MzY1"),
    ]}}))
    pipeline = build_pipeline(store.settings, store)
    ingestor = Ingestor(pipeline, CheckpointStore(tmp_path / "cp"), store.settings, capture_factory=ingest_capture)
    ingestor.ingest(expand([har]))
    assert ingestor.errors == []
    flows = {(f.subprocessor, f.field_path, f.endpoint): f for f in inv.collect(store, store.settings, since="1d")
             if f.category == "SECRET"}
    assert flows[("stripe", "header.authorization", "POST /v1/charges")].approved
    assert flows[("segment", "header.authorization", "POST /v1/identify")].approved  # a bearer token names no issuer
    for key in (("segment", "header.authorization", "POST /v1/track"), ("mixpanel", "query.key", "POST /track")):
        assert not flows[key].approved and "stripe.com" in flows[key].rule
    assert STRIPE_KEY not in inv.to_json(list(flows.values()))


def ingest_har(store, tmp_path, name: str, entries: list[dict]) -> None:
    har = tmp_path / f"{name}.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    pipeline = build_pipeline(store.settings, store)
    ingestor = Ingestor(pipeline, CheckpointStore(tmp_path / "cp"), store.settings, capture_factory=ingest_capture)
    ingestor.ingest(expand([har]))
    assert ingestor.errors == []


HOUR = 3600.0


def test_since_and_diff(store, tmp_path):
    ingest_demo_capture(store, tmp_path, time.time() - 3 * 86400)
    assert inv.collect(store, store.settings, since="1d") == []
    older = inv.collect(store, store.settings, since="7d")
    assert older and all(f.change == "" for f in older)
    recent = inv.collect(store, store.settings, since="7d", diff="5d")
    assert recent and all(f.change == "new" for f in recent)
    assert any("every flow in it shows as new" in note for note in inv.diff_notes(store, "7d", "5d"))


def test_diff_gone_is_seen_before_the_period_and_not_in_it(store, tmp_path):
    now = time.time()
    ingest_har(store, tmp_path, "traffic", [
        _har_entry("https://api.stripe.com/v1/charges", ts=now - 14 * HOUR),  # stopped 14 h ago
        _har_entry("https://api.stripe.com/v1/charges", ts=now - 3 * 86400),
        _har_entry("https://api.mixpanel.com/track", ts=now - 3 * 86400),  # still sending
        _har_entry("https://api.mixpanel.com/track", ts=now - HOUR),
        _har_entry("https://api.segment.io/v1/track", ts=now - HOUR),  # started an hour ago
    ])
    changes = {f.subprocessor: f.change for f in inv.collect(store, store.settings, since="7d", diff="12h", now=now)}
    assert changes == {"stripe": "gone", "segment": "new"}


def test_diff_new_looks_back_past_the_since_window(store, tmp_path):
    now = time.time()
    ingest_har(store, tmp_path, "traffic", [
        _har_entry("https://api.stripe.com/v1/charges", ts=now - 21 * 86400),
        _har_entry("https://api.stripe.com/v1/charges", ts=now - HOUR),
    ])
    assert inv.collect(store, store.settings, since="2d", diff="1d", now=now) == []  # 21 days old: not new
    new = inv.collect(store, store.settings, since="30d", diff="22d", now=now)
    assert [(f.subprocessor, f.change) for f in new] == [("stripe", "new")]
    assert new[0].first_seen == pytest.approx(now - 21 * 86400, abs=1)  # the first sighting, not the window's


def test_diff_calls_nothing_gone_when_its_source_went_silent(store, tmp_path):
    # A backfilled log that ended 40 minutes ago: nothing in it stopped, the log did.
    now = time.time()
    ingest_har(store, tmp_path, "backfill", [_har_entry("https://api.stripe.com/v1/charges", ts=now - 40 * 60),
                                             _har_entry("https://api.stripe.com/v1/charges", ts=now - 5 * HOUR)])
    assert inv.collect(store, store.settings, since="1d", diff="30m", now=now) == []
    notes = inv.diff_notes(store, "1d", "30m", now=now)
    assert any("source 'har' reported nothing in the last 30m" in note for note in notes)


@pytest.mark.parametrize("since, diff, message", [
    ("30d", "0d", "--diff: duration '0d' is zero"),
    ("30d", "0", "--diff: cannot read duration '0'"),
    ("1d", "7d", "--diff 7d must be shorter than --since 1d"),
    ("7d", "7d", "--diff 7d must be shorter than --since 7d"),
    ("30d", "all", "--diff: expected a period such as 7d"),
    ("0", None, "--since: '0' has no unit; write 'all'"),
    ("0d", None, "--since: duration '0d' is zero"),
    ("1M", None, "--since: cannot read duration '1M': 'M' is not a unit"),
])
def test_a_period_that_makes_no_sense_is_refused(store, since, diff, message):
    with pytest.raises(ValueError) as refused:
        inv.collect(store, store.settings, since=since, diff=diff)
    assert message in str(refused.value)


def test_formats_hold_no_raw_values(store, tmp_path):
    ingest_demo_capture(store, tmp_path, time.time())
    flows = inv.collect(store, store.settings, since="1d")
    html = inv.to_html(flows, store.settings, "1d")
    as_json = inv.to_json(flows)
    as_csv = inv.to_csv(flows)
    for text in (html, as_json, as_csv):
        for raw in RAW_VALUES:
            assert raw not in text
    assert html.startswith("<!doctype html>") and "<script" not in html and "NOT approved" in html
    assert len(json.loads(as_json)) == len(flows)
    assert len(list(csv.DictReader(io.StringIO(as_csv)))) == len(flows)


def test_since_reads_the_shared_durations_and_all():
    assert inv.parse_since("30d") == 30 * 86400
    assert inv.parse_since("1h30m") == 5400 and inv.parse_since("1.5d") == 1.5 * 86400
    assert inv.parse_since("all") == float("inf")
    for bad in ("30", "d", "1y", "", "1M", "1D"):
        with pytest.raises(ValueError, match="^--since: "):
            inv.parse_since(bad)


def test_an_empty_window_says_what_the_store_holds(store, tmp_path):
    assert "no traffic yet" in inv.empty_window_hint(store, "1d")
    ingest_demo_capture(store, tmp_path, time.time() - 3 * 86400)
    events = store.query("SELECT count() FROM {db}.events").result_rows[0][0]
    hint = inv.empty_window_hint(store, "1d")
    assert f"{events:,} events" in hint and "--since all" in hint


def _flow(sub: str, destination: str) -> inv.Flow:
    return inv.Flow(sub, destination, "", "", "", 0.0, 0.0, 1, 0, 0, 0, bool(sub), "")


def test_table_names_the_domain_of_a_subprocessor_reached_at_several():
    from rich.console import Console

    flows = [_flow("google_ads", "doubleclick.net"), _flow("google_ads", "googlesyndication.com"),
             _flow("stripe", "stripe.com"), _flow("", "")]
    console = Console(width=400, record=True)
    console.print(inv.to_table(flows, inv.title("all", None)))
    text = console.export_text()
    assert "google_ads (doubleclick.net)" in text and "google_ads (googlesyndication.com)" in text
    assert "stripe (stripe.com)" not in text and "stripe" in text
    assert "unknown (no destination)" in text
    assert "data flows, all time" in text


def test_a_diff_report_says_it_is_one_and_each_rows_change(store, tmp_path):
    from rich.console import Console

    now = time.time()
    ingest_har(store, tmp_path, "traffic", [_har_entry("https://api.stripe.com/v1/charges", ts=now - 3 * 86400),
                                            _har_entry("https://api.segment.io/v1/track", ts=now - HOUR)])
    changed = inv.collect(store, store.settings, since="7d", diff="1d", now=now)
    html = inv.to_html(changed, store.settings, "7d", diff="1d")
    assert "<h1>Data-flow changes</h1>" in html and "<th>change</th>" in html
    assert "changes in data flows: new or gone in the last 1d, against the rest of the last 7d" in html
    assert "<td class=change>new</td>" in html and "<td class=change>gone</td>" in html
    assert "1 new &middot; 1 gone" in html and "period: last" not in html
    console = Console(width=400, record=True)
    console.print(inv.to_table(changed, inv.title("7d", "1d")))
    text = console.export_text()
    assert "changes in data flows" in text and "change" in text and "gone" in text
    assert {row["change"] for row in csv.DictReader(io.StringIO(inv.to_csv(changed)))} == {"new", "gone"}
    assert {row["change"] for row in json.loads(inv.to_json(changed))} == {"new", "gone"}
    full = inv.to_html(inv.collect(store, store.settings, since="all", now=now), store.settings, "all")
    assert "<h1>Data-flow inventory</h1>" in full and "data flows, all time" in full and "last all" not in full
    assert "<th>change</th>" not in full


def test_no_personal_data_is_said_only_of_what_was_looked_into(store, tmp_path):
    # A proxy log holds URLs, not bodies: "no personal data detected" claimed more than was seen.
    now = time.time()
    log = tmp_path / "access.log"
    log.write_text(f"{now - 60:.3f}    80 10.20.1.5 TCP_MISS/200 420 POST https://api.sendgrid.com/v3/mail/send - "
                   "HIER_DIRECT/198.51.100.80 application/json\n")
    pipeline = build_pipeline(store.settings, store)
    Ingestor(pipeline, CheckpointStore(tmp_path / "cp-log"), store.settings).ingest(expand([log]))
    pipeline.writer.flush()
    ingest_har(store, tmp_path, "browser", [_har_entry("https://api.mixpanel.com/track", ts=now - 30)])
    rules = {f.subprocessor: f.rule for f in inv.collect(store, store.settings, since="1d") if not f.category}
    assert rules["sendgrid"] == "no personal data detected in URLs; request bodies not inspected (proxy logs only)"
    assert rules["mixpanel"] == "no personal data detected"  # its request went through the detectors
    stored = dict(store.query("SELECT subprocessor, any(inspected) FROM {db}.events GROUP BY subprocessor").result_rows)
    assert stored == {"sendgrid": "url", "mixpanel": "body"}
    flows = inv.collect(store, store.settings, since="1d")
    html = inv.to_html(flows, store.settings, "1d")
    assert "none in URLs (bodies not inspected)" in html and "none found" in html


def test_inbound_records_are_not_called_an_unregistered_destination(store, tmp_path):
    # A reverse proxy's access log names no upstream: its requests went to no third party.
    log = tmp_path / "access.log"
    log.write_text('10.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /shop/cart HTTP/1.1" 200 512 "-" "curl/8.0"\n')
    pipeline = build_pipeline(store.settings, store)
    Ingestor(pipeline, CheckpointStore(tmp_path / "cp"), store.settings).ingest(expand([log]))
    pipeline.writer.flush()
    (flow,) = inv.collect(store, store.settings, since="all")
    assert (flow.subprocessor, flow.destination) == ("", "")
    assert flow.rule.startswith("the records name no destination")


def test_a_request_to_an_unregistered_address_is_a_flow_to_that_address(store, tmp_path):
    # It was "unknown (no destination)": the address was dropped when no cidrs covered it.
    entry = _har_entry("https://203.0.113.10/v1/contacts")
    entry["request"]["postData"] = {"mimeType": "application/json", "text": json.dumps({"email": RAW_VALUES[0]})}
    ingest_har(store, tmp_path, "raw-ip", [entry])
    (flow,) = [f for f in inv.collect(store, store.settings, since="1d") if f.category == "EMAIL"]
    assert (flow.subprocessor, flow.destination, flow.name) == ("", "203.0.113.10", "unknown (203.0.113.10)")


def test_a_subprocessor_with_personal_data_also_shows_all_it_receives(store, tmp_path):
    # Segment's one request with an e-mail among many was all the inventory showed of it.
    now = time.time()
    lines = [f"{now - 60 - n:.3f}    80 10.20.1.5 TCP_MISS/200 420 POST https://api.segment.io/v1/track - "
             "HIER_DIRECT/198.51.100.80 application/json" for n in range(20)]
    lines.append(f"{now - 30:.3f}    80 10.20.1.5 TCP_MISS/200 420 GET https://api.segment.io/v1/p?email="
                 "jane%40example.com - HIER_DIRECT/198.51.100.80 image/gif")
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    pipeline = build_pipeline(store.settings, store)
    Ingestor(pipeline, CheckpointStore(tmp_path / "cp"), store.settings).ingest(expand([log]))
    pipeline.writer.flush()
    rows = {(f.category, f.rule): f.requests for f in inv.collect(store, store.settings, since="1d")
            if f.subprocessor == "segment"}
    assert rows[("", inv.ALL_REQUESTS)] == 21
    assert [n for (category, _), n in rows.items() if category == "EMAIL"] == [1]


def test_watchlist_hits_are_a_column_when_there_are_any():
    from sentinel.config import load_settings

    settings = load_settings(None)
    flows = [_flow("stripe", "stripe.com"), _flow("segment", "segment.com")]
    assert "watchlist" not in inv.to_html(flows, settings, "30d")
    flows[1].watchlist_hits = 3  # a guarded customer's e-mail went to Segment three times
    html = inv.to_html(flows, settings, "30d")
    assert "<th>watchlist hits</th>" in html and "<td class=n>3</td>" in html
    from rich.console import Console

    console = Console(width=300, record=True)
    console.print(inv.to_table(flows, "t"))
    assert "watchlist hits" in console.export_text()
