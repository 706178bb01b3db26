from __future__ import annotations

import pytest

import pyarrow as pa

from sentinel.redact import (
    excerpt,
    hide_found,
    mask_user_agent,
    mask_query,
    mask_url,
    path_may_hold_data,
    path_may_hold_data_array,
    path_template,
    path_template_array,
)


@pytest.mark.parametrize("path, template", [
    ("/v1/customers/cus_9s8d7f6g5h4j3k2l/cards/42", "/v1/customers/{token}/cards/{id}"),
    ("/users/jane.doe@example.com/profile", "/users/{email}/profile"),
    ("/users/jane.doe%40example.com", "/users/{email}"),
    ("/orders/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f", "/orders/{uuid}"),
    ("/blobs/deadbeefcafebabe1234", "/blobs/{hex}"),
    ("/v2/track", "/v2/track"),
    ("/api/sdk/init2", "/api/sdk/init2"),
    ("/app;jsessionid=ABC123", "/app;*"),
    ("/", "/"),
    # gRPC methods name a service: kept, where its version digit once made it a {token}.
    ("/opentelemetry.proto.collector.logs.v1.LogsService/Export",
     "/opentelemetry.proto.collector.logs.v1.LogsService/Export"),
    ("/google.pubsub.v1.Publisher/Publish", "/google.pubsub.v1.Publisher/Publish"),
    ("/keys/ab.cd.Ef9aK3lMn0pQrStUvWx", "/keys/{token}"),  # a service name has no digits
    # International numbers (Twilio Lookup's path), encoded or not, and tel: URIs
    ("/v2/PhoneNumbers/+14155550123", "/v2/PhoneNumbers/{id}"), ("/p/%2B14155550123", "/p/{id}"),
    ("/call/tel:+49-151-1234567/x", "/call/{id}/x"),
])
def test_path_template(path, template):
    assert path_template(path) == template
    assert path_template_array(pa.array([path]))[0].as_py() == template  # the Arrow twin agrees


@pytest.mark.parametrize("path, worth_scanning", [
    # static API paths: log ingestion skips them (most of a proxy's lines)
    ("/v1/track", False), ("/2/httpapi", False), ("/api/12/envelope/", False), ("/", False), ("", False),
    ("/opentelemetry.proto.collector.logs.v1.LogsService/Export", False),
    # values templating hides
    ("/hook/ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5", True),  # {token}
    ("/v1/t/DE89370400440532013000", True),  # an IBAN: {hex}
    ("/v1/t/GB82WEST12345698765432", True),  # an IBAN: {token}
    ("/users/jane.doe%40example.com", True), ("/orders/3f2b8c1e-4d5a-4b6c-9e7f-0a1b2c3d4e5f", True),
    ("/app;jsessionid=ABC123", True), ("/x" * 300, True),  # beyond what the template keeps
    # values templating keeps
    ("/call/tel:+4915112345678", True), ("/sms/49-151-1234-5678/send", True), ("/cards/4111111111111111", True),
    ("/search/jane%20doe", True), ("/call/+4915112345", True),
])
def test_path_may_hold_data(path, worth_scanning):
    template = path_template(path)
    assert path_may_hold_data(path, template) is worth_scanning
    assert path_may_hold_data_array(pa.array([path]), pa.array([template])).tolist() == [worth_scanning]


def test_query_values_are_masked_and_keys_kept():
    assert mask_query("em=jane%40example.com&ph=%2B15551234567&flag") == "em=*&ph=*&flag"
    assert mask_query("jane@example.com=1") == "*=*"


def test_mask_url_handles_absolute_urls_and_fragments():
    assert mask_url("https://api.stripe.com/v1/customers?email=a%40b.co#x") == ("/v1/customers", "email=*")
    assert mask_url("/track?uid=42") == ("/track", "uid=*")


def test_no_raw_value_survives():
    secret_url = "/u/555-12-3456/x?token=sk_live_abcdefghijklmnop&e=jane@example.com"
    stored = " ".join(mask_url(secret_url))
    for value in ("555-12-3456", "sk_live_abcdefghijklmnop", "jane@example.com", "jane"):
        assert value not in stored


@pytest.mark.parametrize("path, spans, stored", [
    # A name templating keeps: the detector's span (into the decoded path) hides its segment.
    ("/customers/Jane%20Doe/orders", [(11, 19)], "/customers/{pii}/orders"),
    ("/a/b/ada.lovelace/c", [(5, 17)], "/a/b/{pii}/c"),
    ("/p/+1/415/5550123", [(3, 17)], "/p/{pii}/{pii}/{pii}"),  # a value across segments
    # Where the offsets cannot be placed (an encoded '/', a span beyond the path), every
    # segment goes.
    ("/v1/a%2Fb/Jane", [(8, 12)], "/{pii}/{pii}/{pii}"), ("/v1/x", [(3, 40)], "/{pii}/{pii}"),
])
def test_a_segment_a_detector_found_a_value_in_is_hidden(path, spans, stored):
    assert hide_found(path, path_template(path), spans) == stored


@pytest.mark.parametrize("agent, stored", [
    ("MyApp/1.0 (user=jane.doe@example.com; token=ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5)", "MyApp/1.0 (user=*; token=*)"),
    ("Mozilla/5.0 (compatible; DotBot/1.1; http://www.opensiteexplorer.org/dotbot, help@moz.com)",
     "Mozilla/5.0 (compatible; DotBot/1.1; http://www.opensiteexplorer.org/dotbot, {email})"),
    ("sdk/2 ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5 +1 415 555 0123", "sdk/2 {token} {phone}"),
    # what identifies a client's software stays
    ("Mozilla/5.0 (Linux; Android 11; SM-G991B Build/RP1A.200720.012; wv) AppleWebKit/537.36 Chrome/120.0.0.0",
     "Mozilla/5.0 (Linux; Android 11; SM-G991B Build/RP1A.200720.012; wv) AppleWebKit/537.36 Chrome/120.0.0.0"),
    ("FBAN/FBIOS;FBAV/400.0.0.30.109;FBDV/iPhone13,2", "FBAN/FBIOS;FBAV/400.0.0.30.109;FBDV/iPhone13,2"),
    ("x" * 300, "x" * 256),
])
def test_a_user_agent_is_stored_without_the_values_in_it(agent, stored):
    assert mask_user_agent(agent) == stored


def test_excerpt_hides_letters_and_digits_but_keeps_structure():
    text = excerpt('1.2.3.4 - jane [10/Oct/2000:13:55:36 -0700] "GET /a?b=c"')
    assert "jane" not in text and "1.2.3.4" not in text
    assert text.startswith("9.9.9.9 - aaaa [99/aaa/9999:")
    assert excerpt("x" * 500).endswith("…")
