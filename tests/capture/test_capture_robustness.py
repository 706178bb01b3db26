"""Truncated files, garbage bytes and random packets never crash and are counted."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture_frames import PCAPS, TcpConn, collector, http_exchange, run_file, run_frames, write_pcap
from sentinel.collect.capture import CaptureFileError, CaptureReader
from sentinel.collect.capture.linktypes import DECODERS

ALL = sorted(PCAPS.glob("*.pcap"))


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_truncated_pcaps_never_crash(tmp_path, path):
    data = path.read_bytes()
    full = run_file(path).proc.summary
    # record boundaries: a file cut exactly there is a shorter valid capture
    bounds = {24} | {off + 16 + len(d) for off, _ts, _lt, d in CaptureReader(path)}
    cuts = sorted({10, 30, 40, len(data) // 3, len(data) // 2, len(data) - 1} - bounds)
    for cut in cuts:
        p = tmp_path / f"cut{cut}.pcap"
        p.write_bytes(data[:cut])
        c = collector()
        (report,) = c.proc.process_capture(p)
        assert report.truncated or report.error
        assert str(p) in report.error and "byte" in report.error
        s = c.proc.summary
        assert s["requests"] <= full["requests"] and s["tls_handshakes"] <= full["tls_handshakes"]
        assert c.proc.stats["files_truncated"] + c.proc.stats["files_with_errors"] >= 1
        assert c.proc.stats.get("parser_errors", 0) == 0


def test_not_a_capture_is_reported_with_file_and_position(tmp_path):
    p = tmp_path / "notes.pcap"
    p.write_bytes(b"this is not a capture at all\n" * 10)
    c = collector()
    report = c.proc.process_file(p)
    assert report.error and str(p) in report.error and "at byte 0" in report.error
    assert report.packets == 0 and c.proc.stats["files_with_errors"] == 1
    with pytest.raises(CaptureFileError, match="not a pcap or pcapng file"):
        list(CaptureReader(p))


def test_corrupt_record_length_stops_with_offset(tmp_path):
    data = bytearray((PCAPS / "zeek_http_post_urlencoded.pcap").read_bytes())
    # third record's incl_len becomes absurd
    pos = 24
    for _ in range(2):
        incl = struct.unpack_from("<I", data, pos + 8)[0]
        pos += 16 + incl
    struct.pack_into("<I", data, pos + 8, 0x7FFFFFFF)
    p = tmp_path / "corrupt.pcap"
    p.write_bytes(bytes(data))
    c = collector()
    report = c.proc.process_file(p)
    assert report.packets == 2
    assert f"at byte {pos}" in report.error and "not plausible" in report.error


def test_garbage_appended_to_pcapng(tmp_path):
    from scapy.utils import PcapNgWriter
    from scapy.layers.l2 import Ether
    from scapy.layers.inet import IP, TCP

    p = tmp_path / "g.pcapng"
    w = PcapNgWriter(str(p))
    w.write(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IP(dst="192.0.2.1") / TCP())
    w.close()
    with open(p, "ab") as f:
        f.write(b"\x06\x00\x00\x00\xff\xff\xff\x7f garbage")
    c = collector()
    report = c.proc.process_file(p)
    assert report.packets == 1 and report.error and "block length" in report.error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(linktype=st.sampled_from(sorted(DECODERS) + [9, 65535]), frame=st.binary(max_size=200))
def test_random_frames_never_crash(linktype, frame):
    c = collector()
    c.proc.process_packet(1.0, linktype, frame)
    c.proc.flush()
    s = c.proc.stats
    assert s["packets"] == 1
    assert s.get("parser_errors", 0) == 0


def _tcp_ipv4(payload: bytes, flags: int = 0x18, ihl: int = 5, total: int | None = None, frag: int = 0x4000) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", 40000, 80, 1, 1, 0x50, flags, 1024, 0, 0)
    tot = 20 + 20 + len(payload) if total is None else total
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot, 1, frag, 64, 6, 0, b"\x0a\0\0\x01", b"\x0a\0\0\x02")
    return b"\x02" * 12 + b"\x08\x00" + ip + tcp + payload


@pytest.mark.parametrize("frame,reason", [
    (_tcp_ipv4(b"x", ihl=3), "ip_bad_header"),
    (_tcp_ipv4(b"x", total=30), "ip_bad_length"),
    (_tcp_ipv4(b"x", frag=0x2000), "ip_fragment"),
    (_tcp_ipv4(b"x")[:40], "tcp_truncated"),
    (b"\x02" * 12 + b"\x08\x00" + b"\x45", "ip_truncated"),
    (b"\x02" * 5, "link_truncated"),
])
def test_bad_headers_are_counted_by_reason(frame, reason):
    c = collector()
    c.proc.process_packet(1.0, 1, frame)
    assert c.proc.stats[f"bad_packets.{reason}"] == 1 and c.proc.stats["bad_packets"] == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    port=st.sampled_from([80, 443, 25, 8080, 9999]),
    chunks=st.lists(
        st.one_of(
            st.binary(max_size=300),
            st.sampled_from([b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n", b"Content-Length: 5\r\n",
                             b"Transfer-Encoding: chunked\r\n", b"zz\r\n", b"0\r\n\r\n", b"\x16\x03\x01\x00\x05",
                             b"\x01\x00\x00\x01", b"STARTTLS\r\n", b"CONNECT a:1 HTTP/1.1\r\n\r\n",
                             b"HTTP/1.1 101 x\r\n\r\n", b"Content-Encoding: gzip\r\n", b"\x1f\x8b\x08"]),
        ),
        max_size=25,
    ),
    server=st.lists(st.sampled_from([b"HTTP/1.1 200 OK\r\n", b"Content-Length: 3\r\n\r\nabc", b"\x16\x03\x03\x00\x02\x02\x00",
                                     b"220 ok\r\n", b"HTTP/1.1 100 Continue\r\n\r\n", b"\xff" * 7]), max_size=6),
)
def test_random_streams_never_crash_parsers(port, chunks, server):
    conn = TcpConn(server=("198.51.100.9", port))
    frames = conn.handshake()
    for i, ch in enumerate(chunks):
        if ch:
            frames.append(conn.c(ch))
        if i < len(server):
            frames.append(conn.s(server[i]))
    frames += conn.close()
    c = run_frames(frames, max_body_bytes=64)
    assert c.proc.stats.get("parser_errors", 0) == 0
    assert c.proc.summary["open_flows"] == 0


def test_snaplen_cut_packets_make_a_gap(tmp_path):
    conn = TcpConn()
    body = b"x" * 3000
    req = b"POST /snap HTTP/1.1\r\nHost: s.example\r\nContent-Length: 3000\r\n\r\n" + body
    frames = http_exchange(conn, req)
    cut = [(ts, fr[:200]) for ts, fr in frames]  # snaplen 200 as in "tcpdump -s 200"
    # pcap records with orig_len > incl_len
    p = tmp_path / "snap.pcap"
    with open(p, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 200, 1))
        for (ts, fr), (_, full) in zip(cut, frames):
            f.write(struct.pack("<IIII", int(ts), 0, len(fr), len(full)) + fr)
    c = run_file(p)
    assert [e.url for e in c.requests] == ["/snap"]
    assert c.samples[0].body_truncated
    assert c.proc.stats["snaplen_truncated_segments"] >= 1 and c.proc.summary["truncated_flows"] == 1
    assert c.proc.stats.get("parser_errors", 0) == 0


def test_file_written_by_helper_roundtrips(tmp_path):
    conn = TcpConn()
    p = write_pcap(tmp_path / "h.pcap", http_exchange(conn, b"GET /w HTTP/1.1\r\nHost: w\r\n\r\n"))
    assert [e.url for e in run_file(p).requests] == ["/w"]
