"""Which protocol a TCP connection speaks, from its first bytes rather than its port.

Egress traffic runs HTTP on any port (2375, 8100 ...) and TLS after STARTTLS or inside
CONNECT, so ports are not trusted. The client's first bytes decide:

* a TLS record header (or an SSLv2-format ClientHello) -> :class:`TlsHandler`;
* ``METHOD SP`` -> :class:`HttpHandler`; the HTTP/2 preface (``PRI * HTTP/2.0``, cleartext
  "prior knowledge", as gRPC without TLS speaks) -> :class:`H2Handler`;
* other text, or a server that speaks first (SMTP, IMAP, POP3, FTP banners) ->
  :class:`LineHandler`, which watches for STARTTLS and for an HTTP request line (a capture
  that starts in the middle of a keep-alive connection);
* anything else is opaque: counted, not parsed.
"""

from __future__ import annotations

import re

from sentinel.collect.capture.http1 import HttpHandler
from sentinel.collect.capture.http2 import PREFACE, H2Handler
from sentinel.collect.capture.tls import TlsHandler

_TOKEN = re.compile(rb"[A-Z][A-Z0-9_\-]{1,19} ")
_UPPER = re.compile(rb"[A-Z][A-Z0-9_\-]*\Z")
_REQ_LINE = re.compile(rb"[A-Z][A-Z_\-]{2,15} \S+ HTTP/1\.[019]\r?\Z")
_STARTTLS = frozenset((b"STARTTLS", b"STLS", b"AUTH TLS", b"AUTH SSL"))
MAX_LINE = 8192
MAX_SCAN = 1 << 20  # text bytes watched for STARTTLS before giving up on a connection
MAX_SERVER_FIRST = 16 << 10  # binary bytes a server may send before its client speaks
_H2_START = PREFACE[:14]  # b"PRI * HTTP/2.0": enough to tell the preface from a request


def looks_tls(buf, pos: int, end: int) -> bool | None:
    """True/False, or None when more bytes are needed to tell."""
    if end - pos < 3:
        return None
    b0 = buf[pos]
    if 20 <= b0 <= 23 and buf[pos + 1] == 3 and buf[pos + 2] <= 4:
        return True
    if b0 & 0x80 and buf[pos + 2] == 1:  # SSLv2-format ClientHello
        return True
    return False


def _is_text(chunk: bytes) -> bool:
    if b"\x00" in chunk:
        return False
    return sum(1 for b in chunk[:256] if b < 9 or 13 < b < 32 or b == 127) == 0


def _opaque(flow):
    flow.c.sink = None
    flow.s.sink = None


class Detector:
    def __init__(self, flow, proc, tunnel: bool = False):
        self.flow = flow
        self.proc = proc
        self.tunnel = tunnel
        self.c_buf = b""
        self.s_buf = b""  # binary server bytes before the client spoke (an HTTP/2 server's SETTINGS)
        self.s_ts = 0.0
        self.s_lost = False
        flow.c.sink = self.client
        flow.c.gap_sink = self.client_gap
        flow.s.sink = self.server
        flow.s.gap_sink = self.server_gap

    def client(self, ts, buf, pos, end):
        if self.c_buf:
            buf = self.c_buf + buf[pos:end]
            pos, end = 0, len(buf)
        flow, proc = self.flow, self.proc
        tls = looks_tls(buf, pos, end)
        if tls:
            proc.stats["flows_tls"] += 1
            TlsHandler(flow, proc, ts).client(ts, buf, pos, end)
            return
        head = buf[pos:min(end, pos + len(_H2_START))]
        if len(head) < len(_H2_START) and _H2_START.startswith(head):
            self.c_buf = buf[pos:end]  # the HTTP/2 preface (or a "PRI" request) cut short: wait
            return
        m = _TOKEN.match(buf, pos, min(end, pos + 21))
        if m:
            if buf.startswith(_H2_START, pos):
                proc.stats["flows_h2_prior_knowledge"] += 1
                h2 = H2Handler(flow, proc)
                h2.client(ts, buf, pos, end)
                if self.s_lost:
                    h2.s.dead = True  # requests still come out, without their status
                elif self.s_buf:  # the server's SETTINGS, sent before the client spoke
                    h2.server(self.s_ts, self.s_buf, 0, len(self.s_buf))
                return
            proc.stats["flows_http"] += 1
            HttpHandler(flow, proc).client(ts, buf, pos, end)
            return
        if tls is None or (end - pos < 21 and _UPPER.match(buf, pos, end)):
            self.c_buf = buf[pos:end]  # a method name (or record header) cut short: wait
            return
        if _is_text(buf[pos:end]):
            proc.stats["flows_text"] += 1
            LineHandler(flow, proc).client(ts, buf, pos, end)
            return
        proc.stats["flows_opaque"] += 1
        _opaque(flow)

    def server(self, ts, buf, pos, end):
        # Server speaks first: a banner protocol, maybe upgraded with STARTTLS later.
        if looks_tls(buf, pos, end):  # only the server half of a TLS flow was captured
            self.proc.stats["flows_tls"] += 1
            TlsHandler(self.flow, self.proc, ts).server(ts, buf, pos, end)
            return
        if _is_text(buf[pos:end]):
            self.proc.stats["flows_text"] += 1
            LineHandler(self.flow, self.proc).server(ts, buf, pos, end)
            return
        if len(self.s_buf) + end - pos <= MAX_SERVER_FIRST:
            # Kept until the client speaks: an HTTP/2 server may send its SETTINGS first.
            self.s_ts = self.s_ts or ts
            self.s_buf += buf[pos:end]
            return
        self.s_buf = b""
        self.flow.s.sink = None

    def client_gap(self, ts, n):
        self.c_buf = b""

    def server_gap(self, ts, n):
        self.s_buf = b""
        self.s_lost = True  # an HTTP/2 reader could no longer follow the server's frames


class LineHandler:
    """Line-oriented cleartext: watch for STARTTLS (then TLS) or an HTTP request line."""

    def __init__(self, flow, proc):
        self.flow = flow
        self.proc = proc
        self.c_line = b""
        self.s_line = b""
        self.scanned = 0
        self.starttls = False
        flow.c.sink = self.client
        flow.c.gap_sink = self.gap
        flow.s.sink = self.server
        flow.s.gap_sink = self.gap

    def gap(self, ts, n):
        self.c_line = self.s_line = b""

    def client(self, ts, buf, pos, end):
        self.scanned += end - pos
        if self.scanned > MAX_SCAN:
            _opaque(self.flow)
            return
        if self.starttls and not self.c_line:
            tls = looks_tls(buf, pos, end)
            if tls:
                self._to_tls(ts, buf, pos, end)
                return
        if self.c_line:
            buf = self.c_line + buf[pos:end]
            pos, end = 0, len(buf)
        while pos < end:
            i = buf.find(b"\n", pos, end)
            if i < 0:
                if end - pos > MAX_LINE:
                    _opaque(self.flow)
                    return
                self.c_line = buf[pos:end]
                return
            line = buf[pos:i + 1]
            cmd = line.strip().upper()
            if _REQ_LINE.match(line.rstrip(b"\n")):
                self.proc.stats["http_resync"] += 1
                HttpHandler(self.flow, self.proc).client(ts, buf, pos, end)
                return
            pos = i + 1
            if cmd in _STARTTLS or cmd.endswith(b" STARTTLS"):  # IMAP: "a1 STARTTLS"
                self.starttls = True
                self.proc.stats["starttls"] += 1
                if pos < end and looks_tls(buf, pos, end):
                    self._to_tls(ts, buf, pos, end)
                    return
        self.c_line = b""

    def server(self, ts, buf, pos, end):
        if not self.starttls:
            return  # the banner/dialogue itself is of no interest
        if self.s_line:
            buf = self.s_line + buf[pos:end]
            pos, end = 0, len(buf)
        # Skip the server's text replies ("220 Ready to start TLS"); keep what follows.
        while pos < end and not looks_tls(buf, pos, end):
            i = buf.find(b"\n", pos, end)
            if i < 0:
                self.s_line = buf[pos:end][-MAX_LINE:]
                return
            pos = i + 1
        self.s_line = buf[pos:end]

    def _to_tls(self, ts, buf, pos, end):
        pending_server = self.s_line
        h = TlsHandler(self.flow, self.proc, ts)
        self.proc.stats["flows_tls"] += 1
        h.client(ts, buf, pos, end)
        if pending_server:
            h.server(ts, pending_server, 0, len(pending_server))
