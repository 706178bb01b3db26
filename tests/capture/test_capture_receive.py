"""Receiving frames without giving up the GIL (sentinel/collect/capture/receive.py).

Python's socket calls release the GIL around each system call; beside a busy Python
thread, each one then waits that thread's switch interval to get it back, and the kernel
drops what the capture cannot take in time."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from capture_frames import collector
from sentinel.collect.capture import live_capture
from sentinel.collect.capture.receive import (
    ETH_P_8021Q, PACKET_AUXDATA, SO_TIMESTAMPNS, SOL_PACKET, TP_STATUS_VLAN_TPID_VALID, TP_STATUS_VLAN_VALID,
    _ancillary,
)

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="live capture on 'lo' needs root (AF_PACKET socket)")

# A server and a client in another process (its own GIL): requests as fast as they go.
_TRAFFIC = r"""
import http.client, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for i in range(int(sys.argv[2])):
    conn.request("POST", f"/v1/track/{i}", body=b'{"event": "signup", "n": %d}' % i,
                 headers={"Content-Type": "application/json"})
    conn.getresponse().read()
server.shutdown()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_root
def test_live_capture_keeps_up_beside_a_busy_python_thread():
    port, n = _free_port(), 400
    c = collector(idle_timeout=30)
    stop, ready, spinning = threading.Event(), threading.Event(), threading.Event()

    def spin():  # the pipeline's share of the work: pure Python, never blocking
        while not spinning.is_set():
            sum(range(1000))

    threading.Thread(target=spin, daemon=True).start()
    capture = threading.Thread(target=live_capture, args=("lo", f"tcp port {port}", c.proc, stop),
                               kwargs={"ready": ready}, daemon=True)
    capture.start()
    assert ready.wait(10), "capture socket did not open"
    started = time.time()
    subprocess.run([sys.executable, "-c", _TRAFFIC, str(port), str(n)], check=True, timeout=120)
    ended = time.time()
    deadline = time.time() + 20
    while len(c.requests) < n and time.time() < deadline:
        time.sleep(0.05)
    spinning.set()
    stop.set()
    capture.join(10)

    assert sorted(e.url for e in c.requests) == sorted(f"/v1/track/{i}" for i in range(n))
    assert c.proc.stats.get("tcp_gap_bytes", 0) == 0
    # the kernel's receive timestamps, read from the ancillary data
    assert all(started - 1 <= e.ts <= ended + 1 for e in c.requests)


def _cmsg(level: int, kind: int, data: bytes) -> bytes:
    head = struct.pack("@Nii", struct.calcsize("@Nii") + len(data), level, kind)
    padded = len(head) + len(data) + (-(len(head) + len(data)) % struct.calcsize("@N"))
    return (head + data).ljust(padded, b"\0")


_FRAME = bytes(range(12)) + b"\x08\x00" + b"payload"


@pytest.mark.parametrize("status, tpid, expect_tpid", [
    (TP_STATUS_VLAN_VALID, 0, ETH_P_8021Q),
    (TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID, 0x88A8, 0x88A8),
])
def test_a_vlan_tag_the_kernel_moved_out_is_put_back(status, tpid, expect_tpid):
    aux = struct.pack("=IIIHHHH", status, len(_FRAME), len(_FRAME), 0, 14, 42, tpid)
    stamp = struct.pack("=qq", 1_764_000_000, 250_000_000)
    frame, ts = _ancillary(_cmsg(SOL_PACKET, PACKET_AUXDATA, aux) + _cmsg(socket.SOL_SOCKET, SO_TIMESTAMPNS, stamp),
                           _FRAME)
    assert frame == _FRAME[:12] + struct.pack("!HH", expect_tpid, 42) + _FRAME[12:]
    assert ts == pytest.approx(1_764_000_000.25)


def test_untagged_frames_and_unknown_messages_pass_through():
    aux = struct.pack("=IIIHHHH", 0, len(_FRAME), len(_FRAME), 0, 14, 0, 0)
    frame, ts = _ancillary(_cmsg(0, 99, b"\x01\x02\x03") + _cmsg(SOL_PACKET, PACKET_AUXDATA, aux), _FRAME)
    assert frame == _FRAME and ts is None
    # a truncated control buffer ends the walk, it does not raise
    assert _ancillary(_cmsg(SOL_PACKET, PACKET_AUXDATA, aux)[:10], _FRAME) == (_FRAME, None)


_UDP_FLOOD = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    s.sendto(b"x" * 500, ("127.0.0.1", int(sys.argv[1])))
"""


class _SlowProcessor:
    """Takes 2 ms a frame, as a capture thread starved of CPU would."""

    source = origin = None

    def __init__(self):
        self.frames = 0

    def process_packet(self, ts, linktype, data, n):
        self.frames += 1
        time.sleep(0.002)

    def tick(self, now):
        pass

    def flush(self):
        pass


@needs_root
def test_frames_the_kernel_dropped_are_counted():
    port = _free_port()
    proc, reported = _SlowProcessor(), []
    stop, ready = threading.Event(), threading.Event()
    result = {}

    def capture():
        result["counts"] = live_capture("lo", f"udp port {port}", proc, stop, ready=ready, receive_buffer=4096,
                                        on_kernel_counts=lambda p, d: reported.append((p, d)), counts_interval=0.1)

    thread = threading.Thread(target=capture, daemon=True)
    thread.start()
    assert ready.wait(10), "capture socket did not open"
    subprocess.run([sys.executable, "-c", _UDP_FLOOD, str(port), "500"], check=True, timeout=60)
    time.sleep(0.5)
    stop.set()
    thread.join(30)

    counts = result["counts"]
    assert counts["kernel_drops"] > 0  # a 4 KiB queue and 2 ms a frame cannot hold 1,000 frames
    assert counts["kernel_drops"] == sum(d for _, d in reported)
    assert counts["kernel_packets"] == sum(p for p, _ in reported)
    # every frame is either received or dropped (loopback shows each datagram twice)
    assert counts["packets"] + counts["loopback_duplicates"] + counts["kernel_drops"] <= counts["kernel_packets"] <= 1000
