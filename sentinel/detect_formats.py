"""How `sentinel detect` reads an input: the format it is in when none is forced
(``read_kind``), and what keeps it from being in a forced one (``misfit``). Messages name
a place and a reason, never the input's content."""

from __future__ import annotations

import json
import re

from detectors.pii.csvfields import csv_cells
from detectors.pii.protobuf import grpc_frames, looks_binary, parse_message
from detectors.pii.xmlfields import xml_fields

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


def misfit(kind: str, data: bytes) -> str:
    """What keeps ``data`` from being read as the forced ``kind``; "" when it can be."""
    if kind == "http":
        return "" if _REQUEST_LINE.fullmatch(data.split(b"\n", 1)[0]) else \
            "not an HTTP request (line 1 is no request line such as `POST /path HTTP/1.1`)"
    text = data.decode("utf-8", "replace")
    if kind == "json":
        return _not_json(text)
    if kind == "xml":
        # xml_fields refuses a DTD as well: its entities are never expanded.
        return "" if xml_fields(text) is not None else "not well-formed XML, or it declares a DTD"
    if kind == "csv":
        return "" if csv_cells(text) is not None else "not CSV (a NUL byte, or a cell over the csv reader's size limit)"
    if kind == "protobuf":
        return "" if parse_message(data) is not None or grpc_frames(data) is not None else \
            "not a serialised protobuf message nor gRPC frames"
    if kind == "form":
        body = text.rstrip("\r\n")
        if "\n" in body:
            return "not a form body (it spans several lines)"
        return "" if "=" in body else "not a form body (no key=value pair)"
    return ""


def _not_json(text: str) -> str:
    try:
        json.loads(text)
        return ""
    except RecursionError:
        return ""  # deeper than Python's parser goes; the scanner's walk has its own limit
    except json.JSONDecodeError as exc:
        first = exc
    # NDJSON (one document a line) is read as such.
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1:
        try:
            for ln in lines:
                json.loads(ln)
            return ""
        except (ValueError, RecursionError):
            pass
    # JSONDecodeError's own words ("Expecting value") hold no input.
    return f"not JSON (line {first.lineno}, column {first.colno}: {first.msg[:1].lower()}{first.msg[1:]})"
