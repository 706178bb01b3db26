from __future__ import annotations

import pytest

from sentinel.config.registry import Registry
from sentinel.registry import SubprocessorRegistry, ambiguous_rules, normalise_host, unreachable_rules

REGISTRY = SubprocessorRegistry(Registry.model_validate({
    "unknown": {"ignore": ["ubuntu.com"]},
    "subprocessor": [
        {"name": "stripe", "domains": ["stripe.com"]},
        {"name": "stripe_files", "domains": ["files.stripe.com"]},
        {"name": "sentry", "domains": ["*.sentry.io"]},
        {"name": "ses", "domains": ["email.*.amazonaws.com"]},
        {"name": "aws", "domains": ["amazonaws.com"]},
        {"name": "netblock", "cidrs": ["198.51.100.0/24", "2001:db8::/32"]},
        {"name": "netblock_narrow", "cidrs": ["198.51.100.128/25"]},
    ],
}))


@pytest.mark.parametrize("host, expected", [
    ("stripe.com", "stripe"),
    ("api.stripe.com", "stripe"),
    ("API.Stripe.COM.", "stripe"),
    ("api.stripe.com:443", "stripe"),
    ("files.stripe.com", "stripe_files"),  # the longer suffix wins
    ("a.files.stripe.com", "stripe_files"),
    ("notstripe.com", ""),
    ("stripe.com.evil.example", ""),
    ("o123.ingest.sentry.io", "sentry"),
    ("sentry.io", ""),  # *.sentry.io is subdomains only
    ("email.eu-west-1.amazonaws.com", "ses"),  # a one-label wildcard beats the shorter suffix
    ("s3.eu-west-1.amazonaws.com", "aws"),
    ("email.a.b.amazonaws.com", "aws"),  # * is exactly one label
])
def test_host_rules(host, expected):
    assert REGISTRY.classify(host=host).subprocessor == expected


@pytest.mark.parametrize("ip, expected", [
    ("198.51.100.7", "netblock"),
    ("198.51.100.200", "netblock_narrow"),  # longest prefix wins
    ("::ffff:198.51.100.7", "netblock"),
    ("2001:db8:1::5", "netblock"),
    ("203.0.113.1", ""),
    ("garbage", ""),
])
def test_address_rules(ip, expected):
    assert REGISTRY.classify(ip=ip).subprocessor == expected


def test_names_win_over_addresses_and_sni_over_host():
    assert REGISTRY.classify(sni="api.stripe.com", host="unknown.example", ip="198.51.100.7").subprocessor == "stripe"
    assert REGISTRY.classify(host="unknown.example", ip="198.51.100.7").subprocessor == ""
    assert REGISTRY.classify(host="198.51.100.7").subprocessor == "netblock"  # a Host header that is an address


@pytest.mark.parametrize("host, domain", [
    ("sdk.xinxiansk.com", "xinxiansk.com"),
    ("www.bbc.co.uk", "bbc.co.uk"),
    ("user.github.io", "user.github.io"),  # private PSL suffixes are honoured
    ("localhost", "localhost"),
])
def test_unknown_destinations_keep_registrable_domain(host, domain):
    match = REGISTRY.classify(host=host)
    assert match.subprocessor == "" and match.registrable_domain == domain


def test_ignore_list():
    assert REGISTRY.is_ignored("archive.ubuntu.com")
    assert not REGISTRY.is_ignored("ubuntu.com.example")


@pytest.mark.parametrize("raw, host", [("[2001:db8::1]:443", "2001:db8::1"), ("Example.COM:8080", "example.com"),
                                       ("2001:db8::1", "2001:db8::1")])
def test_normalise_host(raw, host):
    assert normalise_host(raw) == host


def test_shipped_registry_maps_real_api_domains():
    from sentinel.config import load_registry

    registry = SubprocessorRegistry(load_registry()[0])
    for host, name in [("api.stripe.com", "stripe"), ("api.segment.io", "segment"), ("api.openai.com", "openai"),
                       ("o1.ingest.sentry.io", "sentry"), ("api.sendgrid.com", "sendgrid"),
                       ("email.us-east-1.amazonaws.com", "amazon_ses"), ("api.twilio.com", "twilio"),
                       ("http-intake.logs.datadoghq.com", "datadog"), ("myco.openai.azure.com", "azure_openai")]:
        assert registry.classify(host=host).subprocessor == name, host


@pytest.mark.parametrize("host, ip, expected", [
    ("203.0.113.10", "", ("", "", "203.0.113.10")),  # an address as the URL's host, no cidrs cover it
    ("[2606:4700::1]:8443", "", ("", "", "2606:4700::1")),
    ("203.0.113.10", "198.51.100.7", ("netblock", "", "198.51.100.7")),  # the connection's address is covered
    ("203.0.113.10", "192.0.2.1", ("", "", "203.0.113.10")),  # neither: the address the client asked for
    ("", "192.0.2.1", ("", "", "192.0.2.1")),
])
def test_an_unknown_address_is_the_destination(host, ip, expected):
    match = REGISTRY.classify(host=host, ip=ip)
    assert (match.subprocessor, match.registrable_domain, match.host) == expected


def _registry(*subprocessors: tuple[str, list[str], list[str]]) -> Registry:
    return Registry.model_validate({"subprocessor": [{"name": name, "domains": domains, "cidrs": cidrs}
                                                     for name, domains, cidrs in subprocessors]})


@pytest.mark.parametrize("subprocessors, key, message, probe, goes_to", [
    # stripe.com covers the subdomains too, and without '*' it wins the tie
    ((("stripe", ["stripe.com"], []), ("acme", ["*.stripe.com"], [])), "subprocessor[1].domains[0]",
     "'*.stripe.com' of 'acme' never matches: 'stripe.com' of 'stripe' (subprocessor[0].domains[0]) wins over it at "
     "every host it covers; drop it, or list the hosts meant for 'acme' without '*' (the most specific rule wins)",
     {"host": "api.stripe.com"}, "stripe"),
    ((("acme", ["hooks.example.com", "*.example.com"], []), ("example", ["example.com"], [])),
     "subprocessor[0].domains[1]", "'*.example.com' of 'acme' never matches: 'example.com' of 'example' "
     "(subprocessor[1].domains[0]) wins over it", {"host": "www.example.com"}, "example"),
    ((("wide", [], ["10.0.0.0/24"]), ("low", [], ["10.0.0.0/25"]), ("high", [], ["10.0.0.128/26", "10.0.0.192/26"])),
     "subprocessor[0].cidrs[0]", "'10.0.0.0/24' of 'wide' never matches: longer prefixes of other sub-processors "
     "cover every address in it (10.0.0.0/25 of low, 10.0.0.128/26 of high, 10.0.0.192/26 of high)",
     {"ip": "10.0.0.200"}, "high"),
])
def test_a_rule_other_subprocessors_always_beat_is_reported(subprocessors, key, message, probe, goes_to):
    registry = _registry(*subprocessors)
    assert ambiguous_rules(registry) == []  # not refused: every host goes to the most specific rule
    assert [(k, m[:len(message)]) for k, m in unreachable_rules(registry)] == [(key, message)]
    assert SubprocessorRegistry(registry).classify(**probe).subprocessor == goes_to


@pytest.mark.parametrize("subprocessors", [
    (("stripe", ["stripe.com"], []), ("stripe_files", ["files.stripe.com"], [])),
    (("datadog", ["*.datadoghq.com"], []), ("logs", ["http-intake.logs.datadoghq.com"], [])),
    (("aws", ["amazonaws.com"], []), ("ses", ["email.*.amazonaws.com"], [])),
    (("acme", ["*.example.com"], []), ("api", ["api.example.com"], [])),  # other hosts still reach acme
    (("stripe", ["stripe.com", "*.stripe.com"], []), ("acme", ["acme.test"], [])),  # its own rule: redundant only
    (("wide", [], ["10.0.0.0/24"]), ("low", [], ["10.0.0.0/25"])),  # the upper half still reaches wide
    (("wide", [], ["10.0.0.0/24", "10.0.0.128/25"]), ("low", [], ["10.0.0.0/25"])),  # covered, half by its own
])
def test_overlaps_the_most_specific_rule_settles_are_neither_refused_nor_reported(subprocessors):
    registry = _registry(*subprocessors)
    assert ambiguous_rules(registry) == [] and unreachable_rules(registry) == []


def test_a_pattern_tie_is_refused_only_where_no_more_specific_rule_takes_the_hosts():
    tie = [("ses", ["email.*.amazonaws.com"], []), ("aws", ["*.*.amazonaws.com"], [])]
    # the order of the file decided: the first listed got email.eu-west-1.amazonaws.com
    assert SubprocessorRegistry(_registry(*tie)).classify(host="email.eu-west-1.amazonaws.com").subprocessor == "ses"
    assert SubprocessorRegistry(_registry(*tie[::-1])).classify(host="email.eu-west-1.amazonaws.com").subprocessor \
        == "aws"
    assert [key for key, _ in ambiguous_rules(_registry(*tie))] == ["subprocessor[1].domains[0]"]
    # they share one host, and a rule without '*' takes it from both: nothing left to the order
    shared = [("mail", ["email.*.example.com"], []), ("eu", ["email.eu.*.com"], [])]
    assert [key for key, _ in ambiguous_rules(_registry(*shared))] == ["subprocessor[1].domains[0]"]
    settled = [*shared, ("eu_mail", ["email.eu.example.com"], [])]
    assert ambiguous_rules(_registry(*settled)) == []
    assert SubprocessorRegistry(_registry(*settled)).classify(host="email.eu.example.com").subprocessor == "eu_mail"


def test_the_shipped_registry_has_no_ambiguous_or_unreachable_rule():
    from sentinel.config import load_registry

    registry = load_registry()[0]
    assert ambiguous_rules(registry) == [] and unreachable_rules(registry) == []
