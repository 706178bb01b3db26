"""Key-value pairs written inside text, as logs and code print records: logfmt
(``level=info first_name=Sarah ssn=536228726``), Python reprs
(``{'first_name': 'Sarah'}``, ``Customer(first_name='Sarah')``), GraphQL arguments
(``createCustomer(input: {firstName: "Sarah"})``), SQL (``WHERE email='jo@example.org'``),
Ruby hashes (``"email" => "jo@example.org"``).

A value in such a record goes by its key, as a JSON field goes by its name: "Sarah"
after ``first_name=`` is a given name, and the nine digits after ``ssn=`` an SSN, not a
phone number cued by a ``phone=`` two pairs back.
"""

from __future__ import annotations

import re
from typing import Final

_KEY: Final = r"[A-Za-z_$][\w.$\-]{0,63}"
# key=value, key="value", 'key': 'value', "key": value, key: "value", "key" => "value".
# Bounded quantifiers over plain classes: linear in the text.
_PAIR: Final = re.compile(
    r"(?:(?<![\w.$\-'\"])(" + _KEY + r")[ \t]*(=>?|:)|(['\"])(" + _KEY + r")\3[ \t]*(=>?|:))[ \t]*"
    r"(?:'((?:[^'\\\n]|\\.){0,2000})'|\"((?:[^\"\\\n]|\\.){0,2000})\"|([^\s,;(){}\[\]='\"|&][^\s,;(){}\[\]'\"|&]{0,199}))"
)
# Code, not data: "fn = ir.Function(...)", "name=None", "jitted_fn = njit(...)".
_NULLS: Final = frozenset({"none", "null", "nil", "undefined", "true", "false"})


def text_pairs(text: str) -> list[tuple[str, int, int, int]]:
    """The pairs of a text that reads as a record, else []: (key, pair start, value start,
    value end) in order, quotes left out of the value. A record has two pairs or more;
    one pair alone ("x=5", a base64 blob's padding) is text. A bare word before ":" is a
    key only before a quoted value ("Note: the meeting" and "name: str" are prose and
    code). A value without quotes is a record's only glued to its "=" or after a quoted
    key, and not a call, a member or a null: "fn = ir.Function(...)" is code.

    The pattern is tried only where a key ends at an "=" or a ":": a line of code or
    prose costs a scan for those two characters, not a match attempt at every word."""
    pairs: list[tuple[str, int, int, int]] = []
    taken = 0
    for sep in _SEPARATOR.finditer(text):
        k = _key_start(text, sep.start())
        if k < taken:
            continue  # no key, or inside the last pair
        m = _PAIR.match(text, k)
        if m is None:
            continue
        bare = m.group(8)
        key = m.group(1)
        if bare is not None:
            if key is not None and (m.group(2) == ":" or m.end(1) != m.start(8) - 1):
                continue
            after = text[m.end(8):m.end(8) + 2]
            if after[:1] in ("(", "[") or (after[:1] == "." and after[1:].isalpha()) or bare.lower() in _NULLS:
                continue
        if key is None:
            key = m.group(4)
        g = 6 if m.group(6) is not None else 7 if m.group(7) is not None else 8
        pairs.append((key, m.start(), m.start(g), m.end(g)))
        taken = m.end()
    return pairs if len(pairs) >= 2 else []


_SEPARATOR: Final = re.compile(r"[=:]")
_KEY_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.$-")


def _key_start(text: str, sep: int) -> int:
    """Where the key that ends at the separator ``sep`` starts (its opening quote when
    quoted), or -1: back over blanks, a closing quote and up to 64 key characters."""
    j = sep
    while j > 0 and text[j - 1] in " \t":
        j -= 1
    quote = ""
    if j > 0 and text[j - 1] in "'\"":
        quote = text[j - 1]
        j -= 1
    k = j
    while k > 0 and j - k < 64 and text[k - 1] in _KEY_CHARS:
        k -= 1
    if k == j:
        return -1
    if quote:
        if k == 0 or text[k - 1] != quote:
            return -1
        k -= 1
    return k


def may_hold_pairs(text: str) -> bool:
    """Whether ``text`` may hold a record's pairs: a blank or a comma between them, and two
    "=" or a quoted key or value by a ":" ("'ssn': ...", 'firstName: "Sarah"'). A base64
    blob's padding and an Accept header's "q=0.9" are no record. The walk asks of most
    values it sees: the usual answer, no "=" and no ":", comes first."""
    if "=" in text and text.count("=") >= 2:
        return " " in text or "," in text
    return ":" in text and (" " in text or "," in text) and (
        "':" in text or "\":" in text or ": \"" in text or ": '" in text or ":\"" in text or ":'" in text)


def blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span's characters turned to blanks: the rest keeps its offsets."""
    parts: list[str] = []
    at = 0
    for s, e in spans:
        parts.append(text[at:s])
        parts.append(" " * (e - s))
        at = e
    parts.append(text[at:])
    return "".join(parts)


# A record written as labelled lines, as forms, tickets and YAML write one:
# "Name: Sarah\nPhone: 4155550134\nSSN: 536228726". A label of up to three words, a ":"
# and the rest of the line; two such lines in a row at least.
_LABEL_LINE: Final = re.compile(
    r"^[ \t]*(?:- )?([A-Za-z][\w.\-]{0,30}(?: [A-Za-z][\w.\-]{0,30}){0,2})[ \t]*:[ \t]+(\S[^\n]{0,199}?)[ \t\r]*$", re.M)
# Code, not a value: a lower-case word alone ("name: str"), a call, an index, a default or
# a block's opening ("full_name: Optional[str] = None", "def f(x): pass:").
_CODE_VALUE: Final = re.compile(r"[a-z_][\w.]*|.*[(\[{=].*|.*:")


def labelled_lines(text: str) -> list[tuple[str, int, int]]:
    """(label, value start, value end) of each block of two labelled lines or more, in
    order, quotes around a value left out."""
    out: list[tuple[str, int, int]] = []
    block: list[tuple[str, int, int]] = []
    line_end = -2
    for m in _LABEL_LINE.finditer(text):
        if m.start() > line_end + 1 or _CODE_VALUE.fullmatch(m.group(2)):
            if len(block) >= 2:
                out += block
            block = []
            if _CODE_VALUE.fullmatch(m.group(2)):
                line_end = -2
                continue
        s, e = m.start(2), m.end(2)
        if e - s >= 2 and text[s] == text[e - 1] and text[s] in "'\"":
            s, e = s + 1, e - 1
        block.append((m.group(1), s, e))
        line_end = m.end()
    if len(block) >= 2:
        out += block
    return out
