"""HTTP/2 in cleartext (h2c) on a reassembled TCP connection: gRPC without TLS, OTLP
exporters, service-mesh hops before an egress gateway adds TLS.

A connection that opens with the HTTP/2 preface is read frame by frame on both sides.
Header blocks (HEADERS and CONTINUATION) are decoded with hpack, in order, since each
side's dynamic table depends on every block before it; DATA frames feed the stream's
body. A stream becomes a request when the client ends it, a ``TrafficSample`` at once when
sampled, and an ``EgressEvent`` when the server ends its side (or the connection ends).

A hole in either direction loses HPACK's table for that side: the connection's open
streams are flushed as they are and the rest of it is only counted (``h2_desync``).
"""

from __future__ import annotations

import hpack

from sentinel.collect.capture.http1 import BodyCollector, body_collector, collected_body, host_only, sample_headers
from sentinel.model import EgressEvent, TrafficSample

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DEFAULT_MAX_FRAME = 1 << 14  # until the receiver's SETTINGS allow more (RFC 9113, 4.2)
STREAMED_DATA = 1 << 16  # DATA frames larger than this pass through unbuffered
MAX_HEADER_BLOCK = 256 << 10
MAX_OPEN_STREAMS = 1000

_DATA, _HEADERS, _RST_STREAM, _SETTINGS, _PUSH_PROMISE, _CONTINUATION = 0, 1, 3, 4, 5, 9
_SETTINGS_MAX_FRAME_SIZE = 5
_ACK = 0x1
_END_STREAM, _END_HEADERS, _PADDED, _PRIORITY = 0x1, 0x4, 0x8, 0x20


class H2Desync(Exception):
    pass


class _Stream:
    __slots__ = ("sid", "ts", "offset", "method", "path", "authority", "scheme", "headers", "fields", "bytes_out",
                 "bytes_in", "status", "collector", "sampled", "req_done", "resp_done", "end_ts", "emitted")

    def __init__(self, sid: int, ts: float, offset: int):
        self.sid = sid
        self.ts = ts
        self.offset = offset
        self.method = ""
        self.path = ""
        self.authority = ""
        self.scheme = "http"
        self.headers: list[tuple[str, str]] = []
        self.fields: dict[str, str] = {}
        self.bytes_out = 0
        self.bytes_in = 0
        self.status = 0
        self.collector: BodyCollector | None = None
        self.sampled = False
        self.req_done = False
        self.resp_done = False
        self.end_ts = 0.0
        self.emitted = False


class _Side:
    """One direction's framing: buffered bytes, the header block being assembled, and
    the HPACK decoder for what this side sends."""

    __slots__ = ("buf", "preface", "settled", "max_frame", "decoder", "block", "block_stream", "block_flags",
                 "block_wire", "dead", "rest", "rest_sid", "rest_flags")

    def __init__(self, preface: bool):
        self.buf = bytearray()
        self.preface = preface
        self.settled = False  # each side's first frame must be SETTINGS
        self.max_frame = DEFAULT_MAX_FRAME  # what the other side's SETTINGS allow this one
        self.decoder = hpack.Decoder()
        # A passive reader cannot see which table size the peer allowed: accept any the
        # encoder announces (the HPACK size update still bounds it).
        self.decoder.max_allowed_table_size = 1 << 20
        self.block = b""
        self.block_stream = 0
        self.block_flags = 0
        self.block_wire = 0  # bytes of the block's frames so far: its stream opens at the end
        self.dead = False
        # A large DATA frame passes through as it arrives (its stream, flags, bytes to go):
        # frames may be 16 MB, and buffering one whole would cost that much per flow.
        self.rest = 0
        self.rest_sid = 0
        self.rest_flags = 0

    def frames(self, data: bytes):
        """Frames (type, flags, stream id, payload, wire size) from what has arrived; a
        large DATA frame comes in pieces, the last with the frame's flags."""
        buf = self.buf
        buf += data
        pos = 0
        if self.preface:
            if len(buf) < len(PREFACE):
                return
            if not buf.startswith(PREFACE):
                raise H2Desync("no HTTP/2 preface")
            pos = len(PREFACE)
            self.preface = False
        n = len(buf)
        try:
            while pos < n:
                if self.rest:
                    take = min(self.rest, n - pos)
                    self.rest -= take
                    yield _DATA, 0 if self.rest else self.rest_flags, self.rest_sid, bytes(buf[pos:pos + take]), take
                    pos += take
                    continue
                if n - pos < 9:
                    break
                length = int.from_bytes(buf[pos:pos + 3], "big")
                ftype = buf[pos + 3]
                if length > self.max_frame:
                    raise H2Desync("frame larger than the peer allows")
                if not self.settled:
                    if ftype != _SETTINGS:
                        raise H2Desync("first frame is not SETTINGS")
                    self.settled = True
                flags = buf[pos + 4]
                sid = int.from_bytes(buf[pos + 5:pos + 9], "big") & 0x7FFFFFFF
                if ftype == _DATA and length > STREAMED_DATA and not flags & _PADDED:
                    self.rest, self.rest_sid, self.rest_flags = length, sid, flags
                    yield _DATA, 0, sid, b"", 9
                    pos += 9
                    continue
                if n - pos - 9 < length:
                    break
                yield ftype, flags, sid, bytes(buf[pos + 9:pos + 9 + length]), 9 + length
                pos += 9 + length
        finally:
            del buf[:pos]


def _unpad(flags: int, payload: bytes, priority: bool = False) -> bytes:
    start = 0
    end = len(payload)
    if flags & _PADDED:
        if not payload:
            raise H2Desync("padded frame without its pad length")
        start = 1
        end -= payload[0]
    if priority and flags & _PRIORITY:
        start += 5
    if end < start:
        raise H2Desync("padding longer than the frame")
    return payload[start:end]


class H2Handler:
    """Both directions of one cleartext HTTP/2 connection."""

    def __init__(self, flow, proc):
        self.flow = flow
        self.proc = proc
        self.c = _Side(preface=True)
        self.s = _Side(preface=False)
        self.streams: dict[int, _Stream] = {}
        flow.c.sink = self.client
        flow.c.gap_sink = self.gap
        flow.s.sink = self.server
        flow.s.gap_sink = self.gap
        flow.closers.append(self.close)

    # ---- framing ------------------------------------------------------------------------

    def client(self, ts, buf, pos, end):
        self._feed(self.c, ts, buf[pos:end], True)

    def server(self, ts, buf, pos, end):
        self._feed(self.s, ts, buf[pos:end], False)

    def _feed(self, side: _Side, ts: float, data: bytes, from_client: bool) -> None:
        if side.dead:
            return
        try:
            for ftype, flags, sid, payload, wire in side.frames(data):
                self._frame(side, ts, ftype, flags, sid, payload, wire, from_client)
        except (H2Desync, hpack.HPACKError):
            self._lost(ts)

    def _frame(self, side: _Side, ts: float, ftype: int, flags: int, sid: int, payload: bytes, wire: int,
               from_client: bool) -> None:
        st = self.streams.get(sid) if sid else None
        if st is not None:
            if from_client:
                st.bytes_out += wire
            else:
                st.bytes_in += wire
        if side.block_stream and ftype != _CONTINUATION:
            raise H2Desync("header block interrupted")
        if ftype == _HEADERS:
            if not sid:
                raise H2Desync("HEADERS on stream 0")
            side.block = _unpad(flags, payload, priority=True)
            side.block_stream, side.block_flags, side.block_wire = sid, flags, wire
            if flags & _END_HEADERS:
                self._block_done(side, ts, from_client)
            return
        if ftype == _CONTINUATION:
            if sid != side.block_stream:
                raise H2Desync("CONTINUATION without its HEADERS")
            side.block += payload
            side.block_wire += wire
            if len(side.block) > MAX_HEADER_BLOCK:
                raise H2Desync("header block too large")
            if flags & _END_HEADERS:
                self._block_done(side, ts, from_client)
            return
        if ftype == _SETTINGS:
            if not flags & _ACK:
                other = self.s if from_client else self.c
                for i in range(0, len(payload) - 5, 6):
                    if int.from_bytes(payload[i:i + 2], "big") == _SETTINGS_MAX_FRAME_SIZE:
                        other.max_frame = max(DEFAULT_MAX_FRAME, int.from_bytes(payload[i + 2:i + 6], "big"))
            return
        if ftype == _PUSH_PROMISE and not from_client:
            # Its header block still moves the server's HPACK table.
            body = _unpad(flags, payload)
            if len(body) < 4 or not flags & _END_HEADERS:
                raise H2Desync("PUSH_PROMISE this reader does not follow")
            side.decoder.decode(body[4:], raw=True)
            return
        if st is None:
            return  # PING, WINDOW_UPDATE, PRIORITY, GOAWAY; frames of unknown streams
        if ftype == _DATA:
            data = _unpad(flags, payload)
            if from_client and st.collector is not None:
                st.collector.feed(data)
            if flags & _END_STREAM:
                self._ended(st, ts, from_client)
        elif ftype == _RST_STREAM:
            if not st.req_done:
                self._request_done(st, ts, truncated=True)
            self._response_done(st, ts)

    def _block_done(self, side: _Side, ts: float, from_client: bool) -> None:
        sid, flags, block = side.block_stream, side.block_flags, side.block
        side.block, side.block_stream = b"", 0
        # Raw bytes, decoded here: a value that is not UTF-8 must not stop the connection.
        headers = [(n.decode("latin-1"), v.decode("utf-8", "replace")) for n, v in side.decoder.decode(block, raw=True)]
        st = self.streams.get(sid)
        if from_client:
            if st is None:
                st = self._open(sid, ts, headers, side.block_wire)
            # else: trailers (gRPC sends none from the client; others are not kept)
        elif st is not None and not st.status:
            for name, value in headers:
                if name == ":status":
                    st.status = int(value) if value.isdigit() else 0
                    break
            if 100 <= st.status < 200:
                st.status = 0  # an interim response: the final one follows
        if st is not None and flags & _END_STREAM:
            self._ended(st, ts, from_client)

    # ---- streams ------------------------------------------------------------------------

    def _open(self, sid: int, ts: float, headers, wire: int) -> _Stream:
        proc = self.proc
        st = _Stream(sid, ts, proc.record_offset())
        st.bytes_out = wire
        plain: list[tuple[str, str]] = []
        for name, value in headers:
            if name == ":method":
                st.method = value
            elif name == ":path":
                st.path = value
            elif name == ":authority":
                st.authority = value
            elif name == ":scheme":
                st.scheme = value
            elif not name.startswith(":"):
                plain.append((name, value))
                st.fields.setdefault(name, value)
        if st.authority and "host" not in st.fields:
            plain.insert(0, ("host", st.authority))  # as HTTP/1.1 would carry it
        st.headers = plain
        host = host_only(st.authority or st.fields.get("host", ""))
        st.authority = host
        st.sampled = proc.sample_decision(self.flow, host)
        if st.sampled and proc.max_body_bytes > 0:
            st.collector = body_collector(proc.max_body_bytes, st.fields.get("content-encoding", ""))
        if len(self.streams) >= MAX_OPEN_STREAMS:
            oldest = min(self.streams)
            proc.stats["h2_streams_evicted"] += 1
            self._finish(self.streams[oldest], ts)
        self.streams[sid] = st
        proc.stats["h2_streams"] += 1
        return st

    def _ended(self, st: _Stream, ts: float, from_client: bool) -> None:
        if from_client:
            self._request_done(st, ts)
        else:
            self._response_done(st, ts)

    def _request_done(self, st: _Stream, ts: float, truncated: bool = False) -> None:
        if st.req_done:
            return
        st.req_done = True
        if st.sampled:
            self._sample(st, truncated)
        if st.resp_done:
            self._emit(st)

    def _response_done(self, st: _Stream, ts: float) -> None:
        if st.resp_done:
            return
        st.resp_done = True
        st.end_ts = ts
        if st.req_done:
            self._emit(st)

    def _finish(self, st: _Stream, ts: float) -> None:
        if not st.req_done:
            self._request_done(st, ts, truncated=True)
        if not st.resp_done:
            self.proc.stats["http_unanswered"] += 1
            st.resp_done = True
            st.end_ts = ts
        self._emit(st)

    def _sample(self, st: _Stream, truncated: bool) -> None:
        proc = self.proc
        body = b""
        decoded = False
        if st.collector is not None:
            body, cut, decoded = collected_body(proc.stats, st.collector)
            truncated = truncated or cut
            st.collector = None
        ep = self.flow.endpoints()
        proc.emit_sample(TrafficSample(
            ts=st.ts, method=st.method, url=st.path, headers=sample_headers(st.headers, decoded), body=body,
            content_type=st.fields.get("content-type", ""), host=st.authority, src_ip=ep[0], dst_ip=ep[2],
            dst_port=ep[3], flow_id=self.flow.flow_id(), body_truncated=truncated, source=proc.source,
            origin=proc.origin, offset=st.offset,
        ))

    def _emit(self, st: _Stream) -> None:
        if st.emitted:
            return
        st.emitted = True
        self.streams.pop(st.sid, None)
        proc = self.proc
        ep = self.flow.endpoints()
        end_ts = st.end_ts or self.flow.last_ts
        proc.emit_event(EgressEvent(
            ts=st.ts, source=proc.source, src_ip=ep[0], dst_host=st.authority, dst_ip=ep[2], dst_port=ep[3],
            method=st.method, scheme=st.scheme or "http", url=st.path, status=st.status, bytes_out=st.bytes_out,
            bytes_in=st.bytes_in, duration_ms=max(0.0, (end_ts - st.ts) * 1000.0),
            user_agent=st.fields.get("user-agent", ""), http_version="HTTP/2", origin=proc.origin, offset=st.offset,
        ))

    # ---- losses and the end -------------------------------------------------------------

    def gap(self, ts, n):
        self._lost(ts)

    def _lost(self, ts: float) -> None:
        """HPACK state is gone or the framing is broken: flush what is open, stop reading."""
        self.proc.stats["h2_desync"] += 1
        self.c.dead = self.s.dead = True
        self.flow.c.sink = self.flow.s.sink = None
        for st in list(self.streams.values()):
            self._finish(st, ts)

    def close(self, ts):
        for st in list(self.streams.values()):
            self._finish(st, ts)
