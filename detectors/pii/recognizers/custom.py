"""Detectors defined in config: a regex, an optional validator by name, keywords that
gate the regex, field-name hints that raise confidence (or are required)."""

from __future__ import annotations

from typing import Final

from ..context import field_tokens
from ..phones import PhoneValidator
from .. import validators as v
from .base import Ctx, Hit, Recognizer

_digits: Final = lambda s: "".join(c for c in s if c.isdigit())  # noqa: E731
_alnum: Final = lambda s: "".join(c for c in s if c.isalnum()).upper()  # noqa: E731

VALIDATORS: Final = {
    "luhn": lambda s: v.luhn(_digits(s)),
    "credit_card": lambda s: v.is_credit_card(_digits(s)),
    "mod97": lambda s: v.mod97(_alnum(s)) == 1,
    "iban": lambda s: v.is_iban(_alnum(s)),
    "verhoeff": lambda s: v.verhoeff(_digits(s)),
    "aadhaar": lambda s: v.is_aadhaar(_digits(s)),
    "us_ssn": lambda s: v.is_us_ssn(_digits(s)),
    "uk_nino": lambda s: v.is_uk_nino(_alnum(s)),
    "fr_nir": lambda s: v.is_fr_nir(_alnum(s)),
    "es_dni": lambda s: v.is_es_dni(_alnum(s)),
    "br_cpf": lambda s: v.is_br_cpf(_digits(s)),
    "it_codice_fiscale": lambda s: v.is_it_codice_fiscale(_alnum(s)),
    "ip": lambda s: bool(v.ip_kind(s)),
    "public_ip": lambda s: v.ip_kind(s) == "public",
}
VALIDATOR_NAMES: Final = tuple(sorted(VALIDATORS)) + ("phone",)


class CustomRecognizer(Recognizer):
    def __init__(self, spec, phone_validator: PhoneValidator):
        self.spec = spec
        self.name = "custom." + spec.name
        self.category = spec.category
        self.patterns = (spec.regex,)
        self.keywords = tuple(k.lower() for k in spec.keywords)
        self.hints = frozenset(t for h in spec.field_hints for t in field_tokens(h))
        self.score = spec.confidence
        self.subtype = spec.subtype
        self._phone = phone_validator
        self._check = VALIDATORS.get(spec.validator) if spec.validator and spec.validator != "phone" else None

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        if self.spec.validator == "phone":
            norm = self._phone.e164(value)
            if norm is None:
                return None
        else:
            if self._check is not None and not self._check(value):
                return None
            norm = value
        hinted = bool(self.hints) and (ctx.field_has(self.hints) or ctx.near(self.hints))
        if self.spec.requires_context and not hinted:
            return None
        score = min(1.0, self.score + (0.15 if hinted else 0.0))
        return Hit(score, norm, subtype=self.subtype)
