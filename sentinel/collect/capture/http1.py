"""HTTP/1.0 and 1.1 on a reassembled TCP connection.

The client side yields requests (request line, headers, body framed by Content-Length or
chunked encoding, decoded through Content-Encoding (gzip, deflate, br, zstd, snappy) up to a
size limit); the server side is parsed only far enough to pair a status and a byte count
with each request, skipping response bodies without copying them. A request becomes an
``EgressEvent`` once both it and its response are complete (or the flow ends), and, when
sampled, a ``TrafficSample`` as soon as the request itself is complete.

``Upgrade`` + ``101`` stops parsing (the rest is another protocol); ``CONNECT`` + ``2xx``
hands the tunnel to a fresh protocol detector, so TLS inside the tunnel is still seen.
"""

from __future__ import annotations

import re
from collections import deque

from detectors.pii import codings
from sentinel.model import EgressEvent, TrafficSample

MAX_HEADER_BYTES = 64 * 1024
MAX_LINE = 8 * 1024
MAX_PENDING_REQUESTS = 100
MAX_HOLD_BYTES = 64 * 1024

_METHOD = re.compile(r"[A-Z][A-Z0-9_\-]{1,19}\Z")
# Where a request line can start again after a hole in the stream.
_RESYNC_REQ = re.compile(rb"(?:^|\n)([A-Z][A-Z_\-]{2,15} [^\s]+ HTTP/1\.[019]\r?\n)")
_RESYNC_RESP = re.compile(rb"(?:^|\n)(HTTP/1\.[019] \d\d\d)")


class HttpDesync(Exception):
    """The byte stream stopped looking like HTTP where a message was expected."""


# -- bodies ---------------------------------------------------------------------------------

LEN, CHUNKED, EOF = 1, 2, 3
_SIZE, _DATA, _DATA_END, _TRAILER = 1, 2, 3, 4


class BodyReader:
    """Frames one message body; ``sink(bytes)`` gets the de-chunked body if set."""

    __slots__ = ("mode", "remaining", "cstate", "line", "sink", "wire", "done")

    def __init__(self, mode: int, length: int = 0, sink=None):
        self.mode = mode
        self.remaining = length
        self.cstate = _SIZE
        self.line = b""
        self.sink = sink
        self.wire = 0  # body bytes as sent, framing included
        self.done = mode == LEN and length == 0

    def feed(self, buf, pos: int, end: int) -> int:
        """Consume body bytes from ``buf[pos:end]``; returns the position after them."""
        mode = self.mode
        if mode == LEN:
            take = self.remaining
            if take > end - pos:
                take = end - pos
            if self.sink is not None and take:
                self.sink(buf[pos:pos + take])
            self.remaining -= take
            self.wire += take
            if not self.remaining:
                self.done = True
            return pos + take
        if mode == EOF:
            if self.sink is not None:
                self.sink(buf[pos:end])
            self.wire += end - pos
            return end
        start = pos
        while pos < end and not self.done:
            cs = self.cstate
            if cs == _DATA:
                take = self.remaining
                if take > end - pos:
                    take = end - pos
                if self.sink is not None:
                    self.sink(buf[pos:pos + take])
                self.remaining -= take
                pos += take
                if not self.remaining:
                    self.cstate = _DATA_END
                continue
            i = buf.find(b"\n", pos, end)
            if i < 0:
                self.line += buf[pos:end]
                pos = end
                if len(self.line) > MAX_LINE:
                    raise HttpDesync("chunk line too long")
                break
            line = (self.line + buf[pos:i]) if self.line else buf[pos:i]
            self.line = b""
            pos = i + 1
            line = line.strip()
            if cs == _SIZE:
                sz = line.split(b";", 1)[0].strip()
                try:
                    n = int(sz, 16)
                except ValueError:
                    raise HttpDesync("bad chunk size") from None
                if n < 0:
                    raise HttpDesync("bad chunk size")
                if n == 0:
                    self.cstate = _TRAILER
                else:
                    self.remaining = n
                    self.cstate = _DATA
            elif cs == _DATA_END:
                if line:
                    raise HttpDesync("chunk not followed by CRLF")
                self.cstate = _SIZE
            else:  # trailers until an empty line
                if not line:
                    self.done = True
        self.wire += pos - start
        return pos

    def hole(self, n: int) -> bool:
        """Account for ``n`` lost bytes; False when framing cannot survive the hole."""
        if self.mode == EOF:
            self.wire += n
            return True
        if self.mode == LEN and n <= self.remaining:
            self.remaining -= n
            self.wire += n
            if not self.remaining:
                self.done = True
            return True
        if self.mode == CHUNKED and self.cstate == _DATA and n <= self.remaining:
            self.remaining -= n
            self.wire += n
            if not self.remaining:
                self.cstate = _DATA_END
            return True
        return False


class BodyCollector:
    """Keeps at most ``limit`` bytes of a request body, decoded when it is encoded.

    Decompression output is capped at ``limit + 1`` bytes (the extra byte only tells
    that the body was truncated), so a compression bomb costs no more than its prefix.
    A body that does not decode (``Content-Encoding: gzip`` on plain JSON) falls back to
    its raw bytes.
    """

    __slots__ = ("limit", "raw", "raw_total", "decs", "out", "failed", "full", "holes", "unknown")

    def __init__(self, limit: int, encodings: list[str]):
        self.limit = limit
        self.raw = bytearray()
        self.raw_total = 0
        self.decs = codings.decoders(encodings) if encodings else []
        self.unknown = self.decs is None
        if self.unknown:
            self.decs = []
        self.out = bytearray()
        self.failed = False
        self.full = False
        self.holes = False

    def feed(self, chunk: bytes) -> None:
        self.raw_total += len(chunk)
        room = self.limit - len(self.raw)
        if room > 0:
            self.raw += chunk[:room] if len(chunk) > room else chunk
        if self.decs and not self.failed and not self.full:
            try:
                self._take(codings.feed_all(self.decs, chunk, self.limit + 1 - len(self.out)))
            except codings.CodingError:
                self.failed = True

    def _take(self, data: bytes) -> None:
        self.out += data
        if len(self.out) > self.limit:
            self.full = True

    def result(self) -> tuple[bytes, bool, bool]:
        """(body, truncated, decode_failed)."""
        if self.decs and not self.failed and not self.full:
            try:  # a snappy block is decoded whole, at the end
                self._take(codings.flush_all(self.decs, self.limit + 1 - len(self.out)))
            except codings.CodingError:
                self.failed = True
        if self.decs and not self.failed:
            body = bytes(self.out[:self.limit])
            return body, self.full or self.holes, False
        body = bytes(self.raw)
        return body, self.raw_total > self.limit or self.holes, self.failed


def body_collector(limit: int, content_encoding: str) -> BodyCollector:
    """A collector for a body sent with this Content-Encoding header ("" for none)."""
    return BodyCollector(limit, codings.parse(content_encoding))


def collected_body(stats, collector: BodyCollector) -> tuple[bytes, bool, bool]:
    """(body, truncated, decoded) of a finished collector; a failed or unknown coding
    counted."""
    body, truncated, failed = collector.result()
    if failed:
        stats["http_decode_errors"] += 1
    if collector.unknown:
        stats["http_unknown_encoding"] += 1
    return body, truncated, bool(collector.decs) and not failed


def sample_headers(headers: list[tuple[str, str]], decoded: bool) -> list[tuple[str, str]]:
    """The headers a sample carries: without Content-Encoding once the body is decoded,
    so that the scanner does not try to decode it again."""
    if not decoded:
        return headers
    return [(k, v) for k, v in headers if k.lower() != "content-encoding"]


# -- host and target helpers ----------------------------------------------------------------


def host_only(authority: str) -> str:
    """``Example.COM:8080`` -> ``example.com``; ``[2001:db8::1]:80`` -> ``2001:db8::1``."""
    h = authority.strip()
    if "@" in h:
        h = h.rsplit("@", 1)[1]
    if h.startswith("["):
        i = h.find("]")
        h = h[1:i] if i > 0 else h[1:]
    elif h.count(":") == 1:
        h = h.split(":", 1)[0]
    return h.rstrip(".").lower()


def split_absolute(target: str) -> tuple[str, str, str]:
    """absolute-form ``http://host:port/p?q`` -> (scheme, authority, origin-form path)."""
    i = target.find("://")
    scheme = target[:i].lower()
    rest = target[i + 3:]
    j = len(rest)
    for ch in "/?#":
        k = rest.find(ch)
        if 0 <= k < j:
            j = k
    path = rest[j:] or "/"
    if path[0] != "/":
        path = "/" + path
    return scheme, rest[:j], path


def parse_head(head: bytes):
    """Start line and headers of one message: (start-line parts, [(name, value)], lower-name map)."""
    text = head.decode("latin-1")
    lines = text.split("\n")
    first = lines[0].rstrip("\r")
    headers: list[tuple[str, str]] = []
    fields: dict[str, str] = {}
    for line in lines[1:]:
        if line and line[-1] == "\r":
            line = line[:-1]
        if not line:
            continue
        if line[0] in " \t" and headers:  # obsolete line folding
            name, value = headers[-1]
            value = value + " " + line.strip()
            headers[-1] = (name, value)
            fields[name.lower()] = value
            continue
        i = line.find(":")
        if i <= 0:
            continue
        name = line[:i].strip()
        value = line[i + 1:].strip()
        headers.append((name, value))
        ln = name.lower()
        if ln in fields:
            if ln in ("content-length", "host"):
                continue  # first one wins, like most servers
            fields[ln] = fields[ln] + ", " + value
        else:
            fields[ln] = value
    return first, headers, fields


_FRAMING = (b"transfer-encoding", b"content-length")


def framing_fields(head: bytes) -> tuple[str, dict[str, str]]:
    """Start line and the two headers that frame a body: all a response needs, and much
    cheaper than splitting every header line."""
    low = head.lower()
    i = low.find(b"\n")
    if i < 0:
        i = len(head)
    fields = {}
    for name in _FRAMING:
        j = low.find(b"\n" + name + b":")
        if j >= 0:
            k = low.find(b"\n", j + 1)
            if k < 0:
                k = len(low)
            fields[name.decode()] = head[j + len(name) + 2:k].strip().decode("latin-1")
    return head[:i].rstrip(b"\r").decode("latin-1"), fields


def take_head(prev: bytes, buf, pos: int, end: int):
    """Find the end of a message head in ``prev + buf[pos:end]``.

    Returns ``(head, used, term)``: the head without its terminator, how many bytes of
    ``buf`` from ``pos`` it used, and the terminator length (4, or 2 for bare LFs). When the
    head is not complete yet: ``(None, accumulated bytes, 0)``.
    """
    if not prev:
        i = buf.find(b"\r\n\r\n", pos, end)
        j = buf.find(b"\n\n", pos, end if i < 0 else i)
        if j >= 0:
            return buf[pos:j], j + 2 - pos, 2
        if i >= 0:
            return buf[pos:i], i + 4 - pos, 4
        return None, buf[pos:end], 0
    old = len(prev)
    data = prev + buf[pos:end]
    back = old - 3 if old > 3 else 0
    i = data.find(b"\r\n\r\n", back)
    j = data.find(b"\n\n", back, len(data) if i < 0 else i)
    if j >= 0:
        return data[:j], j + 2 - old, 2
    if i >= 0:
        return data[:i], i + 4 - old, 4
    return None, data, 0


# -- the handler ----------------------------------------------------------------------------

_HEAD, _BODY, _WAIT, _RESYNC, _DEAD = 1, 2, 3, 4, 5
_STOP, _TUNNEL = 1, 2


class _Req:
    __slots__ = (
        "ts", "offset", "method", "target", "version", "headers", "fields", "host", "url",
        "scheme", "bytes_out", "bytes_in", "status", "req_done", "resp_done", "body",
        "collector", "sampled", "end_ts", "emitted", "upgrade",
    )

    def __init__(self):
        self.bytes_in = 0
        self.status = 0
        self.req_done = False
        self.resp_done = False
        self.collector = None
        self.end_ts = 0.0
        self.emitted = False


class HttpHandler:
    """Both directions of one HTTP/1.x connection (or of a proxy connection)."""

    def __init__(self, flow, proc):
        self.flow = flow
        self.proc = proc
        self.pending: deque[_Req] = deque()  # requests waiting for (the end of) a response
        self.cur: _Req | None = None  # request whose body is being read
        self.c_state = _HEAD
        self.c_buf = b""
        self.c_ts = 0.0
        self.c_off = 0
        self.c_body: BodyReader | None = None
        self.hold = b""  # client bytes sent before the reply to CONNECT/Upgrade
        self.s_state = _HEAD
        self.s_buf = b""
        self.s_body: BodyReader | None = None
        self.s_req: _Req | None = None
        flow.c.sink = self.client
        flow.c.gap_sink = self.client_gap
        flow.s.sink = self.server
        flow.s.gap_sink = self.server_gap
        flow.closers.append(self.close)

    # ---- client -> server ---------------------------------------------------------------

    def client(self, ts, buf, pos, end):
        try:
            self._client(ts, buf, pos, end)
        except HttpDesync:
            self.proc.stats["http_desync"] += 1
            self._client_lost(ts)

    def _client(self, ts, buf, pos, end):
        while pos < end:
            st = self.c_state
            if st == _BODY:
                pos = self.c_body.feed(buf, pos, end)
                if self.c_body.done:
                    self._request_done(ts)
            elif st == _HEAD:
                if not self.c_buf:
                    # Skip CRLFs some clients add after a body.
                    while pos < end and buf[pos] in (13, 10):
                        pos += 1
                    if pos == end:
                        return
                    self.c_ts = ts
                    self.c_off = self.proc.record_offset()
                head, used, term = take_head(self.c_buf, buf, pos, end)
                if head is None:
                    self.c_buf = used
                    if len(used) > MAX_HEADER_BYTES:
                        self.proc.stats["http_header_too_large"] += 1
                        self.proc.stats["bytes_dropped"] += len(used)
                        raise HttpDesync("request head too large")
                    return
                self.c_buf = b""
                pos += used
                self._request_head(head, term)
            elif st == _WAIT:
                if len(self.hold) + end - pos > MAX_HOLD_BYTES:
                    self.proc.stats["http_hold_overflow"] += 1
                    self.proc.stats["bytes_dropped"] += len(self.hold) + end - pos
                    self._client_lost(ts)
                    return
                self.hold += buf[pos:end]
                return
            elif st == _RESYNC:
                # Look for the next message start; a line cut across segments is carried.
                data = self.c_buf + buf[pos:end] if self.c_buf else buf[pos:end]
                m = _RESYNC_REQ.search(data)
                if m is None:
                    i = data.rfind(b"\n")
                    self.c_buf = data[i:][-MAX_LINE:] if i >= 0 else data[-64:]
                    return
                self.c_buf = b""
                self.c_state = _HEAD
                buf, pos, end = data, m.start(1), len(data)
            else:
                return

    def _request_head(self, head: bytes, term: int):
        first, headers, fields = parse_head(head)
        parts = first.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/") or not _METHOD.match(parts[0]):
            raise HttpDesync("not a request line")
        method, target, version = parts
        r = _Req()
        r.ts = self.c_ts
        r.offset = self.c_off
        r.method = method
        r.target = target
        r.version = version
        r.headers = headers
        r.fields = fields
        r.scheme = "http"
        r.url = target
        host = fields.get("host", "")
        if method == "CONNECT":
            host = target
        elif "://" in target[:10]:
            r.scheme, authority, r.url = split_absolute(target)
            host = authority or host
        r.host = host_only(host) if host else ""
        r.bytes_out = len(head) + term
        r.upgrade = method == "CONNECT" or "upgrade" in fields
        proc = self.proc
        r.sampled = proc.sample_decision(self.flow, r.host)
        te = fields.get("transfer-encoding", "").lower()
        if "chunked" in te:
            mode, length = CHUNKED, 0
        else:
            cl = fields.get("content-length")
            mode, length = LEN, 0
            if cl is not None:
                try:
                    length = int(cl.split(",")[0])
                    if length < 0:
                        raise ValueError
                except ValueError:
                    proc.stats["http_bad_content_length"] += 1
                    length = 0
        sink = None
        if r.sampled and proc.max_body_bytes > 0 and (mode == CHUNKED or length):
            r.collector = body_collector(proc.max_body_bytes, fields.get("content-encoding", ""))
            sink = r.collector.feed
        self.cur = r
        if len(self.pending) >= MAX_PENDING_REQUESTS:
            old = self.pending.popleft()
            proc.stats["http_unanswered"] += 1
            self._emit(old)
        self.pending.append(r)
        self.c_body = BodyReader(mode, length, sink)
        if self.c_body.done:
            self._request_done(self.c_ts)
        else:
            self.c_state = _BODY

    def _request_done(self, ts, truncated: bool = False):
        r = self.cur
        self.cur = None
        body = self.c_body
        self.c_body = None
        r.req_done = True
        if body is not None:
            r.bytes_out += body.wire
        self.c_state = _WAIT if r.upgrade and not r.resp_done else _HEAD
        if r.sampled:
            self._sample(r, truncated)
        if r.resp_done:
            self._emit(r)

    def _sample(self, r: _Req, truncated: bool):
        proc = self.proc
        body = b""
        btrunc = truncated
        decoded = False
        if r.collector is not None:
            body, t, decoded = collected_body(proc.stats, r.collector)
            btrunc = btrunc or t
            r.collector = None
        flow = self.flow
        ep = flow.endpoints()
        proc.emit_sample(TrafficSample(
            ts=r.ts,
            method=r.method,
            url=r.target,
            headers=sample_headers(r.headers, decoded),
            body=body,
            content_type=r.fields.get("content-type", ""),
            host=r.host,
            src_ip=ep[0],
            dst_ip=ep[2],
            dst_port=ep[3],
            flow_id=flow.flow_id(),
            body_truncated=btrunc,
            source=proc.source,
            origin=proc.origin,  # the same (origin, offset) as the request's event
            offset=r.offset,
        ))

    def client_gap(self, ts, n):
        if self.c_state == _BODY and self.c_body.hole(n):
            if self.cur.collector is not None:
                self.cur.collector.holes = True
            if self.c_body.done:
                self._request_done(ts)
            return
        self._client_lost(ts)

    def _client_lost(self, ts):
        """Data missing or unparseable: finish what we have, then look for the next request."""
        if self.cur is not None:
            self._request_done(ts, truncated=True)
        self.c_buf = b""
        self.hold = b""
        self.c_state = _RESYNC

    # ---- server -> client ---------------------------------------------------------------

    def server(self, ts, buf, pos, end):
        body = self.s_body
        if body is not None and body.mode == LEN and end - pos < body.remaining:
            # Inside a response body of known length: count and return, nothing to parse.
            body.remaining -= end - pos
            body.wire += end - pos
            return
        try:
            self._server(ts, buf, pos, end)
        except HttpDesync:
            self.proc.stats["http_desync"] += 1
            self._server_lost(ts)

    def _server(self, ts, buf, pos, end):
        while pos < end:
            st = self.s_state
            if st == _BODY:
                body = self.s_body
                pos = body.feed(buf, pos, end)
                if body.done:
                    self._response_done(ts)
            elif st == _HEAD:
                if not self.s_buf:
                    while pos < end and buf[pos] in (13, 10):
                        pos += 1
                    if pos == end:
                        return
                head, used, term = take_head(self.s_buf, buf, pos, end)
                if head is None:
                    self.s_buf = used
                    if len(used) > MAX_HEADER_BYTES:
                        raise HttpDesync("response head too large")
                    return
                self.s_buf = b""
                pos += used
                switch = self._response_head(ts, head, len(head) + term)
                if switch:
                    # The rest of this segment already belongs to the new protocol.
                    self._switched(ts, switch, buf, pos, end)
                    return
            elif st == _RESYNC:
                # Look for the next message start; a line cut across segments is carried.
                data = self.s_buf + buf[pos:end] if self.s_buf else buf[pos:end]
                m = _RESYNC_RESP.search(data)
                if m is None:
                    i = data.rfind(b"\n")
                    self.s_buf = data[i:][-MAX_LINE:] if i >= 0 else data[-64:]
                    return
                self.s_buf = b""
                self.s_state = _HEAD
                buf, pos, end = data, m.start(1), len(data)
            else:
                return

    def _response_head(self, ts, head: bytes, wire: int) -> int:
        """Parse a status line + headers; returns _STOP/_TUNNEL when HTTP ends here."""
        if not head.startswith(b"HTTP/"):
            raise HttpDesync("not a status line")
        first, fields = framing_fields(head)
        parts = first.split(" ", 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            raise HttpDesync("bad status") from None
        r = self.pending[0] if self.pending else None
        if r is None:
            self.proc.stats["http_unpaired_responses"] += 1
        else:
            r.bytes_in += wire
            r.status = status
        if 100 <= status < 200 and status != 101:
            return 0  # interim (100 Continue, 103 Early Hints): the real one follows
        if r is not None and r.upgrade:
            tunnel = r.method == "CONNECT" and 200 <= status < 300
            if tunnel or (status == 101 and r.method != "CONNECT"):
                r.resp_done = True
                r.end_ts = ts
                self.pending.popleft()
                if r.req_done:
                    self._emit(r)
                return _TUNNEL if tunnel else _STOP
        if status == 101:
            return _STOP  # switching without a request we saw: stop all the same
        if r is not None and r.method == "HEAD" or status in (204, 304):
            body = BodyReader(LEN, 0)
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            body = BodyReader(CHUNKED)
        elif "content-length" in fields:
            try:
                length = int(fields["content-length"].split(",")[0])
                if length < 0:
                    raise ValueError
            except ValueError:
                raise HttpDesync("bad content-length") from None
            body = BodyReader(LEN, length)
        else:
            body = BodyReader(EOF)
        self.s_body = body
        self.s_req = r
        if body.done:
            self._response_done(ts)
        else:
            self.s_state = _BODY
        return 0

    def _response_done(self, ts):
        r = self.s_req
        body = self.s_body
        self.s_req = None
        self.s_body = None
        self.s_state = _HEAD
        if r is None:
            return
        r.bytes_in += body.wire
        r.resp_done = True
        r.end_ts = ts
        if self.pending and self.pending[0] is r:
            self.pending.popleft()
        if r.req_done:
            self._emit(r)
        # A refused upgrade / CONNECT: the client goes on speaking HTTP.
        if self.c_state == _WAIT and r.upgrade:
            self._resume_client(ts)

    def _resume_client(self, ts):
        held, self.hold = self.hold, b""
        self.c_state = _HEAD
        if held:
            self.client(ts, held, 0, len(held))

    def _switched(self, ts, switch, buf, pos, end):
        """After 101 or a CONNECT 2xx: stop HTTP, or hand the tunnel to a new detector."""
        flow = self.flow
        held, self.hold = self.hold, b""
        self.c_state = self.s_state = _DEAD
        if switch == _TUNNEL:
            self.proc.stats["http_connect_tunnels"] += 1
            from sentinel.collect.capture.detect import Detector

            det = Detector(flow, self.proc, tunnel=True)
            if held:
                det.client(ts, held, 0, len(held))
            if pos < end:
                det.server(ts, buf, pos, end)
        else:
            self.proc.stats["http_upgrades"] += 1
            flow.c.sink = None
            flow.s.sink = None

    def server_gap(self, ts, n):
        if self.s_state == _BODY and self.s_body.hole(n):
            if self.s_body.done:
                self._response_done(ts)
            return
        self._server_lost(ts)

    def _server_lost(self, ts):
        if self.s_req is not None:
            r = self.s_req
            r.bytes_in += self.s_body.wire if self.s_body else 0
            r.resp_done = True
            r.end_ts = ts
            if self.pending and self.pending[0] is r:
                self.pending.popleft()
            if r.req_done:
                self._emit(r)
        self.s_req = None
        self.s_body = None
        self.s_buf = b""
        self.s_state = _RESYNC

    # ---- events -------------------------------------------------------------------------

    def _emit(self, r: _Req):
        if r.emitted:
            return
        r.emitted = True
        proc = self.proc
        flow = self.flow
        ep = flow.endpoints()
        end_ts = r.end_ts or flow.last_ts
        proc.emit_event(EgressEvent(
            ts=r.ts,
            source=proc.source,
            src_ip=ep[0],
            dst_host=r.host,
            dst_ip=ep[2],
            dst_port=ep[3],
            method=r.method,
            scheme=r.scheme,
            url=r.url,
            status=r.status,
            bytes_out=r.bytes_out,
            bytes_in=r.bytes_in,
            duration_ms=max(0.0, (end_ts - r.ts) * 1000.0),
            user_agent=r.fields.get("user-agent", ""),
            http_version=r.version,
            origin=proc.origin,
            offset=r.offset,
        ))

    def close(self, ts):
        """The connection ended: flush the request in progress and unanswered ones."""
        if self.cur is not None and self.c_state == _BODY:
            self._request_done(ts, truncated=True)
        if self.s_req is not None and self.s_body is not None:
            r = self.s_req
            r.bytes_in += self.s_body.wire
            r.resp_done = True  # a close-delimited body ends here; emitted just below
            r.end_ts = ts
            self.s_req = None
        while self.pending:
            r = self.pending.popleft()
            if not r.resp_done:
                self.proc.stats["http_unanswered"] += 1
            self._emit(r)
