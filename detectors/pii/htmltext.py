"""HTML read as it renders: the text a reader sees, and the attribute values that carry
data (links, form values, image text).

E-mail APIs (SendGrid, Postmark, Mailgun, SES) take HTML bodies. In HTML an address may
be written ``jane&#64;example.com``, a name split by tags (``<b>Jane</b> <b>Doe</b>``), a
phone spaced with ``&nbsp;``, and an unsubscribe link may carry the recipient's address in
its query. Read as raw text, none of these match. Plain HTML is read by a compiled loop
(htmlfast.py); the rest by the standard library's HTML parser, tolerant of the broken
HTML mail is written in. Either way htmlfast says what to keep.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from typing import Final

from .htmlfast import keep_end_tag, keep_tag, read_plain

_LOOKS_HTML: Final = re.compile(
    r"<(?:!doctype\s+html|html|head|body|p|div|br|span|table|td|tr|a\s|b>|i>|strong|em>|font|img|h[1-6]|ul|li)\b",
    re.IGNORECASE)
_TAG: Final = re.compile(r"<[^>]*>?")
_BLANK_LINES: Final = re.compile(r"\n[ \t\r]*(?:\n[ \t\r]*)+")
# A character reference: numeric, or a name HTML defines (html.unescape knows them all).
ENTITY: Final = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def looks_like_html(text: str) -> bool:
    """Whether ``text`` has an HTML tag in its first 2,048 characters."""
    return _LOOKS_HTML.search(text, 0, 2048) is not None


class _Reader(HTMLParser):
    def __init__(self, max_attrs: int):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.max_attrs = max_attrs

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        keep_tag(tag, attrs, self.parts, self.attrs, self.max_attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        keep_end_tag(tag, self.parts)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_fields(text: str, max_attrs: int = 256) -> tuple[str, list[tuple[str, str]]]:
    """``text`` (HTML) as (the text it renders, with a line break at each block tag and
    references decoded; the (attribute, value) pairs of up to ``max_attrs`` data
    attributes, decoded too). Broken HTML is read as far as it goes."""
    plain = read_plain(text, max_attrs)
    if plain is not None:
        parts, attrs = plain
    else:
        reader = _Reader(max_attrs)
        try:
            reader.feed(text)
            reader.close()
        except AssertionError:  # the parser gives up on some broken declarations ("<![x"): tags dropped by pattern
            return unescape(_TAG.sub(" ", text)).strip(), []
        parts, attrs = reader.parts, reader.attrs
    # Block tags in a row leave runs of blank lines: one line break is enough.
    return _BLANK_LINES.sub("\n", "".join(parts)).strip(), attrs
