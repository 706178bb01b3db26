"""Every sample file ingests with the event count and field values read off the files
themselves (and MANIFEST.md stats), not off the parser's output."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from .conftest import DATA

UTC = timezone.utc


def epoch(*args, tz=UTC):
    return datetime(*args, tzinfo=tz).timestamp()


# (file, family, events, errors by reason, skipped by reason)
COUNTS = [
    ("logs_squid/metron_squid_native_single_space.log", "squid", 5, {}, {}),
    ("logs_squid/plaso_squid_access.log", "squid", 8, {}, {}),
    ("logs_envoy/crowdsec_envoy_bad_user_agent.log", "envoy", 2, {}, {}),
    ("logs_envoy/istio_docs_egress_access.log", "envoy", 7, {}, {}),
    ("logs_nginx/lnav_shop_access_combined_xff.log", "nginx", 1000, {}, {}),
    # 2 HTTP log lines; SSL handshake failure / heartbeat lines are not requests
    ("logs_haproxy/crowdsec_haproxy_http.log", "haproxy", 2, {}, {"not_request": 3}),
    # 101 lines = 8 header lines + #close + 92 records
    ("logs_zeek/lnav_zeek_conn_tsv.log", "zeek", 92, {}, {"header": 9}),
    ("logs_zeek/lnav_zeek_http_tsv.log", "zeek", 197, {}, {"header": 9}),
    # canonified btest timestamps (XXXXXXXXXX.XXXXXX) cannot be dated: rejected, not guessed
    ("logs_zeek/zeek_baseline_ssl_basic_canonified.log", "zeek", 0, {"bad_timestamp": 1}, {"header": 10}),
    ("logs_suricata_eve/otel_aws_nfw_alert_multi.ndjson", "suricata", 2, {}, {}),
    ("logs_suricata_eve/otel_aws_nfw_http_pretty.json", "suricata", 1, {}, {}),
    ("logs_suricata_eve/otel_aws_nfw_netflow_pretty.json", "suricata", 1, {}, {}),
    ("logs_suricata_eve/otel_aws_nfw_tls_pretty.json", "suricata", 1, {}, {}),
    ("logs_aws_vpcflow/otel_tgw_v6_flow.log", "vpcflow", 1, {}, {"header": 1}),
    # custom 4-field format and no header: without the configured format every record is short
    ("logs_aws_vpcflow/otel_vpc_cloudwatch_custom_format_4fields.json", "vpcflow", 0, {"field_count": 2}, {}),
    ("logs_aws_vpcflow/otel_vpc_cloudwatch_subscription.json", "vpcflow", 2, {}, {}),
    ("logs_aws_vpcflow/otel_vpc_too_few_fields_negative.log", "vpcflow", 0, {"field_count": 1}, {"header": 1}),
    ("logs_aws_vpcflow/otel_vpc_v2_header_accept_reject.log", "vpcflow", 2, {}, {"header": 1}),
    ("logs_aws_vpcflow/otel_vpc_v2_header_nodata.log", "vpcflow", 0, {}, {"header": 1, "nodata": 1}),
    ("logs_aws_vpcflow/otel_vpc_v5_custom_ecs_fields.log", "vpcflow", 1, {}, {"header": 1}),
]


@pytest.mark.parametrize("rel,family,n_events,errors,skipped", COUNTS, ids=[c[0] for c in COUNTS])
def test_counts(parsed, rel, family, n_events, errors, skipped):
    p = parsed(rel)  # auto-detected
    assert len(p.events) == n_events
    assert Counter(e.reason for e in p.errors) == Counter(errors)
    assert dict(p.skipped) == skipped
    assert all(ev.source == family for ev in p.events)
    # the explicit family gives the same result as auto-detection
    q = parsed(rel, family)
    assert [(o, x) for o, x in q.items if not isinstance(x, ValueError)] == [
        (o, x) for o, x in p.items if not isinstance(x, ValueError)
    ]


def test_all_sample_files_are_covered():
    files = {str(p.relative_to(DATA)) for p in DATA.glob("logs_*/*")}
    assert files == {c[0] for c in COUNTS}


# ----------------------------------------------------------------------------- squid


def test_squid_plaso_values(parsed):
    ev = parsed("logs_squid/plaso_squid_access.log").events
    # line 1: CONNECT domain.xyz:443 ... HIER_DIRECT/1.2.3.4
    c = ev[0]
    assert (c.ts, c.duration_ms, c.src_ip) == (1677971734.079, 1234.0, "1.2.3.4")
    assert (c.method, c.dst_host, c.dst_port, c.scheme, c.url) == ("CONNECT", "domain.xyz", 443, "tls", "")
    assert (c.status, c.bytes_in, c.bytes_out, c.action, c.dst_ip) == (200, 39, 0, "TCP_TUNNEL", "1.2.3.4")
    # line 2 has a double space before the last field: same values
    assert ev[1].dst_host == "domain.xyz" and ev[1].bytes_in == 39
    g = ev[2]  # GET http://example.com/index.html user1 HIER_DIRECT/93.184.216.34
    assert (g.method, g.scheme, g.dst_host, g.dst_port, g.url) == ("GET", "http", "example.com", 80, "/index.html")
    assert (g.src_ip, g.dst_ip, g.status, g.bytes_in, g.action) == ("192.168.1.100", "93.184.216.34", 200, 5432, "TCP_MISS")
    assert ev[3].dst_ip == "" and ev[3].status == 304 and ev[3].action == "TCP_HIT"  # NONE/-
    assert ev[4].src_ip == "2001:db8::1" and ev[4].status == 404
    d = ev[5]  # TCP_DENIED/403 POST ... HIER_NONE/-
    assert (d.action, d.status, d.method, d.url, d.dst_ip) == ("TCP_DENIED", 403, "POST", "/api/data", "")
    assert ev[6].dst_host == "cdn.example.com" and ev[6].action == "TCP_REFRESH_HIT"
    last = ev[7]
    assert (last.dst_host, last.bytes_in, last.dst_ip) == ("secure.example.com", 54321, "10.20.30.40")
    # ident (user name / e-mail) is personal data and has no place in an event
    for e in ev:
        assert "user1" not in repr(e) and "user@domain.com" not in repr(e) and "admin" not in repr(e)


def test_squid_metron_values(parsed):
    ev = parsed("logs_squid/metron_squid_native_single_space.log").events
    assert [e.dst_host for e in ev] == [
        "www.cnn.com", "www.nba.com", "www.aliexpress.com", "www.help.1and1.co.uk", "www.pravda.ru"
    ]  # fmt: skip
    assert ev[0].dst_ip == "199.27.79.73" and ev[0].bytes_in == 103701 and ev[0].duration_ms == 161
    assert ev[2].url == "/af/shoes.html?"
    assert ev[4].ts == 1467011159.978 and ev[4].url == "/science/"


# ----------------------------------------------------------------------------- envoy


def test_envoy_istio_values(parsed):
    ev = parsed("logs_envoy/istio_docs_egress_access.log").events
    h = ev[0]  # 2019 format: mixer status + transport failure quoted fields
    assert h.ts == epoch(2019, 9, 3, 20, 57, 49, 103000)
    assert (h.method, h.url, h.http_version, h.status) == ("GET", "/politics", "HTTP/2", 301)
    assert (h.dst_host, h.dst_ip, h.dst_port, h.scheme) == ("edition.cnn.com", "151.101.65.67", 80, "http")
    assert (h.src_ip, h.user_agent, h.duration_ms, h.sni) == ("10.244.2.10", "curl/7.64.0", 90.0, "edition.cnn.com")
    h2 = ev[1]  # 2024 format: via_upstream, trailing route name
    assert (h2.dst_ip, h2.src_ip, h2.duration_ms, h2.sni) == ("151.101.195.5", "172.30.239.55", 2.0, "")
    t = ev[2]  # TCP proxy line, SNI last
    assert (t.method, t.status, t.scheme, t.sni, t.dst_host) == ("", 0, "tls", "edition.cnn.com", "edition.cnn.com")
    assert (t.bytes_out, t.bytes_in, t.duration_ms, t.dst_port) == (627, 1879689, 44.0, 443)
    assert t.src_ip == "172.30.109.112"
    t2 = ev[3]  # 2024 TCP line with details fields and trailing '-'
    assert (t2.bytes_out, t2.bytes_in, t2.duration_ms, t2.sni) == (839, 2504306, 231.0, "edition.cnn.com")
    assert ev[4].dst_host == "httpbin.org" and ev[4].bytes_in == 599 and ev[4].dst_ip == "35.173.6.94"
    assert ev[5].sni == "www.google.com" and ev[5].dst_host == "www.google.com"
    p = ev[6]  # TCP to the proxy, no SNI: host from the outbound|3128||my-company-proxy.com cluster
    assert (p.scheme, p.sni, p.dst_host, p.dst_port) == ("tcp", "", "my-company-proxy.com", 3128)


def test_envoy_cri_json_values(parsed):
    ev = parsed("logs_envoy/crowdsec_envoy_bad_user_agent.log").events
    a = ev[0]
    assert a.ts == epoch(2025, 12, 31, 16, 37, 40, 479000)
    assert (a.method, a.url, a.status, a.dst_host) == ("GET", "/admin", 404, "app.internal")
    assert (a.user_agent, a.src_ip) == ("Mozilla/5.0 zgrab/0.x", "10.0.0.12")
    assert ev[1].url == "/login" and ev[1].status == 200


# ----------------------------------------------------------------------------- nginx


def test_nginx_main_format_values(parsed):
    p = parsed("logs_nginx/lnav_shop_access_combined_xff.log")
    ev = p.events
    first = ev[0]
    assert first.ts == epoch(2019, 1, 22, 3, 56, 14, tz=timezone(timedelta(hours=3, minutes=30)))
    assert (first.src_ip, first.method, first.status, first.bytes_in) == ("54.36.149.41", "GET", 200, 30577)
    assert first.url.startswith("/filter/27|13%20%D9%85") and first.url.endswith(",p53")
    assert first.http_version == "HTTP/1.1"
    assert first.user_agent == "Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)"
    assert ev[-1].ts == epoch(2019, 1, 22, 3, 59, 11, tz=timezone(timedelta(hours=3, minutes=30)))
    assert ev[-1].url == "/static/images/search-category-arrow.png" and ev[-1].bytes_in == 217
    # counts taken with awk over the file
    assert Counter(e.method for e in ev) == {"GET": 976, "HEAD": 10, "POST": 14}
    assert Counter(e.status for e in ev) == {200: 938, 301: 11, 302: 20, 304: 7, 404: 24}
    assert sum(e.bytes_in for e in ev) == 18963364
    assert all(e.bytes_out == 0 and e.dst_host == "" for e in ev)
    # offsets are byte offsets of line starts
    raw = (DATA / "logs_nginx/lnav_shop_access_combined_xff.log").read_bytes()
    starts = [0] + [i + 1 for i, b in enumerate(raw) if b == 10][:-1]
    assert p.offsets == starts


def test_nginx_trust_xff_and_dst_host_options(parsed):
    ev = parsed("logs_nginx/lnav_shop_access_combined_xff.log", "nginx", {"trust_xff": True, "dst_host": "Shop.Example:8443"}).events
    assert Counter(e.src_ip for e in ev)["103.28.132.65"] == 13
    assert {(e.dst_host, e.dst_port) for e in ev} == {("shop.example", 8443)}


# ----------------------------------------------------------------------------- haproxy


def test_haproxy_values(parsed):
    a, b = parsed("logs_haproxy/crowdsec_haproxy_http.log").events
    assert a.ts == epoch(2015, 1, 14, 12, 48, 57, 127000)
    assert (a.src_ip, a.scheme, a.method, a.url, a.http_version) == ("117.136.40.129", "https", "GET", "/xxx/xxx", "HTTP/1.1")
    assert (a.status, a.bytes_in, a.duration_ms, a.action) == (200, 739, 173.0, "")
    assert (b.src_ip, b.bytes_in, b.duration_ms, b.url) == ("22.118.26.10", 20602, 1264.0, "/")


def test_haproxy_tz_option(parsed):
    a = parsed("logs_haproxy/crowdsec_haproxy_http.log", "haproxy", {"tz": "+0100"}).events[0]
    assert a.ts == epoch(2015, 1, 14, 11, 48, 57, 127000)


# ----------------------------------------------------------------------------- zeek


def test_zeek_conn_values(parsed):
    ev = parsed("logs_zeek/lnav_zeek_conn_tsv.log").events
    c = ev[0]
    assert (c.ts, c.src_ip, c.dst_ip, c.dst_port) == (1320279554.4963, "192.168.2.76", "208.85.42.28", 80)
    assert (c.scheme, c.duration_ms, c.bytes_out, c.bytes_in, c.action) == ("tcp", pytest.approx(2125.85), 0, 1092421, "SF")
    assert ev[1].scheme == "http" and ev[1].bytes_out == 389 and ev[1].bytes_in == 1495
    # awk: 83 records with service http, 9 with '-'; column sums of orig_bytes / resp_bytes
    assert Counter(e.scheme for e in ev) == {"http": 83, "tcp": 9}
    assert sum(e.bytes_out for e in ev) == 116105
    assert sum(e.bytes_in for e in ev) == 3445765


def test_zeek_http_values(parsed):
    ev = parsed("logs_zeek/lnav_zeek_http_tsv.log").events
    h = ev[0]
    assert (h.ts, h.method, h.dst_host, h.url, h.status) == (1320279566.452687, "GET", "www.reddit.com", "/", 200)
    assert (h.http_version, h.bytes_in, h.bytes_out, h.dst_ip, h.dst_port) == ("HTTP/1.1", 109978, 0, "132.235.215.119", 80)
    assert h.user_agent.startswith("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.6; rv:7.0.1)")
    assert Counter(e.method for e in ev) == {"GET": 196, "POST": 1}
    assert Counter(e.dst_host for e in ev)["a.fsdn.com"] == 33
    assert sum(e.bytes_in for e in ev) == 2736884 and sum(e.bytes_out for e in ev) == 584


def test_zeek_ssl_values_with_real_timestamp():
    from sentinel.collect.logs import parse_text

    text = (DATA / "logs_zeek/zeek_baseline_ssl_basic_canonified.log").read_text()
    (_, ev), = parse_text(text.replace("XXXXXXXXXX.XXXXXX\t", "1394745602.951961\t"))
    assert (ev.ts, ev.src_ip, ev.dst_ip, ev.dst_port) == (1394745602.951961, "192.168.1.105", "74.125.224.79", 443)
    assert (ev.tls_version, ev.tls_cipher, ev.sni, ev.dst_host, ev.scheme) == (
        "TLSv1.0", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "ssl.gstatic.com", "ssl.gstatic.com", "tls"
    )  # fmt: skip


# ----------------------------------------------------------------------------- suricata / AWS NFW


def test_suricata_nfw_values(parsed):
    a1, a2 = parsed("logs_suricata_eve/otel_aws_nfw_alert_multi.ndjson").events
    assert a1.ts == epoch(2025, 10, 20, 10, 30, 45, 123000)  # envelope event_timestamp
    assert a2.ts == epoch(2020, 10, 13, 22, 10, 1, 6481)  # inner Suricata timestamp wins
    assert (a1.action, a1.src_ip, a1.dst_ip, a1.dst_port, a1.scheme) == ("allowed", "192.168.1.100", "10.0.1.50", 443, "tcp")
    assert (a2.src_ip, a2.dst_ip, a2.dst_port) == ("203.0.113.4", "192.0.2.16", 111)

    (h,) = parsed("logs_suricata_eve/otel_aws_nfw_http_pretty.json").events
    assert (h.dst_host, h.url, h.scheme, h.dst_ip, h.dst_port) == ("example.com", "/api/v1/users", "http", "10.0.1.53", 80)
    assert h.user_agent == "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
    assert "abc123" not in repr(h)  # the cookie is not carried

    (n,) = parsed("logs_suricata_eve/otel_aws_nfw_netflow_pretty.json").events
    assert (n.ts, n.duration_ms, n.bytes_out, n.dst_ip) == (epoch(2025, 10, 20, 10, 30, 40), 5000.0, 45000, "10.0.1.51")

    (t,) = parsed("logs_suricata_eve/otel_aws_nfw_tls_pretty.json").events
    assert (t.sni, t.dst_host, t.scheme, t.dst_port, t.dst_ip) == ("example.com", "example.com", "tls", 443, "10.0.1.52")


# ----------------------------------------------------------------------------- VPC flow logs


def test_vpcflow_values(parsed):
    (t,) = parsed("logs_aws_vpcflow/otel_tgw_v6_flow.log").events
    assert (t.ts, t.duration_ms, t.src_ip, t.dst_ip, t.dst_port) == (1700000000.0, 60000.0, "10.0.0.1", "10.0.1.1", 443)
    assert (t.scheme, t.bytes_out, t.action) == ("tcp", 1000, "")

    a, r = parsed("logs_aws_vpcflow/otel_vpc_v2_header_accept_reject.log").events
    assert (a.ts, a.src_ip, a.dst_ip, a.dst_port, a.bytes_out, a.action) == (1418530010.0, "172.31.16.139", "172.31.16.21", 22, 4249, "ACCEPT")
    assert (r.dst_port, r.action) == (3389, "REJECT")

    cw = parsed("logs_aws_vpcflow/otel_vpc_cloudwatch_subscription.json")
    assert [(e.dst_port, e.action) for e in cw.events] == [(22, "ACCEPT"), (3389, "REJECT")]
    assert cw.offsets == [0, 0]  # one envelope record

    (e,) = parsed("logs_aws_vpcflow/otel_vpc_v5_custom_ecs_fields.log").events
    assert (e.src_ip, e.dst_ip, e.dst_port, e.bytes_out, e.action) == ("10.0.1.100", "10.0.2.200", 22, 3500, "ACCEPT")


def test_vpcflow_cloudwatch_custom_format_option(parsed):
    p = parsed(
        "logs_aws_vpcflow/otel_vpc_cloudwatch_custom_format_4fields.json",
        "vpcflow",
        {"format": "${version} ${interface-id} ${srcaddr} ${dstaddr}"},
    )
    assert not p.errors
    # no start field: the CloudWatch event timestamps (ms) date the records
    assert [(e.ts, e.src_ip, e.dst_ip) for e in p.events] == [
        (1733430000.0, "172.31.16.139", "172.31.16.21"),
        (1733430001.0, "172.31.9.69", "172.31.9.12"),
    ]
