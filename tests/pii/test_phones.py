"""The phone validator against libphonenumber itself: every region's example numbers of
every type, and near misses of each (a digit short, a digit long, the last digit or the
area changed). The validator reads the same metadata without ``phonenumbers.parse``, so
the two must give the same verdict."""

from __future__ import annotations

import phonenumbers as pn
from phonenumbers import PhoneNumberType

from detectors.pii.phones import PhoneValidator

_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.TOLL_FREE, PhoneNumberType.PREMIUM_RATE,
          PhoneNumberType.SHARED_COST, PhoneNumberType.VOIP, PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER,
          PhoneNumberType.UAN, PhoneNumberType.VOICEMAIL)
# libphonenumber strips national prefixes by per-region parsing rules the validator does
# not apply (Gabon's leading 0 after +241, short Iranian and Norfolk Island forms).
_KNOWN_DIFFERENT = {"GA", "IR", "NF"}


def _cases() -> list[tuple[str, str]]:
    out = []
    for region in sorted(pn.SUPPORTED_REGIONS):
        for kind in _TYPES:
            example = pn.example_number_for_type(region, kind)
            if example is None:
                continue
            e = pn.format_number(example, pn.PhoneNumberFormat.E164)
            out += [(region, c) for c in (e, e[:-1], e + "5", e[:-1] + str((int(e[-1]) + 3) % 10), e[:4] + "9" + e[5:])]
    return out


def test_international_numbers_agree_with_libphonenumber():
    validator = PhoneValidator(("US", "GB", "DE", "IN"))
    cases = _cases()
    valid = [pn.is_valid_number(pn.parse(c, None)) for _, c in cases]
    assert 1000 < sum(valid) < len(cases) - 1000  # both verdicts well represented
    differ = {region for (region, c), ok in zip(cases, valid) if (validator.e164(c) is not None) != ok}
    assert differ <= _KNOWN_DIFFERENT


def test_valid_numbers_normalise_to_libphonenumbers_e164():
    validator = PhoneValidator(("US",))
    for region, c in _cases()[::5]:  # the example numbers themselves
        if region not in _KNOWN_DIFFERENT:
            assert validator.e164(c) == c


def _national_cases(home: str) -> list[tuple[str, str]]:
    """(number as written in ``home``, its E.164 per libphonenumber) for the example numbers
    of every region of ``home``'s numbering plan: Canada's and Puerto Rico's under the US,
    Guernsey's, Jersey's and the Isle of Man's under the UK."""
    out = []
    for region in pn.COUNTRY_CODE_TO_REGION_CODE[pn.country_code_for_region(home)]:
        for kind in _TYPES:
            example = pn.example_number_for_type(region, kind)
            if example is None:
                continue
            written = pn.format_number(example, pn.PhoneNumberFormat.NATIONAL)
            parsed = pn.parse(written, home)
            # Under seven digits (Norway's short service numbers) is never a candidate.
            if pn.is_valid_number(parsed) and len(str(parsed.national_number)) >= 7:
                out.append((written, pn.format_number(parsed, pn.PhoneNumberFormat.E164)))
    return out


def test_a_number_written_nationally_is_read_in_every_region_of_its_plan():
    for home in ("US", "GB", "FR", "IN", "RU", "AU", "NO"):
        validator = PhoneValidator((home,))
        cases = _national_cases(home)
        assert cases
        assert {written: validator.e164(written, named=True) for written, _ in cases} == dict(cases), home


def test_a_number_of_a_shared_plan_is_not_read_as_another_countrys():
    # Under US, UK and German defaults: a Toronto number and a Guernsey mobile, written
    # nationally, were once read as German numbers, with another hash than their E.164's.
    validator = PhoneValidator(("US", "GB", "DE"))
    for home in ("US", "GB"):
        for written, e164 in _national_cases(home):
            assert validator.e164(written, named=True) == e164
