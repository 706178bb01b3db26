"""Bounded work: size caps, decode caps and the per-sample time budget."""

import gzip
import json

from detectors.pii import Scanner


def test_time_budget_overrun_is_counted_and_returns():
    s = Scanner({"time_budget_ms": 1, "max_sample_bytes": 8 << 20}, key=b"k")
    # Two megabytes of candidates for several recognisers at once.
    body = ("4242 4242 4242 4242 (415) 555-0132 jane@example.com Jane Doe 8.8.4.4 " * 30000).encode()
    findings = s.scan_request("POST", "/x", [], body, "text/plain")
    assert s.stats["budget_overruns"] == 1
    assert isinstance(findings, list)


def test_no_overrun_within_budget():
    s = Scanner(key=b"k")
    s.scan_text("mail jane@example.com")
    assert s.stats["budget_overruns"] == 0


def test_body_size_cap_truncates_and_counts():
    s = Scanner({"max_sample_bytes": 1000}, key=b"k")
    body = b"x" * 5000 + b" jane@example.com"
    assert s.scan_request("POST", "/x", [], body, "text/plain") == []
    assert s.stats["truncated"] == 1


def test_gzip_bomb_is_capped():
    s = Scanner({"max_decoded_bytes": 100_000}, key=b"k")
    bomb = gzip.compress(b"{" + b" " * 50_000_000 + b"}")
    s.scan_request("POST", "/x", [("Content-Encoding", "gzip")], bomb, "application/json")
    assert s.stats["decode_limited"] >= 1


def test_field_count_cap():
    s = Scanner({"max_fields": 50}, key=b"k")
    s.scan_request("POST", "/x", [], json.dumps({f"k{i}": f"value number {i}" for i in range(500)}).encode(), "application/json")
    assert s.stats["fields_dropped"] > 0


def test_pathological_regex_input_is_linear():
    # Inputs that make backtracking engines explode; RE2 stays linear, so this returns.
    s = Scanner(key=b"k")
    for text in ("a" * 200_000 + "@", "1-" * 100_000, "A" + " Aa" * 60_000, "." * 200_000 + "@x"):
        s.scan_text(text)
    assert s.stats["errors"] == 0


def test_the_first_scanner_of_a_process_warms_up_without_a_trace():
    # The first Scanner of a process scans a synthetic request, so that RE2's DFA states
    # are built before a real request's budget runs (timings are bench/pii.py's: a first
    # scan of 0.11-0.14 s became 4-5 ms). The warm-up leaves no count and nothing remembered.
    from detectors.pii import scanner as scanner_module

    scanner_module._WARMED[0] = False
    s = Scanner(key=b"k")
    assert scanner_module._WARMED[0] is True
    assert set(s.stats.values()) == {0}
    assert not s._quiet
    (f,) = s.scan_text("mail jane@example.com")
    assert s.stats["samples"] == 1 and s.stats["findings"] == 1 and f.category == "EMAIL"
