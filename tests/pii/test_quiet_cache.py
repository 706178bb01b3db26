"""The quiet-segment cache: a repeated value that gave nothing is not scanned again, and
findings never depend on it (the same scans with the cache off are the reference)."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path

import pytest

from detectors.pii import Scanner
from detectors.pii.config import ConfigError
from detectors.pii.watchlist import Watchlist
from sentinel.collect.har import read_har
from tests.pii.conftest import KEY, scan_json

HAR = Path(__file__).resolve().parent.parent / "data" / "har"


def recorded() -> list[tuple]:
    out = []
    for path in sorted(HAR.glob("*.har")):
        try:
            out += [(r.sample.method, r.sample.url, r.sample.headers, r.sample.body, r.sample.content_type)
                    for r in read_har(path)]
        except Exception:  # the truncated recording is there to fail
            continue
    return out


def pair(cfg: dict | None = None, **kw) -> tuple[Scanner, Scanner]:
    cfg = dict(cfg or {})
    return Scanner(cfg, key=KEY, **kw), Scanner({**cfg, "quiet_cache": 0}, key=KEY, **kw)


def test_recorded_traffic_gives_the_same_findings_with_and_without_the_cache():
    requests = recorded()
    assert len(requests) > 100
    on, off = pair()
    rnd = random.Random(5)
    for _ in range(3):  # in a new order each time, so that values come back in other company
        rnd.shuffle(requests)
        for r in requests:
            assert on.scan_request(*r) == off.scan_request(*r)
    assert on.stats["segments_repeated"] > 100  # the cache was used
    assert off.stats["segments_repeated"] == 0


def test_a_value_with_a_finding_is_scanned_every_time():
    on, _ = pair()
    doc = {"contact": "jane.doe@example.com", "note": "shipped with the standard carrier, tracking pending"}
    first = scan_json(on, doc)
    assert scan_json(on, doc) == first and [f.category for f in first] == ["EMAIL"]
    assert on.stats["segments_repeated"] == 1  # the note, not the address


def test_keywords_elsewhere_in_the_request_still_count():
    # A keyword-gated detector skips a request without its keyword; the value it would
    # have matched must not be remembered as quiet, nor a remembered keyword go unseen.
    cfg = {"custom": [{"name": "ticket", "category": "TICKET_ID", "regex": r"\bTK-\d{8}-[A-Z]{4}\b",
                       "keywords": ["helpdesk"]}]}
    value, keyword = "TK-12345678-ABCD for the", "opened in the helpdesk portal today"
    for cache in (True, False):
        s = Scanner(cfg if cache else {**cfg, "quiet_cache": 0}, key=KEY)
        assert not scan_json(s, {"a": value})
        assert not scan_json(s, {"b": keyword})
        fs = scan_json(s, {"a": value, "b": keyword})
        assert [(f.field_path, f.category) for f in fs] == [("$.a", "TICKET_ID")], cache
        assert s.stats["segments_repeated"] == (1 if cache else 0)  # the keyword, not the value


def test_base64_layers_are_decoded_every_time():
    blob = base64.b64encode(json.dumps({"email": "jane.doe@example.com", "plan": "pro"}).encode()).decode()
    on, off = pair()
    for _ in range(3):
        assert scan_json(on, {"data": blob}) == scan_json(off, {"data": blob})
    assert [f.encoding for f in scan_json(on, {"data": blob})] == ["base64"]


def test_registered_values_are_found_in_remembered_segments():
    wl = Watchlist(["jane.doe@example.com"], key=KEY)
    on, off = pair(watchlist=wl)
    client = "checkout-service build 4121 (region west)"
    on.scan_request("GET", "/p", [("X-Client", client)], b"")
    for s in (on, off):
        fs = s.scan_request("GET", "/p", [("X-Client", client), ("X-Ref", "jane.doe@example.com")], b"")
        assert [(f.field_path, f.detector) for f in fs] == [("header.x-ref", "watchlist")]
    assert on.stats["segments_repeated"] == 1


def test_the_cache_keeps_no_value_and_stays_bounded():
    s = Scanner({"quiet_cache": 50}, key=KEY)
    for i in range(400):
        s.scan_request("GET", "/", [("X-Note", f"batch {'abcdefghij'[i % 10]}{i} shipped with the standard carrier")], b"")
    quiet = s._quiet
    assert 0 < len(quiet) <= 50
    for key in quiet:
        assert not any(isinstance(part, (str, bytes)) for part in key)  # hashes, field tokens, flags


@pytest.mark.parametrize("bad", [-1, "16k", 1.5])
def test_quiet_cache_setting_is_checked(bad):
    with pytest.raises(ConfigError, match="quiet_cache"):
        Scanner({"quiet_cache": bad}, key=KEY)
