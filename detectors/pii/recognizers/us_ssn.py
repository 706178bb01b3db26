"""US Social Security numbers: area, group and serial rules."""

from __future__ import annotations

from typing import Final

from ..context import SSN_FIELD, enclosing_token, is_machine_value
from ..finding import Category
from ..validators import is_us_ssn
from .base import Ctx, Hit, Recognizer

_PROSE: Final = SSN_FIELD | {"security"}
_ID_OF: Final = frozenset({"tax", "taxpayer", "national", "government"})  # "tax id", "national id"


class UsSsnRecognizer(Recognizer):
    name: str = "us_ssn"
    category: str = Category.US_SSN
    patterns: tuple[str, ...] = (r"\b\d{3}-\d{2}-\d{4}\b", r"\b\d{3} \d{2} \d{4}\b", r"\b\d{9}\b")
    context: frozenset[str] = _PROSE
    context_boost: float = 0.25

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        digits = value.replace("-", "").replace(" ", "")
        if not is_us_ssn(digits):
            return None
        tokens = ctx.tokens
        # "metadata[tax_id]" has no "taxid" token, only its words.
        contextual = ctx.field_has(SSN_FIELD) or ("id" in tokens and not tokens.isdisjoint(_ID_OF)) or \
            ctx.near(_PROSE)
        if ctx.machine_field() and not contextual:
            return None
        if ctx.glued():
            return None
        if len(digits) == len(value):
            score = 0.6 if contextual else 0.0  # nine bare digits are an SSN only when said so
        else:
            if is_machine_value(enclosing_token(ctx.text, ctx.start, ctx.end)):
                return None
            score = 0.7 if "-" in value else 0.45
        if contextual:
            score += self.context_boost
        return Hit(min(1.0, score), digits)
