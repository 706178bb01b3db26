"""E-mail messages (RFC 5322 with MIME) as fields: the headers that name people, and each
part's content with its transfer encoding undone.

E-mail APIs take whole messages: Amazon SES's raw send (base64 in JSON or a form),
Gmail's ``raw`` (base64url), Mailgun's ``messages.mime`` (a multipart upload). Inside, a
base64 part is wrapped at 76 columns and a quoted-printable one breaks its lines with
"=" anywhere and writes "José" as ``Jos=C3=A9``: an address or a phone number that spans
a line break is only whole once the part is decoded. Headers write names in RFC 2047
(``=?utf-8?q?Jos=C3=A9?=``). The standard library's parser does the decoding; it never
raises on a malformed message, it notes defects and reads on.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32
from typing import Final, NamedTuple

from .finding import Encoding

# The first line of a message: a header field name (printable ASCII but ":"), a colon.
_FIRST_HEADER: Final = re.compile(rb"[A-Za-z][A-Za-z0-9-]{0,62}:[ \t]")
_HEADER_NAME: Final = re.compile(rb"([!-9;-~]+):")
# Headers only mail has; two of them in the header block make it a message.
_MAIL_HEADERS: Final = frozenset({b"from", b"to", b"cc", b"bcc", b"subject", b"mime-version", b"received",
                                  b"return-path", b"message-id", b"reply-to", b"delivered-to", b"sender",
                                  b"x-mailer", b"in-reply-to", b"references"})
# Headers that hold no personal data, or only ids shaped like addresses
# ("<CAF4x@mail.gmail.com>"), and the ones the parts are read by.
_SKIP_HEADERS: Final = frozenset({"content-type", "content-transfer-encoding", "content-disposition", "content-id",
                                  "mime-version", "message-id", "in-reply-to", "references", "date",
                                  "dkim-signature", "arc-seal", "arc-message-signature", "x-google-dkim-signature",
                                  "x-gm-message-state", "x-google-smtp-source", "content-language"})
# Media that hold no text to read.
_BINARY_TYPES: Final = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                        "application/gzip", "application/x-gzip")
_TRANSFER: Final = {"base64": Encoding.BASE64, "quoted-printable": Encoding.QP}
_HEAD_LIMIT: Final = 65536


class MailField(NamedTuple):
    """A header (``content`` text, ``ctype`` "") or a part (``content`` its bytes, in
    UTF-8 for text parts). ``path`` is relative to the message: a part's whole path
    ("body.text", "message.body.html"), a header's up to its ``name`` ("", "message."),
    which the walker adds as it adds any field name. ``encoding`` is the part's transfer
    encoding, "" for none."""

    path: str
    name: str
    content: str | bytes
    ctype: str
    encoding: str


def looks_like_message(data: bytes) -> bool:
    """Whether ``data`` starts with a header block (name: value lines up to a blank line)
    holding at least two headers only e-mail has. Cheap on anything else: JSON, forms
    and text fail at the first bytes."""
    if _FIRST_HEADER.match(data) is None:
        return False
    end = data.find(b"\n\n", 0, _HEAD_LIMIT)
    crlf = data.find(b"\r\n\r\n", 0, _HEAD_LIMIT)
    if crlf >= 0 and (end < 0 or crlf < end):
        end = crlf
    if end < 0:
        return False
    seen = 0
    for line in data[:end].split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the header above
        m = _HEADER_NAME.match(line)
        if m is None:
            return False
        if m.group(1).lower() in _MAIL_HEADERS:
            seen += 1
    return seen >= 2


def mail_fields(data: bytes, max_fields: int) -> list[MailField]:
    """The fields of the message in ``data``, at most ``max_fields``."""
    out: list[MailField] = []
    _message(BytesParser(policy=compat32).parsebytes(data), "", out, max_fields, 0)
    return out


def _message(msg: Message, prefix: str, out: list[MailField], room: int, level: int) -> None:
    for name, value in msg.items():
        lname = name.lower()
        if lname in _SKIP_HEADERS or lname.startswith("list-") or len(out) >= room:
            continue
        text = _header_text(value)
        if text:
            out.append(MailField(prefix, lname, text, "", ""))
    _entity(msg, prefix, out, room, level)


def _entity(part: Message, prefix: str, out: list[MailField], room: int, level: int) -> None:
    if level > 16 or len(out) >= room:
        return  # parts nested deeper than any mail client writes
    ctype = part.get_content_type()
    if part.is_multipart():
        inner = part.get_payload()
        if ctype == "message/rfc822":  # a forwarded message: its headers name people too
            for msg in inner if isinstance(inner, list) else ():
                if isinstance(msg, Message):
                    _message(msg, prefix + "message.", out, room, level + 1)
            return
        for sub in inner if isinstance(inner, list) else ():
            if isinstance(sub, Message):
                _entity(sub, prefix, out, room, level + 1)
        return
    if ctype.startswith(_BINARY_TYPES):
        return
    filename = part.get_filename()
    if filename:
        out.append(MailField(prefix + "attachment.", "filename", _header_text(filename), "", ""))
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        return
    if ctype.startswith("text/"):
        payload = _utf8(payload, part.get_content_charset() or "utf-8")
    where = "body.text" if ctype == "text/plain" and not filename else \
        "body.html" if ctype == "text/html" and not filename else "attachment"
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    out.append(MailField(prefix + where, "", payload, ctype, _TRANSFER.get(cte, "")))


def _header_text(value: object) -> str:
    """A header's value unfolded, its RFC 2047 encoded words decoded."""
    text = str(value)
    if "=?" in text:
        try:
            text = str(make_header(decode_header(text)))
        except (ValueError, LookupError, UnicodeError):
            pass  # a broken encoded word is read as written
    return " ".join(text.split()) if "\n" in text else text.strip()


def _utf8(payload: bytes, charset: str) -> bytes:
    if charset in ("utf-8", "us-ascii", "ascii"):
        return payload
    try:
        return payload.decode(charset, "replace").encode("utf-8")
    except LookupError:  # a charset Python does not know: read as UTF-8
        return payload
