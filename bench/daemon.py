"""The daemon under sustained load: logs at a fixed rate plus a capture stream.

    python bench/daemon.py [--minutes 10] [--rate 5000]

Starts `sentinel run` as a subprocess on an embedded store with a tailed Squid log and
a directory of capture files, appends log lines at --rate events/s, drops a small
capture file every few seconds, and every second plants a request to a new unknown
destination carrying an e-mail address (a policy violation). A webhook receiver on
127.0.0.1 timestamps each alert notification; alert latency is from the moment the
line was written to the moment the webhook received it. Prints CPU per core, peak
RSS, pipeline lag and alert latency p50/p99.
Targets (issue #8): RSS under 512 MiB, alert latency p99 under 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentinel.demo_data import write_capture  # noqa: E402

LINE = ("{ts:.3f}    120 10.0.{a}.{b} TCP_MISS/200 {size} POST https://api.segment.io/v1/track - "
        "HIER_DIRECT/198.51.100.20 application/json\n")
PLANT = ("{ts:.3f}     90 10.0.9.9 TCP_MISS/200 43 GET https://px.bench-tracker-{n}.net/c?em={email} - "
         "HIER_DIRECT/203.0.113.9 image/gif\n")


class Receiver(BaseHTTPRequestHandler):
    received: list[tuple[float, str]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(errors="replace")
        Receiver.received.append((time.time(), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """The pid and every process below it, so helpers the daemon starts count too."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    todo.extend(int(child) for child in handle.read().split())
        except OSError:
            continue
    return found


def proc_stats(pid: int) -> tuple[float, dict[str, int]]:
    """(CPU seconds user+system, RSS bytes by kind) of the daemon and every process below it."""
    ticks = os.sysconf("SC_CLK_TCK")
    cpu, rss = 0.0, {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
    for member in descendants(pid):
        try:
            with open(f"/proc/{member}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{member}/status") as handle:
                status = dict(line.split(":", 1) for line in handle if ":" in line)
        except OSError:
            continue  # exited between listing and reading
        cpu += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
        for key in rss:
            rss[key] += int(status[key].split()[0]) * 1024
    return cpu, rss


def metric(port: int, name: str) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return float("nan")
    values = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name)]
    return max(values) if values else 0.0


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=5000, help="log events per second")
    parser.add_argument("--capture-every", type=float, default=5.0, help="seconds between capture files")
    args = parser.parse_args()

    hook_port, metrics_port = free_port(), free_port()
    server = ThreadingHTTPServer(("127.0.0.1", hook_port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    tmp = Path(tempfile.mkdtemp(prefix="sentinel-bench-daemon-"))
    (tmp / "captures").mkdir()
    log = tmp / "access.log"
    log.touch()
    config = tmp / "sentinel.toml"
    config.write_text(f"""data_dir = "{tmp / 'state'}"
[metrics]
listen = "127.0.0.1:{metrics_port}"
[alerts]
group_wait_seconds = 0
group_interval_seconds = 0
[[alerts.routes]]
name = "bench"
urls = ["json://127.0.0.1:{hook_port}/hook"]
min_severity = "high"
[[sources]]
name = "squid"
type = "log"
paths = ["{log}"]
[[sources]]
name = "mirror"
type = "pcap"
paths = ["{tmp / 'captures'}"]
tls_terminated = true
""")
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}
    daemon = subprocess.Popen([sys.executable, "-m", "sentinel.cli", "--config", str(config), "run"],
                              stdout=open(tmp / "daemon.log", "w"), stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not healthy(metrics_port):
        time.sleep(0.5)
    print(f"daemon pid {daemon.pid}; {args.rate} log events/s + a capture file every {args.capture_every:.0f} s "
          f"for {args.minutes:.1f} min; state in {tmp}", flush=True)

    planted: dict[str, float] = {}
    cpu0, _ = proc_stats(daemon.pid)
    start = time.monotonic()
    end = start + args.minutes * 60
    next_capture = start
    peak_rss, peak_kinds, lags, written, n, rss_samples = 0, {}, [], 0, 0, []
    with open(log, "a", buffering=1 << 20) as handle, open(tmp / "rss.csv", "w", buffering=1) as samples:
        samples.write("second,rss_mib,anon_mib,file_mib\n")
        second = start
        while time.monotonic() < end:
            now = time.time()
            lines = [LINE.format(ts=now, a=i % 200, b=i % 250, size=300 + i % 700) for i in range(args.rate)]
            email = f"bench{n}%40example.com"
            lines.append(PLANT.format(ts=now, n=n, email=email))
            handle.writelines(lines)
            handle.flush()
            planted[f"bench-tracker-{n}.net"] = time.time()
            written += len(lines)
            n += 1
            if time.monotonic() >= next_capture:
                write_capture(tmp / "captures" / f"mirror-{n:06d}.pcap", now)
                next_capture += args.capture_every
            _, rss = proc_stats(daemon.pid)
            samples.write(f"{time.monotonic() - start:.0f},{rss['VmRSS'] >> 20},{rss['RssAnon'] >> 20},{rss['RssFile'] >> 20}\n")
            rss_samples.append(rss["VmRSS"])
            if rss["VmRSS"] > peak_rss:
                peak_rss, peak_kinds = rss["VmRSS"], rss
            lag = metric(metrics_port, "sentinel_pipeline_lag_seconds")
            if lag == lag:
                lags.append(lag)
            second += 1.0
            time.sleep(max(0.0, second - time.monotonic()))
    elapsed = time.monotonic() - start
    cpu1, rss = proc_stats(daemon.pid)
    time.sleep(10)  # let the last alerts arrive
    events_in = metric(metrics_port, "sentinel_store_rows_written_total")
    daemon.terminate()
    code = daemon.wait(timeout=120)
    server.shutdown()

    latencies, seen = [], set()
    for received_at, body in Receiver.received:
        for domain in set(re.findall(r"bench-tracker-\d+\.net", body)):
            if domain in planted and domain not in seen:
                seen.add(domain)
                latencies.append(received_at - planted[domain])
    latencies.sort()
    cpu = (cpu1 - cpu0) / elapsed
    print(f"\nran {elapsed:.0f} s, wrote {written:,} log lines ({written / elapsed:,.0f}/s), exit code {code}")
    print(f"CPU: {cpu:.2f} cores ({cpu * 100:.0f}% of one core); RSS peak {peak_rss / 2**20:.0f} MiB "
          f"({peak_kinds['RssAnon'] / 2**20:.0f} anonymous, {peak_kinds['RssFile'] / 2**20:.0f} mapped files), "
          f"end {rss['VmRSS'] / 2**20:.0f} MiB (target < 512 MiB; daemon and its child processes)")
    if rss_samples:
        ordered = sorted(rss_samples)
        print(f"RSS sampled every second: median {statistics.median(ordered) / 2**20:.0f} MiB, "
              f"p95 {ordered[int(len(ordered) * 0.95)] / 2**20:.0f} MiB (per-second samples in {tmp / 'rss.csv'})")
    if lags:
        print(f"pipeline lag: median {statistics.median(lags):.2f} s, max {max(lags):.2f} s")
    print(f"rows written (largest table counter): {events_in:,.0f}")
    if latencies:
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"alert latency over {len(latencies)} notifications (of {len(planted)} planted): "
              f"p50 {p50:.2f} s, p99 {p99:.2f} s (target p99 < 2 s)")
    else:
        print("no alert notification arrived: see", tmp / "daemon.log")
    print(json.dumps({"cpu_cores": round(cpu, 3), "rss_peak_mib": round(peak_rss / 2**20),
                      "lag_max_s": round(max(lags), 2) if lags else None,
                      "alert_p99_s": round(p99, 2) if latencies else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
