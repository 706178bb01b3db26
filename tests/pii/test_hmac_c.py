"""The C HMAC-SHA256 (detectors/pii/_hmac.c) against the hmac module and RFC 4231.

The interpreted install has no C HMAC (Hasher uses hashlib there): these tests are
skipped in it, and the compiled run (the README's install) runs them."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.pii.masking import Hasher

c_hmac = pytest.importorskip("detectors.pii._hmac", reason="the interpreted install has no C HMAC")


def padded(key: bytes) -> bytes:
    return (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")


@pytest.mark.parametrize("key, data, expected", [
    # RFC 4231 test cases 1, 2, 3 and 6 (a key longer than a block)
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (b"Jefe", b"what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
    (b"\xaa" * 20, b"\xdd" * 50, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
    (b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First",
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
])
def test_rfc_4231_vectors(key, data, expected):
    assert c_hmac.HmacSha256(padded(key)).hex(data.decode("latin-1")) == \
        hmac.new(key, data.decode("latin-1").encode("utf-8"), hashlib.sha256).hexdigest()
    if data.isascii():
        assert c_hmac.HmacSha256(padded(key)).hex(data.decode()) == expected


@settings(max_examples=400, deadline=None)
@given(key=st.binary(min_size=1, max_size=200), text=st.text(max_size=300))
def test_agrees_with_the_hmac_module(key, text):
    # Every length around the 55/56/64-byte padding edges, any text, lone surrogates included.
    expected = hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    assert c_hmac.HmacSha256(padded(key)).hex(text) == expected


@pytest.mark.parametrize("n", [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000])
def test_block_edges(n):
    text = "x" * n
    assert c_hmac.HmacSha256(padded(b"k")).hex(text) == hmac.new(b"k", text.encode(), hashlib.sha256).hexdigest()


def test_hasher_uses_it_and_keeps_the_key_out_of_its_repr():
    hasher = Hasher(b"site-key-1")
    assert hasher._c is not None
    assert hasher.hex("jane.doe@example.com") == hmac.new(b"site-key-1", b"jane.doe@example.com",
                                                          hashlib.sha256).hexdigest()
    assert "site-key" not in repr(hasher._c)


def test_rejects_a_key_not_padded_to_the_block():
    with pytest.raises(ValueError, match="64-byte"):
        c_hmac.HmacSha256(b"short")
