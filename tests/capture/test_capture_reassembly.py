"""TCP reassembly: order, duplicates, overlaps, wrap-around, limits and timeouts."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture_frames import ACK, FIN, PSH, RST, TcpConn, collector, http_exchange, run_frames

BODY = b'{"user":{"email":"jane.doe@example.com","card":"4242 4242 4242 4242"},"items":[' + b'1,' * 300 + b'2]}'
STREAM = (
    b"POST /v1/charges?id=7 HTTP/1.1\r\nHost: api.stripe.com\r\nContent-Type: application/json\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
    + b"".join(b"%x\r\n%s\r\n" % (len(BODY[i:i + 97]), BODY[i:i + 97]) for i in range(0, len(BODY), 97))
    + b"0\r\n\r\n"
    + b"GET /v1/customers/cus_1 HTTP/1.1\r\nHost: api.stripe.com\r\nUser-Agent: t/1\r\n\r\n"
)
RESPONSES = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def _reference():
    conn = TcpConn()
    c = run_frames(http_exchange(conn, STREAM, RESPONSES))
    return [(s.method, s.url, s.headers, s.body, s.body_truncated) for s in c.samples], c


def test_in_order_reference():
    samples, c = _reference()
    assert [s[:2] for s in samples] == [("POST", "/v1/charges?id=7"), ("GET", "/v1/customers/cus_1")]
    assert samples[0][3] == BODY
    assert [e.status for e in c.requests] == [200, 404]
    assert c.proc.summary["truncated_flows"] == 0


REFERENCE = _reference()[0]


@st.composite
def mangled(draw):
    """Cut STREAM into segments, then shuffle, duplicate and add overlapping copies."""
    n = len(STREAM)
    cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=40))))
    bounds = [0] + cuts + [n]
    segs = [(a, b) for a, b in zip(bounds, bounds[1:])]
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 300)), max_size=8))
    segs += [(a, min(n, a + ln)) for a, ln in extra]  # overlapping ranges, same bytes
    dups = draw(st.lists(st.integers(0, len(segs) - 1), max_size=6))
    segs += [segs[i] for i in dups]
    seed = draw(st.integers(0, 2**32 - 1))
    random.Random(seed).shuffle(segs)
    isn = draw(st.sampled_from([1000, 0xFFFFFFFF - 200, 0xFFFFFFF0]))  # include sequence wrap
    return segs, isn


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled())
def test_shuffled_duplicated_overlapping_segments_reassemble_identically(case):
    segs, isn = case
    conn = TcpConn(isn_c=isn)
    frames = conn.handshake()
    frames += [conn.c(STREAM[a:b], at=a) for a, b in segs]
    conn.off_c = len(STREAM)
    frames += conn.s_segments(RESPONSES)
    frames += conn.close()
    c = run_frames(frames)
    got = [(s.method, s.url, s.headers, s.body, s.body_truncated) for s in c.samples]
    assert got == REFERENCE
    assert [e.status for e in c.requests] == [200, 404]
    assert c.proc.summary["truncated_flows"] == 0
    assert c.proc.stats.get("parser_errors", 0) == 0
    assert c.proc.summary["open_flows"] == 0


def test_retransmissions_and_overlaps_are_counted():
    conn = TcpConn()
    frames = conn.handshake()
    frames.append(conn.c(STREAM[:100], at=0))
    frames.append(conn.c(STREAM[:100], at=0))  # exact retransmission
    frames.append(conn.c(STREAM[50:400], at=50))  # overlaps the first 50 bytes
    frames.append(conn.c(STREAM[400:], at=400))
    conn.off_c = len(STREAM)
    frames += conn.s_segments(RESPONSES) + conn.close()
    c = run_frames(frames)
    assert [(s.method, s.url, s.body) for s in c.samples] == [(m, u, b) for m, u, _h, b, _t in REFERENCE]
    assert c.proc.stats["tcp_retransmitted_segments"] >= 1
    assert c.proc.stats["tcp_overlapping_segments"] >= 1


def test_segment_larger_than_mtu():
    conn = TcpConn()
    c = run_frames(conn.handshake() + conn.c_segments(STREAM, size=9000) + conn.s_segments(RESPONSES) + conn.close())
    assert [s.body for s in c.samples][0] == BODY


def test_ethernet_padding_is_not_stream_data():
    # 1-byte segments: every frame is padded to 60 bytes with 0xee, which must not appear.
    conn = TcpConn()
    c = run_frames(conn.handshake() + conn.c_segments(STREAM[:400], size=1) + conn.close())
    assert c.proc.stats.get("parser_errors", 0) == 0
    assert b"\xee" not in c.samples[0].body and c.samples[0].body_truncated


def test_hole_that_never_fills_is_a_gap_and_a_truncated_flow():
    conn = TcpConn()
    frames = conn.handshake()
    head_end = STREAM.index(b"\r\n\r\n") + 4
    frames.append(conn.c(STREAM[:head_end + 50], at=0))
    frames.append(conn.c(STREAM[head_end + 80:], at=head_end + 80))  # 30 bytes never arrive
    conn.off_c = len(STREAM)
    frames += conn.s_segments(RESPONSES) + conn.close()
    c = run_frames(frames)
    s = c.proc.summary
    assert s["truncated_flows"] == 1
    assert c.proc.stats["tcp_gap_bytes"] == 30
    assert c.samples[0].method == "POST" and c.samples[0].body_truncated
    assert s["requests"] >= 1
    assert c.proc.stats.get("parser_errors", 0) == 0


def test_flow_limit_evicts_oldest_and_counts():
    frames = []
    for i in range(5):
        conn = TcpConn(client=("10.9.0.1", 41000 + i))
        frames += conn.handshake() + conn.c_segments(b"GET /%d HTTP/1.1\r\nHost: h%d.example\r\n\r\n" % (i, i))
    c = run_frames(frames, max_flows=2)
    assert c.proc.stats["flows_evicted"] == 3
    # evicted flows still produce their events (status 0: no response seen)
    assert sorted(e.url for e in c.requests) == ["/0", "/1", "/2", "/3", "/4"]
    assert c.proc.summary["open_flows"] == 0


def test_buffer_limit_skips_holes_and_counts():
    conn = TcpConn()
    frames = conn.handshake()
    frames.append(conn.c(STREAM[:10], at=0))
    # everything after a missing byte range, in small pieces: more than the buffer allows
    frames += [conn.c(STREAM[i:i + 50], at=i) for i in range(20, len(STREAM), 50)]
    conn.off_c = len(STREAM)
    frames += conn.close()
    c = run_frames(frames, max_buffer_bytes=200, max_flow_buffer_bytes=10_000)
    st_ = c.proc.stats
    assert st_["reassembly_limit_hits"] >= 1
    assert c.proc.summary["truncated_flows"] == 1
    assert st_.get("parser_errors", 0) == 0
    # HTTP parsing picks up again at the next request line after the skipped hole
    assert [e.url for e in c.requests][-1] == "/v1/customers/cus_1"


def test_data_far_beyond_the_buffer_is_a_capture_drop():
    conn = TcpConn()
    frames = conn.handshake() + [conn.c(STREAM[:10], at=0)]
    frames += [conn.c(STREAM[i:i + 50], at=i) for i in range(20, len(STREAM), 50)]
    conn.off_c = len(STREAM)
    c = run_frames(frames + conn.close(), max_buffer_bytes=200)
    assert c.proc.stats["tcp_gap_bytes"] == 10
    assert [e.url for e in c.requests] == ["/v1/customers/cus_1"]


def _feed(frames, **kw):
    c = collector(**kw)
    for i, (ts, fr) in enumerate(frames):
        c.proc.process_packet(ts, 1, fr, i)
    return c  # not flushed


def test_idle_timeout_closes_flows_on_capture_time():
    a = TcpConn(client=("10.0.0.5", 40001))
    frames = a.handshake() + a.c_segments(b"GET /idle HTTP/1.1\r\nHost: a.example\r\n\r\n")
    b = TcpConn(client=("10.0.0.6", 40002))
    b.ts = a.ts + 1000  # much later than the idle timeout
    frames += b.handshake()
    c = _feed(frames, idle_timeout=60)
    assert c.proc.stats["flows_idle_closed"] == 1
    assert [e.url for e in c.requests] == ["/idle"]  # emitted without a flush
    assert c.proc.summary["open_flows"] == 1


def test_rst_closes_flow_and_emits():
    conn = TcpConn()
    frames = conn.handshake() + conn.c_segments(b"GET /r HTTP/1.1\r\nHost: x.example\r\n\r\n")
    frames.append(conn._frame(False, RST | ACK))
    c = _feed(frames)
    assert c.proc.summary["open_flows"] == 0
    assert [e.url for e in c.requests] == ["/r"]


def test_port_reuse_starts_a_new_flow():
    a = TcpConn(isn_c=1000)
    frames = a.handshake() + a.c_segments(b"GET /first HTTP/1.1\r\nHost: x.example\r\n\r\n")
    b = TcpConn(isn_c=777777)
    b.ts = a.ts + 1
    frames += b.handshake() + b.c_segments(b"GET /second HTTP/1.1\r\nHost: x.example\r\n\r\n")
    c = run_frames(frames)
    assert sorted(e.url for e in c.requests) == ["/first", "/second"]
    assert c.proc.summary["flows"] == 2


def test_midstream_capture_resyncs_on_next_request():
    conn = TcpConn()
    body_tail = b'"x":1}\r\n'  # the end of a request whose start was not captured
    frames = [conn.c(body_tail + b"GET /next HTTP/1.1\r\nHost: late.example\r\n\r\n")]
    c = run_frames(frames)
    assert [e.url for e in c.requests] == ["/next"]
    assert c.proc.stats["flows_midstream"] == 1


def test_fin_with_data_and_flags_only_packets_of_unknown_flows():
    conn = TcpConn()
    frames = [conn._frame(True, ACK)]  # stray ACK of a connection never seen: ignored
    frames += conn.handshake()
    frames.append(conn.c(b"GET /fin HTTP/1.1\r\nHost: f.example\r\n\r\n", flags=FIN | PSH | ACK))
    c = run_frames(frames)
    assert c.proc.summary["flows"] == 1
    assert [e.url for e in c.requests] == ["/fin"]
