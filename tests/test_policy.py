"""Policy decisions, table-driven, with real detector Finding objects."""

from __future__ import annotations

import pytest

from detectors.pii.finding import Finding
from sentinel.config.registry import Registry
from sentinel.policy import SECRET_ISSUERS, PolicyEngine, RequestFacts, tls_rank
from sentinel.registry import Match, SubprocessorRegistry

REGISTRY = Registry.model_validate({
    "unknown": {"severity": "low", "pii_severity": "high", "ignore": ["ubuntu.com"]},
    "secrets": {"severity": "critical", "allow_to": ["vault"]},
    "subprocessor": [
        {"name": "segment", "domains": ["segment.io"],
         "policy": {"allow": ["EMAIL"], "fields": ["$.traits.email", "$.batch[].traits.email"]}},
        {"name": "mixpanel", "domains": ["mixpanel.com"], "policy": {"allow": []}},
        {"name": "stripe", "domains": ["stripe.com"], "policy": {
            "allow": ["EMAIL", "CREDIT_CARD", "PERSON"], "deny": ["US_SSN"], "min_tls_version": "1.2",
            "severity": "medium",
            "endpoints": [{"path": "/v1/tokens*", "methods": ["POST"], "allow": ["CREDIT_CARD"]}]}},
        {"name": "vault", "domains": ["vault.example"]},
        {"name": "legacy", "domains": ["legacy.example"], "policy": {"tls_required": False, "allow": ["*"]}},
    ],
})


def finding(category="EMAIL", field_path="$.traits.email", watchlist=False, location="body", subtype=""):
    return Finding(category, subtype, "plain", location, field_path, 0, 5, 0.9, "test", "j***@e***.com",
                   "ab" * 32, watchlist)


def facts(method="POST", path="/v1/track", scheme="https", tls="TLSv1.3"):
    return RequestFacts(ts=1.0, method=method, path=path, endpoint=f"{method} {path}", scheme=scheme,
                        tls_version=tls)


def match(sub):
    return Match(sub, f"{sub}.com" if sub else "tracker.example", f"api.{sub or 'tracker'}.com")


@pytest.mark.parametrize("sub, found, method, path, kind, severity", [
    ("segment", finding("EMAIL", "$.traits.email"), "POST", "/v1/identify", "new_field_path", "low"),
    ("segment", finding("EMAIL", "$.properties.email"), "POST", "/v1/track", "unapproved_field", "high"),
    ("segment", finding("PHONE_NUMBER", "$.traits.phone"), "POST", "/v1/track", "unapproved_category", "high"),
    ("mixpanel", finding("EMAIL", "query.data"), "GET", "/track", "unapproved_category", "high"),
    ("", finding("EMAIL", "query.em"), "GET", "/px", "pii_to_unknown", "high"),
    ("stripe", finding("SECRET", "header.authorization", location="header", subtype="stripe_secret_key"),
     "POST", "/v1/charges", None, None),
    ("stripe", finding("SECRET", "form.metadata[note]", subtype="aws_access_key"), "POST", "/v1/charges",
     "secret_leak", "critical"),
    ("", finding("SECRET", "header.authorization", location="header"), "GET", "/", "secret_leak", "critical"),
    # in a login field, a key that names its issuer is a credential only for that issuer
    ("segment", finding("SECRET", "header.authorization", location="header", subtype="stripe_secret_key"),
     "POST", "/v1/track", "secret_leak", "critical"),
    ("mixpanel", finding("SECRET", "query.key", location="query", subtype="stripe_secret_key"), "GET", "/track",
     "secret_leak", "critical"),
    ("segment", finding("SECRET", "header.authorization", location="header", subtype="bearer_token"),
     "POST", "/v1/track", None, None),
    ("vault", finding("SECRET", "header.authorization", location="header", subtype="stripe_secret_key"),
     "POST", "/v1/secret", None, None),  # secrets.allow_to
    ("vault", finding("SECRET", "$.data.value"), "POST", "/v1/secret", None, None),
    ("stripe", finding("US_SSN", "form.ssn"), "POST", "/v1/customers", "unapproved_category", "medium"),
    ("stripe", finding("EMAIL", "form.email"), "POST", "/v1/tokens", "unapproved_category", "medium"),
    ("stripe", finding("CREDIT_CARD", "form.card[number]"), "POST", "/v1/tokens", "new_field_path", "low"),
    ("stripe", finding("PERSON", "form.name"), "GET", "/v1/tokens", "new_field_path", "low"),  # rule is POST-only
    ("mixpanel", finding("EMAIL", "query.data", watchlist=True), "GET", "/track", "watchlist_hit", "critical"),
    ("legacy", finding("NATIONAL_ID", "form.nino"), "POST", "/x", "new_field_path", "low"),
    # GDPR Art. 9 data: raised to [special_categories]' severity (critical by default)
    ("stripe", finding("SPECIAL_CATEGORY", "form.metadata[diagnosis]", subtype="health"), "POST", "/v1/charges",
     "unapproved_category", "critical"),
    ("", finding("SPECIAL_CATEGORY", "query.cd[condition]", subtype="health"), "GET", "/tr", "pii_to_unknown",
     "critical"),
    ("legacy", finding("SPECIAL_CATEGORY", "form.religion", subtype="religion"), "POST", "/x", "new_field_path",
     "low"),  # allowed: no violation to raise
])
def test_finding_decisions(sub, found, method, path, kind, severity):
    engine = PolicyEngine(REGISTRY)
    engine.seen_unknown.add("tracker.example")  # isolate finding decisions from first-sight alerts
    violations = engine.evaluate(facts(method, path), match(sub), [found])
    if kind is None:
        assert violations == []
    else:
        assert [(v.kind, v.severity) for v in violations] == [(kind, severity)]
        assert violations[0].masked == ("j***@e***.com",) and violations[0].rule


def test_the_special_categories_severity_is_configurable():
    registry = Registry.model_validate({**REGISTRY.model_dump(), "special_categories": {"severity": "medium"}})
    engine = PolicyEngine(registry)
    found = finding("SPECIAL_CATEGORY", "$.properties.condition", subtype="health")
    # never lowered below the sub-processor's own severity
    assert [(v.kind, v.severity) for v in engine.evaluate(facts(), match("mixpanel"), [found])] == \
        [("unapproved_category", "high")]
    assert [(v.kind, v.severity) for v in engine.evaluate(facts(), match("stripe"), [found])] == \
        [("unapproved_category", "medium")]


def test_a_key_in_a_login_field_of_another_vendor_says_whose_it_is():
    engine = PolicyEngine(REGISTRY)
    found = finding("SECRET", "header.authorization", location="header", subtype="stripe_secret_key")
    [violation] = engine.evaluate(facts(), match("segment"), [found])
    assert "stripe.com" in violation.rule and "segment.com" in violation.rule


@pytest.mark.parametrize("destination, allowed", [
    ("stripe.com", True), ("api.stripe.com", True), ("API.Stripe.com.", True),
    ("notstripe.com", False), ("stripe.com.evil.example", False), ("", False), ("52.1.1.9", False),
])
def test_a_keys_issuer_is_its_domain_and_subdomains(destination, allowed):
    engine = PolicyEngine(REGISTRY)
    assert engine.secret_allows("stripe", destination, "header.authorization", "stripe_secret_key")[0] is allowed
    # a secret that names no issuer keeps the field rule alone
    assert engine.secret_allows("stripe", destination, "header.authorization", "bearer_token") == \
        (True, "credential for the sub-processor's own API")


@pytest.mark.parametrize("destination, field, subtype, allowed, because", [
    # A browser's Google API key on its way to Google, which no registry lists: its own use.
    ("jnn-pa.googleapis.com", "header.x-goog-api-key", "gcp_api_key", True, "own API"),
    ("evil.example", "header.x-goog-api-key", "gcp_api_key", False, "a credential for googleapis.com"),
    ("jnn-pa.googleapis.com", "body.key", "gcp_api_key", False, "outside its authentication fields"),
    # A token that names no issuer: the registry alone can say it belongs there.
    ("evil.example", "header.authorization", "bearer_token", False, "no sub-processor in the registry covers"),
])
def test_a_key_to_an_unregistered_destination_is_judged_by_its_issuer(destination, field, subtype, allowed, because):
    allows, why = PolicyEngine(REGISTRY).secret_allows("", destination, field, subtype)
    assert allows is allowed and because in why


def test_every_issuer_names_a_subtype_the_detectors_report():
    from detectors.pii.secrets import RULES

    assert set(SECRET_ISSUERS) <= {rule.subtype for rule in RULES}
    assert {"bearer_token", "basic_auth", "jwt", "generic_high_entropy", "password"}.isdisjoint(SECRET_ISSUERS)


def test_approved_path_is_reported_once_then_quiet():
    engine = PolicyEngine(REGISTRY)
    first = engine.evaluate(facts(), match("segment"), [finding()])
    again = engine.evaluate(facts(), match("segment"), [finding()])
    assert [v.kind for v in first] == ["new_field_path"] and again == []


def test_known_paths_from_history_are_not_new():
    engine = PolicyEngine(REGISTRY, known_paths={("segment", "EMAIL", "$.traits.email")})
    assert engine.evaluate(facts(), match("segment"), [finding()]) == []


@pytest.mark.parametrize("scheme, tls, kind", [
    ("http", "", "plaintext_transfer"),
    ("https", "TLSv1.1", "weak_tls"),
    ("https", "TLSv1.0", "weak_tls"),
    ("https", "SSLv3", "weak_tls"),
    ("https", "TLSv1.2", None),
    ("https", "TLSv1.3", None),
    ("https", "", None),  # unknown version: no claim
])
def test_transport_rules(scheme, tls, kind):
    violations = PolicyEngine(REGISTRY).evaluate(facts(scheme=scheme, tls=tls), match("stripe"), [])
    assert [v.kind for v in violations] == ([kind] if kind else [])


def test_plaintext_allowed_when_tls_not_required():
    assert PolicyEngine(REGISTRY).evaluate(facts(scheme="http"), match("legacy"), []) == []


def test_unknown_destination_reported_on_first_sight_only_and_ignore_list():
    engine = PolicyEngine(REGISTRY)
    first = engine.evaluate(facts(), Match("", "tracker.example", "cdn.tracker.example"), [])
    again = engine.evaluate(facts(), Match("", "tracker.example", "cdn.tracker.example"), [])
    ignored = engine.evaluate(facts(), Match("", "ubuntu.com", "archive.ubuntu.com"), [])
    assert [v.kind for v in first] == ["unknown_destination"] and again == [] and ignored == []
    assert first[0].labels() == {"kind": "unknown_destination", "subprocessor": "unknown",
                                 "destination": "tracker.example", "endpoint": "POST /v1/track"}


def test_an_unknown_destination_is_one_alert_whichever_path_comes_first():
    from sentinel.judge import to_alert

    # A restarted daemon sees the destination again, first at another path: still the same alert.
    alerts = [to_alert(PolicyEngine(REGISTRY).evaluate(facts(method, path), Match("", "tracker.example",
                                                                                "cdn.tracker.example"), [])[0])
              for method, path in (("POST", "/v1/track"), ("GET", "/pixel.gif"))]
    assert alerts[0].fingerprint == alerts[1].fingerprint
    assert [a.evidence["endpoint"] for a in alerts] == ["POST /v1/track", "GET /pixel.gif"]


def test_labels_identify_condition_without_values():
    (violation,) = PolicyEngine(REGISTRY).evaluate(facts(), match("mixpanel"), [finding("EMAIL", "query.em")])
    labels = violation.labels()
    assert labels == {"kind": "unapproved_category", "subprocessor": "mixpanel", "category": "EMAIL",
                      "field_path": "query.em", "endpoint": "POST /v1/track"}


@pytest.mark.parametrize("text, rank", [("TLSv1.2", 1.2), ("TLS 1.3", 1.3), ("tls1_1", 1.1), ("1.0", 1.0),
                                        ("SSLv3", 0.0), ("", None), ("unknown", None)])
def test_tls_rank(text, rank):
    assert tls_rank(text) == rank


# -- field-path patterns (`fields`): as the detectors write paths --------------------------------
def _engine_with_fields(fields: list[str]) -> PolicyEngine:
    return PolicyEngine(Registry.model_validate({"subprocessor": [
        {"name": "acme", "domains": ["acmecrm.io"], "policy": {"allow": ["*"], "fields": fields}}]}))


def _scan(body: bytes, content_type: str) -> list:
    from detectors.pii import Scanner

    return Scanner({}, key=b"k").scan_request("POST", "https://api.acmecrm.io/v1/x", [], body, content_type)


def _otlp_export_with_an_email() -> bytes:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs

    record = LogRecord(attributes=[KeyValue(key="user.email", value=AnyValue(string_value="jane.doe@example.org"))])
    return ExportLogsServiceRequest(resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=[record])])]
                                    ).SerializeToString()


@pytest.mark.parametrize("body, content_type, path, pattern", [
    (b'{"a": [{"b": [{"email": "jane.doe@example.org"}]}]}', "application/json", "$.a[].b[].email",
     "$.a[].b[].email"),
    (b'{"a": [{"b": [{"email": "jane.doe@example.org"}]}]}', "application/json", "$.a[].b[].email",
     "$.a[*].b[0].email"),  # an index or [*] reads as []
    (None, "application/x-protobuf", "pb.1.2.2.6[user.email]", "pb.1.2.2.6[user.email]"),
])
def test_a_field_pattern_matches_the_path_the_detectors_give(body, content_type, path, pattern):
    [found] = [f for f in _scan(body or _otlp_export_with_an_email(), content_type) if f.category == "EMAIL"]
    assert found.field_path == path
    engine = _engine_with_fields([pattern])
    assert [v.kind for v in engine.evaluate(facts(), Match("acme", "acmecrm.io", "api.acmecrm.io"), [found])] == \
        ["new_field_path"]


@pytest.mark.parametrize("pattern, path, allowed", [
    ("pb.1.2.2.6[user.email]", "pb.1.2.2.6u", False),  # brackets are literal, not a set of characters
    ("pb.1.2.2.6[user.email]", "pb.1.2.2.6[user.email]", True),
    ("$.a[].b[].email", "$.a[].b[].email", True),
    ("$.user.*", "$.user.address.city", True),  # * crosses dots
    ("form.*", "form.card[number]", True),
    ("header.x-batch[0].$.email", "header.x-batch[3].$.email", True),  # a path's index reads as [] too
    ("$.user.email", "$.user.emails", False),
])
def test_field_pattern_syntax(pattern, path, allowed):
    assert _engine_with_fields([pattern]).allows("acme", "POST", "/v1/x", "EMAIL", path)[0] is allowed


def test_ignore_rules_are_domain_rules_on_the_host():
    # "archive.ubuntu.com" is that host (and below), not all of ubuntu.com; "*.debian.org" is
    # the subdomains, not the apex: the rules of a sub-processor's domains.
    registry = Registry.model_validate({"unknown": {"ignore": ["archive.ubuntu.com", "*.debian.org"]},
                                        "subprocessor": [{"name": "acme", "domains": ["acmecrm.io"]}]})
    engine, hosts = PolicyEngine(registry), SubprocessorRegistry(registry)
    alerted = [host for host in ("archive.ubuntu.com", "mirror.archive.ubuntu.com", "security.ubuntu.com",
                                 "security.debian.org", "debian.org")
               if engine.evaluate(facts("GET", "/"), hosts.classify(host=host), [])]
    assert alerted == ["security.ubuntu.com", "debian.org"]
    assert [hosts.is_ignored(host) for host in ("archive.ubuntu.com", "security.ubuntu.com", "debian.org")] == \
        [True, False, False]


def test_ignore_rules_take_addresses_and_ranges_for_destinations_reached_by_address():
    # An address is a destination of its own (a cloud's metadata service, a peer behind NAT):
    # without a range in ignore, each one seen would be an unknown_destination alert.
    registry = Registry.model_validate({"unknown": {"ignore": ["169.254.169.254", "10.0.0.0/8", "fd00::/8",
                                                               "ubuntu.com"]},
                                        "subprocessor": [{"name": "acme", "domains": ["acmecrm.io"]}]})
    assert registry.unknown.ignore[:3] == ["169.254.169.254/32", "10.0.0.0/8", "fd00::/8"]
    engine, hosts = PolicyEngine(registry), SubprocessorRegistry(registry)
    alerted = [host for host in ("169.254.169.254", "10.1.2.3", "[fd00::5]", "203.0.113.10", "ubuntu.com")
               if engine.evaluate(facts("GET", "/"), hosts.classify(host=host), [])]
    assert alerted == ["203.0.113.10"]


# -- endpoint rules ---------------------------------------------------------------------------------
ENDPOINTS = Registry.model_validate({"subprocessor": [{"name": "acme", "domains": ["acmecrm.io"], "policy": {
    "allow": ["EMAIL"], "fields": ["$.contact.email"], "deny": ["US_SSN"],
    "endpoints": [
        {"path": "/v2/*", "allow": ["EMAIL", "PHONE_NUMBER"]},
        {"path": "/v2/billing/*", "methods": ["POST"], "allow": ["CREDIT_CARD"], "fields": ["$.card.*"]},
        {"path": "/v2/lookup", "allow": []},
        {"path": "/v2/import", "fields": []},
    ]}}]})


@pytest.mark.parametrize("method, path, category, field_path, allowed, rule", [
    # allow = [] at an endpoint is no personal data, not "the sub-processor's allow"
    ("GET", "/v2/lookup", "EMAIL", "$.contact.email", False, "acme /v2/lookup may receive no personal data; not EMAIL"),
    # the most specific matching endpoint wins, wherever it is listed
    ("POST", "/v2/billing/charge", "CREDIT_CARD", "$.card.number", True, "acme /v2/billing/* may receive CREDIT_CARD"),
    ("POST", "/v2/billing/charge", "EMAIL", "$.contact.email", False, "acme /v2/billing/* may receive CREDIT_CARD"),
    ("GET", "/v2/billing/charge", "PHONE_NUMBER", "$.contact.email", True, "acme /v2/* may receive PHONE_NUMBER"),
    # an endpoint without fields keeps the sub-processor's; fields = [] is any field
    ("POST", "/v2/contacts", "EMAIL", "$.notes.email", False, "only at $.contact.email"),
    ("POST", "/v2/import", "EMAIL", "$.notes.email", True, "acme /v2/import may receive EMAIL"),
    ("POST", "/v1/contacts", "EMAIL", "$.contact.email", True, "acme may receive EMAIL"),
    ("POST", "/v2/import", "US_SSN", "$.ssn", False, "acme must never receive US_SSN"),  # deny holds everywhere
])
def test_endpoint_rules(method, path, category, field_path, allowed, rule):
    got, why = PolicyEngine(ENDPOINTS).allows("acme", method, path, category, field_path)
    assert got is allowed and rule in why


def test_deny_every_category_refuses_personal_data_at_every_endpoint():
    # deny = ["*"] compared "*" with each category literally, so denied nothing.
    registry = Registry.model_validate({"subprocessor": [{"name": "cdn", "domains": ["cdn.example"], "policy": {
        "deny": ["*"], "endpoints": [{"path": "/upload", "fields": []}]}}]})
    engine = PolicyEngine(registry)
    for path in ("/", "/upload"):
        assert engine.allows("cdn", "POST", path, "EMAIL", "$.email") == (False, "category: cdn must never receive EMAIL")


def test_endpoint_methods_in_any_case_and_star_for_any_method():
    registry = Registry.model_validate({"subprocessor": [{"name": "acme", "domains": ["acmecrm.io"], "policy": {
        "allow": ["EMAIL"], "endpoints": [{"path": "/v1/*", "methods": ["post"], "allow": []},
                                          {"path": "/v2/*", "methods": ["*"], "allow": []}]}}]})
    assert registry.subprocessor[0].policy.endpoints[0].methods == ["POST"]
    engine = PolicyEngine(registry)
    for method, path in (("POST", "/v1/x"), ("GET", "/v2/x"), ("DELETE", "/v2/x")):
        got, why = engine.allows("acme", method, path, "EMAIL", "$.email")
        assert not got and why.endswith("may receive no personal data; not EMAIL"), (method, path)


def test_a_weak_tls_alert_names_its_version_not_a_category():
    from sentinel.judge import to_alert

    (violation,) = PolicyEngine(REGISTRY).evaluate(facts(tls="TLSv1.0"), match("stripe"), [])
    assert (violation.category, violation.tls_version) == ("", "TLSv1.0")
    alert = to_alert(violation)
    assert alert.category == "" and alert.title == "Weak TLS (TLSv1.0) to stripe"
    assert alert.identity() == {"kind": "weak_tls", "subprocessor": "stripe", "tls_version": "TLSv1.0"}
