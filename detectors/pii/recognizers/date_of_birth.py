"""Dates of birth: a plausible past date said to be a birth date (field name or prose).

A date alone is not personal data; timestamps are everywhere in machine traffic.
"""

from __future__ import annotations

import re
from typing import Final, Iterable

from ..context import DOB_FIELD
from ..finding import Category
from ..structure import Segment
from ..validators import current_date, plausible_birth_date
from .base import Ctx, Hit, Recognizer, field_hit

_MONTHS: Final = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9,
    "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12,
    "december": 12,
}
_MON: Final = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
# Month names in French, German, Spanish, Italian, Dutch, Portuguese, Polish (in the
# genitive a date takes) and the Nordic languages ("12 mars 1985", "12. März 1985", "12 de
# marzo de 1985", "3 kwietnia 1975"); and the English names lower-case, as Dutch and the
# Nordic languages write them ("3 april 1975"). Case is spelt out, not (?i): the prefilter
# cannot trust case-folding of non-ASCII letters and would run this on every field.
_INTL_MONTHS: Final = {
    **dict.fromkeys(("janvier", "januar", "jänner", "enero", "gennaio", "januari", "janeiro", "stycznia"), 1),
    **dict.fromkeys(("février", "februar", "febrero", "febbraio", "februari", "fevereiro", "lutego"), 2),
    **dict.fromkeys(("mars", "märz", "marzo", "maart", "março", "marca", "marts"), 3),
    **dict.fromkeys(("avril", "abril", "aprile", "april", "kwietnia"), 4),
    **dict.fromkeys(("mai", "mayo", "maggio", "mei", "maio", "maja", "maj"), 5),
    **dict.fromkeys(("juin", "juni", "junio", "giugno", "junho", "czerwca"), 6),
    **dict.fromkeys(("juillet", "juli", "julio", "luglio", "julho", "lipca"), 7),
    **dict.fromkeys(("août", "agosto", "augustus", "augusti", "sierpnia"), 8),
    **dict.fromkeys(("septembre", "septiembre", "setiembre", "settembre", "setembro", "september", "września"), 9),
    **dict.fromkeys(("octobre", "oktober", "octubre", "ottobre", "outubro", "października"), 10),
    **dict.fromkeys(("novembre", "noviembre", "novembro", "november", "listopada"), 11),
    **dict.fromkeys(("décembre", "dezember", "diciembre", "dicembre", "dezembro", "december", "desember", "grudnia"), 12),
}
_MONTHS.update(_INTL_MONTHS)
# In capitals, as clinical, airline and passport systems print a date ("12-MAR-1985",
# "12MAR1985", "12 MARCH 1985").
_MON_UPPER: Final = r"(?:JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?|SEPT?(?:EMBER)?" \
    r"|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)"
_GLUED: Final = re.compile(r"(\d{1,2})([A-Za-z]{3})(\d{4})")  # "12MAR1985"
# "D.O.B." in its dotted form: prose_words reads it as three letters.
_DOTTED_CUE: Final = re.compile(r"\bd\.o\.b\b")
_MON_INTL: Final = "(?:" + "|".join("[" + m[0].upper() + m[0] + "]" + m[1:] for m in sorted(_INTL_MONTHS, key=len, reverse=True)) + ")"
_DATETIME: Final = re.compile(r"((?:19|20)\d{2})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?")
_SHORT_YEAR: Final = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2})")
# A two-digit year ("DOB: 03/14/82", as clinical notes and forms write it) only right
# after a birth cue, which the pattern itself holds: "3/4/75" alone is a fraction, a
# version or a score far more often. The date ends the match, the only digits in it.
_SHORT_CUE: Final = (
    r"(?i:\bdob\b|\bd\.o\.b\b\.?|\bborn\b|\bdate[ \t]+of[ \t]+birth|\bbirth[ \t]*date|\bbirthday|\bb-?day\b"
    r"|\bgeb\.|\bgeboren\b|\bgeburtsdatum|\bdate[ \t]+de[ \t]+naissance|\bfecha[ \t]+de[ \t]+nacimiento"
    r"|\bdata[ \t]+di[ \t]+nascita|\bdata[ \t]+de[ \t]+nascimento|\bgeboortedatum|\bnacid[oa][ \t]+el\b)"
)
_SHORT_DATE: Final = (r"\b(?:\d{1,2}/\d{1,2}/\d{2}|\d{1,2}-\d{1,2}-\d{2}|\d{1,2}\.\d{1,2}\.\d{2})\b")
_YEAR_FIELD: Final = frozenset({"year", "yyyy", "yob", "birthyear", "yearofbirth"})
_WORD: Final = re.compile(r"[^\W\d_]+(?:\.[^\W\d_]+)*\.?")
_YEAR: Final = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# "geb." abbreviates geboren in German and Dutch.
_PROSE: Final = DOB_FIELD | {"born", "birth", "birthday", "dob", "bday", "d.o.b", "geboren", "geb", "né", "née", "nacido", "nacida",
                      "nato", "nata", "nascido", "nascida", "urodzony", "urodzona", "urodził", "urodziła", "født",
                      "född", "syntynyt"}


_DAY_FIELD: Final = frozenset({"day", "dd"})
_MONTH_FIELD: Final = frozenset({"month", "mm"})


def _part(fields: list[Segment], names: frozenset[str], top: int) -> int:
    """The number 1 to ``top`` in the field of ``fields`` one of ``names`` names; 0 if none."""
    for f in fields:
        if not names.isdisjoint(f.tokens):
            v = f.text.strip()
            if v.isascii() and v.isdigit() and 1 <= int(v) <= top:
                return int(v)
    return 0


def _iso_date(y: int, m: int, d: int) -> str:
    """The normal form a birth date is hashed in, however it was written: YYYY-MM-DD."""
    return f"{y:04d}-{m:02d}-{d:02d}"


def _whole_date(year: int, fields: list[Segment]) -> str:
    """The birth date a year's object spells in parts, Stripe's individual[dob][day],
    [month] and [year], as YYYY-MM-DD; "" when a part is missing or no date."""
    day = _part(fields, _DAY_FIELD, 31)
    month = _part(fields, _MONTH_FIELD, 12)
    if not day or not month or not plausible_birth_date(year, month, day):
        return ""
    return _iso_date(year, month, day)


def _short_year(a: int, b: int, yy: int) -> list[tuple[int, int, int]]:
    """(y, m, d) readings of a date with a two-digit year: the latest past century,
    M/D/Y then D/M/Y, as in _parse."""
    y = 2000 + yy if 2000 + yy <= current_date().year else 1900 + yy
    return [(y, a, b), (y, b, a)]


def _parse(value: str) -> list[tuple[int, int, int]] | None:
    """(y, m, d) candidates; numeric D/M order is ambiguous, so both are tried."""
    glued = _GLUED.fullmatch(value)
    v = " ".join(glued.groups()) if glued is not None else \
        value.replace(",", " ").replace(".", " ").replace("/", " ").replace("-", " ")
    parts = v.split()
    if len(parts) != 3:
        # "12th of March 1985"
        parts = [p for p in parts if p.lower() not in ("of", "de")]
        if len(parts) != 3:
            return None
    words = [p.lower().rstrip("stndrh") if p[:1].isdigit() else p.lower() for p in parts]
    nums = []
    month_word = None
    for w in words:
        if w.isdigit():
            nums.append(int(w))
        elif w in _MONTHS:
            month_word = _MONTHS[w]
        else:
            return None
    if month_word is not None:
        if len(nums) != 2:
            return None
        y = max(nums)
        d = min(nums)
        return [(y, month_word, d)]
    a, b, c = nums
    if len(parts[0]) == 4:  # Y-M-D
        return [(a, b, c)]
    if len(parts[2]) != 4:
        return None
    return [(c, a, b), (c, b, a)]  # M/D/Y and D/M/Y


class DateOfBirthRecognizer(Recognizer):
    name: str = "date_of_birth"
    category: str = Category.DATE_OF_BIRTH
    patterns: tuple[str, ...] = (
        r"\b(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b",
        r"\b(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:19|20)\d{2}\b",
        r"\b" + _MON + r"\.? \d{1,2}(?:st|nd|rd|th)?,? (?:19|20)\d{2}\b",
        # "3rd of April 1985"; "3. April 1985" as German writes a day
        r"\b\d{1,2}(?:st|nd|rd|th|\.)?(?: of)? " + _MON + r"\.?,? (?:19|20)\d{2}\b",
        # 12-Mar-1985, as banks and KYC forms print it
        r"\b\d{1,2}-" + _MON + r"-(?:19|20)\d{2}\b",
        # In capitals: 12-MAR-1985, 12 MARCH 1985, and glued as airlines and passports print it
        r"\b\d{1,2}[- ]" + _MON_UPPER + r"[- ](?:19|20)\d{2}\b",
        r"\b\d{2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?:19|20)\d{2}\b",
        r"\b\d{1,2}\.?[ \t]+(?:de[ \t]+)?" + _MON_INTL + r"[ \t]+(?:de[ \t]+)?(?:19|20)\d{2}\b",
        # The cue, then the date: validate reports the date alone. (No capture group:
        # RE2 then finds every match with its DFA alone, without a submatch engine.)
        _SHORT_CUE + r"[^\d\n]{0,16}" + _SHORT_DATE,
    )
    context: frozenset[str] = _PROSE
    score: float = 0.85
    # "19871016" under a birth-date field (ad pixels and KYC APIs send YYYYMMDD); a bare
    # eight-digit run elsewhere is an id or an amount far more often. "year" for a birth
    # date sent in parts (Stripe's individual[dob][year], {"dob": {"year": ...}}).
    # "day" and "month" are kept for the year to read (see _whole_date).
    field_hints: frozenset[str] = DOB_FIELD | _YEAR_FIELD | _DAY_FIELD | _MONTH_FIELD
    sibling_hints: frozenset[str] = _YEAR_FIELD

    def field_applies(self, tokens: frozenset[str], parent_tokens: frozenset[str]) -> bool:
        return not DOB_FIELD.isdisjoint(tokens) or "yob" in tokens or \
            (not _YEAR_FIELD.isdisjoint(tokens) and not DOB_FIELD.isdisjoint(parent_tokens))

    def scan_field(self, value: str, ctx: Ctx) -> Iterable[Hit]:
        """Forms the patterns leave alone elsewhere, read only under a birth-date field:
        19871016, a serialised date-time (1987-10-16T00:00:00.000Z) and two-digit years
        (16/10/87)."""
        v = value.strip()
        if len(v) == 4 and v.isdigit() and not _YEAR_FIELD.isdisjoint(ctx.tokens):
            # The year of a birth date sent in parts, or a birth year: the part that
            # identifies; a day or a month alone does not.
            y = int(v)
            if not plausible_birth_date(y, 1, 1):
                return ()
            whole = _whole_date(y, ctx.siblings)
            if whole:  # hashed as the date written whole: one person, not a year's births
                return field_hit(Hit(self.score, whole), value, v)
            return field_hit(Hit(self.score, v, subtype="year"), value, v)
        if len(v) == 8 and v.isdigit():
            cands = [(int(v[:4]), int(v[4:6]), int(v[6:]))]
        elif (m := _DATETIME.fullmatch(v)) is not None:
            cands = [(int(m[1]), int(m[2]), int(m[3]))]
        elif (m := _SHORT_YEAR.fullmatch(v)) is not None:
            cands = _short_year(int(m[1]), int(m[2]), int(m[3]))
        else:
            return ()
        for y, mo, d in cands:
            if plausible_birth_date(y, mo, d):
                return field_hit(Hit(self.score, _iso_date(y, mo, d)), value, v)
        return ()

    def validate(self, value: str, ctx: Ctx) -> Hit | None:
        # A cue and a two-digit year: the cued pattern's match (a month name, which also
        # starts one, is followed by no such date). Its cue is its own, nothing between.
        short = _SHORT_YEAR.search(value) if not value[:1].isdigit() else None
        if short is None and not ctx.field_has(DOB_FIELD) and not (_cued(ctx) and _cue_is_its_own(ctx)):
            return None
        after = ctx.char_after()
        if after in ("T", ":") or (after == " " and ctx.text[ctx.end + 1:ctx.end + 3].rstrip(":").isdigit()
                                   and ctx.text[ctx.end + 3:ctx.end + 4] == ":"):
            return None  # a timestamp, not a date
        cands = _short_year(int(short[1]), int(short[2]), int(short[3])) if short is not None else _parse(value)
        if not cands:
            return None
        for y, m, d in cands:
            if plausible_birth_date(y, m, d):
                if short is not None:
                    return Hit(self.score, _iso_date(y, m, d), start=ctx.start + short.start(), end=ctx.end)
                return Hit(self.score, _iso_date(y, m, d))
        return None


def _cued(ctx: Ctx) -> bool:
    """A birth cue among the words before the date, "D.O.B." included."""
    return ctx.near(_PROSE, last=8) or \
        _DOTTED_CUE.search(ctx.text[max(0, ctx.start - 32):ctx.start].lower()) is not None


def _cue_is_its_own(ctx: Ctx) -> bool:
    """The nearest birth cue before the date is not followed by another year first: in
    "DOB 03/14/1982, seen on 2024-02-01" the cue belongs to the first date only."""
    text = ctx.text
    offset = max(0, ctx.start - 64)
    window = text[offset:ctx.start]
    cue_end = -1
    for m in _WORD.finditer(window.lower()):
        if m[0] in _PROSE or m[0].rstrip(".") in _PROSE:
            cue_end = m.end()
    if cue_end < 0:
        return True  # a cue in an unspaced script ("出生日期"): no words to place it by
    return _YEAR.search(window, cue_end) is None
