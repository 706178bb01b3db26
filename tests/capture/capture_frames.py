"""Test helpers: synthetic TCP conversations as raw Ethernet frames, and a collecting run.

Frames are packed with struct (scapy is used where the link layer itself is under test)
so hypothesis can build hundreds of conversations quickly.
"""

from __future__ import annotations

import socket
import ssl
import struct
from dataclasses import dataclass, field
from pathlib import Path

from sentinel.collect.capture import CaptureProcessor

DATA = Path(__file__).resolve().parent.parent / "data"
PCAPS = DATA / "pcap"
HARS = DATA / "har"

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass
class Collected:
    proc: CaptureProcessor
    events: list = field(default_factory=list)
    samples: list = field(default_factory=list)
    handshakes: list = field(default_factory=list)

    @property
    def requests(self):
        return [e for e in self.events if e.scheme != "tls"]

    @property
    def tls_events(self):
        return [e for e in self.events if e.scheme == "tls"]


def collector(**kw) -> Collected:
    c = Collected(proc=None)
    c.proc = CaptureProcessor(on_event=c.events.append, on_sample=c.samples.append,
                              on_handshake=c.handshakes.append, **kw)
    return c


def run_frames(frames, linktype: int = 1, **kw) -> Collected:
    c = collector(**kw)
    for i, (ts, fr) in enumerate(frames):
        c.proc.process_packet(ts, linktype, fr, i)
    c.proc.flush()
    return c


def run_file(path, **kw) -> Collected:
    c = collector(**kw)
    c.proc.process_capture(path)
    return c


def write_pcap(path: Path, frames, linktype: int = 1) -> Path:
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for ts, fr in frames:
            sec = int(ts)
            f.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(fr), len(fr)) + fr)
    return path


class TcpConn:
    """One TCP connection; ``c(...)``/``s(...)`` build client/server segments.

    Sequence numbers are tracked per side; ``at=`` places a segment at a given stream
    offset instead (for reordering and overlap tests) without moving the counters.
    """

    def __init__(self, client=("10.1.0.2", 40000), server=("203.0.113.10", 80), isn_c=1000, isn_s=90000,
                 v6=False, pad=True):
        self.v6 = v6
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        self.cip = socket.inet_pton(fam, client[0])
        self.sip = socket.inet_pton(fam, server[0])
        self.cport, self.sport = client[1], server[1]
        self.isn_c, self.isn_s = isn_c, isn_s
        self.off_c = 0  # stream offsets of the next byte
        self.off_s = 0
        self.pad = pad
        self.ts = 1_700_000_000.0

    def _frame(self, from_client, flags, payload=b"", seq=None, ack=None):
        if from_client:
            src, dst, sp, dp = self.cip, self.sip, self.cport, self.sport
            seq = (self.isn_c + 1 + self.off_c if seq is None else seq) & 0xFFFFFFFF
            ack = (self.isn_s + 1 + self.off_s if ack is None else ack) & 0xFFFFFFFF
        else:
            src, dst, sp, dp = self.sip, self.cip, self.sport, self.cport
            seq = (self.isn_s + 1 + self.off_s if seq is None else seq) & 0xFFFFFFFF
            ack = (self.isn_c + 1 + self.off_c if ack is None else ack) & 0xFFFFFFFF
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0)
        if self.v6:
            ip = struct.pack("!IHBB16s16s", 0x60000000, 20 + len(payload), 6, 64, src, dst)
            et = b"\x86\xdd"
        else:
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 1, 0x4000, 64, 6, 0, src, dst)
            et = b"\x08\x00"
        fr = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + et + ip + tcp + payload
        if self.pad and len(fr) < 60:
            fr += b"\xee" * (60 - len(fr))  # non-zero padding: must never reach the stream
        self.ts += 0.001
        return self.ts, fr

    def handshake(self):
        return [
            self._frame(True, SYN, seq=self.isn_c, ack=0),
            self._frame(False, SYN | ACK, seq=self.isn_s),
            self._frame(True, ACK),
        ]

    def c(self, data: bytes, at: int | None = None, flags=PSH | ACK):
        if at is not None:
            return self._frame(True, flags, data, seq=self.isn_c + 1 + at)
        fr = self._frame(True, flags, data)
        self.off_c += len(data)
        return fr

    def s(self, data: bytes, at: int | None = None, flags=PSH | ACK):
        if at is not None:
            return self._frame(False, flags, data, seq=self.isn_s + 1 + at)
        fr = self._frame(False, flags, data)
        self.off_s += len(data)
        return fr

    def c_segments(self, data: bytes, size: int = 1448):
        return [self.c(data[i:i + size]) for i in range(0, len(data), size)]

    def s_segments(self, data: bytes, size: int = 1448):
        return [self.s(data[i:i + size]) for i in range(0, len(data), size)]

    def close(self):
        out = [self._frame(True, FIN | ACK)]
        self.off_c += 1
        out.append(self._frame(False, FIN | ACK))
        self.off_s += 1
        out.append(self._frame(True, ACK))
        return out


def http_exchange(conn: TcpConn, request: bytes, response: bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"):
    return conn.handshake() + conn.c_segments(request) + conn.s_segments(response) + conn.close()


def real_client_hello(sni: str, alpn=("h2", "http/1.1")) -> bytes:
    """A ClientHello as OpenSSL (through Python's ssl module) really sends it."""
    ctx = ssl.create_default_context()
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def client_hello(sni: str = "", *, versions=(0x0304, 0x0303), ciphers=(0x1301, 0xC02F), alpn=(b"h2",),
                 grease: bool = True, ech: bool = False, legacy: int = 0x0303, record_version: int = 0x0301) -> bytes:
    """A hand-built ClientHello record, for fields OpenSSL will not produce (GREASE, ECH)."""
    g = 0x2A2A
    cs = ([g] if grease else []) + list(ciphers)
    exts = b""
    if grease:
        exts += struct.pack("!HH", 0x1A1A, 0)
    if sni:
        h = sni.encode()
        exts += struct.pack("!HHHBH", 0, len(h) + 5, len(h) + 3, 0, len(h)) + h
    if alpn:
        a = b"".join(bytes([len(p)]) + p for p in alpn)
        exts += struct.pack("!HHH", 16, len(a) + 2, len(a)) + a
    if versions:
        vs = ([0x3A3A] if grease else []) + list(versions)
        exts += struct.pack("!HHB", 43, 1 + 2 * len(vs), 2 * len(vs)) + struct.pack(f"!{len(vs)}H", *vs)
    if ech:
        exts += struct.pack("!HH", 0xFE0D, 4) + b"\x00\x00\x01\x00"
    body = struct.pack("!H", legacy) + b"\x11" * 32 + b"\x00"
    body += struct.pack("!H", 2 * len(cs)) + struct.pack(f"!{len(cs)}H", *cs) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, record_version, len(hs)) + hs


def server_hello(version: int = 0x0304, cipher: int = 0x1301, hrr: bool = False) -> bytes:
    random = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c") if hrr else b"\x22" * 32
    exts = struct.pack("!HHH", 43, 2, version) if version >= 0x0304 else b""
    body = struct.pack("!H", 0x0303 if version >= 0x0304 else version) + random + b"\x00" + struct.pack("!HB", cipher, 0)
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return struct.pack("!BHH", 22, 0x0303, len(hs)) + hs


CCS = b"\x14\x03\x03\x00\x01\x01"


def app_data(n: int) -> bytes:
    return b"\x17\x03\x03" + struct.pack("!H", n) + b"\xab" * n
