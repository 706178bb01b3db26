"""TCP stream reassembly, one :class:`Stream` per flow direction.

Data is handed on to a protocol ``sink(ts, buf, start, end)`` in sequence order. The
packet buffer itself is passed with bounds, so in-order segments (the common case, see
``Stream.add`` fast path in the processor) are never copied. Segments that arrive ahead
of a hole are copied into ``pending`` until the hole fills; a hole that cannot fill
(buffer limits reached, flow closing, capture drop) is skipped and reported to the
protocol as a gap of N bytes, and the flow is counted as truncated.

Sequence numbers are compared modulo 2**32 so streams survive wrap-around.
"""

from __future__ import annotations

MASK = 0xFFFFFFFF
HALF = 0x80000000
# Pending segments are kept in a dict scanned linearly; capping their number keeps a
# stream of tiny shuffled segments from turning that scan quadratic.
MAX_PENDING_SEGMENTS = 1024


class Budget:
    """Out-of-order bytes buffered across all flows, against ``max_buffer_bytes``."""

    __slots__ = ("used", "limit")

    def __init__(self, limit: int):
        self.used = 0
        self.limit = limit


class Stream:
    """One direction of a TCP connection."""

    __slots__ = (
        "nxt",  # next expected sequence number, None until the first segment
        "pending",  # seq -> bytes, segments beyond a hole
        "pending_bytes",
        "sink",  # callable(ts, buf, start, end) or None once the protocol stops looking
        "gap_sink",  # callable(ts, nbytes)
        "bytes",  # payload bytes seen (for events), whether parsed or not
        "fin",
        "gaps",
        "flow",
        "stats",
        "budget",
        "max_bytes",
    )

    def __init__(self, flow, stats: dict, budget: Budget, max_bytes: int):
        self.nxt = None
        self.pending = None
        self.pending_bytes = 0
        self.sink = None
        self.gap_sink = None
        self.bytes = 0
        self.fin = False
        self.gaps = 0
        self.flow = flow
        self.stats = stats
        self.budget = budget
        self.max_bytes = max_bytes

    def add(self, ts: float, seq: int, buf: bytes, start: int, end: int) -> None:
        """Slow path: anything that is not the next in-order segment of a hole-free stream."""
        n = end - start
        nxt = self.nxt
        if nxt is None:
            nxt = self.nxt = seq
        d = (seq - nxt) & MASK
        if d == 0:
            self._deliver(ts, buf, start, end)
            self.nxt = (nxt + n) & MASK
        elif d < HALF:
            if d > self.max_bytes:
                # Far beyond anything we could buffer: the capture lost data. Give up on
                # the hole now rather than buffer towards it.
                self._skip_all(ts)
                self._gap(ts, (seq - self.nxt) & MASK)
                self.nxt = seq
                self._deliver(ts, buf, start, end)
                self.nxt = (seq + n) & MASK
            else:
                self._buffer(ts, seq, buf[start:end])
                return
        else:
            back = (nxt - seq) & MASK
            if back >= n:
                self.stats["tcp_retransmitted_segments"] += 1
                return
            self.stats["tcp_overlapping_segments"] += 1
            self._deliver(ts, buf, start + back, end)
            self.nxt = (nxt + n - back) & MASK
        if self.pending:
            self._drain(ts)

    def _deliver(self, ts, buf, start, end):
        sink = self.sink
        if sink is not None:
            sink(ts, buf, start, end)
        # Counted after the parser ran, so a protocol handler created for this segment
        # (TLS after STARTTLS) takes its byte baseline before it.
        self.bytes += end - start

    def _gap(self, ts, n):
        if n <= 0:
            return
        if self.gaps == 0:
            self.flow.truncated()
        self.gaps += 1
        self.stats["tcp_gap_bytes"] += n
        gs = self.gap_sink
        if gs is not None and self.sink is not None:
            gs(ts, n)

    def _buffer(self, ts, seq, data: bytes):
        pending = self.pending
        if pending is None:
            pending = self.pending = {}
        old = pending.get(seq)
        if old is not None:
            if len(old) >= len(data):
                self.stats["tcp_retransmitted_segments"] += 1
                return
            del pending[seq]
            self._unaccount(len(old))
        n = len(data)
        budget = self.budget
        while pending and (
            self.pending_bytes + n > self.max_bytes
            or budget.used + n > budget.limit
            or len(pending) >= MAX_PENDING_SEGMENTS
        ):
            # Over a limit: stop waiting for the oldest hole and move on.
            self.stats["reassembly_limit_hits"] += 1
            self._skip_hole(ts)
            d = (seq - self.nxt) & MASK
            if d == 0 or d >= HALF:
                # Skipping reached this segment: it is now in order (or overlapping).
                self.add(ts, seq, data, 0, n)
                return
        if budget.used + n > budget.limit:
            # Other flows hold the whole budget: this stream cannot wait for its hole.
            self.stats["reassembly_limit_hits"] += 1
            self._gap(ts, (seq - self.nxt) & MASK)
            self.nxt = seq
            self._deliver(ts, data, 0, n)
            self.nxt = (seq + n) & MASK
            return
        pending[seq] = data
        self._account(n)

    def _account(self, n):
        self.pending_bytes += n
        self.budget.used += n

    def _unaccount(self, n):
        self.pending_bytes -= n
        self.budget.used -= n

    def _drain(self, ts):
        """Deliver pending segments that now touch or overlap the stream position."""
        pending = self.pending
        while pending:
            nxt = self.nxt
            best = None
            best_rel = 0
            for sq in pending:
                rel = (sq - nxt) & MASK
                if rel >= HALF:
                    rel -= 1 << 32
                if best is None or rel < best_rel:
                    best, best_rel = sq, rel
            if best_rel > 0:
                return
            data = pending.pop(best)
            n = len(data)
            self._unaccount(n)
            skip = -best_rel
            if skip < n:
                if skip:
                    self.stats["tcp_overlapping_segments"] += 1
                self._deliver(ts, data, skip, n)
                self.nxt = (nxt + n - skip) & MASK
            else:
                self.stats["tcp_retransmitted_segments"] += 1

    def _skip_hole(self, ts):
        """Declare the hole before the nearest pending segment lost, then drain."""
        pending = self.pending
        if not pending:
            return
        nxt = self.nxt
        best = min(pending, key=lambda sq: (sq - nxt) & MASK)
        self._gap(ts, (best - nxt) & MASK)
        self.nxt = best
        self._drain(ts)

    def _skip_all(self, ts):
        while self.pending:
            self._skip_hole(ts)

    def finish(self, ts):
        """The flow is ending: whatever is still behind a hole is delivered after a gap."""
        if self.pending:
            self._skip_all(ts)
        self.pending = None

    def discard(self):
        """Drop buffered data without delivering it (flow evicted under pressure)."""
        if self.pending:
            self.stats["bytes_dropped"] += self.pending_bytes
            self._unaccount(self.pending_bytes)
            self.pending = None
