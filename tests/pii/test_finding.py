"""Hashes and masks: normalised per category, keyed, never the whole value."""

import hashlib
import hmac

import pytest

from detectors.pii import Scanner
from tests.pii.conftest import KEY


def _one(fs, category):
    (f,) = [f for f in fs if f.category == category]
    return f


def _h(s: str) -> str:
    return hmac.new(KEY, s.encode(), hashlib.sha256).hexdigest()


@pytest.mark.parametrize("text,category,normalised,masked", [
    ("mail Jane.Doe@Example.COM now", "EMAIL", "jane.doe@example.com", "J***@E***.COM"),
    ("call (415) 555-0132 now", "PHONE_NUMBER", "+14155550132", "+*******0132"),
    ("card 4242-4242-4242-4242 now", "CREDIT_CARD", "4242424242424242", "**** **** **** 4242"),
    ("ssn 512-34-7788 now", "US_SSN", "512347788", "***-**-7788"),
    ("iban de89 3704 0044 0532 0130 00".replace("de89", "DE89"), "IBAN", "DE89370400440532013000", "DE****************3000"),
    ("from 8.8.4.4 today", "IP_ADDRESS", "8.8.4.4", "8.8.*.*"),
])
def test_hash_of_normalised_value_and_mask(scanner, text, category, normalised, masked):
    f = _one(scanner.scan_text(text), category)
    assert f.value_hash == _h(normalised)
    assert f.masked == masked


def test_same_subject_same_hash_across_formats(scanner):
    a = _one(scanner.scan_text("call +1 415 555 0132"), "PHONE_NUMBER")
    b = _one(scanner.scan_text("call 415.555.0132 please"), "PHONE_NUMBER")
    assert a.value_hash == b.value_hash


@pytest.mark.parametrize("field,category", [("hashed_email", "EMAIL"), ("ph", "PHONE_NUMBER"), ("fn", "PERSON"),
                                            ("sha256_street", "STREET_ADDRESS"), ("db", "DATE_OF_BIRTH")])
def test_hashed_value_hashes_as_its_digest(scanner, field, category):
    # Whatever the category, a digest is its own normal form (a phone's rules would keep
    # only its decimal digits): one digest, one subject, and the watchlist's forms match.
    digest = hashlib.sha256(b"+14155550132").hexdigest()
    f = _one(scanner.scan_request("GET", f"/tr?{field}={digest.upper()}", [], b""), category)
    assert (f.encoding, f.value_hash) == ("sha256", _h(digest))


def test_random_key_per_process_when_none():
    a = _one(Scanner().scan_text("mail jane@example.com"), "EMAIL")
    b = _one(Scanner().scan_text("mail jane@example.com"), "EMAIL")
    assert a.value_hash != b.value_hash


def test_secret_mask_never_reveals_short_values(scanner):
    f = _one(scanner.scan_request("POST", "/login", [], b"password=hunter2!x", "application/x-www-form-urlencoded"), "SECRET")
    assert f.masked == "****" and f.subtype == "password"


def test_finding_is_immutable_and_serialisable(scanner):
    f = _one(scanner.scan_text("mail jane@example.com"), "EMAIL")
    with pytest.raises(AttributeError):
        f.category = "X"
    d = f.to_dict()
    assert set(d) == {"category", "subtype", "encoding", "location", "field_path", "start", "end", "confidence",
                      "detector", "masked", "value_hash", "watchlist"}
