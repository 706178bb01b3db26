"""HL7 version 2 messages in their pipe-delimited form (ER7), as hospital systems and
health integrations send them ("MSH|^~\\&|...", segments apart by carriage returns): the
patient's identifiers, name, birth date, address, phones and SSN (PID), the next of
kin's (NK1) and the diagnoses (DG1), each by its place in the standard.

Returned as a record's keyed values (key, start, end) into the message, keys named by the
segment, the field and what the field holds ("PID-5_familyname": one word, as after
"PID-5" the tokens of "family_name" would join as "pid5familyname", not "familyname"),
so the field-name recognisers read each one as they read a JSON field, and offsets
point into the text.
Only the first repetition of a field is read.
"""

from __future__ import annotations

from typing import Final

# (segment, field, component) -> key. HL7's numbering: PID-5.1 is the family name.
_FIELDS: Final[dict[str, tuple[tuple[int, int, str], ...]]] = {
    "PID": ((3, 1, "PID-3_mrn"), (5, 1, "PID-5_familyname"), (5, 2, "PID-5_givenname"),
            (7, 1, "PID-7_birthdate"), (11, 1, "PID-11_street_address"), (13, 1, "PID-13_home_phone"),
            (14, 1, "PID-14_business_phone"), (19, 1, "PID-19_ssn")),
    "NK1": ((2, 1, "NK1-2_familyname"), (2, 2, "NK1-2_givenname"), (5, 1, "NK1-5_phone")),
    "DG1": ((3, 1, "DG1-3_diagnosis_code"), (3, 2, "DG1-3_diagnosis"), (4, 1, "DG1-4_diagnosis")),
}


def is_hl7v2(text: str) -> bool:
    """A message header with its four encoding characters: "MSH|^~\\&|"."""
    return text.startswith("MSH") and len(text) > 8 and text[3] == "|"


def hl7_fields(text: str) -> list[tuple[str, int, int]]:
    """The keyed values of an HL7 v2 message, in order; [] when ``text`` is none."""
    if not is_hl7v2(text):
        return []
    field_sep, comp_sep, rep_sep = text[3], text[4], text[5]
    out: list[tuple[str, int, int]] = []
    start = 0
    n = len(text)
    while start < n:
        end = start
        while end < n and text[end] != "\r" and text[end] != "\n":
            end += 1
        wanted = _FIELDS.get(text[start:start + 3])
        if wanted is not None and text[start + 3:start + 4] == field_sep:
            out += _segment_values(text, start, end, wanted, field_sep, comp_sep, rep_sep)
        start = end + 1
    return out


def _segment_values(text: str, start: int, end: int, wanted: tuple[tuple[int, int, str], ...],
                    field_sep: str, comp_sep: str, rep_sep: str) -> list[tuple[str, int, int]]:
    # Field i starts after the segment's i-th separator.
    bounds: list[tuple[int, int]] = []
    i = start + 3
    while i < end:
        j = text.find(field_sep, i + 1, end)
        j = end if j < 0 else j
        bounds.append((i + 1, j))
        i = j
    out: list[tuple[str, int, int]] = []
    for field, component, key in wanted:
        if field > len(bounds):
            continue
        fs, fe = bounds[field - 1]
        rep = text.find(rep_sep, fs, fe)
        if rep >= 0:
            fe = rep  # the first repetition
        cs = fs
        for _ in range(component - 1):
            cut = text.find(comp_sep, cs, fe)
            if cut < 0:
                cs = -1
                break
            cs = cut + 1
        if cs < 0:
            continue
        ce = text.find(comp_sep, cs, fe)
        ce = fe if ce < 0 else ce
        if ce > cs:
            out.append((key, cs, ce))
    return out
