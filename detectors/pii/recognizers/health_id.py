"""Health identifiers: a hospital's medical record number ("MRN 00482913") and the US
Medicare Beneficiary Identifier ("MBI 1EG4-TE5-MK73"). Either says that someone is a
patient, and where: health data, a special category under GDPR and PHI under HIPAA.

Each hospital numbers its records its own way, so the name is the evidence, as for a
driving licence; the MBI has a fixed layout of letters and digits, which is checked.
"""

from __future__ import annotations

import re
from typing import Final, Iterable

from ..finding import Category
from ..masking import alnum_upper
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
_MBI_WORD: Final = re.compile(r"\bmbi\b")

_MRN_FIELDS: Final = frozenset({"mrn", "medicalrecordnumber", "medicalrecordno", "medrecno", "patientmrn", "mrnumber"})
_MBI_FIELDS: Final = frozenset({"mbi", "medicarenumber", "medicareid", "medicarebeneficiaryidentifier", "medicareno"})


def _record_number(value: str) -> str:
    """The record number, upper case without dashes; "" when it is not 5 to 12 characters
    with at least four digits, or one repeated digit ("00000")."""
    compact = alnum_upper(value)
    digits = sum(c.isdigit() for c in compact)
    if not 5 <= len(compact) <= 12 or digits < 4 or len(set(compact)) < 3:
        return ""
    return compact


class HealthIdRecognizer(Recognizer):
    name: str = "health_id"
    category: str = Category.HEALTH_ID
    score: float = 0.95
    # The number is group 1: a name, then up to 16 characters that are not digits ("MRN:",
    # "Medicare number is"). One group for both: validate reads which name it was.
    patterns: tuple[str, ...] = (
        "(?:" + _MRN_CUE + "|" + _MBI_CUE + r")[^\d\n]{0,16}\b(" + _MBI_NUMBER + r"\b|" + _MRN_NUMBER + ")",
    )
    prefilter: tuple[str, ...] = (_MRN_CUE, _MBI_CUE)
    keywords: tuple[str, ...] = ("mrn", "medical", "med", "patient", "mbi", "medicare")
    group: int = 1
    field_hints: frozenset[str] = _MRN_FIELDS | _MBI_FIELDS

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        return field_hit(self._mbi(v) if not _MBI_FIELDS.isdisjoint(ctx.tokens) else self._mrn(v), value, v)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        before = ctx.text[max(0, ctx.start - 48):ctx.start].lower()
        if "medicare" in before or _MBI_WORD.search(before) is not None:
            return self._mbi(value)
        return self._mrn(value)

    def _mbi(self, v: str) -> Hit | None:
        if _MBI.fullmatch(v) is None:
            return None
        return Hit(self.score, alnum_upper(v), subtype="us_mbi")

    def _mrn(self, v: str) -> Hit | None:
        found = _record_number(v)
        return Hit(self.score, found, subtype="medical_record") if found else None
