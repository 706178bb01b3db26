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
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scan") / "integration-run.pcap"
    write_capture(path, time.time())
    return path


def scan(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "SENTINEL_CONFIG"}
    env["SENTINEL_DATA_DIR"] = str(Path(cwd or ".") / "state")
    # The code beside these tests, not whichever checkout the venv installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
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
    # The broken file kept part of the run from the gate: exit 2 whatever was found in the rest.
    assert [Path(e["path"]).name for e in report["errors"]] == ["mitmproxy_broken_truncated.har"]
    assert result.returncode == 2 and report["failed"] is True


BROKEN_AND_GOOD = (HAR / "mitmproxy_broken_truncated.har", HAR / "mitmproxy_insomnia_rest_client.har")


def test_an_unreadable_input_beside_a_readable_one_fails_the_gate_in_json(tmp_path):
    result = scan(*BROKEN_AND_GOOD, "--format", "json", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    report = json.loads(result.stdout)
    assert report["failed"] is True and report["exit_code"] == 2
    (error,) = report["errors"]
    assert error["path"] == str(BROKEN_AND_GOOD[0]) and error["status"] == "unreadable"
    assert "invalid JSON" in error["reason"] and "line 5" in error["reason"]
    # what could be read is still judged, and tied to its file
    assert report["violations"] and all(v["files"] == [str(BROKEN_AND_GOOD[1])] for v in report["violations"])


def test_an_unreadable_input_is_a_junit_error_case(tmp_path):
    out = tmp_path / "report.xml"
    assert scan(*BROKEN_AND_GOOD, "--format", "junit", "--output", out, cwd=tmp_path).returncode == 2
    suite = ET.parse(out).getroot()
    errored = [case for case in suite.iter("testcase") if case.find("error") is not None]
    assert suite.get("errors") == "1" and len(errored) == 1
    assert "mitmproxy_broken_truncated.har" in errored[0].get("name")
    assert "invalid JSON" in errored[0].find("error").get("message")
    assert int(suite.get("tests")) == len(suite.findall("testcase"))


def test_an_unreadable_input_makes_the_sarif_invocation_unsuccessful(tmp_path):
    result = scan(*BROKEN_AND_GOOD, "--format", "sarif", cwd=tmp_path)
    assert result.returncode == 2
    (invocation,) = json.loads(result.stdout)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False and invocation["exitCode"] == 2
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "error" and "invalid JSON" in note["message"]["text"]
    location = note["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": BROKEN_AND_GOOD[0].absolute().as_uri()}  # outside the working directory


def test_a_missing_input_beside_a_readable_one_is_reported_not_fatal(tmp_path):
    result = scan(tmp_path / "missing.har", BROKEN_AND_GOOD[1], "--format", "json", cwd=tmp_path)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert [(Path(e["path"]).name, e["status"]) for e in report["errors"]] == [("missing.har", "unreadable")]
    assert report["violations"]


def test_tls_terminated_capture_is_not_plaintext_transfer(capture, tmp_path):
    plain = json.loads(scan(capture, "--format", "json", cwd=tmp_path).stdout)
    assert "plaintext_transfer" in {v["kind"] for v in plain["violations"]}
    result = scan(capture, "--format", "json", "--tls-terminated", cwd=tmp_path)
    kinds = {v["kind"] for v in json.loads(result.stdout)["violations"]}
    assert "plaintext_transfer" not in kinds
    assert "secret_leak" in kinds and result.returncode == 1  # the rest is judged as before


def test_junit_case_names_are_unique_and_name_the_field(tmp_path):
    out = tmp_path / "report.xml"
    scan(HAR, "--format", "junit", "--fail-on", "info", "--output", out, cwd=tmp_path)
    cases = [(c.get("classname"), c.get("name")) for c in ET.parse(out).getroot().iter("testcase")]
    assert len(cases) == len(set(cases)), [c for c in cases if cases.count(c) > 1]
    sync_leaks = [name for _, name in cases if name.startswith("secret_leak") and "/chrome-sync/command/" in name]
    # each names its field: in the title (a secret leak's) or beside it
    assert len(sync_leaks) >= 2 and all(" in header." in name or " in pb." in name for name in sync_leaks)


def test_sarif_locations_are_relative_to_the_checkout(capture, tmp_path):
    local = tmp_path / "artefacts" / "run 1.pcap"
    local.parent.mkdir()
    local.write_bytes(capture.read_bytes())
    doc = json.loads(scan(Path("artefacts") / "run 1.pcap", "--format", "sarif", cwd=tmp_path).stdout)
    run = doc["runs"][0]
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"] for loc in r["locations"]}
    bases = {loc["physicalLocation"]["artifactLocation"].get("uriBaseId") for r in run["results"]
             for loc in r["locations"]}
    assert uris == {"artefacts/run%201.pcap"} and bases == {"%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.absolute().as_uri() + "/"
    assert run["invocations"][0]["executionSuccessful"] is True
    assert "example.invalid" not in json.dumps(doc)


def test_sarif_has_the_keys_sarif_2_1_0_requires(capture, tmp_path):
    doc = json.loads(scan(capture, *BROKEN_AND_GOOD, "--format", "sarif", cwd=tmp_path).stdout)
    assert doc["version"] == "2.1.0" and isinstance(doc["runs"], list)
    for run in doc["runs"]:
        assert run["tool"]["driver"]["name"]
        assert all(rule["id"] for rule in run["tool"]["driver"]["rules"])
        for result in run["results"]:
            assert result["message"]["text"] and result["level"] in ("none", "note", "warning", "error")
            for location in result["locations"]:
                artifact = location.get("physicalLocation", {}).get("artifactLocation", {})
                # a uriBaseId only beside a relative reference
                assert "uriBaseId" not in artifact or not artifact["uri"].startswith("file:")
        for invocation in run["invocations"]:
            assert isinstance(invocation["executionSuccessful"], bool)
            assert all(n["message"]["text"] for n in invocation["toolExecutionNotifications"])
        for base in run.get("originalUriBaseIds", {}).values():
            assert base["uri"].endswith("/")


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
    report = json.loads(result.stdout)
    assert report["violations"]
    assert [(Path(e["path"]).name, e["status"]) for e in report["errors"]] == [("cut.pcap", "partly read")]
    assert "ends inside a record" in report["errors"][0]["reason"]
    assert result.returncode == 2


def test_damaged_har_entries_make_the_file_partly_read(tmp_path):
    har = json.loads(BROKEN_AND_GOOD[1].read_text())
    har["log"]["entries"].append({"request": {}})  # no method, no url
    damaged = tmp_path / "damaged.har"
    damaged.write_text(json.dumps(har))
    result = scan(damaged.name, "--format", "json", cwd=tmp_path)
    report = json.loads(result.stdout)
    assert report["errors"] == [{"path": "damaged.har", "reason": "1 damaged HAR entries skipped",
                                 "status": "partly read"}]
    assert report["violations"] and result.returncode == 2


def _har(path: Path, *requests: tuple[str, dict]) -> Path:
    entries = [{"startedDateTime": "2026-11-20T10:00:00.000Z", "time": 5,
                "request": {"method": "POST", "url": url, "httpVersion": "HTTP/1.1", "headers": [], "queryString": [],
                            "postData": {"mimeType": "application/json", "text": json.dumps(body)},
                            "headersSize": -1, "bodySize": -1},
                "response": {"status": 200, "httpVersion": "HTTP/1.1", "headers": [], "content": {"size": 0},
                             "headersSize": -1, "bodySize": 0}} for url, body in requests]
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


def test_a_request_to_an_address_keeps_the_address_as_its_destination(settings_factory, tmp_path):
    # A URL whose host is an address no cidrs cover: the e-mail went to "unknown ()", with no
    # unknown_destination alert and a title ending in "unknown destination ".
    from sentinel.judge import to_alert
    from sentinel.scan import scan_paths

    (tmp_path / "reg.toml").write_text('[[subprocessor]]\nname = "acme"\ndomains = ["acmecrm.io"]\n')
    settings = settings_factory(f'registry = "{tmp_path / "reg.toml"}"\n')
    har = _har(tmp_path / "run.har", ("https://203.0.113.10/v1/x", {"email": "jane.doe@example.org"}),
               ("https://[2001:db8::5]:8443/v1/x", {"email": "jane.doe@example.org"}))
    result = scan_paths(settings, [har], tmp_path / "scan-state")
    got = sorted((v.kind, v.destination) for v in result.violations)
    assert got == [("pii_to_unknown", "2001:db8::5"), ("pii_to_unknown", "203.0.113.10"),
                   ("unknown_destination", "2001:db8::5"), ("unknown_destination", "203.0.113.10")]
    alerts = [to_alert(v) for v in result.violations if v.kind == "unknown_destination"]
    assert sorted(a.title.rsplit(" ", 1)[-1] for a in alerts) == ["2001:db8::5", "203.0.113.10"]
    assert len({a.fingerprint for a in alerts}) == 2


def test_a_configured_watchlist_finds_a_customers_hashed_email(tmp_path):
    # [detectors.watchlist] did not exist: no command could raise watchlist_hit.
    import hashlib

    customer = "alice.customer@bigco.com"
    (tmp_path / "watchlist.txt").write_text(f"# exported from the customers table\n{customer},customer-1042\n")
    config = tmp_path / "sentinel.toml"
    config.write_text('[detectors.watchlist]\npaths = ["watchlist.txt"]\n')  # beside the configuration
    # Under a field no detector reads as an e-mail: only the watchlist knows this digest.
    digest = hashlib.sha256(customer.encode()).hexdigest()
    recording = _har(tmp_path / "page.har", ("https://api.mixpanel.com/track",
                                            {"event": "signup", "properties": {"ref": digest}}))
    env = {k: v for k, v in os.environ.items() if k != "SENTINEL_CONFIG"}
    env.update(SENTINEL_DATA_DIR=str(tmp_path / "state"), PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "sentinel.cli", "--config", str(config), "scan", str(recording),
                             "--format", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1, result.stderr
    (violation,) = json.loads(result.stdout)["violations"]
    assert (violation["kind"], violation["category"], violation["subprocessor"], violation["field_path"]) == \
        ("watchlist_hit", "EMAIL", "mixpanel", "$.properties.ref")
    assert violation["masked"] == ["a***@b***.com"]
    assert customer not in result.stdout + result.stderr


def test_weak_tls_names_the_version_apart_from_the_data_category(tmp_path):
    # The negotiated version was reported as the violation's category, which is a data category.
    entries = [{"startedDateTime": "2026-11-20T10:00:00.000Z", "time": 10, "_securityDetails": {"protocol": version},
                "request": {"method": "GET", "url": "https://api.acmecrm.io/v1/ping", "httpVersion": "HTTP/1.1",
                            "headers": [], "queryString": [], "cookies": [], "headersSize": -1, "bodySize": 0},
                "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "headers": [],
                             "cookies": [], "content": {"size": 0, "mimeType": "text/plain"}, "redirectURL": "",
                             "headersSize": -1, "bodySize": 0},
                "cache": {}, "timings": {"send": 0, "wait": 0, "receive": 0}} for version in ("TLS 1.0", "TLS 1.1")]
    har = tmp_path / "old-tls.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"},
                                       "entries": entries}}))
    policy = tmp_path / "acme.toml"
    policy.write_text('[[subprocessor]]\nname = "acme"\ndomains = ["acmecrm.io"]\n'
                      '[subprocessor.policy]\nmin_tls_version = "1.2"\n')
    report = json.loads(scan(har, "--policy", policy, "--format", "json", cwd=tmp_path).stdout)
    weak = [v for v in report["violations"] if v["kind"] == "weak_tls"]
    assert [(v["category"], v["tls_version"], v["title"]) for v in weak] == [
        ("", "TLSv1.0", "Weak TLS (TLSv1.0) to acme"), ("", "TLSv1.1", "Weak TLS (TLSv1.1) to acme")]
    sarif = json.loads(scan(har, "--policy", policy, "--format", "sarif", cwd=tmp_path).stdout)
    assert sorted((r["properties"]["category"], r["properties"]["tls_version"]) for r in sarif["runs"][0]["results"]
                  if r["ruleId"] == "weak_tls") == [("", "TLSv1.0"), ("", "TLSv1.1")]
    suite = ET.fromstring(scan(har, "--policy", policy, "--format", "junit", cwd=tmp_path).stdout)
    names = [case.get("name") for case in suite.iter("testcase") if case.get("name", "").startswith("weak_tls")]
    assert len(set(names)) == 2 and all("TLSv1." in name for name in names)


def test_a_policy_rule_that_never_matches_is_warned_of_on_stderr(tmp_path):
    # acme's *.acmecrm.io never wins over crm's acmecrm.io: said on stderr, the report on stdout intact.
    policy = tmp_path / "reg.toml"
    policy.write_text('[[subprocessor]]\nname = "crm"\ndomains = ["acmecrm.io"]\n'
                      '[[subprocessor]]\nname = "acme"\ndomains = ["acme.test", "*.acmecrm.io"]\n')
    har = _har(tmp_path / "run.har", ("https://api.acmecrm.io/v1/x", {"plan": "pro"}))
    result = scan(har, "--policy", policy, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["violations"] == []
    assert f"warning:  {policy}: subprocessor[1].domains[1]: '*.acmecrm.io' of 'acme' never matches" in result.stderr
