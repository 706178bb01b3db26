"""`sentinel alerts` and `sentinel audit` while the daemon holds the embedded store: the CLI
asks the daemon over its loopback API, and the daemon's own alert manager does the work."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.test_daemon import daemon, log_source, wait_until  # noqa: F401 (daemon is a fixture)

SECRET = "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"
ROUTE = ('[alerts]\ngroup_wait_seconds = 0.5\ngroup_interval_seconds = 1\n[[alerts.routes]]\nname = "ops"\n'
         'urls = ["file://{path}"]\nmin_severity = "high"\n')


def cli(config, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("SENTINEL_CONFIG", "SENTINEL_DATA_DIR")}
    return subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(config), *args],
                          capture_output=True, text=True, env=env, timeout=180)


def api(proc, target: str, token: str | None, data: dict | None = None):
    """(status, body) of a raw call on the daemon's API, with `token` (or none)."""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{proc.port}{target}", data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def leaking_daemon(daemon, tmp_path):  # noqa: F811
    """A running daemon that has raised (and delivered) an alert for a token sent to an unknown host."""
    access, alerts = tmp_path / "access.log", tmp_path / "alerts.jsonl"
    access.write_text("")
    proc = daemon(log_source(access) + ROUTE.format(path=alerts)).start()
    with open(access, "a") as handle:
        handle.write(f"{time.time():.3f}     12 10.0.0.9 TCP_MISS/200 555 GET http://hooks.unlisted-example.dev/n?"
                     f"token={SECRET} - HIER_DIRECT/203.0.113.9 -\n")
    assert wait_until(lambda: alerts.exists() and "unlisted-example.dev" in alerts.read_text()), proc.logs()
    return proc


def firing(config) -> list[dict]:
    result = cli(config, "alerts", "list", "--json")
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout
    return json.loads(result.stdout)


def test_list_ack_approve_and_audit_while_the_daemon_runs(leaking_daemon):
    proc = leaking_daemon
    (alert,) = [a for a in firing(proc.config) if a["kind"] == "secret_leak"]
    assert alert["status"] == "firing" and alert["severity"] == "critical"

    acked = cli(proc.config, "alerts", "ack", alert["alert_id"], "--by", "alice", "--reason", "rotating it")
    assert acked.returncode == 0, acked.stderr
    ack_id = re.search(r"acknowledgement (ak-[0-9a-f]+) recorded", acked.stdout).group(1)
    # Severe: it waits for a second operator; alice approving her own is refused, exit 1, as on the store.
    assert [a["awaiting_approval"] for a in firing(proc.config) if a["alert_id"] == alert["alert_id"]] == [[ack_id]]
    own = cli(proc.config, "alerts", "approve", ack_id, "--by", "alice")
    assert own.returncode == 1 and "cannot approve" in own.stderr
    approved = cli(proc.config, "alerts", "approve", ack_id, "--by", "bob")
    assert approved.returncode == 0 and approved.stdout.strip() == f"approved {ack_id} (by bob)"
    (listed,) = [a for a in firing(proc.config) if a["alert_id"] == alert["alert_id"]]
    assert listed["status"] == "acknowledged"

    shown = cli(proc.config, "audit", "show", "--json")
    assert shown.returncode == 0, shown.stderr
    entries = json.loads(shown.stdout)
    assert ("alice", "alert.acknowledged", alert["alert_id"]) in [(e["actor"], e["action"], e["subject"])
                                                                  for e in entries]
    assert ("bob", "ack.approved", ack_id) in [(e["actor"], e["action"], e["subject"]) for e in entries]
    assert SECRET not in shown.stdout
    verified = cli(proc.config, "audit", "verify")
    assert verified.returncode == 0 and verified.stdout.startswith("audit log intact"), verified.stderr

    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
    # The same commands on the store, the daemon stopped: the daemon's changes were its own, and stored.
    (stored,) = [a for a in firing(proc.config) if a["alert_id"] == alert["alert_id"]]
    assert stored["status"] == "acknowledged" and stored["awaiting_approval"] == []
    on_store = json.loads(cli(proc.config, "audit", "show", "--json").stdout)
    assert [e for e in on_store if e["seq"] <= entries[-1]["seq"]][-len(entries):] == entries
    assert cli(proc.config, "audit", "verify").returncode == 0


def test_silence_and_refusals_through_the_daemon(leaking_daemon, tmp_path):
    proc = leaking_daemon
    silenced = cli(proc.config, "alerts", "silence", "--match", "nope=x", "--duration", "1h", "--reason", "x",
                   "--by", "alice")
    assert silenced.returncode == 2 and "no alert has the label 'nope'" in silenced.stderr  # usage: 2
    silenced = cli(proc.config, "alerts", "silence", "--match", "subprocessor=mailgun", "--duration", "1h",
                   "--reason", "maintenance", "--by", "alice")
    assert silenced.returncode == 0, silenced.stderr
    silence_id = re.search(r"silence (si-[0-9a-f]+) until \S+; it matches 0 firing alert", silenced.stdout).group(1)
    listing = cli(proc.config, "alerts", "silences")
    assert listing.returncode == 0 and silence_id in listing.stdout and "maintenance" in listing.stdout
    unknown = cli(proc.config, "alerts", "ack", "al-0000", "--by", "alice")
    assert unknown.returncode == 1 and unknown.stderr.strip() == \
        "no alert al-0000; `sentinel alerts list` shows the ids"

    token_file = tmp_path / "state" / "api.token"
    token = token_file.read_text().strip()
    for wrong in (None, "not-the-token"):
        status, body = api(proc, "/api/alerts", wrong)
        assert status == 401 and "unlisted" not in body
        status, _ = api(proc, "/api/alerts/ack", wrong, {"alert_id": "al-0000", "by": "mallory"})
        assert status == 401
    status, body = api(proc, "/api/alerts/ack", token, {"alert_id": "al-0000", "by": "alice", "note": "x"})
    assert status == 400 and "unknown field(s) note" in body
    status, body = api(proc, "/api/alerts?status=firing&colour=red", token)
    assert status == 400 and "unknown field(s) colour" in body
    status, _ = api(proc, "/api/audit", token, {"limit": 5})  # a read is a GET
    assert status == 405
    # A user who cannot read the token: the CLI says so, exit 3, nothing shown.
    token_file.rename(token_file.with_suffix(".away"))
    try:
        refused = cli(proc.config, "alerts", "list")
    finally:
        token_file.with_suffix(".away").rename(token_file)
    assert refused.returncode == 3 and "needs its token" in refused.stderr and not refused.stdout
    shown = json.loads(cli(proc.config, "audit", "show", "--json").stdout)
    assert "mallory" not in json.dumps(shown)
    assert [e["actor"] for e in shown if e["action"] == "alert.silenced"] == ["alice"]
    proc.signal(signal.SIGTERM)
    assert proc.wait() == 0
