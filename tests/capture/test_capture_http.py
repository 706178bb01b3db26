"""HTTP/1.x parsing on synthetic connections: framing, encodings, pairing, sampling."""

from __future__ import annotations

import gzip
import zlib

import brotli
import cramjam
import pytest
import zstandard

from capture_frames import CCS, TcpConn, app_data, client_hello, http_exchange, run_frames, server_hello

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
JSON = b'{"email":"jane.doe@example.com","iban":"FR7630006000011234567890189"}'


def one(request: bytes, response: bytes = OK, **kw):
    conn = TcpConn()
    return run_frames(http_exchange(conn, request, response), **kw)


def post(body: bytes, *headers: str) -> bytes:
    h = "".join(f"{x}\r\n" for x in headers)
    return (f"POST /api HTTP/1.1\r\nHost: api.example.com\r\n{h}Content-Length: {len(body)}\r\n\r\n").encode() + body


def test_event_and_sample_fields():
    req = post(JSON, "Content-Type: application/json", "User-Agent: curl/8.0")
    c = one(req)
    (e,) = c.requests
    assert (e.source, e.method, e.scheme, e.dst_host, e.dst_port, e.url, e.status) == (
        "pcap", "POST", "http", "api.example.com", 80, "/api", 200)
    assert e.src_ip == "10.1.0.2" and e.dst_ip == "203.0.113.10"
    assert e.bytes_out == len(req) and e.bytes_in == len(OK)
    assert e.user_agent == "curl/8.0" and e.http_version == "HTTP/1.1"
    (s,) = c.samples
    assert s.body == JSON and s.content_type == "application/json" and not s.body_truncated
    assert ("Content-Type", "application/json") in s.headers
    assert s.host == "api.example.com" and s.dst_port == 80 and s.flow_id.startswith("1:")


def test_chunked_request_body_with_extensions_and_trailers():
    body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    req = b"POST /c HTTP/1.1\r\nHost: h.example\r\nTransfer-Encoding: chunked\r\n\r\n" + body
    c = one(req + b"GET /next HTTP/1.1\r\nHost: h.example\r\n\r\n", OK + OK)
    assert [s.body for s in c.samples] == [b"hello world", b""]
    assert [e.url for e in c.requests] == ["/c", "/next"]
    assert c.requests[0].bytes_out == len(req)


@pytest.mark.parametrize("encoding,encode", [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as many servers send
    ("br", brotli.compress),
    ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
    ("zstd", lambda b: zstandard.ZstdCompressor(write_content_size=False, level=3).compress(b)),  # streamed: no size
    ("snappy", lambda b: bytes(cramjam.snappy.compress_raw(b))),  # Prometheus remote write
])
def test_content_encodings_are_decoded(encoding, encode):
    c = one(post(encode(JSON), "Content-Type: application/json", f"Content-Encoding: {encoding}"))
    (s,) = c.samples
    assert s.body == JSON and not s.body_truncated
    # Decoded once here: the scanner is not told to decode it again.
    assert [k for k, _ in s.headers if k.lower() == "content-encoding"] == []


def test_a_body_that_did_not_decode_keeps_its_content_encoding():
    c = one(post(b"\x28\xb5\x2f\xfd not really zstd", "Content-Encoding: zstd"))
    assert ("Content-Encoding", "zstd") in c.samples[0].headers


def test_a_snappy_block_is_decoded_whole_and_cut_to_the_limit_or_refused_when_it_states_too_much():
    body = bytes(cramjam.snappy.compress_raw(JSON * 100))  # 7 kB, repetitive: a few hundred bytes
    c = one(post(body, "Content-Encoding: snappy"), max_body_bytes=1000)
    (s,) = c.samples
    assert s.body == (JSON * 100)[:1000] and s.body_truncated
    c = one(post(b"\xff\xff\xff\xff\x0f" + b"\x00" * 64, "Content-Encoding: snappy"), max_body_bytes=1000)
    assert c.samples[0].body.startswith(b"\xff\xff") and c.proc.stats["http_decode_errors"] == 1


def test_stacked_encodings():
    body = brotli.compress(gzip.compress(JSON))
    c = one(post(body, "Content-Encoding: gzip, br"))
    assert c.samples[0].body == JSON


def test_unknown_encoding_keeps_raw_body_and_counts():
    c = one(post(b"\x1f\x9d LZW", "Content-Encoding: compress"))
    assert c.samples[0].body == b"\x1f\x9d LZW"
    assert c.proc.stats["http_unknown_encoding"] == 1


def test_broken_zstd_falls_back_to_raw():
    c = one(post(b"\x28\xb5\x2f\xfd not really zstd", "Content-Encoding: zstd"))
    assert c.samples[0].body == b"\x28\xb5\x2f\xfd not really zstd" and c.proc.stats["http_decode_errors"] == 1


def test_misdeclared_encoding_falls_back_to_raw():
    c = one(post(JSON, "Content-Encoding: gzip"))
    assert c.samples[0].body == JSON and c.proc.stats["http_decode_errors"] == 1


@pytest.mark.parametrize("encoding,encode", [("gzip", gzip.compress), ("br", brotli.compress),
                                             ("deflate", zlib.compress),
                                             ("zstd", lambda b: zstandard.ZstdCompressor(level=19).compress(b))])
def test_decompression_is_bounded(encoding, encode):
    bomb = encode(b"\x00" * (20 << 20))  # 20 MiB of zeros in a few KiB
    c = one(post(bomb, f"Content-Encoding: {encoding}"), max_body_bytes=1000)
    (s,) = c.samples
    assert s.body == b"\x00" * 1000 and s.body_truncated


def test_plain_body_truncated_to_max_body_bytes():
    c = one(post(b"a" * 5000), max_body_bytes=100)
    assert c.samples[0].body == b"a" * 100 and c.samples[0].body_truncated
    assert c.requests[0].bytes_out > 5000  # the event keeps the real size


def test_absolute_form_and_authority_with_port():
    req = b"GET http://User@Example.COM:8080/a/b?q=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n"
    c = one(req)
    (e,) = c.requests
    assert (e.dst_host, e.url, e.scheme) == ("example.com", "/a/b?q=1", "http")
    assert c.samples[0].url == "http://User@Example.COM:8080/a/b?q=1"


def test_ipv6_literal_host_header():
    c = one(b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n")
    assert c.requests[0].dst_host == "2001:db8::1"


def test_connect_tunnel_then_tls_inside():
    conn = TcpConn(server=("192.0.2.8", 3128))
    frames = conn.handshake()
    frames += conn.c_segments(b"CONNECT api.stripe.com:443 HTTP/1.1\r\nHost: api.stripe.com:443\r\n\r\n")
    frames += conn.s_segments(b"HTTP/1.1 200 Connection established\r\n\r\n")
    frames += conn.c_segments(client_hello("api.stripe.com"), size=300)
    frames += conn.s_segments(server_hello(0x0304, 0x1302) + CCS + app_data(500))
    frames += conn.c_segments(CCS + app_data(100)) + conn.close()
    c = run_frames(frames)
    (e,) = c.requests
    assert (e.method, e.dst_host, e.url, e.status) == ("CONNECT", "api.stripe.com", "api.stripe.com:443", 200)
    (h,) = c.handshakes
    assert (h.sni, h.version, h.cipher, h.dst_port) == ("api.stripe.com", "TLSv1.3", "0x1302", 3128)
    (t,) = c.tls_events
    assert t.dst_host == "api.stripe.com" and t.tls_version == "TLSv1.3" and t.bytes_out > 0
    assert c.proc.stats["http_connect_tunnels"] == 1


def test_refused_connect_goes_on_as_http():
    c = one(b"CONNECT x.example:443 HTTP/1.1\r\nHost: x.example:443\r\n\r\nGET /after HTTP/1.1\r\nHost: y.example\r\n\r\n",
            b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n" + OK)
    assert [(e.method, e.status) for e in c.requests] == [("CONNECT", 407), ("GET", 200)]


def test_upgrade_101_stops_parsing():
    req = b"GET /ws HTTP/1.1\r\nHost: h.example\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    after = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nGET /not-http1 HTTP/1.1\r\n\r\n"
    conn = TcpConn()
    frames = conn.handshake() + conn.c_segments(req)
    frames += conn.s_segments(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
    frames += conn.c_segments(after) + conn.s_segments(b"HTTP/1.1 200 OK\r\n\r\n") + conn.close()
    c = run_frames(frames)
    assert [(e.url, e.status) for e in c.requests] == [("/ws", 101)]
    assert c.proc.stats["http_upgrades"] == 1


def test_refused_upgrade_goes_on_as_http():
    req = b"GET /a HTTP/1.1\r\nHost: h.example\r\nUpgrade: h2c\r\n\r\nGET /b HTTP/1.1\r\nHost: h.example\r\n\r\n"
    c = one(req, OK + OK)
    assert [e.url for e in c.requests] == ["/a", "/b"]


def test_expect_100_continue_interim_response():
    req = post(JSON, "Expect: 100-continue")
    c = one(req, b"HTTP/1.1 100 Continue\r\n\r\n" + OK)
    (e,) = c.requests
    assert e.status == 200 and e.bytes_in == len(OK) + 25
    assert c.samples[0].body == JSON


def test_head_response_has_no_body_and_pairs_correctly():
    req = b"HEAD /h HTTP/1.1\r\nHost: h.example\r\n\r\nGET /g HTTP/1.1\r\nHost: h.example\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    c = one(req, resp)
    assert [(e.method, e.status) for e in c.requests] == [("HEAD", 200), ("GET", 404)]


def test_204_304_and_close_delimited_responses():
    req = b"GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.0\r\nHost: h\r\n\r\n"
    resp = (b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
            b"HTTP/1.0 200 OK\r\n\r\nbody until close")
    c = one(req, resp)
    assert [(e.url, e.status) for e in c.requests] == [("/a", 204), ("/b", 304), ("/c", 200)]
    assert c.requests[2].bytes_in == len(b"HTTP/1.0 200 OK\r\n\r\nbody until close")


def test_chunked_response_skipped_and_paired():
    resp = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\n\r\n" + OK
    c = one(b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n", resp)
    assert [(e.url, e.status) for e in c.requests] == [("/1", 200), ("/2", 200)]
    assert c.requests[0].bytes_in == len(resp) - len(OK)


def test_unanswered_requests_are_emitted_at_close():
    conn = TcpConn()
    frames = conn.handshake() + conn.c_segments(b"GET /x HTTP/1.1\r\nHost: h\r\n\r\n") + conn.close()
    c = run_frames(frames)
    assert [(e.url, e.status) for e in c.requests] == [("/x", 0)]


def test_bare_lf_and_folded_headers():
    req = b"POST /lf HTTP/1.1\nHost: lf.example\nX-Folded: a\n  b\nContent-Length: 3\n\nabc"
    c = one(req)
    (s,) = c.samples
    assert s.body == b"abc" and ("X-Folded", "a b") in s.headers and s.host == "lf.example"


def test_oversized_head_is_counted_not_fatal():
    req = b"GET /big HTTP/1.1\r\nHost: h\r\nX-Pad: " + b"p" * 70000 + b"\r\n\r\n"
    c = one(req + b"GET /ok HTTP/1.1\r\nHost: h\r\n\r\n")
    assert c.proc.stats["http_header_too_large"] == 1
    assert c.proc.stats.get("parser_errors", 0) == 0
    assert "/ok" in [e.url for e in c.requests]


def test_sampling_one_in_n_per_flow():
    reqs = b"".join(b"GET /%d HTTP/1.1\r\nHost: h.example\r\n\r\n" % i for i in range(7))
    c = one(reqs, OK * 7, sample_rate=3)
    assert len(c.requests) == 7  # events are never sampled
    assert [s.url for s in c.samples] == ["/0", "/3", "/6"]
    assert c.proc.stats["samples_skipped"] == 4


def test_sampling_per_destination_host():
    frames = []
    for port, host in ((40001, b"a.example"), (40002, b"a.example"), (40003, b"b.example")):
        conn = TcpConn(client=("10.0.0.9", port))
        frames += http_exchange(conn, b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n" * 1
                                + b"GET /2 HTTP/1.1\r\nHost: " + host + b"\r\n\r\n", OK + OK)
    c = run_frames(frames, sample_rate=2, sample_by="host")
    assert len(c.requests) == 6
    assert sorted((s.host, s.url) for s in c.samples) == [("a.example", "/"), ("a.example", "/"), ("b.example", "/")]


def test_zero_max_body_bytes_keeps_headers_only():
    c = one(post(JSON), max_body_bytes=0)
    assert c.samples[0].body == b"" and c.samples[0].headers


def test_http_on_any_port_and_not_tls_by_port():
    conn = TcpConn(server=("198.51.100.1", 443))
    c = run_frames(http_exchange(conn, b"GET /plain-on-443 HTTP/1.1\r\nHost: h\r\n\r\n"))
    assert [e.url for e in c.requests] == ["/plain-on-443"] and c.handshakes == []


def test_callback_errors_propagate():
    def boom(_):
        raise RuntimeError("consumer down")

    from capture_frames import collector

    col = collector()
    col.proc.on_event = boom
    conn = TcpConn()
    with pytest.raises(RuntimeError, match="consumer down"):
        for i, (ts, fr) in enumerate(http_exchange(conn, b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")):
            col.proc.process_packet(ts, 1, fr, i)
