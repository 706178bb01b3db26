"""Driving licence numbers: found where they are named, and nowhere else. The numbers are
made up in each issuer's layout (California, Florida, New York, the DVLA, Germany)."""

from __future__ import annotations

import pytest

from tests.pii.conftest import scan_json


def licences(findings):
    return [f for f in findings if f.detector == "driver_license"]


# (text, the licence number in it)
PROSE = [
    ("Her driver's license is D1234567 (California)", "D1234567"),
    ("DRIVERS LICENSE NO.: A123-456-78-901-0", "A123-456-78-901-0"),
    ("driving licence MORGA657054SM9IJ, issued 2019", "MORGA657054SM9IJ"),
    ("Driver license 123 456 789 NY", "123 456 789"),
    ("DRIVER LICENSE NUMBER: 071 881 817", "071 881 817"),  # a phone's shape, but named a licence
    ("driver’s license: D7654321", "D7654321"),  # a typographic apostrophe
    ("DL# B2345678", "B2345678"),
    ("dl# D1234567 (CA)", "D1234567"),  # as typed, in lower case
    ("Führerscheinnummer: B072RRE2I55", "B072RRE2I55"),
    ("numéro de permis de conduire 12AB34567", "12AB34567"),
    ("mi licencia de conducir es 12345678Z", "12345678Z"),
    ("Rijbewijs 5123456789", "5123456789"),
    ("prawo jazdy nr 01234/19/1234", "01234/19/1234"),  # the Polish layout
]

NEGATIVES = [
    "license key ABCD-1234-EFGH-5678",  # software
    "the driver left at 10:45, order D1234567",  # a driver, no licence
    "Licensed under MIT, see LICENSE 2.0",
    "driver's license: pending",  # no number
    "driver's license 0000000",  # one repeated character
    "DL 1234567",  # "DL" alone: a download, a distribution list
    "driving license renewal in 2 weeks",  # too few digits
]


@pytest.mark.parametrize("text,number", PROSE, ids=[p[0][:28] for p in PROSE])
def test_licence_named_in_text(scanner, text, number):
    found = licences(scanner.scan_text(text))
    assert [text[f.start:f.end] for f in found] == [number]
    f = found[0]
    assert (f.category, f.subtype) == ("NATIONAL_ID", "driver_license")
    visible = f.masked.lstrip("*")  # a few trailing characters at most
    assert f.masked.startswith("*") and 0 < len(visible) <= 3
    assert number.replace(" ", "").replace("-", "").replace("/", "").endswith(visible)


@pytest.mark.parametrize("text", NEGATIVES)
def test_no_licence_without_its_name_or_a_number(scanner, text):
    assert licences(scanner.scan_text(text)) == []


@pytest.mark.parametrize("field", ["drivers_license_number", "driverLicense", "dl_number", "driving_licence",
                                   "fuehrerschein", "license_number_driver"])
def test_licence_under_its_field(scanner, field):
    fs = licences(scan_json(scanner, {"applicant": {field: "D1234567"}}))
    assert [(f.field_path, f.subtype) for f in fs] == [(f"$.applicant.{field}", "driver_license")]


@pytest.mark.parametrize("field,value", [("license_key", "D1234567"), ("license_number", "D1234567"),
                                         ("drivers_license", "yes"), ("drivers_license_state", "CA"),
                                         ("drivers_license", "N/A")])
def test_no_licence_under_other_fields(scanner, field, value):
    assert licences(scan_json(scanner, {field: value})) == []


def test_same_licence_hashes_alike_however_written(scanner):
    forms = [{"dl_number": "A123-456-78-901-0"}, {"dl_number": "a123456789010"}]
    hashes = {licences(scan_json(scanner, form))[0].value_hash for form in forms}
    assert len(hashes) == 1
