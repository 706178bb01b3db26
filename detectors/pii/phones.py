"""Phone-number validation against libphonenumber metadata, without phonenumbers.parse.

``phonenumbers.parse`` + ``is_valid_number`` costs ~50 µs per candidate, too slow for the
hot path. We read the same metadata (country codes, national prefixes, the per-type
national-number patterns) and check a digit string against it directly, which gives the
same verdict as ``is_valid_number_for_region`` for the number forms we extract.
The metadata patterns are fixed alternations of digit classes matched against at most
17 digits, so Python ``re`` stays linear here.
"""

from __future__ import annotations

import re
from typing import Final

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata

from .masking import digits_of

_TYPE_FIELDS: Final[tuple[str, ...]] = (
    "mobile", "fixed_line", "toll_free", "premium_rate", "shared_cost", "voip",
    "personal_number", "pager", "uan", "voicemail",
)


class _Region:
    __slots__ = ("code", "cc", "national_prefix", "lengths", "general", "types")

    def __init__(self, code: str, md: PhoneMetadata):
        self.code = code
        self.cc = str(md.country_code)
        self.national_prefix = md.national_prefix or ""
        gd = md.general_desc
        self.lengths = frozenset((gd.possible_length or ()) if gd is not None else ())
        self.general = re.compile(gd.national_number_pattern) if gd is not None and gd.national_number_pattern else None
        types = []
        for name in _TYPE_FIELDS:
            desc = getattr(md, name, None)
            if desc is not None and desc.national_number_pattern:
                types.append(re.compile(desc.national_number_pattern))
        self.types = tuple(types)

    def valid(self, nn: str) -> bool:
        if self.general is None or (self.lengths and len(nn) not in self.lengths):
            return False
        if not self.general.fullmatch(nn):
            return False
        return any(t.fullmatch(nn) for t in self.types)


class PhoneValidator:
    """Turns a candidate into E.164 when it is a valid number, else None.

    ``regions`` are tried in order for numbers written without a country code.
    """

    _CACHE_MAX = 4096

    def __init__(self, regions: tuple[str, ...] | list[str] = ("US",)):
        bad = [r for r in regions if PhoneMetadata.metadata_for_region(r.upper()) is None]
        if bad:
            raise ValueError(f"unknown phone region(s): {', '.join(bad)}")
        self.regions = tuple(r.upper() for r in regions)
        self._regions: dict[str, _Region | None] = {}
        self._plans: dict[str, tuple[_Region, ...]] = {}
        self._cache: dict[int, tuple[str, int] | None] = {}

    def _region(self, code: str) -> _Region | None:
        if code not in self._regions:
            md = PhoneMetadata.metadata_for_region(code)
            self._regions[code] = _Region(code, md) if md is not None else None
        return self._regions[code]

    def _plan(self, code: str) -> tuple[_Region, ...]:
        """The regions that share ``code``'s numbering plan, ``code`` first: a number
        written nationally in the US may be Canadian or Puerto Rican, one written in the UK
        a Guernsey or Isle of Man mobile, each valid only under its own region's patterns."""
        if code not in self._plans:
            first = self._region(code)
            if first is None:
                self._plans[code] = ()
            else:
                shared = COUNTRY_CODE_TO_REGION_CODE.get(int(first.cc), ())
                others = [self._region(other) for other in shared if other != code]
                self._plans[code] = (first,) + tuple(reg for reg in others if reg is not None)
        return self._plans[code]

    # The helpers return (country code, digits to drop from the front) so the cache
    # can hold a verdict without holding the number itself.
    def _intl(self, digits: str, skip: int) -> tuple[str, int] | None:
        for cc_len in (1, 2, 3):
            cc = int(digits[skip:skip + cc_len])
            codes = COUNTRY_CODE_TO_REGION_CODE.get(cc)
            if not codes:
                continue
            nn = digits[skip + cc_len:]
            # "+44 (0)20 ..." keeps the trunk prefix by habit; accept it once stripped.
            for code in codes:
                reg = self._region(code)
                if reg is None:
                    continue
                if reg.valid(nn):
                    return reg.cc, skip + cc_len
                np = reg.national_prefix
                if np and nn.startswith(np) and reg.valid(nn[len(np):]):
                    return reg.cc, skip + cc_len + len(np)
            return None  # a country code matched; longer prefixes are never also codes
        return None

    def _national(self, digits: str, named: bool) -> tuple[str, int] | None:
        for code in self.regions:
            for reg in self._plan(code):
                np = reg.national_prefix
                if np and digits.startswith(np) and reg.valid(digits[len(np):]):
                    return reg.cc, len(np)
                # Written nationally, a number carries its trunk prefix ("020 ..."), except in
                # NANP where the leading 1 is optional, and where the context already says
                # phone: Indian mobiles are written "98765 43210", toll-free "1800 12 3456".
                if (not np or reg.cc == "1" or named) and reg.valid(digits):
                    return reg.cc, 0
        return None

    def e164(self, raw: str, named: bool = False) -> str | None:
        """``named``: a field name or nearby word says this is a phone number, so a
        national number without its trunk prefix is accepted too."""
        digits = digits_of(raw)
        if not 7 <= len(digits) <= 17:
            return None
        key = hash((raw, named))
        if key in self._cache:
            verdict = self._cache[key]
        else:
            s = raw.lstrip()
            if s.startswith("+"):
                verdict = self._intl(digits, 0)
            elif digits.startswith("00") and len(digits) > 9:
                verdict = self._intl(digits, 2)
            elif digits.startswith("011") and len(digits) > 10:
                verdict = self._intl(digits, 3)
            else:
                verdict = self._national(digits, named)
            if len(self._cache) >= self._CACHE_MAX:
                self._cache.clear()
            self._cache[key] = verdict
        if verdict is None:
            return None
        return "+" + verdict[0] + digits[verdict[1]:]


def region_of(e164: str) -> str:
    """Region code of a normalised number, for callers that want it (slow path)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""
    except phonenumbers.NumberParseException:
        return ""
