"""HL7 v2 messages (ER7), as hospital systems and health integrations send them: each
field of the patient (PID), the next of kin (NK1) and the diagnoses (DG1) read by its
place in the standard, wherever the message stands: a request's body, a JSON field, text."""

import json

import pytest

from detectors.pii.hl7v2 import hl7_fields

MESSAGE = ("MSH|^~\\&|EPIC|HOSP|LAB|HOSP|20240301120000||ADT^A01|MSG00001|P|2.5\r"
           "EVN|A01|20240301120000\r"
           "PID|1||00482913^^^HOSP^MR||O'NEILL^ROBERT^A||19620714|M|||123 Main St^^Springfield^IL^62704||"
           "(217)555-0132~(217)555-0144|(217)555-0188|||||536-22-8726\r"
           "NK1|1|O'NEILL^MARY|SPO||(217)555-0199\r"
           "DG1|1||F32.9^Major depressive disorder^I10||20240301|A\r")
EXPECTED = {
    ("PID-3_mrn", "HEALTH_ID"), ("PID-5_familyname", "PERSON"), ("PID-5_givenname", "PERSON"),
    ("PID-7_birthdate", "DATE_OF_BIRTH"), ("PID-11_street_address", "STREET_ADDRESS"),
    ("PID-13_home_phone", "PHONE_NUMBER"), ("PID-14_business_phone", "PHONE_NUMBER"), ("PID-19_ssn", "US_SSN"),
    ("NK1-2_familyname", "PERSON"), ("NK1-2_givenname", "PERSON"), ("NK1-5_phone", "PHONE_NUMBER"),
    ("DG1-3_diagnosis_code", "SPECIAL_CATEGORY"), ("DG1-3_diagnosis", "SPECIAL_CATEGORY"),
}


def test_the_fields_by_their_place():
    values = {key: MESSAGE[s:e] for key, s, e in hl7_fields(MESSAGE)}
    assert values["PID-5_familyname"] == "O'NEILL" and values["PID-5_givenname"] == "ROBERT"
    assert values["PID-13_home_phone"] == "(217)555-0132"  # the first repetition only
    assert values["PID-19_ssn"] == "536-22-8726" and values["DG1-3_diagnosis_code"] == "F32.9"
    # Newlines between segments, as a message pasted into a ticket has them, read alike.
    assert [(k, MESSAGE[s:e]) for k, s, e in hl7_fields(MESSAGE)] == \
        [(k, MESSAGE[s:e]) for k, s, e in hl7_fields(MESSAGE.replace("\r", "\n"))]


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
    assert all("O'NEILL" not in f.masked and "536-22" not in f.masked for f in found)


def test_offsets_point_into_the_message(scanner):
    (f,) = [f for f in scanner.scan_text(MESSAGE) if f.field_path == "PID-19_ssn"]
    assert MESSAGE[f.start:f.end] == "536-22-8726"


@pytest.mark.parametrize("text", ["MSH|", "MSHX|^~\\&|a|b", "the MSH|^~\\&| header starts a message"])
def test_not_a_message(text):
    assert hl7_fields(text) == []
