"""National identifiers with check digits or strict structure, one class per scheme."""

from __future__ import annotations

from typing import Final

from ..context import NATIONAL_ID_FIELD
from ..finding import Category
from ..masking import alnum_upper
from ..validators import (is_aadhaar, is_br_cpf, is_es_dni, is_fr_nir, is_it_codice_fiscale,
                          is_uk_nino)
from .base import Ctx, Hit, Recognizer


class _NationalId(Recognizer):
    category: str = Category.NATIONAL_ID
    context_boost: float = 0.25
    # Confidence for a bare digit run that passed the checksum but has no context:
    # below the default threshold, as too many ids pass a 1-in-10 check by chance.
    bare_score = 0.3

    def check(self, compact: str) -> bool:
        raise NotImplementedError

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        compact = alnum_upper(value)
        if not self.check(compact):
            return None
        in_field = ctx.field_has(self.context)
        contextual = in_field or ctx.near(self.context)
        if ctx.machine_field() and not contextual:
            return None
        if ctx.glued():
            return None
        if compact.isdigit() and len(compact) == len(value) and not in_field:
            # Under a field named for the scheme ("aadhaar": "2345...") the digits are
            # no chance checksum pass, and must outrank a card reading of the same run.
            score = self.bare_score
        else:
            score = self.score
        if contextual:
            score += self.context_boost
        return Hit(min(1.0, score), compact)


class UkNinoRecognizer(_NationalId):
    name: str = "uk_nino"
    patterns: tuple[str, ...] = (r"\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",)
    context: frozenset[str] = NATIONAL_ID_FIELD | {"national", "insurance", "nino", "ni"}
    score: float = 0.7

    def check(self, compact: str) -> bool:
        return is_uk_nino(compact)


class InAadhaarRecognizer(_NationalId):
    name: str = "in_aadhaar"
    patterns: tuple[str, ...] = (r"\b[2-9]\d{3} \d{4} \d{4}\b", r"\b[2-9]\d{3}-\d{4}-\d{4}\b", r"\b[2-9]\d{11}\b")
    context: frozenset[str] = frozenset({"aadhaar", "aadhar", "uid", "uidai", "aadhaarnumber", "adhaar"})
    score: float = 0.55

    def check(self, compact: str) -> bool:
        return is_aadhaar(compact)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        hit = super().validate(value, ctx)
        # Cards print "2345 6789 0123"; dashed 4-4-4 runs are batch and serial numbers
        # unless the word Aadhaar says otherwise.
        if hit is not None and "-" in value and not (ctx.field_has(self.context) or ctx.near(self.context)):
            return None
        return hit


class FrNirRecognizer(_NationalId):
    name: str = "fr_nir"
    patterns: tuple[str, ...] = (r"\b[12378] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b",)
    context: frozenset[str] = frozenset({"nir", "insee", "secu", "sécu", "securite", "sécurité", "sociale", "social", "vitale",
                                         "ssn"})
    score: float = 0.75
    bare_score = 0.6  # 15 digits, a month field and a mod-97 key: rarely chance

    def check(self, compact: str) -> bool:
        return is_fr_nir(compact)


class EsDniRecognizer(_NationalId):
    name: str = "es_dni"
    patterns: tuple[str, ...] = (r"\b\d{8}-?[A-Z]\b", r"\b[XYZ]-?\d{7}-?[A-Z]\b")
    context: frozenset[str] = frozenset({"dni", "nie", "nif", "documento", "identidad", "national", "id"})
    score: float = 0.7

    def check(self, compact: str) -> bool:
        return is_es_dni(compact)


class BrCpfRecognizer(_NationalId):
    name: str = "br_cpf"
    patterns: tuple[str, ...] = (r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b", r"\b\d{11}\b")
    context: frozenset[str] = frozenset({"cpf", "cadastro", "contribuinte"})
    score: float = 0.8

    def check(self, compact: str) -> bool:
        return is_br_cpf(compact)


class ItCodiceFiscaleRecognizer(_NationalId):
    name: str = "it_codice_fiscale"
    patterns: tuple[str, ...] = (r"\b[A-Z]{6}\d{2}[A-EHLMPRST]\d{2}[A-Z]\d{3}[A-Z]\b",)
    context: frozenset[str] = frozenset({"codice", "fiscale", "codicefiscale", "cf", "tax"})
    score: float = 0.9

    def check(self, compact: str) -> bool:
        return is_it_codice_fiscale(compact)


NATIONAL_ID_RECOGNIZERS: Final = (
    UkNinoRecognizer, InAadhaarRecognizer, FrNirRecognizer, EsDniRecognizer, BrCpfRecognizer,
    ItCodiceFiscaleRecognizer,
)
