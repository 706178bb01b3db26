"""Secret rules: each provider pattern, entropy, and the allowlists for templated and
example values. Values are generated here (random, never real keys)."""

import base64
import json
import random
import string

import pytest

from tests.pii.conftest import scan_json

R = random.Random(1234)


def rnd(n, alphabet=string.ascii_letters + string.digits):
    return "".join(R.choice(alphabet) for _ in range(n))


def jwt():
    def b64(o):
        return base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
    return b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({"sub": "u-1", "exp": 1900000000}) + "." + rnd(43)


POSITIVES = [
    ("aws_access_key", "AKIA" + rnd(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
    ("gcp_api_key", "AIza" + rnd(35)),
    ("github_token", "ghp_" + rnd(36)),
    ("gitlab_token", "glpat-" + rnd(20)),
    ("slack_token", "xoxb-" + rnd(12, string.digits) + "-" + rnd(24)),
    ("stripe_secret_key", "sk_live_" + rnd(24)),
    ("stripe_secret_key", "rk_test_" + rnd(24)),
    ("sendgrid_api_key", "SG." + rnd(22) + "." + rnd(43)),
    ("openai_api_key", "sk-proj-" + rnd(48)),
    ("anthropic_api_key", "sk-ant-api03-" + rnd(95)),
    ("npm_token", "npm_" + rnd(36)),
    ("private_key", "-----BEGIN RSA PRIVATE KEY-----"),
    ("jwt", jwt()),
]


@pytest.mark.parametrize("subtype,value", POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)])
def test_rule_positives(scanner, subtype, value):
    fs = [f for f in scanner.scan_text(f"config value={value} end") if f.category == "SECRET"]
    assert [f.subtype for f in fs] == [subtype]
    assert value not in fs[0].masked and "****" in fs[0].masked


@pytest.mark.parametrize("value", [
    "AKIAIOSFODNN7EXAMPLE",  # AWS documentation key
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",  # placeholder
    "sk_live_${STRIPE_KEY}",
    "ghp_" + "a" * 36,  # repeated characters: no entropy
    "AIza" + "0" * 35,
    "xoxb-your-token-here-please",
])
def test_rule_negatives(scanner, value):
    assert not [f for f in scanner.scan_text(f"key={value}") if f.category == "SECRET"]


def test_stripe_mask_keeps_mode_prefix(scanner):
    key = "sk_live_" + rnd(24)
    (f,) = [f for f in scanner.scan_text(key) if f.category == "SECRET"]
    assert f.masked == "sk_live_****"


@pytest.mark.parametrize("field,value,subtype", [
    ("client_secret", rnd(32), "generic_high_entropy"),
    ("x-api-key", rnd(40), "generic_high_entropy"),
    ("api_key", rnd(32, "0123456789abcdef"), "generic_high_entropy"),
    ("password", "hunter2!x", "password"),
    ("auth_token", rnd(28), "generic_high_entropy"),
])
def test_generic_secret_fields(scanner, field, value, subtype):
    fs = [f for f in scan_json(scanner, {field: value}) if f.category == "SECRET"]
    assert [f.subtype for f in fs] == [subtype]


@pytest.mark.parametrize("field,value", [
    ("client_secret", "${CLIENT_SECRET}"), ("api_key", "{{ api_key }}"), ("token", "<token>"),
    ("password", "********"), ("password", "changeme"), ("api_key", "your_api_key"),
    ("secret", "aaaaaaaaaaaaaaaaaaaa"), ("token", rnd(32, "0123456789abcdef")),  # hex under a plain "token": a public id
    ("keyboard_layout", "dvorak-" + rnd(20)),  # "key" is a substring, not a token
    ("public_key", rnd(40)),  # "key" without a secret word
    ("password", "true"),
])
def test_generic_secret_negatives(scanner, field, value):
    assert not [f for f in scan_json(scanner, {field: value}) if f.category == "SECRET"]


def test_authorization_header_schemes(scanner):
    bearer = rnd(40)
    basic = base64.b64encode(b"api:" + rnd(32).encode()).decode()
    for header, subtype in ((f"Bearer {bearer}", "bearer_token"), (f"Basic {basic}", "basic_auth"), (f"Bearer {jwt()}", "jwt")):
        fs = [f for f in scanner.scan_request("GET", "/", [("Authorization", header)], b"") if f.category == "SECRET"]
        assert [f.subtype for f in fs] == [subtype], header
        assert fs[0].location == "header" and fs[0].field_path == "header.authorization"
    # A write key with an empty password (Segment) is not a secret; nor is a placeholder.
    for header in ("Basic " + base64.b64encode(b"writekey123:").decode(), "Bearer <token>", "Bearer ${TOKEN}"):
        assert not scanner.scan_request("GET", "/", [("Authorization", header)], b"")


def test_url_credentials(scanner):
    fs = scan_json(scanner, {"dsn": "postgres://app:" + rnd(20) + "@db.example.net:5432/app"})
    assert [f.subtype for f in fs if f.category == "SECRET"] == ["url_credentials"]


def test_keywords_gate_the_regex(scanner):
    # A sample without any rule keyword never runs that rule's regex: nothing to find.
    assert not [f for f in scanner.scan_text("plain words and 12345 numbers only") if f.category == "SECRET"]
