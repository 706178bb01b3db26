"""E-mail messages and HTML: values a message or a page hides from a plain read are found.

Messages are built by the standard library's e-mail package, as an application sending
through SES, Gmail or Mailgun builds them: quoted-printable breaks lines at 76 columns
with "=" and base64 wraps at 76, so a value spanning a line break is not in the bytes
sent. Each message test checks that first (the value is absent from the wire), then that
the scan finds it."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from email.utils import formataddr
from urllib.parse import urlencode

import pytest

from detectors.pii import Scanner
from detectors.pii.mail import looks_like_message

KEY = b"m" * 32
EMAIL = "maria.garcia@example.org"
PHONE = "+1 415 555 2671"
SSN = "536-90-4399"
# Long enough that the encoders break a line inside each value.
FILLER = "Thank you for your order, it will ship within two business days. "


@pytest.fixture(scope="module")
def sc():
    return Scanner(key=KEY)


def _hash(sc, category: str, value: str) -> str:
    """The value's hash, as the scanner reports it when it meets the value in plain text."""
    return next(f.value_hash for f in sc.scan_text(f"value: {value}") if f.category == category)


def _planted(sc) -> dict[str, str]:
    return {"EMAIL": _hash(sc, "EMAIL", EMAIL), "PHONE_NUMBER": _hash(sc, "PHONE_NUMBER", PHONE),
            "US_SSN": _hash(sc, "US_SSN", f"SSN {SSN}")}


def _message() -> bytes:
    """The message, with padding chosen so that a line break falls inside each value."""
    pads = [0, 0, 0]
    for i, value in enumerate((PHONE, EMAIL, SSN)):  # lines break greedily: later padding moves later values only
        while value.encode() in _message_padded(pads):
            pads[i] += 1
            assert pads[i] < 80, "no padding splits the value"
    return _message_padded(pads)


def _message_padded(pads: list[int]) -> bytes:
    msg = EmailMessage()
    msg["From"] = formataddr(("José Martínez", "jose.martinez@example.net"))  # RFC 2047: =?utf-8?q?Jos=C3=A9...
    msg["To"] = "Jane Doe <jane.doe@example.com>"
    msg["Subject"] = "Your order"
    msg["Message-ID"] = "<CAF4x7Yq.0011@mail.example.com>"
    text = (FILLER + "Sincerely, José Martínez. " + "x" * pads[0] + f" Call {PHONE}. " + FILLER + "y" * pads[1]
            + f" Write to {EMAIL}. " + FILLER + "z" * pads[2] + f" SSN {SSN}. " + FILLER)
    msg.set_content(text, cte="quoted-printable")
    html = f"<p>{FILLER}</p><p>Reach us: {EMAIL.replace('@', '&#64;')} or {PHONE.replace(' ', '&nbsp;')}</p>"
    msg.add_alternative(html * 2, subtype="html", cte="base64")
    csv = f"name,email,ssn\nMaria Garcia,{EMAIL},{SSN}\n".encode()
    msg.add_attachment(csv, maintype="text", subtype="csv", filename="customers.csv", cte="base64")
    return msg.as_bytes()


MESSAGE = _message()


def test_the_planted_values_are_not_in_the_bytes_sent():
    # The premise of the message tests: read as text, the message holds none of them whole.
    for value in (EMAIL, PHONE, SSN, "José"):
        assert value.encode() not in MESSAGE


def _gmail(m: bytes):
    return ("POST", "https://gmail.googleapis.com/gmail/v1/users/me/messages/send", [],
            json.dumps({"raw": base64.urlsafe_b64encode(m).decode()}).encode(), "application/json")


def _ses_v2(m: bytes):
    return ("POST", "https://email.us-east-1.amazonaws.com/v2/email/outbound-emails", [],
            json.dumps({"Content": {"Raw": {"Data": base64.b64encode(m).decode()}}}).encode(), "application/json")


def _ses_v1(m: bytes):
    form = urlencode({"Action": "SendRawEmail", "RawMessage.Data": base64.b64encode(m).decode()})
    return ("POST", "https://email.us-east-1.amazonaws.com/", [], form.encode(), "application/x-www-form-urlencoded")


def _mailgun(m: bytes):
    b = "3f9a1c"
    body = (f'--{b}\r\nContent-Disposition: form-data; name="to"\r\n\r\njane.doe@example.com\r\n'
            f'--{b}\r\nContent-Disposition: form-data; name="message"; filename="message.mime"\r\n\r\n').encode() \
        + m + f"\r\n--{b}--\r\n".encode()
    return ("POST", "https://api.mailgun.net/v3/mg.example.com/messages.mime", [], body,
            f"multipart/form-data; boundary={b}")


def _rfc822(m: bytes):
    return ("POST", "https://mail-relay.example.com/send", [], m, "message/rfc822")


SENDS = {"message/rfc822": (_rfc822, "mime."), "Gmail raw": (_gmail, "$.raw.mime."),
         "SES v2": (_ses_v2, "$.Content.Raw.Data.mime."), "SES v1 form": (_ses_v1, "form.RawMessage.Data.mime."),
         "Mailgun messages.mime": (_mailgun, "multipart.message.mime.")}


@pytest.mark.parametrize("how", list(SENDS))
def test_every_part_of_a_message_is_read_however_it_is_sent(sc, how):
    send, root = SENDS[how]
    findings = sc.scan_request(*send(MESSAGE))
    assert sc.stats["errors"] == 0
    planted = _planted(sc)
    for part, categories in (("body.text", ("EMAIL", "PHONE_NUMBER", "US_SSN")), ("body.html", ("EMAIL", "PHONE_NUMBER")),
                             ("attachment", ("EMAIL", "US_SSN"))):
        found = {f.category: f.value_hash for f in findings if f.field_path.startswith(root + part)}
        for category in categories:
            assert found.get(category) == planted[category], (part, category, found)
    by_path = {}
    for f in findings:
        by_path.setdefault(f.field_path, set()).add(f.category)
    assert "EMAIL" in by_path[root + "to"] and "PERSON" in by_path[root + "to"]
    assert "PERSON" in by_path[root + "from"]  # the display name, decoded from RFC 2047
    assert "PERSON" in by_path[root + "body.text"]  # "José Martínez", written Jos=C3=A9 Mart=C3=ADnez
    assert root + "message-id" not in by_path  # an id shaped like an address is no address


def test_a_finding_names_the_part_s_transfer_encoding(sc):
    findings = sc.scan_request(*_rfc822(MESSAGE))
    encodings = {f.field_path: f.encoding for f in findings if f.category == "EMAIL"}
    assert encodings["mime.body.text"] == "quoted-printable"
    assert encodings["mime.body.html"] == "base64"
    assert encodings["mime.to"] == "plain"


def test_a_header_named_by_data_is_no_field_path(sc):
    # Field paths are stored: a header whose name holds data is filed under "*", as any such field name.
    msg = EmailMessage()
    msg["From"] = "support@shop.example.com"
    msg["To"] = "escalations@shop.example.com"
    msg["X-Ticket-4111111111111111"] = f"call {PHONE}"
    msg.set_content("See above.")
    findings = sc.scan_request(*_rfc822(msg.as_bytes()))
    assert ("PHONE_NUMBER", "mime.*") in {(f.category, f.field_path) for f in findings}
    assert not any("4111" in f.field_path for f in findings)


def test_a_forwarded_message_s_headers_and_body_are_read(sc):
    inner = EmailMessage()
    inner["From"] = "Jane Doe <jane.doe@example.com>"
    inner["To"] = "support@shop.example.com"
    inner["Subject"] = "Refund"
    inner.set_content(f"{FILLER}My card was charged twice, call me on {PHONE}. {FILLER}", cte="quoted-printable")
    outer = EmailMessage()
    outer["From"] = "support@shop.example.com"
    outer["To"] = "escalations@shop.example.com"
    outer["Subject"] = "Fwd: Refund"
    outer.set_content("See below.")
    outer.add_attachment(inner)
    findings = sc.scan_request(*_rfc822(outer.as_bytes()))
    paths = {(f.category, f.field_path) for f in findings}
    assert ("EMAIL", "mime.message.from") in paths and ("PERSON", "mime.message.from") in paths
    assert ("PHONE_NUMBER", "mime.message.body.text") in paths


def test_a_broken_message_gives_what_can_be_read_and_no_error(sc):
    cut = MESSAGE[: MESSAGE.index(b"Content-Type: text/html")]  # ends inside the multipart, no closing boundary
    broken = cut.replace(b'charset="utf-8"', b'charset="x-no-such-charset"', 1)
    before = sc.stats["errors"]
    findings = sc.scan_request(*_rfc822(broken))
    assert sc.stats["errors"] == before
    assert {f.value_hash for f in findings if f.field_path == "mime.body.text"} >= {_planted(sc)["EMAIL"]}
    junk = b"From: a@example.com\r\nTo: b@example.com\r\nContent-Type: multipart/mixed; boundary=x\r\n" \
           b"Content-Transfer-Encoding: base64\r\n\r\n--x\r\nContent-Transfer-Encoding: base64\r\n\r\n@@@!!\r\n"
    sc.scan_request(*_rfc822(junk))
    assert sc.stats["errors"] == before


@pytest.mark.parametrize("data, expected", [
    (MESSAGE, True),
    (b"Return-Path: <a@example.com>\nReceived: from mx.example.com\n\nhello", True),
    (b'{"from": "a@example.com", "to": "b@example.com"}', False),
    (b"from=a%40example.com&to=b%40example.com&subject=hi", False),
    (b"Subject: quarterly numbers\n\nThe numbers are in.", False),  # one header e-mail has: a note
    (b"Host: api.example.com\nAccept: */*\n\n", False),
    (b"From: a@example.com\nTo: b@example.com\nno colon on this line\n\nbody", False),
    (b"From: a@example.com\nTo: b@example.com", False),  # no blank line: no header block
])
def test_what_is_taken_for_a_message(data, expected):
    assert looks_like_message(data) is expected


def test_an_html_body_is_read_as_it_renders(sc):
    html = ("<html><body><p>Dear <b>Jane</b> <b>Doe</b>,</p>"
            f"<p>Questions? Write to {EMAIL.replace('@', '&#64;')} or call {PHONE.replace(' ', '&nbsp;')}.</p>"
            f'<p><a href="https://shop.example.com/unsubscribe?email={EMAIL.replace("@", "%40")}&amp;list=7">'
            "Unsubscribe</a></p></body></html>")
    findings = sc.scan_request("POST", "https://api.postmarkapp.com/email", [], html.encode(), "text/html")
    planted = _planted(sc)
    got = {(f.category, f.field_path, f.value_hash) for f in findings}
    assert ("EMAIL", "body", planted["EMAIL"]) in got
    assert ("PHONE_NUMBER", "body", planted["PHONE_NUMBER"]) in got
    assert ("EMAIL", "body.href.query.email", planted["EMAIL"]) in got
    assert any(f.category == "PERSON" and f.masked == "J*** D***" for f in findings)


def test_broken_html_is_still_read(sc):
    # "<![" opens a declaration the standard parser gives up on: the tags are dropped by pattern instead.
    html = f"<html><![if mso <p>Write to {EMAIL.replace('@', '&#64;')}</p>"
    before = sc.stats["errors"]
    findings = sc.scan_request("POST", "https://api.postmarkapp.com/email", [], html.encode(), "text/html")
    assert sc.stats["errors"] == before
    assert (_planted(sc)["EMAIL"], "body") in {(f.value_hash, f.field_path) for f in findings}


def test_html_in_a_json_field_is_read_as_it_renders(sc):
    html = f"<html><body><p>Hi, reach me at {EMAIL.replace('@', '&#64;')} any time.</p></body></html>"
    doc = {"personalizations": [{"to": [{"email": "jane.doe@example.com"}]}],
           "content": [{"type": "text/html", "value": html}]}
    findings = sc.scan_request("POST", "https://api.sendgrid.com/v3/mail/send", [], json.dumps(doc).encode(),
                               "application/json")
    assert ("EMAIL", "$.content[].value", _planted(sc)["EMAIL"]) in \
        {(f.category, f.field_path, f.value_hash) for f in findings}


def test_character_references_in_a_value_are_decoded_as_a_layer(sc):
    doc = {"note": f"reach me at {EMAIL.replace('@', '&#x40;')} &amp; thanks", "ok": "Tom &amp; Jerry"}
    findings = sc.scan_request("POST", "https://api.example-crm.com/notes", [], json.dumps(doc).encode(),
                               "application/json")
    emails = [f for f in findings if f.category == "EMAIL"]
    assert [(f.field_path, f.encoding, f.value_hash) for f in emails] == [("$.note", "html", _planted(sc)["EMAIL"])]


@pytest.mark.parametrize("transfer, encode", [
    ("base64", lambda b: base64.encodebytes(b)),
    ("quoted-printable", lambda b: b.replace(b"@", b"=40").replace(b"-", b"=2D")),
])
def test_a_form_part_s_transfer_encoding_is_undone(sc, transfer, encode):
    b = "a1b2c3"
    value = f"customer {EMAIL}, SSN {SSN}".encode()
    body = (f'--{b}\r\nContent-Disposition: form-data; name="note"\r\nContent-Transfer-Encoding: {transfer}\r\n\r\n'
            ).encode() + encode(value) + f"\r\n--{b}--\r\n".encode()
    assert EMAIL.encode() not in body
    findings = sc.scan_request("POST", "https://api.example.com/upload", [], body, f"multipart/form-data; boundary={b}")
    planted = _planted(sc)
    got = {(f.category, f.field_path, f.encoding, f.value_hash) for f in findings}
    assert ("EMAIL", "multipart.note", transfer, planted["EMAIL"]) in got
    assert ("US_SSN", "multipart.note", transfer, planted["US_SSN"]) in got

