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
