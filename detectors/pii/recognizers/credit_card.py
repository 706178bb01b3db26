"""Payment card numbers: IIN ranges, lengths and the Luhn checksum."""

from __future__ import annotations

from typing import Final, Iterable

from ..context import CARD_FIELD, enclosing_token, is_machine_value, looks_like_epoch
from ..finding import Category
from ..validators import is_credit_card
from .base import Ctx, Hit, Recognizer, field_hit

_PROSE: Final = frozenset({"card", "credit", "debit", "visa", "mastercard", "amex", "cc", "pan", "discover", "jcb", "maestro"})


class CreditCardRecognizer(Recognizer):
    name: str = "credit_card"
    category: str = Category.CREDIT_CARD
    patterns: tuple[str, ...] = (
        r"\b\d{4}(?: \d{4}){2} \d{1,7}\b",
        r"\b\d{4}(?:-\d{4}){2}-\d{1,7}\b",
        r"\b\d{4}[ \-]\d{6}[ \-]\d{4,5}\b",  # Amex / Diners grouping
        r"\b\d{12,19}\b",
    )
    context: frozenset[str] = CARD_FIELD | _PROSE
    score: float = 0.9
    context_boost: float = 0.1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        digits = value.replace(" ", "").replace("-", "")
        if not is_credit_card(digits):
            return None
        if ctx.glued():
            return None
        bare = len(digits) == len(value)
        in_field = ctx.field_has(CARD_FIELD)
        if ctx.machine_field() and not in_field:
            return None
        if bare and looks_like_epoch(digits) and not in_field:
            return None
        if not bare and is_machine_value(enclosing_token(ctx.text, ctx.start, ctx.end)):
            return None
        score = 0.75 if bare else self.score
        return Hit(self.contextual(score, ctx), digits)


# Field names of a card's security code (CVV, CVC, CID), which PCI DSS forbids keeping
# after authorisation.
_SECURITY_CODE_FIELD: Final = frozenset({
    "cvv", "cvc", "cvv2", "cvc2", "csc", "cvn", "cvd", "securitycode", "cardsecuritycode", "cardcode", "cardcvv",
    "cardcvc", "cardverificationcode", "cardverificationvalue",
})


# A security code named in a sentence, as people paste a card into a chat or a prompt:
# "cvv 123", "CVC: 1234", "card security code is 123". "Security code" alone names a
# one-time code as often ("your security code is 4821"); "CID" and "CSC" name customers
# and courses.
_CODE_CUE: Final = r"\b(?i:cvv2?|cvc2?|card[ \t]+(?:security|verification)[ \t]+(?:code|value|number))\b"


class CardSecurityCodeRecognizer(Recognizer):
    """Three or four digits under a security-code field (``card[cvc]``, ``cvv``) or after
    its name in text."""

    name: str = "card_security_code"
    category: str = Category.CREDIT_CARD
    patterns: tuple[str, ...] = (_CODE_CUE + r"[ \t]*(?:[:#=]|is|no\.?|number)?[ \t]*(\d{3,4})\b",)
    keywords: tuple[str, ...] = ("cvv", "cvc", "card")
    group: int = 1
    field_hints: frozenset[str] = _SECURITY_CODE_FIELD

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        after = ctx.char_after()
        if after.isalnum() or (after in "/-.,:" and ctx.text[ctx.end + 1:ctx.end + 2].isdigit()):
            return None  # a longer number, a date or an amount ("cvv 123/4", "CVC 12.50")
        return Hit(0.85, value, subtype="security_code")

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not 3 <= len(v) <= 4 or not v.isascii() or not v.isdigit():
            return ()
        return field_hit(Hit(0.9, v, subtype="security_code"), value, v)
