"""Payload builders against checked-in golden files (SENTINEL_UPDATE_GOLDEN=1 rewrites them),
and the allowlist that keeps anything else out."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from sentinel.alert import payloads
from sentinel.alert.model import AlertRecord, Severity

GOLDEN = Path(__file__).parent / "golden"
RAW = "jane.doe@example.com"
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z

LINKS = payloads.Links("https://grafana.example.com", "/d/sentinel-subprocessor/sub-processor?"
                       "var-subprocessor={subprocessor}&from={from_ms}&to={to_ms}")


def record(alert_id, severity, category, field_path, status="firing", **kw) -> AlertRecord:
    return AlertRecord(
        alert_id=alert_id, fingerprint=f"fp{alert_id[-4:]}", group_key="6940e64e4dfbbe01", kind="policy_violation",
        severity=Severity.parse(severity), title=f"{category} sent to Stripe",
        identity={"kind": "policy_violation", "subprocessor": "stripe", "category": category,
                  "field_path": field_path, "endpoint": "/v1/customers/{token}", "destination": "api.stripe.com"},
        policy="stripe may receive CARD_NUMBER and NAME only", summary=f"{category} in POST /v1/customers bodies",
        evidence={"masked": "j***@e***.com" if category == "EMAIL" else "+44 **** ***789", "subjects": "3",
                  "findings": "14", "raw_value": RAW},
        status=status, raised_at=T0 + 5, first_seen=T0, last_seen=T0 + 120, occurrences=14,
        resolved_at=T0 + 900 if status == "resolved" else 0.0, **kw)


def firing_notification() -> dict:
    return payloads.build_notification(
        "nt-0123456789ab", "privacy-team", "6940e64e4dfbbe01", {"subprocessor": "stripe", "kind": "policy_violation"},
        [record("al-00000000aaaa", "critical", "EMAIL", "body.customer.email"),
         record("al-00000000bbbb", "high", "PHONE", "body.customer.phone")],
        [record("al-00000000cccc", "medium", "NAME", "body.customer.name", status="resolved")],
        T0 + 130, LINKS)


def resolved_notification() -> dict:
    return payloads.build_notification(
        "nt-0123456789cd", "privacy-team", "6940e64e4dfbbe01", {"subprocessor": "stripe", "kind": "policy_violation"},
        [], [record("al-00000000aaaa", "critical", "EMAIL", "body.customer.email", status="resolved")],
        T0 + 1000, LINKS)


def golden(name: str, actual) -> None:
    path = GOLDEN / name
    text = actual if isinstance(actual, str) else json.dumps(actual, indent=2, sort_keys=True,
                                                             ensure_ascii=False) + "\n"
    if os.environ.get("SENTINEL_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with SENTINEL_UPDATE_GOLDEN=1 and review the file"
    assert text == path.read_text()


def test_email_golden():
    subject, body = payloads.email_message(firing_notification())
    golden("email_firing.txt", f"Subject: {subject}\n\n{body}")
    subject, body = payloads.email_message(resolved_notification())
    golden("email_resolved.txt", f"Subject: {subject}\n\n{body}")


def test_slack_golden():
    golden("slack_firing.json", payloads.slack_message(firing_notification()))


def test_pagerduty_golden_dedup_key_is_the_group_fingerprint():
    event = payloads.pagerduty_event(firing_notification())
    assert event["dedup_key"] == "6940e64e4dfbbe01" and event["event_action"] == "trigger"
    golden("pagerduty_trigger.json", event)
    resolve = payloads.pagerduty_event(resolved_notification())
    assert resolve == {"event_action": "resolve", "dedup_key": "6940e64e4dfbbe01"}
    golden("pagerduty_resolve.json", resolve)


def test_webhook_golden():
    golden("webhook_firing.json", payloads.webhook_document(firing_notification()))


def test_notification_document_golden():
    golden("notification_firing.json", firing_notification())


BUILDERS = [
    lambda n: "\n".join(payloads.email_message(n)),
    lambda n: json.dumps(payloads.slack_message(n)),
    lambda n: json.dumps(payloads.pagerduty_event(n)),
    lambda n: json.dumps(payloads.webhook_document(n)),
]


@pytest.mark.parametrize("build", BUILDERS, ids=["email", "slack", "pagerduty", "webhook"])
def test_builders_keep_only_allowlisted_fields(build):
    n = firing_notification()
    tampered = copy.deepcopy(n)
    tampered["raw_body"] = f"customer={RAW}"  # not an allowed field
    tampered["alerts"][0]["request_body"] = RAW
    tampered["alerts"][0]["evidence"]["sample"] = RAW  # not an allowed evidence key
    tampered["alerts"][0]["labels"]["customer_email"] = RAW  # not an allowed label
    tampered["alerts"][0]["summary"] = f"sent {RAW} and card 4242 4242 4242 4242 with sk_live_abcdefgh12345678"
    text = build(tampered)
    assert RAW not in text and "4242 4242 4242 4242" not in text and "sk_live_" not in text
    assert "j***@e***.com" in text or "pagerduty" in repr(build)  # masked evidence still travels


def test_masked_values_pass_and_raw_ones_are_withheld():
    assert payloads.scrub("j***@e***.com, **** 4242") == "j***@e***.com, **** 4242"
    assert payloads.scrub(f"to {RAW}") == "to [withheld]"
    assert payloads.scrub("order 1700000000123") == "order 1700000000123"  # not a card number (Luhn)
    assert payloads.scrub("DE89370400440532013000") == "[withheld]"
    assert payloads.safe_evidence({"masked": "a***", "raw": RAW}) == {"masked": "a***"}
