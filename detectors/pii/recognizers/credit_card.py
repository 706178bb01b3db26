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


class CardSecurityCodeRecognizer(Recognizer):
    """Three or four digits under a security-code field (``card[cvc]``, ``cvv``)."""

    name: str = "card_security_code"
    category: str = Category.CREDIT_CARD
    field_hints: frozenset[str] = _SECURITY_CODE_FIELD

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        if not 3 <= len(v) <= 4 or not v.isascii() or not v.isdigit():
            return ()
        return field_hit(Hit(0.9, v, subtype="security_code"), value, v)
