"""HTML of the plain kind e-mail APIs send, read without the standard library's parser.

``html.parser`` is interpreted Python: about 28 us for a 200-character mail body, a
quarter of a whole request's scan. Most HTML bodies are a few paragraphs of tags,
attributes and text, read here by a compiled loop in a few microseconds. Anything
outside that plain subset (a script or style element, a processing instruction, a "<"
that opens no tag, an attribute written loosely) returns None and ``htmltext`` hands
the document to ``html.parser``, so the reading is the parser's either way;
tests/pii/test_htmlfast.py checks both agree on every document read here.

What is kept (block tags as line breaks, data attributes) is decided here for both.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Final

# Tags that end a line where they open or close: their texts are not one word.
BLOCK: Final = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
    "option", "button", "label", "head", "body", "html",
})
# Attributes whose values are data, not presentation.
DATA_ATTRS: Final = frozenset({"href", "src", "action", "value", "alt", "title", "placeholder", "content",
                               "aria-label", "data-email", "data-phone", "data-user", "data-name"})

# Elements whose content parsers read by rules of their own (raw text, escapable raw
# text), which Python versions have changed: left to html.parser.
_OWN_CONTENT: Final = frozenset({"script", "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes",
                                 "noscript", "plaintext"})
# Each anchored at a "<" or inside a tag, one class per repeat: linear in Python re.
_TAG_NAME: Final = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_END_TAG: Final = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)[ \t\n\r\f]*>")
_SPACE: Final = re.compile(r"[ \t\n\r\f]*")
_ATTR: Final = re.compile(r"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:[ \t\n\r\f]*=[ \t\n\r\f]*(\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?")
_DOCTYPE: Final = re.compile(r"<![Dd][Oo][Cc][Tt][Yy][Pp][Ee][^<>]*>")


def keep_tag(tag: str, attrs: list[tuple[str, str | None]], parts: list[str], kept: list[tuple[str, str]],
             max_attrs: int) -> None:
    """A start tag's share of the reading: a line break for a block tag, and its data
    attributes (up to ``max_attrs`` in all; in-page anchors are not data)."""
    if tag in BLOCK:
        parts.append("\n")
    for name, value in attrs:
        if value and name in DATA_ATTRS and len(kept) < max_attrs and not value.startswith("#"):
            kept.append((name, value))


def keep_end_tag(tag: str, parts: list[str]) -> None:
    """An end tag's share: a line break for a block tag."""
    if tag in BLOCK:
        parts.append("\n")


def read_plain(text: str, max_attrs: int) -> tuple[list[str], list[tuple[str, str]]] | None:
    """The parts of the text ``text`` renders and its kept attributes, as html.parser
    would hand them to ``htmltext``'s reader; None when ``text`` is not plain HTML."""
    if "\x00" in text:
        return None
    parts: list[str] = []
    kept: list[tuple[str, str]] = []
    n = len(text)
    pos = 0
    while pos < n:
        lt = text.find("<", pos)
        if lt < 0:
            lt = n
        if lt > pos:
            chunk = text[pos:lt]
            parts.append(unescape(chunk) if "&" in chunk else chunk)
        if lt == n:
            break
        nxt = text[lt + 1:lt + 2]
        if nxt == "/":
            m = _END_TAG.match(text, lt)
            if m is None:
                return None
            keep_end_tag(m.group(1).lower(), parts)
            pos = m.end()
        elif nxt == "!":
            pos = _declaration_end(text, lt)
            if pos < 0:
                return None
        else:
            pos = _start_tag(text, lt, parts, kept, max_attrs)
            if pos < 0:
                return None
    return parts, kept


def _declaration_end(text: str, lt: int) -> int:
    """The end of a comment or a doctype at ``lt``; -1 for any other "<!"."""
    if text.startswith("<!--", lt):
        close = text.find("-->", lt + 4)
        if close < 0:
            return -1
        inner = text[lt + 4:close]
        # Parsers disagree on "<!-->", "<!--->" and "--" inside: not plain.
        if "--" in inner or inner.startswith(">") or inner.startswith("->") or inner.endswith("-"):
            return -1
        return close + 3
    m = _DOCTYPE.match(text, lt)
    return -1 if m is None else m.end()


def _start_tag(text: str, lt: int, parts: list[str], kept: list[tuple[str, str]], max_attrs: int) -> int:
    """Reads the start tag at ``lt`` into ``parts`` and ``kept``; its end, or -1 when it
    is not plain."""
    m = _TAG_NAME.match(text, lt + 1)
    if m is None:
        return -1
    tag = m.group().lower()
    if tag in _OWN_CONTENT:
        return -1
    pos = m.end()
    attrs: list[tuple[str, str | None]] = []
    while True:
        space = _SPACE.match(text, pos)
        gap = pos if space is None else space.end()
        if text.startswith(">", gap):
            end = gap + 1
            break
        if text.startswith("/>", gap):
            end = gap + 2
            break
        if gap == pos:
            return -1  # an attribute glued to the name or to the last value
        a = _ATTR.match(text, gap)
        if a is None:
            return -1
        value: str | None = a.group(2)
        if value is not None:
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            if value:
                value = unescape(value)
        attrs.append((a.group(1).lower(), value))
        pos = a.end()
    keep_tag(tag, attrs, parts, kept, max_attrs)
    return end
