"""`sentinel demo`: three weeks of egress with planted incidents, through the whole pipeline.

Everything happens in one directory on the embedded store: generated proxy log and
capture, ingestion with detection and policy, anomaly scoring, alert delivery to a
local file channel, then the inventory and the alerts on screen.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sentinel.collect.checkpoint import CheckpointStore
from sentinel.config import load_settings
from sentinel.demo_data import demo_requests, write_capture, write_log
from sentinel.ingest import Ingestor, expand
from sentinel.ingest_capture import ingest_capture
from sentinel.ingest_cli import count_violations, summary_table
from sentinel.judge import Judge
from sentinel.metrics import Metrics
from sentinel.policy import PolicyEngine
from sentinel.runtime import build_pipeline
from sentinel.store import Store

DAYS = 21  # three weeks: the anomaly model alerts only once a sub-processor has two weeks of history
CAPTURE_SPAN = 300.0  # seconds: the capture's requests go out within the last five minutes

CONFIG = """# Written by `sentinel demo`.
data_dir = "{state}"

[alerts]
base_url = "http://localhost:3000"
group_wait_seconds = 0
group_interval_seconds = 0

[[alerts.routes]]
name = "demo-file"
urls = ["file://{alerts}"]
min_severity = "low"

[metrics]
listen = ""

# The model judges yesterday and today only, where the incidents are, after 20 days of
# history. A deployment alerts after 14 days (the default), with a few false alerts a week
# in the third week (bench/anomaly_exfil.py), and about one a sub-processor-week after
# that at the default threshold, 0.4. A false alert would muddle the demo, whose planted
# bursts score 0.77 to 1: it alerts from 0.6, above the 0.42 a normal hour reaches on
# some weekdays (tests/test_demo.py runs it as on each).
[anomaly]
warmup_days = 20
alert_threshold = 0.6
"""


def run_demo(directory: Path | None, console: Console, wall: float | None = None) -> int:
    """The demo, run now or (tests) as if run at ``wall``."""
    import sentinel.alert.filechannel  # noqa: F401  registers file:// with Apprise
    from sentinel.alert.manager import AlertManager

    started = time.monotonic()
    root = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="sentinel-demo-"))
    egress = root / "egress"
    egress.mkdir(parents=True, exist_ok=True)
    alerts_file = root / "alerts.jsonl"
    config = root / "sentinel.toml"
    demo_config = CONFIG.format(state=root / "state", alerts=alerts_file)
    if config.exists() and config.read_text() == demo_config:
        # An earlier demo's directory: its store and notifications would make this run
        # skip the files as already ingested. The demo starts afresh every time.
        shutil.rmtree(root / "state", ignore_errors=True)
        alerts_file.unlink(missing_ok=True)
    config.write_text(demo_config)
    # The log ends at the last full hour, so its planted bursts fall in the model's hourly
    # windows the same way on every run, whatever the minute.
    wall = time.time() if wall is None else wall
    now = wall // 3600 * 3600
    first, spacing = capture_times(wall, len(demo_requests()))
    console.print(f"[bold]Sentinel demo[/] in {root}")
    lines, incidents = write_log(egress / "squid-access.log", now, days=DAYS)
    write_capture(egress / "mirror-tls-terminated.pcap", wall, first=first, spacing=spacing)
    console.print(f"generated {DAYS} days of egress: {lines:,} proxy log lines and a TLS-terminated capture")
    console.print("planted: " + "; ".join(incidents) + "; and in the capture: PII in an AI prompt, "
                  "AWS keys in an error report, phone numbers to analytics, a customer in a gRPC log export")

    settings = load_settings(config)
    store = Store.open(settings)
    try:
        store.migrate()
        metrics = Metrics(CollectorRegistry())
        alerts = AlertManager(store, settings, metrics=metrics)
        pipeline = build_pipeline(settings, store, metrics)
        pipeline.observers.append(Judge(PolicyEngine(settings.registry), alerts, metrics))
        ingestor = Ingestor(pipeline, CheckpointStore(settings.data_dir / "checkpoints", filename="ingest.json"),
                            settings, capture_factory=ingest_capture, tls_terminated=True)
        ingestor.ingest(expand([egress]))
        count_violations(pipeline.summary, metrics)
        console.print(summary_table(pipeline.summary))
        anomalies = _score(store, settings, alerts, metrics, console, until=now)
        delivered = _deliver(alerts)
        _show_inventory(store, settings, console, root)
        _show_alerts(alerts, console)
        alerts.close()
    finally:
        store.close()
    notified = sum(1 for _ in alerts_file.open()) if alerts_file.exists() else 0
    console.print(f"\n{delivered} notifications delivered to {alerts_file} ({notified} lines); "
                  f"{anomalies} volume anomalies; inventory report: {root / 'inventory.html'}")
    console.print(f"done in {time.monotonic() - started:.1f} s. Explore: sentinel --config {config} inventory "
                  f"--since 30d | alerts list | audit verify")
    # An access request from the demo's customer, for `sentinel subject`.
    request = root / "access-request.txt"
    request.write_text("# the identifiers a customer gave in an access request\nada.lovelace@example.com\n"
                       "+1 202-555-0147\n")
    console.print(f"Where that customer's data went: sentinel --config {config} subject {request}",
                  markup=False, highlight=False, soft_wrap=True)
    return 0


def capture_times(wall: float, requests: int) -> tuple[float, float]:
    """When the capture's requests go out: the first time and the spacing.

    In the hour under way, in no window the demo scores (its few requests with personal
    data would otherwise read as a burst), and in the last few minutes: a request from
    the top of the hour would be "not seen for" the hour-long resolve timeout, and
    resolved unnotified, when the demo runs in the hour's last seconds.
    """
    first = max(wall // 3600 * 3600, wall - CAPTURE_SPAN)
    return first, (wall - first) / requests


def _score(store, settings, alerts, metrics, console, until: float) -> int:
    try:
        from sentinel.scoring import ScoringJob
    except ImportError:
        return 0
    # Hourly windows: three weeks of them score in seconds (the daemon also scores 5-minute ones).
    job = ScoringJob(store, settings, alerts, metrics, window_seconds=3600)
    raised = job.backfill(days=DAYS + 1, until=until)  # the log's end, even if an hour turned meanwhile
    console.print(f"anomaly model scored {job.windows_scored:,} hourly windows across {len(job.builders)} "
                  f"sub-processors; {raised} unusual")
    return raised


def _deliver(alerts) -> int:
    delivered = 0
    for _ in range(20):  # group timers are zero in the demo; a few ticks drain the outbox
        result = alerts.tick()
        delivered += result.sent
        if not result.deliveries and not result.notifications:
            break
    return delivered


def _show_inventory(store, settings, console, root: Path) -> None:
    from sentinel import inventory as inv

    flows = inv.collect(store, settings, since="30d")
    console.print(inv.to_table([f for f in flows if f.category], "data flows with personal data, last 30 days"))
    (root / "inventory.html").write_text(inv.to_html(flows, settings, "30d"))


def _show_alerts(alerts, console) -> None:
    # Yesterday's incidents were over before the demo ran: raised and resolved, never
    # notified (resolve_timeout counts from the traffic's time); the status says which.
    table = Table(title="alerts (firing: notified now; resolved: over before the demo ran)")
    for column in ("status", "severity", "kind", "sub-processor", "title", "count"):
        table.add_column(column)
    for view in alerts.alerts(status="all"):
        row = view.as_dict()
        table.add_row(*map(Text, (str(row.get("status")), str(row.get("severity")), str(row.get("kind")),
                                  str(row.get("subprocessor") or "-"), str(row.get("title")),
                                  str(row.get("occurrences")))))
    console.print(table)
