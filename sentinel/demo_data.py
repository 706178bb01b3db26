"""Synthetic but realistic egress for `sentinel demo` and `sentinel drill`.

Weeks of an egress proxy's Squid log (daily and weekly rhythm, several
sub-processors, real API paths) ending now, with the incidents a privacy team
cares about planted in the last day, plus a TLS-terminated capture of plaintext
requests with bodies. Every value is fake: example.com/example.net addresses,
test card numbers, 555 phone numbers, documentation IP ranges.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
import struct
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

SQUID = "{ts:.3f} {elapsed:6d} {client} TCP_MISS/{status} {size} {method} {url} - HIER_DIRECT/{ip} {ctype}\n"
CONNECT = "{ts:.3f} {elapsed:6d} {client} TCP_TUNNEL/200 {size} CONNECT {host}:443 - HIER_DIRECT/{ip} -\n"

# (host, sub-processor ip, paths, relative weight): plain API traffic, no personal data in URLs.
NORMAL = [
    ("api.stripe.com", "198.51.100.10", ["/v1/charges", "/v1/customers", "/v1/payment_intents"], 6),
    ("api.segment.io", "198.51.100.20", ["/v1/track", "/v1/identify", "/v1/batch"], 10),
    ("api.sendgrid.com", "198.51.100.30", ["/v3/mail/send"], 3),
    ("o450.ingest.sentry.io", "198.51.100.40", ["/api/12/envelope/"], 4),
    ("api.openai.com", "198.51.100.50", ["/v1/chat/completions", "/v1/embeddings"], 3),
    ("api.twilio.com", "198.51.100.60", ["/2010-04-01/Accounts/AC0f/Messages.json"], 2),
    ("http-intake.logs.datadoghq.com", "198.51.100.70", ["/api/v2/logs"], 8),
    ("api.mixpanel.com", "198.51.100.80", ["/track", "/engage"], 3),
]
CLIENTS = [f"10.20.{i}.{j}" for i in range(1, 4) for j in range(10, 20)]


@dataclass
class DemoFiles:
    log: Path
    capture: Path
    lines: int
    incidents: list[str]


def _rhythm(ts: float) -> float:
    """Load factor by hour of day and weekday: busy office hours, quiet nights and weekends."""
    hour = (ts % 86400) / 3600
    weekday = int(ts // 86400 + 4) % 7  # 1970-01-01 was a Thursday
    daily = 0.25 + 0.75 * max(0.0, math.sin(math.pi * (hour - 6) / 14)) if 6 <= hour <= 20 else 0.25
    return daily * (0.45 if weekday >= 5 else 1.0)


def write_log(path: Path, now: float, days: int = 7, per_minute: float = 14.0, seed: int = 7) -> tuple[int, list[str]]:
    """The log from midnight ``days`` days before today up to ``now``, incidents yesterday.

    Traffic is drawn minute by minute from that midnight, so a run at any hour of a day
    draws the start of the same data, and the incidents (their own random stream) sit at
    fixed hours of yesterday: the anomaly model, which is causal, judges every window the
    same way whenever the demo runs. Only the weekday changes the data (weekends are quieter).
    """
    rnd = random.Random(seed)
    today = now // 86400 * 86400
    lines: list[tuple[float, str]] = []
    weights = [w for *_, w in NORMAL]
    minute = today - days * 86400
    while minute < now:
        expected = per_minute * _rhythm(minute)
        for _ in range(max(0, int(rnd.gauss(expected, math.sqrt(expected + 1))))):
            host, ip, paths, _ = rnd.choices(NORMAL, weights)[0]
            ts = minute + rnd.random() * 60
            if rnd.random() < 0.3:
                lines.append((ts, CONNECT.format(ts=ts, elapsed=rnd.randint(50, 900), client=rnd.choice(CLIENTS),
                                                 size=rnd.randint(2_000, 40_000), host=host, ip=ip)))
            else:
                url = f"https://{host}{rnd.choice(paths)}"
                lines.append((ts, SQUID.format(ts=ts, elapsed=rnd.randint(20, 400), client=rnd.choice(CLIENTS),
                                               status=200, size=rnd.randint(300, 4000), method="POST", url=url,
                                               ip=ip, ctype="application/json")))
        minute += 60
    incidents = _plant_incidents(lines, random.Random(seed + 1), today - 86400)
    lines = sorted((item for item in lines if item[0] < now), key=lambda item: item[0])
    with open(path, "w") as handle:
        handle.writelines(text for _, text in lines)
    return len(lines), incidents


def _plant_incidents(lines: list, rnd: random.Random, day: float) -> list[str]:
    """Yesterday's incidents; ``day`` is yesterday's midnight."""
    incidents = []
    # 1. An analytics pixel carrying e-mail addresses in the query string (Mixpanel may get none).
    for i in range(40):
        ts = day + 3600 * 10 + i * 60
        email = f"customer{i}@example.com"
        url = f"https://api.mixpanel.com/track?ip=1&email={quote(email)}&event=signup"
        lines.append((ts, SQUID.format(ts=ts, elapsed=80, client=rnd.choice(CLIENTS), status=200, size=420,
                                       method="GET", url=url, ip="198.51.100.80", ctype="image/gif")))
    incidents.append("e-mail addresses in Mixpanel query strings (unapproved category)")
    # 2. An ad pixel to an unknown destination with sha256-hashed e-mails.
    for i in range(25):
        ts = day + 3600 * 14 + i * 90
        hashed = hashlib.sha256(f"customer{i}@example.com".encode()).hexdigest()
        url = f"https://px.adtracker-example.net/collect?ev=purchase&em={hashed}&ph=&cur=EUR"
        lines.append((ts, SQUID.format(ts=ts, elapsed=60, client=rnd.choice(CLIENTS), status=200, size=43,
                                       method="GET", url=url, ip="203.0.113.99", ctype="image/gif")))
    incidents.append("hashed e-mails to an unknown ad tracker (unknown destination, PII to unknown)")
    # 3. A bulk export to the AI API at 03:00: ten times the usual volume for 40 minutes.
    night = day + 3 * 3600
    for i in range(900):
        ts = night + rnd.random() * 2400
        lines.append((ts, SQUID.format(ts=ts, elapsed=900, client="10.20.9.9", status=200,
                                       size=rnd.randint(30_000, 90_000), method="POST",
                                       url="https://api.openai.com/v1/embeddings", ip="198.51.100.50",
                                       ctype="application/json")))
    incidents.append("bulk export to the AI API at 03:00 (volume anomaly)")
    # 4. A token in a callback URL to the support tool nobody registered yet.
    ts = day + 3600 * 16
    url = "https://hooks.slack-example.org/services/cb?token=ghp_" + "R7x2Kq9Lm4Np8Wv3Ty6Zb1Hc5Jd0Fg2Sa7Qe"
    lines.append((ts, SQUID.format(ts=ts, elapsed=120, client="10.20.2.15", status=200, size=90, method="POST",
                                   url=url, ip="203.0.113.50", ctype="application/json")))
    incidents.append("a GitHub token in a webhook URL (secret leak)")
    # 5. A legacy job still calling the SMS API over plain HTTP.
    for i in range(3):
        ts = day + 3600 * 20 + i * 600
        url = "http://api.twilio.com/2010-04-01/Accounts/AC0f/Messages.json"
        lines.append((ts, SQUID.format(ts=ts, elapsed=150, client="10.20.3.12", status=201, size=700,
                                       method="POST", url=url, ip="198.51.100.60", ctype="application/json")))
    incidents.append("SMS API called over plaintext HTTP")
    return incidents


# -- a TLS-terminated capture with bodies -------------------------------------------------
def _request(method: str, host: str, path: str, body: bytes, ctype: str, extra: str = "") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: billing-svc/2.3\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}\r\n")
    return head.encode() + body


RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def _pb(field: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def otlp_log_export(body: str, attributes: dict[str, str]) -> bytes:
    """An OTLP ExportLogsServiceRequest with one log record, as an exporter serialises it:
    resource_logs(1).scope_logs(2).log_records(2), the record's body(5) and its
    attributes(6), each a KeyValue of key(1) and an AnyValue(2) with string_value(1)."""
    record = _pb(5, _pb(1, body.encode())) + b"".join(
        _pb(6, _pb(1, k.encode()) + _pb(2, _pb(1, v.encode()))) for k, v in attributes.items())
    return _pb(1, _pb(2, _pb(2, record)))


def _h2_frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([kind, flags]) + stream.to_bytes(4, "big") + payload


def grpc_call(host: str, method: str, message: bytes) -> tuple[bytes, bytes]:
    """(client bytes, server bytes) of one unary gRPC call over cleartext HTTP/2."""
    import hpack

    from sentinel.collect.capture.http2 import PREFACE

    head = hpack.Encoder().encode([(":method", "POST"), (":scheme", "http"), (":authority", host), (":path", method),
                                   ("content-type", "application/grpc"), ("te", "trailers"),
                                   ("user-agent", "otel-collector/0.110")])
    call = b"\x00" + len(message).to_bytes(4, "big") + message
    settings = _h2_frame(4, 0, 0, b"")
    request = PREFACE + settings + _h2_frame(1, 0x4, 1, head) + _h2_frame(0, 0x1, 1, call)
    status = hpack.Encoder().encode([(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "0")])
    return request, settings + _h2_frame(4, 0x1, 0, b"") + _h2_frame(1, 0x5, 1, status)


def demo_requests() -> list[tuple[str, str, int, bytes, bytes]]:
    """(client ip, server ip, port, request bytes, response bytes) for the capture."""
    identify = json.dumps({"userId": "u-1842", "traits": {"email": "ada.lovelace@example.com", "plan": "pro"}})
    track = json.dumps({"userId": "u-1842", "event": "Checkout", "properties": {
        "email": "ada.lovelace@example.com", "phone": "+1 202-555-0147", "total": 42}})
    prompt = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content":
                         "Draft a reply to Grace Hopper, 221B Baker Street, London, who called from "
                         "+44 20 7946 0958 about her refund."}]})
    sentry = json.dumps({"exception": "Timeout", "extra": {"aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG/"
                                                           "bPxRfiCYzKvA3NxQmPL", "aws_access_key_id":
                                                           "AKIAZ7Q4M2N5P3R6T4VW"}})
    customers = "email=ada.lovelace%40example.com&name=Ada+Lovelace&phone=%2B12025550147"
    beacon = base64.b64encode(json.dumps({"event": "view", "properties": {
        "distinct_id": "ada.lovelace@example.com", "token": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}}).encode()).decode()
    plain = [
        ("10.20.1.11", "198.51.100.20", 80, _request("POST", "api.segment.io", "/v1/identify", identify.encode(),
                                                      "application/json")),
        ("10.20.1.12", "198.51.100.20", 80, _request("POST", "api.segment.io", "/v1/track", track.encode(),
                                                      "application/json")),
        ("10.20.1.13", "198.51.100.50", 80, _request("POST", "api.openai.com", "/v1/chat/completions",
                                                      prompt.encode(), "application/json")),
        ("10.20.1.14", "198.51.100.40", 80, _request("POST", "o450.ingest.sentry.io", "/api/12/store/",
                                                      sentry.encode(), "application/json")),
        ("10.20.1.15", "198.51.100.10", 80, _request("POST", "api.stripe.com", "/v1/customers", customers.encode(),
                                                      "application/x-www-form-urlencoded",
                                                      "Authorization: Bearer sk_test_4eC39HqLyjWDarjtT1zdp7dc\r\n")),
        ("10.20.1.16", "198.51.100.80", 80, _request("GET", "api.mixpanel.com", f"/track?data={beacon}", b"",
                                                      "text/plain")),
    ]
    requests = [(*r, RESPONSE) for r in plain]
    # An OpenTelemetry Collector exporting logs over gRPC, a customer in the attributes.
    export = otlp_log_export("password reset requested", {"user.email": "ada.lovelace@example.com",
                                                          "user.full_name": "Ada Lovelace", "http.route": "/reset"})
    call, reply = grpc_call("otlp.datadoghq.com", "/opentelemetry.proto.collector.logs.v1.LogsService/Export", export)
    requests.append(("10.20.1.17", "198.51.100.70", 4317, call, reply))
    return requests


def write_capture(path: Path, now: float, first: float | None = None, spacing: float = 5.0) -> int:
    """A pcap (Ethernet, IPv4) with one TCP connection per request, handshake to FIN: the
    first at ``first`` (default an hour before ``now``), the next ``spacing`` seconds on."""
    packets: list[tuple[float, bytes]] = []
    start = now - 3600 if first is None else first
    for n, (client, server, port, request, response) in enumerate(demo_requests()):
        ts = start + n * spacing
        packets += _tcp_conversation(ts, client, server, 40000 + n, port, request, response)
    with open(path, "wb") as handle:
        handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for ts, frame in packets:
            sec = int(ts)
            handle.write(struct.pack("<IIII", sec, int((ts - sec) * 1e6), len(frame), len(frame)))
            handle.write(frame)
    return len(packets)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _frame(src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes) -> bytes:
    s, d = bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = s + d + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _checksum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, s, d)
    ip = ip[:10] + struct.pack("!H", _checksum(ip)) + ip[12:]
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + tcp


def _tcp_conversation(ts, client, server, sport, dport, request, response) -> list[tuple[float, bytes]]:
    SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
    c, s = 1000, 5000
    out = [
        (ts, _frame(client, server, sport, dport, c, 0, SYN, b"")),
        (ts + 0.001, _frame(server, client, dport, sport, s, c + 1, SYN | ACK, b"")),
        (ts + 0.002, _frame(client, server, sport, dport, c + 1, s + 1, ACK, b"")),
    ]
    c += 1
    s += 1
    for i in range(0, len(request), 1400):
        chunk = request[i:i + 1400]
        out.append((ts + 0.003, _frame(client, server, sport, dport, c, s, PSH | ACK, chunk)))
        c += len(chunk)
    out.append((ts + 0.010, _frame(server, client, dport, sport, s, c, PSH | ACK, response)))
    s += len(response)
    out.append((ts + 0.011, _frame(client, server, sport, dport, c, s, FIN | ACK, b"")))
    out.append((ts + 0.012, _frame(server, client, dport, sport, s, c + 1, FIN | ACK, b"")))
    out.append((ts + 0.013, _frame(client, server, sport, dport, c + 1, s + 1, ACK, b"")))
    return out
