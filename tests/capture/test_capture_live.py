"""Live capture on loopback: a real HTTP server and client while the collector listens."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from capture_frames import collector
from sentinel.collect.capture import live_capture

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="live capture on 'lo' needs root (AF_PACKET socket)")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self, code=200):
        body = b'{"ok":true}'
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._reply(200 if self.path != "/missing" else 404)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._reply(201)

    def log_message(self, *args):
        pass


def test_live_capture_sees_every_request():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()

    c = collector(idle_timeout=30)
    stop, ready = threading.Event(), threading.Event()
    result = {}

    def capture():
        result["counts"] = live_capture("lo", f"tcp port {port}", c.proc, stop, ready=ready)

    t = threading.Thread(target=capture, daemon=True)
    t.start()
    assert ready.wait(10), "capture socket did not open"

    base = f"http://127.0.0.1:{port}"
    payload = json.dumps({"email": "jane.doe@example.com", "plan": "pro"}).encode()
    sent = [
        ("GET", "/v1/users?email=jane%40example.com", None, 200),
        ("POST", "/v1/track", payload, 201),
        ("POST", "/form", b"name=Jane+Doe&phone=%2B33612345678", 201),
        ("GET", "/missing", None, 404),
    ]
    for method, path, body, _status in sent:
        req = urllib.request.Request(base + path, data=body, method=method,
                                     headers={"Content-Type": "application/json"} if body else {})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                resp.read()
        except urllib.error.HTTPError as exc:
            exc.read()

    deadline = time.time() + 10
    while len(c.requests) < len(sent) and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    t.join(10)
    server.shutdown()
    server.server_close()

    got = sorted((e.method, e.url, e.status) for e in c.requests)
    assert got == sorted((m, p, s) for m, p, _b, s in sent)
    assert all(e.source == "live" and e.dst_port == port and e.dst_host == "127.0.0.1" for e in c.requests)
    bodies = {s.url: s.body for s in c.samples}
    assert bodies["/v1/track"] == payload
    assert bodies["/form"] == b"name=Jane+Doe&phone=%2B33612345678"
    assert result["counts"]["packets"] > 0
    # loopback shows each packet twice; the outgoing copy is dropped, not reassembled twice
    assert result["counts"]["loopback_duplicates"] > 0
    assert c.proc.stats.get("tcp_retransmitted_segments", 0) == 0
    assert c.proc.stats.get("parser_errors", 0) == 0
