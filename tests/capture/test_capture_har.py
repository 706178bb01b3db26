"""HAR files as a sample source: real exports from tests/data/har and edge cases."""

from __future__ import annotations

import base64
import json
from collections import Counter

import pytest

from capture_frames import HARS
from sentinel.collect.har import HarParseError, HarRecord, read_har

# From MANIFEST.md (har section): entries, distinct hosts, methods, httpVersion, postData mime.
EXPECTED = {
    "mitmproxy_export_json_protobuf_post_br.har": (5, 5, {"POST": 2, "GET": 3}, {"HTTP/2.0": 5},
                                                   {"application/json+protobuf": 1, "application/octet-stream": 1}),
    "mitmproxy_insomnia_rest_client.har": (1, 1, {"GET": 1}, {"HTTP/1.1": 1}, {"": 1}),
    "mitmproxy_postdata_with_bom.har": (1, 1, {"POST": 1}, {"http/2.0": 1}, {"text/plain": 1}),
    "pagexray_case_sensitive_protocol_chrome.har": (169, 33, {"GET": 158, "OPTIONS": 2, "POST": 9},
                                                    {"http/1.1": 47, "h2": 122},
                                                    {"application/json": 3, "application/x-www-form-urlencoded": 6}),
}
NORMALISED = {"HTTP/2.0": "HTTP/2", "http/2.0": "HTTP/2", "h2": "HTTP/2", "http/1.1": "HTTP/1.1", "HTTP/1.1": "HTTP/1.1"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_har_files(name):
    entries, hosts, methods, versions, mimes = EXPECTED[name]
    har = read_har(HARS / name)
    recs = list(har)
    assert len(recs) == entries and har.stats["records"] == entries and har.stats["bad_entries"] == 0
    assert all(isinstance(r, HarRecord) for r in recs)
    assert len({r.event.dst_host for r in recs}) == hosts
    assert Counter(r.event.method for r in recs) == Counter(methods)
    want_versions = Counter()
    for v, n in versions.items():
        want_versions[NORMALISED[v]] += n
    assert Counter(r.event.http_version for r in recs) == want_versions
    got_mimes = Counter(r.sample.content_type.split(";")[0] for r in recs if r.event.method in ("POST", "PUT") or
                        (name.startswith("mitmproxy_insomnia")))
    assert got_mimes == Counter(mimes)
    for i, r in enumerate(recs):
        e, s = r.event, r.sample
        assert e.source == s.source == "har" and e.offset == s.offset == i and e.origin == s.origin == str(HARS / name)
        assert e.ts > 1e9 and s.ts == e.ts and e.dst_port in (80, 443) and e.dst_host == s.host
        assert s.url.startswith(("http://", "https://")) and e.url.startswith("/")


def test_broken_file_names_file_and_position():
    with pytest.raises(HarParseError) as ei:
        read_har(HARS / "mitmproxy_broken_truncated.har")
    err = ei.value
    assert str(HARS / "mitmproxy_broken_truncated.har") in str(err)
    assert (err.line, err.column) == (5, 1) and "line 5 column 1" in str(err)


def test_bom_file_body_is_text():
    (r,) = read_har(HARS / "mitmproxy_postdata_with_bom.har")
    assert r.sample.body.startswith(b'{"metadata":') and r.event.method == "POST"


def test_binary_post_body_keeps_its_bytes():
    recs = list(read_har(HARS / "mitmproxy_export_json_protobuf_post_br.har"))
    proto = [r for r in recs if r.sample.content_type == "application/octet-stream"][0]
    assert proto.sample.body.startswith(b"\n\x14stanleygvi@gmail.com")


def test_chrome_har_params_rebuilt_as_body():
    recs = list(read_har(HARS / "pagexray_case_sensitive_protocol_chrome.har"))
    posts = [r.sample for r in recs if r.event.method == "POST"]
    js = [s for s in posts if s.content_type == "application/json"]
    assert all(json.loads(s.body) for s in js)
    forms = [s for s in posts if s.content_type.startswith("application/x-www-form-urlencoded")]
    assert all(b"=" in s.body for s in forms)


def _har(tmp_path, entries, version="1.2", name="t.har", prefix=b""):
    p = tmp_path / name
    p.write_bytes(prefix + json.dumps({"log": {"version": version, "creator": {"name": "t", "version": "1"},
                                               "entries": entries}}).encode())
    return p


def _entry(url="https://api.example.com/v1/x?email=a%40b.c", method="POST", post=None, status=200, **extra):
    e = {
        "startedDateTime": "2024-01-02T03:04:05.500+01:00",
        "time": 12.5,
        "request": {"method": method, "url": url, "httpVersion": "HTTP/1.1",
                    "headers": [{"name": "User-Agent", "value": "ua/1"}, {"name": "Content-Type", "value": "application/json"}],
                    "headersSize": -1, "bodySize": -1},
        "response": {"status": status, "headersSize": 100, "bodySize": 50, "content": {"size": 50}},
        "serverIPAddress": "[2001:db8::5]",
    }
    if post is not None:
        e["request"]["postData"] = post
    e.update(extra)
    return e


def test_base64_post_data_and_status_0_and_har_1_1(tmp_path):
    raw = b'{"card":"4242424242424242"}'
    p = _har(tmp_path, [
        _entry(post={"mimeType": "application/json", "text": base64.b64encode(raw).decode(), "encoding": "base64"}),
        _entry(url="http://tracker.example:8080/p", method="GET", status=0),
    ], version="1.1", prefix=b"\xef\xbb\xbf")
    har = read_har(p)
    assert har.version == "1.1"
    a, b = list(har)
    assert a.sample.body == raw and a.sample.content_type == "application/json"
    assert a.event.ts == pytest.approx(1704161045.5) and a.event.duration_ms == 12.5
    assert a.event.dst_ip == "2001:db8::5" and a.event.bytes_in == 150 and a.event.bytes_out > len(raw)
    assert a.event.url == "/v1/x?email=a%40b.c" and a.event.user_agent == "ua/1"
    assert (b.event.status, b.event.dst_port, b.event.scheme) == (0, 8080, "http")
    assert har.stats["status_0"] == 1


def test_body_truncated_to_limit(tmp_path):
    p = _har(tmp_path, [_entry(post={"mimeType": "text/plain", "text": "x" * 1000})])
    (r,) = read_har(p, max_body_bytes=10)
    assert r.sample.body == b"x" * 10 and r.sample.body_truncated


def test_bad_entry_skipped_and_counted_with_what_it_lacks(tmp_path, caplog):
    p = _har(tmp_path, [_entry(), {"request": {"url": "https://no-method.example/"}}, "junk", {"request": None},
                        _entry(method="GET")])
    har = read_har(p)
    assert [r.index for r in har] == [0, 4]
    assert har.stats["bad_entries"] == 3
    reasons = [r.getMessage().split(" skipped: ")[1] for r in caplog.records if "skipped" in r.getMessage()]
    assert reasons == ["its request has no method", "it has no request object", "it has no request object"]


def test_truncated_har_reports_position(tmp_path):
    good = _har(tmp_path, [_entry(), _entry()])
    data = good.read_bytes()
    cut = tmp_path / "cut.har"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(HarParseError) as ei:
        read_har(cut)
    assert str(cut) in str(ei.value) and ei.value.line >= 1 and 0 < ei.value.offset <= len(data) // 2
    assert "truncated" in str(ei.value)


@pytest.mark.parametrize("content,where", [
    (b"[]", "$.log"),
    (b'{"log": {"entries": 5}}', "$.log.entries"),
    (b"", "empty"),
    (b"\xff\xfe{}", "UTF-8"),
])
def test_not_a_har(tmp_path, content, where):
    p = tmp_path / "x.har"
    p.write_bytes(content)
    with pytest.raises(HarParseError, match=None) as ei:
        read_har(p)
    assert str(p) in str(ei.value) and where in str(ei.value)


def test_missing_file(tmp_path):
    with pytest.raises(HarParseError, match="cannot read"):
        read_har(tmp_path / "nope.har")
