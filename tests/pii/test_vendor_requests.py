"""Requests in the shapes of 47 sub-processor APIs (payments, analytics, ads conversion
APIs, e-mail, SMS, CRM, support, logging and AI), each with planted personal data and
secrets: every planted value is found under its field with its category, and nothing
raw is in what is reported. The labels (tests/data/vendor_requests/expected.json) were
written from the planted values; the values the detectors leave out on purpose are
listed there with why."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sentinel.detect_cli import as_request

DATA = Path(__file__).parent.parent / "data" / "vendor_requests"
EXPECTED = json.loads((DATA / "expected.json").read_text())["requests"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_planted_value_is_found_under_its_field(scanner, name):
    raw = (DATA / f"{name}.http").read_bytes()
    found = scanner.scan_request(*as_request("http", raw))
    unclaimed = list(found)
    missed = []
    for want in EXPECTED[name]:
        match = next((f for f in unclaimed if f.category == want["category"] and re.search(want["field"], f.field_path)),
                     None)
        if match is None:
            missed.append(want)
        else:
            unclaimed.remove(match)
    assert not missed, [(w["category"], w["field"], w.get("note", "")) for w in missed]
    for f in found:
        assert "*" in f.masked and len(f.value_hash) == 64  # a mask and a keyed hash, never the value
