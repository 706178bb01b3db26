"""detectors/pii/percent.py decodes exactly as urllib.parse does, on arbitrary strings."""

from __future__ import annotations

import urllib.parse

from hypothesis import example, given, settings
from hypothesis import strategies as st

from detectors.pii.percent import unquote, unquote_plus

# Escapes (valid, cut short, invalid, mixed case), plus signs, ASCII and other text.
_PIECES = st.one_of(
    st.sampled_from(["%", "%4", "%4a", "%4A", "%zz", "%C3%A9", "%C3", "%A9", "%E2%82%AC", "%F0%9F", "+", "%25", "%%"]),
    st.text(alphabet="abcXYZ019%+ &=/", max_size=6),
    st.text(max_size=4),
)
_ENCODED = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_ENCODED)
@example("jane%40example.com")
@example("%C3abc%A9")  # escapes of one character split by ASCII text
@example("é%C3%A9ü%ZZ")
@example("")
def test_unquote_matches_the_standard_library(s):
    assert unquote(s) == urllib.parse.unquote(s)
    assert unquote_plus(s) == urllib.parse.unquote_plus(s)
