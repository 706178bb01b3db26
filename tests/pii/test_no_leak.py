"""Sentinel never becomes the leak: no Finding field, repr, stats or error text holds a
raw value. Values are generated (synthetic) so the test covers many shapes."""

import json
import logging
import random
import string

from detectors.pii import ConfigError, Scanner, Watchlist
from tests.pii.conftest import aadhaar_number

R = random.Random(99)


def _values():
    for _ in range(25):
        first = "".join(R.choice(string.ascii_lowercase) for _ in range(6))
        yield f"{first}.{R.randint(10, 99)}@example.com"
        yield f"+1 415 555 01{R.randint(10, 99)}"
        yield "sk_live_" + "".join(R.choice(string.ascii_letters + string.digits) for _ in range(24))
    yield "4242 4242 4242 4242"
    yield "512-34-7788"
    yield "DE89 3704 0044 0532 0130 00"
    yield "AB123456C"
    yield aadhaar_number()
    yield "8.8.4.4"


def _all_text(findings, scanner) -> str:
    return repr(findings) + json.dumps([f.to_dict() for f in findings]) + repr(scanner) + repr(scanner.stats)


def test_findings_never_hold_raw_values(caplog):
    values = list(_values())
    s = Scanner(key=b"k", watchlist=None)
    caplog.set_level(logging.DEBUG)
    for v in values:
        text = f"Customer note: {v} (dob 1985-04-12, passport C01234567)"
        fs = s.scan_text(text)
        fs += s.scan_request("POST", f"/x?q={v}", [("X-Note", v)], json.dumps({"email": v, "note": text}).encode(),
                             "application/json")
        assert fs, v
        dump = _all_text(fs, s)
        compact = v.replace(" ", "").replace("-", "")
        assert v not in dump and compact not in dump, v
    assert not caplog.records  # the detectors never log


def test_watchlist_findings_and_repr_hold_no_raw_values():
    secret = "canary-" + "".join(R.choice(string.ascii_lowercase) for _ in range(12))
    wl = Watchlist([secret, "jane.w@example.com"], key=b"k")
    s = Scanner(watchlist=wl, key=b"k")
    fs = s.scan_text(f"leaked {secret} and jane.w@example.com")
    assert len([f for f in fs if f.watchlist]) == 2
    dump = _all_text(fs, s) + repr(wl)
    assert secret not in dump and "jane.w@example.com" not in dump


def test_errors_do_not_echo_values():
    value = "4242424242424242"
    try:
        Scanner({"custom": [{"name": "x", "category": "CARD", "regex": value + "(", "confidence": 0.5}]})
    except ConfigError as e:
        assert "not a valid RE2 pattern" in str(e)
    # Malformed structure is counted, not raised with the input in the message.
    s = Scanner(key=b"k")
    s.scan_request("POST", f"/{value}%zz", [("Cookie", f"{value}=;;")], b"\x1f\x8b" + value.encode(), "application/json")
    assert value not in repr(s.stats)


def test_segments_repr_hides_text():
    from detectors.pii.structure import Segment

    assert "jane@example.com" not in repr(Segment("jane@example.com", "body", "$.email"))


def test_session_10_kinds_hold_no_raw_values():
    # Bank accounts, security codes, national IDs named in text, newer secret formats and
    # values named by a name/value pair: each reported, none echoed.
    tail = "".join(R.choice(string.ascii_letters + string.digits) for _ in range(48))
    cases = [
        ("form", b"bank_account[account_number]=000123456789&card[cvc]=4821", "000123456789"),
        ("json", {"fields": [{"name": "phone", "value": "4155550132"}]}, "4155550132"),
        ("json", {"note": "Mi CURP es BOXW310820HNERXN09"}, "BOXW310820HNERXN09"),
        ("json", {"note": "AHV-Nr. 756.9217.0769.85"}, "756.9217.0769.85"),
        ("json", {"config": "pplx-" + tail}, "pplx-" + tail),
        ("json", {"device": {"ifa": "6D92078A-8246-4BA4-AE5B-76104861E7DC"}}, "6D92078A-8246-4BA4-AE5B-76104861E7DC"),
        ("json", {"imei": "490154203237518"}, "490154203237518"),
    ]
    s = Scanner(key=b"k")
    for kind, body, value in cases:
        if kind == "form":
            fs = s.scan_request("POST", "/v1/sources", [], body, "application/x-www-form-urlencoded")
        else:
            fs = s.scan_request("POST", "/x", [], json.dumps(body).encode(), "application/json")
        assert fs, value
        dump = _all_text(fs, s)
        assert value not in dump and value.replace(".", "") not in dump, value
        if kind == "form":  # the security code too, whose digits could sit in any hash
            assert [f.masked for f in fs if f.subtype == "security_code"] == ["***"]


def test_protobuf_keys_and_values_hold_no_raw_values():
    # A Struct whose map key is itself an e-mail: the path says [*], never the address.
    from google.protobuf import struct_pb2

    s = Scanner(key=b"k")
    for v in list(_values())[:12]:
        doc = struct_pb2.Struct()
        doc.update({v: 1.0, "contact": v, "note": f"call {v} today"})
        fs = s.scan_request("POST", "/x", [], doc.SerializeToString(), "application/x-protobuf")
        assert fs, v
        assert any(f.field_path.endswith("[*]") for f in fs), v
        dump = _all_text(fs, s)
        assert v not in dump and v.replace(" ", "").replace("-", "") not in dump, v


KEYS_THAT_ARE_DATA = ["sk_live_" + "WfqUyHRSIf8NFmAUNLnY5Yx0", "X9fK2mQ7LpR4sT8v", "vGiZGoNwMHeoJBYjKavUYUzLqP"]
KEYS_THAT_ARE_NAMES = ["customerEmailAddress2", "utmCampaignSpring2024", "HTTPRequestHeaderV2Name",
                       "XMLHttpRequestUploadObject", "DOMContentLoadedEventStart", "shippingAddressLine2Field"]


def test_tokens_used_as_keys_never_become_field_paths():
    from detectors.pii.structure import _path_name

    s = Scanner(key=b"k")
    for key in KEYS_THAT_ARE_DATA:
        assert _path_name(key) == "*", key
        for body, ctype in ((json.dumps({key: {"plan": "pro"}}).encode(), "application/json"),
                            (f"{key}=1".encode(), "application/x-www-form-urlencoded"),
                            (f"<r><{key}>pro</{key}></r>".encode(), "application/xml")):
            fs = s.scan_request("POST", f"/x?{key}=1", [], body, ctype)
            ex = s.explain_request("POST", f"/x?{key}=1", [], body, ctype)
            seen = json.dumps([f.to_dict() for f in fs]) + repr(ex)
            assert key not in seen and key[8:] not in seen, (key, ctype)
    for key in KEYS_THAT_ARE_NAMES:
        assert _path_name(key) == key, key
