"""Request bodies under a content coding: the scanner undoes gzip, deflate, br, zstd and
snappy, said by Content-Encoding or told by the bytes, within its decode budget.

The compressors are the real libraries the SDKs use (zlib, brotli, zstandard, and
cramjam's snappy, which python-snappy wraps too)."""

from __future__ import annotations

import gzip
import json
import zlib

import brotli
import cramjam
import pytest
import zstandard

from detectors.pii import Scanner

EMAIL = "jane.doe@example.com"
PHONE = "+44 20 7946 0958"
IP = "81.2.69.160"
BODY = json.dumps({"userId": "u-1842", "traits": {"email": EMAIL, "phone": PHONE},
                   "context": {"ip": IP, "library": {"name": "analytics-python", "version": "2.3.2"}}}).encode()
KEY = b"k" * 32


@pytest.fixture(scope="module")
def sc():
    return Scanner(key=KEY)


def _snappy(b: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(b))


def _zstd(b: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(b)


def _seen(findings) -> set[tuple]:
    """What a finding says of the value, leaving out how it was encoded on the wire."""
    return {(f.category, f.field_path, f.masked, f.value_hash) for f in findings}


def _post(sc, body: bytes, *headers: tuple[str, str], ctype: str | None = "application/json"):
    return sc.scan_request("POST", "https://api.segment.io/v1/identify", list(headers), body, ctype)


CODINGS = [
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as many servers send
    ("br", brotli.compress),
    ("zstd", _zstd),
    ("snappy", _snappy),
]


@pytest.mark.parametrize("coding,encode", CODINGS)
def test_a_coded_body_gives_the_findings_of_the_plain_one(sc, coding, encode):
    plain = _post(sc, BODY)
    assert {f.category for f in plain} >= {"EMAIL", "PHONE_NUMBER", "IP_ADDRESS"}
    coded = _post(sc, encode(BODY), ("Content-Encoding", coding))
    assert _seen(coded) == _seen(plain)
    assert {f.encoding for f in coded} == {coding.removeprefix("x-")}


def test_stacked_codings_are_undone_in_reverse_and_named_by_the_outermost(sc):
    body = brotli.compress(gzip.compress(BODY))
    coded = _post(sc, body, ("Content-Encoding", "gzip, br"))
    assert _seen(coded) == _seen(_post(sc, BODY))
    assert {f.encoding for f in coded} == {"br"}


@pytest.mark.parametrize("coding,encode", [("zstd", _zstd), ("gzip", gzip.compress), ("deflate", zlib.compress)])
def test_a_coded_body_without_its_header_is_told_by_its_bytes(sc, coding, encode):
    # A HAR export or a proxy log that dropped Content-Encoding.
    coded = _post(sc, encode(BODY), ctype=None)
    assert _seen(coded) == _seen(_post(sc, BODY))
    assert {f.encoding for f in coded} == {coding}


def _pb(field: int, payload: bytes) -> bytes:
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            if n < 0x80:
                return bytes(out + bytes([n]))
            out.append(n & 0x7F | 0x80)
            n >>= 7
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def _loki_push(lines: list[str]) -> bytes:
    """logproto.PushRequest{streams: [{labels, entries: [{timestamp, line}]}]}."""
    entries = b"".join(_pb(2, _pb(1, b"\x08\x80\xe8\xa3\xaa\x06") + _pb(2, ln.encode())) for ln in lines)
    return _pb(1, _pb(1, b'{app="checkout", env="prod"}') + entries)


def test_a_loki_push_is_snappy_protobuf_with_no_header(sc):
    lines = [f'level=info msg="password reset" user={EMAIL} client_ip=81.2.69.{i}' for i in range(1, 30)]
    push = _loki_push(lines)
    plain = sc.scan_request("POST", "https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push",
                            [("Content-Type", "application/x-protobuf")], push)
    coded = sc.scan_request("POST", "https://logs-prod-eu-west-0.grafana.net/loki/api/v1/push",
                            [("Content-Type", "application/x-protobuf")], _snappy(push))
    # 29 addresses in one field path: the e-mail once, every distinct IP address.
    assert sorted(f.category for f in coded).count("IP_ADDRESS") == 29
    assert "EMAIL" in {f.category for f in coded}
    assert _seen(coded) == _seen(plain) and {f.encoding for f in coded} == {"snappy"}
    assert {f.field_path for f in coded} == {f.field_path for f in plain} == {"pb.1.2.2"}


def test_a_protobuf_body_is_not_taken_for_snappy(sc):
    push = _loki_push([f"user={EMAIL}"])
    found = sc.scan_request("POST", "/loki/api/v1/push", [("Content-Type", "application/x-protobuf")], push)
    assert {(f.category, f.encoding) for f in found} == {("EMAIL", "plain")}


def test_a_body_that_does_not_decode_as_declared_is_read_as_it_is():
    # HAR exports keep Content-Encoding beside a body they store decoded.
    sc = Scanner(key=KEY)
    found = _post(sc, BODY, ("Content-Encoding", "br"))
    assert _seen(found) == _seen(_post(sc, BODY)) and {f.encoding for f in found} == {"plain"}
    assert sc.stats["decode_errors"] == 0


def test_an_unknown_coding_leaves_the_body_as_it_is(sc):
    found = _post(sc, BODY, ("Content-Encoding", "compress"))
    assert EMAIL not in repr(found) and "EMAIL" in {f.category for f in found}


def test_magic_bytes_over_junk_count_a_decode_error_and_find_nothing():
    sc = Scanner(key=KEY)
    assert _post(sc, b"\x28\xb5\x2f\xfd" + EMAIL.encode() * 3, ctype=None) == []
    assert sc.stats["decode_errors"] == 1


@pytest.mark.parametrize("coding,encode", CODINGS)
def test_a_compression_bomb_decodes_to_the_budget_and_no_further(coding, encode):
    sc = Scanner({"max_decoded_bytes": 1 << 16}, key=KEY)
    bomb = encode(json.dumps({"email": EMAIL, "pad": "0" * (8 << 20)}).encode())  # 8 MiB in a few KiB
    assert len(bomb) < 1 << 20
    found = _post(sc, bomb, ("Content-Encoding", coding))
    if coding == "snappy":  # a block is decoded whole or not at all: this one states 8 MiB
        assert all(f.encoding == "plain" for f in found)  # not decoded: read as the bytes it is
    else:
        # The JSON is cut short: its e-mail is still read from the text of the first 64 KiB.
        assert [f.category for f in found] == ["EMAIL"] and found[0].encoding == coding.removeprefix("x-")
        assert sc.stats["decode_limited"] >= 1


def test_a_snappy_block_stating_a_huge_length_is_refused_without_decoding():
    sc = Scanner(key=KEY)
    lie = b"\xff\xff\xff\xff\x0f" + b"\x00" * 64  # 4 GiB stated
    assert _post(sc, lie, ("Content-Encoding", "snappy"), ctype="application/x-protobuf") == []


def test_a_zstd_body_after_a_bomb_and_a_broken_one_decodes_whole(sc):
    # Bodies decoded in one call share the thread's zstd context: one cut short or broken
    # must leave nothing behind for the next.
    small = Scanner({"max_decoded_bytes": 4096}, key=KEY)
    _post(small, _zstd(b"\x00" * (8 << 20)), ("Content-Encoding", "zstd"))
    _post(small, b"\x28\xb5\x2f\xfd" + b"\x01" * 40, ("Content-Encoding", "zstd"))
    assert _seen(_post(sc, _zstd(BODY), ("Content-Encoding", "zstd"))) == _seen(_post(sc, BODY))
