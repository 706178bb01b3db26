"""Drills through the real path, with and without a running daemon."""

from __future__ import annotations

import json
import time
import os
import subprocess
import sys
from pathlib import Path

from test_daemon import DaemonProcess


def drill(config: Path, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}
    return subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(config), "drill", *args],
                          capture_output=True, text=True, env=env, timeout=300)


ROUTE = """[alerts]
group_wait_seconds = 0.5
group_interval_seconds = 2
[[alerts.routes]]
name = "drills"
urls = ["file://{path}"]
min_severity = "high"
"""


def audit_drills(config: Path) -> list[dict]:
    from sentinel.audit import AuditLog
    from sentinel.config import load_settings
    from sentinel.store import Store

    store = Store.open(load_settings(config))
    try:
        return [e.details_dict() for e in AuditLog(store).entries() if e.action == "drill"]
    finally:
        store.close()


def test_drill_in_process_passes_and_is_audited(tmp_path):
    config = tmp_path / "sentinel.toml"
    config.write_text(f'data_dir = "{tmp_path / "state"}"\n[metrics]\nlisten = ""\n'
                      + ROUTE.format(path=tmp_path / "alerts.jsonl"))
    result = drill(config, "--json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "passed" and outcome["mode"] == "in-process" and outcome["channels"] == 1
    delivered = (tmp_path / "alerts.jsonl").read_text()
    assert outcome["host"] in delivered
    assert f"drill-{outcome['id']}@example.com" not in delivered  # the canary value itself is masked
    assert [d["status"] for d in audit_drills(config)] == ["passed"]
    # a canary is no data flow: the record of processing does not keep it
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}
    inventory = subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(config), "inventory",
                                "--since", "all", "--format", "json"], capture_output=True, text=True, env=env)
    assert inventory.returncode == 0 and outcome["host"] not in inventory.stdout
    assert "sentinel-drill.invalid" not in inventory.stdout


def test_a_drills_alert_is_a_group_of_its_own():
    # Joined to real unknown-destination alerts, it waited for their group_interval (what
    # the drill then timed) and was paged together with them.
    from sentinel.alert.fingerprint import group_key

    group_by = ["subprocessor", "kind"]
    real = [{"kind": "pii_to_unknown", "destination": d} for d in ("tracker.example", "pixel.example")]
    canary = {"kind": "pii_to_unknown", "destination": "canary-0f1e2d3c.sentinel-drill.invalid"}
    assert group_key(real[0], group_by) == group_key(real[1], group_by)
    assert group_key(canary, group_by) != group_key(real[0], group_by)


def test_drill_through_the_running_daemon(tmp_path):
    proc = DaemonProcess(tmp_path, ROUTE.format(path=tmp_path / "alerts.jsonl"))
    try:
        proc.start()
        result = drill(proc.config, "--json")
        assert result.returncode == 0, result.stderr + proc.logs()
        outcome = json.loads(result.stdout)
        assert outcome["status"] == "passed" and outcome["mode"] == "daemon" and outcome["channels"] == 1
        assert outcome["latency_seconds"] > 0
        # the canary is no source: no lag series of its own, kept for good
        assert 'sentinel_pipeline_lag_seconds{source="drill"}' not in proc.get("/metrics")
    finally:
        proc.signal(15)
        proc.wait()
        proc.kill()
    assert [d["status"] for d in audit_drills(proc.config)] == ["passed"]


def test_drill_without_routes_is_refused(tmp_path):
    config = tmp_path / "sentinel.toml"
    config.write_text(f'data_dir = "{tmp_path / "state"}"\n')
    result = drill(config)
    assert result.returncode == 2 and "alerts.routes" in result.stderr


def test_two_notifications_on_one_channel_are_one_channel(store):
    from sentinel.drill import delivered, new_drill

    import datetime as dt

    drill = new_drill()
    now = time.time()
    at = [dt.datetime.fromtimestamp(now + i, dt.timezone.utc) for i in range(2)]
    columns = ["notification_id", "channel", "version", "created_at", "updated_at", "state", "body"]
    rows = [[f"n{i}", "ops", 1, at[i], at[i], "sent", f"{kind} to {drill.host}"]
            for i, kind in enumerate(("pii_to_unknown", "unknown_destination"))]
    store.client.insert(store.table("alert_outbox"), rows, column_names=columns)
    first, channels = delivered(store, drill)
    assert channels == 1 and first is not None and abs(first - now) < 1
