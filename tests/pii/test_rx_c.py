"""The C++ RE2 module (detectors/pii/_rx.cpp, over the system RE2) against the google-re2
wheel's handle (rx.WheelPattern), on every built-in recogniser's pattern.

The install without libre2-dev has no C++ module (rx.py uses the wheel there): these
tests are skipped in it, and the compiled run of .ci/run runs them."""

from __future__ import annotations

import pytest
import re2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.pii import Scanner
from detectors.pii.rx import UNANCHORED, WheelPattern

c_rx = pytest.importorskip("detectors.pii._rx", reason="built only where libre2-dev is installed")

_SCANNER = Scanner(key=b"k" * 32)
# (pattern, group) of every regex recogniser, as the scanner compiles them
PATTERNS = sorted({("|".join(f"(?:{p})" for p in r.patterns) if len(r.patterns) > 1 else r.patterns[0], r.group)
                   for r in _SCANNER.recognizers if r.patterns})

_TEXT = st.text(st.sampled_from(list("0123456789 -.+()/@:abcxyzABCXYZ_=%\n\tÄé中")), max_size=80)
_PLANTED = st.sampled_from([
    "jane.doe@example.com", "+1 (415) 555-0132", "4242 4242 4242 4242", "123-45-6789", "GB82 WEST 1234 5698 7654 32",
    "81.2.69.142", "1985-04-12", "AB123456C", "sk_live_" + "a1B2" * 6, "AKIA" + "ABCDEFGHIJKLMNOP",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "37.7749, -122.4194", "12 Main Street",
])


def wheel(pattern: str) -> WheelPattern:
    return WheelPattern(re2.compile(pattern)._regexp)


COMPILED = [(c_rx.Pattern(p), wheel(p), group, p) for p, group in PATTERNS]


def test_every_pattern_compiles_in_both():
    assert len(PATTERNS) > 20
    for pattern, _ in PATTERNS:
        c_rx.Pattern(pattern)
        wheel(pattern)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=_TEXT, planted=_PLANTED, after=_TEXT, data=st.data())
def test_spans_agree_with_the_wheel(before, planted, after, data):
    text = (before + planted + after).encode()
    pos = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(pos, len(text)))
    last = data.draw(st.sampled_from([0, end, end + 1, (pos + end) // 2]))
    for c, w, group, pattern in COMPILED:
        assert c.spans(text, pos, end, last, group) == w.spans(text, pos, end, last, group), pattern


def test_empty_matches_and_groups():
    text = b"a1b22c333"
    for pattern, group in [(r"\d*", 0), (r"(\d)(\d)?", 2), (r"^", 0), (r"$", 0), (r"\b", 0)]:
        c = c_rx.Pattern(pattern).spans(text, 0, len(text), len(text) + 1, group)
        assert c == wheel(pattern).spans(text, 0, len(text), len(text) + 1, group)
    # a group that did not take part: the whole match's span
    assert c_rx.Pattern(r"(x)?\d").spans(b"5", 0, 1, 2, 1) == [(0, 1)]


def test_bad_pattern_and_group_are_clear_errors():
    with pytest.raises(ValueError, match="invalid pattern"):
        c_rx.Pattern("(unclosed")
    with pytest.raises(ValueError, match="no group 2"):
        c_rx.Pattern("(a)").spans(b"a", 0, 1, 2, 2)


def test_wheel_pattern_matches_the_private_handle_loop():
    raw = re2.compile(r"\d+")._regexp
    assert raw.Match(UNANCHORED, b"ab12cd345", 0, 9)[0] == (2, 4)
    assert WheelPattern(raw).spans(b"ab12cd345", 0, 9, 10, 0) == [(2, 4), (6, 9)]
