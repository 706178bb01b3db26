"""Protocol Buffers bodies read without their schema: gRPC and gRPC-Web calls, OTLP
exports to logging and tracing vendors, Google and mobile SDK APIs.

The wire format gives field numbers and wire types, never names. A length-delimited
field is a string, a nested message or raw bytes, and its content decides: printable
UTF-8 is a string, unless it starts with the tag of a length-delimited field 1 (``\\n``)
and reads whole as a message (any other message holds control bytes: its tags and
lengths). "5551234" reads as a message, so text is a string first. Strings become
values with their numeric path (``pb.1.2.1``; repeated fields share it, as JSON arrays
share ``[]``).

Key/value messages are where names live: protobuf map entries, OTLP's ``KeyValue``
(``{key: "user.email", value: {string_value: ...}}``) and ``google.protobuf.Struct``
all have a string key in field 1 and the value in field 2. Such a key names the value
and what lies under it, and numbers under a key are kept too (an ``int_value`` phone).

Nothing is trusted: every length is checked against the buffer, nesting and the values
kept are capped, and a body that is not one well-formed message gives None (the caller
scans it as text, so nothing is lost).
"""

from __future__ import annotations

import re
import struct
from typing import Callable, Final

# Nested messages followed; deeper ones are read as strings or left out.
MAX_NESTING: Final = 24

# What a length-delimited field turned out to be, and the scalar wire types.
_INT: Final = 0
_F64: Final = 1
_STR: Final = 2
_MSG: Final = 3
_BYTES: Final = 4
_F32: Final = 5

# C0 controls other than tab, line feed and carriage return (a UTF-8 multi-byte
# sequence never holds a byte below 0x80, so the bytes tell).
_CONTROL: Final = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_READABLE: Final = re.compile(rb"[\x20-\x7e]{8}")
_MAX_KEY: Final = 128

Field = tuple[int, int, object]


def looks_binary(data: bytes) -> bool:
    """Whether the start of a body holds control bytes, as a serialised message does
    (length bytes below 32, field tags 0x08-0x1a) and text does not."""
    return _CONTROL.search(data, 0, 64) is not None


def grpc_frames(data: bytes) -> list[bytes] | None:
    """The messages of a gRPC or gRPC-Web body: [flag 0 or 1 (compressed), 4-byte
    length, message]..., filling ``data`` exactly; None when it is not framed so."""
    frames: list[bytes] = []
    pos = 0
    while pos < len(data):
        if len(data) - pos < 5 or data[pos] > 1:
            return None
        n = int.from_bytes(data[pos + 1:pos + 5], "big")
        if n > len(data) - pos - 5:
            return None
        frames.append(data[pos + 5:pos + 5 + n])
        pos += 5 + n
    return frames or None


def parse_message(data: bytes) -> list[Field] | None:
    """The fields of one message filling ``data``; None if it is not one (or is empty)."""
    got = _message(data, 0, len(data), 0, 0)
    if got is None or got[1] != len(data) or not got[0]:
        return None
    return got[0]


def pb_fields(data: bytes, key_kind: Callable[[str], int],
              max_values: int = 1 << 30) -> list[tuple[str, str, str, str]] | None:
    """``(value, path, name, parent)`` per string, and per number under a key, in wire
    order; None when ``data`` is not a message. ``key_kind`` says what a key is: 2 a
    field name that may go into the path, 1 a name for context only (the key is scanned
    too, and the path stays numeric), 0 data (an e-mail used as a map key: a value
    itself, naming nothing)."""
    fields = parse_message(data)
    if fields is None:
        return None
    out: list[tuple[str, str, str, str]] = []
    _emit(fields, "", "", "", key_kind, out, max_values)
    return out


def _varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """(value, next position); next position -1 when the varint is cut or over 10 bytes."""
    value = 0
    shift = 0
    while pos < end and shift < 70:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7
    return 0, -1


def _message(data: bytes, pos: int, end: int, level: int, group: int) -> tuple[list[Field], int] | None:
    """Fields from ``pos`` to ``end`` (or to the end-group tag of ``group``) and where
    reading stopped; None on anything malformed."""
    fields: list[Field] = []
    while pos < end:
        tag, pos = _varint(data, pos, end)
        if pos < 0:
            return None
        number = tag >> 3
        wire = tag & 7
        if number == 0 or number > 0x1FFFFFFF:
            return None
        if wire == 0:
            value, pos = _varint(data, pos, end)
            if pos < 0:
                return None
            fields.append((number, _INT, value))
        elif wire == 2:
            n, pos = _varint(data, pos, end)
            if pos < 0 or n > end - pos:
                return None
            kind, value2 = _length_delimited(data, pos, pos + n, level)
            fields.append((number, kind, value2))
            pos += n
        elif wire == 1 or wire == 5:
            width = 8 if wire == 1 else 4
            if end - pos < width:
                return None
            fields.append((number, _F64 if wire == 1 else _F32, data[pos:pos + width]))
            pos += width
        elif wire == 3:  # a proto2 group: a message up to its end tag
            if level >= MAX_NESTING:
                return None
            sub = _message(data, pos, end, level + 1, number)
            if sub is None:
                return None
            fields.append((number, _MSG, sub[0]))
            pos = sub[1]
        elif wire == 4:
            return (fields, pos) if number == group else None
        else:
            return None
    return None if group else (fields, pos)


def _length_delimited(data: bytes, start: int, end: int, level: int) -> tuple[int, object]:
    if start == end:
        return _STR, ""
    # Nested messages are read in place: only strings are copied out.
    printable = _CONTROL.search(data, start, end) is None
    if not printable or data[start] == 10:
        if level < MAX_NESTING:
            sub = _message(data, start, end, level + 1, 0)
            if sub is not None and sub[0]:
                return _MSG, sub[0]
    raw = data[start:end]
    try:
        return _STR, raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Bytes: ids and hashes are skipped; readable runs (a message past the nesting cap,
    # text in a legacy encoding) are scanned as text, as `strings` would show them.
    if _READABLE.search(raw) is not None:
        return _STR, raw.decode("utf-8", "replace")
    return _BYTES, raw


def _pair(fields: list[Field]) -> tuple[str, Field] | None:
    """(key, value field) of a key/value message: field 1 a short string, field 2 any
    value, nothing else."""
    if len(fields) != 2:
        return None
    a, b = fields
    if a[0] == 2:
        a, b = b, a
    if a[0] != 1 or b[0] != 2 or a[1] != _STR:
        return None
    key = a[2]
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY:
        return None
    return key, b


def _scalar(kind: int, value: object) -> str:
    """A number's text: varints as signed 64-bit (negative int64 take ten bytes), fixed
    64-bit as a double (OTLP's double_value, Struct's number_value)."""
    if kind == _INT:
        n = value if isinstance(value, int) else 0
        return str(n - (1 << 64) if n >= 1 << 63 else n)
    if kind == _F64 and isinstance(value, bytes):
        return repr(struct.unpack("<d", value)[0])
    return ""


def _emit(fields: list[Field], path: str, name: str, parent: str, key_kind: Callable[[str], int],
          out: list[tuple[str, str, str, str]], room: int) -> None:
    pair = _pair(fields)
    if pair is not None:
        # A field-name key goes into the path as XML labels do ("pb.1.2[user.email]").
        # The value's own wrapper (OTLP's AnyValue, a
        # Struct Value) is left out of the path when it holds a single field.
        key, (_, kind, value) = pair
        verdict = key_kind(key)
        if verdict == 2:
            here, parent, name = path + "[" + key + "]", name, key
        elif verdict == 1:
            out.append((key, path + ".1", "", name))
            here, parent, name = path + ".2", name, key
        else:
            out.append((key, path + "[*]", "", name))
            here, parent, name = path + "[*]", name, ""
        if kind == _MSG and isinstance(value, list) and len(value) == 1 and value[0][1] != _MSG:
            kind, value = value[0][1], value[0][2]
        _value(kind, value, here, name, parent, key_kind, out, room)
        return
    for number, kind, value in fields:
        if len(out) >= room:
            return
        if kind == _STR or kind == _MSG or (name and (kind == _INT or kind == _F64)):
            _value(kind, value, path + "." + str(number), name, parent, key_kind, out, room)


def _value(kind: int, value: object, here: str, name: str, parent: str, key_kind: Callable[[str], int],
           out: list[tuple[str, str, str, str]], room: int) -> None:
    if kind == _STR:
        if isinstance(value, str) and value:
            out.append((value, here, name, parent))
    elif kind == _MSG:
        if isinstance(value, list):
            _emit(value, here, name, parent, key_kind, out, room)
    elif name and (kind == _INT or kind == _F64):
        out.append((_scalar(kind, value), here, name, parent))
