"""The compiled reading of plain HTML (htmlfast.py) is html.parser's reading: on every
document it accepts, the same text parts and the same kept attributes; every other
document goes to html.parser."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from detectors.pii.htmlfast import read_plain
from detectors.pii.htmltext import _Reader, html_fields

# A mail body in the shape the e-mail APIs send (bench/pii.py's SendGrid and Mailgun).
MAIL = ('<html><body><p>Hi V&iacute;ctor,</p><p>Thanks for your order #5797543. It will ship to '
        '60181 Aguilar Parkways Apt. 016</p><a href="https://example.com/u?e=jane%40example.com&amp;x=1">'
        'unsubscribe</a><img src=logo.png alt=\'Example Shop\'/><br/></body></html>')


def parsed(text: str, max_attrs: int = 256) -> tuple[str, list[tuple[str, str]]]:
    reader = _Reader(max_attrs)
    reader.feed(text)
    reader.close()
    return "".join(reader.parts), reader.attrs


def test_a_mail_body_is_read_plain_and_as_the_parser_reads_it():
    plain = read_plain(MAIL, 256)
    assert plain is not None
    assert ("".join(plain[0]), plain[1]) == parsed(MAIL)
    text, attrs = html_fields(MAIL)
    assert "Hi Víctor," in text and "60181 Aguilar Parkways" in text
    assert ("href", "https://example.com/u?e=jane%40example.com&x=1") in attrs
    assert ("alt", "Example Shop") in attrs


@pytest.mark.parametrize("doc", [
    "<p>x</p><script>var a = '<b>';</script>",  # raw text: its own rules
    "<style>p{}</style><p>x</p>",
    "<title>a &amp; b</title>",
    "<p>I <3 you</p>",  # a "<" that opens nothing
    "<p>a < b</p>",
    "<!--> <p>x</p>",  # comments parsers disagree on
    "<!-- a -- b --><p>x</p>",
    "<?xml version='1.0'?><p>x</p>",
    "<p class=a\"b>x</p>",  # loose attributes
    "<a href= >x</a>",
    '<a href="x"title="y">x</a>',
    "<a / href='x'>x</a>",
    "<p>x",  # unclosed: still plain
    "<p",  # a tag cut short
    "</ p>x",
    "<p>\x00</p>",
])
def test_what_is_not_plain_goes_to_the_parser(doc):
    plain = read_plain(doc, 256)
    if plain is not None:
        assert ("".join(plain[0]), plain[1]) == parsed(doc)
    assert html_fields(doc) == _fields_by_parser(doc)


def _fields_by_parser(doc: str) -> tuple[str, list[tuple[str, str]]]:
    from detectors.pii import htmltext

    text, attrs = parsed(doc)
    return htmltext._BLANK_LINES.sub("\n", text).strip(), attrs


def test_scripts_loose_less_thans_and_odd_comments_are_not_plain():
    for doc in ("<script>x</script>", "<p>I <3 you</p>", "<!--> x", "<a href= >x</a>", "<p", "<?x?>"):
        assert read_plain(doc, 256) is None, doc


_PIECES = st.sampled_from([
    "<p>", "</p>", "<P>", "</P >", "<br>", "<br/>", "<br />", "<div class=\"a\">", "</div>", "<span>", "</span>",
    "<b>", "</b>", "<td>", "<tr>", "<table>", "<html>", "<body>", "</body>", "<!DOCTYPE html>", "<!doctype html>",
    "<a href=\"https://example.com/?e=jane%40example.com&amp;k=1\">", "<a href='#top'>", "<a href=/x/y>", "</a>",
    "<img src=logo.png alt='Example &amp; Co'/>", "<input value=\"Jane\" placeholder=\"\" disabled>",
    "<input VALUE=jane@example.com>", "<a title=\"Dr. Jane Doe\" data-email=\"j@x.io\">", "<a href>",
    "<a href = \"x\">", "<meta content=\"Jane\">", "<img alt=\"&#106;ane\">", "<x-tag a-b=1>",
    "<!-- note -->", "<!---->", "<!-- a -- b -->", "<!-->", "<!--->", "<!-- x --->",
    "Jane", " Doe", "jane&#64;example.com", "&nbsp;", "&amp;", "&amp", "&#x41;", "&bogus;", "&", " & ", "\n", " ",
    "\t", "\xa0", "+1&nbsp;415&nbsp;555&nbsp;0132", "é", "日本",
    "<", ">", "<3", "< p>", "</ p>", "<p", "<script>", "</script>", "<style>", "<title>", "</title>",
    "<?x?>", "<![CDATA[x]]>", "<a b=\"c\"d>", "<a b='c'/>", "<a =x>", "<a b==c>", "<a b=c\"d>", "\x00",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=20).map("".join), st.sampled_from([0, 1, 256]))
@example("<p>a</p><br/><a href='mailto:jane@example.com'>Jane</a>", 256)
@example("<input value=\"a\" value='b' value=c>", 2)
def test_plain_reading_is_the_parsers_reading(doc, max_attrs):
    plain = read_plain(doc, max_attrs)
    if plain is not None:
        assert ("".join(plain[0]), plain[1]) == parsed(doc, max_attrs)


_PLAIN_PIECES = st.sampled_from([
    "<p>", "</p>", "<P>", "</P >", "<br>", "<br/>", "<br />", "<div class=\"a\">", "</div>", "<td>", "<tr>",
    "<!DOCTYPE html>", "<a href=\"https://example.com/?e=jane%40example.com&amp;k=1\">", "<a href='#top'>",
    "<a href=/x/y>", "</a>", "<img src=logo.png alt='Example &amp; Co'/>", "<input value=\"Jane\" disabled>",
    "<input VALUE=jane@example.com>", "<a href = \"x\">", "<!-- note -->", "<!---->", "Jane", " Doe",
    "jane&#64;example.com", "&nbsp;", "&amp", "&bogus;", " & ", "\n", "\xa0", ">", "é",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_PLAIN_PIECES, max_size=30).map("".join), st.sampled_from([0, 1, 256]))
def test_plain_html_is_read_without_the_parser(doc, max_attrs):
    plain = read_plain(doc, max_attrs)
    assert plain is not None
    assert ("".join(plain[0]), plain[1]) == parsed(doc, max_attrs)
