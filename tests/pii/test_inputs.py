"""The Scanner API takes requests as collectors hold them: bodies as bytes, bytearray,
memoryview or str, header values as str or bytes, a missing URL or method as None.
Each form gives the findings the plain form gives (the compiled build checks argument
types at the call, so each form is exercised here)."""

from __future__ import annotations

import pytest

from detectors.pii import Scanner

KEY = b"inputs-test-key-0123456789abcdef"
BODY = b'{"customer": {"email": "jane.doe@example.com", "phone": "+44 20 7946 0958"}}'
JSON = "application/json"


@pytest.fixture(scope="module")
def scanner():
    return Scanner(key=KEY)


def seen(findings):
    return sorted((f.category, f.field_path, f.value_hash) for f in findings)


@pytest.mark.parametrize("form", [bytearray, memoryview, lambda b: b.decode()], ids=["bytearray", "memoryview", "str"])
def test_body_forms_give_the_same_findings(scanner, form):
    plain = seen(scanner.scan_request("POST", "/v1/users", [], BODY, JSON))
    assert {c for c, _, _ in plain} == {"EMAIL", "PHONE_NUMBER"}
    assert seen(scanner.scan_request("POST", "/v1/users", [], form(BODY), JSON)) == plain


def test_missing_url_and_method_still_scan_the_body(scanner):
    found = seen(scanner.scan_request(None, None, None, BODY, JSON))
    assert found == seen(scanner.scan_request("POST", "", [], BODY, JSON))
    assert found


def test_header_values_as_bytes_or_none(scanner):
    as_str = seen(scanner.scan_request("GET", "/", [("X-User-Email", "jane.doe@example.com")], b""))
    assert [c for c, _, _ in as_str] == ["EMAIL"]
    as_bytes = scanner.scan_request("GET", "/", [(b"X-User-Email", b"jane.doe@example.com"), ("X-Empty", None)], b"")
    assert seen(as_bytes) == as_str


def test_text_as_bytes_or_none(scanner):
    text = "Call me on +44 20 7946 0958, Jane"
    assert seen(scanner.scan_text(text.encode())) == seen(scanner.scan_text(text))
    assert scanner.scan_text(None) == []


def test_a_body_of_another_type_is_refused_by_name(scanner):
    with pytest.raises(TypeError, match="body: expected bytes, str or None, got int"):
        scanner.scan_request("POST", "/", [], 42)
