"""Passport numbers: too generic a shape to report without the word "passport" nearby."""

from __future__ import annotations

from typing import Final

from ..context import PASSPORT_FIELD
from ..finding import Category
from .base import Ctx, Hit, Recognizer

_PROSE: Final = frozenset({"passport", "passports", "travel", "reisepass", "passeport", "pasaporte", "passaporto",
                    "paspoort", "paszport"})


class PassportRecognizer(Recognizer):
    name: str = "passport"
    category: str = Category.PASSPORT
    patterns: tuple[str, ...] = (
        r"\b[A-Z]{1,2}\d{6,8}\b",  # UK/EU style: letters + digits
        r"\b[A-Z][A-Z0-9]\d{7}\b",  # US next-generation
        r"\b\d{8,9}\b",  # US/UK numeric
        r"\b[CFGHJKLMNPRTVWXYZ][CFGHJKLMNPRTVWXYZ0-9]{8}\b",  # German: nine from a reduced alphabet
        r"\b\d{2}[A-Z]{2}\d{5}\b",  # French
    )
    context: frozenset[str] = PASSPORT_FIELD | _PROSE
    score: float = 0.8

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        if not (ctx.field_has(PASSPORT_FIELD) or ctx.near(_PROSE, last=8)):
            return None
        if len(set(value)) < 4:
            return None  # 000000000, test values
        return Hit(self.score, value.upper())
