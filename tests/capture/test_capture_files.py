"""Capture file formats, readers, and directories of rotated files."""

from __future__ import annotations

import gzip
import os
import struct

import pytest

from capture_frames import PCAPS, TcpConn, http_exchange, run_file
from sentinel.collect.capture import CaptureReader, iter_capture_files

ALL = sorted(PCAPS.glob("*.pcap"))


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_native_reader_matches_scapy_reader(path):
    ours = [(round(ts, 6), lt, d) for _o, ts, lt, d in CaptureReader(path)]
    theirs = [(round(ts, 6), lt, d) for _o, ts, lt, d in CaptureReader(path, backend="scapy")]
    assert ours == theirs and ours


def test_scapy_backend_gives_same_results():
    path = PCAPS / "sv_http_pipelined_40_requests.pcap"
    from capture_frames import collector

    c = collector()
    c.proc.process_file(path, backend="scapy")
    c.proc.flush()
    assert c.proc.summary["requests"] == 40


def _records(path):
    return list(CaptureReader(path))


def _rewrite(path, out, *, endian="<", nano=False):
    recs = _records(path)
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    with open(out, "wb") as f:
        f.write(struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, recs[0][2]))
        for _o, ts, _lt, d in recs:
            sec = int(ts)
            frac = round((ts - sec) * (1e9 if nano else 1e6))
            f.write(struct.pack(endian + "IIII", sec, frac, len(d), len(d)) + d)
    return recs


@pytest.mark.parametrize("endian,nano", [(">", False), ("<", True), (">", True)])
def test_pcap_byte_orders_and_nanosecond_timestamps(tmp_path, endian, nano):
    src = PCAPS / "zeek_http_post_urlencoded.pcap"
    out = tmp_path / "v.pcap"
    recs = _rewrite(src, out, endian=endian, nano=nano)
    got = _records(out)
    assert [d for *_, d in got] == [d for *_, d in recs]
    assert [t for _o, t, _l, _d in got] == pytest.approx([t for _o, t, _l, _d in recs], abs=1e-6)
    assert run_file(out).proc.summary["requests"] == 1


def test_gzip_compressed_capture(tmp_path):
    out = tmp_path / "rot.pcap.gz"
    out.write_bytes(gzip.compress((PCAPS / "sv_http_pipelined_40_requests.pcap").read_bytes()))
    assert run_file(out).proc.summary["requests"] == 40


def _pcapng_block(btype, body):
    body += b"\x00" * (-len(body) % 4)
    n = len(body) + 12
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def test_pcapng_two_interfaces_with_own_linktype_and_resolution(tmp_path):
    conn = TcpConn()
    frames = http_exchange(conn, b"GET /ng HTTP/1.1\r\nHost: ng.example\r\n\r\n")
    shb = _pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    # iface 0: Ethernet, microseconds; iface 1: raw IP, nanoseconds (if_tsresol = 9)
    idb0 = _pcapng_block(1, struct.pack("<HHI", 1, 0, 65535))
    idb1 = _pcapng_block(1, struct.pack("<HHI", 101, 0, 65535) + struct.pack("<HHB3x", 9, 1, 9) + b"\x00" * 4)
    blocks = [shb, idb0, idb1]
    for i, (ts, fr) in enumerate(frames):
        iface = i % 2
        data = fr if iface == 0 else fr[14:14 + struct.unpack("!H", fr[16:18])[0]]
        units = int(round(ts * (1e6 if iface == 0 else 1e9)))
        blocks.append(_pcapng_block(6, struct.pack("<IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(data), len(data)) + data))
    p = tmp_path / "two.pcapng"
    p.write_bytes(b"".join(blocks))
    recs = _records(p)
    assert [lt for _o, _t, lt, _d in recs][:2] == [1, 101]
    assert [t for _o, t, _l, _d in recs] == pytest.approx([t for t, _ in frames], abs=1e-6)
    c = run_file(p)
    assert [e.url for e in c.requests] == ["/ng"] and c.requests[0].status == 200


def test_directory_of_rotated_files_continues_flows(tmp_path):
    src = PCAPS / "zeek_http_post_expect_100_continue.pcap"
    recs = _records(src)
    d = tmp_path / "rot"
    d.mkdir()
    # tcpdump -C naming: dump, dump1, dump2 ... ; written out of name order on purpose
    parts = [recs[:7], recs[7:30], recs[30:]]
    names = ["dump", "dump1", "dump2"]
    for name, part in reversed(list(zip(names, parts))):
        with open(d / name, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for _o, ts, _lt, data in part:
                sec = int(ts)
                f.write(struct.pack("<IIII", sec, round((ts - sec) * 1e6), len(data), len(data)) + data)
    (d / "README.txt").write_text("not a capture")
    os.utime(d / "dump", (2_000_000_000, 2_000_000_000))  # mtimes lie after a copy
    assert [p.name for p in iter_capture_files(d)] == names
    c = run_file(d)
    (s,) = c.samples
    assert len(s.body) == 2001 and not s.body_truncated
    assert c.requests[0].status == 200
    assert c.proc.stats["files"] == 3 and c.proc.summary["flows"] == 1


def test_process_file_reports_per_file_counts(tmp_path):
    from capture_frames import collector

    c = collector()
    rep = c.proc.process_file(PCAPS / "sv_tls13_ipv6_google.pcap")
    assert rep.format == "pcap" and rep.packets == 70 and rep.error is None and not rep.truncated
    c.proc.flush()
    assert c.proc.summary["tls_handshakes"] == 2
