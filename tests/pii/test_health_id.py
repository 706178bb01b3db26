"""Health identifiers: medical record numbers and Medicare numbers, named by their field or
just before them in text (clinical notes, support tickets, prompts)."""

from __future__ import annotations

import pytest

from tests.pii.conftest import scan_json

# (text, the number found in it, subtype)
NAMED = [
    ("Patient Jane Doe, DOB 03/14/1982, MRN 00482913, was seen today.", "00482913", "medical_record"),
    ("Medical record number: A1234567", "A1234567", "medical_record"),
    ("med rec # 4471-2209 attached", "4471-2209", "medical_record"),
    ("Patient ID 88123456 in room 4", "88123456", "medical_record"),
    ("Medicare number 1EG4-TE5-MK73, thanks", "1EG4-TE5-MK73", "us_mbi"),  # CMS's printed form
    ("MBI: 1EG4TE5MK73", "1EG4TE5MK73", "us_mbi"),
    # Australia's, as printed on the card, with the person's reference number after "/"
    ("Medicare number 2123 45670 1, thanks", "2123 45670 1", "au_medicare"),
    ("Medicare card 2123 45670 1/1 exp 05/27", "2123 45670 1/1", "au_medicare"),
    ("medicare no. 2123456701", "2123456701", "au_medicare"),
]


@pytest.mark.parametrize("text,number,subtype", NAMED, ids=[n[0][:30] for n in NAMED])
def test_named_in_text(scanner, text, number, subtype):
    found = [f for f in scanner.scan_text(text) if f.category == "HEALTH_ID"]
    assert [(text[f.start:f.end], f.subtype) for f in found] == [(number, subtype)]
    compact = number.replace("-", "")
    assert compact not in found[0].masked and number not in found[0].masked


@pytest.mark.parametrize("text", [
    "patient 12345 in room 6",  # "patient" alone: a count, a room
    "order 00482913 shipped",  # nothing names a record
    "MRN 00000",  # one repeated digit
    "Medicare number 1EG4-TE5-MK7S",  # S is not in an MBI
    "Medicare Part B 2024 premiums",
    "MBI 12345678901",  # digits only: not the layout
    "Medicare number 2123 45671 1",  # Australia's layout, its check digit wrong
    "Medicare number 7123 45670 1",  # no card number starts with 7
    "MRN 2123 45670 1",  # a record number is not read across blanks ("2123" is too short)
])
def test_not_a_health_id(scanner, text):
    assert not [f for f in scanner.scan_text(text) if f.category == "HEALTH_ID"]


@pytest.mark.parametrize("doc,path,subtype", [
    ({"patient": {"mrn": "00482913"}}, "$.patient.mrn", "medical_record"),
    ({"medical_record_number": "A1234567"}, "$.medical_record_number", "medical_record"),
    ({"mbi": "1EG4TE5MK73"}, "$.mbi", "us_mbi"),
    ({"medicare_number": "1eg4-te5-mk73"}, "$.medicare_number", "us_mbi"),
    ({"medicare_number": "2123 45670 1"}, "$.medicare_number", "au_medicare"),
    ({"coverage": {"health_plan_id": "XYZ812345678"}}, "$.coverage.health_plan_id", "health_plan"),
    ({"insuranceMemberId": "W123456789"}, "$.insuranceMemberId", "health_plan"),
])
def test_named_by_field(scanner, doc, path, subtype):
    assert [(f.category, f.field_path, f.subtype) for f in scan_json(scanner, doc)] == [("HEALTH_ID", path, subtype)]


@pytest.mark.parametrize("doc", [{"mrn": "abc"}, {"mbi": "12345"}, {"mbi": "1EG4TE5MK7Z"}, {"record": "00482913"},
                                 {"health_plan_id": "GOLD-PPO"}, {"insurance_member_id": "1111111"},
                                 # A loyalty scheme's member, a car's policy: no health plan named.
                                 {"member_id": "W123456789"}, {"policy_number": "XYZ812345678"}])
def test_field_values_that_are_not_health_ids(scanner, doc):
    assert scan_json(scanner, doc) == []


def test_one_record_hashes_alike_in_text_and_field(scanner):
    (text,) = scanner.scan_text("Medicare number 1EG4-TE5-MK73")
    (field,) = scan_json(scanner, {"mbi": "1eg4te5mk73"})
    assert text.value_hash == field.value_hash
    # Australia's: the card and issue number, whether the person's number follows or not
    (card,) = scanner.scan_text("Medicare card 2123 45670 1/2")
    (field,) = scan_json(scanner, {"medicare_number": "2123456701"})
    assert card.value_hash == field.value_hash


def test_the_category_can_be_turned_off():
    from detectors.pii import Scanner

    sc = Scanner({"detectors": {"HEALTH_ID": {"enabled": False}}})
    assert sc.scan_text("MRN 00482913") == []
