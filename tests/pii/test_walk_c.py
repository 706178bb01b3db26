"""The C walk (detectors/pii/_walk.c) against the Python code it follows.

Each function is run beside the Python reference on generated and recorded input and
must give the same segments, in the same order, with the same counters. The interpreted
install has no C walk: there these tests are skipped, and the compiled run (the README's
install, and the first half of .ci/run) runs them.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.pii import Scanner, structure
from detectors.pii.context import MACHINE_FIELD, machine_shape
from detectors.pii.structure import Limits, Walker

native = pytest.importorskip("detectors.pii._walk", reason="the interpreted install has no C walk")

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HAR = Path(__file__).parent.parent / "data" / "har"
LOGS = Path(__file__).parent.parent / "data" / "logs"


def segments(walker: Walker) -> list[tuple]:
    return [(s.text, s.location, s.path, s.tokens, s.parent_tokens, s.encoding, s.depth, s.span, s.scan, s.derived)
            for s in walker.out]


def pair(limits: Limits | None = None, hints: frozenset[str] = frozenset(), keep_all: bool = True,
         flag_hints: frozenset[str] = frozenset()):
    limits = limits or Limits()
    return Walker(limits, {}, hints, keep_all, flag_hints), Walker(limits, {}, hints, keep_all, flag_hints)


# Names under which a JSON true is read ({"has_diabetes": true}); a subset of the hints.
FLAGS = frozenset({"diabetes", "pregnant"})


def walked_both(text: str, limits: Limits | None = None, hints: frozenset[str] = frozenset(),
                keep_all: bool = True, depth: int = 0, flag_hints: frozenset[str] = FLAGS) -> tuple[Walker, Walker]:
    """(C walk, Python walk) of one JSON document."""
    c_walker, py_walker = pair(limits, hints | flag_hints, keep_all, flag_hints)
    assert native.walk_json(c_walker, text, "body", "$", depth, "plain") is True
    py_walker.walk_json(json.loads(text), "body", "$", depth, "plain")
    return c_walker, py_walker


def assert_same_walk(text: str, **kw) -> None:
    c_walker, py_walker = walked_both(text, **kw)
    assert segments(c_walker) == segments(py_walker)
    assert c_walker.stats == py_walker.stats


# --- machine_shape ------------------------------------------------------------------

_SHAPE_CHARS = "0123456789abcdefABCDEF-.:T xyzMozila/٣²"
_TOKEN_SETS = st.frozensets(st.sampled_from(sorted(MACHINE_FIELD)[:12] + ["agent", "ua", "email", "phone", "ip"]),
                            max_size=3)


@SETTINGS
@given(text=st.text(_SHAPE_CHARS, max_size=40), tokens=_TOKEN_SETS)
def test_machine_shape_agrees_with_python(text, tokens):
    assert native.machine_shape(text, tokens) == machine_shape(text, tokens)


@pytest.mark.parametrize("text", [
    "123e4567-e89b-12d3-a456-426614174000", "2024-06-01T12:30:00Z", "4.1.0", "10.0.19045.2965", "192.168.1.20",
    "415.555.0132", "0123456789abcdef0123", "DE89370400440532013000", "Mozilla/5.0 (X11)", "1234567890123456",
    "jane@example.com", "abc", "٣٣٣.٣٣.٣٣٣٣",
])
@pytest.mark.parametrize("tokens", [frozenset(), frozenset({"id"}), frozenset({"ua"}), frozenset({"phone"})])
def test_machine_shape_on_each_kind_of_value(text, tokens):
    assert native.machine_shape(text, tokens) == machine_shape(text, tokens)


# --- walk_json: generated documents --------------------------------------------------

_KEYS = st.one_of(
    st.sampled_from(["email", "phone", "first_name", "userId", "id", "coordinates", "loc", "ua", "library",
                     "name", "ip", "", "ts", "version", "properties", "items", "ll", "a-b", "x.y",
                     "value", "Key", "VALUES", "field", "val", "attribute", "year", "cvc", "has_diabetes",
                     "pregnant"]),
    st.sampled_from(["jane@example.com", "+14155550132", "1234567", "0123456789abcdef01", "a b", "ünï"]),
    st.text(max_size=8),
)
_STRINGS = st.one_of(
    st.sampled_from(["jane.doe@example.com", "+1 415 555 0132", "4242 4242 4242 4242", "a=1&email=j%40e.com",
                     "https://x.example/p?em=j%40example.com", "{\"email\": \"j@example.com\"}", "[1, 2]",
                     "<a>jane@example.com</a>", "jane%40example.com", "Mozilla/5.0", "4.1.0", "", "x",
                     "123e4567-e89b-12d3-a456-426614174000", "line\nbreak \"quoted\" \\ tab\t", "é ü ß 中文 😀",
                     "has_diabetes"]),
    st.text(max_size=30),
)
_NUMBERS = st.one_of(
    st.integers(-10**12, 10**12), st.sampled_from([999_999, 1_000_000, -999_999, -1_000_000, 0, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False), st.floats(-180, 180), st.sampled_from([37.7749, -122.4194, 1e-7, 12.5]),
)
_SCALARS = st.one_of(_STRINGS, _NUMBERS, st.booleans(), st.none())
_DOCS = st.recursive(
    _SCALARS,
    lambda kids: st.one_of(
        st.lists(kids, max_size=5),
        st.dictionaries(_KEYS, kids, max_size=6),
        st.tuples(st.floats(-180, 180), st.floats(-90, 90)).map(list),  # position pairs
    ),
    max_leaves=30,
)


@SETTINGS
@given(doc=_DOCS, indent=st.sampled_from([None, 2]), ascii_only=st.booleans())
def test_walk_json_agrees_with_python(doc, indent, ascii_only):
    assert_same_walk(json.dumps(doc, indent=indent, ensure_ascii=ascii_only))


@SETTINGS
@given(doc=st.dictionaries(_KEYS, _DOCS, max_size=8), max_fields=st.integers(0, 6), max_chars=st.integers(1, 12),
       max_depth=st.integers(0, 3), keep_all=st.booleans(), depth=st.integers(0, 7))
def test_walk_json_agrees_under_limits(doc, max_fields, max_chars, max_depth, keep_all, depth):
    limits = Limits(max_depth=max_depth, max_fields=max_fields, max_field_chars=max_chars)
    assert_same_walk(json.dumps(doc), limits=limits, hints=frozenset({"ua", "id", "year"}), keep_all=keep_all,
                     depth=depth)


def test_a_flags_true_is_walked_and_other_booleans_are_not():
    c_walker, py_walker = walked_both('{"has_diabetes": true, "pregnant": false, "x": true, "": true, '
                                      '"diabetes": [true], "pair": {"name": "pregnant", "value": true}}')
    assert segments(c_walker) == segments(py_walker)
    assert [(s.path, s.tokens, s.scan) for s in c_walker.out if s.text == "true"] == [
        ("$.has_diabetes", frozenset({"has", "diabetes", "hasdiabetes"}), False),
        ("$.pair.value", frozenset({"pregnant"}), False)]  # by its pair's name


@pytest.mark.parametrize("text", [
    '{"em\\u0061il": "a@example.com", "pr\\u00e9nom": "Zo\\u00eb"}', '["\\ud83d\\ude00 jane@example.com"]',
    '["lone \\ud83d high", "lone \\ude00 low", "\\ud83d\\u0041", "\\ud83d\\ud83d\\ude00"]',
    '{"a\\"b": "\\/\\b\\f\\n\\r\\t\\u0000"}', '"top-level string"', "12345678", "-0", "1.5e3", "true",
])
def test_walk_json_escapes_and_top_level_values(text):
    assert_same_walk(text)


_PAIR_NAMES = st.sampled_from(["email", "first_name", "user.phone", "Blue Shirt", "jane@example.com", "", "1234567",
                               "PASSPORT", "driving_licence", "http://hl7.org/fhir/sid/us-ssn", "https://ehr.example.org",
                               "https://x.example/Id/nhs-number?v=2#a", "urn:oid:2.16.840.1.113883.4.1", "urn:uuid:1",
                               "HTTP://hl7.org/fhir/sid/us-ssn"])
_PAIR_NAME_KEYS = st.sampled_from(["name", "Name", "KEY", "field", "property", "type", "idType", "@escaped name@",
                                   "\u212aey", "document_type", "DocType", "id_type", "doc_types", "system", "System"])
_PAIR_VALUE_KEYS = st.sampled_from(["value", "Value", "values", "val", "idValue", "@escaped value@", "number",
                                    "Document_Number", "docNumber", "id_number", "numbers", "id_value"])


def _pair_object(name_key, name, value, extra, value_first, padding) -> dict:
    # Without a name key, a value goes by the object's own name ({"first_name": {"value": ...}});
    # with 5 or 6 members, only "system" names it.
    members = ([(name_key, name)] if name_key else []) + ([value] if value else [])
    if value_first:
        members.reverse()
    pad = [("use", "official"), ("rank", 1.5), ("assigner", "Acme"), ("period", {"start": "2020"})][:padding]
    return dict(members + ([("id", extra)] if extra is not None else []) + pad)


# OTLP/JSON and Struct wrap a pair's value: {"stringValue": ...}, whose one scalar goes by
# the pair's name (small integers, booleans, nulls, empty and data keys stay as they are).
_WRAPPED = st.dictionaries(st.sampled_from(["stringValue", "intValue", "doubleValue", "", "jane@example.com",
                                            "@escaped value@"]), _SCALARS, min_size=1, max_size=1)
_PAIRS = st.builds(_pair_object, st.none() | _PAIR_NAME_KEYS, _PAIR_NAMES,
                   st.none() | st.tuples(_PAIR_VALUE_KEYS, _DOCS | _WRAPPED), st.none() | _SCALARS, st.booleans(),
                   st.integers(0, 4))


@SETTINGS
@given(pairs=st.lists(_PAIRS, max_size=4), ascii_only=st.booleans())
def test_walk_json_agrees_on_name_value_pairs(pairs, ascii_only):
    # Escaped keys, and "\u212aey" (its Kelvin sign lower-cases to "k" in Python), must
    # decide alike.
    text = json.dumps({"fields": pairs, "first_name": pairs[-1] if pairs else {}}, ensure_ascii=ascii_only)
    text = text.replace('"@escaped name@"', '"n\\u0061me"').replace('"@escaped value@"', '"v\\u0061lue"')
    assert_same_walk(text)


def test_walk_json_cuts_deep_documents_as_python_does():
    doc: object = "jane.doe@example.com"
    for _ in range(60):
        doc = {"a": [doc]}
    c_walker, py_walker = walked_both(json.dumps(doc))
    assert c_walker.stats["depth_limited"] == py_walker.stats["depth_limited"] == 1
    assert segments(c_walker) == segments(py_walker) == []


def test_walk_json_large_object_keeps_key_order():
    doc = {f"field_{i}": f"value {i} jane{i}@example.com" for i in range(300)}
    assert_same_walk(json.dumps(doc))


# --- walk_json: what it leaves to json.loads -----------------------------------------

@pytest.mark.parametrize("text", [
    '{"a": NaN}', '[Infinity]', '[-Infinity]',
    '{"email": "a@example.com", "email": "b@example.com"}',  # json.loads keeps the last
    '{"email": "a@example.com", "em\\u0061il": "b@example.com"}',  # the same key, escaped
    "[" * 300 + "]" * 300,
    '{"a": 1', '{"a": 1,}', "[01]", '["tab\there"]', "", "   ", '{"a": 1} x', "\ufeff{}", "nul", "[1.]", "[1e]",
    "[" + "1" * 4500 + "]",
])
def test_walk_json_leaves_what_it_does_not_read(text):
    walker = Walker(Limits(), {})
    assert native.walk_json(walker, text, "body", "$", 0, "plain") is False
    assert walker.out == [] and walker.stats == {}


@SETTINGS
@given(doc=_DOCS, data=st.data())
def test_broken_documents_are_read_as_json_loads_reads_them(doc, data):
    # Truncated or corrupted at any place: the C walk either hands the text back having
    # emitted nothing, or json.loads reads it too and both walks agree.
    text = json.dumps(doc)
    cut = data.draw(st.integers(0, len(text)))
    text = data.draw(st.sampled_from([
        text[:cut], text[:cut] + text[cut + 1:], text[:cut] + data.draw(st.sampled_from(list('{}[]",:\\ 0e-.tn'))) + text[cut:],
    ]))
    walker = Walker(Limits(), {})
    if native.walk_json(walker, text, "body", "$", 0, "plain"):
        py_walker = Walker(Limits(), {})
        py_walker.walk_json(json.loads(text), "body", "$", 0, "plain")
        assert segments(walker) == segments(py_walker)
    else:
        assert walker.out == [] and walker.stats == {}


def test_documents_left_to_json_loads_are_still_walked():
    # Duplicate keys: json.loads keeps the last value, at the first key's place.
    w = Walker(Limits(), {})
    w.body(b'{"email": "a@example.com", "id": "x1", "email": "b@example.com"}', "application/json")
    assert [(s.path, s.text) for s in w.out if s.scan] == [("$.email", "b@example.com")]


# --- query strings and forms -----------------------------------------------------------

_QUERY_CHARS = "ab=&%+2F4e0Ex.[]_-@ éü中"
_QUERIES = st.one_of(
    st.text(_QUERY_CHARS, max_size=60),
    st.lists(st.tuples(st.sampled_from(["em", "email", "ph", "ud[em]", "first_name", "", "jane%40example.com",
                                        "1234567", "a+b", "q%5B%5D", "%E2%82%AC", "id"]),
                       st.sampled_from(["jane.doe%40example.com", "%2B14155550132", "Jane+Doe", "a%2", "%%41",
                                        "%C3%A9", "%FF%FE", "x", "", "4.1.0", "https%3A%2F%2Fx.example%2F%3Fem%3Dj"])),
             max_size=6).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
)


@SETTINGS
@given(qs=_QUERIES, prefix=st.sampled_from(["query", "form", "header.referer.query", "", "$.url.query"]),
       plus=st.booleans(), depth=st.integers(0, 7), max_fields=st.integers(0, 9))
def test_query_agrees_with_python(qs, prefix, plus, depth, max_fields):
    c_walker, py_walker = pair(Limits(max_fields=max_fields))
    native.query(c_walker, qs, "query", prefix, depth, plus)
    py_walker.query_py(qs, "query", prefix, depth, plus)
    assert segments(c_walker) == segments(py_walker)
    assert c_walker.stats == py_walker.stats


def test_recorded_urls_walk_the_same():
    urls = []
    for har in sorted(HAR.glob("*.har")):
        try:
            entries = json.loads(har.read_text("utf-8-sig"))["log"]["entries"]
        except (ValueError, KeyError):
            continue
        urls += [e["request"]["url"] for e in entries]
    queries = [u.partition("?")[2] for u in urls if "?" in u]
    assert len(queries) >= 10
    for qs in queries:
        c_walker, py_walker = pair()
        native.query(c_walker, qs, "query", "query", 0, True)
        py_walker.query_py(qs, "query", "query", 0, True)
        assert segments(c_walker) == segments(py_walker)


# --- walk_json: recorded and generated traffic ---------------------------------------

def _json_bodies() -> list[str]:
    """Every JSON document in the recorded traffic and logs: request and response bodies
    of the HAR files, Suricata and CloudWatch JSON, NDJSON lines."""
    texts = []
    for har in sorted(HAR.glob("*.har")):
        try:
            entries = json.loads(har.read_text("utf-8-sig"))["log"]["entries"]
        except (ValueError, KeyError):
            continue  # the truncated recording
        for e in entries:
            texts.append((e["request"].get("postData") or {}).get("text") or "")
            content = e.get("response", {}).get("content") or {}
            text = content.get("text") or ""
            if content.get("encoding") == "base64":
                text = base64.b64decode(text).decode("utf-8", "replace")
            texts.append(text)
    for log in sorted(LOGS.rglob("*.json")) + sorted(LOGS.rglob("*.ndjson")):
        text = log.read_text("utf-8")
        texts += [text, *text.splitlines()]
    bodies = []
    for text in texts:
        try:
            json.loads(text)
        except ValueError:
            continue
        bodies.append(text)
    return bodies


def test_recorded_json_documents_walk_the_same():
    bodies = _json_bodies()
    assert len(bodies) >= 10
    for text in bodies:
        assert_same_walk(text)
        assert_same_walk(text, limits=Limits(max_depth=1, max_fields=8, max_field_chars=16), keep_all=False)


def test_nested_layers_reach_the_python_walker():
    # JSON inside a string, a query inside a value, base64 of JSON: the C walk hands
    # these values to Walker._value, which decodes them as before.
    inner = json.dumps({"email": "jane.doe@example.com"})
    doc = {"payload": inner, "url": "https://t.example/p?em=jane%40example.com", "q": "a=1&ph=%2B14155550132",
           "blob": base64.b64encode(inner.encode()).decode()}
    c_walker, py_walker = walked_both(json.dumps(doc))
    assert segments(c_walker) == segments(py_walker)
    assert ("$.payload.$.email", "jane.doe@example.com") in [(s[2], s[0]) for s in segments(c_walker)]


def test_scanner_uses_the_c_walk_and_finds_the_same():
    assert structure._CWALK is native
    scanner = Scanner(key=b"k" * 32)
    body = json.dumps({"user": {"email": "jane.doe@example.com", "phone": "+1 415 555 0132"},
                       "context": {"ip": "81.2.69.142", "library": {"name": "analytics.js"}}}).encode()
    found = {(f.field_path, f.category) for f in scanner.scan_request("POST", "/v1/t", [], body, "application/json")}
    assert found == {("$.user.email", "EMAIL"), ("$.user.phone", "PHONE_NUMBER"), ("$.context.ip", "IP_ADDRESS")}


@pytest.mark.parametrize("value", [
    "level=info first_name=Sarah ssn=536228726", "{'first_name': 'Sarah', 'ssn': '536228726'}",
    'createCustomer(input: {firstName: "Sarah", lastName: "Connor"})', "note: 'quoted' after a colon",
    "a:'b'", "key:\"v\" other:\"w\"", "first_name: Sarah\nlast_name: Connor", "x=5", "fn = ir.Function(a, b)",
    "first_name,ssn\nSarah,536228726\n", "| Name | Phone |\n|---|---|\n| Sarah | 4155550132 |", "line one\nline two",
    "MSH|^~\\&|EPIC|HOSP\rPID|1||00482913^^^HOSP^MR||DOE^JANE||19620714", "MSH|", "MSHX|^~\\&|a|b|c",
])
def test_walk_json_agrees_on_records_in_values(value):
    # A record or a table written in a value (textpairs.py, texttables.py) is split alike:
    # the C walk hands the same values to Walker._nested_text.
    assert_same_walk(json.dumps({"message": value, "nested": [value]}))
