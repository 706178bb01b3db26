"""Capture ingestion benchmark: events and samples from a large pcap, next to tshark.

    python bench/pcap.py [--size-mb 500] [--flows 2000] [--no-tshark] [--reorder] [--mix mixed|http|h2c]

Writes (once, cached under bench/out/) a synthetic Ethernet capture of many interleaved
TCP connections: HTTP/1.1 on ports 80/8080 (GET with query strings, POST with JSON, form,
chunked and gzip request bodies, keep-alive, responses of 0.2-40 KB) and TLS on 443
(ClientHello with SNI/ALPN/supported_versions/GREASE, ServerHello, encrypted records),
IPv4 and IPv6, with Ethernet padding and duplicated (retransmitted) segments. Records
are written with struct, not scapy, so 500 MB takes seconds to write. ``--mix h2c``
writes cleartext HTTP/2 instead (gRPC calls with protobuf bodies and JSON posts, several
streams per connection), spoken by the h2 library's client and server.

Then it times ``CaptureProcessor.process_capture`` (MB/s, packets/s), and runs
``tshark -r FILE -Y "http.request or tls.handshake.type==1"`` on the same file, printing
both request and ClientHello counts and whether they are identical. ``--reorder`` also
swaps adjacent data segments (tshark then needs ``tcp.reassemble_out_of_order``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"
MSS = 1448
RESPONSE_SIZES: tuple[int, ...] = ()
GEN_VERSION = 5  # bump when the generator changes, to invalidate the cache
H2C_PORT = 4317  # OTLP/gRPC's port; tshark is told to read it as HTTP/2

HOSTS = [
    "api.stripe.com", "api.segment.io", "api.sendgrid.com", "api.mixpanel.com", "api.intercom.io",
    "hooks.slack.com", "api.openai.com", "events.pagerduty.com", "api.hubspot.com", "logs.datadoghq.eu",
    "api.mailgun.net", "sentry.io", "api.twilio.com", "api.zendesk.com", "collector.newrelic.com",
]
PATHS = ["/v1/charges", "/v1/track", "/v3/mail/send", "/track", "/messages", "/v1/chat/completions",
         "/v2/enqueue", "/crm/v3/objects/contacts", "/api/v2/logs", "/v3/domain/messages", "/api/1/envelope/"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]
LAST = ["martin", "bernard", "dubois", "thomas", "robert", "richard", "petit", "durand"]


def _json_body(rng: random.Random, size: int) -> bytes:
    items = []
    while sum(len(i) for i in items) < size:
        f, l = rng.choice(FIRST), rng.choice(LAST)
        items.append(json.dumps({
            "email": f"{f}.{l}{rng.randint(1, 999)}@example.com",
            "name": f"{f.title()} {l.title()}",
            "phone": f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "amount": rng.randint(100, 99999),
            "note": "x" * rng.randint(0, 80),
        }))
    return ("[" + ",".join(items) + "]").encode()


def _form_body(rng: random.Random) -> bytes:
    f, l = rng.choice(FIRST), rng.choice(LAST)
    return f"email={f}%40example.org&name={f}+{l}&plan=pro&iban=FR7630006000011234567890189".encode()


class Writer:
    """pcap records straight from struct.pack: about a microsecond per packet."""

    def __init__(self, f, rng, reorder: bool):
        self.f = f
        self.rng = rng
        self.reorder = reorder
        self.buf: list[bytes] = []
        self.size = 0
        self.ts = 1_700_000_000.0
        self.packets = 0
        self.ipid = 0
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.size += 24

    def frame(self, conn, from_client: bool, flags: int, payload: bytes = b"") -> bytes:
        if from_client:
            eth, src, dst, sp, dp = conn.eth_c, conn.c_ip, conn.s_ip, conn.c_port, conn.s_port
            seq, ack = conn.c_seq, conn.s_seq
        else:
            eth, src, dst, sp, dp = conn.eth_s, conn.s_ip, conn.c_ip, conn.s_port, conn.c_port
            seq, ack = conn.s_seq, conn.c_seq
        tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack if flags & 0x10 else 0, 0x50, flags, 65535, 0, 0)
        n = 20 + len(payload)
        if conn.v6:
            ip = struct.pack("!IHBB16s16s", 0x60000000, n, 6, 64, src, dst)
        else:
            self.ipid = (self.ipid + 1) & 0xFFFF
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + n, self.ipid, 0x4000, 64, 6, 0, src, dst)
        frame = eth + ip + tcp + payload
        if len(frame) < 60:
            frame += b"\x00" * (60 - len(frame))  # Ethernet padding, as seen on the wire
        return frame

    def emit(self, frame: bytes):
        self.ts += self.rng.random() * 0.0002
        sec = int(self.ts)
        usec = int((self.ts - sec) * 1e6)
        n = len(frame)
        self.buf.append(struct.pack("<IIII", sec, usec, n, n))
        self.buf.append(frame)
        self.size += 16 + n
        self.packets += 1
        if len(self.buf) > 4096:
            self.flush()

    def flush(self):
        self.f.write(b"".join(self.buf))
        self.buf = []


class Conn:
    def __init__(self, rng: random.Random, idx: int, kind: str):
        self.kind = kind
        self.v6 = rng.random() < 0.1
        if self.v6:
            self.c_ip = bytes.fromhex("20010db8000000000000000000") + idx.to_bytes(3, "big")
            self.s_ip = bytes.fromhex("2a00145040070000000000000000") + rng.randint(1, 60000).to_bytes(2, "big")
            et = b"\x86\xdd"
        else:
            self.c_ip = bytes([10, (idx >> 16) & 0xFF, (idx >> 8) & 0xFF, idx & 0xFF])
            self.s_ip = bytes([52, rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)])
            et = b"\x08\x00"
        cm, sm = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"
        self.eth_c = sm + cm + et
        self.eth_s = cm + sm + et
        self.c_port = 1024 + (idx * 7919) % 60000
        self.s_port = 443 if kind == "tls" else H2C_PORT if kind == "h2c" else rng.choice((80, 80, 80, 8080))
        self.c_seq = rng.getrandbits(32)
        self.s_seq = rng.getrandbits(32)
        self.host = rng.choice(HOSTS)


def _segments(w: Writer, conn: Conn, from_client: bool, data: bytes, dup_rate: float):
    """Data segments (MSS-sized) with the peer's ACK every other segment."""
    out = []
    nseg = 0
    for i in range(0, len(data), MSS):
        chunk = data[i:i + MSS]
        fr = w.frame(conn, from_client, 0x18, chunk)
        out.append(fr)
        if w.rng.random() < dup_rate:
            out.append(fr)  # retransmission
        if from_client:
            conn.c_seq = (conn.c_seq + len(chunk)) & 0xFFFFFFFF
        else:
            conn.s_seq = (conn.s_seq + len(chunk)) & 0xFFFFFFFF
        nseg += 1
        if nseg % 2 == 0:
            out.append(w.frame(conn, not from_client, 0x10))
    if w.reorder and nseg > 2 and w.rng.random() < 0.2:
        i = w.rng.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    if nseg % 2:
        out.append(w.frame(conn, not from_client, 0x10))
    return out


def _client_hello(rng: random.Random, sni: str) -> bytes:
    grease = rng.choice([0x0A0A, 0x1A1A, 0x2A2A, 0x3A3A])
    ciphers = [grease, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035]
    exts = b""
    h = sni.encode()
    exts += struct.pack("!HHHBH", 0, len(h) + 5, len(h) + 3, 0, len(h)) + h
    exts += struct.pack("!HH", grease, 0)
    alpn = b"\x02h2\x08http/1.1"
    exts += struct.pack("!HHH", 16, len(alpn) + 2, len(alpn)) + alpn
    exts += struct.pack("!HHBHHH", 43, 7, 6, grease, 0x0304, 0x0303)
    exts += struct.pack("!HH", 51, 38) + struct.pack("!HHH", 36, 0x001D, 32) + os.urandom(32)
    exts += struct.pack("!HH", 21, 200) + b"\x00" * 200  # padding extension
    body = struct.pack("!H", 0x0303) + os.urandom(32) + b"\x20" + os.urandom(32)
    body += struct.pack("!H", len(ciphers) * 2) + struct.pack(f"!{len(ciphers)}H", *ciphers) + b"\x01\x00"
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def _server_hello(rng: random.Random) -> bytes:
    exts = struct.pack("!HHH", 43, 2, 0x0304) + struct.pack("!HH", 51, 36) + struct.pack("!HH", 0x001D, 32) + os.urandom(32)
    body = struct.pack("!H", 0x0303) + os.urandom(32) + b"\x20" + os.urandom(32) + struct.pack("!HB", 0x1301, 0)
    body += struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    rec = b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs
    rec += b"\x14\x03\x03\x00\x01\x01"
    enc = os.urandom(rng.randint(2500, 4500))  # encrypted extensions, certificate ...
    return rec + b"\x17\x03\x03" + struct.pack("!H", len(enc)) + enc


def _app_records(size: int) -> bytes:
    out = []
    while size > 0:
        n = min(size, 16384)
        out.append(b"\x17\x03\x03" + struct.pack("!H", n) + os.urandom(n))
        size -= n
    return b"".join(out)


def _tcp_open(w: Writer, conn: Conn):
    """SYN, SYN-ACK, ACK."""
    yield [w.frame(conn, True, 0x02)]
    conn.c_seq = (conn.c_seq + 1) & 0xFFFFFFFF
    yield [w.frame(conn, False, 0x12)]
    conn.s_seq = (conn.s_seq + 1) & 0xFFFFFFFF
    yield [w.frame(conn, True, 0x10)]


def _tcp_close(w: Writer, conn: Conn):
    """FIN both ways, the last ACK."""
    yield [w.frame(conn, True, 0x11)]
    conn.c_seq = (conn.c_seq + 1) & 0xFFFFFFFF
    yield [w.frame(conn, False, 0x11)]
    conn.s_seq = (conn.s_seq + 1) & 0xFFFFFFFF
    yield [w.frame(conn, True, 0x10)]


def _http_conn(w: Writer, conn: Conn, rng, bodies, counts):
    yield from _tcp_open(w, conn)
    for _ in range(rng.randint(1, 6)):
        kind = rng.random()
        host = conn.host if rng.random() < 0.9 else f"{conn.host}:{conn.s_port}"
        path = rng.choice(PATHS)
        hdrs = [f"Host: {host}", "User-Agent: sentinel-bench/1.0", "Accept: */*"]
        body = b""
        if kind < 0.45:
            method = "GET"
            path += f"?user={rng.choice(FIRST)}%40example.com&id={rng.randint(1, 10**9)}"
        elif kind < 0.75:
            method, body = "POST", rng.choice(bodies)
            hdrs += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        elif kind < 0.85:
            method, body = "POST", _form_body(rng)
            hdrs += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        elif kind < 0.93:
            method = "PUT"
            raw = rng.choice(bodies)
            body = b"".join(b"%x\r\n%s\r\n" % (len(raw[i:i + 1000]), raw[i:i + 1000]) for i in range(0, len(raw), 1000)) + b"0\r\n\r\n"
            hdrs += ["Content-Type: application/json", "Transfer-Encoding: chunked"]
        else:
            method = "POST"
            body = gzip.compress(rng.choice(bodies), 1)
            hdrs += ["Content-Type: application/json", "Content-Encoding: gzip", f"Content-Length: {len(body)}"]
        req = f"{method} {path} HTTP/1.1\r\n".encode() + "\r\n".join(hdrs).encode() + b"\r\n\r\n" + body
        counts["requests"] += 1
        yield _segments(w, conn, True, req, 0.01)
        rsize = rng.choice(RESPONSE_SIZES)
        rbody = b"r" * rsize
        resp = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {rsize}\r\nServer: bench\r\n\r\n".encode() + rbody
        yield _segments(w, conn, False, resp, 0.005)
    yield from _tcp_close(w, conn)


def _h2c_conn(w: Writer, conn: Conn, rng, bodies, counts):
    """Cleartext HTTP/2: the h2 library plays both ends; streams are sent one or three
    at a time, answered in the same round."""
    import h2.config
    import h2.connection
    import h2.events

    import h2.settings

    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    yield from _tcp_open(w, conn)
    # Preface and SETTINGS both ways; the server opens its windows wide, as gRPC servers do.
    client.initiate_connection()
    preface = client.data_to_send()
    server.receive_data(preface)
    yield _segments(w, conn, True, preface, 0.0)
    server.initiate_connection()
    server.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: 1 << 24})
    server.increment_flow_control_window(1 << 30)
    settings = server.data_to_send()
    client.receive_data(settings)
    yield _segments(w, conn, False, settings, 0.0)
    for _ in range(rng.randint(1, 4)):
        for _ in range(rng.choice((1, 1, 3))):
            sid = client.get_next_available_stream_id()
            if rng.random() < 0.5:
                raw = rng.choice(bodies)
                path, ctype = "/opentelemetry.proto.collector.logs.v1.LogsService/Export", "application/grpc"
                body = b"\x00" + len(raw).to_bytes(4, "big") + raw  # a gRPC frame (JSON bytes stand in)
            else:
                path, ctype, body = rng.choice(PATHS), "application/json", rng.choice(bodies)
            client.send_headers(sid, [(":method", "POST"), (":scheme", "http"), (":authority", conn.host),
                                      (":path", path), ("content-type", ctype), ("user-agent", "sentinel-bench/1.0")])
            for i in range(0, len(body), 16384):
                client.send_data(sid, body[i:i + 16384], end_stream=i + 16384 >= len(body))
            counts["requests"] += 1
        data = client.data_to_send()
        yield _segments(w, conn, True, data, 0.01)
        for ev in server.receive_data(data):
            if isinstance(ev, h2.events.DataReceived):
                server.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                rsize = rng.choice(RESPONSE_SIZES)
                server.send_headers(ev.stream_id, [(":status", "200"), ("content-type", "application/json")],
                                    end_stream=not rsize)
                if rsize:
                    server.send_data(ev.stream_id, b"r" * min(rsize, 16384), end_stream=True)
        reply = server.data_to_send()
        client.receive_data(reply)
        yield _segments(w, conn, False, reply, 0.005)
    yield from _tcp_close(w, conn)


def _tls_conn(w: Writer, conn: Conn, rng, counts):
    yield from _tcp_open(w, conn)
    counts["client_hellos"] += 1
    yield _segments(w, conn, True, _client_hello(rng, conn.host), 0.01)
    yield _segments(w, conn, False, _server_hello(rng), 0.005)
    yield _segments(w, conn, True, b"\x14\x03\x03\x00\x01\x01" + _app_records(rng.randint(60, 120)), 0.0)
    for _ in range(rng.randint(1, 4)):
        yield _segments(w, conn, True, _app_records(rng.choice((300, 1200, 5000))), 0.01)
        yield _segments(w, conn, False, _app_records(rng.choice((500, 3000, 20000, 60000))), 0.005)
    yield from _tcp_close(w, conn)


def generate(path: Path, size_mb: int, flows: int, seed: int, reorder: bool, mix: str) -> dict:
    rng = random.Random(seed)
    tls_share = 0.5 if mix == "mixed" else 0.0
    global RESPONSE_SIZES
    RESPONSE_SIZES = (0, 200, 800, 2000, 6000, 15000, 40000) if mix == "mixed" else (0, 100, 300, 800, 2000)
    target = size_mb << 20
    bodies = [_json_body(rng, rng.choice((150, 600, 2000, 8000, 20000))) for _ in range(64)]
    counts = {"requests": 0, "client_hellos": 0, "connections": 0}
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        w = Writer(f, rng, reorder)
        active = []
        idx = 0
        done = done_bytes = 0
        avg_conn = 60_000  # bytes per connection; refined as connections complete
        while w.size < target or active:
            # Stop opening connections once the open ones (half done on average) will
            # about fill the target.
            while w.size + len(active) * avg_conn / 2 < target and len(active) < flows:
                idx += 1
                kind = "h2c" if mix == "h2c" else "tls" if rng.random() < tls_share else "http"
                conn = Conn(rng, idx, kind)
                counts["connections"] += 1
                if kind == "h2c":
                    gen = _h2c_conn(w, conn, rng, bodies, counts)
                elif kind == "tls":
                    gen = _tls_conn(w, conn, rng, counts)
                else:
                    gen = _http_conn(w, conn, rng, bodies, counts)
                active.append([gen, 0])
            i = rng.randrange(len(active))
            ent = active[i]
            try:
                for fr in next(ent[0]):
                    w.emit(fr)
                    ent[1] += len(fr) + 16
            except StopIteration:
                active[i] = active[-1]
                active.pop()
                done += 1
                done_bytes += ent[1]
                if done >= 20:
                    avg_conn = done_bytes / done
        w.flush()
    os.replace(tmp, path)
    counts["packets"] = w.packets
    counts["bytes"] = w.size
    return counts


def run_sentinel(path: Path, backend: str) -> dict:
    from sentinel.collect.capture import CaptureProcessor

    n = {"events": 0, "samples": 0, "sample_bytes": 0}

    def on_event(ev):
        n["events"] += 1

    def on_sample(s):
        n["samples"] += 1
        n["sample_bytes"] += len(s.body)

    proc = CaptureProcessor(on_event=on_event, on_sample=on_sample, on_handshake=lambda h: None)
    t0, c0 = time.perf_counter(), time.process_time()
    reports = proc.process_file(path, backend=backend)
    proc.flush()
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    s = proc.summary
    return {"seconds": dt, "cpu_seconds": cpu, "requests": s["requests"], "client_hellos": s["tls_handshakes"],
            "packets": s["packets"], "flows": s["flows"], "samples": n["samples"], "events": n["events"],
            "truncated_flows": s["truncated_flows"], "error": reports.error, "stats": dict(proc.stats)}


def run_reader(path: Path, backend: str) -> float:
    from sentinel.collect.capture.pcapfile import CaptureReader

    t0 = time.perf_counter()
    for _ in CaptureReader(path, backend=backend):
        pass
    return time.perf_counter() - t0


def run_tshark(path: Path, reorder: bool, h2c: bool = False) -> dict | None:
    tshark = shutil.which("tshark")
    if tshark is None:
        return None
    cmd = [tshark, "-n", "-r", str(path), "-Y", "http.request or tls.handshake.type==1",
           "-T", "fields", "-e", "http.request.method", "-e", "tls.handshake.type"]
    if h2c:
        cmd = [tshark, "-n", "-r", str(path), "-d", f"tcp.port=={H2C_PORT},http2", "-Y", "http2.headers.method",
               "-T", "fields", "-e", "http2.headers.method", "-e", "tls.handshake.type"]
    if reorder:
        cmd[2:2] = ["-o", "tcp.reassemble_out_of_order:TRUE"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    frames = requests = hellos = 0
    for line in proc.stdout:
        frames += 1
        methods, _, types = line.rstrip("\n").partition("\t")
        if methods:
            requests += len(methods.split(","))
        if types:
            hellos += sum(1 for t in types.split(",") if t == "1")
    proc.wait()
    return {"seconds": time.perf_counter() - t0, "frames": frames, "requests": requests, "client_hellos": hellos}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=500)
    ap.add_argument("--flows", type=int, default=2000, help="concurrent connections while generating")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--reorder", action="store_true", help="swap some adjacent data segments")
    ap.add_argument("--mix", default="mixed", choices=("mixed", "http", "h2c"),
                    help="mixed: half HTTP, half TLS, responses up to 40 KB; http: only HTTP, small responses; "
                         "h2c: cleartext HTTP/2 (gRPC and JSON streams)")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--readers", action="store_true", help="also time the bare record readers (ours, scapy)")
    ap.add_argument("--backend", default="native", choices=("native", "scapy"))
    ap.add_argument("--profile", action="store_true", help="cProfile the extraction, top 25")
    args = ap.parse_args(argv)

    OUT.mkdir(parents=True, exist_ok=True)
    name = f"{args.mix}_{args.size_mb}mb_f{args.flows}_s{args.seed}{'_reorder' if args.reorder else ''}_v{GEN_VERSION}"
    path = OUT / f"{name}.pcap"
    meta_path = OUT / f"{name}.json"
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        print(f"capture: {path} (cached)")
    else:
        t0 = time.perf_counter()
        meta = generate(path, args.size_mb, args.flows, args.seed, args.reorder, args.mix)
        meta_path.write_text(json.dumps(meta))
        print(f"capture: {path} written in {time.perf_counter() - t0:.1f}s")
    size_mb = path.stat().st_size / 1e6
    print(f"  {size_mb:.1f} MB, {meta['packets']} packets (avg {meta['bytes'] / meta['packets']:.0f} B), "
          f"{meta['connections']} connections; generator wrote {meta['requests']} requests, "
          f"{meta['client_hellos']} ClientHellos")

    if args.readers:
        for backend in ("native", "scapy"):
            dt = run_reader(path, backend)
            print(f"reader {backend:7s}: {size_mb / dt:8.1f} MB/s  {meta['packets'] / dt:10.0f} packets/s")

    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        ours = run_sentinel(path, args.backend)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    else:
        ours = run_sentinel(path, args.backend)
    dt = ours["seconds"]
    cpu = ours["cpu_seconds"]
    print(f"sentinel ({args.backend} reader): {dt:.1f}s  {size_mb / dt:.1f} MB/s  {ours['packets'] / dt:.0f} packets/s  "
          f"requests={ours['requests']} client_hellos={ours['client_hellos']} samples={ours['samples']} "
          f"flows={ours['flows']} truncated_flows={ours['truncated_flows']}")
    # On a shared machine wall time includes waiting for a core; CPU time does not.
    print(f"  per CPU second: {size_mb / cpu:.1f} MB/s  {ours['packets'] / cpu:.0f} packets/s  "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    if ours["error"]:
        print(f"  file error: {ours['error']}")

    if args.no_tshark:
        return 0
    ts = run_tshark(path, args.reorder, args.mix == "h2c")
    if ts is None:
        print("tshark: not installed, comparison skipped")
        return 0
    tdt = ts["seconds"]
    print(f"tshark: {tdt:.1f}s  {size_mb / tdt:.1f} MB/s  requests={ts['requests']} client_hellos={ts['client_hellos']} "
          f"(frames matched: {ts['frames']})")
    same = ts["requests"] == ours["requests"] and ts["client_hellos"] == ours["client_hellos"]
    print(f"counts identical: {'yes' if same else 'NO'}  (sentinel {ours['requests']}/{ours['client_hellos']}, "
          f"tshark {ts['requests']}/{ts['client_hellos']}); speed-up {tdt / dt:.1f}x")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
