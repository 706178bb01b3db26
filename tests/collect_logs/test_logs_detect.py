from __future__ import annotations

import gzip
import shutil

import pytest

from sentinel.collect.logs import (
    DETECT_ORDER,
    FAMILIES,
    ParseError,
    UnknownFormatError,
    detect_format,
    make_parser,
    parse_file,
    parse_text,
)

from .conftest import DATA
from .test_logs_samples import COUNTS


@pytest.mark.parametrize("rel,family", [(c[0], c[1]) for c in COUNTS], ids=[c[0] for c in COUNTS])
def test_detects_every_sample(rel, family):
    head = (DATA / rel).read_text(encoding="utf-8").splitlines()[:200]
    assert detect_format(head) == family


def test_registry():
    assert set(FAMILIES) == {"squid", "envoy", "nginx", "haproxy", "zeek", "suricata", "vpcflow", "jsonl"}
    assert set(DETECT_ORDER) == set(FAMILIES) - {"jsonl"}
    for name, cls in FAMILIES.items():
        assert cls.family == name


def test_non_log_file_error_names_every_family(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Dear team,\nplease find the quarterly report attached.\nRegards\n")
    with pytest.raises(UnknownFormatError) as exc:
        list(parse_file(path))
    msg = str(exc.value)
    for fam in DETECT_ORDER:
        assert fam in msg
    assert "jsonl" in msg  # says how to read other JSON logs
    assert "quarterly" not in msg  # never quotes the content


def test_unknown_json_and_empty_file(tmp_path):
    with pytest.raises(UnknownFormatError):
        detect_format(['{"msg": "hello", "level": "info"}'])
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    with pytest.raises(UnknownFormatError, match="no non-blank line"):
        list(parse_file(empty))
    # an explicit family reads an empty file as nothing
    assert list(parse_file(empty, "squid")) == []


def test_unknown_family_name():
    with pytest.raises(ValueError, match="unknown log format 'apache'.*squid"):
        make_parser("apache")


def test_gzip_is_transparent(tmp_path):
    src = DATA / "logs_nginx/lnav_shop_access_combined_xff.log"
    gz = tmp_path / "access.log.1.gz"
    with open(src, "rb") as f, gzip.open(gz, "wb") as g:
        shutil.copyfileobj(f, g)
    plain = list(parse_file(src))
    packed = list(parse_file(gz))  # auto-detected through gzip
    assert len(packed) == 1000 and packed == plain
    # detected by magic bytes, not by name
    renamed = tmp_path / "access.log"
    renamed.write_bytes(gz.read_bytes())
    assert list(parse_file(renamed, "nginx")) == plain


def test_gzip_zeek_headers(tmp_path):
    gz = tmp_path / "conn.log.gz"
    gz.write_bytes(gzip.compress((DATA / "logs_zeek/lnav_zeek_conn_tsv.log").read_bytes()))
    items = list(parse_file(gz))
    assert len(items) == 92 and not any(isinstance(x, ParseError) for _, x in items)


def test_bom_crlf_and_invalid_utf8(tmp_path):
    path = tmp_path / "squid.log"
    line = "1677971735.123  567 10.0.0.1 TCP_MISS/200 5432 GET http://example.com/caf\xe9 - HIER_DIRECT/93.184.216.34 text/html"
    data = b"\xef\xbb\xbf" + line.encode("latin-1") + b"\r\n" + line.encode("utf-8") + b"\r\n"
    path.write_bytes(data)
    items = list(parse_file(path))
    assert [off for off, _ in items] == [0, len(line) + 5]
    (_, a), (_, b) = items
    assert a.url == "/caf\ufffd" and b.url == "/caf\xe9"  # errors="replace", \r stripped
    assert a.src_ip == "10.0.0.1"


def test_pretty_json_offsets_are_record_starts(tmp_path):
    one = (DATA / "logs_suricata_eve/otel_aws_nfw_tls_pretty.json").read_bytes()
    two = (DATA / "logs_suricata_eve/otel_aws_nfw_http_pretty.json").read_bytes()
    path = tmp_path / "eve.json"
    path.write_bytes(one + two)
    items = list(parse_file(path))
    assert [off for off, _ in items] == [0, len(one)]
    assert [x.scheme for _, x in items] == ["tls", "http"]


def test_parse_text_helper():
    items = parse_text("1677971735.123 5 10.0.0.1 TCP_MISS/200 1 GET http://a.example/ - DIRECT/1.2.3.4 -\n\n")
    assert len(items) == 1 and items[0][1].dst_host == "a.example"
