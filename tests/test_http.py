"""/metrics and /healthz over real HTTP, and the exposition through promtool."""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import threading
import urllib.error
import urllib.request

import pytest
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, Summary
from prometheus_client.parser import text_string_to_metric_families

from sentinel.http import Check, HttpServer, health_report, parse_listen
from sentinel.metrics import Metrics

# One bounded example per label name used by Metrics. A new label name fails
# `populate` until it gets an example here, so every metric stays covered.
EXAMPLE_LABELS = {
    "table": ["events", "findings"],
    "source": ["squid", "edge-pcap"],
    "subprocessor": ["stripe", "mailgun"],
    "category": ["EMAIL", "IBAN"],
    "reason": ["bad_timestamp", "truncated"],
    "kind": ["category_not_allowed", "unknown_destination"],
    "severity": ["high", "medium"],
    "queue": ["events", "samples"],
    "window": ["5m", "1h"],
    "result": ["ok", "error"],
    "channel": ["oncall", "privacy-team"],
    "status": ["sent", "failed"],
    "module": ["walk", "rx"],
}


def populate(metrics: Metrics) -> Metrics:
    """A sample on every metric of `metrics`, for every combination of two example label values."""
    for name, metric in vars(metrics).items():
        if not isinstance(metric, (Counter, Gauge, Histogram, Summary)):
            continue
        labelnames = metric._labelnames
        missing = [label for label in labelnames if label not in EXAMPLE_LABELS]
        assert not missing, f"Metrics.{name}: add example values for labels {missing} to EXAMPLE_LABELS"
        children = [metric]
        if labelnames:
            children = [metric.labels(*values) for values in _combinations([EXAMPLE_LABELS[l] for l in labelnames])]
        for i, child in enumerate(children):
            if isinstance(metric, Counter):
                child.inc(3 + i)
            elif isinstance(metric, Gauge):
                child.set(0.25 + i)
            else:
                child.observe(0.02 * (i + 1))
    return metrics


def _combinations(choices: list[list[str]]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = [()]
    for values in choices:
        out = [prefix + (v,) for prefix in out for v in values]
    return out


def get(url: str, method: str = "GET") -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def metrics():
    return populate(Metrics(CollectorRegistry()))


def test_metrics_endpoint_serves_the_registry(metrics):
    with HttpServer("127.0.0.1:0", metrics.registry) as server:
        assert server.port > 0
        status, headers, body = get(f"{server.url}/metrics")
    assert status == 200
    assert headers["Content-Type"] == CONTENT_TYPE_LATEST
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    events = {tuple(sorted(s.labels.items())): s.value for s in families["sentinel_events"].samples
              if s.name == "sentinel_events_total"}
    assert events[(("source", "squid"), ("subprocessor", "stripe"))] == 3
    assert metrics.registry.get_sample_value("sentinel_spool_bytes") == 0.25


def test_every_metric_is_exposed_with_a_sample(metrics):
    with HttpServer("127.0.0.1:0", metrics.registry) as server:
        body = get(f"{server.url}/metrics")[2].decode()
    exposed = {f.name for f in text_string_to_metric_families(body) if f.samples}
    declared = {m._name for m in vars(metrics).values() if isinstance(m, (Counter, Gauge, Histogram, Summary))}
    assert declared <= exposed


def test_the_daemons_footprint_is_exposed(metrics):
    with HttpServer("127.0.0.1:0", metrics.registry) as server:
        body = get(f"{server.url}/metrics")[2].decode()
    families = {f.name: f for f in text_string_to_metric_families(body)}
    rss = families["process_resident_memory_bytes"].samples[0].value
    with open("/proc/self/status") as status:  # the same process: the same resident set, give or take a page
        vm_rss = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    assert 0.5 * vm_rss < rss < 2 * vm_rss
    assert families["process_cpu_seconds"].samples[0].value > 0


def test_healthz_is_200_when_every_check_passes():
    checks = {"store": Check(True, "chdb"), "sources": True}
    with HttpServer("127.0.0.1:0", CollectorRegistry(), health=lambda: checks) as server:
        status, headers, body = get(f"{server.url}/healthz")
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"status": "ok", "checks": {"store": {"ok": True, "detail": "chdb"},
                                                          "sources": {"ok": True}}}


def test_healthz_is_503_and_names_the_failing_checks():
    checks = {"store": Check(False, "ClickHouse unreachable; spooling"), "sources": True, "watchdog": False}
    with HttpServer("127.0.0.1:0", CollectorRegistry(), health=lambda: checks) as server:
        status, _, body = get(f"{server.url}/healthz")
    report = json.loads(body)
    assert status == 503
    assert report["status"] == "failing"
    assert report["failing"] == ["store", "watchdog"]
    assert report["checks"]["store"] == {"ok": False, "detail": "ClickHouse unreachable; spooling"}


def test_healthz_callback_that_raises_is_503_without_its_message():
    def health():
        raise RuntimeError("card 4111111111111111 in flight")  # must not be echoed

    with HttpServer("127.0.0.1:0", CollectorRegistry(), health=health) as server:
        status, _, body = get(f"{server.url}/healthz")
    assert status == 503
    assert b"4111" not in body
    assert json.loads(body)["error"] == "RuntimeError"


def test_healthz_without_callback_is_ok():
    assert health_report(None) == (200, {"status": "ok", "checks": {}})


def test_unknown_path_is_404_and_head_has_no_body(metrics):
    with HttpServer("127.0.0.1:0", metrics.registry) as server:
        assert get(f"{server.url}/nope")[0] == 404
        status, headers, body = get(f"{server.url}/metrics", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0


def test_keep_alive_connection_serves_several_requests(metrics):
    with HttpServer("127.0.0.1:0", metrics.registry) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        for path in ("/healthz", "/metrics", "/healthz"):
            conn.request("GET", path)
            response = conn.getresponse()
            assert response.status == 200 and response.read()
        conn.close()


def test_concurrent_scrapes(metrics):
    with HttpServer("127.0.0.1:0", metrics.registry) as server:
        results = []

        def scrape():
            results.append(get(f"{server.url}/metrics")[0])

        threads = [threading.Thread(target=scrape) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert results == [200] * 8


@pytest.mark.skipif(not socket.has_ipv6, reason="Python built without IPv6")
def test_ipv6_loopback():
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("no IPv6 loopback (::1) on this host")
    with HttpServer("[::1]:0", CollectorRegistry()) as server:
        assert server.address[0] == "::1"
        assert server.url.startswith("http://[::1]:")
        assert get(f"{server.url}/healthz")[0] == 200


def test_stop_releases_the_port_and_is_idempotent():
    server = HttpServer("127.0.0.1:0", CollectorRegistry()).start()
    port = server.port
    server.stop()
    server.stop()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_stop_waits_for_an_api_call_under_way_and_refuses_new_ones():
    # The daemon closes its store after stop(): a call still querying it must finish first.
    entered, release, events = threading.Event(), threading.Event(), []

    def api(method, target, body):
        if target == "/api/slow":
            entered.set()
            release.wait(10)
            events.append("call answered")
        return 200, {"ok": True}

    server = HttpServer("127.0.0.1:0", CollectorRegistry(), api=api).start()
    answers = []
    caller = threading.Thread(target=lambda: answers.append(
        urllib.request.urlopen(f"{server.url}/api/slow", timeout=20).status))
    caller.start()
    assert entered.wait(10)
    threading.Timer(1.0, release.set).start()
    server.stop(timeout=10)
    events.append("stopped")
    caller.join(10)
    assert events == ["call answered", "stopped"] and answers == [200]
    # A call that reaches the handler once stopping has begun is refused, not started.
    server._stopping = True
    assert server.api_call("GET", "/api/fast", b"")[0] == 503


def test_port_in_use_is_a_clear_error():
    with HttpServer("127.0.0.1:0", CollectorRegistry()) as first:
        with pytest.raises(OSError, match=r"metrics\.listen"):
            HttpServer(f"127.0.0.1:{first.port}", CollectorRegistry()).start()


@pytest.mark.parametrize("listen, expected", [
    ("127.0.0.1:9464", ("127.0.0.1", 9464)),
    ("[::1]:9464", ("::1", 9464)),
    ("localhost:0", ("localhost", 0)),
    (":9464", ("", 9464)),
])
def test_parse_listen(listen, expected):
    assert parse_listen(listen) == expected


@pytest.mark.parametrize("listen", ["9464", "::1:9464", "host:port", "127.0.0.1:70000"])
def test_parse_listen_rejects(listen):
    with pytest.raises(ValueError):
        parse_listen(listen)


@pytest.mark.skipif(shutil.which("promtool") is None,
                    reason="promtool not installed (Debian package `prometheus`); CI installs it")
def test_promtool_check_metrics_passes_on_full_exposition(metrics):
    with HttpServer("127.0.0.1:0", metrics.registry) as server:
        body = get(f"{server.url}/metrics")[2]
    result = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, timeout=60)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert not (result.stdout + result.stderr).strip(), (result.stdout + result.stderr).decode()
