"""Fixtures for the alert pipeline: a controllable clock, a real HTTP webhook receiver and a
real SMTP server on loopback, and managers over the real embedded store."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client import CollectorRegistry

from sentinel.alert import Alert
from sentinel.metrics import Metrics

RAW_EMAIL = "jane.doe@example.com"  # the value a detector saw; only its mask may travel
MASKED_EMAIL = "j***@e***.com"


class FakeClock:
    def __init__(self, start: float | None = None):
        self.now = float(start if start is not None else int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def metrics():
    return Metrics(CollectorRegistry())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """A webhook receiver that can go down (port closed) and come back on the same port."""

    def __init__(self):
        self.port = free_port()
        self.received: list[dict] = []
        self.status = 200
        self._server = None
        self._thread = None
        self.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.status == 200:
                    receiver.received.append(json.loads(body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def documents(self) -> list[dict]:
        return [r["sentinel"] for r in self.received]

    def raw_text(self) -> str:
        return json.dumps(self.received)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


class Mailbox:
    """aiosmtpd on loopback, plain SMTP with AUTH allowed without TLS (as a relay on localhost)."""

    USER, PASSWORD = "sentinel", "s3cret"

    def __init__(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[email.message.EmailMessage] = []
        self.logins: list[str] = []
        mailbox = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                mailbox.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == self.USER.encode() and auth_data.password == self.PASSWORD.encode()
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok)

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticator,
                                     auth_require_tls=False)
        self.controller.start()

    @property
    def url(self) -> str:
        # mode=insecure: plain SMTP on the given port, no STARTTLS; user:pass logs in with AUTH.
        return (f"mailto://{self.USER}:{self.PASSWORD}@127.0.0.1:{self.port}"
                "?to=privacy@example.com&from=sentinel@example.com&mode=insecure")

    def bodies(self) -> list[str]:
        return [m.get_body(("plain",)).get_content() for m in self.messages]

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def mailbox():
    box = Mailbox()
    yield box
    box.stop()


def alerts_config(routes: str, **alerts) -> str:
    settings = {"group_wait_seconds": 0, "group_interval_seconds": 60, "repeat_interval_seconds": 3600,
                "resolve_timeout_seconds": 0, "retry_initial_seconds": 5, "retry_max_seconds": 40,
                "expire_after_seconds": 3600, "base_url": "https://grafana.example.com"}
    settings.update(alerts)
    lines = ["[alerts]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    return "\n".join(lines) + "\n" + routes


def route(name: str, url: str, **filters) -> str:
    lines = ["[[alerts.routes]]", f'name = "{name}"', f"urls = [{json.dumps(url)}]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in filters.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def make_manager(store, settings_factory, clock, metrics):
    """Build managers over the one store: calling it again is a restart."""
    from sentinel.alert.manager import AlertManager

    made = []

    def make(config_text: str, **kwargs):
        if made and made[-1] is not None:
            made[-1].close()
        manager = AlertManager(store, settings_factory(config_text), clock=clock, metrics=metrics, **kwargs)
        made.append(manager)
        return manager

    yield make
    if made and made[-1] is not None:
        made[-1].close()


def leak(subprocessor: str = "stripe", category: str = "EMAIL", severity: str = "high", kind: str = "policy_violation",
         field_path: str = "body.customer.email", **kwargs) -> Alert:
    evidence = {"masked": MASKED_EMAIL, "subjects": "3", "raw_value": RAW_EMAIL}  # raw_value is not allowlisted
    return Alert(kind=kind, severity=severity, title=f"{category} sent to {subprocessor}", subprocessor=subprocessor,
                 category=category, field_path=field_path, endpoint="/v1/customers",
                 policy=f"{subprocessor} may not receive {category}", evidence=evidence, **kwargs)
