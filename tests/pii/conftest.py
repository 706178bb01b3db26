"""Shared helpers for the detectors.pii tests. All values are synthetic: test card
numbers, example.com addresses, documentation IBANs, fictional 555-01xx numbers."""

from __future__ import annotations

import gc
import json

import pytest

from detectors.pii import Scanner

KEY = b"test-site-key-000000000000000000"


@pytest.fixture(autouse=True)
def _no_collection_pause():
    """A full collection of the whole suite's heap, on a loaded machine, can outlast a sample's
    time budget (250 ms): a scan in the test would overrun and lose findings (seen once in CI).
    Collections run between tests instead."""
    gc.disable()
    yield
    gc.enable()


@pytest.fixture(scope="module")
def _shared_scanner() -> Scanner:
    return Scanner(key=KEY)  # built once per module: compiling the RE2 set is the slow part


@pytest.fixture
def scanner(_shared_scanner) -> Scanner:
    before = _shared_scanner.stats["errors"]
    yield _shared_scanner
    # A recogniser that raised is counted, not surfaced: fail loudly here instead.
    assert _shared_scanner.stats["errors"] == before


def spans(scanner: Scanner, text: str, category: str) -> list[str]:
    """What each ``category`` finding of ``text`` covers, in order."""
    return [text[f.start:f.end] for f in scanner.scan_text(text) if f.category == category]


def text_hashes(scanner: Scanner, texts, category: str) -> set[str]:
    """The value hashes of every ``category`` finding in ``texts``: one when they name one
    person or place, however written."""
    return {f.value_hash for text in texts for f in scanner.scan_text(text) if f.category == category}


def scan_json(scanner: Scanner, obj, url: str = "https://api.example.net/v1/x", headers=()):
    return scanner.scan_request("POST", url, list(headers), json.dumps(obj).encode(), "application/json")


def cats(findings) -> set[str]:
    return {f.category for f in findings}


def by_path(findings) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f.field_path, set()).add(f.category)
    return out


def aadhaar_number(prefix: str = "23456789012") -> str:
    """A Verhoeff-valid synthetic Aadhaar-shaped number."""
    from detectors.pii.validators import verhoeff

    for c in "0123456789":
        if verhoeff(prefix + c):
            return prefix + c
    raise AssertionError("no check digit")


def nir_number(body: str = "1850578006084") -> str:
    return body + f"{97 - int(body) % 97:02d}"
