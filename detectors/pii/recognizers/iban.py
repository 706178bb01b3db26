"""IBANs: per-country length and the mod-97 check."""

from __future__ import annotations

from ..context import IBAN_FIELD
from ..finding import Category
from ..validators import IBAN_LENGTHS, is_iban
from .base import Ctx, Hit, Recognizer


class IbanRecognizer(Recognizer):
    name: str = "iban"
    category: str = Category.IBAN
    patterns: tuple[str, ...] = (r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b",)
    # The pattern's start: its {11,30} repeat of optional spaces was half the prefilter
    # database's size (a cache-sized cost on every scan).
    prefilter: tuple[str, ...] = (r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){4}",)
    context: frozenset[str] = IBAN_FIELD | {"transfer", "sepa", "wire"}
    score: float = 0.9
    context_boost: float = 0.1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        want = IBAN_LENGTHS.get(value[:2])
        if want is None:
            return None
        # The pattern may run into a following upper-case word ("... 00 EUR"): cut at the
        # country's length and require the cut to fall on a group boundary.
        n = 0
        for i, ch in enumerate(value):
            if ch != " ":
                n += 1
                if n == want:
                    break
        else:
            return None
        end = i + 1
        if end < len(value) and value[end] != " ":
            return None
        compact = value[:end].replace(" ", "")
        if not is_iban(compact):
            return None
        return Hit(self.contextual(self.score, ctx), compact, end=ctx.start + end)
