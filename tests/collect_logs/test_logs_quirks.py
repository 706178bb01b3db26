"""Format quirks from MANIFEST.md and the issue, one family at a time (table-driven)."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from sentinel.collect.logs import ParseError, detect_format, make_parser, parse_text
from sentinel.collect.logs.base import iso_to_epoch, split_host_port, split_url

UTC = timezone.utc


def one(family, line, options=None):
    return make_parser(family, options).parse(line)


def reason(family, line, options=None):
    with pytest.raises(ParseError) as exc:
        make_parser(family, options).parse(line)
    return exc.value.reason


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    "url,expected",
    [
        ("https://Api.Stripe.com/v1/charges?customer=cus_1", ("https", "api.stripe.com", 443, "/v1/charges?customer=cus_1")),
        ("http://a.example:8080", ("http", "a.example", 8080, "/")),
        ("http://a.example?x=1", ("http", "a.example", 80, "/?x=1")),
        ("http://user:pw@a.example/x", ("http", "a.example", 80, "/x")),  # userinfo never kept
        ("http://[2001:db8::1]:8443/p", ("http", "2001:db8::1", 8443, "/p")),
        ("HTTP://A.EXAMPLE./", ("http", "a.example", 80, "/")),
        ("/already/origin?q", ("", "", 0, "/already/origin?q")),
    ],
)
def test_split_url(url, expected):
    assert split_url(url) == expected
    assert split_url(url) == expected  # cached path gives the same


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2019-01-02T11:46:46.981Z", datetime(2019, 1, 2, 11, 46, 46, 981000, UTC)),
        ("2020-10-13T22:10:01.006481+0000", datetime(2020, 10, 13, 22, 10, 1, 6481, UTC)),
        ("2025-12-31T17:37:40.493035218+01:00", datetime(2025, 12, 31, 16, 37, 40, 493035, UTC)),
        ("2024-02-29 23:59:59", datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),  # naive = UTC
        ("2024-01-01T05:30:00-05:30", datetime(2024, 1, 1, 11, 0, tzinfo=UTC)),
    ],
)
def test_iso_to_epoch(text, expected):
    assert iso_to_epoch(text) == pytest.approx(expected.timestamp(), abs=1e-6)


def test_split_host_port():
    assert split_host_port("API.Segment.io:443") == ("api.segment.io", 443)
    assert split_host_port("[::1]") == ("::1", 0)
    assert split_host_port("-") == ("", 0)


# ----------------------------------------------------------------------------- squid


def test_squid_2x_hierarchy_and_padding():
    ev = one("squid", "1066036250.603    310 192.168.0.19 TCP_MISS/200 1306 GET http://www.example.org/x.gif - DIRECT/208.77.188.166 image/gif")
    assert (ev.duration_ms, ev.dst_ip, ev.dst_host, ev.action) == (310.0, "208.77.188.166", "www.example.org", "TCP_MISS")
    ev = one("squid", "1066036250.603 3 host.lan TCP_MISS/200 1 GET http://a.example/ - FIRST_UP_PARENT/proxy.corp -")
    assert (ev.src_ip, ev.src_host, ev.dst_ip) == ("", "host.lan", "")  # names are not addresses


def test_squid_connect_ports():
    assert one("squid", "1.0 1 10.0.0.1 TCP_TUNNEL/200 9 CONNECT smtp.example:587 - HIER_DIRECT/1.2.3.4 -").scheme == "tcp"
    ev = one("squid", "1.0 1 10.0.0.1 TCP_TUNNEL/200 9 CONNECT [2001:db8::2]:8443 - HIER_DIRECT/2001:db8::2 -")
    assert (ev.dst_host, ev.dst_port, ev.scheme, ev.dst_ip) == ("2001:db8::2", 8443, "tls", "2001:db8::2")


def test_squid_non_requests_and_errors():
    p = make_parser("squid")
    assert p.parse("1677971734.079 0 1.2.3.4 NONE/000 0 NONE error:transaction-end-before-headers - HIER_NONE/- -") is None
    assert p.skipped == {"no_request": 1}
    assert reason("squid", "1677971734.079 12 1.2.3.4 TCP_MISS/200") == "field_count"
    assert reason("squid", "yesterday 12 1.2.3.4 TCP_MISS/200 1 GET http://a/ - DIRECT/- -") == "bad_timestamp"
    assert reason("squid", "1.0 12 1.2.3.4 TCP_MISS 1 GET http://a/ - DIRECT/- -") == "bad_number"


# ----------------------------------------------------------------------------- nginx


@pytest.mark.parametrize(
    "line,check",
    [
        ('1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] "GET /a?b=1 HTTP/1.1" 200 2326 "-" "curl/8"',
         dict(ts=datetime(2000, 10, 10, 20, 55, 36, tzinfo=UTC).timestamp(), url="/a?b=1", bytes_in=2326, user_agent="curl/8")),
        ('1.2.3.4 - bob [10/Oct/2000:13:55:36 +0000] "POST http://API.Segment.io/v1/t HTTP/1.1" 200 - "-" "-" "-"',
         dict(dst_host="api.segment.io", dst_port=80, scheme="http", url="/v1/t", bytes_in=0, user_agent="")),
        ('1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "CONNECT api.openai.com:443 HTTP/1.1" 200 0 "-" "-"',
         dict(dst_host="api.openai.com", dst_port=443, scheme="tls", url="")),
        ('1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /q\\"x HTTP/1.1" 200 1 "-" "a \\"quoted\\" agent"',
         dict(url='/q\\"x', user_agent='a \\"quoted\\" agent')),
        ('1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.0" 200 1 "-" "ua" "10.9.8.7, 10.0.0.1" 0.003 extra',
         dict(url="/", http_version="HTTP/1.0", src_ip="1.2.3.4")),
        ('1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /" 200 1 "-" "ua"', dict(url="/", http_version="")),
    ],
)
def test_nginx_text(line, check):
    ev = one("nginx", line)
    for k, v in check.items():
        assert getattr(ev, k) == v, k


def test_nginx_bad_requests():
    assert reason("nginx", '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "HELP" 400 0 "-" "-"') == "bad_request_line"
    assert reason("nginx", '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "\\x16\\x03\\x01\\x00" 400 0 "-" "-"') == "bad_request_line"
    assert reason("nginx", '1.2.3.4 - - [10/Foo/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 0 "-" "-"') == "bad_timestamp"
    p = make_parser("nginx")
    assert p.parse('1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "-" 400 0 "-" "-"') is None
    assert p.skipped == {"no_request": 1}


def test_nginx_json_log_format():
    line = json.dumps({
        "time_iso8601": "2024-03-01T10:00:00+03:30", "remote_addr": "10.0.0.9", "request": "POST /v1/charges?amount=5 HTTP/2.0",
        "status": "201", "proxy_host": "API.Stripe.com", "upstream_addr": "10.1.1.1:443, 52.1.2.3:443",
        "upstream_bytes_sent": "700, 712", "upstream_bytes_received": "90", "request_time": "0.120",
        "scheme": "https", "ssl_protocol": "TLSv1.3", "ssl_cipher": "TLS_AES_128_GCM_SHA256", "http_user_agent": "stripe-python",
    })  # fmt: skip
    ev = one("nginx", line)
    assert ev.ts == datetime(2024, 3, 1, 6, 30, tzinfo=UTC).timestamp()
    assert (ev.dst_host, ev.dst_ip, ev.dst_port, ev.scheme) == ("api.stripe.com", "52.1.2.3", 443, "https")
    assert (ev.method, ev.url, ev.http_version, ev.status) == ("POST", "/v1/charges?amount=5", "HTTP/2.0", 201)
    assert (ev.bytes_out, ev.bytes_in, ev.duration_ms) == (1412, 90, pytest.approx(120.0))
    assert (ev.tls_version, ev.tls_cipher, ev.user_agent) == ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "stripe-python")
    split = one("nginx", '{"time_local":"10/Oct/2000:13:55:36 -0700","request_method":"GET","request_uri":"/x","host":"h.example"}')
    assert (split.method, split.url, split.dst_host) == ("GET", "/x", "h.example")
    assert reason("nginx", '{"remote_addr":"1.2.3.4"}') == "bad_timestamp"
    assert reason("nginx", "{not json") == "not_json"


# ----------------------------------------------------------------------------- envoy

ENVOY_DEFAULT = ('[2024-05-01T10:00:00.000Z] "POST /v1/track HTTP/1.1" 200 - 512 21 35 33 "10.0.0.7" "analytics-node" '
                 '"abc" "api.segment.io" "52.1.1.1:443"')  # fmt: skip


def test_envoy_plain_envoy_default_format():
    ev = one("envoy", ENVOY_DEFAULT)
    assert (ev.method, ev.url, ev.bytes_out, ev.bytes_in, ev.duration_ms) == ("POST", "/v1/track", 512, 21, 35.0)
    assert (ev.src_ip, ev.dst_host, ev.dst_ip, ev.dst_port, ev.scheme) == ("10.0.0.7", "api.segment.io", "52.1.1.1", 443, "https")


def test_envoy_cri_text_and_partial_lines():
    p = make_parser("envoy")
    ev = p.parse("2024-05-01T10:00:00.5+02:00 stdout F " + ENVOY_DEFAULT)
    assert ev.ts == datetime(2024, 5, 1, 10, tzinfo=UTC).timestamp()  # payload time wins
    record = json.dumps({"start_time": "2024-05-01T10:00:01Z", "method": "GET", "path": "/x", ":authority": "h.example:8443"})
    assert p.parse("2024-05-01T10:00:02Z stdout P " + record[:20]) is None
    ev = p.parse("2024-05-01T10:00:02Z stdout F " + record[20:])
    assert (ev.url, ev.dst_host, ev.dst_port) == ("/x", "h.example", 8443)
    assert p.skipped == {"cri_partial": 1}
    # JSON payload without its own time: the CRI time
    ev = p.parse('2024-05-01T10:00:03Z stdout F {"method":"GET","authority":"a.example","response_code":null,"path":null}')
    assert (ev.ts, ev.status, ev.url) == (datetime(2024, 5, 1, 10, 0, 3, tzinfo=UTC).timestamp(), 0, "")


def test_envoy_docker_wrapper_and_tls_fields():
    inner = json.dumps({"start_time": "2024-05-01T10:00:00Z", "method": "GET", "authority": "x.example",
                        "upstream_tls_version": "TLSv1.3", "upstream_tls_cipher": "TLS_AES_256_GCM_SHA384",
                        "response_flags": "UF"})  # fmt: skip
    ev = one("envoy", json.dumps({"log": inner + "\n", "stream": "stdout", "time": "2024-05-01T10:00:09Z"}))
    assert (ev.tls_version, ev.tls_cipher, ev.action, ev.dst_host) == ("TLSv1.3", "TLS_AES_256_GCM_SHA384", "UF", "x.example")


def test_envoy_errors():
    assert reason("envoy", "[2024-05-01T10:00:00.000Z] \"GET / HTTP/1.1\" 200") == "field_count"
    assert reason("envoy", "hello world") == "no_match"
    assert reason("envoy", '{"method":"GET"}') == "bad_timestamp"


# ----------------------------------------------------------------------------- haproxy


def test_haproxy_syslog_prefix_headers_and_tcp():
    line = ('Feb  6 12:14:14 localhost haproxy[14389]: 10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 '
            '10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {1wt.eu} {} "GET http://api.example/index.html HTTP/1.1"')  # fmt: skip
    ev = one("haproxy", line)
    assert (ev.src_ip, ev.dst_host, ev.url, ev.duration_ms, ev.scheme) == ("10.0.1.2", "api.example", "/index.html", 109.0, "http")
    ev = one("haproxy", "10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0", {"dst_host": "db.example:5432"})
    assert (ev.scheme, ev.bytes_in, ev.duration_ms, ev.dst_host, ev.dst_port) == ("tcp", 212, 5007.0, "db.example", 5432)
    ev = one("haproxy", '::1:5000 [06/Feb/2009:12:14:14.655] fe~ be/<NOSRV> -1/-1/-1/-1/0 503 212 - - SC-- 0/0/0/0/0 0/0 "GET / HTTP/1.1"')
    assert (ev.src_ip, ev.status, ev.duration_ms, ev.action) == ("::1", 503, 0.0, "SC--")
    p = make_parser("haproxy")
    assert p.parse("Proxy http-in started.") is None and p.skipped == {"not_request": 1}
    assert reason("haproxy", "10.0.1.2:1 [06/Feb/2009:12:14:14.655] fe be/s 1/2/3/4/5 200 1 - - ---- 0/0/0/0/0 0/0 \"<BADREQ>\"") == "bad_request_line"


HAPROXY_BODY = ('10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in~ static/srv1 10/0/30/69/109 200 2750 - - ---- '
                '1/1/1/1/0 0/0 "POST /v1/charges HTTP/1.1"')


@pytest.mark.parametrize("prefix", [
    "<134>1 2009-02-06T12:14:14.655+00:00 lb1 haproxy 14389 - - ",  # HAProxy's `format rfc5424`
    '<134>1 2009-02-06T12:14:14Z lb1 haproxy 14389 - [meta sequenceId="7"][origin ip="10.0.0.9" x="a]b"] ',
    "<134>1 2009-02-06T12:14:14Z lb1 haproxy - - - \ufeff",  # nil PROCID, BOM before the message
    "<134>Feb  6 12:14:14 lb1 haproxy[14389]: ",  # RFC 3164 with its PRI
])
def test_haproxy_syslog_rfc5424_and_rfc3164_prefixes(prefix):
    ev = one("haproxy", prefix + HAPROXY_BODY, {"dst_host": "api.stripe.com"})
    assert (ev.src_ip, ev.method, ev.url, ev.status, ev.bytes_in, ev.duration_ms, ev.scheme, ev.dst_host) == (
        "10.0.1.2", "POST", "/v1/charges", 200, 2750, 109.0, "https", "api.stripe.com")
    assert ev.ts == 1233922454.655  # the accept date, 2009-02-06 12:14:14.655 UTC


def test_haproxy_rfc5424_lines_are_detected():
    head = ["<134>1 2009-02-06T12:14:14.655+00:00 lb1 haproxy 14389 - - " + HAPROXY_BODY] * 3
    assert detect_format(head) == "haproxy"


# ----------------------------------------------------------------------------- zeek

ZEEK_SSL = """#separator \\x09
#set_separator\t,
#empty_field\t(empty)
#unset_field\t-
#path\tssl
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tserver_name\testablished
#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tbool
1700000000.5\tC1\t10.0.0.1\t5555\t52.1.1.1\t443\tTLSv13\tTLS_AES_128_GCM_SHA256\tAPI.Stripe.com\tT
#separator \\x7c
#fields|ts|id.orig_h|id.resp_h|id.resp_p|proto|service|duration|orig_bytes|resp_bytes|conn_state|origin
#path|conn
1700000001.0|10.0.0.1|52.1.1.2|443|tcp|ssl,http|0.5|100|-|SF|(empty)
"""


def test_zeek_header_changes_mid_file():
    items = parse_text(ZEEK_SSL, "zeek")
    (_, s), (_, c) = items
    assert (s.tls_version, s.sni, s.dst_host, s.scheme) == ("TLSv1.3", "api.stripe.com", "api.stripe.com", "tls")
    # '|' separator, new columns (origin), unset resp_bytes, service set with ssl
    assert (c.scheme, c.bytes_out, c.bytes_in, c.duration_ms, c.action) == ("tls", 100, 0, 500.0, "SF")


def test_zeek_json_variants():
    p = make_parser("zeek")
    ev = p.parse('{"_path":"http","ts":"2024-01-01T00:00:00.250000Z","id.orig_h":"10.0.0.1","id.resp_h":"1.1.1.1","id.resp_p":80,'
                 '"method":"GET","host":"a.example:8080","uri":"/x\\\\x07","version":"1.1","status_code":200}')  # fmt: skip
    assert (ev.ts, ev.dst_host, ev.url, ev.status) == (datetime(2024, 1, 1, 0, 0, 0, 250000, UTC).timestamp(), "a.example", "/x\\x07", 200)
    ev = p.parse('{"ssl": {"ts": 1700000000.0, "id.orig_h": "10.0.0.1", "id.resp_h": "1.1.1.1", "id.resp_p": 443, "server_name": "b.example"}}')
    assert ev.sni == "b.example"
    assert p.parse('{"_path":"dns","ts":1.0,"query":"a.example"}') is None
    assert p.skipped == {"zeek_other_path": 1}
    assert reason("zeek", "1700000000.5\tC1") == "no_header"
    assert reason("zeek", "1700000000.5\tC1", {"fields": ["ts", "uid", "x"], "path": "conn"}) == "field_count"


# ----------------------------------------------------------------------------- suricata


def test_suricata_plain_eve_types():
    p = make_parser("suricata")
    http = p.parse(json.dumps({"timestamp": "2024-01-01T00:00:00.000000+0000", "event_type": "http", "src_ip": "10.0.0.1",
                               "dest_ip": "52.1.1.1", "dest_port": 80, "proto": "TCP",
                               "http": {"hostname": "Api.Example", "url": "/v1?x=1", "http_method": "POST", "status": 201,
                                        "protocol": "HTTP/1.1", "length": 77}}))  # fmt: skip
    assert (http.dst_host, http.url, http.method, http.status, http.bytes_in, http.http_version) == (
        "api.example", "/v1?x=1", "POST", 201, 77, "HTTP/1.1")  # fmt: skip
    tls = p.parse('{"timestamp":"2024-01-01T00:00:00Z","event_type":"tls","src_ip":"10.0.0.1","dest_ip":"52.1.1.1","dest_port":443,'
                  '"proto":"TCP","tls":{"sni":"hooks.slack.com","version":"TLS 1.2"}}')  # fmt: skip
    assert (tls.sni, tls.tls_version, tls.scheme) == ("hooks.slack.com", "TLSv1.2", "tls")
    flow = p.parse('{"timestamp":"2024-01-01T00:00:09Z","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"52.1.1.1","dest_port":443,'
                   '"proto":"TCP","app_proto":"tls","flow":{"bytes_toserver":1500,"bytes_toclient":9000,'
                   '"start":"2024-01-01T00:00:00.000000+0000","end":"2024-01-01T00:00:02.500000+0000"}}')  # fmt: skip
    assert (flow.bytes_out, flow.bytes_in, flow.duration_ms, flow.scheme) == (1500, 9000, 2500.0, "tls")
    assert flow.ts == datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    alert = p.parse('{"timestamp":"2024-01-01T00:00:00Z","event_type":"alert","src_ip":"10.0.0.1","dest_ip":"52.1.1.1",'
                    '"dest_port":443,"proto":"TCP","alert":{"action":"blocked"},"tls":{"sni":"evil.example"}}')  # fmt: skip
    assert (alert.action, alert.sni, alert.dst_host) == ("blocked", "evil.example", "evil.example")
    assert p.parse('{"timestamp":"2024-01-01T00:00:00Z","event_type":"stats","stats":{}}') is None
    assert p.skipped == {"not_egress": 1}
    assert reason("suricata", '{"timestamp":"2024-01-01T00:00:00Z"}') == "missing_field"
    assert reason("suricata", "[1, 2]") == "bad_shape"


def test_suricata_nfw_epoch_event_timestamp():
    ev = one("suricata", '{"firewall_name":"fw","event_timestamp":"1601587565","event":{"event_type":"tls","src_ip":"10.0.0.1",'
                         '"dest_ip":"1.1.1.1","dest_port":443,"proto":"TCP","sni":"a.example","tls":{}}}')  # fmt: skip
    assert (ev.ts, ev.sni) == (1601587565.0, "a.example")


# ----------------------------------------------------------------------------- vpc flow


def test_vpcflow_default_format_without_header_and_skipdata():
    p = make_parser("vpcflow")
    ev = p.parse("2 123456789010 eni-1 10.0.0.5 52.94.1.1 49152 443 6 10 8400 1418530010 1418530070 ACCEPT OK")
    assert (ev.dst_ip, ev.dst_port, ev.scheme, ev.bytes_out) == ("52.94.1.1", 443, "tcp", 8400)
    assert p.parse("2 123456789010 eni-1 - - - - - - - 1418530010 1418530070 - SKIPDATA") is None
    assert p.skipped == {"skipdata": 1}


def test_vpcflow_pkt_addresses_and_udp():
    text = ("version srcaddr dstaddr pkt-srcaddr pkt-dstaddr dstport protocol bytes start end log-status\n"
            "5 10.0.0.9 10.0.1.1 10.0.0.9 34.1.2.3 53 17 120 1700000000 1700000005 OK\n")  # fmt: skip
    ((_, ev),) = parse_text(text, "vpcflow")
    assert (ev.src_ip, ev.dst_ip, ev.scheme, ev.duration_ms) == ("10.0.0.9", "34.1.2.3", "udp", 5000.0)


def test_vpcflow_awslogs_gzip_envelope_and_control_message():
    env = {"messageType": "DATA_MESSAGE", "logGroup": "vpc-flow", "logEvents": [
        {"timestamp": 1, "message": "2 1 eni-1 10.0.0.5 52.94.1.1 1 443 6 1 60 1418530010 1418530070 ACCEPT OK"},
        {"timestamp": 1, "message": "2 1 eni-1 10.0.0.5"}]}  # fmt: skip
    data = base64.b64encode(gzip.compress(json.dumps(env).encode())).decode()
    p = make_parser("vpcflow")
    res = p.parse_all(json.dumps({"awslogs": {"data": data}}))
    assert [type(r).__name__ for r in res] == ["EgressEvent", "ParseError"]
    assert res[1].reason == "field_count"
    assert p.parse_all('{"messageType": "CONTROL_MESSAGE", "logEvents": []}') == []
    assert p.skipped["control_message"] == 1
    with pytest.raises(ParseError):
        p.parse(json.dumps(env))  # two results: parse() refuses, parse_all() is the API


def test_vpcflow_bad_format_option():
    with pytest.raises(ValueError, match="format"):
        make_parser("vpcflow", {"format": "${version} ${not valid!}"})


# ----------------------------------------------------------------------------- json lines


def test_jsonl_mapping():
    opts = {"mapping": {"ts": "time", "src_ip": "client.ip", "url": "request.url", "method": "request.method",
                        "status": "response.status", "bytes_out": "request.size", "duration_ms": "took",
                        "dst_ip": "id.resp_h", "user_agent": "request.headers.0"},
            "timestamp_format": "%d/%b/%Y:%H:%M:%S %z", "duration_unit": "s"}  # fmt: skip
    rec = {"time": "10/Oct/2000:13:55:36 -0700", "client": {"ip": "10.0.0.1"}, "id.resp_h": "52.1.1.1",
           "request": {"url": "https://Api.Stripe.com:8443/v1/x?y=1", "method": "POST", "size": "512", "headers": ["ua/1"]},
           "response": {"status": 201}, "took": 0.25}  # fmt: skip
    ev = one("jsonl", json.dumps(rec), opts)
    assert ev.ts == datetime(2000, 10, 10, 20, 55, 36, tzinfo=UTC).timestamp()
    assert (ev.src_ip, ev.dst_ip, ev.dst_host, ev.dst_port, ev.scheme, ev.url) == (
        "10.0.0.1", "52.1.1.1", "api.stripe.com", 8443, "https", "/v1/x?y=1")  # fmt: skip
    assert (ev.method, ev.status, ev.bytes_out, ev.duration_ms, ev.user_agent, ev.source) == ("POST", 201, 512, 250.0, "ua/1", "jsonl")
    ms = one("jsonl", '{"t": 1700000000123}', {"mapping": {"ts": "t"}, "timestamp_format": "epoch_ms"})
    assert ms.ts == pytest.approx(1700000000.123)
    assert one("jsonl", '{"t": 1700000000123}', {"mapping": {"ts": "t"}}).ts == pytest.approx(1700000000.123)  # auto
    assert reason("jsonl", '{"x": 1}', {"mapping": {"ts": "t"}}) == "bad_timestamp"


@pytest.mark.parametrize(
    "options,match",
    [
        ({}, "mapping"),
        ({"mapping": {"dst_host": "h"}}, "'ts'"),
        ({"mapping": {"ts": "t", "colour": "c"}}, "colour"),
        ({"mapping": {"ts": "t"}, "timestamp_format": "weird"}, "timestamp_format"),
        ({"mapping": {"ts": "t"}, "duration_unit": "h"}, "duration_unit"),
    ],
)
def test_jsonl_bad_config(options, match):
    with pytest.raises(ValueError, match=match):
        make_parser("jsonl", options)


def test_jsonl_not_auto_detected():
    from sentinel.collect.logs import UnknownFormatError, detect_format

    with pytest.raises(UnknownFormatError, match="jsonl"):
        detect_format(['{"when": "2024-01-01T00:00:00Z", "target": "x"}'])


def test_skip_reasons_are_counted_by_parse_file(tmp_path):
    path = tmp_path / "eve.json"
    path.write_text('{"timestamp":"2024-01-01T00:00:00Z","event_type":"dns","src_ip":"1.1.1.1"}\n\n'
                    '{"timestamp":"2024-01-01T00:00:00Z","event_type":"stats"}\n')  # fmt: skip
    from sentinel.collect.logs import parse_file

    skipped: Counter = Counter()
    assert list(parse_file(path, "suricata", skipped=skipped)) == []
    assert skipped == {"not_egress": 2, "blank": 1}


def test_tz_plus_0330_in_nginx_is_exact():
    ev = one("nginx", '1.2.3.4 - - [22/Jan/2019:03:56:14 +0330] "GET / HTTP/1.1" 200 1 "-" "-"')
    assert datetime.fromtimestamp(ev.ts, UTC) == datetime(2019, 1, 22, 3, 56, 14, tzinfo=timezone(timedelta(hours=3, minutes=30)))


def test_prime_restores_header_state_when_resuming():
    from .conftest import DATA

    lines = (DATA / "logs_zeek/lnav_zeek_http_tsv.log").read_text().splitlines()
    p = make_parser("zeek")
    p.prime(lines[:20])  # the tailer resumes at line 100: feed it the head first
    assert p.parse(lines[100]).method == "GET"
    assert reason("zeek", lines[100]) == "no_header"  # without priming
    vpc = (DATA / "logs_aws_vpcflow/otel_vpc_v5_custom_ecs_fields.log").read_text().splitlines()
    q = make_parser("vpcflow")
    q.prime(vpc[:1])
    assert q.parse(vpc[1]).dst_port == 22
    assert reason("vpcflow", vpc[1]) == "field_count"  # v2 default format: 14 fields, not 24


def test_jsonl_field_map_alias_and_none_timestamp_format():
    ev = one("jsonl", '{"t": "2024-01-01T00:00:00Z", "h": "A.example"}', {"field_map": {"ts": "t", "dst_host": "h"}, "timestamp_format": None})
    assert (ev.ts, ev.dst_host) == (datetime(2024, 1, 1, tzinfo=UTC).timestamp(), "a.example")
