"""Live capture on an interface through scapy's layer-2 listening socket.

Frames go to ``CaptureProcessor.process_packet`` as raw bytes (scapy never dissects
them). scapy opens the socket and attaches the BPF filter; on Linux the frames are then
received by receive.py, which drains the socket without giving up the GIL. On Linux
loopback the kernel shows every packet twice (outgoing and incoming); the outgoing copy
is dropped there, while on real interfaces outgoing packets are the point of an egress
monitor and are kept.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from typing import Callable

from sentinel.collect.capture.receive import PacketReceiver, grow_receive_buffer, kernel_counts

log = logging.getLogger(__name__)

ARPHRD_LOOPBACK = 772
PACKET_OUTGOING = 4
RECEIVE_BUFFER = 32 << 20
# Frames handled between two looks at the stop event (and two select calls).
BATCH = 1024


def live_capture(
    iface: str,
    bpf: str | None,
    processor,
    stop_event: threading.Event,
    *,
    ready: threading.Event | None = None,
    snaplen: int = 65535,
    promisc: bool = False,
    poll_interval: float = 0.2,
    flush: bool = True,
    on_kernel_counts: Callable[[int, int], None] | None = None,
    counts_interval: float = 1.0,
    receive_buffer: int = RECEIVE_BUFFER,
) -> dict:
    """Capture on ``iface`` with BPF filter ``bpf`` until ``stop_event`` is set.

    ``ready`` is set once the socket (and its filter) is in place, so a caller can start
    traffic knowing it will be seen. Idle flows are closed on wall-clock time even when no
    packet arrives. Every ``counts_interval`` seconds, and at the end,
    ``on_kernel_counts(packets, drops)`` gets what the kernel counted since the last call:
    frames that passed the filter, and those it dropped with the receive queue full.
    Returns counters: packets received, dropped duplicates, and the kernel's totals.
    """
    import scapy.arch  # noqa: F401  (sets conf.L2listen for this platform)
    import scapy.layers.l2  # noqa: F401  (link-layer classes -> DLT numbers)
    from scapy.config import conf

    sock = conf.L2listen(iface=iface, filter=bpf, promisc=promisc)
    processor.source = "live"
    processor.origin = f"live:{iface}"
    linktype = conf.l2types.layer2num.get(getattr(sock, "LL", None), 1)
    ins = getattr(sock, "ins", None)
    loopback = False
    raw_recv = None
    if ins is not None and hasattr(sock, "_recv_raw"):
        try:
            loopback = ins.getsockname()[3] == ARPHRD_LOOPBACK
            raw_recv = sock._recv_raw  # gives the packet type, which recv_raw drops
        except (OSError, IndexError, TypeError):
            raw_recv = None
    receiver = None
    if raw_recv is not None:
        try:
            receiver = PacketReceiver(ins, snaplen)
            log.debug("live capture on %s: receive queue %d bytes", iface, grow_receive_buffer(ins, receive_buffer))
        except OSError as exc:
            log.info("live capture on %s: receiving through scapy (%s)", iface, exc)
    fd = sock.fileno() if hasattr(sock, "fileno") else ins
    counts = {"packets": 0, "loopback_duplicates": 0, "kernel_packets": 0, "kernel_drops": 0}
    n = 0

    def read_kernel_counts() -> None:
        got = kernel_counts(ins) if ins is not None else None
        if got is None:
            return
        counts["kernel_packets"] += got[0]
        counts["kernel_drops"] += got[1]
        if on_kernel_counts is not None:
            on_kernel_counts(*got)

    if ins is not None:
        kernel_counts(ins)  # what arrived before the filter was in place is not ours
    next_counts = time.monotonic() + counts_interval

    def ready_frames():
        """(frame, packet type, kernel timestamp or None) of what the socket holds now."""
        if receiver is not None:
            for _ in range(BATCH):
                got = receiver.receive()
                if got is None:
                    return
                yield got
        elif raw_recv is not None:
            data, sa_ll, ts = raw_recv(ins, snaplen)
            yield data, sa_ll[2], ts
        else:
            _cls, data, ts = sock.recv_raw(snaplen)
            if data is not None:
                yield data, 0, ts or None

    if ready is not None:
        ready.set()
    try:
        while not stop_event.is_set():
            if time.monotonic() >= next_counts:
                read_kernel_counts()
                next_counts = time.monotonic() + counts_interval
            r, _, _ = select.select([fd], [], [], poll_interval)
            if not r:
                processor.tick(time.time())
                continue
            for data, pkttype, ts in ready_frames():
                if loopback and pkttype == PACKET_OUTGOING:
                    counts["loopback_duplicates"] += 1
                    continue
                n += 1
                processor.process_packet(float(ts) if ts is not None else time.time(), linktype, data, n)
    except (OSError, socket.error) as exc:
        log.error("live capture on %s stopped: %s", iface, exc)
        raise
    finally:
        read_kernel_counts()
        sock.close()
        counts["packets"] = n
        if flush:
            processor.flush()
    return counts
