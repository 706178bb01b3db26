"""National identifiers checked by python-stdnum, reported only where the scheme is named.
Valid values are the schemes' published examples; the invalid ones differ in a check digit
or a date."""

import pytest

from tests.pii.conftest import scan_json

# (field name, valid value, the same with a wrong check digit or date, subtype)
SCHEMES = [
    ("bsn", "111222333", "111222334", "nl_bsn"),
    ("personnummer", "880320-0016", "880320-0018", "se_personnummer"),
    ("pesel", "44051401359", "44051401358", "pl_pesel"),
    ("sin", "123 456 782", "123 456 783", "ca_sin"),
    ("nhs_number", "943 476 5919", "943 476 5910", "gb_nhs"),
    ("steuer_id", "36 574 261 809", "36554266806", "de_idnr"),
    ("cpr", "211062-5629", "511062-5629", "dk_cpr"),
    ("hetu", "131052-308T", "131052-308U", "fi_hetu"),
    ("fnr", "15108695088", "15108695077", "no_fnr"),
    ("insz", "85.07.30-033 28", "85.07.30-033 29", "be_nn"),
    ("itin", "912-70-1234", "912-89-1234", "us_itin"),  # group 89 is never issued
]
IDS = [s[3] for s in SCHEMES]


def _national(findings):
    return [f for f in findings if f.category == "NATIONAL_ID"]


@pytest.mark.parametrize("field,valid,invalid,subtype", SCHEMES, ids=IDS)
def test_named_field(scanner, field, valid, invalid, subtype):
    (f,) = _national(scan_json(scanner, {"customer": {field: valid}}))
    assert (f.subtype, f.field_path, f.start, f.end) == (subtype, f"$.customer.{field}", 0, len(valid))
    assert valid.replace(" ", "") not in f.masked
    assert not _national(scan_json(scanner, {"customer": {field: invalid}}))


@pytest.mark.parametrize("field,valid,invalid,subtype", SCHEMES, ids=IDS)
def test_unnamed_field_is_not_enough(scanner, field, valid, invalid, subtype):
    assert not _national(scan_json(scanner, {"customer": {"reference": valid}}))


@pytest.mark.parametrize("text,value,subtype", [
    ("Mijn BSN is 111222333, groet", "111222333", "nl_bsn"),
    ("PESEL: 44051401359 - dziękuję", "44051401359", "pl_pesel"),
    ("NHS number 943 476 5919 please", "943 476 5919", "gb_nhs"),  # also a phone number's shape
    ("my social insurance number is 123-456-782.", "123-456-782", "ca_sin"),
    ("Steuer-ID 36 574 261 809 liegt bei", "36 574 261 809", "de_idnr"),
    ("hetu 131052-308T kiitos", "131052-308T", "fi_hetu"),
    ("my ITIN is 912-70-1234.", "912-70-1234", "us_itin"),
])
def test_named_in_text(scanner, text, value, subtype):
    (f,) = _national(scanner.scan_text(text))
    assert f.subtype == subtype
    assert text[f.start:f.end] == value


@pytest.mark.parametrize("text", [
    "pago sin 123456782 cuotas",  # Spanish "sin": without
    "order 111222333 shipped",
    "call 943 476 5919",
    "PESEL: 44051401358",  # wrong check digit
])
def test_unnamed_or_invalid_in_text(scanner, text):
    assert not _national(scanner.scan_text(text))
