"""Values written in fullwidth forms, digits of other scripts, typographic apostrophes, or
with no-break spaces and Unicode hyphens inside: found as their ASCII spelling is, at their
place in the text as sent."""

import unicodedata

import pytest

from detectors.pii import Scanner, Watchlist
from detectors.pii.fold import SCRIPT_ZEROS, fold

KEY = b"fold-test-key"
REGIONS = ["JP", "CN", "KR", "SA", "IN", "RU", "FR", "US"]

# (text, category expected or None, what the text is)
TEXTS = [
    ("電話番号は０９０－１２３４－５６７８です", "PHONE_NUMBER", "Japanese, fullwidth digits and hyphens"),
    ("電話番号は090-1234-5678です", "PHONE_NUMBER", "Japanese, no space around the number"),
    ("我的手机号码是13812345678，谢谢", "PHONE_NUMBER", "Chinese mobile after 手机 (mobile)"),
    ("제 전화번호는 010-1234-5678입니다", "PHONE_NUMBER", "Korean, a particle glued after the number"),
    ("رقم جوالي ٠٥٠١٢٣٤٥٦٧", "PHONE_NUMBER", "Saudi mobile in Arabic-Indic digits"),
    ("मेरा फोन नंबर ९८७६५४३२१० है", "PHONE_NUMBER", "Indian mobile in Devanagari digits after फोन"),
    ("संपर्क फोन। ९८७६५४३२१०", "PHONE_NUMBER", "फोन before a danda, which ends a sentence, not a word"),
    ("мой телефон 8 912 345-67-89", "PHONE_NUMBER", "Russian, after телефон"),
    ("Appelez-moi au 06\u00a012\u00a034\u00a056\u00a078", "PHONE_NUMBER", "French, no-break spaces"),
    ("Call me on 415\u2011555\u20110132", "PHONE_NUMBER", "non-breaking hyphens"),
    ("メール：ｊｏｈｎ．ｓｍｉｔｈ＠ｅｘａｍｐｌｅ．ｃｏｍ", "EMAIL", "fullwidth e-mail"),
    ("カード番号 ４２４２ ４２４２ ４２４２ ４２４２", "CREDIT_CARD", "fullwidth card number"),
    ("カード番号4242424242424242です", "CREDIT_CARD", "card number between Japanese words"),
    ("Please call Sean O’Brien tomorrow", "PERSON", "a typographic apostrophe in a family name"),
    ("my driver’s license is D1234567", "NATIONAL_ID", "a typographic apostrophe in a cue"),
    ("注文番号は12345678です", None, "an order number (注文番号) is no phone"),
    ("注文番号 2024-0315-7788", None, "an order number in groups"),
    ("カード番号 ４２４２ ４２４２ ４２４２ ４２４１", None, "fullwidth, Luhn fails"),
    ("pages 10–20 of the 1990–2000 report", None, "en dashes stay ranges"),
    ("電話番号は０９０－１２３４", None, "too short for a phone"),
]


@pytest.fixture(scope="module")
def scanner():
    return Scanner({"phone_regions": REGIONS}, key=KEY)


@pytest.mark.parametrize("text,category,why", TEXTS, ids=[t[2] for t in TEXTS])
def test_folded_values_are_found_where_they_stand(scanner, text, category, why):
    found = scanner.scan_text(text)
    assert {f.category for f in found} == ({category} if category else set()), why
    for f in found:
        sent = text[f.start:f.end]
        assert sent.strip() == sent and sent[-1] == text[f.end - 1]
        assert fold(sent) != sent or sent.isascii()
        # The same value in ASCII is the same data subject: same hash, same mask.
        (ascii_twin,) = [g for g in scanner.scan_text(fold(text)) if (g.start, g.end) == (f.start, f.end)]
        assert (f.value_hash, f.masked) == (ascii_twin.value_hash, ascii_twin.masked)


def test_a_folded_value_in_a_request_field_keeps_its_field_path(scanner):
    body = '{"customer": {"phone": "０９０－１２３４－５６７８", "email": "ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ"}}'
    found = scanner.scan_request("POST", "https://api.example.com/v1/customers", {"Content-Type": "application/json"},
                                 body.encode())
    assert {(f.category, f.field_path, f.start, f.end) for f in found} == {
        ("PHONE_NUMBER", "$.customer.phone", 0, 13), ("EMAIL", "$.customer.email", 0, 16)}


def test_a_registered_value_is_found_in_fullwidth():
    wl = Watchlist(["john@example.com"], key=KEY)
    found = Scanner(watchlist=wl).scan_text("連絡先：ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ")
    assert [(f.detector, f.start, f.end) for f in found] == [("watchlist", 4, 20)]


def test_every_script_zero_starts_a_run_of_ten_digits():
    for zero in SCRIPT_ZEROS:
        assert [unicodedata.digit(chr(zero + d)) for d in range(10)] == list(range(10)), hex(zero)
        assert all(unicodedata.category(chr(zero + d)) == "Nd" for d in range(10))


def test_folding_keeps_every_offset():
    samples = ["", "plain ascii", "０１２ａｂｃ！～", "\u3000\u00a0x\u2212", "é٣४", "混合 text ０９０", "‘it’s’"]
    for s in samples:
        folded = fold(s)
        assert len(folded) == len(s)
        assert all(a == b or not a.isascii() for a, b in zip(s, folded))
    assert fold("plain ascii") is not None and fold("ｊｏｈｎ") == "john"
    assert fold("é") == "é"  # letters of other scripts stay


def test_a_value_registered_in_fullwidth_is_found_in_ascii():
    # A customer export from a Japanese system keeps the input method's forms.
    wl = Watchlist(["ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "＋８１ ９０－１２３４－５６７８"], key=KEY)
    found = Scanner({"phone_regions": ["JP"]}, watchlist=wl).scan_text(
        "from john@example.com, phone +81 90-1234-5678")
    assert [(f.detector, f.category) for f in found] == [("watchlist", "EMAIL"), ("watchlist", "PHONE_NUMBER")]
