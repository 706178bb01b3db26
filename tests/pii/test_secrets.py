"""Secret rules: each provider pattern, entropy, and the allowlists for templated and
example values. Values are generated here (random, never real keys)."""

import base64
import json
import random
import string

import pytest
import re2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from detectors.pii.recognizers.secret import whole_match_group
from detectors.pii.rx import WheelPattern
from detectors.pii.secrets import RULES
from tests.pii.conftest import scan_json

R = random.Random(1234)
HEX = "0123456789abcdef"


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
    ("huggingface_token", "hf_" + rnd(34, string.ascii_letters)),
    ("groq_api_key", "gsk_" + rnd(52)),
    ("replicate_api_token", "r8_" + rnd(37)),
    ("google_oauth_client_secret", "GOCSPX-" + rnd(28)),
    ("telegram_bot_token", "123456789:AA" + rnd(33)),
    ("digitalocean_token", "dop_v1_" + rnd(64, "0123456789abcdef")),
    ("databricks_token", "dapi" + rnd(32, "0123456789abcdef")),
    ("linear_api_key", "lin_api_" + rnd(40)),
    ("new_relic_key", "NRAK-" + rnd(27, string.ascii_uppercase + string.digits)),
    ("vault_token", "hvs." + rnd(100)),
    ("sentry_auth_token", "sntrys_" + rnd(80)),
    ("mailchimp_api_key", rnd(32, "0123456789abcdef") + "-us12"),
    ("grafana_token", "glsa_" + rnd(32) + "_" + rnd(8, "0123456789abcdef")),
    ("private_key", "-----BEGIN RSA PRIVATE KEY-----"),
    ("atlassian_api_token", "ATATT3" + rnd(186, string.ascii_letters + string.digits + "_-")),
    ("postman_api_key", "PMAK-" + rnd(24, HEX) + "-" + rnd(34, HEX)),
    ("docker_hub_token", "dckr_pat_" + rnd(27)),
    ("pulumi_token", "pul-" + rnd(40, HEX)),
    ("doppler_token", "dp.pt." + rnd(43)),
    ("terraform_cloud_token", rnd(14) + ".atlasv1." + rnd(67)),
    ("brevo_api_key", "xkeysib-" + rnd(64, HEX) + "-" + rnd(16)),
    ("figma_token", "figd_" + rnd(40)),
    ("supabase_token", "sbp_" + rnd(40, HEX)),
    ("age_secret_key", "AGE-SECRET-KEY-1" + rnd(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L")),
    ("planetscale_token", "pscale_tkn_" + rnd(43)),
    ("openrouter_api_key", "sk-or-v1-" + rnd(64, HEX)),
    ("perplexity_api_key", "pplx-" + rnd(48)),
    ("xai_api_key", "xai-" + rnd(80)),
    ("hubspot_token", "pat-na1-" + "-".join(rnd(n, HEX) for n in (8, 4, 4, 4, 12))),
    ("braintree_access_token", "access_token$production$" + rnd(16, string.ascii_lowercase + string.digits) + "$"
     + rnd(32, HEX)),
    ("plaid_access_token", "access-production-" + "-".join(rnd(n, HEX) for n in (8, 4, 4, 4, 12))),
    ("contentful_token", "CFPAT-" + rnd(43)),
    ("airtable_token", "pat" + rnd(14) + "." + rnd(64, HEX)),
    ("twitter_bearer_token", "A" * 21 + rnd(80)),
    ("facebook_access_token", "EAAG" + rnd(180)),
    ("alibaba_access_key", "LTAI" + rnd(20)),
    ("heroku_api_key", "HRKU-" + rnd(60)),
    ("klaviyo_private_key", "pk_" + rnd(34, HEX)),
    ("jwt", jwt()),
]


@pytest.mark.parametrize("subtype,value", POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)])
def test_rule_positives(scanner, subtype, value):
    fs = [f for f in scanner.scan_text(f"config value={value} end") if f.category == "SECRET"]
    assert [f.subtype for f in fs] == [subtype]
    assert value not in fs[0].masked and "****" in fs[0].masked


@pytest.mark.parametrize("subtype,value", POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)])
def test_rule_positives_fill_a_field_that_is_not_the_last(scanner, subtype, value):
    # A value that ends its field is found whatever field comes after it: patterns that
    # end in "$" or "\b" see the end of the field, not the next one.
    for fs in (scan_json(scanner, {"config": value, "note": "another field"}),
               scanner.scan_request("GET", "/", [("x-config", value), ("x-note", "another header")], b"")):
        assert [f.subtype for f in fs if f.category == "SECRET"] == [subtype]


@pytest.mark.parametrize("value", [
    "AKIAIOSFODNN7EXAMPLE",  # AWS documentation key
    "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",  # placeholder
    "sk_live_${STRIPE_KEY}",
    "ghp_" + "a" * 36,  # repeated characters: no entropy
    "AIza" + "0" * 35,
    "xoxb-your-token-here-please",
    "hf_" + "x" * 34,  # placeholder
    "GOCSPX-" + "a" * 28,
    "lin_api_" + "0" * 40,
    "EAAA" + "Ab3d" * 15,  # a Square token's length: Square's rule, not Facebook's
    "pk_live_" + "a1B2" * 6,  # a Stripe publishable key is public, not Klaviyo's private key
    "pat-na1-your-token-here",
])
def test_rule_negatives(scanner, value):
    assert not [f for f in scanner.scan_text(f"key={value}") if f.category == "SECRET"]


def test_jwt_header_decides_each_time_it_is_seen(scanner):
    # The header's verdict is remembered across samples (a service signs every token
    # under one header): a second sight must give the first sight's answer, for a header
    # that is a JWT's and for one that is not (valid JSON, no "alg" or "typ").
    def b64(o):
        return base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
    body = b64({"sub": "u-2", "exp": 1900000000})
    kid = rnd(8)
    real = b64({"alg": "RS256", "kid": kid})
    fake = b64({"alx": "RS256", "kid": kid})  # the same length: only the text tells them apart
    assert len(real) == len(fake)
    for _ in range(2):
        for head, expected in ((real, ["jwt"]), (fake, [])):
            token = f"{head}.{body}.{rnd(43)}"
            fs = scanner.scan_text(f"config value={token} end")
            assert [f.subtype for f in fs if f.category == "SECRET"] == expected


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
    # No prefix of its own: an AWS secret access key is known by its field.
    ("aws_secret_access_key", rnd(40, string.ascii_letters + string.digits + "/+"), "aws_secret_access_key"),
    ("awsSecretKey", rnd(40), "aws_secret_access_key"),
    ("aws_secret_access_key", rnd(32), "generic_high_entropy"),  # not the shape of one
    ("access_token", rnd(40, HEX), "generic_high_entropy"),  # hex under an access token is a credential
    ("x-rollbar-access-token", rnd(32, HEX), "generic_high_entropy"),
    ("x-postmark-server-token", "a1b2c3d4-0f1e-4a5b-9c8d-7e6f5a4b3c2d", "generic_high_entropy"),  # a UUID key
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
    ("userToken", "anon-5f0c1f5e-8a3b-4c2d-9e1f-0a1b2c3d4e5f"),  # Algolia's anonymous user: an id
    ("api_key", "phc_" + rnd(43)),  # PostHog's project key, public in every page that loads it
    ("api_key", "pk_live_" + rnd(24)),  # Stripe's publishable key
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
    # AppsFlyer's S2S API names it "Authentication", with the bare dev key.
    (f,) = scanner.scan_request("POST", "/inappevent/id1", [("Authentication", rnd(22))], b"")
    assert (f.category, f.field_path) == ("SECRET", "header.authentication")
    # A write key with an empty password (Segment) is not a secret; nor is a placeholder.
    for header in ("Basic " + base64.b64encode(b"writekey123:").decode(), "Bearer <token>", "Bearer ${TOKEN}"):
        assert not scanner.scan_request("GET", "/", [("Authorization", header)], b"")


@pytest.mark.parametrize("url", [
    "postgres://app:{pw}@db.example.net:5432/app",
    "postgres://app:{pw}@db:5432/app",  # a service name in a compose file
    "redis://:{pw}@cache.internal:6379/0",  # a password without a user
])
def test_url_credentials(scanner, url):
    password = rnd(20)
    fs = [f for f in scan_json(scanner, {"dsn": url.format(pw=password)}) if f.category == "SECRET"]
    assert [f.subtype for f in fs] == ["url_credentials"]
    assert password not in fs[0].masked


def test_keywords_gate_the_regex(scanner):
    # A sample without any rule keyword never runs that rule's regex: nothing to find.
    assert not [f for f in scanner.scan_text("plain words and 12345 numbers only") if f.category == "SECRET"]


def test_aws_secret_key_and_azure_connection_string_need_their_names(scanner):
    secret = rnd(40, string.ascii_letters + string.digits + "/+")
    (f,) = [f for f in scanner.scan_text(f"aws_secret_access_key = {secret}") if f.category == "SECRET"]
    assert f.subtype == "aws_secret_access_key" and secret not in f.masked
    assert not [f for f in scanner.scan_text(f"checksum {secret} ok") if f.category == "SECRET"]
    key = rnd(86, string.ascii_letters + string.digits + "+/") + "=="
    conn = f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={key};EndpointSuffix=core.windows.net"
    fs = [f for f in scanner.scan_request("POST", "/x", [], json.dumps({"storage": conn}).encode(), "application/json")
          if f.category == "SECRET"]
    assert [f.subtype for f in fs] == ["azure_storage_key"] and key not in fs[0].masked


@pytest.mark.parametrize("field", ["passwort", "mot_de_passe", "contrasena", "senha", "wachtwoord", "haslo"])
def test_password_fields_in_other_languages(scanner, field):
    value = "Tr0ub4dor&" + rnd(4)
    fs = [f for f in scan_json(scanner, {"login": {field: value}}) if f.category == "SECRET"]
    assert [(f.subtype, f.field_path) for f in fs] == [("password", f"$.login.{field}")]
    assert value not in fs[0].masked


# Knowledge-based authentication and PINs: they unlock an account as a password does.
@pytest.mark.parametrize("doc,path,subtype", [
    ({"security_answer": "Fluffy", "security_question": "First pet's name?"}, "$.security_answer", "security_answer"),
    ({"user": {"memorable_word": "orchid"}}, "$.user.memorable_word", "security_answer"),
    ({"card": {"pin": "4821"}}, "$.card.pin", "pin"),
])
def test_security_answers_and_pins(scanner, doc, path, subtype):
    fs = [f for f in scan_json(scanner, doc) if f.category == "SECRET"]
    assert [(f.field_path, f.subtype, f.masked) for f in fs] == [(path, subtype, "****")]


@pytest.mark.parametrize("doc", [
    {"pin": "123456789012345678"},  # a Pinterest pin's id
    {"pincode": "560001"},  # an Indian postal code
    {"security_answer": "null"}, {"security_question": "First pet's name?"},
])
def test_not_answers_or_pins(scanner, doc):
    assert [f for f in scan_json(scanner, doc) if f.category == "SECRET"] == []


# -- secrets written after their names in free text (log lines, tickets, prompts) -------------
_TOKEN = rnd(28)
_PASSWORD = "Tr0ub4dor!3xyz"


_JWT = jwt()


@pytest.mark.parametrize("text,subtype,value", [
    (f"2026-01-01 INFO login user=bob password={_PASSWORD} ok", "password", _PASSWORD),
    ('request body {"password": "Tr0ub4dor&3xyz", "plan": "pro"}', "password", "Tr0ub4dor&3xyz"),  # quoted: "&" too
    ('{"password": "correct horse battery staple"}', "password", "correct horse battery staple"),
    ("GET /login?user=bob&password=hunter22&next=/ HTTP/1.1", "password", "hunter22"),  # up to the query's "&"
    (f"pwd={_PASSWORD}", "password", _PASSWORD),
    (f"export API_KEY={_TOKEN}", "generic_high_entropy", _TOKEN),
    (f"client-secret: '{_TOKEN}'", "generic_high_entropy", _TOKEN),
    (f"curl -H 'Authorization: Bearer {_TOKEN}' https://api.example.net", "bearer_token", _TOKEN),
    (f"my access_token is here: access_token={_TOKEN}.", "generic_high_entropy", _TOKEN),
    (f"token: {_JWT}", "jwt", _JWT),
    # environment files and compose files: the name ends in a secret's name
    (f"DB_PASSWORD={_PASSWORD}", "password", _PASSWORD),
    (f'  MYSQL_ROOT_PASSWORD: "{_PASSWORD}"', "password", _PASSWORD),
    (f"PGPASSWORD={_PASSWORD} psql -h db", "password", _PASSWORD),
    (f"SLACK_BOT_TOKEN={_TOKEN}", "generic_high_entropy", _TOKEN),
    (f"export MY_APP_API_KEY='{_TOKEN}'", "generic_high_entropy", _TOKEN),
    # shell commands
    (f"mysqldump --password {_PASSWORD} shop", "password", _PASSWORD),
    (f"./deploy --api-key {_TOKEN} --env prod", "generic_high_entropy", _TOKEN),
    (f"curl -u deploy:{_PASSWORD} https://ci.example.net/api", "password", _PASSWORD),
    (f'curl --user "deploy:{_PASSWORD}" https://ci.example.net/api', "password", _PASSWORD),
    # clients that take a password by a short flag: glued to it as mysql wants, or after it
    (f"mysql -h db -P 3306 -uroot -p{_PASSWORD} shop", "password", _PASSWORD),  # -P is the port
    (f"mysqldump -u app -p'{_PASSWORD}' shop > dump.sql", "password", _PASSWORD),
    (f"sshpass -p '{_PASSWORD}' ssh deploy@10.0.0.5", "password", _PASSWORD),
    (f"docker login -u bob -p {_PASSWORD} registry.example.net", "password", _PASSWORD),
    (f"redis-cli -h cache -a {_PASSWORD} ping", "password", _PASSWORD),
    # an Authorization header copied into a log line or a prompt
    ("Authorization: Basic " + base64.b64encode(f"deploy:{_PASSWORD}".encode()).decode(), "basic_auth",
     base64.b64encode(f"deploy:{_PASSWORD}".encode()).decode()),
    # a sentence
    (f"Hi, my password is {_PASSWORD}. Can you reset it?", "password", _PASSWORD),
    ("the new passcode is 'Winter2026!'", "password", "Winter2026!"),
])
def test_secrets_after_their_names_in_text(scanner, text, subtype, value):
    fs = [f for f in scanner.scan_text(text) if f.category == "SECRET"]
    assert [f.subtype for f in fs] == [subtype]
    assert text[fs[0].start:fs[0].end] == value
    assert fs[0].masked in ("****", "eyJ****")


@pytest.mark.parametrize("text", [
    "the token: expired yesterday and the password: please reset it",  # words, not credentials
    "cache key=user:42:profile hit",  # a bare "key" names no secret
    "password=changeme", "api_key=${API_KEY}", "token=<your token here>", "password: ********",
    "Bearer realm=api",  # a challenge, not a token
    "password=short",  # one kind of character
    # sentences about passwords
    "the password is required", "Your password was Reset.", "the password is 8 characters long",
    # words after "basic", and a user without a password
    "our basic information plan", 'WWW-Authenticate: Basic realm="api"', "curl -u deploy: https://ci.example.net/api",
    "mysql -u root -p shop", "mysql -u root -pPASSWORD", "mysql -p$MYSQL_PWD",  # a prompt, a placeholder, a variable
    "ssh -p 2222 deploy@10.0.0.5", "ls -a Documents", "tar -cf backup.tar -p files",  # -p and -a of other commands
    # tokens that are no credential: cursors, anti-forgery nonces, push tokens
    f"nextPageToken: {_TOKEN}", f"continuation_token={_TOKEN}", f"csrftoken={_TOKEN}", f"PUSH_TOKEN={_TOKEN}",
    "the key points are these", "ssh://git@github.com:22/org/repo",
])
def test_secret_names_followed_by_no_credential(scanner, text):
    assert not [f for f in scanner.scan_text(text) if f.category == "SECRET"]


def test_a_generic_token_inside_a_reported_credential_is_not_a_second_finding(scanner):
    # Zendesk's API-token auth: Basic base64("agent@shop.example/token:<token>"). The
    # decoded layer holds "token:<token>", the same credential as the header's.
    cred = base64.b64encode(f"agent@shop.example/token:{_TOKEN}".encode()).decode()
    fs = [f for f in scan_json(scanner, {"x": 1}, headers=[("Authorization", f"Basic {cred}")])
          if f.category == "SECRET"]
    assert [f.subtype for f in fs] == ["basic_auth"]
    # a key that names its issuer is kept beside it: the policy judges it by its issuer
    mailgun = base64.b64encode(("api:key-" + rnd(32, HEX)).encode()).decode()
    fs = [f for f in scan_json(scanner, {"x": 1}, headers=[("Authorization", f"Basic {mailgun}")])
          if f.category == "SECRET"]
    assert sorted(f.subtype for f in fs) == ["basic_auth", "mailgun_api_key"]


def test_a_password_mask_keeps_none_of_its_characters(scanner):
    long_password = "Tr0ub4dor&3xyzQ!9kLmZ"
    fs = [f for f in scan_json(scanner, {"password": long_password}) if f.category == "SECRET"]
    assert [f.masked for f in fs] == ["****"]
    fs = [f for f in scan_json(scanner, {"api_secret": _TOKEN}) if f.category == "SECRET"]
    assert [f.masked for f in fs] == ["****"]


_CUE_PIECES = ["password", "PASSWORD", "DB_PASSWORD", "api_key", "Api-Token", "secret", "pwd", "token", "bearer",
               "Basic", "--password", "--api-key", "-u", "--user", "mysql", "sshpass", "docker login", "redis-cli",
               "-p", "-a", "passcode", "is", "was", "ſecret", "éBearer"]
_GLUE = ["", " ", "\t", "=", "==", ":", ": ", " = ", '"', "'", '": "', "\n", "&", ",", "é", "x"]
_VALUES = ["S3cret!", "a=b", "hunter22", "tok_9Zq", "x", "'q'", "<v>", "deploy:pw9"]


@given(st.lists(st.sampled_from(_CUE_PIECES + _GLUE + _VALUES), max_size=12).map("".join))
@example("-u==")  # the cue's "[ \t=]*" gives back the "=" a value needs
@example("curl --user=deploy:pw9 -u x")
@example("éBearer tok_9Zq")  # RE2's \b: ASCII word characters only
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_assignment_value_starts_where_re2_puts_its_group(text):
    """The recogniser's RE2 pattern has no capture group (the submatch engine cost ~6 us a
    match); Python's re finds where the value starts inside each match. It must be the
    place RE2's group would have given, or no value at all (a letter only RE2 folds)."""
    from detectors.pii.recognizers.secret import _ASSIGNMENT_CUE, _CUE_BEFORE_VALUE, _VALUE_CHARS

    data = text.encode()
    grouped = WheelPattern(re2.compile("(?i)" + _ASSIGNMENT_CUE + "(" + _VALUE_CHARS + "+)")._regexp)
    whole = WheelPattern(re2.compile("(?i)" + _ASSIGNMENT_CUE + _VALUE_CHARS + "+")._regexp)
    by_group = grouped.spans(data, 0, len(data), len(data), 1)
    matches = whole.spans(data, 0, len(data), len(data), 0)
    assert len(by_group) == len(matches)
    for (gs, ge), (s, e) in zip(by_group, matches):
        assert ge == e
        cue = _CUE_BEFORE_VALUE.match(text, len(data[:s].decode()))
        if cue is None:
            assert not data[:s + 1].isascii() or "ſ" in text  # only where RE2's folding or \b differs
        else:
            assert len(text[:cue.end()].encode()) == gs


# --- the name before an assigned value, read back from the end ----------------------------

@settings(max_examples=1500, deadline=None)
@given(st.text(st.sampled_from(list("ab_.-:= \t\"'\n,{}x9") + ["é", "²", "٣", "ß"]), max_size=40))
@example('{"config": {"region": "eu", "api_key": "')
@example("next_page_token = '")
@example("a: b:\n")
def test_name_before_reads_what_the_regex_searches(lead):
    from detectors.pii.recognizers.secret import _NAME_BEFORE, name_before

    m = _NAME_BEFORE.search(lead)
    assert name_before(lead) == (m.group(1) if m is not None else None)


@pytest.mark.parametrize("regex,plain", [
    (r"\b(SG\.[0-9A-Za-z]{22})\b", r"\b(?:SG\.[0-9A-Za-z]{22})\b"),
    (r"(hooks\.slack\.com/[0-9A-Z]{8})", r"(?:hooks\.slack\.com/[0-9A-Z]{8})"),
    (r"\b(a[)(]b\)c)", r"\b(?:a[)(]b\)c)"),  # parentheses in a class or escaped do not close it
    (r"\b([]a)]{3})\b", r"\b(?:[]a)]{3})\b"),  # a leading "]" is a member of its class
    (r"\b(AIza[0-9A-Za-z]{35})(?:[^0-9A-Za-z]|$)", None),  # the group ends before the match does
    (r"AccountKey=([0-9A-Za-z+/]{86}==)", None),  # the match starts before the group does
    (r"\b(?:sk|rk)_[0-9A-Za-z]{10,99}\b", None),  # no capture group
    (r"(a)|(b)", None),
])
def test_whole_match_group(regex, plain):
    assert whole_match_group(regex) == plain


@pytest.mark.parametrize("subtype,value", POSITIVES, ids=[f"{p[0]}-{i}" for i, p in enumerate(POSITIVES)])
def test_a_rule_read_without_its_group_finds_the_same_span(subtype, value):
    # Where the rule's group is the whole match, the scanner matches the plain form and
    # takes the whole match: the same span as the rule's group, glued or not.
    rules = [r for r in RULES if r.subtype == subtype and whole_match_group(r.regex) is not None]
    for rule in rules:
        grouped, plain = re2.compile(rule.regex), re2.compile(whole_match_group(rule.regex))
        for text in (f"key {value} end", f"key={value}", f"x{value}y", f"{value}-{value}"):
            assert [m.span(1) for m in grouped.finditer(text)] == [m.span() for m in plain.finditer(text)]
