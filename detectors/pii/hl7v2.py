"""HL7 version 2 messages in their pipe-delimited form (ER7), as hospital systems and
health integrations send them ("MSH|^~\\&|...", segments apart by carriage returns): the
patient's identifiers, names, birth date, address, phones, e-mail, SSN, driving licence,
race, religion and ethnic group (PID), the next of kin's (NK1), the guarantor's (GT1),
the insured's and the policy number (IN1), the diagnoses (DG1), allergies (AL1) and the
tests whose results are reported (OBX), each by its place in the standard.

Returned as a record's keyed values (key, start, end) into the message, keys named by the
segment, the field and what the field holds ("PID-5_familyname": one word, as after
"PID-5" the tokens of "family_name" would join as "pid5familyname", not "familyname"),
so the field-name recognisers read each one as they read a JSON field, and offsets
point into the text. Every repetition of a field is read ("~": a second phone, an alias).
"""

from __future__ import annotations

from typing import Final

# (field, component, key) of each segment, by field. HL7's numbering: PID-5.1 is the
# family name, PID-13.4 the e-mail address of a telecommunication number (XTN).
_Wanted = tuple[tuple[int, int, str], ...]
_FIELDS: Final[dict[str, _Wanted]] = {
    "PID": ((3, 1, "PID-3_mrn"), (5, 1, "PID-5_familyname"), (5, 2, "PID-5_givenname"),
            (6, 1, "PID-6_maidenname"), (7, 1, "PID-7_birthdate"), (10, 2, "PID-10_racialorigin"),
            (11, 1, "PID-11_street_address"), (13, 1, "PID-13_home_phone"), (13, 4, "PID-13_email"),
            (14, 1, "PID-14_business_phone"), (14, 4, "PID-14_email"), (17, 2, "PID-17_religion"),
            (19, 1, "PID-19_ssn"), (20, 1, "PID-20_driverslicense"), (22, 2, "PID-22_ethnicgroup")),
    "NK1": ((2, 1, "NK1-2_familyname"), (2, 2, "NK1-2_givenname"), (4, 1, "NK1-4_street_address"),
            (5, 1, "NK1-5_phone"), (5, 4, "NK1-5_email"), (6, 1, "NK1-6_business_phone")),
    "GT1": ((3, 1, "GT1-3_familyname"), (3, 2, "GT1-3_givenname"), (5, 1, "GT1-5_street_address"),
            (6, 1, "GT1-6_home_phone"), (7, 1, "GT1-7_business_phone"), (8, 1, "GT1-8_birthdate"),
            (12, 1, "GT1-12_ssn")),
    "IN1": ((16, 1, "IN1-16_familyname"), (16, 2, "IN1-16_givenname"), (18, 1, "IN1-18_birthdate"),
            (19, 1, "IN1-19_street_address"), (36, 1, "IN1-36_insurancepolicynumber")),
    "DG1": ((3, 1, "DG1-3_diagnosis_code"), (3, 2, "DG1-3_diagnosis"), (4, 1, "DG1-4_diagnosis")),
    "AL1": ((3, 2, "AL1-3_allergy"),),
    "OBX": ((3, 2, "OBX-3_labtest"),),
}
# A patient identifier (CX) names its kind in its fifth component (HL7 table 0203): an
# SSN or a Medicare number is not a record number.
_IDENTIFIER_TYPES: Final = {"SS": "PID-3_ssn", "DL": "PID-3_driverslicense", "MC": "PID-3_medicare"}
_IDENTIFIER_TYPE: Final = 5


def is_hl7v2(text: str) -> bool:
    """A message header with its four encoding characters: "MSH|^~\\&|"."""
    return text.startswith("MSH") and len(text) > 8 and text[3] == "|"


def hl7_fields(text: str) -> list[tuple[str, int, int]]:
    """The keyed values of an HL7 v2 message, in order; [] when ``text`` is none."""
    if not is_hl7v2(text):
        return []
    seps = text[3], text[4], text[5]
    out: list[tuple[str, int, int]] = []
    start = 0
    n = len(text)
    while start < n:
        end = start
        while end < n and text[end] != "\r" and text[end] != "\n":
            end += 1
        wanted = _FIELDS.get(text[start:start + 3])
        if wanted is not None and text[start + 3:start + 4] == seps[0]:
            _segment_values(text, start, end, wanted, seps, out)
        start = end + 1
    return out


def _segment_values(text: str, start: int, end: int, wanted: _Wanted, seps: tuple[str, str, str],
                    out: list[tuple[str, int, int]]) -> None:
    field_sep, comp_sep, rep_sep = seps
    # Field i starts after the segment's i-th separator.
    bounds: list[tuple[int, int]] = []
    i = start + 3
    while i < end:
        j = text.find(field_sep, i + 1, end)
        j = end if j < 0 else j
        bounds.append((i + 1, j))
        i = j
    k = 0
    while k < len(wanted):
        field = wanted[k][0]
        same = k
        while same < len(wanted) and wanted[same][0] == field:
            same += 1
        if field <= len(bounds):
            fs, fe = bounds[field - 1]
            while fs < fe:  # each repetition, its components in order
                rep = text.find(rep_sep, fs, fe)
                rep_end = fe if rep < 0 else rep
                comps = _components(text, fs, rep_end, comp_sep)
                for _, component, key in wanted[k:same]:
                    if component <= len(comps) and comps[component - 1][0] < comps[component - 1][1]:
                        if key == "PID-3_mrn" and len(comps) >= _IDENTIFIER_TYPE:
                            ts, te = comps[_IDENTIFIER_TYPE - 1]
                            key = _IDENTIFIER_TYPES.get(text[ts:te], key)
                        out.append((key, *comps[component - 1]))
                fs = rep_end + 1
        k = same


def _components(text: str, start: int, end: int, comp_sep: str) -> list[tuple[int, int]]:
    comps: list[tuple[int, int]] = []
    cs = start
    while True:
        ce = text.find(comp_sep, cs, end)
        if ce < 0:
            comps.append((cs, end))
            return comps
        comps.append((cs, ce))
        cs = ce + 1
