"""Driving licence numbers: named by the field ("drivers_license_number") or just before
the number in text ("her driver's license is D1234567").

No checksum is common to the issuers (each US state, the DVLA, the EU states has its own
layout), so the name is what makes an alphanumeric run a licence number: without it,
"D1234567" is an order or a part number.
"""

from __future__ import annotations

from typing import Final, Iterable

from ..finding import Category
from ..masking import alnum_upper
from .base import Ctx, Hit, Recognizer, field_hit

# The names in text. "license" alone is not one: a software licence key is no person's.
_CUES: Final = (
    r"(?i:\bdriv(?:er'?s?|ing)[ \t]+licen[cs]e|\bpermis[ \t]+de[ \t]+conduire"
    r"|\b(?:licencia|carnet|permiso)[ \t]+de[ \t]+conducir|\bpatente[ \t]+di[ \t]+guida|\brijbewijs"
    r"|\bprawo[ \t]+jazdy|\bcarteira[ \t]+de[ \t]+motorista|\bcarta[ \t]+de[ \t]+condu)"
    r"|[Ff](?:ü|ue)hrerschein|\b(?:DL|Dl|dl)(?:[ \t]*#|[ \t]+(?:[Nn]o\b|[Nn]umber|NO\b|NUMBER))"
)
# Up to five letters, then a digit, then letters and digits; groups after a space, a dash
# or a slash start with a digit ("A123-456-78-901-0", "123 456 789"), so "D1234567 EXP" ends
# before "EXP".
_NUMBER: Final = r"[A-Z]{0,5}\d[\dA-Z]*(?:[ \-/]\d[\dA-Z]*){0,4}"

# Field-name tokens: the licence words, each of which needs a driving word beside it
# ("license_key" is software), and the names that say both.
_LICENSE: Final = frozenset({"license", "licence", "licensenumber", "licencenumber", "licenseno", "licno"})
_DRIVING: Final = frozenset({"driver", "drivers", "driving"})
_WHOLE: Final = frozenset({
    "driverslicense", "driverlicense", "driverslicence", "driverlicence", "drivinglicence", "drivinglicense",
    "driverslicensenumber", "driverlicensenumber", "drivinglicencenumber", "dlnumber", "dlno", "dlnum",
    "fuehrerschein", "führerschein", "fuhrerschein", "fuehrerscheinnummer", "führerscheinnummer",
    "permisdeconduire", "rijbewijs", "rijbewijsnummer", "prawojazdy", "licenciaconducir", "carnetconducir",
    "cnh",
})


def _names_licence(tokens: frozenset[str]) -> bool:
    return not _WHOLE.isdisjoint(tokens) or (not _LICENSE.isdisjoint(tokens) and not _DRIVING.isdisjoint(tokens))


def _plausible(compact: str) -> bool:
    """5 to 20 letters and digits, at least three digits, not one repeated character."""
    return 5 <= len(compact) <= 20 and sum(c.isdigit() for c in compact) >= 3 and len(set(compact)) >= 4


class DriverLicenseRecognizer(Recognizer):
    name: str = "driver_license"
    category: str = Category.NATIONAL_ID
    # Named just before or by the field: above the generic "number" cue that makes "071
    # 881 817" a phone number as well (as for national ids named in text).
    score: float = 0.97
    # The number is group 1, a whole word after the name and up to 24 characters that are
    # not digits ("Driver's License No.:", "driving licence (UK) is").
    patterns: tuple[str, ...] = ("(?:" + _CUES + r")[^\d\n]{0,24}\b(" + _NUMBER + r")\b",)
    # The names alone, or their first word: a superset Hyperscan runs cheaply ("driver"
    # for every apostrophe, "hrerschein" for every spelling of Führerschein).
    prefilter: tuple[str, ...] = (
        r"(?i:driv(?:er|ing)|permis[ \t]+de[ \t]+conduire|de[ \t]+conducir"
        r"|patente[ \t]+di[ \t]+guida|rijbewijs|prawo[ \t]+jazdy|de[ \t]+motorista|carta[ \t]+de[ \t]+condu"
        r"|hrerschein|DL[ \t]*#|DL[ \t]+no|DL[ \t]+number)",
    )
    keywords: tuple[str, ...] = ("carta", "carteira", "conduire", "conducir", "dl", "driv", "hrerschein", "guida",
                                 "jazdy", "rijbewijs")
    group: int = 1
    field_hints: frozenset[str] = _WHOLE | _LICENSE

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return _names_licence(tokens)

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        v = value.strip()
        compact = alnum_upper(v)
        if len(v) > 24 or not _plausible(compact) or not v.replace("-", "").replace(" ", "").replace("/", "").isalnum():
            return ()
        return field_hit(Hit(self.score, compact, subtype="driver_license"), value, v)

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        compact = alnum_upper(value)
        if not _plausible(compact):
            return None
        return Hit(self.score, compact, subtype="driver_license")
