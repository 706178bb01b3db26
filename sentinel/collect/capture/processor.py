"""Packets in, events / samples / handshakes out: the flow table and the packet hot path.

The per-packet path touches only ints and bytes: link header offset, IP/TCP fields with
``struct.unpack_from``, one dict lookup for the flow, and for an in-order segment a direct
call into the protocol parser with ``(buf, start, end)`` bounds (no copy). Protocol
parsers drop out of a direction once they have what they need (TLS after the hellos,
HTTP after an Upgrade), after which its packets only add to a byte count.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import struct
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

from sentinel.collect.capture.decode import ACK, FIN, RST, SYN, decode_tcp, key_endpoints, reverse_key
from sentinel.collect.capture.detect import Detector
from sentinel.collect.capture.linktypes import DECODERS, NOT_IP
from sentinel.collect.capture.pcapfile import CaptureFileError, CaptureReader, iter_capture_files
from sentinel.collect.capture.reassembly import MASK, Budget, Stream

log = logging.getLogger(__name__)

_SEQ = struct.Struct("!I").unpack_from

SUMMARY_KEYS = ("requests", "samples", "tls_handshakes", "tls_connections", "flows", "truncated_flows")


class _CallbackError(Exception):
    """Wraps an exception raised by a consumer callback so parsers' guards let it through."""


class Flow:
    __slots__ = (
        "key", "rkey", "c", "s", "first_ts", "last_ts", "proc", "closers", "closed",
        "is_truncated", "nreq", "_ep", "_fid",
    )

    def __init__(self, proc, key: bytes, rkey: bytes, ts: float):
        self.proc = proc
        self.key = key  # client -> server direction
        self.rkey = rkey
        self.first_ts = ts
        self.last_ts = ts
        self.closers = []
        self.closed = False
        self.is_truncated = False
        self.nreq = 0
        self._ep = None
        self._fid = None
        self.c = Stream(self, proc.stats, proc._budget, proc.max_flow_buffer_bytes)
        self.s = Stream(self, proc.stats, proc._budget, proc.max_flow_buffer_bytes)

    def endpoints(self) -> tuple[str, int, str, int]:
        """(client ip, client port, server ip, server port)."""
        if self._ep is None:
            self._ep = key_endpoints(self.key)
        return self._ep

    def flow_id(self) -> str:
        """Community ID v1 (seed 0), the flow id Zeek and Suricata also log."""
        if self._fid is None:
            k = self.key
            a = (len(k) - 4) >> 1
            src, dst, sp, dp = k[:a], k[a:2 * a], k[-4:-2], k[-2:]
            if (src, sp) > (dst, dp):
                src, dst, sp, dp = dst, src, dp, sp
            digest = hashlib.sha1(b"\x00\x00" + src + dst + b"\x06\x00" + sp + dp).digest()
            self._fid = "1:" + base64.b64encode(digest).decode()
        return self._fid

    def truncated(self):
        if not self.is_truncated:
            self.is_truncated = True
            self.proc.stats["truncated_flows"] += 1


@dataclass
class FileReport:
    """What reading one capture file did."""

    path: str
    format: str = ""
    packets: int = 0
    bytes: int = 0
    truncated: bool = False
    error: str | None = None  # names the file and byte offset when reading stopped early
    counts: dict = field(default_factory=dict)


class CaptureProcessor:
    """Turns captured packets into ``EgressEvent``, ``TrafficSample`` and ``TlsHandshake``.

    Limits (all from config): ``max_flows`` open TCP connections (the oldest is closed
    and counted in ``flows_evicted`` beyond it), ``max_buffer_bytes`` of out-of-order data
    across all flows (and ``max_flow_buffer_bytes`` per direction), ``idle_timeout``
    seconds of capture time before a silent flow is closed, ``max_body_bytes`` of decoded
    request body per sample. ``sample_rate`` N keeps 1 request in N as a sample, counted
    per flow or per destination host (``sample_by``); events are never sampled.

    Consumers are plain callables; ``stats`` is a dict of counters (``bad_packets`` and
    ``bad_packets.<reason>``, ``flows_evicted``, ``bytes_dropped``, ``truncated_flows``...).
    """

    def __init__(
        self,
        *,
        max_flows: int = 100_000,
        max_buffer_bytes: int = 256 << 20,
        max_flow_buffer_bytes: int | None = None,
        idle_timeout: float = 300.0,
        max_body_bytes: int = 64 << 10,
        sample_rate: int = 1,
        sample_by: str = "flow",
        on_event=None,
        on_sample=None,
        on_handshake=None,
        source: str = "pcap",
    ):
        if sample_by not in ("flow", "host"):
            raise ValueError(f"sample_by must be 'flow' or 'host', not {sample_by!r}")
        if max_flows < 1 or max_buffer_bytes < 0 or sample_rate < 1 or max_body_bytes < 0:
            raise ValueError("max_flows and sample_rate must be >= 1, byte limits >= 0")
        self.max_flows = max_flows
        self.max_buffer_bytes = max_buffer_bytes
        self.max_flow_buffer_bytes = (
            max_flow_buffer_bytes if max_flow_buffer_bytes is not None else min(max_buffer_bytes, 16 << 20)
        )
        self.idle_timeout = float(idle_timeout)
        self.max_body_bytes = max_body_bytes
        self.sample_rate = sample_rate
        self.sample_by = sample_by
        self.on_event = on_event
        self.on_sample = on_sample
        self.on_handshake = on_handshake
        self.source = source
        self._origin = ""
        self._origin_fixed = False
        self.stats: defaultdict[str, int] = defaultdict(int)
        self._budget = Budget(max_buffer_bytes)
        self._flows: dict[bytes, tuple[Flow, Stream]] = {}
        self._host_counts: dict[str, int] = {}
        self._offset = 0
        self._last_offset = -1
        self._offset_k = 0
        self._now = 0.0
        self._sweep_every = max(1.0, self.idle_timeout / 10)
        self._next_sweep = None
        self._warned: set[str] = set()

    # ---- public -------------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """Origin written on events and samples (with ``offset``, a stable record id).

        Each file's path by default; once set by the caller (a file fingerprint, or
        ``live:<iface>``), that value is kept for every file processed."""
        return self._origin

    @origin.setter
    def origin(self, value: str) -> None:
        self._origin = value
        self._origin_fixed = bool(value)

    @property
    def summary(self) -> dict[str, int]:
        s = self.stats
        out = {k: s.get(k, 0) for k in SUMMARY_KEYS}
        out["packets"] = s.get("packets", 0)
        out["bad_packets"] = s.get("bad_packets", 0)
        out["open_flows"] = len(self._flows) // 2
        return out

    def process_capture(self, path: str | os.PathLike) -> list[FileReport]:
        """A file or a directory of rotated files, flows carried across files, then flush."""
        reports = [self.process_file(p) for p in iter_capture_files(path)]
        self.flush()
        return reports

    def process_packet(self, ts: float, linktype: int, data: bytes, offset: int | None = None) -> None:
        """One captured frame. ``offset`` identifies it in its origin (file offset, counter)."""
        stats = self.stats
        stats["packets"] += 1
        stats["bytes"] += len(data)
        self._offset = stats["packets"] if offset is None else offset
        if self._next_sweep is None:
            self._next_sweep = ts + self._sweep_every
        elif ts >= self._next_sweep:
            self._sweep(ts)
        self._now = ts
        dec = DECODERS.get(linktype)
        if dec is None:
            self._bad(f"linktype_{linktype}")
            return
        off = dec(data)
        if off < 0:
            if off == NOT_IP:
                stats["non_ip"] += 1
            else:
                self._bad("link_truncated")
            return
        r = decode_tcp(data, off)
        if r is None:
            stats["non_tcp"] += 1
        elif r.__class__ is str:
            self._bad(r)
        else:
            key, seq, flags, start, end, claimed = r
            self._segment(ts, data, key, seq, flags, start, end, claimed)

    def process_file(self, path: str | os.PathLike, *, backend: str = "native") -> FileReport:
        """Read one capture file. Flows stay open (a rotated capture continues in the next
        file): call :meth:`flush` at the end of input. Never raises for bad content: the
        report's ``error`` says where and why reading stopped."""
        report = FileReport(str(path))
        reader = CaptureReader(path, backend=backend)
        if not self._origin_fixed:
            self._origin = str(path)
        stats = self.stats
        before = {k: stats.get(k, 0) for k in SUMMARY_KEYS}
        decoders_get = DECODERS.get
        segment = self._segment
        unpack_seq = _SEQ
        flows_get = self._flows.get
        npk = 0
        nbytes = 0
        next_sweep = self._next_sweep
        try:
            for off, ts, lt, data in reader:
                npk += 1
                nbytes += len(data)
                self._offset = off
                if next_sweep is None:
                    next_sweep = self._next_sweep = ts + self._sweep_every
                elif ts >= next_sweep:
                    self._sweep(ts)
                    next_sweep = self._next_sweep
                # Fast path, Ethernet II + IPv4 (no options, unfragmented) + TCP, which is
                # most of what is captured: decode inline, and drop bare ACKs before
                # building a flow key. Anything unusual takes the general path below.
                if (lt == 1 and len(data) >= 54 and data[12] == 8 and data[13] == 0 and data[14] == 0x45
                        and data[23] == 6 and not (data[20] & 0x3F or data[21])):
                    end = 14 + ((data[16] << 8) | data[17])
                    start = 34 + ((data[46] >> 4) << 2)
                    if 54 <= start <= end <= len(data):
                        flags = data[47]
                        if start == end and not flags & 7:
                            continue  # bare ACK: no data, no SYN/FIN/RST
                        key = data[26:38]
                        seq = unpack_seq(data, 38)[0]
                        ent = flows_get(key)
                        if ent is not None and not flags & 7:
                            # Known flow, plain data segment: the in-order case goes
                            # straight to the parser (same steps as _segment, inlined).
                            flow, stream = ent
                            flow.last_ts = ts
                            sink = stream.sink
                            if sink is None:
                                stream.bytes += end - start
                                continue
                            if seq == stream.nxt and not stream.pending:
                                stream.nxt = (seq + end - start) & MASK
                                try:
                                    sink(ts, data, start, end)
                                except _CallbackError as exc:
                                    raise exc.__cause__ from None
                                except Exception as exc:
                                    self._parser_failed(flow, exc)
                                stream.bytes += end - start
                                continue
                        segment(ts, data, key, seq, flags, start, end, end - start)
                        continue
                if lt == 1 and data[12:14] == b"\x08\x00":
                    ipoff = 14
                else:
                    dec = decoders_get(lt)
                    if dec is None:
                        self._bad(f"linktype_{lt}")
                        continue
                    ipoff = dec(data)
                    if ipoff < 0:
                        if ipoff == NOT_IP:
                            stats["non_ip"] += 1
                        else:
                            self._bad("link_truncated")
                        continue
                r = decode_tcp(data, ipoff)
                if r is None:
                    stats["non_tcp"] += 1
                elif r.__class__ is str:
                    self._bad(r)
                else:
                    key, seq, flags, start, end, claimed = r
                    segment(ts, data, key, seq, flags, start, end, claimed)
            self._now = max(self._now, ts) if npk else self._now
        except CaptureFileError as exc:
            report.error = str(exc)
        except (OSError, EOFError, zlib.error) as exc:  # unreadable disk / corrupt .gz
            report.error = f"{path}: read error after {npk} packets: {exc}"
        finally:
            stats["packets"] += npk
            stats["bytes"] += nbytes
        report.format = reader.format
        report.packets = npk
        report.bytes = nbytes
        report.truncated = reader.truncated
        if reader.error is not None and report.error is None:
            report.error = str(reader.error)
        if report.error:
            stats["files_with_errors"] += 1  # the caller reports report.error: printed or logged once
        if report.truncated:
            stats["files_truncated"] += 1
        stats["files"] += 1
        report.counts = {k: stats.get(k, 0) - before[k] for k in SUMMARY_KEYS}
        return report

    def tick(self, now: float) -> None:
        """Clock without packets (live capture): close flows idle for ``idle_timeout``."""
        if self._next_sweep is not None and now >= self._next_sweep:
            self._now = max(self._now, now)
            self._sweep(now)

    def flush(self) -> None:
        """End of input: close every open flow, emitting what is pending."""
        for flow, _ in list(self._flows.values()):
            self._close(flow, self._now)

    def record_offset(self) -> int:
        """A per-origin unique offset for a record that starts in the current packet."""
        if self._offset != self._last_offset:
            self._last_offset = self._offset
            self._offset_k = 0
        else:
            self._offset_k += 1
        # Adding k < number of records starting in this packet stays below the next
        # packet's offset, so (origin, offset) is unique and stable across replays.
        return self._offset + self._offset_k

    def sample_decision(self, flow: Flow, host: str) -> bool:
        rate = self.sample_rate
        if rate <= 1:
            return True
        if self.sample_by == "host":
            counts = self._host_counts
            if len(counts) > 100_000:
                counts.clear()  # bounded: a fresh count per host is still 1 in N
            n = counts.get(host, 0)
            counts[host] = n + 1
        else:
            n = flow.nreq
            flow.nreq = n + 1
        if n % rate:
            self.stats["samples_skipped"] += 1
            return False
        return True

    def emit_event(self, ev) -> None:
        if ev.scheme != "tls":  # TLS connections are counted as tls_connections
            self.stats["requests"] += 1
        if self.on_event is not None:
            try:
                self.on_event(ev)
            except Exception as exc:
                raise _CallbackError() from exc

    def emit_sample(self, sample) -> None:
        self.stats["samples"] += 1
        if self.on_sample is not None:
            try:
                self.on_sample(sample)
            except Exception as exc:
                raise _CallbackError() from exc

    def emit_handshake(self, hs) -> None:
        self.stats["tls_handshakes"] += 1
        if self.on_handshake is not None:
            try:
                self.on_handshake(hs)
            except Exception as exc:
                raise _CallbackError() from exc

    # ---- TCP ----------------------------------------------------------------------------

    def _segment(self, ts, data, key, seq, flags, start, end, claimed):
        ent = self._flows.get(key)
        if ent is None:
            if flags & RST or (start == end and not flags & SYN):
                return  # stray ACK/FIN/RST of a connection we never saw or already closed
            ent = self._new_flow(ts, key, flags)
        flow, stream = ent
        flow.last_ts = ts
        try:
            if flags & SYN:
                nxt = (seq + 1) & MASK
                if stream.nxt is None:
                    stream.nxt = nxt
                elif stream.nxt != nxt and not flags & ACK and stream.bytes:
                    # A new connection reusing the 4-tuple: finish the old one first.
                    self._close(flow, ts)
                    flow, stream = self._new_flow(ts, key, flags)
                    stream.nxt = nxt
                seq = nxt  # SYN payload (TCP Fast Open) starts after the SYN's sequence number
            n = end - start
            if n:
                if stream.sink is None:
                    stream.bytes += n
                elif seq == stream.nxt and not stream.pending and claimed == n:
                    # In order, nothing buffered: straight to the parser, no copy.
                    stream.nxt = (seq + n) & MASK
                    stream.sink(ts, data, start, end)
                    stream.bytes += n
                else:
                    stream.add(ts, seq, data, start, end)
                    if claimed > n and stream.nxt == (seq + n) & MASK:
                        # Snaplen cut this segment: the rest of it is a hole.
                        self.stats["snaplen_truncated_segments"] += 1
                        stream._gap(ts, claimed - n)
                        stream.nxt = (seq + claimed) & MASK
            if flags & (FIN | RST):
                if flags & RST:
                    self._close(flow, ts)
                else:
                    stream.fin = True
                    if flow.c.fin and flow.s.fin and not flow.c.pending and not flow.s.pending:
                        self._close(flow, ts)
        except _CallbackError as exc:
            raise exc.__cause__ from None
        except Exception as exc:
            self._parser_failed(flow, exc)

    def _parser_failed(self, flow: Flow, exc: Exception):
        # A parser bug must not stop the capture: drop the flow's parsing and count it.
        self.stats["parser_errors"] += 1
        name = type(exc).__name__
        if name not in self._warned:
            self._warned.add(name)
            log.warning("capture parser error (%s) on flow %s; flow no longer parsed", name, flow.flow_id(), exc_info=True)
        flow.c.sink = flow.s.sink = None
        flow.c.discard()
        flow.s.discard()

    def _new_flow(self, ts, key, flags):
        flows = self._flows
        if len(flows) >= 2 * self.max_flows:
            self._sweep(ts)
            while len(flows) >= 2 * self.max_flows:
                oldest = flows[next(iter(flows))][0]
                self.stats["flows_evicted"] += 1
                self._close(oldest, ts)
        rkey = reverse_key(key)
        if flags & SYN:
            client_is_src = not flags & ACK
        else:
            # Mid-stream: the server is usually the side with the lower (well-known) port.
            sport = (key[-4] << 8) | key[-3]
            dport = (key[-2] << 8) | key[-1]
            client_is_src = sport >= dport
        ckey, skey = (key, rkey) if client_is_src else (rkey, key)
        flow = Flow(self, ckey, skey, ts)
        c_ent = (flow, flow.c)
        s_ent = (flow, flow.s)
        flows[ckey] = c_ent
        flows[skey] = s_ent
        self.stats["flows"] += 1
        if not flags & SYN:
            self.stats["flows_midstream"] += 1
        Detector(flow, self)
        return c_ent if client_is_src else s_ent

    def _close(self, flow: Flow, ts: float):
        if flow.closed:
            return
        flow.closed = True
        self._flows.pop(flow.key, None)
        self._flows.pop(flow.rkey, None)
        try:
            flow.c.finish(ts)
            flow.s.finish(ts)
            for closer in flow.closers:
                closer(ts)
        except _CallbackError as exc:
            raise exc.__cause__ from None
        except Exception as exc:
            self._parser_failed(flow, exc)
        # Break flow <-> stream <-> handler reference cycles so a closed flow is freed by
        # reference counting, not left to the cyclic GC (measurably slower at 100k flows).
        flow.closers = []
        for st in (flow.c, flow.s):
            st.discard()
            st.sink = st.gap_sink = None
            st.flow = None

    def _sweep(self, ts: float):
        self._next_sweep = ts + self._sweep_every
        limit = ts - self.idle_timeout
        idle = [f for f, st in self._flows.values() if st is f.c and f.last_ts < limit]
        for flow in idle:
            self.stats["flows_idle_closed"] += 1
            self._close(flow, flow.last_ts)

    def _bad(self, reason: str):
        self.stats["bad_packets"] += 1
        self.stats["bad_packets." + reason] += 1
