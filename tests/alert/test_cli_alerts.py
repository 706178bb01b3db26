"""`sentinel alerts` and `sentinel audit` as an operator runs them: subprocesses, exit codes, output."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.alert.conftest import MASKED_EMAIL, RAW_EMAIL, alerts_config, leak, route


@pytest.fixture
def cli(tmp_path, settings_factory, receiver):
    settings_factory(alerts_config(route("hook", receiver.url, min_severity="critical")))
    config = tmp_path / "sentinel.toml"

    def run(*args):
        env = {k: v for k, v in os.environ.items() if k != "SENTINEL_CONFIG"}
        env["SENTINEL_CONFIG"] = str(config)
        return subprocess.run([sys.executable, "-m", "sentinel.cli", *args], capture_output=True, text=True,
                              env=env, timeout=120)

    run.settings = lambda: settings_factory(config.read_text().split("\n", 1)[1])
    return run


def in_process(cli, action):
    """Do something through the API, then close the embedded store so the CLI can open it."""
    from sentinel.alert.manager import AlertManager
    from sentinel.store import Store

    store = Store.open(cli.settings())
    store.migrate()
    manager = AlertManager(store, cli.settings())
    try:
        return action(manager, store)
    finally:
        manager.close()
        store.close()


def test_test_alert_then_audit(cli, receiver):
    result = cli("alerts", "test", "--route", "hook")
    assert result.returncode == 0, result.stderr
    assert re.search(r"hook/\w+: delivered", result.stdout)
    assert receiver.documents()[0]["test"] is True
    shown = cli("audit", "show", "--limit", "5", "--json")
    assert [e["action"] for e in json.loads(shown.stdout)][-2:] == ["alert.test", "alert.sent"]
    verified = cli("audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stdout


def test_list_ack_silence_approve(cli):
    alert_id = in_process(cli, lambda m, s: m.raise_alert(leak(severity="high")).alert_id)
    listed = cli("alerts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert row["alert_id"] == alert_id and row["status"] == "firing" and row["severity"] == "high"

    acked = cli("alerts", "ack", alert_id, "--by", "alice", "--reason", "investigating")
    assert acked.returncode == 0 and "second operator" in acked.stdout
    ack_id = re.search(r"(ak-[0-9a-f]+)", acked.stdout).group(1)
    assert cli("alerts", "approve", ack_id, "--by", "alice").returncode == 1
    assert cli("alerts", "approve", ack_id, "--by", "bob").returncode == 0
    (row,) = json.loads(cli("alerts", "list", "--json").stdout)
    assert row["status"] == "acknowledged"

    silenced = cli("alerts", "silence", "--match", "subprocessor=stripe", "--match", "category=EMAIL",
                   "--duration", "2h", "--reason", "vendor migration", "--by", "alice")
    assert silenced.returncode == 0, silenced.stderr
    silence_id = re.search(r"silence (si-[0-9a-f]+)", silenced.stdout).group(1)
    refused = cli("alerts", "approve", silence_id, "--by", "alice")
    assert refused.returncode == 1 and "cannot approve" in refused.stderr
    assert cli("alerts", "approve", silence_id, "--by", "bob").returncode == 0
    listing = cli("alerts", "silences")
    assert silence_id in listing.stdout and "bob" in listing.stdout
    bad = cli("alerts", "silence", "--match", "stripe", "--duration", "2h", "--reason", "x", "--by", "a")
    assert bad.returncode == 2 and "label=value" in bad.stderr  # a usage error, not a refusal
    typo = cli("alerts", "silence", "--match", "subprocessor=segmnet", "--duration", "2h", "--reason", "x", "--by", "a")
    assert typo.returncode == 2 and "no sub-processor 'segmnet'; did you mean segment" in typo.stderr


def test_deliver_runs_the_outbox(cli, receiver):
    in_process(cli, lambda m, s: m.raise_alert(leak(severity="critical")))
    result = cli("alerts", "deliver")
    assert result.returncode == 0, result.stderr
    assert "sent 1" in result.stdout and len(receiver.received) == 1
    assert "sent 0" in cli("alerts", "deliver").stdout


def test_verify_names_the_tampered_entry(cli):
    def tamper(manager, store):
        manager.raise_alert(leak(severity="critical"))
        store.client.command(f"ALTER TABLE `{store.ctx.database}`.audit_log UPDATE actor = 'mallory' WHERE seq = 2",
                             settings={"mutations_sync": 2})

    in_process(cli, tamper)
    result = cli("audit", "verify")
    assert result.returncode == 1
    assert "audit log broken at entry 2" in result.stderr


def test_list_filters_and_show_one_alert_with_its_masked_evidence(cli):
    ids = in_process(cli, lambda m, s: [m.raise_alert(leak(severity="high")).alert_id,
                                        m.raise_alert(leak("segment", "PHONE_NUMBER", severity="low")).alert_id])

    def listed(*filters):
        return [a["alert_id"] for a in json.loads(cli("alerts", "list", "--json", *filters).stdout)]

    assert sorted(listed()) == sorted(ids)
    assert listed("--subprocessor", "segment") == [ids[1]]
    assert listed("--min-severity", "high") == [ids[0]]
    assert listed("--kind", "secret_leak") == []
    bad = cli("alerts", "list", "--min-severity", "urgent")
    assert bad.returncode == 2 and "min_severity" in bad.stderr
    shown = cli("alerts", "show", ids[0])
    assert shown.returncode == 0 and MASKED_EMAIL in shown.stdout and "stripe may not receive EMAIL" in shown.stdout
    assert RAW_EMAIL not in shown.stdout  # the raw value a detector saw is never kept
    missing = cli("alerts", "show", "al-0000")
    assert missing.returncode == 1 and "no alert al-0000" in missing.stderr
