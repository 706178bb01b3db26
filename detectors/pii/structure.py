"""Turns a request or a text into segments: decoded strings with a location, a field
path and the field-name tokens that serve as context.

Structure is decoded before matching: URL path and query, forms, JSON (arrays as
``[]``), XML, CSV, Protocol Buffers and gRPC (protobuf.py), multipart, cookies, headers,
JSON inside strings, URLs inside strings, percent-encoding, HTML (htmltext.py) and its
character references, e-mail messages (mail.py: MIME parts, quoted-printable), and the
body's content codings (codings.py: gzip, deflate, br, zstd, snappy). Base64 blobs are
found by the scanner's regex pass and come back here through ``decoded_segments``.
Every layer adds one to ``depth``; past ``limits.max_depth`` a value is scanned as it is,
not decoded further.
"""

from __future__ import annotations

import binascii
import json
import math
import re
from dataclasses import dataclass
from html import unescape
from operator import itemgetter
from typing import Any, Callable, Final

from . import codings
from .cmodules import c_module
from .context import (_AGENT, ADDRESS_FIELD, CARD_FIELD, DOB_FIELD, EMAIL_FIELD, GEO_LAT, GEO_LON, IBAN_FIELD, IP_FIELD,
                      MACHINE_FIELD, NAME_FIELD, NATIONAL_ID_FIELD, PASSPORT_FIELD, PHONE_FIELD, SECRET_FIELD, SSN_FIELD,
                      field_tokens, machine_shape)
from .csvfields import csv_cells
from .finding import Encoding, Location
from .htmltext import ENTITY, html_fields, looks_like_html
from .mail import looks_like_message, mail_fields
from .percent import unquote, unquote_plus
from .protobuf import grpc_frames, looks_binary, pb_fields
from .hl7v2 import hl7_fields, is_hl7v2
from .textpairs import blanked, labelled_lines, may_hold_pairs, text_pairs
from .texttables import table_cells
from .validators import shannon_entropy
from .xmlfields import xml_fields

_EMPTY: Final[frozenset[str]] = frozenset()

# Headers that never carry personal data worth the time, or only protocol noise.
_SKIP_HEADERS: Final = frozenset({
    "host", "content-length", "content-type", "accept", "accept-encoding", "accept-language",
    "connection", "cache-control", "pragma", "user-agent", "upgrade-insecure-requests",
    "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user", "sec-ch-ua",
    "sec-ch-ua-mobile", "sec-ch-ua-platform", "te", "transfer-encoding", "content-encoding",
    "if-none-match", "if-modified-since", "dnt", "priority", "keep-alive", "expect",
    "content-md5", "traceparent", "tracestate", "x-request-id", "x-amzn-trace-id",
    "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "date", "stripe-version",
    "idempotency-key", "x-stainless-lang", "x-stainless-package-version", "x-stainless-os",
    "x-stainless-arch", "x-stainless-runtime", "x-stainless-runtime-version", "openai-beta",
    "anthropic-version", "x-forwarded-proto", "x-forwarded-port", "via",
})
_URL_HEADERS: Final = frozenset({"referer", "origin", "location", "content-location"})
# HTTP/2 pseudo-headers (HAR exports list them): method, scheme and host hold no
# personal data, and :path repeats the request's URL, scanned already.
_PSEUDO_HEADERS: Final = frozenset({":method", ":scheme", ":authority", ":status", ":protocol"})
_AUTH_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})


@dataclass(slots=True)
class Limits:
    max_depth: int = 6
    max_fields: int = 10_000
    max_decoded_bytes: int = 4 << 20
    max_field_chars: int = 1 << 20


class Segment:
    """One decoded string to scan. Offsets of matches map back through ``place``."""

    __slots__ = ("text", "location", "path", "tokens", "parent_tokens", "encoding", "depth",
                 "span", "scan", "derived", "shift")

    def __init__(self, text: str, location: str, path: str, tokens: frozenset[str] = _EMPTY,
                 parent_tokens: frozenset[str] = _EMPTY, encoding: str = Encoding.PLAIN,
                 depth: int = 0, span: tuple[int, int] | None = None):
        self.text = text
        self.location = location
        self.path = path
        self.tokens = tokens
        self.parent_tokens = parent_tokens
        self.encoding = encoding
        self.depth = depth
        # None: offsets are into ``text`` itself; else the span of the encoded blob that
        # held this text in the enclosing field.
        self.span = span
        # False: a machine value (UUID, timestamp, version...) that only field-name
        # recognisers and the watchlist look at; the regex pass skips it.
        self.scan = True
        # True for a decoded blob of the same field (base64, gzip): the field name
        # describes the encoded value, so field-name recognisers skip it.
        self.derived = False
        # Where ``text`` starts in the enclosing field when it is a plain part of it (a
        # value of a record written in free text), so that offsets stay exact.
        self.shift = 0

    def place(self, start: int, end: int) -> tuple[int, int]:
        """Offsets of ``text`` as the field's: the encoded blob's when there is one."""
        return (start + self.shift, end + self.shift) if self.span is None else self.span

    def child(self, text: str, encoding: str, start: int, end: int) -> "Segment":
        """A decoded layer of text[start:end], same field."""
        enc = encoding if encoding != Encoding.URL or self.encoding == Encoding.PLAIN else self.encoding
        return Segment(text, self.location, self.path, self.tokens, self.parent_tokens, enc,
                       self.depth + 1, self.place(start, end))

    def __repr__(self) -> str:  # no text: it may hold personal data
        return f"<Segment {self.location} {self.path} {self.encoding} {len(self.text)} chars>"


class Walker:
    """Builds the segments of one sample; bounded by ``Limits``."""

    def __init__(self, limits: Limits, stats: dict, hints: frozenset[str] = _EMPTY, keep_all: bool = True,
                 flag_hints: frozenset[str] = _EMPTY):
        self.limits = limits
        self.stats = stats
        self.out: list[Segment] = []
        self.decoded = 0
        # Values that cannot hold personal data in plain form (short, UUIDs, timestamps)
        # are dropped unless a field-name recogniser wants them (``hints``) or the
        # watchlist must see every value (``keep_all``).
        self.hints = hints
        self.keep_all = keep_all
        self.flag_hints = flag_hints  # names under which a JSON true is read (Recognizer.flag_hints)
        self.request_target = ""  # the URL's path and query, once url() walked it
        self.deadline = 0.0  # perf_counter time at which a long parse stops (0: none)
        # Limits as plain attributes: read once per value on the hot path.
        self._max_fields = limits.max_fields
        self._max_chars = limits.max_field_chars
        self._max_depth = limits.max_depth

    # --- helpers -----------------------------------------------------------------

    def _add(self, text: str, location: str, path: str, name: str, parent: str,
             encoding: str, depth: int, span: tuple[int, int] | None = None, machine: bool = False) -> None:
        self._value(text, location, path, _tok(name) if name else _EMPTY, _tok(parent) if parent else _EMPTY,
                    encoding, depth, span, machine)

    def _value(self, text: str, location: str, path: str, tokens: frozenset[str], ptokens: frozenset[str],
               encoding: str, depth: int, span: tuple[int, int] | None = None, machine: bool = False) -> None:
        """One string value under field-name tokens: dropped, split into layers, or kept.
        ``machine``: the caller knows it for a machine value, whatever its shape."""
        if not text:
            return
        out = self.out
        if len(out) >= self._max_fields:
            self.stats["fields_dropped"] = self.stats.get("fields_dropped", 0) + 1
            return
        if len(text) > self._max_chars:
            text = text[: self._max_chars]
            self.stats["truncated"] = self.stats.get("truncated", 0) + 1
        if machine or _machine_shape(text, tokens):
            if self.keep_all or not self.hints.isdisjoint(tokens):
                seg = Segment(text, location, path, tokens, ptokens, encoding, depth, span)
                seg.scan = False
                out.append(seg)
            return
        # Only values with one of these characters can hide a layer (JSON, URL, query,
        # %-escapes, a record, a table or an HL7 v2 message written in text): most values
        # skip the call.
        if depth < self._max_depth:
            c0 = text[0]
            if (c0 == "{" or c0 == "[" or c0 == "<" or "?" in text or "=" in text or "%" in text or "&" in text
                    or "\n" in text or may_hold_pairs(text) or is_hl7v2(text)) and \
                    self._nested_text(text, location, path, tokens, ptokens, encoding, depth, span):
                return
        out.append(Segment(text, location, path, tokens, ptokens, encoding, depth, span))

    def _nested_text(self, text: str, location: str, path: str, tokens: frozenset[str], ptokens: frozenset[str],
                     encoding: str, depth: int, span: tuple[int, int] | None) -> bool:
        """Layers hidden inside a string value: JSON, a URL with a query, %-escapes.
        True when the value was replaced by its parts."""
        c0 = text[0]
        if (c0 == "{" or c0 == "[") and text[-1] in "}]" and len(text) > 2:
            n0 = len(self.out)
            if self._json_text(text, location, path + ".$", depth + 1, encoding):
                if span is not None:
                    for child in self.out[n0:]:
                        child.span = span
                return True
        if c0 == "<" and looks_like_html(text):  # an e-mail API's HTML body
            self._html_doc(text, location, path, tokens, ptokens, encoding, depth + 1, span)
            return True
        if c0 == "<" and text[-1] == ">" and self._xml_doc(text, location, path, depth + 1, encoding, span):
            return True
        if "?" in text and (text.startswith("http://") or text.startswith("https://") or c0 == "/"):
            qpos = text.index("?")
            head = text[:qpos]
            self.out.append(Segment(head, location, path, tokens, ptokens, encoding, depth, span))
            if "%" in head:  # "https://app.example.com/users/jane%40example.com/settings?tab=1"
                self._layer(head, _pct_decode(head), Encoding.URL, location, path, tokens, ptokens, encoding, depth,
                            span)
            n0 = len(self.out)
            self.query(text[qpos + 1:], location, path + ".query", depth + 1)
            if span is not None:
                for child in self.out[n0:]:
                    child.span = span
            return True
        if "=" in text and "&" in text and " " not in text and "://" not in text:
            # A bare query string in a field ("query_string": "a=1&email=...").
            n0 = len(self.out)
            self.query(text, location, path, depth + 1)
            if span is not None:
                for child in self.out[n0:]:
                    child.span = span
            return True
        if "%" in text:
            self._layer(text, _pct_decode(text), Encoding.URL, location, path, tokens, ptokens, encoding, depth, span)
        if "&" in text and ENTITY.search(text) is not None:  # "jane&#64;example.com": escaped for HTML
            self._layer(text, unescape(text), Encoding.HTML, location, path, tokens, ptokens, encoding, depth, span)
        return (may_hold_pairs(text) or "\n" in text or is_hl7v2(text)) and \
            self._record(text, location, path, tokens, ptokens, encoding, depth, span)

    def text(self, text: str) -> Segment:
        """Free text as its root segment, returned. A record or a table written in it (a
        log line's "ssn=...", a repr's 'first_name': ...) gives each value a field-name
        recogniser reads a child segment under its key, whose findings point into the
        text; the root keeps the rest, those values blanked."""
        keyed = self.keyed_values(text)
        root = Segment(blanked(text, [(s, e) for _, s, e in keyed]) if keyed else text, Location.TEXT, "")
        self.out.append(root)
        for key, s, e in keyed:
            tokens = _tok(key)
            child = Segment(text[s:e], Location.TEXT, key, tokens, _EMPTY, Encoding.PLAIN, 1)
            child.shift = s
            child.scan = not _machine_shape(child.text, tokens)  # a timestamp or an id, as in a request's field
            self.out.append(child)
        return root

    def keyed_values(self, text: str) -> list[tuple[str, int, int]]:
        """The values of a record (textpairs.py: pairs, labelled lines), a table
        (texttables.py) or an HL7 v2 message (hl7v2.py) written in text whose key a
        field-name recogniser reads: (key, start, end), in order, none overlapping. A
        secret's key stays with its value: the secret rules read
        "AWS_SECRET_ACCESS_KEY=..." whole, and name the issuer."""
        if is_hl7v2(text):
            found = hl7_fields(text)  # its "|" rows are no table, its fields no labelled lines
        else:
            found = [(key, vs, ve) for key, _, vs, ve in text_pairs(text)] if may_hold_pairs(text) else []
            if "\n" in text:
                found += [(name.replace(" ", "_"), s, e) for name, s, e in table_cells(text)]
                if ":" in text:
                    found += [(label.replace(" ", "_"), s, e) for label, s, e in labelled_lines(text)]
                found.sort(key=itemgetter(1))
        hints = self.hints
        keyed: list[tuple[str, int, int]] = []
        end = 0
        for key, s, e in found:
            if s >= end and s < e and _path_name(key) == key and not hints.isdisjoint(toks := _tok(key)) and \
                    SECRET_FIELD.isdisjoint(toks):
                keyed.append((key, s, e))
                end = e
        return keyed

    def _record(self, text: str, location: str, path: str, tokens: frozenset[str], ptokens: frozenset[str],
                encoding: str, depth: int, span: tuple[int, int] | None) -> bool:
        """A record or a table written in a value (a logfmt line, a repr, labelled lines,
        a pasted spreadsheet, an HL7 v2 message): each value whose key a field-name
        recogniser reads goes by that key, one level down ("$.message.ssn"); the rest
        stays one value, those values blanked out of it (offsets kept). True when it was
        split."""
        if not _SOURCE_FIELDS.isdisjoint(tokens):
            return False  # a line of source code: its "x = f(y)" is no record
        keyed = self.keyed_values(text)
        if not keyed:
            return False
        rest = blanked(text, [(s, e) for _, s, e in keyed])
        self.out.append(Segment(rest, location, path, tokens, ptokens, encoding, depth, span))
        for key, s, e in keyed:
            self._value(text[s:e], location, path + "." + key, _tok(key), tokens, encoding, depth + 1, span)
        return True

    def _layer(self, text: str, dec: str, layer: str, location: str, path: str, tokens: frozenset[str],
               ptokens: frozenset[str], encoding: str, depth: int, span: tuple[int, int] | None) -> None:
        """``dec``, ``text`` decoded (%-escapes, character references), where that changes
        it, as a value one layer down, under ``layer`` unless the value had an encoding
        already: it may hold JSON, a query or one more layer (redirect chains encode two
        or three times)."""
        if dec != text:
            self._value(dec, location, path, tokens, ptokens, layer if encoding == Encoding.PLAIN else encoding,
                        depth + 1, span if span is not None else (0, len(text)))

    # --- URL ---------------------------------------------------------------------

    def url(self, url: str, location: str = Location.PATH, prefix: str = "", depth: int = 0) -> None:
        if not url:
            return
        frag = url.find("#")
        if frag >= 0:
            url = url[:frag]
        if "://" in url[:12]:
            rest = url.split("://", 1)[1]
            cut = len(rest)
            for mark in ("/", "?"):
                at = rest.find(mark, 0, cut)
                if at >= 0:
                    cut = at
            authority, url = rest[:cut], rest[cut:]
            if "@" in authority:
                # user:password@host: credentials in a URL are a secret, a user a name.
                userinfo = authority.rsplit("@", 1)[0]
                self._add(_pct_decode(userinfo), location, (prefix or "url") + ".userinfo",
                          "userinfo", "", Encoding.PLAIN, depth)
        if not prefix:
            self.request_target = url
        path, _, query = url.partition("?")
        if path and path != "/":
            dec = _pct_decode(path)
            enc = Encoding.URL if dec != path else Encoding.PLAIN
            loc = location if prefix else Location.PATH
            self._add(dec, loc, (prefix + ".path") if prefix else "path", "", "", enc, depth,
                      None)
        if query:
            self.query(query, location if prefix else Location.QUERY,
                       (prefix + ".query") if prefix else "query", depth)

    def query(self, qs: str, location: str, prefix: str, depth: int, plus: bool = True) -> None:
        if _CWALK is not None:
            _CWALK.query(self, qs, location, prefix, depth, plus)
        else:
            self.query_py(qs, location, prefix, depth, plus)

    def query_py(self, qs: str, location: str, prefix: str, depth: int, plus: bool = True) -> None:
        """The reference for the C walk's query: one value per pair, names as context."""
        parent = _last_name(prefix)
        for pair in qs.split("&"):
            if not pair:
                continue
            name, eq, value = pair.partition("=")
            if not eq:
                # A bare value ("?jane@example.com") is scanned under the prefix alone.
                name, value = "", name
            name_d = _pct_decode(name, plus) if ("%" in name or "+" in name) else name
            if "%" in value or (plus and "+" in value):
                value_d = _pct_decode(value, plus)
                enc = Encoding.URL if "%" in value and value_d != value else Encoding.PLAIN
            else:
                value_d, enc = value, Encoding.PLAIN
            safe = _path_name(name_d)
            if safe != name_d:
                self._add(name_d, location, prefix + ".*", "", "", Encoding.PLAIN, depth)
            path = prefix + "." + safe if name_d else prefix
            self._add(value_d, location, path, name_d if safe == name_d else "", parent, enc, depth)

    # --- headers and cookies ---------------------------------------------------------

    def headers(self, items: list[tuple[str, str]], depth: int = 0) -> None:
        """(name, value) pairs as Scanner.scan_request normalised them."""
        for name, value in items:
            lname = name.lower()
            if lname in _SKIP_HEADERS or not value or lname in _PSEUDO_HEADERS:
                continue
            if lname == ":path" and value == self.request_target:
                continue
            if lname == "cookie":
                self.cookies(value, depth)
            elif lname in _URL_HEADERS:
                self.url(value, Location.HEADER, "header." + lname, depth)
            elif lname in _AUTH_HEADERS:
                # Kept whole: the scheme word is part of the evidence.
                self._add_flat(value, Location.HEADER, "header." + lname, lname, depth)
            else:
                self._add(value, Location.HEADER, "header." + lname, lname, "", Encoding.PLAIN, depth)

    def _add_flat(self, text: str, location: str, path: str, name: str, depth: int) -> None:
        self.out.append(Segment(text, location, path, _tok(name), _EMPTY,
                                Encoding.PLAIN, depth))

    def cookies(self, value: str, depth: int) -> None:
        for part in value.split(";"):
            name, eq, val = part.strip().partition("=")
            if not eq:
                continue
            val = val.strip('"')
            dec = _pct_decode(val, False)
            enc = Encoding.URL if dec != val else Encoding.PLAIN
            safe = _path_name(name)
            if safe != name:
                self._add(name, Location.COOKIE, "cookie.*", "", "", Encoding.PLAIN, depth)
            self._add(dec, Location.COOKIE, "cookie." + safe, name if safe == name else "", "", enc, depth)

    # --- bodies ----------------------------------------------------------------------

    def request_body(self, data: bytes, content_type: str | None, content_encoding: str) -> None:
        """A request's body, its Content-Encoding undone first. A body that does not
        decode as its header says is read as it is (a proxy may have decoded it)."""
        coding = codings.parse(content_encoding) if content_encoding else []
        if data and coding:
            raw = self._decompressed(data, coding, quiet=True)
            if raw is not None:
                # A finding names the outermost coding, as sent.
                self.body(raw, content_type, Location.BODY, "", 1, coding[-1], (0, len(data)))
                return
        self.body(data, content_type)

    def body(self, data: bytes, content_type: str | None, location: str = Location.BODY,
             prefix: str = "", depth: int = 0, encoding: str = Encoding.PLAIN, span: tuple[int, int] | None = None) -> None:
        if not data:
            return
        if depth > self.limits.max_depth:
            self.stats["depth_limited"] = self.stats.get("depth_limited", 0) + 1
            return
        ctype = (content_type or "").lower()
        sniffed = codings.sniff(data)
        if sniffed is not None:
            raw = self._decompressed(data, [sniffed], quiet=sniffed == "deflate")
            if raw is not None:
                self.body(raw, None if "gzip" in ctype else content_type, location, prefix,
                          depth + 1, sniffed, span if span is not None else (0, len(data)))
                return
            if sniffed != "deflate":
                return  # binary that is not what its magic says: nothing to read
        if "proto" in ctype and "json" not in ctype and encoding != Encoding.SNAPPY and codings.snappy_length(data):
            # Loki's push API sends snappy-compressed protobuf with no Content-Encoding.
            raw = self._decompressed(data, ["snappy"], quiet=True)
            if raw is not None:
                self.body(raw, content_type, location, prefix, depth + 1, Encoding.SNAPPY,
                          span if span is not None else (0, len(data)))
                return
        if "multipart/" in ctype:
            self.multipart(data, content_type or "", depth)
            return
        if ("message/" in ctype or ("json" not in ctype and looks_like_message(data))) and \
                self._mail_doc(data, location, prefix, depth, encoding):
            return
        if "grpc" in ctype:
            if self._grpc(data, ctype, location, prefix, depth, encoding):
                return
        elif ("proto" in ctype and "json" not in ctype) or (
                ("octet-stream" in ctype or not ctype) and looks_binary(data)):
            if self._protobuf_doc(data, location, prefix, depth, encoding, span):
                return
        text = data.decode("utf-8", "replace")
        stripped = text.lstrip()
        c0 = stripped[:1]
        if "json" in ctype or c0 in ("{", "["):
            if self._json_doc(stripped, location, prefix, depth, encoding):
                return
        if "html" in ctype or (c0 == "<" and "xml" not in ctype and looks_like_html(stripped)):
            self._html_doc(text, location, prefix or "body", _EMPTY, _EMPTY, encoding, depth, span)
            return
        if c0 == "<" and self._xml_doc(stripped, location, prefix, depth, encoding, span):
            return
        if ("csv" in ctype or "tab-separated" in ctype) and self._csv_doc(text, location, prefix, depth, encoding,
                                                                          "\t" if "tab" in ctype else None, span):
            return
        if "x-www-form-urlencoded" in ctype or (
            not c0.isspace() and "=" in text[:256] and " " not in text[:256] and "\n" not in text[:256]
            and "json" not in ctype and "xml" not in ctype and c0 not in ("<", "{", "[")
        ):
            self.query(text, location, (prefix + ".form") if prefix else "form", depth)
            return
        if is_hl7v2(text) and self._record(text, location, prefix or "body", _EMPTY, _EMPTY, encoding, depth, span):
            return  # an HL7 v2 message (x-application/hl7-v2+er7, or sent as text)
        if span is None:
            self.out.append(Segment(text, location, prefix or "body", _EMPTY, _EMPTY, encoding, depth))
        else:
            self.out.append(Segment(text, location, prefix or "body", _EMPTY, _EMPTY, encoding, depth, span))

    def _json_doc(self, text: str, location: str, prefix: str, depth: int, encoding: str) -> bool:
        if self._json_text(text, location, (prefix + ".$") if prefix else "$", depth, encoding, True):
            return True
        # NDJSON / batched events: one document per line.
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) < 2:
            return False
        ok = False
        for i, ln in enumerate(lines):
            if self._json_text(ln, location, f"{prefix}[{i}].$" if prefix else "$", depth, encoding, True):
                ok = True
        return ok

    def _json_text(self, text: str, location: str, path: str, depth: int, encoding: str,
                   any_value: bool = False) -> bool:
        """Walks ``text`` when it is a JSON object or array (with ``any_value``, any JSON
        value); False when it is not. The C walk reads the text directly; documents it
        leaves (NaN, duplicate keys...) and installs without it take json.loads."""
        if _CWALK is not None and _CWALK.walk_json(self, text, location, path, depth, encoding):
            return True
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            return False
        if not any_value and not isinstance(obj, (dict, list)):
            return False
        self.walk_json(obj, location, path, depth, encoding)
        return True

    def _xml_doc(self, text: str, location: str, prefix: str, depth: int, encoding: str, span: tuple[int, int] | None = None) -> bool:
        room = self._max_fields - len(self.out)
        fields = xml_fields(text, room, self.deadline)
        if not fields:
            return False  # not XML, or nothing in it but names: scanned as text
        if len(fields) >= room:
            self.stats["fields_dropped"] = self.stats.get("fields_dropped", 0) + 1
        root = (prefix + ".xml") if prefix else "xml"
        tags = {n.partition("[")[0].lstrip("@") for _, names, _, _ in fields for n in names}
        for tag in tags:
            if _path_name(tag) != tag:
                self._add(tag, location, root + ".*", "", "", encoding, depth, span)  # data as a name
        paths: dict[tuple[str, ...], str] = {}  # element paths repeat from field to field
        for value, names, name, parent in fields:
            path = paths.get(names)
            if path is None:
                path = paths[names] = root + "".join(
                    "." + ("@" + _path_name(n[1:]) if n[:1] == "@" else _path_name(n)) for n in names)
            if _path_name(name) != name:
                name = ""  # data used as a label is no field-name context
            self._add(value, location, path, name, parent if _path_name(parent) == parent else "",
                      encoding, depth, span)
        return True

    def _html_doc(self, text: str, location: str, path: str, tokens: frozenset[str], ptokens: frozenset[str],
                  encoding: str, depth: int, span: tuple[int, int] | None = None) -> None:
        """HTML as it renders, one segment, and its links and form values as fields below it."""
        rendered, attrs = html_fields(text, max(self._max_fields - len(self.out), 0))
        if rendered:
            self.out.append(Segment(rendered, location, path, tokens, ptokens, encoding, depth, span))
        for name, value in attrs:
            self._add(value, location, path + "." + name, name, "", encoding, depth, span)

    def _mail_doc(self, data: bytes, location: str, prefix: str, depth: int, encoding: str) -> bool:
        """An e-mail message: its headers as fields under ``mime.``, its parts as bodies
        with their transfer encoding undone. False when no field came out."""
        try:
            fields = mail_fields(data, max(self._max_fields - len(self.out), 0))
        except Exception:  # the parser notes defects rather than raising; one it missed is not fatal
            self.stats["decode_errors"] = self.stats.get("decode_errors", 0) + 1
            return False
        if not fields:
            return False
        root = (prefix + ".mime.") if prefix else "mime."
        for path, name, content, ctype, transfer in fields:
            if not ctype:  # a header: named as any other field name, never by data
                safe = _path_name(name)
                self._add(str(content), location, root + path + safe, name if safe == name else "", "", encoding, depth)
                continue
            raw = content if isinstance(content, bytes) else content.encode()
            if transfer:
                if self.decoded + len(raw) > self.limits.max_decoded_bytes:
                    self.stats["decode_limited"] = self.stats.get("decode_limited", 0) + 1
                    continue
                self.decoded += len(raw)
            self.body(raw, ctype, location, root + path, depth + 1, transfer or encoding)
        return True

    def _csv_doc(self, text: str, location: str, prefix: str, depth: int, encoding: str, delim: str | None = None,
                 span: tuple[int, int] | None = None) -> bool:
        cells = csv_cells(text, delim)
        if not cells:
            return False
        root = (prefix + ".csv") if prefix else "csv"
        room = self._max_fields - len(self.out)
        if len(cells) > room:
            cells = cells[:room]
            self.stats["fields_dropped"] = self.stats.get("fields_dropped", 0) + 1
        paths: dict[str, tuple[str, str]] = {}  # column -> (path, name): columns repeat per row
        for column, cell in cells:
            got = paths.get(column)
            if got is None:
                safe = _path_name(column) if column else ""
                got = paths[column] = (root + "." + safe if safe else root + "[]", column if safe == column else "")
            self._add(cell, location, got[0], got[1], "", encoding, depth, span)
        return True

    def _protobuf_doc(self, data: bytes, location: str, prefix: str, depth: int, encoding: str,
                      span: tuple[int, int] | None = None) -> bool:
        room = self._max_fields - len(self.out)
        fields = pb_fields(data, pb_key, room)
        if fields is None:
            return False  # not a message: scanned as text
        if len(fields) >= room:
            self.stats["fields_dropped"] = self.stats.get("fields_dropped", 0) + 1
        root = (prefix + ".pb") if prefix else "pb"
        for value, path, name, parent in fields:
            self._add(value, location, root + path, name, parent, encoding, depth, span)
        return True

    def _grpc(self, data: bytes, ctype: str, location: str, prefix: str, depth: int, encoding: str) -> bool:
        """gRPC and gRPC-Web framing (protobuf.grpc_frames); a compressed message is
        gzip, undone by body(). gRPC-Web's text mode is the same in base64. False, and
        the body is scanned as text, when the framing does not hold."""
        if "grpc-web-text" in ctype:
            try:
                data = binascii.a2b_base64(data)
            except (binascii.Error, ValueError):
                return False
        frames = grpc_frames(data)
        if frames is None:
            return False
        inner = "application/json" if "json" in ctype else "application/x-protobuf"
        for frame in frames:
            self.body(frame, inner, location, prefix, depth, encoding)
        return True

    def _decompressed(self, data: bytes, coding: list[str], quiet: bool = False) -> bytes | None:
        """``data`` with ``coding`` undone, within what is left of the decode budget (a
        bomb decodes to its first bytes, counted); None when it does not decode (counted
        unless ``quiet``: a guess that failed is no error) or no budget is left."""
        room = self.limits.max_decoded_bytes - self.decoded
        if room <= 0:
            self.stats["decode_limited"] = self.stats.get("decode_limited", 0) + 1
            return None
        try:
            raw, cut = codings.decode(data, coding, room)
        except codings.CodingError:
            if not quiet:
                self.stats["decode_errors"] = self.stats.get("decode_errors", 0) + 1
            return None
        if cut:
            self.stats["decode_limited"] = self.stats.get("decode_limited", 0) + 1
        self.decoded += len(raw)
        return raw

    def multipart(self, data: bytes, ctype: str, depth: int) -> None:
        boundary = ""
        for param in ctype.split(";")[1:]:
            k, _, v = param.strip().partition("=")
            if k.lower() == "boundary":
                boundary = v.strip('"')
        if not boundary:
            self.out.append(Segment(data.decode("utf-8", "replace"), Location.BODY, "body"))
            return
        delim = b"--" + boundary.encode("latin-1", "replace")
        for i, part in enumerate(data.split(delim)[1:]):
            if part.startswith(b"--"):
                break
            head, sep, content = part.partition(b"\r\n\r\n")
            if not sep:
                head, sep, content = part.partition(b"\n\n")
            if content.endswith(b"\r\n"):
                content = content[:-2]
            elif content.endswith(b"\n"):
                content = content[:-1]
            name, ptype, filename, transfer = "", None, "", ""
            for line in head.decode("latin-1").splitlines():
                lk, _, lv = line.partition(":")
                lk = lk.strip().lower()
                if lk == "content-disposition":
                    for p in lv.split(";"):
                        pk, _, pv = p.strip().partition("=")
                        if pk == "name":
                            name = pv.strip('"')
                        elif pk == "filename":
                            filename = pv.strip('"')
                elif lk == "content-type":
                    ptype = lv.strip()
                elif lk == "content-transfer-encoding":
                    transfer = lv.strip().lower()
            enc: str = Encoding.PLAIN
            if transfer in _TRANSFER_DECODE:
                enc = transfer
                try:
                    content = _TRANSFER_DECODE[transfer](content)
                except (binascii.Error, ValueError):
                    enc = Encoding.PLAIN  # read as sent
            if ptype is None and looks_like_message(content):
                ptype = "message/rfc822"  # Mailgun's messages.mime: the message as a file
            if ptype is None and filename.lower().endswith((".csv", ".tsv")):
                ptype = "text/csv" if filename.lower().endswith(".csv") else "text/tab-separated-values"
            path = "multipart." + (_path_name(name) if name else str(i))
            if ptype is None:
                text = content.decode("utf-8", "replace")
                self._add(text, Location.BODY, path, name, "", enc, depth)
            else:
                self.body(content, ptype, Location.BODY, path, depth + 1, enc)

    def walk_json(self, obj, location: str, path: str, depth: int, encoding: str = Encoding.PLAIN) -> None:
        self._json(obj, location, path, "", "", depth, encoding, 0)

    def _json(self, node, loc: str, p: str, name: str, parent: str, depth: int, enc: str, level: int) -> None:
        # Recursion is bounded by ``level``; deeper documents are counted and cut.
        if level > self._max_depth + 32:
            self.stats["depth_limited"] = self.stats.get("depth_limited", 0) + 1
            return
        t = type(node)
        if t is not dict and t is not list:
            return self._scalar(node, loc, p, name, parent, depth, enc)
        ntok = _tok(name) if name else _EMPTY  # the tokens of this node's own name
        if t is list:
            items: list = node  # typed, so the compiled loops index and iterate natively
            # Items share the list's path, name and parent.
            sp = p + "[]"
            ptok = _tok(parent) if parent else _EMPTY
            if 2 <= len(items) <= 3 and type(items[0]) is float and type(items[1]) is float and \
                    not _GEO_PAIR.isdisjoint(ntok):
                self._value(_geo_pair(items[0], items[1], ntok), loc, p, ntok, ptok, enc, depth)
            for v in items:
                tv = type(v)
                if tv is str:
                    if v:
                        self._value(v, loc, sp, ntok, ptok, enc, depth)
                elif tv is dict or tv is list:
                    self._json(v, loc, sp, name, parent, depth, enc, level + 1)
                elif tv is not bool and v is not None:
                    self._scalar(v, loc, sp, name, parent, depth, enc)
            return
        fields: dict = node
        pair = _pair_name(fields, name) if len(fields) <= 6 else ""
        for k, v in fields.items():
            tv = type(v)
            if k == "":
                # An empty key reads as a list item.
                sp, sn, spar = p + "[]", name, parent
                ktok, ptok = ntok, _tok(parent) if parent else _EMPTY
            else:
                key = _KEY_CACHE.get(k)
                if key is None:
                    key = _key(k)
                safe, suffix, ktok = key
                if not safe:
                    # A map keyed by data ({"jane@example.com": {...}}): the key is a
                    # value to scan, and the path must not carry it.
                    self._value(str(k), loc, p + ".*", _EMPTY, _EMPTY, enc, depth)
                # Small numbers, booleans and nulls hold nothing: no path to build. A small
                # number under a field a recogniser reads by name may ({"dob": {"year":
                # 1982}}, {"ssn_last_4": 1234}, {"cvc": 123}), and a true under a flag's
                # name ({"has_diabetes": true}), its own or its pair's ({"name":
                # "pregnant", "value": true}).
                if (tv is int and -1_000_000 < v < 1_000_000 and self.hints.isdisjoint(ktok)) or v is None or \
                        (tv is bool and (not v or self.flag_hints.isdisjoint(
                            _tok(pair) if pair and k.lower() in _PAIR_VALUE_KEYS else ktok))):
                    continue
                sp, sn, spar = p + suffix, (str(k) if safe else ""), name
                ptok = ntok
                if pair and k.lower() in _PAIR_VALUE_KEYS:
                    # {"name": "email", "value": ...}: the value goes by its pair's name.
                    sn = pair
                    ktok = _tok(pair)
                    if tv is dict and len(v) == 1:
                        # {"key": "user.phone", "value": {"stringValue": ...}} (OTLP/JSON,
                        # protobuf Struct): the one scalar in the wrapper goes by it too.
                        ik, iv = next(iter(v.items()))
                        ti = type(iv)
                        if ik != "" and (ti is str or ti is float or (ti is int and not -1_000_000 < iv < 1_000_000)):
                            inner = _KEY_CACHE.get(ik)
                            if inner is None:
                                inner = _key(ik)
                            if inner[0]:
                                sp, v, tv = sp + inner[1], iv, ti
            if tv is str:
                if v:
                    self._value(v, loc, sp, ktok, ptok, enc, depth)
            elif tv is dict or tv is list:
                self._json(v, loc, sp, sn, spar, depth, enc, level + 1)
            elif tv is bool:
                if k != "":  # a flag's true: other booleans were passed over above
                    self._add("true", loc, sp, sn, spar, enc, depth, machine=True)
            elif v is not None:
                self._scalar(v, loc, sp, sn, spar, depth, enc)

    def _scalar(self, v: object, loc: str, p: str, name: str, parent: str, depth: int, enc: str) -> None:
        if isinstance(v, str):
            if v:
                self._add(v, loc, p, name, parent, enc, depth)
        elif isinstance(v, bool) or v is None:
            return
        elif isinstance(v, int):
            # Numbers are scanned only when long enough to be a phone, card or id number; a
            # shorter one is kept, as a machine value, under a name a field recogniser reads.
            if v >= 1_000_000 or v <= -1_000_000:
                self._add(str(v), loc, p, name, parent, enc, depth)
            elif name and not self.hints.isdisjoint(_tok(name)):
                self._add(str(v), loc, p, name, parent, enc, depth, machine=True)
        elif isinstance(v, float):
            # Coordinates arrive as floats; other floats are amounts and times. A lone
            # number is no coordinate pair: only the field pass (lat/lng names) and the
            # watchlist look at it, not the pattern pass.
            s = repr(v)
            if -180.0 <= v <= 180.0 and "." in s and len(s) - s.index(".") > 3:
                self._add(s, loc, p, name, parent, enc, depth, machine=True)

    # --- decoded blobs (called by the scanner) ------------------------------------------

    def decoded_segments(self, seg: Segment, start: int, end: int, raw: bytes, encoding: str) -> None:
        """``raw`` came out of seg.text[start:end]; scan it as a nested document."""
        self.decoded += len(raw)
        d = seg.depth + 1
        span = seg.place(start, end)
        if raw[:2] == codings.GZIP_MAGIC:
            unz = self._decompressed(raw, ["gzip"])
            if unz is None:
                return
            raw, encoding = unz, encoding
        if looks_like_message(raw):  # SES's and Gmail's raw sends: a whole message in base64
            n0 = len(self.out)
            if self._mail_doc(raw, seg.location, seg.path, d, encoding):
                for child in self.out[n0:]:
                    child.span = span
                return
        text = raw.decode("utf-8", "replace")
        s = text.lstrip()
        if s[:1] in ("{", "["):
            n0 = len(self.out)
            if self._json_text(s, seg.location, seg.path + ".$", d, encoding):
                for child in self.out[n0:]:
                    child.span = span  # offsets point at the blob in the outer field
                return
        if s[:1] == "<" and self._xml_doc(s, seg.location, seg.path, d, encoding, span):
            return  # SAML assertions and the like
        if "=" in s and " " not in s[:128] and "&" in s:
            n0 = len(self.out)
            self.query(s, seg.location, seg.path, d)
            for child in self.out[n0:]:
                child.span = span
                child.encoding = encoding
            return
        child = Segment(text, seg.location, seg.path, seg.tokens, seg.parent_tokens, encoding, d, span)
        child.derived = True
        self.out.append(child)


# A multipart part's Content-Transfer-Encoding undone (the encodings' names are theirs).
_TRANSFER_DECODE: Final[dict[str, Callable[[bytes], bytes]]] = {str(Encoding.BASE64): binascii.a2b_base64,
                                                                 str(Encoding.QP): binascii.a2b_qp}

# A list of two or three floats under these names is a position: GeoJSON
# ("coordinates": [lng, lat, alt]) or a [lat, lng] pair. Scanned as one "lat, lng" text.
_GEO_PAIR: Final = frozenset({"coordinates", "coords", "coordinate", "latlng", "lnglat", "latlon", "lonlat", "position",
                       "location", "center", "point", "geo", "loc", "ll"})
_LNG_FIRST: Final = frozenset({"coordinates", "lnglat", "lonlat"})


def _geo_pair(a: float, b: float, tokens: frozenset[str]) -> str:
    lat, lng = (b, a) if not _LNG_FIRST.isdisjoint(tokens) else (a, b)
    if abs(lat) > 90 >= abs(lng):
        lat, lng = lng, lat  # the names promised the other order
    return f"{lat!r}, {lng!r}"


_NAME_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-[].$:")
_HEX_CHARS: Final = frozenset("0123456789abcdefABCDEF-")


_PATH_CACHE: Final[dict[str, str]] = {}


# {"name": "email", "value": "jane@example.com"}: a field sent as a name and a value
# (HubSpot forms, OpenTelemetry and CloudWatch attributes, CRM custom fields, LinkedIn's
# {"idType": "SHA256_EMAIL", "idValue": ...}, SCIM's {"type": "mobile", "value": ...}).
# An identity document's type names its number too: {"type": "passport", "number": ...},
# {"document_type": "driving_licence", "document_number": ...}, as KYC APIs send them.
# HL7 FHIR names a contact point by its "system" ({"system": "phone", "value": ...}) and an
# identifier by a URI ({"system": "https://fhir.nhs.uk/Id/nhs-number", "value": ...}).
_PAIR_NAME_KEYS: Final = frozenset({"name", "key", "field", "attribute", "property", "type", "kind", "label", "idtype",
                                    "id_type", "documenttype", "document_type", "doctype", "doc_type", "system"})
_PAIR_VALUE_KEYS: Final = frozenset({"value", "values", "val", "idvalue", "id_value", "number", "documentnumber",
                                     "document_number", "docnumber", "doc_number", "idnumber", "id_number"})
_PLAIN_VALUE_KEYS: Final = frozenset({"value", "values"})  # keys that say nothing of their value
# Identifier systems named by an OID, not a URL: the OIDs HL7 registers for them.
_IDENTIFIER_OIDS: Final = {"2.16.840.1.113883.4.1": "us_ssn", "2.16.840.1.113883.2.1.4.1": "nhs_number"}
_URI_NAME_END: Final = re.compile(r"[?#]")


def _pair_name(fields: dict, own: str) -> str:
    """The field name such an object gives its value, or "": the first name key (ASCII,
    any case) holding a string that reads as a field name, or an identifier system's URI
    that names one, when a value key is there too. A "value" without a name key goes by
    the object's own name ``own``: {"first_name": {"value": ...}}, as GA4's user
    properties send it ({"card": {"number": ...}} keeps its "number"). An object of 5 or
    6 members is a record with a type more often than a pair ({"type": "scheme",
    "number": ..., "cvc": ...}): only a FHIR identifier's "system" names its value there.
    The value keys are looked for first: {"name": "analytics.js", "version": ...} is
    common."""
    found = False
    plain = True  # every value key is a plain "value"
    for k in fields:
        if type(k) is str and k.isascii():
            low = k.lower()
            if low in _PAIR_VALUE_KEYS:
                found = True
                plain = plain and low in _PLAIN_VALUE_KEYS
    if not found:
        return ""
    wide = len(fields) > 4
    named = False
    for k, v in fields.items():
        if type(k) is str and k.isascii() and (k.lower() == "system" if wide else k.lower() in _PAIR_NAME_KEYS):
            named = True
            if type(v) is str and v:
                if _path_name(v) == v:
                    return v
                uri_named = _uri_name(v) if v.startswith(("http://", "https://", "urn:")) else ""
                if uri_named:
                    return uri_named
    return own if plain and not named and not wide else ""


# Lines of source code around a stack frame, as error trackers send them (Sentry's
# context_line, pre_context, post_context): their assignments and calls are no records,
# and looking for one in each cost the walk microseconds a request.
_SOURCE_FIELDS: Final = frozenset({"contextline", "precontext", "postcontext"})


def _uri_name(uri: str) -> str:
    """The field name an identifier system's URI gives its value, or "": its last path
    segment ("http://hl7.org/fhir/sid/us-ssn" -> "us-ssn"), or a registered OID's name."""
    if uri.startswith("urn:oid:"):
        return _IDENTIFIER_OIDS.get(uri[8:], "")
    if uri.startswith("urn:"):
        return ""
    path = _URI_NAME_END.split(uri.split("://", 1)[1], 1)[0].rstrip("/")
    slash = path.find("/")
    last = path[path.rfind("/") + 1:] if slash >= 0 else ""  # a host alone names nothing
    return last if last and _path_name(last) == last else ""


# Field-name words the detectors know. A protobuf key that is one of them ("email"), or
# that is dotted or compound like an attribute key ("user.email", "service_name"), goes
# into the path; another bare word may be data keying a message ({1: "jdoe", 2: ...}
# is a User as often as a map entry): it names its value for context, stays out of the
# path, and is scanned itself.
_KNOWN_FIELD_WORDS: Final = (MACHINE_FIELD | EMAIL_FIELD | PHONE_FIELD | NAME_FIELD | ADDRESS_FIELD | DOB_FIELD
                             | SSN_FIELD | PASSPORT_FIELD | NATIONAL_ID_FIELD | CARD_FIELD | IBAN_FIELD | GEO_LAT
                             | GEO_LON | IP_FIELD | SECRET_FIELD | frozenset({
                                 "user", "customer", "client", "account", "profile", "contact", "person", "member",
                                 "device", "context", "properties", "traits", "attributes", "labels", "tags",
                                 "metadata", "meta", "data", "payload", "params", "request", "response", "headers",
                                 "body", "message", "msg", "note", "notes", "text", "content", "comment",
                                 "description", "title", "subject", "type", "kind", "status", "event", "action",
                                 "source", "target", "value", "values", "items", "fields", "extra", "info",
                                 "details", "settings", "config", "options", "query", "url", "path", "method",
                                 "order", "payment", "billing", "shipping", "location", "geo", "error", "exception",
                                 "level", "severity", "service", "host", "env", "environment", "version", "app"}))


def pb_key(name: str) -> int:
    """What a protobuf key/value message's key is: 0 data, 1 a name for context only,
    2 a name that may go into the stored path."""
    if _path_name(name) != name:
        return 0
    if "." in name or "_" in name or "-" in name or not _KNOWN_FIELD_WORDS.isdisjoint(_tok(name)):
        return 2
    return 1


def _path_name(name: str) -> str:
    """``name`` if it reads like a field name, else "*": field paths are stored and must
    not carry data used as keys (e-mails, phone numbers, ids). Field names are cached
    (they repeat); data used as a key is not kept."""
    safe = _PATH_CACHE.get(name)
    if safe is None:
        safe = _path_name_uncached(name)
        if safe == name:
            if len(_PATH_CACHE) > 16384:
                _PATH_CACHE.clear()
            _PATH_CACHE[name] = safe
    return safe


_DIGIT_DEL: Final = {ord(c): None for c in "0123456789"}


def _path_name_uncached(name: str) -> str:
    if not name or len(name) > 64 or not _NAME_CHARS.issuperset(name):
        return "*"
    digits = len(name) - len(name.translate(_DIGIT_DEL))
    if digits >= 6 or (len(name) >= 16 and _HEX_CHARS.issuperset(name)):
        return "*"
    if len(name) >= 16 and any(_token_like(part) for part in _NAME_PARTS.split(name)):
        # A credential used as a key must not become a stored field path.
        return "*"
    return name


_NAME_PARTS: Final = re.compile(r"[_\-.:$\[\]]")


def _token_like(part: str) -> bool:
    """A key, token or id used as a key ("sk_live_WfqUyHRSIf8NFmAUNLnY5Yx0" splits into
    "WfqUyHRSIf8NFmAUNLnY5Yx0"): 16 or more letters and digits, upper and lower case
    mixed about evenly, and near the entropy of random characters. Nine random tokens in
    ten of 16-24 characters with a digit are caught; camelCase names
    ("customerEmailAddress2", "HTTPRequestHeaderV2Name") are not: mostly lower case, or
    repetitive."""
    n = len(part)
    if n < 16:
        return False
    upper = lower = digits = 0
    for c in part:
        if "A" <= c <= "Z":
            upper += 1
        elif "a" <= c <= "z":
            lower += 1
        elif "0" <= c <= "9":
            digits += 1
    letters = upper + lower
    if not letters or not 0.25 <= upper / letters <= 0.75:
        return False
    if digits:
        return shannon_entropy(part) >= min(math.log2(n) - 0.6, 4.2)
    # Letters only: longer and more random ("XMLHttpRequestUploadObject" is a name).
    return n >= 24 and shannon_entropy(part) >= min(math.log2(n) - 0.45, 4.3)


# JSON key -> (reads as a field name, path suffix, its tokens): keys repeat.
_KEY_CACHE: Final[dict[str, tuple[bool, str, frozenset[str]]]] = {}


def _key(k) -> tuple[bool, str, frozenset[str]]:
    name = k if type(k) is str else str(k)
    if _path_name(name) != name:
        return _DATA_KEY  # data used as a key: not cached
    out = (True, "." + name, _tok(name))
    if len(_KEY_CACHE) > 16384:
        _KEY_CACHE.clear()
    _KEY_CACHE[k] = out
    return out


_DATA_KEY: Final[tuple[bool, str, frozenset[str]]] = (False, ".*", _EMPTY)


_TOKEN_CACHE: Final[dict[str, frozenset[str]]] = {}


def _tok(name: str) -> frozenset[str]:
    """Field-name tokens, cached per name (bounded): names repeat across samples."""
    t = _TOKEN_CACHE.get(name)
    if t is None:
        if len(_TOKEN_CACHE) > 16384:
            _TOKEN_CACHE.clear()
        t = _TOKEN_CACHE[name] = field_tokens(name)
    return t


def _last_name(path: str) -> str:
    return path.rsplit(".", 1)[-1] if path else ""


def _pct_decode(s: str, plus: bool = False) -> str:
    if plus and "+" in s:
        return unquote_plus(s)
    if "%" not in s:
        return s
    return unquote(s)


# --- base64 ----------------------------------------------------------------------

_B64_RUN: Final = re.compile(r"[A-Za-z0-9+/_\-]{24,}={0,2}")


def b64_runs_py(text: str) -> list[tuple[int, int]]:
    """Spans of the runs of 24 or more base64 or base64url characters, with their
    padding: the blobs worth trying to decode. (_text.c's b64_runs is the same.)"""
    return [m.span() for m in _B64_RUN.finditer(text)]


_B64_STD: Final = bytes.maketrans(b"-_", b"+/")


def try_b64decode(blob: str, min_printable: float = 0.85) -> tuple[bytes, str] | None:
    """Decoded bytes and "base64"/"base64url" if ``blob`` decodes to text or gzip."""
    s = blob.rstrip("=")
    if len(s) % 4 == 1:
        return None
    url = "-" in s or "_" in s
    try:
        # What base64.b64decode(..., validate=True) does, without its interpreted wrapper.
        raw = binascii.a2b_base64(s.encode("ascii").translate(_B64_STD) + b"=" * (-len(s) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    if raw[:2] == b"\x1f\x8b":
        return raw, Encoding.BASE64URL if url else Encoding.BASE64
    if raw.isascii():
        text = raw.decode("ascii")
    else:
        # Most blobs are random tokens, not UTF-8. Decoding with "replace" and comparing
        # U+FFFD counts tells so without raising (the exception costs more than the
        # decode): where the UTF-8 is valid, only the bytes EF BF BD give a U+FFFD.
        text = raw.decode("utf-8", "replace")
        if "\ufffd" in text and text.count("\ufffd") != raw.count(b"\xef\xbf\xbd"):
            return None
    if not text:
        return None
    if text.isprintable():
        return raw, Encoding.BASE64URL if url else Encoding.BASE64
    printable = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    if printable < min_printable * len(text):
        return None
    return raw, Encoding.BASE64URL if url else Encoding.BASE64


# --- the C walk ----------------------------------------------------------------------


def _new_segment(text: str, location: str, path: str, tokens: frozenset[str], parent_tokens: frozenset[str],
                 encoding: str, depth: int, scan: bool) -> Segment:
    """Segment(...) for the C walk: a compiled function takes its arguments from C at
    about half the cost of the class's own constructor call."""
    seg = Segment(text, location, path, tokens, parent_tokens, encoding, depth)
    seg.scan = scan
    return seg


def _bind_c_walk() -> Any:
    """The C walk (_walk.c) where the install compiled it, else None. The Python code
    above is the reference it follows rule for rule (tests/pii/test_walk_c.py)."""
    _walk = c_module("_walk")
    if _walk is None:
        return None
    _walk.bind(_TOKEN_CACHE, _tok, _KEY_CACHE, _key, _EMPTY, _GEO_PAIR, _geo_pair, MACHINE_FIELD, _AGENT, _new_segment,
               _PATH_CACHE, _path_name, _pct_decode, Encoding.PLAIN, Encoding.URL, _uri_name)
    return _walk


_CWALK: Final = _bind_c_walk()
_machine_shape: Final = machine_shape if _CWALK is None else _CWALK.machine_shape
_C_TEXT: Final = c_module("_text")
b64_runs: Final = b64_runs_py if _C_TEXT is None else _C_TEXT.b64_runs
