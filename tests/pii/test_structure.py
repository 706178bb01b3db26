"""Every layer of structure and encoding a value can hide under."""

import base64
import gzip
import hashlib
import json
import binascii
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.pii.structure import try_b64decode

from tests.pii.conftest import by_path, scan_json

EMAIL = "jane.doe@example.com"


def _one(findings, category="EMAIL"):
    hits = [f for f in findings if f.category == category]
    assert len(hits) == 1, findings
    return hits[0]


def test_query_string_plain_and_url_encoded(scanner):
    f = _one(scanner.scan_request("GET", f"https://t.example.net/p?em={EMAIL}&v=2", [], b""))
    assert (f.location, f.field_path, f.encoding) == ("query", "query.em", "plain")
    f = _one(scanner.scan_request("GET", f"/p?em={quote(EMAIL, safe='')}", [], b""))
    assert (f.location, f.field_path, f.encoding) == ("query", "query.em", "url")


def test_path_segment(scanner):
    f = _one(scanner.scan_request("GET", f"/v1/users/{quote(EMAIL)}/profile", [], b""))
    assert (f.location, f.field_path) == ("path", "path")
    assert ("/v1/users/" + EMAIL + "/profile")[f.start:f.end] == EMAIL


@pytest.mark.parametrize("path,category", [
    ("/v1/cards/4111111111111111/charge", "CREDIT_CARD"),
    ("/cards/5555-5555-5555-4444", "CREDIT_CARD"),
    ("/phone/+14155552671", "PHONE_NUMBER"),
    ("/v1/users/+442079460958/sms", "PHONE_NUMBER"),
])
def test_a_path_segment_that_is_a_value(scanner, path, category):
    (f,) = scanner.scan_request("GET", path, [], b"")
    assert (f.category, f.location, f.field_path) == (category, "path", "path")
    assert path[f.start:f.end].strip("/") == path.split("/")[-2 if path.endswith(("charge", "sms")) else -1]


@pytest.mark.parametrize("path", ["/status/1790000000000000000", "/orders/4155552671", "/v1/track/2024/4155552671",
                                  "/files/v2/4111111111111111.pdf"])
def test_ids_in_a_path_are_not_values(scanner, path):
    assert scanner.scan_request("GET", path, [], b"") == []


def test_form_body(scanner):
    body = f"email={quote(EMAIL)}&phone=%2B14155550132&metadata[order]=123".encode()
    fs = scanner.scan_request("POST", "/v1/customers", [], body, "application/x-www-form-urlencoded")
    assert by_path(fs) == {"form.email": {"EMAIL"}, "form.phone": {"PHONE_NUMBER"}}


def test_form_body_sniffed_without_content_type(scanner):
    fs = scanner.scan_request("POST", "/x", [], f"to={quote(EMAIL)}&body=hi".encode())
    assert by_path(fs) == {"form.to": {"EMAIL"}}


def test_json_paths_with_arrays(scanner):
    fs = scan_json(scanner, {"personalizations": [{"to": [{"email": EMAIL}]}], "customer": {"email": "j@example.org"}})
    assert set(by_path(fs)) == {"$.personalizations[].to[].email", "$.customer.email"}


def test_ndjson_batch(scanner):
    body = b"\n".join(json.dumps({"event": "x", "email": e}).encode() for e in (EMAIL, "b@example.org"))
    fs = scanner.scan_request("POST", "/batch", [], body, "application/x-ndjson")
    assert {f.field_path for f in fs} == {"$.email"} and len(fs) == 2


def test_multipart(scanner):
    b = "XyZbOuNdArY"
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nJane Doe <{EMAIL}>\r\n"
            f"--{b}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n"
            f"{json.dumps({'phone': '+1 415 555 0132'})}\r\n--{b}--\r\n").encode()
    fs = scanner.scan_request("POST", "/messages", [], body, f"multipart/form-data; boundary={b}")
    assert by_path(fs) == {"multipart.to": {"EMAIL", "PERSON"}, "multipart.meta.$.phone": {"PHONE_NUMBER"}}


def test_cookie_and_header(scanner):
    fs = scanner.scan_request("GET", "/", [("Cookie", f"sid=abc; user_email={quote(EMAIL)}"),
                                           ("X-Customer-Phone", "+1 415 555 0132"), ("User-Agent", "Mozilla/5.0")], b"")
    got = {(f.location, f.field_path, f.category) for f in fs}
    assert got == {("cookie", "cookie.user_email", "EMAIL"), ("header", "header.x-customer-phone", "PHONE_NUMBER")}


def test_http2_pseudo_headers_repeating_the_url_give_one_finding(scanner):
    # Browser HAR exports carry :path, :authority... beside the URL: one leak, one finding.
    target = f"/p?em={quote(EMAIL)}"
    pseudo = [(":method", "GET"), (":authority", "t.example"), (":scheme", "https"), (":path", target)]
    fs = scanner.scan_request("GET", "https://t.example" + target, pseudo, b"")
    assert [(f.location, f.field_path) for f in fs] == [("query", "query.em")]
    # a :path that says something else is scanned
    fs = scanner.scan_request("GET", "https://t.example/other", pseudo, b"")
    assert [(f.location, f.field_path) for f in fs] == [("header", "header.:path.query.em")]


def test_referer_query_is_parsed(scanner):
    fs = scanner.scan_request("GET", "/", [("Referer", f"https://shop.example.com/thanks?email={quote(EMAIL)}")], b"")
    f = _one(fs)
    assert (f.location, f.field_path, f.encoding) == ("header", "header.referer.query.email", "url")


def test_json_inside_a_string(scanner):
    fs = scan_json(scanner, {"payload": json.dumps({"user": {"email": EMAIL}})})
    assert _one(fs).field_path == "$.payload.$.user.email"


def test_percent_encoded_json_inside_a_field_keeps_its_paths(scanner):
    fs = scan_json(scanner, {"ctx": quote(json.dumps({"user": {"email": EMAIL}}), safe="")})
    f = _one(fs)
    assert (f.field_path, f.encoding) == ("$.ctx.$.user.email", "url")


def test_value_encoded_three_times(scanner):
    # Redirect chains percent-encode a parameter once per hop.
    value = quote(quote(quote(EMAIL, safe=""), safe=""), safe="")
    f = _one(scanner.scan_request("GET", f"/r?u={value}", [], b""))
    assert (f.field_path, f.encoding) == ("query.u", "url")


def test_url_and_query_string_inside_json(scanner):
    fs = scan_json(scanner, {"page": {"url": f"https://x.example.com/a?em={quote(EMAIL)}"}, "qs": f"a=1&e={quote(EMAIL)}"})
    assert set(by_path(fs)) == {"$.page.url.query.em", "$.qs.e"}


def test_percent_encoded_path_of_a_url_inside_json(scanner):
    # Datadog RUM's view.url: the address in the path, a query after it.
    url = "https://app.example.com/users/jane.doe%40example.com/settings?tab=billing"
    (f,) = scan_json(scanner, {"view": {"url": url}})
    assert (f.category, f.encoding, f.field_path) == ("EMAIL", "url", "$.view.url")
    assert url[f.start:f.end] == "https://app.example.com/users/jane.doe%40example.com/settings"


def test_base64_in_json_in_query(scanner):
    inner = json.dumps({"event": "Signed Up", "properties": {"distinct_id": EMAIL, "time": 1714567890}})
    data = base64.b64encode(inner.encode()).decode()
    url = f"/track/?data={quote(data)}&ip=1"
    f = _one(scanner.scan_request("GET", url, [], b""))
    assert (f.field_path, f.encoding, f.location) == ("query.data.$.properties.distinct_id", "base64", "query")
    assert (f.start, f.end) == (0, len(data))  # the blob in the decoded parameter


def test_base64url_in_text(scanner):
    blob = base64.urlsafe_b64encode(f"user={EMAIL}&ok=1".encode()).decode().rstrip("=")
    text = f"token {blob} end"
    f = _one(scanner.scan_text(text))
    assert f.encoding in ("base64", "base64url") and text[f.start:f.end] == blob


@pytest.mark.parametrize("encode", [
    lambda v: base64.urlsafe_b64encode(v).decode().rstrip("="),
    lambda v: base64.b64encode(v).decode(),
], ids=["base64url", "base64"])
@pytest.mark.parametrize("template, raw, path", [
    ("https://links.example.net/unsubscribe/{}/confirm", EMAIL.encode(), "path"),
    ("https://links.example.net/o/{}", json.dumps({"email": EMAIL}).encode(), "path.$.email"),
    ("/v1/{}", EMAIL.encode(), "path"),
])
def test_base64_in_one_segment_of_a_url_path(scanner, encode, template, raw, path):
    # "/" is a base64 character too: the blob is the path segment, not the whole path.
    blob = encode(raw)
    url = template.format(blob)
    f = _one(scanner.scan_request("GET", url, [], b""))
    assert (f.location, f.field_path, f.encoding) == ("path", path, "base64")
    walked = url.split("links.example.net", 1)[-1]
    assert walked[f.start:f.end] == blob


def test_gzip_body(scanner):
    body = gzip.compress(json.dumps({"traits": {"email": EMAIL}}).encode())
    f = _one(scanner.scan_request("POST", "/v1/batch", [("Content-Encoding", "gzip")], body, "application/json"))
    assert (f.field_path, f.encoding) == ("$.traits.email", "gzip")


def test_gzip_inside_base64_inside_json(scanner):
    blob = base64.b64encode(gzip.compress(json.dumps({"email": EMAIL}).encode())).decode()
    f = _one(scan_json(scanner, {"compressed": blob}))
    assert f.field_path == "$.compressed.$.email"


def test_json_number_phone_and_card(scanner):
    fs = scan_json(scanner, {"phone": 14155550132, "card": 4242424242424242, "amount": 4999})
    assert by_path(fs) == {"$.phone": {"PHONE_NUMBER"}, "$.card": {"CREDIT_CARD"}}


def test_name_value_pairs_take_the_pair_name_as_field_name(scanner):
    # HubSpot forms: a bare first name, last name or phone number is personal data only by
    # the field name, here the pair's "name".
    doc = {"fields": [{"name": "firstname", "value": "Jane"}, {"name": "lastname", "value": "Doe"},
                      {"name": "phone", "value": "4155550132"}, {"name": "zip", "value": "94105"}]}
    found = sorted((f.category, f.field_path, f.masked) for f in scan_json(scanner, doc))
    assert found == [("PERSON", "$.fields[].value", "D***"), ("PERSON", "$.fields[].value", "J***"),
                     ("PHONE_NUMBER", "$.fields[].value", "+*******0132")]


def test_name_value_pairs_with_a_nested_value(scanner):
    # OpenTelemetry attributes: {"key": ..., "value": {"stringValue": ...}}; CloudWatch
    # dimensions: {"Name": ..., "Value": ...}.
    otlp = {"attributes": [{"key": "user.phone", "value": {"stringValue": "4155550132"}},
                           {"key": "http.status", "value": {"stringValue": "4155550132"}}]}
    assert [(f.category, f.field_path) for f in scan_json(scanner, otlp)] == [
        ("PHONE_NUMBER", "$.attributes[].value.stringValue")]
    dims = {"Dimensions": [{"Name": "Phone", "Value": "4155550132"}]}
    assert [f.category for f in scan_json(scanner, dims)] == ["PHONE_NUMBER"]


def test_a_wrapped_pair_value_goes_by_the_pair_name(scanner):
    # OTLP/JSON wraps each attribute's value ({"stringValue": ...}, int64 as a string); a
    # name outside the dictionaries and a lone latitude are found only by the pair's name,
    # as in the protobuf encoding of the same export.
    attrs = [{"key": "user.full_name", "value": {"stringValue": "Tavi Ostrander"}},
             {"key": "service.component", "value": {"stringValue": "Tavi Ostrander"}},
             {"key": "geo.lat", "value": {"doubleValue": 48.85661}},
             {"key": "user.phone", "value": {"intValue": "4155550132"}}]
    found = [(f.category, f.field_path) for f in scan_json(scanner, {"attributes": attrs})]
    assert sorted(found) == [("GEO_COORDINATES", "$.attributes[].value.doubleValue"),
                             ("PERSON", "$.attributes[].value.stringValue"),
                             ("PHONE_NUMBER", "$.attributes[].value.intValue")]


def test_a_lone_value_goes_by_its_object_name(scanner):
    # GA4's Measurement Protocol wraps each user property: {"first_name": {"value": ...}}.
    # A first name alone is personal data only by that name.
    doc = {"client_id": "123.456", "user_properties": {"first_name": {"value": "Sarah"},
                                                       "plan": {"value": "Sarah", "set_timestamp_micros": 1700000000000000}},
           "events": [{"name": "purchase", "params": {"value": 42.5, "currency": "EUR"}}]}
    found = [(f.category, f.field_path) for f in scan_json(scanner, doc)]
    assert found == [("PERSON", "$.user_properties.first_name.value")]
    # A record's "number" keeps its own name: {"card": {"number": ...}}.
    [alone] = scan_json(scanner, {"paymentMethod": {"number": "4111111111111111"}})
    [top] = scan_json(scanner, {"number": "4111111111111111"})
    assert alone.confidence == top.confidence


def _patient(identifiers: list[dict]) -> dict:
    """An HL7 FHIR Patient resource as an EHR's API sends it (the shape of FHIR's own
    example, with synthetic values)."""
    return {"resourceType": "Patient", "id": "example", "identifier": identifiers,
            "name": [{"use": "official", "family": "Chalmers", "given": ["Peter", "James"]}],
            "telecom": [{"system": "phone", "value": "4155550132", "use": "work"},
                        {"system": "email", "value": "peter.chalmers@example.org"}],
            "gender": "male", "birthDate": "1974-12-25"}


def test_a_fhir_patient_is_read_by_its_field_names(scanner):
    # A bare family name, a given name and a phone number are personal data only by
    # FHIR's names: HumanName's "family" and "given", ContactPoint's "system".
    found = sorted((f.category, f.field_path, f.masked) for f in scan_json(scanner, _patient([])))
    assert found == [("DATE_OF_BIRTH", "$.birthDate", "****-**-**"),
                     ("EMAIL", "$.telecom[].value", "p***@e***.org"),
                     ("PERSON", "$.name[].family", "C***"),
                     ("PERSON", "$.name[].given[]", "J***"),
                     ("PERSON", "$.name[].given[]", "P***"),
                     ("PHONE_NUMBER", "$.telecom[].value", "+*******0132")]


@pytest.mark.parametrize("system, value, category", [
    ("http://hl7.org/fhir/sid/us-ssn", "536228726", "US_SSN"),
    ("urn:oid:2.16.840.1.113883.4.1", "536228726", "US_SSN"),  # the SSN's OID
    ("https://fhir.nhs.uk/Id/nhs-number", "9434765919", "NATIONAL_ID"),
    ("http://hl7.org/fhir/sid/us-mbi", "1EG4TE5MK73", "HEALTH_ID"),
    ("http://hl7.org/fhir/sid/us-medicare", "1EG4TE5MK73", "HEALTH_ID"),
    ("http://ns.electronichealth.net.au/id/medicare-number", "2953701501", "HEALTH_ID"),
])
def test_a_fhir_identifier_goes_by_its_system(scanner, system, value, category):
    found = [(f.category, f.field_path) for f in scan_json(scanner, {"identifier": [{"system": system,
                                                                                      "value": value}]})]
    assert found == [(category, "$.identifier[].value")]


def test_a_fhir_identifier_with_its_period_and_assigner_goes_by_its_system(scanner):
    ident = {"use": "official", "type": {"text": "SSN"}, "system": "http://hl7.org/fhir/sid/us-ssn",
             "value": "536228726", "period": {"start": "2001-05-06"}, "assigner": {"display": "SSA"}}
    found = [(f.category, f.field_path) for f in scan_json(scanner, {"identifier": [ident]})]
    assert found == [("US_SSN", "$.identifier[].value")]


def test_a_record_with_a_type_does_not_name_its_number_by_the_type(scanner):
    # Adyen's payment method: its "type" is the kind of payment, not the number's name.
    method = {"type": "scheme", "number": "4111111111111111", "expiryMonth": "03", "expiryYear": "2030",
              "cvc": "737", "holderName": "Jane Roe"}
    named = {"number": "4111111111111111"}
    [card] = [f for f in scan_json(scanner, {"paymentMethod": method}) if f.field_path == "$.paymentMethod.number"]
    [alone] = scan_json(scanner, {"paymentMethod": named})
    assert card.confidence == alone.confidence  # read under "number" either way


def test_a_wide_object_is_named_by_its_system_only(scanner):
    # "type" names nothing in a record of five members.
    doc = {"identifier": [{"system": "http://snomed.info/sct", "value": "4155550132", "use": "usual",
                           "type": "phone", "rank": 1}]}
    assert scan_json(scanner, doc) == []


@pytest.mark.parametrize("doc", [
    {"identifier": [{"system": "http://snomed.info/sct", "value": "4155550132"}]},  # a code system
    {"identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": "536228726"}]},  # an OID unknown
    {"identifier": [{"system": "https://ehr.example.org", "value": "536228726"}]},  # a host names nothing
    {"identifier": [{"system": "urn:ietf:rfc:3986", "value": "536228726"}]},
    {"font": {"family": "Chalmers", "size": 12}},  # "family" outside a name
    {"valueQuantity": {"value": 4155550132, "system": "http://unitsofmeasure.org", "code": "/min"}},
])
def test_a_fhir_code_system_or_another_family_names_nothing(scanner, doc):
    assert scan_json(scanner, doc) == []


def test_an_identity_document_goes_by_its_type(scanner):
    # KYC APIs send a document as its type and its number: the number alone is an order
    # or a part number; the type makes it a passport or a driving licence.
    doc = {"documents": [{"type": "PASSPORT", "number": "C01234567", "issuing_country": "GB"},
                         {"document_type": "driving_licence", "document_number": "MORGA657054SM9IJ"},
                         {"type": "invoice", "number": "C01234567"},
                         {"id_type": "SSN", "id_value": "536-22-8726"}]}
    found = sorted((f.category, f.subtype, f.field_path) for f in scan_json(scanner, doc))
    assert found == [("NATIONAL_ID", "driver_license", "$.documents[].document_number"),
                     ("PASSPORT", "", "$.documents[].number"),
                     ("US_SSN", "", "$.documents[].id_value")]


def test_kind_and_label_name_a_pair_too(scanner):
    # {"kind": ..., "value": ...} (identity verification APIs) and a form builder's
    # {"label": ..., "value": ...}; a kind that names no personal data adds nothing.
    doc = {"documents": [{"kind": "ssn", "value": "536-22-1845"}, {"kind": "user", "value": "536-22-1845"}],
           "answers": [{"label": "email", "value": "not an address"}, {"label": "phone", "value": "4155550132"}]}
    found = sorted((f.category, f.field_path) for f in scan_json(scanner, doc))
    assert found == [("PHONE_NUMBER", "$.answers[].value"), ("US_SSN", "$.documents[].value")]


def test_type_and_value_pairs(scanner):
    # LinkedIn's conversions API: a sha256 with no field name of its own is an e-mail by
    # its pair's type; SCIM's phone numbers keep their phone context.
    h = hashlib.sha256(b"jane.doe@example.com").hexdigest()
    doc = {"user": {"userIds": [{"idType": "SHA256_EMAIL", "idValue": h}, {"idType": "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID",
                                                                          "idValue": "9b2f6c1e-1111-4c2a-9d3e-aa11bb22cc33"}]}}
    assert [(f.category, f.encoding) for f in scan_json(scanner, doc)] == [("EMAIL", "sha256")]
    scim = {"phoneNumbers": [{"value": "4155550132", "type": "mobile", "primary": True}]}
    assert [f.category for f in scan_json(scanner, scim)] == ["PHONE_NUMBER"]


def test_a_name_that_is_no_field_name_makes_no_pair(scanner):
    # A product's name, or data, in "name": the value keeps its own field name.
    doc = {"items": [{"name": "Blue Shirt", "value": "4155550132"}, {"name": "phone number", "value": "4155550132"},
                     {"name": "phone", "count": "4155550132"}]}
    assert scan_json(scanner, doc) == []


def test_json_float_coordinates(scanner):
    fs = scan_json(scanner, {"location": {"lat": 48.85661, "lng": 2.35222}, "total": 19.995})
    assert by_path(fs) == {"$.location.lat": {"GEO_COORDINATES"}, "$.location.lng": {"GEO_COORDINATES"}}


def test_geojson_and_coordinate_pairs(scanner):
    fs = scan_json(scanner, {"geometry": {"type": "Point", "coordinates": [-122.419416, 37.774929, 12.5]},
                             "view": {"latlng": [37.774929, -122.419416]}, "bbox": [-122.5, 37.7],
                             "tile": {"coordinates": [1.5, 2.25]}})
    assert by_path(fs) == {"$.geometry.coordinates": {"GEO_COORDINATES"}, "$.view.latlng": {"GEO_COORDINATES"}}
    # GeoJSON puts longitude first: both spellings are the same place, so the same hash.
    hashes = {f.field_path: f.value_hash for f in fs}
    assert hashes["$.geometry.coordinates"] == hashes["$.view.latlng"]


SOAP = (b'<?xml version="1.0"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>'
        b'<customer><first_name>Jane</first_name><email>jane.doe@example.com</email><dob>1985-04-12</dob>'
        b'<card number="4242424242424242"/><note><![CDATA[call me on +1 415 555 0132]]></note></customer>'
        b'</soap:Body></soap:Envelope>')


def test_xml_body_fields_attributes_and_cdata(scanner):
    fs = scanner.scan_request("POST", "/pay", [], SOAP, "application/soap+xml")
    base = "xml.Envelope.Body.customer."
    assert by_path(fs) == {base + "first_name": {"PERSON"}, base + "email": {"EMAIL"}, base + "dob": {"DATE_OF_BIRTH"},
                           base + "card.@number": {"CREDIT_CARD"}, base + "note": {"PHONE_NUMBER"}}
    email = next(f for f in fs if f.category == "EMAIL")
    assert (email.start, email.end) == (0, len(EMAIL))  # offsets into the element's text


def test_saml_assertion_in_a_form_post(scanner):
    saml = (b'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><saml:Assertion'
            b' xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:Subject><saml:NameID>jane.doe@example.com'
            b'</saml:NameID></saml:Subject><saml:AttributeStatement><saml:Attribute Name="givenName">'
            b'<saml:AttributeValue>Jane</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>'
            b'</saml:Assertion></samlp:Response>')
    body = f"SAMLResponse={quote(base64.b64encode(saml).decode())}&RelayState=x".encode()
    fs = scanner.scan_request("POST", "/acs", [], body, "application/x-www-form-urlencoded")
    root = "form.SAMLResponse.xml.Response.Assertion."
    assert by_path(fs) == {root + "Subject.NameID": {"EMAIL"},
                           root + "AttributeStatement.Attribute[givenName].AttributeValue": {"PERSON"}}
    assert {f.encoding for f in fs} == {"base64"}


def test_xml_cut_short_by_the_size_cap_keeps_what_was_read():
    from detectors.pii import Scanner

    s = Scanner({"max_sample_bytes": SOAP.index(b"</dob>") + 3}, key=b"k")
    fs = s.scan_request("POST", "/pay", [], SOAP, "application/soap+xml")
    base = "xml.Envelope.Body.customer."
    assert by_path(fs) == {base + "first_name": {"PERSON"}, base + "email": {"EMAIL"}, base + "dob": {"DATE_OF_BIRTH"}}
    assert s.stats["truncated"] == 1


def test_a_large_xml_body_is_read_up_to_the_field_cap():
    from detectors.pii import Scanner

    s = Scanner({"max_fields": 50}, key=b"k")
    users = "".join(f"<user><id>{i}</id><email>user{i}@example.com</email></user>" for i in range(1000))
    fs = s.scan_request("POST", "/bulk", [], f"<users>{users}</users>".encode(), "application/xml")
    assert {f.field_path for f in fs} == {"xml.users.user.email"}
    assert 20 <= len(fs) <= 25  # the first 50 values: ids and e-mails
    assert s.stats["fields_dropped"] >= 1


def test_xml_reading_stops_at_its_deadline_keeping_what_was_read():
    from time import perf_counter

    from detectors.pii.xmlfields import xml_fields

    doc = "<r>" + "<e>x</e>" * 1000 + "</r>"
    assert len(xml_fields(doc)) == 1000
    cut = xml_fields(doc, deadline=perf_counter() - 1)  # a deadline already past
    assert 0 < len(cut) < 1000 and all(v == "x" for v, *_ in cut)


def test_xml_inside_a_json_field(scanner):
    fs = scan_json(scanner, {"payload": "<user><email>jane.doe@example.com</email></user>"})
    assert _one(fs).field_path == "$.payload.xml.user.email"


def test_xml_with_a_dtd_is_scanned_as_text_without_expanding_entities(scanner):
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><r>&c; jane.doe@example.com</r>')
    f = _one(scanner.scan_request("POST", "/x", [], bomb, "application/xml"))
    assert f.field_path == "body"


def test_html_and_text_starting_with_a_bracket_stay_text(scanner):
    for body in (b"<html><body><p>mail jane.doe@example.com<br></body></html>", b"<3 thanks, jane.doe@example.com"):
        assert _one(scanner.scan_request("POST", "/x", [], body, "text/html")).field_path == "body"


CONTACTS = (b"email,first_name,last_name,phone\r\n" + EMAIL.encode() + b",Jane,Hill,+14155550132\r\n"
            b"zofia@example.pl,Zofia,Wojcik,+48512345678\r\n")


def test_csv_body_cells_take_their_column_names(scanner):
    fs = scanner.scan_request("POST", "/3.0/lists/abc/members", [], CONTACTS, "text/csv")
    assert by_path(fs) == {"csv.email": {"EMAIL"}, "csv.first_name": {"PERSON"}, "csv.last_name": {"PERSON"},
                           "csv.phone": {"PHONE_NUMBER"}}
    assert len([f for f in fs if f.category == "EMAIL"]) == 2  # one per row


def test_csv_upload_in_multipart_by_file_name_with_semicolons(scanner):
    body = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="contacts.csv"\r\n\r\n'
            + CONTACTS.replace(b",", b";") + b"\r\n--XyZ--\r\n")
    fs = scanner.scan_request("POST", "/v3/marketing/contacts/imports", [], body, "multipart/form-data; boundary=XyZ")
    assert by_path(fs)["multipart.file.csv.first_name"] == {"PERSON"}


def test_csv_without_a_header_and_broken_csv_are_still_scanned(scanner):
    fs = scanner.scan_request("POST", "/x", [], (EMAIL + ",Jane,Hill\n").encode(), "text/csv")
    assert _one(fs).field_path == "csv[]"  # the first row was data, not names
    fs = scanner.scan_request("POST", "/x", [], b'a,b\n"never closed,' + EMAIL.encode() + b"\n", "text/csv")
    assert _one(fs).category == "EMAIL"


def test_depth_limit_stops_decoding(scanner):
    from detectors.pii import Scanner

    value = EMAIL
    for _ in range(8):
        value = base64.b64encode(json.dumps({"d": value}).encode()).decode()
    s = Scanner({"max_depth": 3}, key=b"k")
    assert not s.scan_request("GET", f"/x?q={quote(value)}", [], b"")
    assert s.stats["depth_limited"] >= 1
    deep = Scanner({"max_depth": 20}, key=b"k")
    assert [f.category for f in deep.scan_request("GET", f"/x?q={quote(value)}", [], b"")] == ["EMAIL"]


def test_deeply_nested_json_is_bounded(scanner):
    doc = EMAIL
    for _ in range(500):
        doc = {"a": doc}
    body = json.dumps(doc).encode()
    assert scanner.scan_request("POST", "/", [], body, "application/json") == []
    assert scanner.stats["depth_limited"] >= 1


def test_malformed_inputs_do_not_raise(scanner):
    for body, ctype in [(b"{not json", "application/json"), (b"\x1f\x8b\x08garbage", None), (b"\xff\xfe\x00", None),
                        (b"--b\r\nbroken", "multipart/form-data; boundary=b"), (b"%%%=&&=%zz", "application/x-www-form-urlencoded")]:
        scanner.scan_request("POST", "/%zz?%=&=%", [("Cookie", ";;=;a"), ("Referer", "::::")], body, ctype)


def test_data_used_as_keys_stays_out_of_field_paths(scanner):
    fs = scan_json(scanner, {"recipients": {EMAIL: {"phone": "+1 415 555 0132"}},
                             "by_id": {"4bf92f3577b34da6a3ce929d0e0e4736": {"ok": True}}})
    assert {(f.field_path, f.category) for f in fs} == {("$.recipients.*", "EMAIL"), ("$.recipients.*.phone", "PHONE_NUMBER")}
    fs = scanner.scan_request("GET", f"/x?{quote(EMAIL)}=1", [("Cookie", f"{quote(EMAIL)}=1")], b"")
    assert {f.field_path for f in fs} == {"query.*", "cookie.*"}
    assert all(EMAIL not in repr(f) for f in fs)


def _strict_utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


@settings(max_examples=400, deadline=None)
@given(raw=st.one_of(st.binary(min_size=18, max_size=60), st.text(min_size=18, max_size=40).map(str.encode),
                     st.text(min_size=18, max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")[::-1])),
       url=st.booleans())
def test_base64_blobs_decode_only_when_they_hold_utf8_text(raw, url):
    # try_b64decode tells UTF-8 without raising: it must agree with a strict decode.
    blob = (base64.urlsafe_b64encode(raw) if url else base64.b64encode(raw)).decode()
    got = try_b64decode(blob)
    text = _strict_utf8(raw)
    if raw[:2] == b"\x1f\x8b":
        assert got is not None
    elif text is None or not text:
        assert got is None
    else:
        printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
        assert (got is not None) == (text.isprintable() or printable >= 0.85 * len(text))
    if got is not None:
        assert got[0] == binascii.a2b_base64(blob.replace("-", "+").replace("_", "/").encode())
