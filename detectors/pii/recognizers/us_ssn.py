"""US Social Security numbers: area, group and serial rules."""

from __future__ import annotations

from typing import Final, Iterable

from ..context import SSN_FIELD, enclosing_token, is_machine_value
from ..finding import Category
from ..validators import is_us_ssn
from .base import Ctx, Hit, Recognizer, field_hit

_PROSE: Final = SSN_FIELD | {"security"}
_ID_OF: Final = frozenset({"tax", "taxpayer", "national", "government"})  # "tax id", "national id"
_FOUR: Final = frozenset({"4", "four"})


def _last_four(tokens: frozenset[str]) -> bool:
    """"ssnLast4", "last4_ssn", "ssn_last_4", "ssn_last_four"."""
    return "last4" in tokens or "lastfour" in tokens or ("last" in tokens and not _FOUR.isdisjoint(tokens))


class UsSsnRecognizer(Recognizer):
    name: str = "us_ssn"
    category: str = Category.US_SSN
    patterns: tuple[str, ...] = (r"\b\d{3}-\d{2}-\d{4}\b", r"\b\d{3} \d{2} \d{4}\b", r"\b\d{9}\b")
    context: frozenset[str] = _PROSE
    context_boost: float = 0.25
    # The last four digits, as payment and KYC APIs take them (Stripe's ssn_last_4):
    # enough to verify a person by, so reported, masked whole.
    field_hints: frozenset[str] = frozenset({"ssn", "socialsecurity"})

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return not self.field_hints.isdisjoint(tokens) and _last_four(tokens)

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        # Called only under fields field_applies accepts: the field names the last four.
        v = value.strip()
        if len(v) != 4 or not v.isdigit() or v == "0000":
            return ()
        return field_hit(Hit(0.9, v, subtype="last4"), value, v)

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


# The last four digits named in text: "SSN (last 4): 6789", "last four of my social is
# 6789", "SSN ending in 6789", as support tickets verify a caller.
_SOCIAL: Final = r"(?:ssn|social[ \t]+security(?:[ \t]+(?:number|no\.?|#))?|social)"
_LAST_FOUR: Final = r"last[ \t]+(?:4|four)(?:[ \t]+digits)?"
_LAST_FOUR_CUE: Final = (r"(?i:\b" + _SOCIAL + r"[ \t]*[(\[]?[ \t]*(?:" + _LAST_FOUR + r"|ending[ \t]+in)[ \t]*[)\]]?"
                         r"|\b" + _LAST_FOUR + r"[ \t]+of[ \t]+(?:(?:my|his|her|their|the|your)[ \t]+)?" + _SOCIAL + ")")


class UsSsnLastFourRecognizer(Recognizer):
    name: str = "us_ssn.last4"
    category: str = Category.US_SSN
    patterns: tuple[str, ...] = (_LAST_FOUR_CUE + r"[ \t]*[:=\-]?[ \t]*(?i:is[ \t]+)?(\d{4})\b",)
    prefilter: tuple[str, ...] = (_LAST_FOUR_CUE,)
    keywords: tuple[str, ...] = ("ssn", "social")
    group: int = 1

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        if value == "0000" or ctx.char_after() in "-/.,:" and ctx.text[ctx.end + 1:ctx.end + 2].isdigit():
            return None  # "SSN ending in 6789-12", a date "1985/03": not four digits alone
        return Hit(0.9, value, subtype="last4")

