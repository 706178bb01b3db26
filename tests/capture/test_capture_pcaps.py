"""Every real capture in tests/data/pcap ingests with the counts tshark gives (MANIFEST)."""

from __future__ import annotations

from collections import Counter

import pytest

from capture_frames import PCAPS, run_file
from sentinel.collect.capture.tls import is_grease

# Expected values copied from /work/shared/data/MANIFEST.md ("stats": tshark 4.0.17 counts
# of http.request methods, tls.handshake.type==1 packets and their SNIs, tcp_flows).
HTTP = {
    "sv_http_ipv6_multipart_post.pcap": ({"POST": 1}, 1),
    "sv_http_pipelined_40_requests.pcap": ({"GET": 7 + 8 + 8 + 8 + 9}, 1),
    "sv_http_post_json_sdk_init.pcap": ({"POST": 1}, 1),
    "zeek_http_browsing_wikipedia_dns.pcap": ({"GET": 15}, 10),
    "zeek_http_docker_api_json_chunked_upgrade.pcap": ({"HEAD": 1, "POST": 5}, 3),
    "zeek_http_get_gzip_response.pcap": ({"GET": 1}, 1),
    "zeek_http_post_expect_100_continue.pcap": ({"POST": 1}, 1),
    "zeek_http_post_urlencoded.pcap": ({"POST": 1}, 1),
}
TLS = {
    # file: (ClientHello count, SNIs, ServerHello versions, ciphers, ALPN, tcp flows)
    "sv_tls10_sni_apple.pcap": (1, ["www.apple.com"], ["TLSv1.0"], ["0xc014"], [], 1),
    "sv_tls12_clienthello_fragmented_mtu300.pcap": (1, ["www.google.com"], ["TLSv1.2"], ["0xc02b"], ["h2", "http/1.1"], 1),
    "sv_tls13_ipv6_google.pcap": (2, ["dns.google", "ipv6.google.com"], ["TLSv1.3"], ["0x1301", "0x1302"], ["h2", "http/1.1"], 2),
    "zeek_tls11_no_sni.pcap": (1, [""], None, None, [], 1),
    "zeek_tls12_sni_heise_alpn_h2.pcap": (1, ["heise.de"], ["TLSv1.2"], ["0xc030"], ["h2", "http/1.1"], 1),
    "zeek_tls13_hello_retry_request.pcap": (2, ["", ""], None, None, [], 1),
}


def test_every_capture_is_covered():
    assert {p.name for p in PCAPS.glob("*.pcap")} == set(HTTP) | set(TLS)


@pytest.mark.parametrize("name", sorted(HTTP))
def test_http_capture_counts(name):
    methods, flows = HTTP[name]
    c = run_file(PCAPS / name)
    assert Counter(e.method for e in c.requests) == Counter(methods)
    assert len(c.samples) == sum(methods.values())
    assert c.handshakes == []
    s = c.proc.summary
    assert s["requests"] == sum(methods.values())
    assert s["tls_handshakes"] == 0
    assert s["flows"] == flows
    assert s["truncated_flows"] == 0
    assert c.proc.stats.get("parser_errors", 0) == 0
    assert all(e.source == "pcap" and e.scheme == "http" and e.dst_host for e in c.requests)


@pytest.mark.parametrize("name", sorted(TLS))
def test_tls_capture_counts(name):
    n, snis, versions, ciphers, alpn, flows = TLS[name]
    c = run_file(PCAPS / name)
    assert len(c.handshakes) == n
    assert sorted(h.sni for h in c.handshakes) == sorted(snis)
    assert c.requests == []
    assert c.proc.summary["tls_handshakes"] == n
    assert c.proc.summary["flows"] == flows
    assert len(c.tls_events) == flows  # one event per TLS connection
    if versions is not None:
        assert sorted({h.version for h in c.handshakes}) == versions
        assert sorted({h.cipher for h in c.handshakes}) == ciphers
        for ev in c.tls_events:
            assert ev.tls_version in versions and ev.tls_cipher in ciphers
    for h in c.handshakes:
        assert h.alpn == alpn
        assert h.flow_id.startswith("1:") and h.src_port and h.dst_port == 443
    for ev in c.tls_events:
        assert ev.dst_host == ev.sni and ev.bytes_out > 0 and ev.bytes_in > 0


def test_pipelined_requests_keep_order_and_statuses():
    c = run_file(PCAPS / "sv_http_pipelined_40_requests.pcap")
    assert [e.url for e in c.requests][:3] == [
        "/postinfo.html", "/_vti_bin/_vti_aut/author.dll", "/_vti_bin/_vti_aut/author.exe"]
    assert {e.status for e in c.requests} == {404}
    assert all(e.bytes_in > 0 for e in c.requests)
    # each request has its own offset, so replays are idempotent, and its sample the same one
    assert len({(e.origin, e.offset) for e in c.requests}) == 40
    assert [(s.origin, s.offset) for s in c.samples] == [(e.origin, e.offset) for e in c.requests]
    assert c.requests[0].origin == str(PCAPS / "sv_http_pipelined_40_requests.pcap")


def test_origin_set_by_caller_is_kept():
    from capture_frames import collector

    c = collector()
    c.proc.origin = "fp:abc"
    c.proc.process_capture(PCAPS / "zeek_http_post_urlencoded.pcap")
    assert c.requests[0].origin == c.samples[0].origin == "fp:abc"


def test_misdeclared_gzip_falls_back_to_raw_body():
    c = run_file(PCAPS / "sv_http_post_json_sdk_init.pcap")
    (s,) = c.samples
    assert s.content_type == "application/json"
    assert s.body.startswith(b'{"sdk_version":') and s.body.endswith(b"}")
    assert ("Content-Encoding", "gzip") in s.headers
    assert c.proc.stats["http_decode_errors"] == 1
    (e,) = c.requests
    assert (e.dst_host, e.dst_port, e.url, e.status) == ("sdk.xinxiansk.com", 8100, "/api/sdk/init2", 200)


def test_expect_100_continue_body_and_final_status():
    c = run_file(PCAPS / "zeek_http_post_expect_100_continue.pcap")
    (s,) = c.samples
    assert len(s.body) == 2001 and not s.body_truncated
    assert s.content_type == "application/x-www-form-urlencoded"
    (e,) = c.requests
    assert e.status == 200 and e.dst_host == "www.osu.edu" and e.bytes_in > 60000


def test_urlencoded_post_body():
    c = run_file(PCAPS / "zeek_http_post_urlencoded.pcap")
    assert c.samples[0].body == b"hello world"
    assert c.requests[0].dst_host == "httpbin.org" and c.requests[0].url == "/post"


def test_multipart_ipv6_request():
    c = run_file(PCAPS / "sv_http_ipv6_multipart_post.pcap")
    (e,) = c.requests
    assert ":" in e.src_ip and ":" in e.dst_ip and e.dst_host == "home.regit.org"
    assert c.samples[0].content_type.startswith("multipart/form-data")
    assert b"Content-Disposition: form-data" in c.samples[0].body


def test_docker_upgrade_stops_http_parsing():
    c = run_file(PCAPS / "zeek_http_docker_api_json_chunked_upgrade.pcap")
    assert c.proc.stats["http_upgrades"] == 1
    statuses = Counter(e.status for e in c.requests)
    assert statuses[101] == 1
    create = [s for s in c.samples if s.url.endswith("/containers/create")]
    assert create and create[0].body.startswith(b"{") and create[0].content_type == "application/json"


def test_hello_retry_request_gives_two_handshakes_one_connection():
    c = run_file(PCAPS / "zeek_tls13_hello_retry_request.pcap")
    assert len(c.handshakes) == 2 and len(c.tls_events) == 1
    assert len({h.flow_id for h in c.handshakes}) == 1


def test_tls_offered_versions_from_supported_versions():
    c = run_file(PCAPS / "zeek_tls12_sni_heise_alpn_h2.pcap")
    (h,) = c.handshakes
    assert h.offered_versions[:2] == ["TLSv1.3", "TLSv1.2"]
    assert h.version == "TLSv1.2"
    assert h.offered_ciphers and not any(is_grease(int(v, 16)) for v in h.offered_ciphers)


def test_wikipedia_mixed_ethernet_and_8023_frames():
    c = run_file(PCAPS / "zeek_http_browsing_wikipedia_dns.pcap")
    assert c.proc.stats["non_ip"] > 0  # the 802.3 frames without SNAP are counted, not dropped silently
    assert c.proc.stats["non_tcp"] > 0  # DNS
    assert c.proc.summary["packets"] == 136
