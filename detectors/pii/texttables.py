"""Tables pasted into text: a spreadsheet's rows in a prompt or a ticket, a markdown
table. A header line of names, then rows with as many delimiters (comma, tab,
semicolon, bar): each cell goes by its column's name, as a CSV body's cells do
(csvfields.py), so "Sarah" under "first_name" is a given name and nine digits under
"ssn" an SSN.

Quoted cells are not read: a row with a delimiter inside quotes counts differently and
is left to the text.
"""

from __future__ import annotations

import re
from typing import Final

# A header line: two names or more, of up to three words each ("First Name", "Date of Birth").
_NAME: Final = r"[A-Za-z_][\w.\-]{0,40}(?: [\w.\-]{1,40}){0,2}"
_HEADER_LINE: Final = re.compile(r"^[ \t|]*" + _NAME + r"[ \t]*(?:[,\t;|][ \t]*" + _NAME + r"[ \t]*)+[|]?[ \t]*\r?$",
                                  re.M)
_HEADER_CELL: Final = re.compile(_NAME)
_RULE_ROW: Final = re.compile(r"[\s|:\-]+")  # a markdown table's |---|:---| line
_DELIMITERS: Final = (",", "\t", ";", "|")


def table_cells(text: str) -> list[tuple[str, int, int]]:
    """(column name, start, end) of the cells of each table in ``text``, blanks around a
    cell left out, in order; [] when there is none: a header line and one row at least."""
    out: list[tuple[str, int, int]] = []
    at = 0
    while True:
        m = _HEADER_LINE.search(text, at)
        if m is None:
            return out
        at = _table(text, m.start(), m.end(), out)


def _table(text: str, start: int, end: int, out: list[tuple[str, int, int]]) -> int:
    """The rows under the header line text[start:end] into ``out``; where the table ends."""
    delim = max(_DELIMITERS, key=text[start:end].count)
    _, head = _cells_of(text, start, end, delim)
    n = head.count(delim)
    names = [c.strip() for c in head.split(delim)]
    if not all(_HEADER_CELL.fullmatch(c) for c in names):
        return end + 1
    at = end + 1
    while at < len(text):
        eol = text.find("\n", at)
        if eol < 0:
            eol = len(text)
        rs, row = _cells_of(text, at, eol, delim)
        if row.count(delim) != n:
            break
        at = eol + 1
        if delim == "|" and _RULE_ROW.fullmatch(row):
            continue
        k = rs
        for name, cell in zip(names, row.split(delim)):
            stripped = cell.strip()
            if stripped:
                cs = k + cell.index(stripped)
                out.append((name, cs, cs + len(stripped)))
            k += len(cell) + 1
    return max(at, end + 1)


def _cells_of(text: str, start: int, end: int, delim: str) -> tuple[int, str]:
    """A line's cells' text and where it starts: a markdown row's outer bars left out."""
    line = text[start:end].rstrip("\r")
    if delim == "|":
        lead = len(line) - len(line.lstrip())
        if line[lead:lead + 1] == "|":
            start += lead + 1
            line = line[lead + 1:]
        line = line.rstrip()
        if line.endswith("|"):
            line = line[:-1]
    return start, line
