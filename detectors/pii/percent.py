"""Percent-decoding exactly as ``urllib.parse.unquote`` and ``unquote_plus`` do (UTF-8,
errors replaced), in code that compiles: the standard library's version is interpreted
Python and ran for several microseconds per encoded value on the scan path.

The same result, character for character: each run of ASCII characters is decoded to
bytes and then as one UTF-8 string, so escapes split by plain ASCII text still form
one character, and other characters pass through. tests/pii/test_percent.py checks it
against the standard library on arbitrary strings.
"""

from __future__ import annotations

import re
from typing import Final

_HEX_DIGITS: Final = "0123456789ABCDEFabcdef"
# b"4a" -> b"J": a two-character escape body and its byte, as urllib builds them.
_ESCAPES: Final[dict[bytes, bytes]] = {
    (a + b).encode(): bytes.fromhex(a + b) for a in _HEX_DIGITS for b in _HEX_DIGITS}
_ASCII_RUNS: Final = re.compile("([\x00-\x7f]+)")


def unquote(s: str) -> str:
    if "%" not in s:
        return s
    if s.isascii():
        return _ascii_to_bytes(s).decode("utf-8", "replace")
    bits = _ASCII_RUNS.split(s)
    out = [bits[0]]
    for i in range(1, len(bits), 2):
        out.append(_ascii_to_bytes(bits[i]).decode("utf-8", "replace"))
        out.append(bits[i + 1])
    return "".join(out)


def unquote_plus(s: str) -> str:
    return unquote(s.replace("+", " "))


def _ascii_to_bytes(run: str) -> bytes:
    # Split as bytes: one encode for the run, not one per escape (cookies carry dozens).
    bits = run.encode("ascii").split(b"%")
    if len(bits) == 1:
        return bits[0]
    out = [bits[0]]
    for i in range(1, len(bits)):
        item = bits[i]
        byte = _ESCAPES.get(item[:2])
        if byte is None:
            out.append(b"%")
            out.append(item)
        else:
            out.append(byte)
            out.append(item[2:])
    return b"".join(out)
