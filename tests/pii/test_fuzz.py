"""Property tests: generated requests, arbitrary and structured.

Any request, however malformed, is scanned without an exception, without a recogniser
error and with findings that point inside their field; a value planted anywhere in a
generated document, through any stack of encodings, is found and never echoed.
"""

from __future__ import annotations

import base64
import gzip
import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.pii import Category, Scanner, normalise
from detectors.pii.masking import Hasher
from tests.pii.conftest import KEY

SCANNER = Scanner(key=KEY)
HASHER = Hasher(KEY)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_URL_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_HEADER_NAMES = st.sampled_from(["cookie", "authorization", "referer", "x-custom", "x-user", "content-type",
                                 ":path", "x-api-key", "origin"])
_CONTENT_TYPES = st.sampled_from([None, "application/json", "application/x-www-form-urlencoded",
                                  "multipart/form-data; boundary=XyZ", "text/plain", "application/gzip",
                                  "application/json; charset=utf-8", "application/octet-stream"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
_JSON = st.recursive(_SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                      st.dictionaries(st.text(max_size=12), kids, max_size=4)),
                     max_leaves=20)


def _bodies():
    raw = st.binary(max_size=600)
    docs = _JSON.map(lambda d: json.dumps(d).encode())
    forms = st.lists(st.tuples(st.text(max_size=10), st.text(max_size=30)), max_size=6).map(
        lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs).encode())
    plain = st.one_of(raw, docs, forms)
    return st.one_of(plain, plain.map(gzip.compress), plain.map(base64.b64encode),
                     st.binary(max_size=200).map(lambda b: b"\x1f\x8b" + b))  # a broken gzip


def _errors_during(scan) -> tuple[list, int]:
    before = SCANNER.stats["errors"]
    found = scan()
    return found, SCANNER.stats["errors"] - before


@SETTINGS
@given(method=st.sampled_from(["GET", "POST", "PUT", ""]), path=st.text(_URL_CHARS, max_size=80),
       headers=st.lists(st.tuples(_HEADER_NAMES, st.text(_URL_CHARS, max_size=80)), max_size=5),
       body=_bodies(), ctype=_CONTENT_TYPES)
def test_any_request_scans_without_error(method, path, headers, body, ctype):
    found, errors = _errors_during(lambda: SCANNER.scan_request(method, "https://h.example/" + path, headers,
                                                                body, ctype))
    assert errors == 0  # a recogniser that raised on some input
    for f in found:
        assert f.category in Category.__members__.values()
        assert 0 <= f.start <= f.end
        assert f.value_hash and len(f.value_hash) == 64


@SETTINGS
@given(text=st.text(max_size=400))
def test_any_text_scans_within_bounds(text):
    found, errors = _errors_during(lambda: SCANNER.scan_text(text))
    assert errors == 0
    for f in found:
        assert 0 <= f.start < f.end <= len(text)


# --- a planted e-mail, wherever it sits and however it is wrapped -----------------------

_NEUTRAL_KEYS = st.sampled_from(["data", "items", "meta", "payload", "x", "props", "ctx", "b"])
_FILLER = st.one_of(st.integers(-5, 5), st.booleans(), st.sampled_from(["ok", "Page Viewed", "v2", ""]))
_LOCAL = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10)

_WRAPS = {
    "json-in-string": lambda doc: json.dumps(doc),
    "base64": lambda doc: base64.b64encode(json.dumps(doc).encode()).decode(),
    "base64url-gzip": lambda doc: base64.urlsafe_b64encode(gzip.compress(json.dumps(doc).encode())).decode(),
    "query-string": lambda doc: "z=1&data=" + quote(json.dumps(doc)),
}


@st.composite
def _planted(draw):
    email = f"{draw(_LOCAL)}.{draw(st.integers(10, 99))}@example.com"
    leaf = draw(st.sampled_from(["{}", "contact: {} ok", "<{}>", "{};"])).format(email)
    node: object = leaf
    wraps = []
    for _ in range(draw(st.integers(0, 4))):  # nest: a dict or list around the value, maybe encoded
        if draw(st.booleans()):
            siblings = draw(st.dictionaries(_NEUTRAL_KEYS, _FILLER, max_size=2))
            node = {**siblings, draw(_NEUTRAL_KEYS): node}
        else:
            node = [draw(_FILLER), node]
        if draw(st.integers(0, 3)) == 0 and len(wraps) < 2:
            name = draw(st.sampled_from(sorted(_WRAPS)))
            wraps.append(name)
            node = {"v": _WRAPS[name](node)}
    return email, node, wraps


@SETTINGS
@given(planted=_planted(), where=st.sampled_from(["body", "query", "header"]))
def test_planted_email_is_found_through_any_nesting(planted, where):
    email, doc, wraps = planted
    text = json.dumps(doc)
    url, headers, body = "https://h.example/v1/t", [], b""
    if where == "body":
        body = text.encode()
    elif where == "query":
        url += "?d=" + quote(text)
    else:
        headers = [("X-Payload", text)]
    found, errors = _errors_during(lambda: SCANNER.scan_request("POST", url, headers, body, "application/json"))
    assert errors == 0
    want = HASHER.hex(normalise(Category.EMAIL, email))
    emails = [f for f in found if f.category == Category.EMAIL]
    assert any(f.value_hash == want for f in emails), (wraps, where, [(f.field_path, f.encoding) for f in found])
    dump = repr(found) + json.dumps([f.to_dict() for f in found])
    assert email not in dump and email.split("@")[0] not in dump
