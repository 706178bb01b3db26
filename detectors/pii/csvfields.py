"""CSV and TSV bodies (contact-list imports to e-mail and CRM platforms) as field values:
each cell under its column's header name, so "first_name" gives a name its context.

Read with the stdlib csv reader (C). The delimiter is the one of comma, semicolon and tab
that the first line holds most of. A first row that reads as data rather than names
(an "@", a long digit run) is not taken for a header.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Final

_DATA_LIKE: Final = re.compile(r"@|\d{5}")


def delimiter(first_line: str, default: str = ",") -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else default


def csv_cells(text: str, delim: str | None = None) -> list[tuple[str, str]] | None:
    """(column name, cell) for each non-blank cell, row by row; the name is "" for
    columns without a header. None when the csv reader fails (a NUL byte, a cell over
    its size limit): the caller then scans the body as text, losing nothing."""
    eol = text.find("\n")
    first = text if eol < 0 else text[:eol]  # not split(): that would copy the whole body
    reader = csv.reader(io.StringIO(text), delimiter=delim or delimiter(first))
    out: list[tuple[str, str]] = []
    try:
        header = next(reader, None)
        if header is None:
            return None
        names = [h.strip() for h in header]
        if any(_DATA_LIKE.search(h) for h in names):
            names = [""] * len(names)  # no header: the first row is data
            _add_row(out, names, header)
        for row in reader:
            _add_row(out, names, row)
    except csv.Error:
        return None
    return out


def _add_row(out: list[tuple[str, str]], names: list[str], row: list[str]) -> None:
    for i, cell in enumerate(row):
        if cell.strip():
            out.append(((names[i] if i < len(names) else ""), cell))
