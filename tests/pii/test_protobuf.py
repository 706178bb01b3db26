"""Protocol Buffers and gRPC bodies, read without their schema.

The payloads are serialised by the real libraries: OTLP requests by opentelemetry-proto
(the classes every OpenTelemetry exporter uses), Struct by protobuf itself. Malformed
bodies are cut or corrupted from those. The Chrome sync request is recorded traffic
(tests/data/har, mitmproxy's test data, MIT)."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest
from google.protobuf import struct_pb2
from hypothesis import given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, ArrayValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from detectors.pii.protobuf import parse_message, pb_fields
from detectors.pii.structure import pb_key

EMAIL = "jane.doe@example.com"
CARD = "4242 4242 4242 4242"
HAR = Path(__file__).parent.parent / "data" / "har" / "mitmproxy_export_json_protobuf_post_br.har"
OTLP_LOGS = "https://otlp.eu01.nr-data.net/v1/logs"


def _any(v) -> AnyValue:
    if isinstance(v, str):
        return AnyValue(string_value=v)
    if isinstance(v, bool):
        return AnyValue(bool_value=v)
    if isinstance(v, int):
        return AnyValue(int_value=v)
    if isinstance(v, float):
        return AnyValue(double_value=v)
    if isinstance(v, list):
        return AnyValue(array_value=ArrayValue(values=[_any(x) for x in v]))
    return AnyValue(kvlist_value=KeyValueList(values=[KeyValue(key=k, value=_any(x)) for k, x in v.items()]))


def _attrs(d: dict) -> list[KeyValue]:
    return [KeyValue(key=k, value=_any(v)) for k, v in d.items()]


def otlp_logs(body: str, attributes: dict, resource: dict | None = None) -> bytes:
    return ExportLogsServiceRequest(resource_logs=[ResourceLogs(
        resource=Resource(attributes=_attrs(resource or {"service.name": "checkout"})),
        scope_logs=[ScopeLogs(log_records=[LogRecord(
            time_unix_nano=1_700_000_000_000_000_000, severity_text="ERROR",
            body=AnyValue(string_value=body), attributes=_attrs(attributes))])])]).SerializeToString()


def grpc_frame(message: bytes, compressed: bool = False) -> bytes:
    return bytes([1 if compressed else 0]) + len(message).to_bytes(4, "big") + message


def found(findings) -> set[tuple[str, str]]:
    return {(f.category, f.field_path) for f in findings}


LOG_RECORD = "pb.1.2.2"  # ResourceLogs.scope_logs(2).log_records(2)


@pytest.mark.parametrize("ctype", ["application/x-protobuf", "application/protobuf", "application/octet-stream",
                                   "application/vnd.google.protobuf", None])
def test_otlp_log_export_gives_values_their_attribute_names(scanner, ctype):
    body = otlp_logs(f"payment failed for {EMAIL} card {CARD}",
                     {"user.full_name": "Maria Gonzalez", "user.phone": 4155550123, "client.address": "81.2.69.160",
                      "enduser.id": "u_8812"})
    headers = [("Content-Type", ctype)] if ctype else []
    got = found(scanner.scan_request("POST", OTLP_LOGS, headers, body))
    assert {("EMAIL", LOG_RECORD + ".5.1"), ("CREDIT_CARD", LOG_RECORD + ".5.1"),
            ("PERSON", LOG_RECORD + ".6[user.full_name]"),
            ("PHONE_NUMBER", LOG_RECORD + ".6[user.phone]"),  # an int_value: kept because a key names it
            ("IP_ADDRESS", LOG_RECORD + ".6[client.address]")} == got


FIELDS = {"first_name": "Quill", "plan": "Quill", "customer_name": "Tavi Ostrander", "dob": "1985-04-12",
          "order_date": "1985-04-12", "ph": "4155550123", "build": "4155550123", "passport_no": "C03005988",
          "zip": "94103", "ssn": "078051120", "token": "4111111111111111"}


@pytest.mark.parametrize("key", sorted(FIELDS))
def test_keys_give_the_context_json_field_names_give(scanner, key):
    """A value under a Struct key is judged as under the same JSON field name: context
    raises or lowers confidence the same way."""
    s = struct_pb2.Struct()
    s.update({key: FIELDS[key]})
    as_pb = scanner.scan_request("POST", "https://api.example.net/v1/x", [("Content-Type", "application/x-protobuf")],
                                 s.SerializeToString())
    as_json = scanner.scan_request("POST", "https://api.example.net/v1/x", [("Content-Type", "application/json")],
                                   json.dumps({key: FIELDS[key]}).encode())
    assert [(f.category, f.confidence) for f in as_pb] == [(f.category, f.confidence) for f in as_json]
    assert all(f.field_path == f"pb.1[{key}]" for f in as_pb)


def test_context_changes_the_verdict():
    # The table above must not pass by finding nothing, or everything, everywhere.
    from detectors.pii import Scanner

    sc = Scanner()
    verdicts = {}
    for key, value in FIELDS.items():
        s = struct_pb2.Struct()
        s.update({key: value})
        verdicts[key] = {f.category for f in sc.scan_request("POST", "/", [("Content-Type", "application/x-protobuf")],
                                                             s.SerializeToString())}
    assert verdicts["first_name"] == {"PERSON"} and not verdicts["plan"]
    assert verdicts["dob"] == {"DATE_OF_BIRTH"} and not verdicts["order_date"]
    assert verdicts["ph"] == {"PHONE_NUMBER"} and not verdicts["build"]


def test_span_attributes_and_nested_key_value_lists(scanner):
    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="POST /checkout",
                attributes=_attrs({"http.url": f"https://shop.example.com/confirm?email={EMAIL}",
                                   "customer": {"first_name": "Maria", "phone": "+44 20 7946 0958"},
                                   "emails": [EMAIL, "li.wei@example.cn"]}))
    body = ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        scope_spans=[ScopeSpans(spans=[span])])]).SerializeToString()
    fs = scanner.scan_request("POST", "https://api.honeycomb.io/v1/traces", [("Content-Type", "application/x-protobuf")],
                              body)
    spans = "pb.1.2.2.9"  # ResourceSpans.scope_spans(2).spans(2).attributes(9)
    assert found(fs) == {
        ("EMAIL", spans + "[http.url].query.email"),  # the URL inside the value is walked too
        ("PERSON", spans + "[customer].6.1[first_name]"),
        ("PHONE_NUMBER", spans + "[customer].6.1[phone]"),
        ("EMAIL", spans + "[emails].5.1.1"),  # array_value(5).values(1), each an AnyValue
    }
    assert sum(f.category == "EMAIL" and f.field_path.endswith("[emails].5.1.1") for f in fs) == 2


def test_struct_map_keys_name_values_and_data_keys_stay_out_of_paths(scanner):
    s = struct_pb2.Struct()
    s.update({"email": EMAIL, "profile": {"last_name": "Gonzalez"}, "li.wei@example.cn": 3.0})
    fs = scanner.scan_request("POST", "https://api.example.net/v1/x", [("Content-Type", "application/x-protobuf")],
                              s.SerializeToString())
    assert found(fs) == {("EMAIL", "pb.1[email]"), ("PERSON", "pb.1[profile].5.1[last_name]"), ("EMAIL", "pb.1[*]")}
    for f in fs:
        assert "li.wei" not in f.field_path


@pytest.mark.parametrize("ctype", ["application/grpc", "application/grpc+proto", "application/grpc-web+proto"])
def test_grpc_frames_plain_and_compressed(scanner, ctype):
    one = otlp_logs("login", {"user.email": EMAIL})
    two = otlp_logs("login", {"customer_name": "Maria Gonzalez"})
    data = grpc_frame(one) + grpc_frame(gzip.compress(two), compressed=True)
    fs = scanner.scan_request("POST", "https://otlp.example.net/opentelemetry.proto.collector.logs.v1.LogsService/Export",
                              [("Content-Type", ctype)], data)
    assert found(fs) == {("EMAIL", LOG_RECORD + ".6[user.email]"), ("PERSON", LOG_RECORD + ".6[customer_name]")}
    assert {f.encoding for f in fs if f.category == "PERSON"} == {"gzip"}


def test_grpc_web_text_is_base64_of_the_frames(scanner):
    data = base64.b64encode(grpc_frame(otlp_logs("login", {"user.email": EMAIL})))
    fs = scanner.scan_request("POST", "https://api.example.net/svc/Method", [("Content-Type", "application/grpc-web-text")],
                              data)
    assert found(fs) == {("EMAIL", LOG_RECORD + ".6[user.email]")}


def test_grpc_web_json_frames_are_json(scanner):
    data = grpc_frame(json.dumps({"user": {"email": EMAIL}}).encode())
    fs = scanner.scan_request("POST", "https://api.example.net/svc/Method", [("Content-Type", "application/grpc-web+json")],
                              data)
    assert found(fs) == {("EMAIL", "$.user.email")}


@pytest.mark.parametrize("damage", ["cut", "bad_length", "bad_wire_type", "bad_frame"])
def test_a_broken_message_is_scanned_as_text_and_loses_nothing(scanner, damage):
    body = otlp_logs(f"reset link sent to {EMAIL} at 10:02", {"k": "v"})
    ctype = "application/x-protobuf"
    if damage == "cut":
        body = body[:-3]
    elif damage == "bad_length":
        body = body[:1] + b"\x7f" + body[2:]  # the outer length no longer fits the body
    elif damage == "bad_wire_type":
        body = b"\x0f" + body  # wire type 7 does not exist
    else:
        body, ctype = grpc_frame(body)[:-1], "application/grpc"  # the frame says one byte more
    assert parse_message(body) is None
    fs = scanner.scan_request("POST", OTLP_LOGS, [("Content-Type", ctype)], body)
    assert [(f.category, f.field_path) for f in fs] == [("EMAIL", "body")]


def test_recorded_chrome_sync_request(scanner):
    entry = json.loads(HAR.read_text())["log"]["entries"][3]["request"]
    body = entry["postData"]["text"].encode("latin-1")  # mitmproxy exports binary bodies a char per byte
    headers = [(h["name"], h["value"]) for h in entry["headers"]]
    fs = scanner.scan_request(entry["method"], entry["url"], headers, body)
    by_cat = {(f.category, f.field_path, f.location) for f in fs}
    assert ("EMAIL", "pb.1", "body") in by_cat  # the account e-mail, field 1 of the sync request
    assert ("SECRET", "pb.12", "body") in by_cat  # an API key, its own field now, not lost in binary text
    fields = pb_fields(body, pb_key)
    assert fields is not None
    assert {p for _, p, _, _ in fields} >= {".1", ".4.1.7", ".12"}


def test_binary_that_is_not_protobuf_is_still_scanned(scanner):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 20 + f"tEXtAuthor\x00{EMAIL}".encode()
    fs = scanner.scan_request("POST", "https://upload.example.net/", [("Content-Type", "application/octet-stream")], png)
    assert [(f.category, f.field_path) for f in fs] == [("EMAIL", "body")]


def test_text_is_never_read_as_protobuf(scanner):
    # "5551234" reads as a well-formed message ({6: fixed32, 6: group}): printable text
    # is a string first.
    assert parse_message(b"5551234") is not None
    s = struct_pb2.Struct()
    s.update({"phone": "5551234", "note": "\n\nline", "msg": "\tindented"})
    fields = pb_fields(s.SerializeToString(), pb_key)
    assert fields is not None
    assert {(v, p) for v, p, _, _ in fields} == {("5551234", ".1[phone]"), ("\n\nline", ".1[note]"),
                                                 ("\tindented", ".1[msg]")}


def test_a_printable_message_starting_with_field_one_is_a_message():
    inner = KeyValue(key="user.name", value=AnyValue(string_value="Jo")).SerializeToString()
    assert inner[:1] == b"\n" and inner[1] == 9  # "\n\t" then printable bytes
    outer = KeyValueList(values=[KeyValue(key="attributes", value=AnyValue(kvlist_value=KeyValueList(
        values=[KeyValue(key="user.name", value=AnyValue(string_value="Jo"))])))]).SerializeToString()
    fields = pb_fields(outer, pb_key)
    assert fields == [("Jo", ".1[attributes].6.1[user.name]", "user.name", "attributes")]


def test_a_bare_word_key_names_its_value_but_stays_out_of_the_path(scanner):
    # {1: "jdoe", 2: ...} is a User message as often as a map entry: "jdoe" may be a
    # user name. It still gives its value context, is scanned itself, and is not stored.
    s = struct_pb2.Struct()
    s.update({"jdoe": "Tavi Ostrander", "customer_name": "Tavi Ostrander"})
    fields = pb_fields(s.SerializeToString(), pb_key)
    assert ("jdoe", ".1.1", "", "") in fields and ("Tavi Ostrander", ".1.2", "jdoe", "") in fields
    fs = scanner.scan_request("POST", "/", [("Content-Type", "application/x-protobuf")], s.SerializeToString())
    assert all("jdoe" not in f.field_path for f in fs)
    assert ("PERSON", "pb.1[customer_name]") in {(f.category, f.field_path) for f in fs}


def test_limits_on_values_and_nesting(scanner):
    many = otlp_logs("x", {f"attr_{i}": f"value {i}" for i in range(50)})
    assert len(pb_fields(many, pb_key, max_values=10)) == 10
    deep = AnyValue(string_value=EMAIL)
    for _ in range(45):  # 90 levels; protobuf itself refuses 100
        deep = AnyValue(array_value=ArrayValue(values=[deep]))
    data = deep.SerializeToString()
    fields = pb_fields(data, pb_key)  # nesting past the cap: no recursion error
    assert fields is not None
    fs = scanner.scan_request("POST", "https://x.example.net/", [("Content-Type", "application/x-protobuf")], data)
    assert {f.category for f in fs} == {"EMAIL"}


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data):
    got = pb_fields(data, pb_key)
    assert got is None or all(isinstance(v, str) and p.startswith(".") for v, p, _, _ in got)


_names = st.from_regex(r"[a-z][a-z_.]{0,20}", fullmatch=True)
_text = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=("Cs",)), min_size=1,
                max_size=40)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_names, st.one_of(_text, st.dictionaries(_names, _text, max_size=3)), min_size=1, max_size=6))
def test_every_struct_string_comes_back_under_its_key(doc):
    s = struct_pb2.Struct()
    s.update(doc)
    got = {(v, n) for v, _, n, _ in pb_fields(s.SerializeToString(), pb_key)}
    want = set()
    for k, v in doc.items():
        if isinstance(v, dict):
            want |= {(x, kk) for kk, x in v.items()} | {(kk, "") for kk in v if pb_key(kk) == 1}
        else:
            want.add((v, k))
        if pb_key(k) == 1:
            want.add((k, ""))  # a bare-word key is scanned too
    assert got == want
