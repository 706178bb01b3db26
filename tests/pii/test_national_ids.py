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
    ("ahv_nr", "756.9217.0769.85", "756.9217.0769.84", "ch_ahv"),
    ("cnp", "1630615123457", "1630615123458", "ro_cnp"),
    ("rodne_cislo", "710319/2745", "710319/2746", "cz_rc"),
    ("isikukood", "36805280109", "36805280108", "ee_ik"),
    ("amka", "01013099997", "01013099999", "gr_amka"),
    ("tcKimlikNo", "17291716060", "17291716050", "tr_tckimlik"),
    ("curp", "BOXW310820HNERXN09", "BOXW310820HNERXN08", "mx_curp"),
    ("rut", "12531909-2", "12531909-3", "cl_rut"),
    ("tfn", "123 456 782", "123 456 783", "au_tfn"),
    ("shenfenzheng", "360426199101010071", "360426199101010072", "cn_ric"),
    ("resident_registration_number", "971013-9019902", "971013-9019903", "kr_rrn"),
    ("myNumber", "6214 9832 0257", "6214 9832 0258", "jp_my_number"),
    ("pan", "ACUPA7085R", "ACUPA70851", "in_pan"),
    ("mykad", "770305-02-1234", "771305-02-1234", "my_nric"),
    ("nric", "S1234567D", "S1234567A", "sg_nric"),  # Malaysia's name too: the shape tells them apart
    ("fin_number", "G1234567X", "G1234567W", "sg_nric"),
    ("thai_id", "3100600445635", "3100600445636", "th_pin"),
    ("teudat_zehut", "3933742-3", "3933742-2", "il_idnr"),
    ("rsa_id", "7503305044089", "8503305044089", "za_idnr"),
    ("emirates_id", "784-1987-1234567-1", "784-1987-1234567-2", "ae_emirates_id"),
    ("emiratesIdNumber", "784198712345671", "784287512345674", "ae_emirates_id"),  # year 2875, Luhn valid
    ("voter_id", "ABC1234567", "ABC0000000", "in_epic"),  # no check digit: a repeated one is a placeholder
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
    ("Mi CURP es BOXW310820HNERXN09, gracias", "BOXW310820HNERXN09", "mx_curp"),  # letters first
    ("PAN card: ACUPA7085R attached", "ACUPA7085R", "in_pan"),
    ("AHV-Nr. 756.9217.0769.85 bitte", "756.9217.0769.85", "ch_ahv"),
    ("rodne cislo 710319/2745", "710319/2745", "cz_rc"),  # a slash inside
    ("TC Kimlik No: 17291716060", "17291716060", "tr_tckimlik"),
    ("my NRIC/FIN is t0123456g, thanks", "t0123456g", "sg_nric"),  # typed in lower case
    ("NRIC: M1234567K", "M1234567K", "sg_nric"),  # the M series, from 2022
    ("resident registration number 971013-9019902", "971013-9019902", "kr_rrn"),
    ("Emirates ID: 784-1987-1234567-1", "784-1987-1234567-1", "ae_emirates_id"),
    ("My voter ID is ABC1234567", "ABC1234567", "in_epic"),
    ("EPIC No. TNA0123456, address proof attached", "TNA0123456", "in_epic"),
    # Names in scripts without spaces, glued to the number or to the words around it
    ("身份证号 11010519491231002X", "11010519491231002X", "cn_ric"),
    ("我的身份证号码是11010519491231002X。", "11010519491231002X", "cn_ric"),
    ("公民身份号码：11010519491231002X", "11010519491231002X", "cn_ric"),
    ("주민등록번호 971013-9019902 입니다", "971013-9019902", "kr_rrn"),
    ("マイナンバーは123456789018です", "123456789018", "jp_my_number"),
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
    "my number is 6214 9832 0257",  # a phone number's introduction, not the Japanese My Number
    "CURP: BOXW310820HNERXN08",  # wrong check digit
    "ticket 7569217076985 closed",  # a valid AHV number, but nothing names it
    "身份证号 11010519491231002Y",  # wrong check character
    "订单号 11010519491231002X",  # an order number's name, not the card's
    "an epic ABC1234567 win",  # "epic" alone is a word
    "ticket ABC1234567 closed",  # a voter ID's shape, unnamed
])
def test_unnamed_or_invalid_in_text(scanner, text):
    assert not _national(scanner.scan_text(text))
