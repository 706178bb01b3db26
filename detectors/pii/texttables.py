"""Tables pasted into text: a spreadsheet's rows in a prompt or a ticket, a markdown
table. A header line of names, then rows with as many delimiters (comma, tab,
semicolon, bar): each cell goes by its column's name, as a CSV body's cells do
(csvfields.py), so "Sarah" under "first_name" is a given name and nine digits under
"ssn" an SSN.

A cell in double quotes, as spreadsheets export one with a delimiter inside ("Smith,
John"), is read without its quotes; a row whose quote is left open ends the table.
"""

from __future__ import annotations

import re
from typing import Final

# A header line: two names or more, of up to three words each ("First Name", "Date of
# Birth"), in quotes or not.
_NAME: Final = r"[A-Za-z_][\w.\-]{0,40}(?: [\w.\-]{1,40}){0,2}"
_CELL_NAME: Final = '(?:"' + _NAME + '"|' + _NAME + ")"
_HEADER_LINE: Final = re.compile(
    r"^[ \t|]*" + _CELL_NAME + r"[ \t]*(?:[,\t;|][ \t]*" + _CELL_NAME + r"[ \t]*)+[|]?[ \t]*\r?$", re.M)
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
    head_cells = _split(head, delim)
    names = [c.strip() for _, c in head_cells] if head_cells else []
    if not names or not all(_HEADER_CELL.fullmatch(c) for c in names):
        return end + 1
    at = end + 1
    while at < len(text):
        eol = text.find("\n", at)
        if eol < 0:
            eol = len(text)
        rs, row = _cells_of(text, at, eol, delim)
        cells = _split(row, delim)
        if cells is None or len(cells) != len(names):
            break
        at = eol + 1
        if delim == "|" and _RULE_ROW.fullmatch(row):
            continue
        for name, (k, cell) in zip(names, cells):
            stripped = cell.strip()
            if stripped:
                cs = rs + k + cell.index(stripped)
                out.append((name, cs, cs + len(stripped)))
    return max(at, end + 1)


def _split(line: str, delim: str) -> list[tuple[int, str]] | None:
    """A row's cells and their offsets in it. Between commas, semicolons or tabs a cell
    in double quotes is read without them ('""' inside is one quote, left as written);
    None when a quote is left open or text follows a closing one."""
    cells: list[tuple[int, str]] = []
    if delim == "|" or '"' not in line:  # a markdown table's quotes are text
        k = 0
        for cell in line.split(delim):
            cells.append((k, cell))
            k += len(cell) + 1
        return cells
    n = len(line)
    i = 0
    while True:
        j = i
        while j < n and line[j] in " \t":
            j += 1
        if j < n and line[j] == '"':
            close = line.find('"', j + 1)
            while close >= 0 and line.startswith('""', close):
                close = line.find('"', close + 2)
            if close < 0:
                return None
            cells.append((j + 1, line[j + 1:close]))
            k = close + 1
            while k < n and line[k] in " \t":
                k += 1
            if k >= n:
                return cells
            if line[k] != delim:
                return None
            i = k + 1
        else:
            d = line.find(delim, i)
            if d < 0:
                cells.append((i, line[i:]))
                return cells
            cells.append((i, line[i:d]))
            i = d + 1


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
