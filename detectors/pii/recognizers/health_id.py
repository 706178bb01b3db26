"""Health identifiers: a hospital's medical record number ("MRN 00482913"), the US
Medicare Beneficiary Identifier ("MBI 1EG4-TE5-MK73"), the Australian Medicare
number ("Medicare number 2123 45670 1") and, under its field, a health plan's member or
policy number (one of HIPAA's eighteen identifiers). Each says that someone is a patient, and
where: health data, a special category under GDPR and PHI under HIPAA.

Each hospital numbers its records its own way, so the name is the evidence, as for a
driving licence; the MBI has a fixed layout of letters and digits, and the Australian
number a check digit, which are checked.
"""

from __future__ import annotations

import re
from typing import Final, Iterable

from ..finding import Category
from ..masking import alnum_upper
from ..validators import au_medicare
from .base import Ctx, Hit, Recognizer, field_hit

# The names in text; "patient" alone precedes names, rooms and dates.
_MRN_CUE: Final = (r"(?i:\bmrn\b|\bmedical[ \t]+record(?:[ \t]+(?:number|no\b\.?|num\b|#))?|\bmed[ \t]+rec(?:ord)?\b\.?"
                   r"[ \t]*(?:number|no\b\.?|#)?|\bpatient[ \t]+(?:id|number|no\b\.?|#))")
_MBI_CUE: Final = r"(?i:\bmbi\b|\bmedicare(?:[ \t]+(?:beneficiary[ \t]+identifier|number|no\b\.?|id|#))?)"
# A record number: up to three letters, then digits, dashes between; 5 to 12 characters.
_MRN_NUMBER: Final = r"[A-Z]{0,3}\d[\d\-]{3,11}\b"
# CMS's layout: 1-9, letter, letter or digit, digit, letter, letter or digit, digit, two
# letters, two digits; no S, L, O, I, B or Z. Written whole or as 4-3-4.
_L: Final = "[AC-HJKMNP-RT-Yac-hjkmnp-rt-y]"
_A: Final = "[0-9AC-HJKMNP-RT-Yac-hjkmnp-rt-y]"
_MBI_NUMBER: Final = f"[1-9]{_L}{_A}\\d-?{_L}{_A}\\d-?{_L}{_L}\\d\\d"
_MBI: Final = re.compile(_MBI_NUMBER)
# Australia's: a card number of 4 and 5 digits, its issue number, and the person's
# reference number on the card after a blank or "/" ("2123 45670 1/1").
_AU_MEDICARE_NUMBER: Final = r"[2-6]\d{3} ?\d{5} ?[1-9](?:[ /]?[1-9])?\b"
# Where an MRN was read, Australia's blanks end it, as before ("MRN 2123 45670 1": 2123).
_BLANK: Final = re.compile(r"[ /]")
_MBI_WORD: Final = re.compile(r"\bmbi\b")

_MRN_FIELDS: Final = frozenset({"mrn", "medicalrecordnumber", "medicalrecordno", "medrecno", "patientmrn", "mrnumber"})
_MBI_FIELDS: Final = frozenset({"mbi", "medicare", "medicarenumber", "medicareid", "medicarebeneficiaryidentifier", "medicareno"})
# Not "memberid" or "policynumber" alone: a loyalty scheme's member, a car's policy.
_PLAN_FIELDS: Final = frozenset({"healthplanid", "healthplanmemberid", "healthplannumber", "insurancememberid",
                                 "insurancepolicynumber", "healthinsuranceid", "healthinsurancenumber",
                                 "healthinsurancememberid"})


def _record_number(value: str, shortest: int = 5, longest: int = 12, min_digits: int = 4) -> str:
    """The number, upper case without dashes; "" when it is not ``shortest`` to
    ``longest`` characters with at least ``min_digits`` digits, or one repeated digit
    ("00000"). A hospital's record number by default."""
    compact = alnum_upper(value)
    digits = sum(c.isdigit() for c in compact)
    if not shortest <= len(compact) <= longest or digits < min_digits or len(set(compact)) < 3:
        return ""
    return compact


class HealthIdRecognizer(Recognizer):
    name: str = "health_id"
    category: str = Category.HEALTH_ID
    score: float = 0.95
    # The number is group 1: a name, then up to 16 characters that are not digits ("MRN:",
    # "Medicare number is"). One group for both: validate reads which name it was.
    patterns: tuple[str, ...] = (
        "(?:" + _MRN_CUE + "|" + _MBI_CUE + r")[^\d\n]{0,16}\b(" + _MBI_NUMBER + r"\b|" + _AU_MEDICARE_NUMBER + "|"
        + _MRN_NUMBER + ")",
    )
    prefilter: tuple[str, ...] = (_MRN_CUE, _MBI_CUE)
    keywords: tuple[str, ...] = ("mrn", "medical", "med", "patient", "mbi", "medicare")
    group: int = 1
    field_hints: frozenset[str] = _MRN_FIELDS | _MBI_FIELDS | _PLAN_FIELDS

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not _PLAN_FIELDS.isdisjoint(ctx.tokens):
            return field_hit(self._plan(v), value, v)
        if _MBI_FIELDS.isdisjoint(ctx.tokens):
            return field_hit(self._mrn(v), value, v)
        return field_hit(self._mbi(v) or self._au_medicare(v), value, v)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        before = ctx.text[max(0, ctx.start - 48):ctx.start].lower()
        if "medicare" in before:
            return self._mbi(value) or self._au_medicare(value)
        if _MBI_WORD.search(before) is not None:
            return self._mbi(value)
        blank = _BLANK.search(value)
        if blank is None:
            return self._mrn(value)
        hit = self._mrn(value[:blank.start()])
        if hit is not None:
            hit.end = ctx.start + blank.start()
        return hit

    def _mbi(self, v: str) -> Hit | None:
        if _MBI.fullmatch(v) is None:
            return None
        return Hit(self.score, alnum_upper(v), subtype="us_mbi")

    def _au_medicare(self, v: str) -> Hit | None:
        found = au_medicare(v)
        return Hit(self.score, found, subtype="au_medicare") if found else None

    def _plan(self, v: str) -> Hit | None:
        # Insurers' own layouts: "W123456789", "XYZ812345678901"; a prefix of letters.
        found = _record_number(v, shortest=6, longest=16, min_digits=5)
        return Hit(self.score, found, subtype="health_plan") if found else None

    def _mrn(self, v: str) -> Hit | None:
        found = _record_number(v)
        return Hit(self.score, found, subtype="medical_record") if found else None
