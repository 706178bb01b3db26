"""Phone numbers, validated against libphonenumber metadata for the configured regions."""

from __future__ import annotations

import re
from typing import Final

from ..context import PHONE_FIELD, enclosing_token, is_machine_value, looks_like_epoch, prose_words
from ..finding import Category
from ..masking import digits_of
from ..phones import PhoneValidator
from .base import Ctx, Hit, Recognizer

_SEP: Final = r"[ .\-]"
_PROSE_CONTEXT: Final = frozenset({
    "phone", "call", "tel", "telephone", "mobile", "cell", "text", "sms", "whatsapp", "number",
    "reach", "contact", "fax", "ring", "dial", "landline", "cellphone", "phoned", "calling",
    # German, French, Spanish, Italian, Portuguese, Dutch, Polish, Finnish
    "telefon", "telefonnummer", "handy", "handynummer", "mobilnummer", "rufnummer", "anrufen", "téléphone",
    "portable", "appelez", "appeler", "teléfono", "móvil", "llamar", "telefono", "cellulare", "chiamare",
    "telefone", "celular", "telefoon", "mobiel", "bellen", "telefonu", "komórka", "zadzwoń", "puhelin",
    # Russian, Arabic, Hindi; Japanese, Chinese and Korean (found inside unspaced text)
    "телефон", "тел", "мобильный", "номер", "هاتف", "هاتفي", "الهاتف", "جوال", "جوالي", "الجوال", "موبايل",
    "رقم", "फ़ोन", "फोन", "मोबाइल", "नंबर", "電話", "携帯", "連絡先", "电话", "手机", "手機", "联系", "전화", "휴대폰",
    "핸드폰", "연락처",
})
_PHONE_WORDS: Final = _PROSE_CONTEXT - {"number", "contact", "reach", "text", "номер", "رقم", "नंबर", "連絡先",
                                        "联系", "연락처"}
# "number" after one of these names an id, not a phone: "order number", "routing number".
_ID_NOUNS: Final = frozenset({
    "order", "account", "acct", "routing", "aba", "ticket", "tracking", "reference", "ref", "case", "invoice",
    "customer", "member", "membership", "serial", "policy", "confirmation", "booking", "reservation",
    "transaction", "card", "part", "model", "license", "licence", "registration", "id", "document",
    "passport", "security", "tax", "vat", "claim", "shipment", "parcel", "loyalty", "employee", "student",
    "patient", "record", "item", "product", "incident", "request", "issue", "receipt", "voucher", "coupon",
    "batch", "lot", "contract", "subscription", "application", "badge", "locker", "room", "seat", "flight",
})
# Anchored, single classes with bounded repeats: linear in Python re.
_DATE_SHAPE: Final = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}")
_IP_SHAPE: Final = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_EXT: Final = re.compile(r"\s*(?:x|ext\.?|extension|#)\s*\d{1,6}$", re.IGNORECASE)
_DIGIT_RUNS: Final = re.compile(r"\d+")
# How NANP numbers are grouped when written, after an optional "1", "001" or "011".
_NANP_GROUPS: Final = frozenset({(3, 3, 4), (3, 7), (10,)})


def _cued(ctx: Ctx) -> bool:
    """A phone word among the last six words, "number" counting only on its own: "my
    number is ..." names a phone, "my order number is ..." an order."""
    words = ctx.before()[-6:]
    only_number = False
    for w in words:
        if w in _PROSE_CONTEXT:
            if w != "number":
                return True
            only_number = True
    if not only_number:
        return ctx.near(_PROSE_CONTEXT)  # cues in unspaced scripts ("電話番号は")
    # What each "number" names: its word before, from a window wide enough to hold it.
    wide = prose_words(ctx.text, ctx.start, 96)[-7:]
    return any(wide[i] == "number" and (i == 0 or wide[i - 1] not in _ID_NOUNS)
               for i in range(max(0, len(wide) - 6), len(wide))) or (not ctx.text.isascii() and ctx.near(_PROSE_CONTEXT))


def nanp_grouped(core: str) -> bool:
    """Whether a North American number is written as people write one ("(415) 555-0132",
    "+1 415 555 0132"), not "702 87599 92" (byte counts in a log line)."""
    runs = _DIGIT_RUNS.findall(core)
    if len(runs) > 1 and runs[0] in ("1", "001", "011"):
        runs = runs[1:]
    return len(runs) == 1 or tuple(len(r) for r in runs) in _NANP_GROUPS


class PhoneRecognizer(Recognizer):
    name: str = "phone"
    category: str = Category.PHONE_NUMBER
    patterns: tuple[str, ...] = (
        # +CC ...; a "(0)" trunk prefix and an area code in parentheses allowed
        r"\+[1-9]\d{0,2}" + _SEP + r"?(?:\(0\)" + _SEP + r"?)?(?:\(\d{1,4}\)" + _SEP + r"?)?\d{1,5}(?:" + _SEP
        + r"?\d{1,5}){1,5}(?:\s?(?:x|ext\.?)\s?\d{1,6})?",
        # (415) 555-0132
        r"\(\d{2,5}\)" + _SEP + r"?\d{2,5}(?:[ .\-/]\d{2,5}){0,3}(?:\s?(?:x|ext\.?)\s?\d{1,6})?",
        # 1-415-555-0132 (NANP trunk prefix)
        r"\b1[ .\-]\d{3}[ .\-]\d{3}[ .\-]\d{4}(?:\s?(?:x|ext\.?)\s?\d{1,6})?\b",
        # 415-555-0132, 020 7946 0958, 07700 900123, 030/1234567, 098765 43210
        r"\b\d{2,6}[ .\-/]\d{2,10}(?:" + _SEP + r"\d{2,6}){0,3}(?:\s?(?:x|ext\.?)\s?\d{1,6})?\b",
        # bare digits: only with phone context
        r"\b\d{7,15}\b",
    )
    # Hyperscan superset: each pattern's start ("+4", "(415)", "415-55", "1-415" holds
    # "415-55" too, seven digits). Every digit group of a number is a match end of the
    # patterns themselves: these report a number once or twice instead of ten times.
    prefilter: tuple[str, ...] = (r"\+[1-9]", r"\(\d{2,5}\)", r"\b\d{2,6}[ .\-/]\d{2}", r"\b\d{7}")
    context: frozenset[str] = PHONE_FIELD
    score: float = 0.7
    context_boost: float = 0.25

    def __init__(self, validator: PhoneValidator):
        self.validator = validator

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        if ctx.glued():
            return None
        before = ctx.char_before()
        # "$5551234", "a/5551234"; but a path segment that is an international number
        # ("/phone/+14155552671") is one.
        if before in "$\\" or (before == "/" and not (value.startswith("+") and ctx.in_url_path())):
            return None
        # An extension needs an "x" ("x", "ext", "extension") or "#".
        core = _EXT.sub("", value) if ("x" in value or "X" in value or "#" in value) else value
        digits = digits_of(core)
        if not 7 <= len(digits) <= 15:
            return None
        in_field = ctx.field_has(PHONE_FIELD)
        if not in_field and ctx.machine_field():
            return None
        intl = core.startswith("+")
        if in_field:
            contextual = True  # the field says phone: the metadata check alone decides
        elif not intl:
            # Bare digits have neither shape's separators: no regex call for them.
            if not core.isdigit() and (_DATE_SHAPE.fullmatch(core) or _IP_SHAPE.fullmatch(core)):
                return None
            contextual = _cued(ctx)
            if len(digits) == len(core):  # bare digits
                if not contextual or looks_like_epoch(digits):
                    return None
            # "Call me on 415.555.0132" is a phone though shaped like a version.
            if not contextual and is_machine_value(enclosing_token(ctx.text, ctx.start, ctx.end)):
                return None
        else:
            contextual = _cued(ctx)
            if "-" in core and is_machine_value(enclosing_token(ctx.text, ctx.start, ctx.end)):
                return None
        # A trunk prefix may be left out ("98765 43210") only where the field or a word
        # names a phone, not after "number" or "contact", which precede any id.
        named = in_field or (contextual and ctx.near(_PHONE_WORDS))
        e164 = self.validator.e164(core, named=named)
        if e164 is None:
            return None
        if not contextual and e164.startswith("+1") and not nanp_grouped(core):
            return None
        score = 0.8 if intl else self.score
        if contextual:
            score += self.context_boost
        return Hit(min(1.0, score), e164)
