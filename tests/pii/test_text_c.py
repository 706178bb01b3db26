"""The C text scans (detectors/pii/_text.c) against the Python code they follow: base64
runs and the prose words before a candidate. The interpreted install has no C module:
there these tests are skipped, and the compiled run (the README's install) runs them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.pii import structure
from detectors.pii.context import prose_words_py

native = pytest.importorskip("detectors.pii._text", reason="the interpreted install has no C text scans")

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- prose context ---------------------------------------------------------------------

@SETTINGS
@given(text=st.text(st.sampled_from(list("Call me on  phone'sPHONE-x2 .,\n") + ["é"]), max_size=90),
       start=st.integers(-3, 95), window=st.sampled_from([0, 1, 6, 48, 256, 300]))
def test_prose_words_agree_with_python(text, start, window):
    got = native.prose_words(text, start, window)
    if got is None:  # a window the C function leaves to Python: not ASCII, or unusual
        assert not text[max(0, start - window):max(start, 0)].isascii() or window > 256 or start < 0
    else:
        assert got == prose_words_py(text, start, window)


# --- base64 runs ------------------------------------------------------------------------

@SETTINGS
@given(text=st.lists(st.sampled_from(list("Ab9+/_-=. é") + ["QUJD" * 7, "QUJDREVG", "=="]), max_size=40).map("".join))
def test_b64_runs_agree_with_python(text):
    assert native.b64_runs(text) == structure.b64_runs_py(text)


def test_b64_runs_edges():
    run = "QUJDREVGR0hJSktMTU5PUFFSU1RV"  # 28 characters
    for text in [run, run[:23], run[:24], run + "===", "x" + run + "==" + run, run + "=" + run[:23], "é" + run + "é"]:
        assert native.b64_runs(text) == structure.b64_runs_py(text)
