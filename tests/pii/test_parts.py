"""Personal data sent in parts or cut short, as payment and KYC APIs take it: a birth date
as day, month and year (Stripe's individual[dob][year]), the last four digits of an SSN.
A day or a month alone identifies no one; the year and the last four do. A year beside
its day and month is the whole date, hashed as the date written whole."""

from __future__ import annotations

import json

import pytest

from tests.pii.conftest import scan_json

STRIPE_ACCOUNT = ("individual[dob][day]=14&individual[dob][month]=3&individual[dob][year]=1982"
                  "&individual[ssn_last_4]=6789&business_profile[mcc]=5734")


def test_stripe_connect_account_form(scanner):
    fs = scanner.scan_request("POST", "https://api.stripe.com/v1/accounts", [], STRIPE_ACCOUNT.encode(),
                              "application/x-www-form-urlencoded")
    found = sorted((f.category, f.subtype, f.field_path, f.masked) for f in fs)
    assert found == [("DATE_OF_BIRTH", "", "form.individual[dob][year]", "****"),
                     ("US_SSN", "last4", "form.individual[ssn_last_4]", "****")]


def _whole_date_hash(scanner) -> str:
    (f,) = scanner.scan_text("Date of birth: 1982-03-14")
    return f.value_hash


@pytest.mark.parametrize("doc,path", [
    ({"user": {"dateOfBirth": {"day": 14, "month": 3, "year": 1982}}}, "$.user.dateOfBirth.year"),  # numbers
    ({"user": {"dob": {"day": "14", "month": "03", "year": "1982"}}}, "$.user.dob.year"),  # strings
    ({"birth_day": "14", "birth_month": "3", "birth_year": "1982"}, "$.birth_year"),  # siblings, no parent
])
def test_a_birth_date_in_parts_is_the_whole_date(scanner, doc, path):
    fs = [f for f in scan_json(scanner, doc) if f.category == "DATE_OF_BIRTH"]
    assert [(f.field_path, f.subtype, f.masked) for f in fs] == [(path, "", "****")]
    assert fs[0].value_hash == _whole_date_hash(scanner)
    form = scanner.scan_request("POST", "https://api.stripe.com/v1/accounts", [], STRIPE_ACCOUNT.encode(),
                                "application/x-www-form-urlencoded")
    assert [f.value_hash for f in form if f.category == "DATE_OF_BIRTH"] == [fs[0].value_hash]


@pytest.mark.parametrize("doc,path", [
    ({"user": {"dateOfBirth": {"month": 3, "year": 1982}}}, "$.user.dateOfBirth.year"),  # no day
    ({"user": {"dob": {"day": "31", "month": "02", "year": "1982"}}}, "$.user.dob.year"),  # no such date
    ({"user": {"dob": {"year": "1982"}, "day": "14", "month": "3"}}, "$.user.dob.year"),  # parts of another object
    ({"birth_year": "1982"}, "$.birth_year"),
    ({"profile": {"yob": 1982}}, "$.profile.yob"),
])
def test_birth_year(scanner, doc, path):
    fs = [f for f in scan_json(scanner, doc) if f.category == "DATE_OF_BIRTH"]
    assert [(f.field_path, f.subtype, f.masked) for f in fs] == [(path, "year", "****")]


@pytest.mark.parametrize("doc", [
    {"year": 1982}, {"model_year": "1982"}, {"card": {"exp_year": 2029}},  # a year of something else
    {"dob": {"year": "2031"}}, {"dob": {"year": "1801"}},  # no living person's
    {"dob": {"day": 14, "month": 3}},  # a day and a month identify no one
])
def test_no_birth_year(scanner, doc):
    assert [f for f in scan_json(scanner, doc) if f.category == "DATE_OF_BIRTH"] == []


@pytest.mark.parametrize("field", ["ssn_last_4", "ssnLast4", "last4_ssn", "ssn_last_four"])
@pytest.mark.parametrize("value", ["6789", 6789])
def test_ssn_last_four(scanner, field, value):
    fs = scan_json(scanner, {"applicant": {field: value}})
    assert [(f.category, f.subtype, f.masked) for f in fs] == [("US_SSN", "last4", "****")]


@pytest.mark.parametrize("doc", [{"card": {"last4": "4242"}}, {"ssn_last_4": "0000"}, {"ssn_last_4": "67890"},
                                 {"phone_last_4": "0132"}])
def test_no_ssn_last_four(scanner, doc):
    assert [f for f in scan_json(scanner, doc) if f.category == "US_SSN"] == []


# Named in text, as a support agent verifies a caller; hashed as the field's value is.
@pytest.mark.parametrize("text", [
    "SSN (last 4): 6789", "last four of my social is 6789", "caller verified with SSN ending in 6789 and DOB",
    "social security number last four digits 6789", "Last 4 of SSN: 6789, thanks",
])
def test_ssn_last_four_in_text(scanner, text):
    (f,) = [f for f in scanner.scan_text(text) if f.category == "US_SSN"]
    assert (text[f.start:f.end], f.subtype, f.masked) == ("6789", "last4", "****")
    (field,) = scan_json(scanner, {"ssn_last_4": "6789"})
    assert f.value_hash == field.value_hash


@pytest.mark.parametrize("text", [
    "SSN last 4: 0000", "the ssn last 4 digits field is required", "card ending in 6789",
    "SSN ending in 6789-12 of the batch",
])
def test_no_ssn_last_four_in_text(scanner, text):
    assert [f for f in scanner.scan_text(text) if f.category == "US_SSN"] == []


def test_a_card_security_code_sent_as_a_number(scanner):
    fs = scan_json(scanner, {"card": {"number": "4242424242424242", "cvc": 123}})
    assert sorted((f.subtype, f.field_path, f.masked) for f in fs if f.category == "CREDIT_CARD") == [
        ("", "$.card.number", "**** **** **** 4242"), ("security_code", "$.card.cvc", "***")]


def test_no_raw_part_in_findings(scanner):
    fs = scanner.scan_request("POST", "https://api.stripe.com/v1/accounts", [], STRIPE_ACCOUNT.encode(),
                              "application/x-www-form-urlencoded")
    text = json.dumps([f.to_dict() for f in fs])
    assert "1982" not in text and "6789" not in text
