"""Fuzzed lines never raise anything but ParseError out of a parser, and an error
message never carries the input (it may hold personal data)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sentinel.collect.logs
from sentinel.collect.logs import FAMILIES, ParseError, make_parser
from sentinel.collect.logs.base import REASONS
from sentinel.collect.logs.records import iter_records

from .conftest import DATA

OPTIONS = {"jsonl": {"mapping": {"ts": "time", "dst_host": "req.host", "url": "req.url", "bytes_out": "n"}}}


# The parsers' own source: a fuzzed line that is their own wording ("invalid JSON", which
# Hypothesis once drew) may stand in a message without having been echoed.
_PARSER_SOURCE = "".join(p.read_text(encoding="utf-8")
                         for p in Path(sentinel.collect.logs.__file__).parent.glob("*.py"))


def _sample_lines(rel: str) -> list[str]:
    return (DATA / rel).read_text(encoding="utf-8").splitlines()


# Real lines of each family, to mutate: random text alone rarely gets past the first check.
SEEDS = {
    "squid": _sample_lines("logs_squid/plaso_squid_access.log"),
    "nginx": _sample_lines("logs_nginx/lnav_shop_access_combined_xff.log")[:20]
    + ['{"time_local":"10/Oct/2000:13:55:36 -0700","remote_addr":"1.2.3.4","request":"GET /a HTTP/1.1","status":"200","upstream_addr":"1.2.3.4:443, 5.6.7.8:443"}'],
    "envoy": _sample_lines("logs_envoy/istio_docs_egress_access.log") + _sample_lines("logs_envoy/crowdsec_envoy_bad_user_agent.log"),
    "haproxy": _sample_lines("logs_haproxy/crowdsec_haproxy_http.log")
    + ['Feb 25 16:19:49 lb haproxy[7]: 10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0'],
    "zeek": _sample_lines("logs_zeek/lnav_zeek_http_tsv.log")[:12]
    + ['{"ts":1320279566.45,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"10.0.0.2","id.resp_p":443,"server_name":"a.b","version":"TLSv13"}'],
    "suricata": [" ".join(_sample_lines("logs_suricata_eve/otel_aws_nfw_netflow_pretty.json"))]
    + _sample_lines("logs_suricata_eve/otel_aws_nfw_alert_multi.ndjson"),
    "vpcflow": _sample_lines("logs_aws_vpcflow/otel_vpc_v2_header_accept_reject.log")
    + _sample_lines("logs_aws_vpcflow/otel_vpc_cloudwatch_subscription.json"),
    "jsonl": ['{"time":"2024-01-01T00:00:00Z","req":{"host":"Api.Stripe.com:443","url":"https://x.y/z?a=1"},"n":"12"}'],
}

_MUTATION = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400),
        st.integers(min_value=0, max_value=6),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=6)
        | st.sampled_from(['"', "\\", "{", "}", " ", "\t", "-", ":", "/", "[", "]", "null", "1e999", "#", ",", "%"]),
    ),
    max_size=4,
)


def _mutate(line: str, ops) -> str:
    for pos, cut, ins in ops:
        pos = min(pos, len(line))
        line = line[:pos] + ins + line[pos + cut :]
    return line


def _check(family: str, lines: list[str]) -> None:
    parser = make_parser(family, OPTIONS.get(family))
    for line in lines:
        try:
            if parser.expands:
                results = parser.parse_all(line)
            else:
                results = [parser.parse(line)]
        except ParseError as exc:
            results = [exc]
        for r in results:
            if isinstance(r, ParseError):
                assert r.reason in REASONS
                if len(line) >= 12 and line.strip() not in _PARSER_SOURCE:
                    assert line not in str(r) and line.strip() not in str(r)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_real_lines(family, data):
    seeds = SEEDS[family]
    lines = []
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        seed = data.draw(st.sampled_from(seeds))
        lines.append(_mutate(seed, data.draw(_MUTATION)))
    _check(family, lines)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@settings(max_examples=150, deadline=None)
@given(lines=st.lists(st.text(max_size=300), min_size=1, max_size=5))
@example(lines=["invalid JSON"])  # the not_json message's own words, drawn by Hypothesis once
@example(lines=["[" * 5000])
@example(lines=["{" * 3000 + "}" * 3000])
@example(lines=["#fields\tts", "#separator \\x", "1"])
@example(lines=["{\"logEvents\": [1, {\"message\": 5}, {\"message\": \"2 a b\"}], \"messageType\": \"DATA_MESSAGE\"}"])
@example(lines=["2025-12-31T17:37:40.4Z stdout P {\"a\"", "2025-12-31T17:37:40.4Z stdout F :1}"])
def test_random_text(family, lines):
    _check(family, lines)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.text(alphabet='{}[]"\\ ab:,\n', max_size=30), max_size=30))
def test_iter_records_keeps_every_line(lines):
    lines = [ln.replace("\n", "") for ln in lines]
    offsets = list(range(0, 100 * len(lines), 100))
    out = list(iter_records(zip(offsets, lines)))
    # every input line lands in exactly one record, in order, keyed by its first line
    assert "\n".join(r for _, r in out) == "\n".join(lines)
    assert [o for o, _ in out] == sorted(o for o, _ in out)
    assert set(o for o, _ in out) <= set(offsets)


def test_error_messages_do_not_quote_input():
    secret = "1677971735.123 x 10.0.0.1 TCP_MISS/200 5432 GET http://a.example/?email=jane.doe@example.com - - -"
    with pytest.raises(ParseError) as exc:
        make_parser("squid").parse(secret)
    assert exc.value.reason == "bad_number"
    assert "jane" not in str(exc.value)
    with pytest.raises(ParseError) as exc:
        make_parser("jsonl", OPTIONS["jsonl"]).parse('{"time": "jane.doe@example.com"}')
    assert exc.value.reason == "bad_timestamp" and "jane" not in str(exc.value)
