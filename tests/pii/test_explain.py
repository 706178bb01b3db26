"""Scanner.explain_request / explain_text: the same findings as a scan, and each candidate
left out with its reason, masked like a finding."""

from __future__ import annotations

import json

from detectors.pii import Scanner
from tests.pii.conftest import KEY

GCP_KEY = "AIza" + "SyD4x9Qk2LmZp7Vt0Rw3Yb6Nc8Hf1Js5GqQ"
CONFIG = {"detectors": {"person": {"threshold": 0.8}},
          "allowlist": {"values": ["support@example.com"], "subprocessors": {"stripe": {"categories": ["IP_ADDRESS"]}}}}


def reasons(explanation) -> dict[tuple[str, str], str]:
    return {(n.field_path or str(n.start), n.category): n.reason for n in explanation.not_reported}


def test_explain_gives_the_scan_findings_and_the_reasons():
    s = Scanner(CONFIG, key=KEY)
    text = "Thanks, Margaret. Write to support@example.com or jane.doe@example.org"
    ex = s.explain_text(text)
    assert ex.findings == s.scan_text(text)
    assert reasons(ex) == {("8", "PERSON"): "below its threshold 0.80",
                           ("27", "EMAIL"): "allowlisted by [detectors.allowlist] values[0]"}
    person = next(n for n in ex.not_reported if n.category == "PERSON")
    assert (person.confidence, person.detector, text[person.start:person.end]) == (0.7, "person", "Margaret")


def test_explain_names_overlaps_and_per_subprocessor_allowlists():
    s = Scanner(CONFIG, key=KEY)
    headers = [("x-goog-api-key", GCP_KEY), ("x-forwarded-for", "8.8.4.4"), ("x-note", "a")]
    ex = s.explain_request("GET", "/v1/x", headers, b"", subprocessor="stripe")
    assert [(f.field_path, f.subtype) for f in ex.findings] == [("header.x-goog-api-key", "gcp_api_key")]
    assert reasons(ex) == {
        ("header.x-goog-api-key", "SECRET"): "overlaps a stronger finding in the same field",  # the generic rule
        ("header.x-forwarded-for", "IP_ADDRESS"):
            'allowlisted for stripe by [detectors.allowlist.subprocessors.stripe] categories "IP_ADDRESS"',
    }
    assert s.explain_request("GET", "/v1/x", headers, b"", subprocessor="segment").findings == \
        s.scan_request("GET", "/v1/x", headers, b"", subprocessor="segment")


def test_a_value_under_two_layers_is_explained_once_reported():
    s = Scanner(key=KEY)
    body = json.dumps({"note": "mail jane.doe%40example.org today"}).encode()
    ex = s.explain_request("POST", "/v1/x", [], body, "application/json")
    assert [(f.field_path, f.encoding) for f in ex.findings] == [("$.note", "url")]


def test_near_misses_are_explained_after_the_quiet_cache_remembered_them():
    s = Scanner(CONFIG, key=KEY)
    body = json.dumps({"note": "Thanks, Margaret. See the attached thread"}).encode()
    for _ in range(2):
        assert s.scan_request("POST", "/v1/x", [], body, "application/json") == []
    assert s.stats["segments_repeated"] == 1  # remembered: nothing above its threshold
    ex = s.explain_request("POST", "/v1/x", [], body, "application/json")
    assert reasons(ex) == {("$.note", "PERSON"): "below its threshold 0.80"}


def test_left_out_candidates_hold_masks_not_values():
    s = Scanner(CONFIG, key=KEY)
    ex = s.explain_text("Thanks, Margaret. Write to support@example.com")
    text = repr(ex.not_reported) + json.dumps([n.to_dict() for n in ex.not_reported])
    assert "Margaret" not in text and "support@example.com" not in text
    assert {n.masked for n in ex.not_reported} == {"M***", "s***@e***.com"}


def test_an_allowlisted_candidate_names_the_entry_that_allowed_it():
    # Tuning an allowlist: which of its entries let each value through, never the value.
    config = {"allowlist": {
        "values": ["support@example.com", "+1 415 555 0132"],
        "patterns": [r".*@example\.org", r"noreply\+.*@acme\.io"],
        "field_paths": ["$.meta.*", "$.items[*].owner"],
        "categories": ["IP_ADDRESS"],
        "subprocessors": {"stripe": {"categories": ["CREDIT_CARD"]},
                          "cdn.example.net": {"field_paths": ["$.card"]}}}}
    s = Scanner(config, key=KEY)
    body = json.dumps({"phone": "+1 (415) 555-0132", "to": "noreply+x@acme.io", "meta": {"x": "bob@corp.com"},
                       "items": [{"owner": "ann@corp.com"}], "ip": "81.2.69.142", "card": "4111111111111111",
                       "cc": "support@example.com"}).encode()
    ex = s.explain_request("POST", "/v1/x", [], body, "application/json", subprocessor="stripe")
    assert ex.findings == []
    assert reasons(ex) == {
        ("$.phone", "PHONE_NUMBER"): "allowlisted by [detectors.allowlist] values[1]",
        ("$.cc", "EMAIL"): "allowlisted by [detectors.allowlist] values[0]",
        ("$.to", "EMAIL"): "allowlisted by [detectors.allowlist] patterns[1]",
        ("$.meta.x", "EMAIL"): "allowlisted by [detectors.allowlist] field_paths[0]",
        ("$.items[].owner", "EMAIL"): "allowlisted by [detectors.allowlist] field_paths[1]",
        ("$.ip", "IP_ADDRESS"): 'allowlisted by [detectors.allowlist] categories "IP_ADDRESS"',
        ("$.card", "CREDIT_CARD"):
            'allowlisted for stripe by [detectors.allowlist.subprocessors.stripe] categories "CREDIT_CARD"',
    }
    other = s.explain_request("POST", "/v1/x", [], body, "application/json", subprocessor="cdn.example.net")
    assert reasons(other)[("$.card", "CREDIT_CARD")] == \
        'allowlisted for cdn.example.net by [detectors.allowlist.subprocessors."cdn.example.net"] field_paths[0]'
    text = repr(ex.not_reported) + repr(other.not_reported)
    assert "acme" not in text and "415" not in text and "corp.com" not in text


def test_a_candidate_is_explained_once_at_its_strongest():
    # A person under a field name is read twice (0.90 for the field, 0.85 for the words):
    # one line, the stronger; none beside that detector's own reported finding.
    s = Scanner({"detectors": {"person": {"threshold": 0.95}}}, key=KEY)
    body = json.dumps({"name": "John Smith"}).encode()
    ex = s.explain_request("POST", "/v1/x", [], body, "application/json")
    assert [(n.field_path, n.confidence, n.reason) for n in ex.not_reported] == [
        ("$.name", 0.9, "below its threshold 0.95")]
    reported = Scanner(key=KEY).explain_request("POST", "/v1/x", [], body, "application/json")
    assert [f.detector for f in reported.findings] == ["person"] and reported.not_reported == []


def test_candidates_at_confidence_zero_are_not_listed():
    # Nine bare digits are an SSN only when a field name or a word says so: scored 0
    # (for the watchlist), not a near miss worth a line.
    s = Scanner(key=KEY)
    ex = s.explain_text("order 536221234 shipped")
    assert ex.findings == [] and ex.not_reported == []
