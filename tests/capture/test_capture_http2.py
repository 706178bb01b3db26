"""Cleartext HTTP/2 (h2c prior knowledge) in captures.

The conversations are spoken by real HTTP/2 implementations: python-hyper's h2 (the
state machine under httpx and hypercorn) for both ends, in memory, then cut into TCP
segments; and, captured live on loopback, a real gRPC client and server (grpcio)."""

from __future__ import annotations

import gzip
import json
import os
import random
import string
import threading
import time

import h2.config
import h2.connection
import h2.events
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture_frames import TcpConn, collector, run_frames
from detectors.pii import Scanner

EMAIL = "jane.doe@example.com"


def h2_conversation(requests, *, server_first: bool = False, response_body: bytes = b'{"ok":true}'):
    """(client bytes, server bytes) of one connection carrying ``requests``: (headers,
    body) pairs, each answered 200 (or the status a ":status" test header asks for)."""
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    c_out, s_out = [], []
    if server_first:
        server.initiate_connection()
        s_out.append(server.data_to_send())
    client.initiate_connection()
    for headers, body in requests:
        sid = client.get_next_available_stream_id()
        client.send_headers(sid, headers, end_stream=not body)
        if body:
            client.send_data(sid, body, end_stream=True)
    c_bytes = client.data_to_send()
    c_out.append(c_bytes)
    events = server.receive_data(c_bytes)
    if not server_first:
        s_out.insert(0, b"")
    for ev in events:
        if isinstance(ev, h2.events.StreamEnded):
            server.send_headers(ev.stream_id, [(":status", "200"), ("content-type", "application/json")])
            server.send_data(ev.stream_id, response_body, end_stream=True)
    s_out.append(server.data_to_send())
    return b"".join(c_out), b"".join(s_out)


def frames_of(c_bytes: bytes, s_bytes: bytes, *, size: int = 97, server_first: bool = False):
    conn = TcpConn(server=("203.0.113.10", 4317))
    out = conn.handshake()
    if server_first:
        out += conn.s_segments(s_bytes[:9 + int.from_bytes(s_bytes[:3], "big")], size)  # its SETTINGS frame
        s_bytes = s_bytes[9 + int.from_bytes(s_bytes[:3], "big"):]
    out += conn.c_segments(c_bytes, size) + conn.s_segments(s_bytes, size) + conn.close()
    return out


def grpc_frame(message: bytes) -> bytes:
    return b"\x00" + len(message).to_bytes(4, "big") + message


def otlp_log(body: str, attributes: dict) -> bytes:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs

    record = LogRecord(body=AnyValue(string_value=body),
                       attributes=[KeyValue(key=k, value=AnyValue(string_value=v)) for k, v in attributes.items()])
    return ExportLogsServiceRequest(resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=[record])])]
                                    ).SerializeToString()


def _req(method, path, authority="api.segment.io", extra=()):
    return [(":method", method), (":scheme", "http"), (":authority", authority), (":path", path), *extra]


def test_requests_become_events_and_samples():
    body = json.dumps({"userId": "u1", "traits": {"email": EMAIL}}).encode()
    requests = [
        (_req("POST", "/v1/identify", extra=[("content-type", "application/json"), ("user-agent", "analytics-node/6")]),
         body),
        # Same headers again: HPACK sends them as indexes into its dynamic table.
        (_req("POST", "/v1/identify", extra=[("content-type", "application/json"), ("user-agent", "analytics-node/6")]),
         body),
        (_req("GET", f"/v1/p?em={EMAIL.replace('@', '%40')}"), b""),
        (_req("POST", "/v1/batch", extra=[("content-type", "application/json"), ("content-encoding", "gzip")]),
         gzip.compress(body)),
    ]
    c = run_frames(frames_of(*h2_conversation(requests)))
    assert c.proc.stats["flows_h2_prior_knowledge"] == 1 and c.proc.stats["h2_desync"] == 0
    got = sorted((e.method, e.url, e.dst_host, e.status, e.http_version, e.dst_port) for e in c.requests)
    assert got == sorted([
        ("POST", "/v1/identify", "api.segment.io", 200, "HTTP/2", 4317),
        ("POST", "/v1/identify", "api.segment.io", 200, "HTTP/2", 4317),
        ("GET", "/v1/p?em=jane.doe%40example.com", "api.segment.io", 200, "HTTP/2", 4317),
        ("POST", "/v1/batch", "api.segment.io", 200, "HTTP/2", 4317),
    ])
    assert all(e.bytes_out > 0 and e.bytes_in > 0 for e in c.requests)
    assert [e.user_agent for e in c.requests][:2] == ["analytics-node/6"] * 2
    bodies = [s.body for s in c.samples]
    assert bodies.count(body) == 3  # the gzip one decoded, as Content-Encoding says
    scanner = Scanner()
    found = [f for s in c.samples for f in scanner.scan_request(s.method, s.url, s.headers, s.body, s.content_type)]
    assert sorted((f.category, f.field_path) for f in found) == sorted(
        [("EMAIL", "$.traits.email")] * 3 + [("EMAIL", "query.em")])


def test_grpc_call_body_is_walked_as_protobuf():
    message = otlp_log(f"password reset for {EMAIL}", {"user.phone": "+44 20 7946 0958"})
    requests = [(_req("POST", "/opentelemetry.proto.collector.logs.v1.LogsService/Export", "otlp.example.net",
                      [("content-type", "application/grpc"), ("te", "trailers")]), grpc_frame(message))]
    c = run_frames(frames_of(*h2_conversation(requests)))
    (sample,) = c.samples
    assert sample.content_type == "application/grpc" and sample.host == "otlp.example.net"
    fs = Scanner().scan_request(sample.method, sample.url, sample.headers, sample.body, sample.content_type)
    assert {(f.category, f.field_path) for f in fs} == {("EMAIL", "pb.1.2.2.5.1"),
                                                       ("PHONE_NUMBER", "pb.1.2.2.6[user.phone]")}


def test_a_server_that_speaks_first_keeps_its_status():
    requests = [(_req("GET", "/v1/ping"), b"")]
    c_bytes, s_bytes = h2_conversation(requests, server_first=True)
    c = run_frames(frames_of(c_bytes, s_bytes, server_first=True))
    assert [(e.url, e.status) for e in c.requests] == [("/v1/ping", 200)]


@pytest.mark.parametrize("size", [1, 7, 1448])
def test_any_segmentation_reads_the_same(size):
    requests = [(_req("POST", "/v1/track", extra=[("content-type", "application/json")]), b'{"email":"' +
                 EMAIL.encode() + b'"}')] * 3
    c = run_frames(frames_of(*h2_conversation(requests), size=size))
    assert [(e.url, e.status) for e in c.requests] == [("/v1/track", 200)] * 3
    assert {s.body for s in c.samples} == {requests[0][1]}


def test_a_hole_flushes_what_was_read_and_stops():
    requests = [(_req("POST", "/v1/a", extra=[("content-type", "application/json")]), b'{"n":1}'),
                (_req("POST", "/v1/b", extra=[("content-type", "application/json")]), b'{"n":2}' * 2000)]
    c_bytes, s_bytes = h2_conversation(requests)
    conn = TcpConn(server=("203.0.113.10", 4317))
    frames = conn.handshake() + conn.c_segments(c_bytes[:200], 100)
    conn.off_c += 1000  # a thousand bytes never captured
    frames += conn.c_segments(c_bytes[1200:], 1000) + conn.s_segments(s_bytes, 500) + conn.close()
    c = run_frames(frames)
    assert c.proc.stats["h2_desync"] == 1
    # Both were opened before the hole: /v1/a whole, /v1/b's body cut short.
    assert [e.url for e in c.requests] == ["/v1/a", "/v1/b"]
    assert [(s.url, s.body_truncated) for s in c.samples] == [("/v1/a", False), ("/v1/b", True)]
    assert c.samples[0].body == b'{"n":1}' and len(c.samples[1].body) < 2000 * 7


def test_garbage_after_the_preface_is_counted_not_raised():
    conn = TcpConn(server=("203.0.113.10", 4317))
    garbage = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\xff\xff\xff\x01\x00\x00\x00\x00\x01" + b"x" * 50
    c = run_frames(conn.handshake() + conn.c_segments(garbage) + conn.close())
    assert c.proc.stats["h2_desync"] == 1 and c.requests == []
    assert c.proc.stats.get("parser_errors", 0) == 0


def test_live_grpc_call_on_loopback():
    if os.geteuid() != 0:
        pytest.skip("live capture on 'lo' needs root (AF_PACKET socket)")
    from concurrent import futures

    import grpc

    from sentinel.collect.capture import live_capture

    method = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
    received = []

    def export(request, context):
        received.append(request)
        return b""

    handler = grpc.method_handlers_generic_handler("opentelemetry.proto.collector.logs.v1.LogsService", {
        "Export": grpc.unary_unary_rpc_method_handler(export)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()

    c = collector(idle_timeout=30)
    stop, ready = threading.Event(), threading.Event()
    t = threading.Thread(target=lambda: live_capture("lo", f"tcp port {port}", c.proc, stop, ready=ready),
                         daemon=True)
    t.start()
    assert ready.wait(10), "capture socket did not open"
    message = otlp_log(f"card declined for {EMAIL}", {"customer_name": "Tavi Ostrander"})
    with grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.enable_http_proxy", 0)]) as channel:
        call = channel.unary_unary(method)
        call(message, timeout=5)
        call(message, timeout=5)
    deadline = time.time() + 10
    while len(c.samples) < 2 and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    t.join(10)
    server.stop(None)
    assert received == [message, message]
    assert c.proc.stats["flows_h2_prior_knowledge"] >= 1 and c.proc.stats["h2_desync"] == 0
    assert [s.url for s in c.samples] == [method, method]
    scanner = Scanner()
    for s in c.samples:
        assert s.content_type == "application/grpc"
        fs = scanner.scan_request(s.method, s.url, s.headers, s.body, s.content_type)
        assert {(f.category, f.field_path) for f in fs} == {("EMAIL", "pb.1.2.2.5.1"),
                                                           ("PERSON", "pb.1.2.2.6[customer_name]")}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, 2000), junk=st.binary(min_size=1, max_size=60), size=st.integers(1, 300),
       where=st.sampled_from(["client", "server"]))
def test_corrupted_conversations_never_raise(cut, junk, size, where):
    """Bytes overwritten anywhere in either direction: counted, never a parser error."""
    requests = [(_req("POST", "/v1/track", extra=[("content-type", "application/json")]),
                 json.dumps({"email": EMAIL, "n": i}).encode() * 3) for i in range(3)]
    c_bytes, s_bytes = h2_conversation(requests)
    if where == "client":
        at = cut % len(c_bytes)
        c_bytes = c_bytes[:at] + junk + c_bytes[at + len(junk):]
    else:
        at = cut % max(1, len(s_bytes))
        s_bytes = s_bytes[:at] + junk + s_bytes[at + len(junk):]
    c = run_frames(frames_of(c_bytes, s_bytes, size=size))
    assert c.proc.stats.get("parser_errors", 0) == 0
    # A damaged frame header either ends the reading (counted) or is read as another
    # frame (a HEADERS turned PRIORITY opens no stream): never more requests than sent.
    assert len([e for e in c.requests if e.http_version == "HTTP/2"]) <= 3


def test_a_header_value_that_is_not_utf8_is_read_with_replacement():
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    client.send_headers(1, [(b":method", b"GET"), (b":scheme", b"http"), (b":authority", b"api.example.net"),
                            (b":path", b"/a"), (b"x-customer", b"J\xfcrgen M\xfcller")], end_stream=True)
    c = run_frames(frames_of(client.data_to_send(), b""))
    assert c.proc.stats.get("parser_errors", 0) == 0 and c.proc.stats["h2_desync"] == 0
    (s,) = c.samples
    assert dict(s.headers)["x-customer"] == "J\ufffdrgen M\ufffdller"


def test_a_large_data_frame_passes_through_unbuffered():
    # A server that allows 1 MB frames, and a client that sends its 600 kB body in one.
    import h2.settings

    from sentinel.collect.capture.http2 import _DATA, _Side

    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    client.initiate_connection()
    preface = client.data_to_send()
    server.receive_data(preface)
    server.initiate_connection()
    server.update_settings({h2.settings.SettingCodes.MAX_FRAME_SIZE: 1 << 20,
                            h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24})
    server.increment_flow_control_window(1 << 24)
    settings = server.data_to_send()
    client.receive_data(settings)
    body = json.dumps({"email": EMAIL, "pad": "x" * 600_000}).encode()
    client.send_headers(1, _req("POST", "/v1/bulk", extra=[("content-type", "application/json")]))
    client.send_data(1, body, end_stream=True)
    c_bytes = preface + client.data_to_send()
    assert len(c_bytes) > 600_000
    conn = TcpConn(server=("203.0.113.10", 4317))
    frames = conn.handshake() + conn.c_segments(c_bytes[:len(preface)]) + conn.s_segments(settings) + \
        conn.c_segments(c_bytes[len(preface):]) + conn.close()
    c = run_frames(frames, max_body_bytes=1000)
    (s,) = c.samples
    assert s.url == "/v1/bulk" and s.body == body[:1000] and s.body_truncated
    assert c.requests[0].bytes_out > 600_000

    # The reader holds no more than one segment of it at any time.
    side = _Side(preface=False)
    side.max_frame = 1 << 20
    list(side.frames(b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"))  # SETTINGS
    header = (700_000).to_bytes(3, "big") + bytes([_DATA, 0x1]) + (1).to_bytes(4, "big")
    got = list(side.frames(header))
    sizes = []
    for i in range(0, 700_000, 1448):
        got += list(side.frames(b"a" * min(1448, 700_000 - i)))
        sizes.append(len(side.buf))
    assert max(sizes) == 0
    assert sum(len(p) for _, _, _, p, _ in got) == 700_000 and got[-1][1] == 0x1  # END_STREAM on the last piece


def test_a_header_block_in_continuation_frames_counts_all_its_bytes():
    # 30,000 random letters (about 22 kB under HPACK's Huffman code) do not fit one 16 kB
    # frame: HEADERS, then CONTINUATION.
    rng = random.Random(5)
    value = "".join(rng.choice(string.ascii_letters) for _ in range(30_000))
    requests = [(_req("POST", "/v1/track", extra=[("content-type", "application/json"), ("x-trace", value)]),
                 b'{"n":1}')]
    c_bytes, s_bytes = h2_conversation(requests)
    c = run_frames(frames_of(c_bytes, s_bytes, size=1448))
    (e,) = c.requests
    assert e.url == "/v1/track" and e.status == 200
    # Everything the client sent but the preface and its connection-level frames.
    assert 20_000 < e.bytes_out <= len(c_bytes) - 24
