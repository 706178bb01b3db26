"""How `sentinel detect` reads an input: the format it is in when none is forced."""

from __future__ import annotations

import json
import re

from detectors.pii.protobuf import looks_binary

MODES = ("auto", "text", "http", "json", "xml", "csv", "form", "protobuf", "har")
_REQUEST_LINE = re.compile(rb"[A-Z]{3,10} \S+ HTTP/\d(?:\.\d)?\r?$")
# An application/x-www-form-urlencoded body: one line of key=value pairs joined by "&",
# keys of field-name characters. No "=" in a value and no blank, so that prose ("x = 1"),
# a .env file or padded base64 ("aGk=") is not taken for one.
_FORM_KEY = rb"(?:[A-Za-z0-9_.\-\[\]]|%[0-9A-Fa-f]{2})+"
_FORM = re.compile(rb"%s=[^\s&=]*(?:&%s=[^\s&=]*)*(?:\r?\n)?" % (_FORM_KEY, _FORM_KEY))
_FORM_VALUE = re.compile(rb"=[^\s&=]")


def read_kind(data: bytes, mode: str) -> str:
    if mode != "auto":
        return mode
    first_line = data.split(b"\n", 1)[0]
    if _REQUEST_LINE.fullmatch(first_line):
        return "http"
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            doc = json.loads(data)
        except ValueError:
            return "text"
        except RecursionError:  # nested deeper than Python's parser goes; the scanner's walk has its own limit
            return "json"
        log = doc.get("log") if isinstance(doc, dict) else None
        return "har" if isinstance(log, dict) and isinstance(log.get("entries"), list) else "json"
    if head == b"<":
        return "xml"
    if looks_binary(data):
        return "protobuf"  # a message that does not parse is still scanned as text
    if is_form(data):
        return "form"
    return "text"


def is_form(data: bytes) -> bool:
    """A urlencoded form body, and one with a value in it (not "token=")."""
    return _FORM.fullmatch(data) is not None and _FORM_VALUE.search(data) is not None
