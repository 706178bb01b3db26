"""Property tests: generated requests, arbitrary and structured.

Any request, however malformed, is scanned without an exception, without a recogniser
error and with findings that point inside their field; a value (e-mail, card, IBAN,
SSN, phone) planted anywhere in a generated document, through any stack of encodings,
is found and never echoed.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from datetime import datetime
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.pii import Category, Scanner, Watchlist, normalise
from detectors.pii.masking import Hasher
from tests.pii.conftest import KEY, aadhaar_number

# A budget far above any example's cost: an overrun on a loaded machine would drop
# findings and make a property fail by chance (test_budget.py tests the budget itself).
CONFIG = {"time_budget_ms": 60_000}
SCANNER = Scanner(CONFIG, key=KEY)
HASHER = Hasher(KEY)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_URL_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
_HEADER_NAMES = st.sampled_from(["cookie", "authorization", "referer", "x-custom", "x-user", "content-type",
                                 ":path", "x-api-key", "origin"])
_CONTENT_TYPES = st.sampled_from([None, "application/json", "application/x-www-form-urlencoded",
                                  "multipart/form-data; boundary=XyZ", "text/plain", "application/gzip",
                                  "application/json; charset=utf-8", "application/octet-stream", "text/csv",
                                  "text/html", "message/rfc822"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=40))
_JSON = st.recursive(_SCALARS, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                      st.dictionaries(st.text(max_size=12), kids, max_size=4)),
                     max_leaves=20)


_QUOT = {'"': "&quot;"}
_TAGS = st.sampled_from(["a", "b", "soap:Body", "x-y", "Attribute", "AttributeValue"])
_XML = st.recursive(st.text(max_size=30).map(xml_escape), lambda kids: st.builds(
    lambda tag, attr, parts: f'<{tag} name="{xml_escape(attr, _QUOT)}">{"".join(parts)}</{tag}>',
    _TAGS, st.text(max_size=8), st.lists(kids, max_size=3)), max_leaves=12)


# Pieces of HTML and of e-mail messages, broken ones too, in any order.
_HTML = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(
    ["<p>", "</p>", "<br>", "<a href=\"", "\">", "&#64;", "&amp", "&nbsp;", "<!--", "-->", "<![", "<script>",
     "<html>", "<b>", "</b"])), max_size=20).map(lambda parts: "<html>" + "".join(parts))
_MAIL = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(
    ["From: ", "To: ", "Subject: ", "\r\n", "\n\n", "Content-Type: multipart/mixed; boundary=b\n", "--b\n", "--b--",
     "Content-Type: message/rfc822\n", "Content-Transfer-Encoding: base64\n", "Content-Transfer-Encoding: quoted-printable\n",
     "=?utf-8?q?Jos=C3=A9?=", "=?x-none?b?@@?=", "=3D", "=\n", "charset=\"x-none\"\n"])), max_size=30).map(
    lambda parts: "From: a@example.com\nTo: b@example.com\n" + "".join(parts))


def _bodies():
    raw = st.binary(max_size=600)
    docs = st.one_of(_JSON.map(lambda d: json.dumps(d).encode()), _XML.map(str.encode),
                     _HTML.map(str.encode), _MAIL.map(lambda t: t.encode("utf-8", "surrogatepass")))
    forms = st.lists(st.tuples(st.text(max_size=10), st.text(max_size=30)), max_size=6).map(
        lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs).encode())
    plain = st.one_of(raw, docs, forms)
    return st.one_of(plain, plain.map(gzip.compress), plain.map(base64.b64encode),
                     st.binary(max_size=200).map(lambda b: b"\x1f\x8b" + b))  # a broken gzip


def _errors_during(scan) -> tuple[list, int]:
    before = SCANNER.stats["errors"]
    overruns = SCANNER.stats["budget_overruns"]
    found = scan()
    assert SCANNER.stats["budget_overruns"] == overruns, "the time budget cut this scan short"
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


# --- a planted value, wherever it sits and however it is wrapped ------------------------

_NEUTRAL_KEYS = st.sampled_from(["data", "items", "meta", "payload", "x", "props", "ctx", "b"])
_FILLER = st.one_of(st.integers(-5, 5), st.booleans(), st.sampled_from(["ok", "Page Viewed", "v2", ""]))


def _luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str(-total % 10)


def _de_iban(bban: str) -> str:
    check = 98 - int(bban + "131400") % 97  # "DE" is 13 14
    return f"DE{check:02d}{bban}"


_VALUES = {
    Category.EMAIL: st.builds(lambda local, n: f"{local}.{n}@example.com",
                              st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10), st.integers(10, 99)),
    Category.CREDIT_CARD: st.integers(10**13, 10**14 - 1).map(lambda n: _luhn_complete(f"4{n}")).map(
        lambda d: " ".join(d[i:i + 4] for i in range(0, 16, 4))),
    Category.IBAN: st.integers(10**17, 10**18 - 1).map(lambda n: _de_iban(str(n))),
    Category.US_SSN: st.builds(lambda a, g, n: f"{a:03d}-{g:02d}-{n:04d}",
                               st.integers(100, 665), st.integers(1, 99), st.integers(1, 9999)),
    Category.PHONE_NUMBER: st.integers(0, 999).map(lambda n: f"+44 20 7946 0{n:03d}"),
}

_WRAPS = {
    "json-in-string": lambda doc: json.dumps(doc),
    "base64": lambda doc: base64.b64encode(json.dumps(doc).encode()).decode(),
    "base64url-gzip": lambda doc: base64.urlsafe_b64encode(gzip.compress(json.dumps(doc).encode())).decode(),
    "query-string": lambda doc: "z=1&data=" + quote(json.dumps(doc)),
    "percent": lambda doc: quote(json.dumps(doc), safe=""),
    "xml": lambda doc: f"<r><v>{xml_escape(json.dumps(doc))}</v></r>",
}


@st.composite
def _planted(draw):
    category = draw(st.sampled_from(sorted(_VALUES)))
    value = draw(_VALUES[category])
    node, wraps = _nest(draw, draw(st.sampled_from(["{}", "contact: {} ok", "<{}>", "{};"])).format(value))
    return category, value, node, wraps


def _nest(draw, leaf: str) -> tuple[object, list[str]]:
    """``leaf`` inside up to four generated levels, up to two of them encoded."""
    node: object = leaf
    wraps: list[str] = []
    for _ in range(draw(st.integers(0, 4))):  # nest: a dict or list around the value, maybe encoded
        if draw(st.booleans()):
            siblings = draw(st.dictionaries(_NEUTRAL_KEYS, _FILLER, max_size=2))
            node = {**siblings, draw(_NEUTRAL_KEYS): node}
        else:
            node = [draw(_FILLER), node]
        if draw(st.integers(0, 3)) == 0 and len(wraps) < 2:
            name = draw(st.sampled_from(sorted(_WRAPS)))
            wraps.append(name)
            node = {"blob": _WRAPS[name](node)}
    return node, wraps


def _request(doc, where: str) -> tuple[str, list, bytes]:
    text = json.dumps(doc)
    url, headers, body = "https://h.example/v1/t", [], b""
    if where == "body":
        body = text.encode()
    elif where == "query":
        url += "?d=" + quote(text)
    else:
        headers = [("X-Payload", text)]
    return url, headers, body


@SETTINGS
@given(planted=_planted(), where=st.sampled_from(["body", "query", "header"]))
def test_planted_value_is_found_through_any_nesting(planted, where):
    category, value, doc, wraps = planted
    url, headers, body = _request(doc, where)
    found, errors = _errors_during(lambda: SCANNER.scan_request("POST", url, headers, body, "application/json"))
    assert errors == 0
    want = HASHER.hex(normalise(category, value))
    assert any(f.category == category and f.value_hash == want for f in found), \
        (category, wraps, where, [(f.category, f.field_path, f.encoding) for f in found])
    dump = repr(found) + json.dumps([f.to_dict() for f in found])
    compact = value.replace(" ", "").replace("-", "")
    assert value not in dump and compact not in dump


@SETTINGS
@given(category=st.sampled_from(sorted(_VALUES)), data=st.data(),
       template=st.sampled_from(["{}", "contact: {} ok", "<{}>", "{};", "({})", "\"{}\"", "x\n{}\ny"]),
       where=st.sampled_from(["json", "form", "query", "cookie", "multipart"]))
def test_offsets_point_at_the_value_in_its_field(category, data, template, where):
    value = data.draw(_VALUES[category])
    field = template.format(value)
    url, headers, body, ctype = "https://h.example/v1/t", [], b"", "application/json"
    if where == "json":
        body = json.dumps({"note": field}).encode()
    elif where == "form":
        body, ctype = f"a=1&note={quote(field)}".encode(), "application/x-www-form-urlencoded"
    elif where == "query":
        url += "?note=" + quote(field)
    elif where == "cookie":
        headers = [("Cookie", "a=1; note=" + quote(field))]
    else:
        ctype = "multipart/form-data; boundary=XyZ"
        body = (f'--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\n{field}\r\n--XyZ--\r\n').encode()
    found, errors = _errors_during(lambda: SCANNER.scan_request("POST", url, headers, body, ctype))
    assert errors == 0
    want = HASHER.hex(normalise(category, value))
    hits = [f for f in found if f.category == category and f.value_hash == want]
    assert hits, (where, [(f.category, f.field_path) for f in found])
    for f in hits:
        assert field[f.start:f.end] == value, (where, template, f.start, f.end)


# --- a registered identifier in any wire form -------------------------------------------

_WIRE_FORMS = {
    "plain": lambda v: v,
    "url": lambda v: quote(v, safe=""),
    "base64": lambda v: base64.b64encode(v.encode()).decode(),
    "md5": lambda v: hashlib.md5(v.encode()).hexdigest(),
    "sha1": lambda v: hashlib.sha1(v.encode()).hexdigest(),
    "sha256": lambda v: hashlib.sha256(v.encode()).hexdigest(),
}


@SETTINGS
@given(email=_VALUES[Category.EMAIL], form=st.sampled_from(sorted(_WIRE_FORMS)), upper=st.booleans(),
       data=st.data(), where=st.sampled_from(["body", "query", "header"]))
def test_registered_email_is_found_in_any_wire_form(email, form, upper, data, where):
    watchlist = Watchlist([email], key=KEY)
    scanner = Scanner(CONFIG, watchlist=watchlist, key=KEY)
    wire = _WIRE_FORMS[form](email)
    if upper and form in ("md5", "sha1", "sha256"):
        wire = wire.upper()
    doc, wraps = _nest(data.draw, wire)
    url, headers, body = _request(doc, where)
    found = scanner.scan_request("POST", url, headers, body, "application/json")
    assert scanner.stats["errors"] == 0
    want = HASHER.hex(normalise(Category.EMAIL, email))
    assert any(f.watchlist and f.value_hash == want for f in found), (form, wraps, where)
    assert email not in repr(found) + repr(watchlist)


# --- machine values are not personal data -----------------------------------------------

_MACHINE_VALUES = st.one_of(
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.binary(min_size=6, max_size=32).map(bytes.hex),
    st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2039, 12, 31)).map(
        lambda d: d.isoformat(timespec="milliseconds") + "Z"),
    st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 30), st.integers(0, 99), st.integers(0, 9999)),
    st.integers(1_000_000_000_000, 2_200_000_000_000),
    st.integers(1_000_000_000_000, 2_200_000_000_000).map(str),
    st.integers(10**6, 10**15).map(lambda n: f"ORD-{n}"),
    st.builds(lambda a, b: f"{a}-{b}", st.sampled_from(["cus", "evt", "req", "ch", "pi"]),
              st.binary(min_size=8, max_size=12).map(bytes.hex)),
)
_MACHINE_KEYS = st.sampled_from(["id", "event_id", "messageId", "ts", "sentAt", "version", "build", "trace_id",
                                 "anonymousId", "timestamp", "data", "x", "meta"])


@SETTINGS
@given(doc=st.recursive(_MACHINE_VALUES, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.dictionaries(_MACHINE_KEYS, kids, max_size=3)), max_leaves=12),
    where=st.sampled_from(["body", "query", "header"]))
def test_machine_values_are_not_reported(doc, where):
    url, headers, body = _request(doc, where)
    found, errors = _errors_during(lambda: SCANNER.scan_request("POST", url, headers, body, "application/json"))
    assert errors == 0
    assert not found, [(f.category, f.field_path, f.masked) for f in found]


# --- national ids under a field named for their scheme -----------------------------------

def _dni(n: int) -> str:
    return f"{n:08d}{'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23]}"


def _cpf(nine: list[int]) -> str:
    d = list(nine)
    for weight in (10, 11):
        r = sum(x * w for x, w in zip(d, range(weight, 1, -1))) * 10 % 11
        d.append(0 if r == 10 else r)
    s = "".join(map(str, d))
    return f"{s[:3]}.{s[3:6]}.{s[6:9]}-{s[9:]}"


def _nir(sex: int, yy: int, mm: int, dept: int, commune: int, order: int) -> str:
    body = f"{sex}{yy:02d}{mm:02d}{dept:02d}{commune:03d}{order:03d}"
    return body + f"{97 - int(body) % 97:02d}"


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NATIONAL_IDS = {
    "dni": st.integers(0, 10**8 - 1).map(_dni),
    "cpf": st.lists(st.integers(0, 9), min_size=9, max_size=9).filter(lambda d: len(set(d)) > 1).map(_cpf),
    "nir": st.builds(_nir, st.sampled_from([1, 2]), st.integers(0, 99), st.integers(1, 12), st.integers(1, 95),
                     st.integers(1, 999), st.integers(1, 999)),
    "nino": st.builds(lambda a, b, n, s: f"{a}{b}{n:06d}{s}", st.sampled_from(_NINO_FIRST), st.sampled_from(_NINO_SECOND),
                      st.integers(0, 999_999), st.sampled_from("ABCD")).filter(
        lambda v: v[:2] not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ")),
    "aadhaar": st.integers(2 * 10**10, 10**11 - 1).map(lambda n: aadhaar_number(str(n))).filter(
        lambda v: len(set(v)) > 2),  # one repeated digit is a test value, never issued
    # Checked by python-stdnum: the schemes' published examples, nested at random.
    "bsn": st.just("111222333"),
    "pesel": st.just("44051401359"),
    "nhs_number": st.just("943 476 5919"),
    "steuer_id": st.just("36 574 261 809"),
    "hetu": st.just("131052-308T"),
    "insz": st.just("85.07.30-033 28"),
}


@SETTINGS
@given(scheme=st.sampled_from(sorted(_NATIONAL_IDS)), data=st.data(), where=st.sampled_from(["body", "query", "header"]))
def test_national_id_under_its_field_is_found(scheme, data, where):
    value = data.draw(_NATIONAL_IDS[scheme])
    doc, wraps = _nest(data.draw, value)
    doc = {scheme: value, "ctx": doc}  # the named field, and the same value nested without its name
    url, headers, body = _request(doc, where)
    found, errors = _errors_during(lambda: SCANNER.scan_request("POST", url, headers, body, "application/json"))
    assert errors == 0
    named = [f for f in found if f.field_path.endswith("." + scheme)]
    assert [f.category for f in named] == [Category.NATIONAL_ID], (scheme, where, [(f.category, f.field_path) for f in found])
    assert value not in repr(found)


# --- overlap bookkeeping in resolve -----------------------------------------------------

@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 30)), max_size=60))
def test_overlap_index_agrees_with_a_plain_scan(spans):
    from detectors.pii.resolve import _Spans

    index, kept = _Spans(), []
    for s, length in spans:
        e = s + length
        plain = any(s < b and a < e for a, b in kept)
        assert index.overlaps(s, e) == plain
        if not plain:
            index.add(s, e)
            kept.append((s, e))


# --- where a field sits does not matter -------------------------------------------------

def _placed(findings) -> list[tuple]:
    return sorted((f.location, f.field_path, f.category, f.subtype, f.start, f.end, f.value_hash) for f in findings)


_KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_SECRETS = st.one_of(  # rules that end at the end of their field
    st.text(_KEY_CHARS, min_size=35, max_size=35).map(lambda s: "AIza" + s),
    st.text(_KEY_CHARS, min_size=36, max_size=36).map(lambda s: "ghp_" + s),
    st.text(_KEY_CHARS, min_size=24, max_size=24).map(lambda s: "sk_live_" + s))


@SETTINGS
@given(fields=st.lists(st.tuples(st.sampled_from(["note", "contact", "id", "token", "a", "meta"]),
                                 st.one_of(st.sampled_from(sorted(_VALUES)).flatmap(lambda c: _VALUES[c]),
                                           _SECRETS, st.text(max_size=30))),
                       min_size=1, max_size=6, unique_by=lambda kv: kv[0]),
       order=st.randoms(use_true_random=False))
def test_findings_do_not_depend_on_the_order_of_fields(fields, order):
    # Fields are scanned together in one buffer; a pattern must not see its neighbours
    # (an anchor once matched only in the last field).
    shuffled = fields[:]
    order.shuffle(shuffled)
    for build in (lambda fs: ([], json.dumps(dict(fs)).encode()),
                  lambda fs: ([(f"x-{k}", v) for k, v in fs if v.isprintable()], b"")):
        h1, b1 = build(fields)
        h2, b2 = build(shuffled)
        first = _placed(SCANNER.scan_request("POST", "https://h.example/v1/t", h1, b1, "application/json"))
        second = _placed(SCANNER.scan_request("POST", "https://h.example/v1/t", h2, b2, "application/json"))
        assert first == second
