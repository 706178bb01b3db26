"""Each supported link type, with frames built by scapy and files written by scapy."""

from __future__ import annotations

import struct

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.layers.l2 import SNAP, CookedLinux, CookedLinuxV2, Dot1AD, Dot1Q, Dot3, Ether, LLC, Loopback
from scapy.packet import Raw, raw
from scapy.utils import PcapNgWriter, PcapWriter

from capture_frames import run_file

REQUEST = b"POST /v1/track HTTP/1.1\r\nHost: api.segment.io\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{\"email\":\"a@example.com\"} "
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


def conversation(v6: bool = False):
    """SYN, SYN-ACK, ACK, request, response, FINs as scapy L3 packets."""
    if v6:
        c2s = IPv6(src="2001:db8::2", dst="2001:db8::80")
        s2c = IPv6(src="2001:db8::80", dst="2001:db8::2")
    else:
        c2s = IP(src="10.0.0.2", dst="198.51.100.7")
        s2c = IP(src="198.51.100.7", dst="10.0.0.2")
    cs, ss = 1000, 5000
    req_end = cs + 1 + len(REQUEST)
    resp_end = ss + 1 + len(RESPONSE)
    return [
        c2s / TCP(sport=40001, dport=80, flags="S", seq=cs),
        s2c / TCP(sport=80, dport=40001, flags="SA", seq=ss, ack=cs + 1),
        c2s / TCP(sport=40001, dport=80, flags="A", seq=cs + 1, ack=ss + 1),
        c2s / TCP(sport=40001, dport=80, flags="PA", seq=cs + 1, ack=ss + 1) / Raw(REQUEST),
        s2c / TCP(sport=80, dport=40001, flags="PA", seq=ss + 1, ack=req_end) / Raw(RESPONSE),
        c2s / TCP(sport=40001, dport=80, flags="FA", seq=req_end, ack=resp_end),
        s2c / TCP(sport=80, dport=40001, flags="FA", seq=resp_end, ack=req_end + 1),
        c2s / TCP(sport=40001, dport=80, flags="A", seq=req_end + 1, ack=resp_end + 1),
    ]


# Explicit addresses: without them scapy resolves MACs (neighbour discovery) per packet.
MACS = {"src": "02:00:00:00:00:01", "dst": "02:00:00:00:00:02"}


def null_header(af: int, order: str):
    return lambda p: struct.pack(order + "I", af) + raw(p)


LINKS = {
    # name: (linktype, wrap(l3 packet) -> frame bytes or scapy packet, ipv6?)
    "ethernet": (1, lambda p: Ether(**MACS) / p, False),
    "ethernet-ipv6": (1, lambda p: Ether(**MACS) / p, True),
    "802.3-llc-snap": (1, lambda p: Dot3(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
                       / LLC(dsap=0xAA, ssap=0xAA, ctrl=3) / SNAP(OUI=0, code=0x0800) / p, False),
    "vlan": (1, lambda p: Ether(**MACS) / Dot1Q(vlan=42) / p, False),
    "qinq-ipv6": (1, lambda p: Ether(**MACS) / Dot1AD(vlan=7) / Dot1Q(vlan=42) / p, True),
    "linux-sll": (113, lambda p: CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00",
                                              proto=0x86DD if p.version == 6 else 0x0800) / p, False),
    "linux-sll2": (276, lambda p: CookedLinuxV2(proto=0x0800) / p, False),
    "linux-sll2-ipv6": (276, lambda p: CookedLinuxV2(proto=0x86DD) / p, True),
    "null-scapy-loopback": (0, lambda p: Loopback(type=2) / p, False),
    "null-le-af2": (0, null_header(2, "<"), False),
    "null-be-af2": (0, null_header(2, ">"), False),
    "null-linux-ipv6-af10": (0, null_header(10, "<"), True),
    "null-netbsd-ipv6-af24": (0, null_header(24, "<"), True),
    "null-freebsd-ipv6-af28": (0, null_header(28, "<"), True),
    "null-macos-ipv6-af30": (0, null_header(30, "<"), True),
    "null-macos-ipv6-af30-be": (0, null_header(30, ">"), True),
    "loop-openbsd": (108, null_header(2, ">"), False),
    "loop-openbsd-ipv6": (108, null_header(24, ">"), True),
    "raw-101": (101, lambda p: p, False),
    "raw-101-ipv6": (101, lambda p: p, True),
    "raw-bsd-12": (12, lambda p: p, False),
    "raw-openbsd-14": (14, lambda p: p, False),
    "ipv4-228": (228, lambda p: p, False),
    "ipv6-229": (229, lambda p: p, True),
}


def _check(c, v6):
    assert c.proc.summary["requests"] == 1
    (e,) = c.requests
    assert e.method == "POST" and e.dst_host == "api.segment.io" and e.status == 200
    assert (":" in e.dst_ip) == v6
    (s,) = c.samples
    assert s.body == b'{"email":"a@example.com"} '
    assert c.proc.stats.get("bad_packets", 0) == 0


@pytest.mark.parametrize("name", sorted(LINKS))
def test_link_type_pcap(tmp_path, name):
    linktype, wrap, v6 = LINKS[name]
    path = tmp_path / f"{name}.pcap"
    w = PcapWriter(str(path), linktype=linktype, sync=True)
    for i, p in enumerate(conversation(v6)):
        frame = wrap(p)
        pkt = Raw(frame) if isinstance(frame, bytes) else frame
        pkt.time = 1_700_000_000 + i
        w.write(pkt)
    w.close()
    if linktype == 0:
        # scapy's writers treat linktype 0 (DLT_NULL) as "unset" and write 1: fix the header.
        with open(path, "r+b") as f:
            f.seek(20)
            f.write(struct.pack("<I", 0))
    _check(run_file(path), v6)


@pytest.mark.parametrize("name", ["ethernet", "linux-sll2", "null-macos-ipv6-af30", "raw-101-ipv6"])
def test_link_type_pcapng(tmp_path, name):
    linktype, wrap, v6 = LINKS[name]
    path = tmp_path / f"{name}.pcapng"
    w = PcapNgWriter(str(path))
    w.linktype = linktype  # scapy only guesses it from Packet classes; frames here are bytes
    w.write_header(None)
    for i, p in enumerate(conversation(v6)):
        frame = wrap(p)
        if not isinstance(frame, bytes):
            frame = raw(frame)
        w._write_packet(frame, linktype=linktype, sec=1_700_000_000 + i, usec=0)
    w.close()
    c = run_file(path)
    _check(c, v6)
    assert c.requests[0].ts == pytest.approx(1_700_000_003, abs=1e-3)


def test_unknown_link_type_is_counted(tmp_path):
    path = tmp_path / "ppp.pcap"
    w = PcapWriter(str(path), linktype=9, sync=True)  # DLT_PPP: not decoded
    for p in conversation():
        w.write(b"\xff\x03\x00\x21" + raw(p))
    w.close()
    c = run_file(path)
    assert c.proc.summary["requests"] == 0
    assert c.proc.stats["bad_packets.linktype_9"] == 8


def test_llc_without_snap_is_not_ip(tmp_path):
    path = tmp_path / "stp.pcap"
    w = PcapWriter(str(path), linktype=1, sync=True)
    w.write(raw(Dot3(dst="01:80:c2:00:00:00") / LLC(dsap=0x42, ssap=0x42, ctrl=3) / Raw(b"\x00" * 35)))
    w.close()
    c = run_file(path)
    assert c.proc.stats["non_ip"] == 1 and c.proc.stats.get("bad_packets", 0) == 0
