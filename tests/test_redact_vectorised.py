"""The vectorised masking (pyarrow/RE2) must store exactly what the scalar functions store."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinel.redact import (
    mask_query,
    mask_query_array,
    mask_url_array,
    mask_url_parts_array,
    path_may_hold_data,
    path_may_hold_data_array,
    path_template,
    path_template_array,
    split_url,
    split_url_array,
)

PATHS = [
    "", "/", "//", "///a//", "a/b", "/v1/customers/cus_9s8d7f6g5h4j3k2l/cards/42",
    "/users/jane.doe@example.com/profile", "/users/jane.doe%40example.com", "/u/JANE%40EXAMPLE.COM",
    "/orders/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f", "/orders/3F2B8C1E4D5A4B6C9E7F0A1B2C3D4E5F",
    "/blobs/deadbeefcafebabe1234", "/blobs/deadbeefcafe", "/blobs/deadbeefcaf", "/v2/track", "/api/sdk/init2",
    "/app;jsessionid=ABC123", "/a;b;c/d", "/1/2/3/4", "/1.2.3/4:5/6_7-8", "/-1", "/1a",
    "/abcdefghijklmnop", "/abcdefghijklmno1", "/abcdefghijklmn1", "/a%40b", "/a@b", "/@", "/x@y.co",
    "/x@y.c", "/x@y.İı", "/x@y.ſK", "/x@y.\u212aK", "/x@y.ka\n", "/a\nb@c.de", "/tok_٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣٣",
    "/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abc", "/x" * 400, "/é" * 300,
    "/" + "1" * 600, "/services/T01234567/B01234567/XXXXXXXX", "/2010-04-01/Accounts/AC1234567/Messages.json",
    "/api/5512345/envelope/", "/~user/+plus=eq%20", "/ünïcödé/ü@ü.de",
    "/v2/PhoneNumbers/+14155550123", "/p/%2B14155550123", "/p/%2b4915112345", "/tel:+49-151-1234567/x",
    "/SMS:+4915112345", "/+", "/+a1", "/tel:", "/tel:x1",
]  # fmt: skip
QUERIES = [
    "", "a", "a=", "=", "=b", "&", "&&a=1&&", "em=jane%40example.com&ph=%2B15551234567&flag", "jane@example.com=1",
    "a[b]=1&$c=2&d.e-f_g=3", "k" * 64 + "=1", "k" * 65 + "=1", "key\n=1", "key\n\n=1", "\n=1", "ké=1", "a=b=c",
    "&".join(f"k{i}=v" for i in range(64)), "&".join(f"k{i}=v" for i in range(65)),
    "&".join(f"k{i}=v" for i in range(200)), "&" * 70, "&" * 64 + "a", "&" * 63 + "a=1",
]  # fmt: skip
URLS = [
    "", "/", "/track?uid=42", "https://api.stripe.com/v1/customers?email=a%40b.co#x", "http://h", "http://h?x/y",
    "abc://x?y/z", "ftp://h/a#b?c", "/a#b?c", "/a?b#c", "/a??b", "verylongscheme://h/p", "longscheme123://h/p",
    "longscheme1234://h/p", "/x://y/z", "://a/b", "é://x/y?z=1", "ééééééééééééé://x/y", "éééééééééééééé://x/y",
    "http://h/a://b/c?d", "http://h#frag/x", "/a/b/c?d=e&f#g",
]  # fmt: skip


def _same(values, scalar, vector):
    got = vector(pa.array(values, pa.string())).to_pylist()
    want = [scalar(v) for v in values]
    bad = [(v, g, w) for v, g, w in zip(values, got, want) if g != w]
    assert not bad, bad[:5]


def _split_same(urls):
    paths, queries = split_url_array(pa.array(urls, pa.string()))
    got = list(zip(paths.to_pylist(), queries.to_pylist()))
    want = [split_url(u) for u in urls]
    bad = [(u, g, w) for u, g, w in zip(urls, got, want) if g != w]
    assert not bad, bad[:5]


@pytest.mark.parametrize("path", PATHS)
def test_path_template_table(path):
    _same([path], path_template, path_template_array)


def test_path_template_corpus_at_once():
    _same(PATHS * 3, path_template, path_template_array)


@pytest.mark.parametrize("query", QUERIES)
def test_mask_query_table(query):
    _same([query], mask_query, mask_query_array)


def test_mask_query_corpus_at_once():
    _same(QUERIES * 3, mask_query, mask_query_array)


@pytest.mark.parametrize("url", URLS)
def test_split_url_table(url):
    _split_same([url])


def test_mask_url_array_matches_pipeline_semantics():
    paths, queries = mask_url_array(pa.array(URLS))
    for url, p, q in zip(URLS, paths.to_pylist(), queries.to_pylist()):
        path, query = split_url(url) if url else ("", "")
        assert (p, q) == (path_template(path), mask_query(query) if query else "")


def _gate_same(paths):
    templates = [path_template(p) for p in paths]
    got = path_may_hold_data_array(pa.array(paths, pa.string()), pa.array(templates, pa.string())).tolist()
    want = [path_may_hold_data(p, t) for p, t in zip(paths, templates)]
    bad = [(p, g, w) for p, g, w in zip(paths, got, want) if g != w]
    assert not bad, bad[:5]


def test_path_may_hold_data_corpus():
    _gate_same(PATHS + ["/call/tel:+4915112345678", "/a/1-2-3-4/5-6-7", "/a/1-2-3-4-5-6-7", "/x\n1234567"])
    assert path_may_hold_data_array(pa.array([], pa.string()), pa.array([], pa.string())).tolist() == []


def test_mask_url_parts_array_keeps_the_raw_paths_for_the_scan_decision():
    raw, templates, queries = mask_url_parts_array(pa.array(URLS))
    assert raw.to_pylist() == [split_url(u)[0] for u in URLS]
    assert (templates.to_pylist(), queries.to_pylist()) == tuple(a.to_pylist() for a in mask_url_array(pa.array(URLS)))


def test_sliced_and_chunked_inputs():
    arr = pa.array(PATHS)
    _same(PATHS[5:20], path_template, lambda a: path_template_array(arr.slice(5, 15)))
    chunked = pa.chunked_array([pa.array(QUERIES[:5]), pa.array(QUERIES[5:])])
    _same(QUERIES, mask_query, lambda a: mask_query_array(chunked))
    assert path_template_array(pa.array([], pa.string())).to_pylist() == []
    assert mask_query_array(pa.array([], pa.string())).to_pylist() == []


# -- generated ---------------------------------------------------------------------------
_ATOMS = st.sampled_from([
    "a", "Z", "x", "0", "7", "-", "_", ".", ":", "=", "+", "%", "~", "%40", "@", ";", "é", "İ", "ı", "ſ", "\u212a",
    "٣", "\n", " ", "$", "[", "]", "deadbeef", "3f2b8c1e", "-4d5a", "cus_", "co", "com", "AB", "&", "?", "#", "/",
    "://",
])  # fmt: skip
_SEGMENT = st.one_of(
    st.lists(_ATOMS, max_size=12).map("".join),
    st.text(max_size=20),
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex.upper()),
    st.integers(0, 10**12).map(str),
    st.text(alphabet="abcdef0123456789ABCDEF", min_size=10, max_size=20),
    st.text(alphabet="abcXYZ0123_-.=+%~", min_size=14, max_size=20),
    st.tuples(st.text("abc.", min_size=1, max_size=5), st.sampled_from(["@", "%40", "%40"]),
              st.text("xyz.", min_size=1, max_size=5), st.text("comİıſ\u212aK", min_size=1, max_size=3))
    .map(lambda t: f"{t[0]}{t[1]}{t[2]}.{t[3]}"),
)
_PATH = st.lists(_SEGMENT, max_size=8).map("/".join)
_PAIR = st.one_of(
    st.tuples(st.lists(_ATOMS, max_size=5).map("".join), st.sampled_from(["", "=", "=v", "==", "=a%40b"]))
    .map("".join),
    st.text(max_size=12),
)
_QUERY = st.one_of(st.lists(_PAIR, max_size=8).map("&".join), st.lists(_PAIR, min_size=60, max_size=70).map("&".join))
_URL = st.one_of(
    st.tuples(st.sampled_from(["", "http://", "https://h", "x://", "é://", "abcdefghijkl://", "abcdefghijklm://"]),
              st.text(max_size=6), _PATH, st.sampled_from(["", "?"]), _QUERY, st.sampled_from(["", "#", "#f?g"]))
    .map("".join),
    st.lists(_ATOMS, max_size=20).map("".join),
)
_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(st.lists(_PATH, min_size=1, max_size=30))
def test_path_template_generated(paths):
    _same(paths, path_template, path_template_array)


@_SETTINGS
@given(st.lists(_QUERY, min_size=1, max_size=30))
def test_mask_query_generated(queries):
    _same(queries, mask_query, mask_query_array)


@_SETTINGS
@given(st.lists(_URL, min_size=1, max_size=30))
def test_split_url_generated(urls):
    _split_same(urls)


@_SETTINGS
@given(st.lists(_PATH, min_size=1, max_size=30))
def test_path_may_hold_data_generated(paths):
    _gate_same(paths)
