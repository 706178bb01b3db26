"""Group physical lines into records.

Nearly every log is one record per line. AWS Network Firewall samples (and hand
exported JSON) are pretty-printed: one object over many lines. A line that opens an
object ('{...') without closing it on the same line starts accumulating until the
braces balance; the record is keyed by the byte offset of its first line, so a replay
from that offset reproduces it.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

MAX_RECORD_CHARS = 1 << 20  # a runaway (truncated) object is cut here and handed on
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')


def _depth_delta(line: str) -> int:
    # JSON strings cannot span lines, so stripping them per line is exact.
    s = _STRINGS.sub("", line) if '"' in line else line
    return s.count("{") + s.count("[") - s.count("}") - s.count("]")


def iter_records(lines: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """(offset, line) -> (offset of the record's first line, record text).

    Lines are passed without their line ending. Single-line records pass through
    untouched; a multi-line JSON object is joined with '\\n' into one string.
    """
    buf: list[str] = []
    start = 0
    depth = 0
    size = 0
    for off, line in lines:
        if buf:
            if line[:1] == "{":
                # Nested objects are indented, so '{' in column 0 is a new record: the
                # open one was truncated. Hand it on alone rather than swallow NDJSON.
                yield start, "\n".join(buf)
                buf = []
            else:
                buf.append(line)
                size += len(line)
                depth += _depth_delta(line)
                if depth <= 0 or size > MAX_RECORD_CHARS:
                    yield start, "\n".join(buf)
                    buf = []
                continue
        if line[:1] == "{" and not line.rstrip().endswith("}"):
            d = _depth_delta(line)
            if d > 0:
                buf = [line]
                start, depth, size = off, d, len(line)
                continue
        yield off, line
    if buf:
        yield start, "\n".join(buf)  # truncated at end of input: the parser will reject it
