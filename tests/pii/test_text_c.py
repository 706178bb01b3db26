"""The C text scans (detectors/pii/_text.c) against the Python code they follow: base64
runs, the prose words before a candidate, digits, entropy, the Luhn check and the
secrets' placeholder allowlist. The interpreted install has no C module:
there these tests are skipped, and the compiled run (the README's install) runs them."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.pii import masking, secrets, structure, validators
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


# --- digits, entropy ----------------------------------------------------------------------

@SETTINGS
@given(text=st.text(max_size=40) | st.text(st.sampled_from(list("+1 (415) 555-0132 x") + ["٣", "²", "é"]), max_size=40))
def test_digits_agree_with_python(text):
    got = native.digits(text)
    assert got == masking.digits_of_py(text)
    assert type(got) is str


def test_digits_is_what_the_detectors_use():
    assert masking.digits_of is native.digits
    assert masking.digits_of("+44 (0)20 7946-0958") == "440207946" + "0958"


@SETTINGS
@given(text=st.text(st.characters(max_codepoint=127), max_size=1100) | st.text(max_size=30)
       | st.text(st.sampled_from("aab"), min_size=1000, max_size=1100))
def test_entropy_agrees_with_python_to_the_bit(text):
    got = native.entropy(text)
    if got is None:  # left to Python: non-ASCII or longer than the count table
        assert not text.isascii() or len(text) > 1024
    else:
        assert got == validators.shannon_entropy_py(text)  # equal floats: thresholds compare them
    assert validators.shannon_entropy(text) == validators.shannon_entropy_py(text)


# --- the Luhn check ----------------------------------------------------------------------

@SETTINGS
@given(text=st.text(st.sampled_from(list("0123456789") + ["4", "0", " ", "-", "a", "٣", "²"]), max_size=22)
       | st.from_regex(r"[0-9]{12,19}", fullmatch=True))
def test_luhn_agrees_with_python(text):
    got = native.luhn(text)
    if got is None:  # left to Python: not ASCII
        assert not text.isascii()
    else:
        assert got is validators.luhn_py(text)
    assert validators.luhn(text) == validators.luhn_py(text)


def test_luhn_is_what_the_card_check_uses():
    assert validators._C_LUHN is native.luhn
    assert validators.luhn("4111111111111111") and not validators.luhn("4111111111111112")
    assert validators.is_credit_card("4111111111111111") and not validators.is_credit_card("4111111111111112")


# --- the secrets' placeholder allowlist -------------------------------------------------------

_PIECES = ["example", "EXAMPLE", "xxxx", "****", "changeme", "0123456789", "12345678", "abcdefgh", "qwertyuiop",
           "true", "None", "token", "aaaa", "ab", "sk_live_", "Zx9", "${", "}", "{{", "<", ">", "%", "[", "]",
           " ", "\t", "\x1c", "\"", "'", "é", "Q", "0", "1"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.lists(st.sampled_from(_PIECES), max_size=6).map("".join) | st.text(max_size=20))
def test_allowlisted_agrees_with_python(value):
    got = native.allowlisted(value)
    if got is None:  # left to Python: a template character, or not ASCII
        assert not value.isascii() or any(c in value.strip().strip("\"'") for c in "${}<>%[]*")
    else:
        assert got is secrets.allowlisted_py(value)
    assert secrets.allowlisted(value) is secrets.allowlisted_py(value)


@pytest.mark.parametrize("value", [
    "", "  ", "\"\"", "'null'", " TRUE ", "xxxxxxxx", "abababab", "aaaaa", "aaaaaa", "aabbaabbc", "0123456789",
    "x0123456789y", "x0123456789yz", "12345678", "qwertyuiop", "sk_live_EXAMPLEKEY123", "SG.realLooking9Key",
    "ghp_" + "a1B2" * 9, "\x1ctoken\x1f", "your-api-key-here", "[filtered]", "${API_KEY}", "<token>", "key%",
])
def test_allowlisted_table(value):
    assert native.allowlisted(value) in (None, secrets.allowlisted_py(value))
    assert secrets.allowlisted(value) is secrets.allowlisted_py(value)
