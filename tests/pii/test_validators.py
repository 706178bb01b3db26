"""Checksums and structural rules, valid and invalid side by side."""

import collections
import datetime
import math
import string
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detectors.pii import validators as v
from detectors.pii.masking import alnum_upper, digits_of
from tests.pii.conftest import aadhaar_number, nir_number


@pytest.mark.parametrize("digits,ok", [
    ("4242424242424242", True),  # Stripe test Visa
    ("4242424242424241", False),  # last digit off
    ("5555555555554444", True),  # test Mastercard
    ("2223003122003222", True),  # test Mastercard 2-series
    ("378282246310005", True),  # test Amex
    ("6011111111111117", True),  # test Discover
    ("3566002020360505", True),  # test JCB
    ("1234567812345670", False),  # Luhn-valid, no issuer starts with 1
    ("4242424242424", False),  # 13 digits, Luhn fails
    ("0000000000000000", False),
])
def test_credit_card(digits, ok):
    assert v.is_credit_card(digits) is ok


def _issuer_by_each_range(digits: str) -> str:
    """The IIN table read range by range, each at its own prefix length."""
    for lo, hi, plen, lengths, issuer in v._CARD_RANGES:
        if len(digits) in lengths and lo <= int(digits[:plen]) <= hi:
            return issuer
    return ""


@settings(max_examples=400)
@given(st.from_regex(r"(?:[2-6][0-9]{0,3})?[0-9]{0,16}", fullmatch=True).filter(bool))
def test_card_issuer_reads_the_iin_table_at_each_prefix_length(digits):
    assert v.card_issuer(digits) == _issuer_by_each_range(digits)


@pytest.mark.parametrize("digits,issuer", [("4111111111111111", "visa"), ("2221000000000009", "mastercard"),
                                           ("2720999999999999", "mastercard"), ("2721000000000000", ""),
                                           ("6449999999999999", "discover"), ("6500000000000000", "discover"),
                                           ("3000000000000000", "diners"), ("3060000000000000", ""),
                                           ("6759000000000", "maestro"), ("411", "")])
def test_card_issuer_at_the_edges_of_ranges(digits, issuer):
    assert v.card_issuer(digits) == issuer


@pytest.mark.parametrize("iban,ok", [
    ("DE89370400440532013000", True),  # documentation example
    ("GB82WEST12345698765432", True),
    ("FR1420041010050500013M02606", True),
    ("DE89370400440532013001", False),  # check digits wrong
    ("DE8937040044053201300", False),  # one short for DE
    ("XX89370400440532013000", False),  # unknown country
    ("GB82WEST1234569876543X", False),
])
def test_iban(iban, ok):
    assert v.is_iban(iban) is ok


@pytest.mark.parametrize("ssn,ok", [
    ("512347788", True),
    ("000347788", False),  # area 000
    ("666347788", False),  # area 666
    ("912347788", False),  # area 9xx (ITIN range)
    ("512007788", False),  # group 00
    ("512340000", False),  # serial 0000
    ("078051120", False),  # the Woolworth wallet card
    ("123456789", False),  # advertised example
    ("111111111", False),
])
def test_us_ssn(ssn, ok):
    assert v.is_us_ssn(ssn) is ok


def test_verhoeff_and_aadhaar():
    good = aadhaar_number()
    assert v.verhoeff(good) and v.is_aadhaar(good)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not v.verhoeff(bad) and not v.is_aadhaar(bad)
    assert not v.is_aadhaar("1" + good[1:])  # never starts with 0 or 1


@pytest.mark.parametrize("nino,ok", [
    ("AB123456C", True),
    ("AB123456E", False),  # suffix A-D only
    ("DA123456C", False),  # D never first
    ("GB123456A", False),  # reserved prefix
    ("AO123456A", False),  # O never second
    ("AB12345C", False),
])
def test_uk_nino(nino, ok):
    assert v.is_uk_nino(nino) is ok


def test_fr_nir():
    good = nir_number()
    assert v.is_fr_nir(good)
    assert not v.is_fr_nir(good[:-2] + f"{(int(good[-2:]) + 1) % 100:02d}")
    corsica = "185052A006084"
    key = 97 - int(corsica.replace("2A", "19")) % 97
    assert v.is_fr_nir(f"{corsica}{key:02d}")


@pytest.mark.parametrize("dni,ok", [
    ("12345678Z", True), ("12345678A", False), ("X1234567L", True), ("X1234567A", False), ("1234567Z", False),
])
def test_es_dni(dni, ok):
    assert v.is_es_dni(dni) is ok


@pytest.mark.parametrize("cpf,ok", [("52998224725", True), ("52998224724", False), ("11111111111", False)])
def test_br_cpf(cpf, ok):
    assert v.is_br_cpf(cpf) is ok


def _cpf_check_digit(body: str) -> str:
    """Receita Federal's rule: weights from len+1 down to 2, remainder of 11, 10 and 11 as 0."""
    r = 11 - sum(int(d) * w for d, w in zip(body, range(len(body) + 1, 1, -1))) % 11
    return "0" if r >= 10 else str(r)


@settings(max_examples=300)
@given(st.from_regex(r"[0-9]{9}", fullmatch=True), st.integers(1, 9))
def test_br_cpf_takes_both_check_digits_and_nothing_else(body, shift):
    first = _cpf_check_digit(body)
    cpf = body + first + _cpf_check_digit(body + first)
    if len(set(cpf)) == 1:
        assert not v.is_br_cpf(cpf)  # 000.000.000-00 and the like pass the sums: test values
        return
    assert v.is_br_cpf(cpf)
    for at in (9, 10):
        wrong = cpf[:at] + str((int(cpf[at]) + shift) % 10) + cpf[at + 1:]
        assert not v.is_br_cpf(wrong)


@pytest.mark.parametrize("cf,ok", [("RSSMRA85T10A562S", True), ("RSSMRA85T10A562T", False), ("RSSMRA85T10A562", False)])
def test_it_codice_fiscale(cf, ok):
    assert v.is_it_codice_fiscale(cf) is ok


@pytest.mark.parametrize("ip,kind", [
    ("8.8.8.8", "public"), ("1.1.1.1", "public"), ("10.1.2.3", "private"), ("172.16.0.9", "private"),
    ("172.32.0.9", "public"), ("192.168.1.1", "private"), ("127.0.0.1", "private"), ("169.254.1.1", "private"),
    ("100.64.0.1", "private"), ("203.0.113.7", "private"), ("256.1.1.1", ""), ("1.2.3", ""), ("01.2.3.4", ""),
    ("2001:4860:4860::8888", "public"), ("::1", "private"), ("fe80::1", "private"), ("12:30:45", ""),
])
def test_ip_kind(ip, kind):
    assert v.ip_kind(ip) == kind


def test_entropy_orders_values():
    assert v.shannon_entropy("aaaaaaaa") == 0
    assert v.shannon_entropy("abcd") == 2
    assert v.shannon_entropy("k7Qp2ZxW9mLr4VtB") > v.shannon_entropy("passwordpassword")


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), st.text(string.ascii_letters + string.digits + "-_.", max_size=2000)))
def test_entropy_is_the_textbook_formula(s):
    # ASCII values take a byte-table path, others a Counter: both are -sum(p log2 p).
    n = len(s)
    want = -sum(c / n * math.log2(c / n) for c in collections.Counter(s).values()) if n else 0.0
    assert math.isclose(v.shannon_entropy(s), want, abs_tol=1e-9)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(string.printable, max_size=60)))
def test_normal_forms_keep_exactly_the_digits_or_alphanumerics(s):
    # ASCII text takes a deletion table, other text str methods: the same characters kept.
    assert digits_of(s) == "".join(ch for ch in s if ch.isdigit())
    assert alnum_upper(s) == "".join(ch for ch in s if ch.isalnum()).upper()


@pytest.mark.parametrize("ymd,ok", [((1985, 4, 12), True), ((2090, 1, 1), False), ((1850, 1, 1), False), ((1985, 2, 30), False)])
def test_plausible_birth_date(ymd, ok):
    assert v.plausible_birth_date(*ymd) is ok


def test_current_date_is_read_again_once_its_second_is_over():
    assert v.current_date() == datetime.date.today()
    v._TODAY[0] = (time.time() - 2.0, datetime.date(2000, 1, 1))  # a reading two seconds old
    assert v.current_date() == datetime.date.today()
    v._TODAY[0] = (time.time() + 3600.0, datetime.date(2000, 1, 1))  # the clock went back an hour
    assert v.current_date() == datetime.date.today()
