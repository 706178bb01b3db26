"""HL7 v2 messages (ER7), as hospital systems and health integrations send them: each
field of the patient (PID), the next of kin (NK1), the guarantor (GT1), the insured
(IN1), the diagnoses (DG1), allergies (AL1) and tests (OBX) read by its place in the
standard, wherever the message stands: a request's body, a JSON field, text."""

import json

import pytest

from detectors.pii.hl7v2 import hl7_fields

MESSAGE = ("MSH|^~\\&|EPIC|HOSP|LAB|HOSP|20240301120000||ADT^A01|MSG00001|P|2.5\r"
           "EVN|A01|20240301120000\r"
           "PID|1||00482913^^^HOSP^MR~536228726^^^SSA^SS||O'NEILL^ROBERT^A~O'NEIL^BOB|SMITH|19620714|M||"
           "2106-3^White^CDCREC|123 Main St^^Springfield^IL^62704||"
           "(217)555-0132~^NET^Internet^robert.oneill@example.com|(217)555-0188||M|CAT^Roman Catholic^HL70006||"
           "536-22-8726|D7654321^IL||2186-5^Hispanic or Latino^CDCREC\r"
           "NK1|1|O'NEILL^MARY|SPO|44 Elm St^^Springfield^IL^62704|(217)555-0199\r"
           "GT1|1||O'NEILL^MARY||44 Elm St^^Springfield^IL^62704|(217)555-0199||19640203|F|P|SPO|412-55-1234\r"
           "IN1|1|BCBS01|60054|BLUE CROSS||||||||||||O'NEILL^MARY|SPO|19640203|44 Elm St^^Springfield^IL^62704"
           "|||||||||||||||||XYZ812345678\r"
           "DG1|1||F32.9^Major depressive disorder^I10||20240301|A\r"
           "AL1|1|DA|^PENICILLIN|MO|RASH\r"
           "OBX|1|NM|2345-7^Glucose [Mass/volume] in Serum or Plasma^LN||182|mg/dL|70-99|H|||F\r")
EXPECTED = {
    ("PID-3_mrn", "HEALTH_ID"), ("PID-3_ssn", "US_SSN"), ("PID-5_familyname", "PERSON"),
    ("PID-5_givenname", "PERSON"), ("PID-6_maidenname", "PERSON"), ("PID-7_birthdate", "DATE_OF_BIRTH"),
    ("PID-10_racialorigin", "SPECIAL_CATEGORY"), ("PID-11_street_address", "STREET_ADDRESS"),
    ("PID-13_home_phone", "PHONE_NUMBER"), ("PID-13_email", "EMAIL"), ("PID-14_business_phone", "PHONE_NUMBER"),
    ("PID-17_religion", "SPECIAL_CATEGORY"), ("PID-19_ssn", "US_SSN"), ("PID-20_driverslicense", "NATIONAL_ID"),
    ("PID-22_ethnicgroup", "SPECIAL_CATEGORY"),
    ("NK1-2_familyname", "PERSON"), ("NK1-2_givenname", "PERSON"), ("NK1-4_street_address", "STREET_ADDRESS"),
    ("NK1-5_phone", "PHONE_NUMBER"),
    ("GT1-3_familyname", "PERSON"), ("GT1-3_givenname", "PERSON"), ("GT1-5_street_address", "STREET_ADDRESS"),
    ("GT1-6_home_phone", "PHONE_NUMBER"), ("GT1-8_birthdate", "DATE_OF_BIRTH"), ("GT1-12_ssn", "US_SSN"),
    ("IN1-16_familyname", "PERSON"), ("IN1-16_givenname", "PERSON"), ("IN1-18_birthdate", "DATE_OF_BIRTH"),
    ("IN1-19_street_address", "STREET_ADDRESS"), ("IN1-36_insurancepolicynumber", "HEALTH_ID"),
    ("DG1-3_diagnosis_code", "SPECIAL_CATEGORY"), ("DG1-3_diagnosis", "SPECIAL_CATEGORY"),
    ("AL1-3_allergy", "SPECIAL_CATEGORY"), ("OBX-3_labtest", "SPECIAL_CATEGORY"),
}


def values_of(message: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for key, s, e in hl7_fields(message):
        values.setdefault(key, []).append(message[s:e])
    return values


def test_the_fields_by_their_place():
    values = values_of(MESSAGE)
    assert values["PID-5_familyname"] == ["O'NEILL", "O'NEIL"] and values["PID-5_givenname"] == ["ROBERT", "BOB"]
    # Every repetition, and the e-mail address in the fourth component of a phone's.
    assert values["PID-13_home_phone"] == ["(217)555-0132"] and values["PID-13_email"] == ["robert.oneill@example.com"]
    assert values["PID-19_ssn"] == ["536-22-8726"] and values["DG1-3_diagnosis_code"] == ["F32.9"]
    assert values["PID-10_racialorigin"] == ["White"] and values["IN1-36_insurancepolicynumber"] == ["XYZ812345678"]
    # A patient identifier is read by the kind its fifth component names.
    assert values["PID-3_mrn"] == ["00482913"] and values["PID-3_ssn"] == ["536228726"]
    # Newlines between segments, as a message pasted into a ticket has them, read alike.
    assert [(k, MESSAGE[s:e]) for k, s, e in hl7_fields(MESSAGE)] == \
        [(k, MESSAGE[s:e]) for k, s, e in hl7_fields(MESSAGE.replace("\r", "\n"))]
    starts = [s for _, s, _ in hl7_fields(MESSAGE)]
    assert starts == sorted(starts)


def test_the_special_categories_by_their_kind(scanner):
    kinds = {f.field_path: f.subtype for f in scanner.scan_text(MESSAGE) if f.category == "SPECIAL_CATEGORY"}
    assert kinds["PID-10_racialorigin"] == kinds["PID-22_ethnicgroup"] == "ethnicity"
    assert kinds["PID-17_religion"] == "religion"
    assert kinds["DG1-3_diagnosis"] == kinds["AL1-3_allergy"] == kinds["OBX-3_labtest"] == "health"


def test_answers_that_state_nothing_are_not_reported(scanner):
    declined = MESSAGE.replace("2106-3^White^CDCREC", "ASKU^Asked but unknown^NULLFL").replace(
        "CAT^Roman Catholic^HL70006", "UNK^Unknown^HL70006").replace("2186-5^Hispanic or Latino", "ASKU^Refused")
    paths = {f.field_path for f in scanner.scan_text(declined)}
    assert not paths & {"PID-10_racialorigin", "PID-17_religion", "PID-22_ethnicgroup"}
    assert "PID-5_familyname" in paths


@pytest.mark.parametrize("where", ["text", "body", "json"])
def test_found_wherever_the_message_stands(scanner, where):
    if where == "text":
        found = scanner.scan_text(MESSAGE)
        paths = {(f.field_path, f.category) for f in found}
    elif where == "body":
        found = scanner.scan_request("POST", "https://hl7.example.net/in", [], MESSAGE.encode(),
                                     "x-application/hl7-v2+er7")
        paths = {(f.field_path.removeprefix("body."), f.category) for f in found}
    else:
        body = json.dumps({"Meta": {"DataModel": "PatientAdmin"}, "Message": MESSAGE}).encode()
        found = scanner.scan_request("POST", "https://api.example-health.com/endpoint", [], body, "application/json")
        paths = {(f.field_path.removeprefix("$.Message."), f.category) for f in found}
    assert EXPECTED <= paths
    assert all("O'NEILL" not in f.masked and "536-22" not in f.masked and "White" not in f.masked for f in found)


def test_offsets_point_into_the_message(scanner):
    (f,) = [f for f in scanner.scan_text(MESSAGE) if f.field_path == "PID-19_ssn"]
    assert MESSAGE[f.start:f.end] == "536-22-8726"


@pytest.mark.parametrize("text", ["MSH|", "MSHX|^~\\&|a|b", "the MSH|^~\\&| header starts a message"])
def test_not_a_message(text):
    assert hl7_fields(text) == []
