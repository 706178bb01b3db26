"""`sentinel scan` as CI runs it: real capture and HAR files, exit codes, every output format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from sentinel.demo_data import write_capture

HAR = Path(__file__).parent / "data" / "har"


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "integration-run.pcap"
    write_capture(path, time.time())
    return path


def scan(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "SENTINEL_CONFIG"}
    env["SENTINEL_DATA_DIR"] = str(Path(cwd or ".") / "state")
    return subprocess.run([sys.executable, "-m", "sentinel.cli", "scan", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300, cwd=cwd)


def test_json_report_and_failing_exit_code(capture, tmp_path):
    result = scan(capture, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    kinds = {(v["kind"], v["subprocessor"]) for v in report["violations"]}
    assert ("secret_leak", "sentry") in kinds
    assert ("unapproved_category", "openai") in kinds
    assert ("unapproved_field", "segment") in kinds
    assert report["failed"] is True
    # masked evidence only: none of the planted values appear in the report
    for raw in ("ada.lovelace@example.com", "AKIAZ7Q4M2N8P5R3T6V9", "+44 20 7946 0958", "wJalrXUtnFEMI"):
        assert raw not in result.stdout


def test_fail_on_threshold_changes_exit_code(capture, tmp_path):
    assert scan(capture, "--fail-on", "critical", "--format", "json", cwd=tmp_path).returncode == 1
    policy = tmp_path / "lenient.toml"
    # A registry where every destination in the capture may receive everything, and secrets may go to sentry.
    policy.write_text('[secrets]\nallow_to = ["sentry"]\n' + "".join(
        f'[[subprocessor]]\nname = "{name}"\ndomains = ["{domain}"]\n[subprocessor.policy]\nallow = ["*"]\n'
        f'tls_required = false\n' for name, domain in [("segment", "segment.io"), ("openai", "openai.com"),
                                                       ("sentry", "sentry.io"), ("stripe", "stripe.com"),
                                                       ("mixpanel", "mixpanel.com"), ("datadog", "datadoghq.com")]))
    result = scan(capture, "--policy", policy, "--fail-on", "medium", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert {v["kind"] for v in json.loads(result.stdout)["violations"]} <= {"new_field_path"}


def test_junit_report(capture, tmp_path):
    out = tmp_path / "report.xml"
    assert scan(capture, "--format", "junit", "--output", out, cwd=tmp_path).returncode == 1
    suite = ET.parse(out).getroot()
    failures = suite.findall(".//failure")
    assert int(suite.get("failures")) == len(failures) > 0
    assert any(f.get("type") == "secret_leak" for f in failures)


def test_sarif_report(capture, tmp_path):
    result = scan(capture, "--format", "sarif", cwd=tmp_path)
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0"
    results = doc["runs"][0]["results"]
    rule_ids = {rule["id"] for rule in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert results and {r["ruleId"] for r in results} <= rule_ids
    assert {r["level"] for r in results} <= {"note", "warning", "error"}


def test_har_files_scan_and_broken_har_is_named(tmp_path):
    result = scan(HAR, "--format", "json", "--fail-on", "critical", cwd=tmp_path)
    report = json.loads(result.stdout)
    assert "mitmproxy_broken_truncated.har" in result.stderr
    assert any(v["kind"] == "unknown_destination" for v in report["violations"])
    assert result.returncode == (1 if any(v["severity"] == "critical" for v in report["violations"]) else 0)


def test_bad_arguments_exit_2(capture, tmp_path):
    assert scan(capture, "--format", "yaml", cwd=tmp_path).returncode == 2
    assert scan(capture, "--fail-on", "urgent", cwd=tmp_path).returncode == 2
    assert scan(tmp_path / "missing.har", cwd=tmp_path).returncode == 2


def test_an_empty_artefact_does_not_pass_as_clean(tmp_path):
    empty_dir = tmp_path / "run-artefacts"
    empty_dir.mkdir()
    result = scan(empty_dir, cwd=tmp_path)
    assert result.returncode == 2
    assert "nothing to scan" in result.stderr and "run-artefacts" in result.stderr


def test_a_truncated_capture_is_reported_once_and_what_it_held_is_judged(capture, tmp_path):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(capture.read_bytes()[:-50])  # ends inside its last record
    result = scan(cut, "--format", "json", "--fail-on", "critical", cwd=tmp_path)
    assert result.stderr.count("cut.pcap") == 1, result.stderr
    assert json.loads(result.stdout)["violations"]
    assert result.returncode in (0, 1)
