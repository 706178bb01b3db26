"""The daemon's HTTP surface: `/metrics` for Prometheus and `/healthz` for probes.

A small threaded server on its own thread, so a slow scrape never stalls the
pipeline and a stalled pipeline still answers (with 503 and the failing checks).
Nothing here echoes request input back: paths and query strings are not logged
above debug, and health details come only from the daemon's own checks.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
import secrets
import socket
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger("sentinel.http")

JSON = "application/json; charset=utf-8"
# What a POST body may hold: operations are small; a data-subject lookup (or erasure) carries up to 40
# keyed hashes for each of its 10,000 identifiers.
BODY_LIMIT = 64 << 10
BODY_LIMITS = {"/api/subject": 32 << 20, "/api/subject/erase": 32 << 20}


@dataclass(frozen=True)
class Check:
    """One health check's result. `detail` is shown to whoever can reach /healthz: no values."""

    ok: bool
    detail: str = ""


HealthResult = Mapping[str, "Check | bool"]
HealthFn = Callable[[], HealthResult]


def parse_listen(listen: str) -> tuple[str, int]:
    """'127.0.0.1:9464', '[::1]:9464', 'localhost:0', ':9464' -> (host, port)."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected host:port ([::1]:port for IPv6), got {listen!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"an IPv6 address needs brackets: [{host}]:{port}")
    return host, int(port)


# The API's token, written afresh by each daemon run: a client must read the daemon's
# state directory to use it, so other local users cannot inject drills or read the inventory.
API_TOKEN_FILE = "api.token"


def issue_api_token(data_dir: Path) -> str:
    token = secrets.token_urlsafe(32)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / API_TOKEN_FILE
    tmp = path.with_name(API_TOKEN_FILE + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others, not even briefly
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.replace(tmp, path)
    return token


def token_refused(data_dir: Path) -> str:
    """What a 401 from the daemon's API means to the user who got it."""
    return f"the running daemon's API needs its token {data_dir / API_TOKEN_FILE}, which this user cannot read"


def call_api(listen: str, data_dir: Path, target: str, data: bytes | None = None, timeout: float = 10.0):
    """The running daemon's answer (JSON) to a call on its loopback API, with the token it
    wrote: POST when there is ``data``. Raises urllib's errors; an HTTPError 401 when this
    user cannot read the token."""
    headers = {"Content-Type": "application/json"}
    try:
        headers["Authorization"] = f"Bearer {(data_dir / API_TOKEN_FILE).read_text().strip()}"
    except OSError:
        pass  # unreadable: the daemon answers 401, which the caller explains
    request = urllib.request.Request(f"{loopback_url(listen)}{target}", data=data, headers=headers,
                                     method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def loopback_url(listen: str) -> str:
    """The base URL a local client uses to reach a server bound to `listen` (wildcards -> 127.0.0.1)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def health_report(health: HealthFn | None) -> tuple[int, dict]:
    """Run the checks; (200, report) when all pass, else (503, report naming the failures)."""
    if health is None:
        return 200, {"status": "ok", "checks": {}}
    try:
        results = dict(health())
    except Exception as exc:
        # The exception text may carry data from the pipeline; only its type leaves the process.
        log.warning("health check raised %s", type(exc).__name__)
        return 503, {"status": "failing", "checks": {}, "failing": ["health"], "error": type(exc).__name__}
    checks = {}
    for name, result in results.items():
        check = result if isinstance(result, Check) else Check(bool(result))
        checks[name] = {"ok": check.ok, **({"detail": check.detail} if check.detail else {})}
    failing = sorted(name for name, c in checks.items() if not c["ok"])
    if failing:
        return 503, {"status": "failing", "checks": checks, "failing": failing}
    return 200, {"status": "ok", "checks": checks}


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # an open keep-alive connection must not block shutdown
    allow_reuse_address = True

    def __init__(self, address, handler, family: int):
        self.address_family = family
        super().__init__(address, handler)

    def server_bind(self):
        if self.address_family == socket.AF_INET6:
            # "[::]:port" means IPv6 and IPv4, whatever the host's bindv6only default.
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class HttpServer:
    """Serves `registry` at /metrics and `health()` at /healthz on `listen` ("host:port")."""

    def __init__(self, listen: str, registry: CollectorRegistry, health: HealthFn | None = None, api=None,
                 api_token: str = ""):
        self.listen = listen
        self.registry = registry
        self.health = health
        # api(method, target, body) -> (status, json-able) for /api/...; loopback clients with
        # the token only, since it can inject drills into the running pipeline.
        self.api = api
        self.api_token = api_token
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # API calls under way: they query the daemon's store, which closes after stop().
        self._calls = 0
        self._stopping = False
        self._idle = threading.Condition()

    def api_call(self, method: str, target: str, body: bytes) -> tuple[int, object]:
        with self._idle:
            if self._stopping:
                return 503, {"error": "the daemon is stopping"}
            self._calls += 1
        try:
            return self.api(method, target, body)
        finally:
            with self._idle:
                self._calls -= 1
                self._idle.notify_all()

    def bind(self) -> "HttpServer":
        """Take the port without serving yet: a port in use fails here, before costlier start-up work."""
        if self._server is not None:
            return self
        host, port = parse_listen(self.listen)
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, address = infos[0]
        try:
            self._server = _Server(address[:2], _handler(self), family)
        except OSError as exc:
            raise OSError(exc.errno, f"cannot listen on {self.listen} (metrics.listen): {exc.strerror}") from None
        return self

    def start(self) -> "HttpServer":
        if self._thread is not None:
            return self
        self.bind()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="sentinel-http", daemon=True)
        self._thread.start()
        log.info("serving /metrics and /healthz on %s", self.url)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, and wait (up to ``timeout``) for the API calls under way."""
        server, self._server = self._server, None
        if server is None:
            return
        thread, self._thread = self._thread, None
        if thread is not None:  # shutdown() would wait forever for the serve_forever() of a server only bound
            server.shutdown()
            thread.join(timeout)
        with self._idle:
            self._stopping = True
            if not self._idle.wait_for(lambda: self._calls == 0, timeout):
                log.warning("stopped with %d API call(s) still under way", self._calls)
        server.server_close()

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): with port 0 in `listen`, the port the kernel chose."""
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._server.server_address[:2]
        return host, port

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"

    def __enter__(self) -> "HttpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _handler(owner: HttpServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "sentinel"
        sys_version = ""
        protocol_version = "HTTP/1.1"
        timeout = 10  # a client that stops sending must not hold a thread forever

        def do_GET(self):
            self._respond(head=False)

        def do_HEAD(self):
            self._respond(head=True)

        def do_POST(self):
            self._head = False
            limit = BODY_LIMITS.get(self.path.split("?", 1)[0], BODY_LIMIT)
            length = min(int(self.headers.get("Content-Length") or 0), limit)
            body = self.rfile.read(length) if length else b""
            if not self._api("POST", body):
                self._send(404, "text/plain; charset=utf-8", b"not found\n")

        def _api(self, method: str, body: bytes = b"") -> bool:
            path = self.path.split("?", 1)[0]
            if owner.api is None or not path.startswith("/api/"):
                return False
            if not ipaddress.ip_address(self.client_address[0].split("%")[0]).is_loopback:
                self._send(403, JSON, b'{"error": "the API answers loopback clients only"}\n')
                return True
            expected = f"Bearer {owner.api_token}".encode()
            if owner.api_token and not hmac.compare_digest(self.headers.get("Authorization", "").encode(), expected):
                self._send(401, JSON, b'{"error": "the API needs the token the daemon writes to api.token in its '
                                      b'data directory"}\n')
                return True
            try:
                status, payload = owner.api_call(method, self.path, body)  # with its query string
            except Exception as exc:  # the type only: messages may quote input
                log.warning("api %s %s failed: %s", method, path, type(exc).__name__)
                status, payload = 500, {"error": type(exc).__name__}
            self._send(status, JSON, json.dumps(payload, sort_keys=True).encode() + b"\n")
            return True

        def _respond(self, head: bool) -> None:
            self._head = head
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                try:
                    body = generate_latest(owner.registry)
                except Exception as exc:  # a failing custom collector must not kill the scrape thread silently
                    log.warning("collecting metrics failed: %s", type(exc).__name__)
                    self._send(500, "text/plain; charset=utf-8", b"collecting metrics failed\n")
                    return
                self._send(200, CONTENT_TYPE_LATEST, body)
            elif path == "/healthz":
                status, report = health_report(owner.health)
                self._send(status, JSON, json.dumps(report, sort_keys=True).encode() + b"\n")
            elif path == "/":
                self._send(200, "text/plain; charset=utf-8", b"sentinel: /metrics /healthz\n")
            elif not head and self._api("GET"):
                pass
            else:
                self._send(404, "text/plain; charset=utf-8", b"not found\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not self._head:
                self.wfile.write(body)

        def log_message(self, format, *args):
            log.debug("%s " + format, self.address_string(), *args)

    return Handler
