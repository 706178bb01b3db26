"""Egress log parsers: one module per log family, each turning a record into an
EgressEvent (or a ParseError with a machine reason).

    for offset, item in parse_file("/var/log/squid/access.log.2.gz"):
        if isinstance(item, ParseError): quarantine(offset, item.reason)
        else: handle(item)

Parsers are stateful (one per file): Zeek `#fields` and VPC header lines change how the
following lines parse. When resuming a file mid-way, call `parser.prime(head_lines)`
with the file's first lines so that the header state is restored.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections import Counter
from os import PathLike
from typing import IO, Any, Iterator, Mapping

from sentinel.collect.logs.base import LogParser, ParseError
from sentinel.collect.logs.envoy import EnvoyParser
from sentinel.collect.logs.haproxy import HaproxyParser
from sentinel.collect.logs.jsonlines import JsonLinesParser
from sentinel.collect.logs.nginx import NginxParser
from sentinel.collect.logs.records import iter_records
from sentinel.collect.logs.squid import SquidParser
from sentinel.collect.logs.suricata import SuricataParser
from sentinel.collect.logs.vpcflow import VpcFlowParser
from sentinel.collect.logs.zeek import ZeekParser
from sentinel.model import EgressEvent

__all__ = [
    "FAMILIES",
    "DETECT_ORDER",
    "LogParser",
    "ParseError",
    "UnknownFormatError",
    "detect_format",
    "iter_lines",
    "make_parser",
    "open_log",
    "parse_file",
    "parse_text",
    "read_head",
]

FAMILIES: dict[str, type[LogParser]] = {
    cls.family: cls
    for cls in (
        SquidParser,
        EnvoyParser,
        NginxParser,
        HaproxyParser,
        ZeekParser,
        SuricataParser,
        VpcFlowParser,
        JsonLinesParser,
    )
}
# Most specific first. jsonl is never guessed: it needs a field mapping.
DETECT_ORDER: tuple[str, ...] = ("zeek", "suricata", "vpcflow", "envoy", "haproxy", "squid", "nginx")
HEAD_LINES = 200
HEAD_BYTES = 64 * 1024


class UnknownFormatError(ValueError):
    """No family matched the head of a file. The message names every family tried."""


def detect_format(head: list[str]) -> str:
    """Family name for these first lines of a file (line endings optional)."""
    lines = [ln.rstrip("\r\n") for ln in head]
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]
    records = [r for _, r in iter_records(enumerate(lines)) if r.strip()]
    tried = ", ".join(DETECT_ORDER)
    if not records:
        raise UnknownFormatError(f"cannot detect the log format: no non-blank line to look at (tried: {tried})")
    for fam in DETECT_ORDER:
        if FAMILIES[fam].sniff(records):
            return fam
    raise UnknownFormatError(
        f"cannot detect the log format: the first {len(records)} record(s) match none of: {tried}; "
        "for other JSON logs use format 'jsonl' with a field mapping"
    )


def make_parser(family: str, options: Mapping[str, Any] | None = None) -> LogParser:
    """A fresh parser for one file. Bad options raise ValueError naming the option."""
    cls = FAMILIES.get(family)
    if cls is None:
        raise ValueError(f"unknown log format {family!r}; expected 'auto' or one of: {', '.join(FAMILIES)}")
    return cls(options)


def open_log(path: str | PathLike[str]) -> IO[bytes]:
    """Binary reader; gzip is recognised by its magic bytes, whatever the file name."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


class DamagedInput(OSError):
    """Compressed input that ends or breaks part-way (a copy or rotation in progress)."""


def iter_lines(f: IO[bytes], start: int = 0) -> Iterator[tuple[int, str]]:
    """(byte offset, line without its ending), decoded as UTF-8 with replacement.

    For gzip input the offsets count decompressed bytes. Compressed data cut short
    raises DamagedInput after the lines before the damage.
    """
    off = start
    first = start == 0
    try:
        for raw in f:
            n = len(raw)
            line = raw.decode("utf-8", "replace")
            if line[-1:] == "\n":
                line = line[:-2] if line[-2:-1] == "\r" else line[:-1]
            if first:
                first = False
                if line[:1] == "\ufeff":
                    line = line[1:]
            yield off, line
            off += n
    except (EOFError, zlib.error) as exc:
        reason = "ends before its end-of-stream marker" if isinstance(exc, EOFError) else f"is corrupt ({exc})"
        raise DamagedInput(f"the compressed data {reason}, after {off} decompressed bytes") from None


def read_head(f: IO[bytes], max_lines: int = HEAD_LINES, max_bytes: int = HEAD_BYTES) -> list[str]:
    """The first lines of a binary stream, for detect_format / prime."""
    head: list[str] = []
    size = 0
    for _, line in iter_lines(f):
        head.append(line)
        size += len(line) + 1
        if len(head) >= max_lines or size >= max_bytes:
            break
    return head


def parse_file(
    path: str | PathLike[str],
    family: str = "auto",
    options: Mapping[str, Any] | None = None,
    *,
    skipped: Counter[str] | None = None,
) -> Iterator[tuple[int, EgressEvent | ParseError]]:
    """Parse a whole log file (plain or .gz): (record byte offset, event or error).

    Records consumed without an event (headers, NODATA, non-request lines, blank
    lines) are counted into ``skipped`` when given. Events get ``offset`` set; several
    events from one CloudWatch envelope share their record's offset.
    Raises UnknownFormatError when ``family='auto'`` matches nothing.
    """
    with open_log(path) as f:
        if family == "auto":
            head = read_head(f)
            f.seek(0)
            family = detect_format(head)
        parser = make_parser(family, options)
        try:
            yield from _run(parser, iter_records(iter_lines(f)))
        finally:
            if skipped is not None:
                skipped.update(parser.skipped)


def _run(parser: LogParser, records) -> Iterator[tuple[int, EgressEvent | ParseError]]:
    blank = 0
    try:
        if parser.expands:
            for off, rec in records:
                if not rec or rec.isspace():
                    blank += 1
                    continue
                for r in parser.parse_all(rec):
                    if isinstance(r, EgressEvent):
                        r.offset = off
                    yield off, r
            return
        parse = parser.parse
        for off, rec in records:
            if not rec or rec.isspace():
                blank += 1
                continue
            try:
                ev = parse(rec)
            except ParseError as exc:
                yield off, exc
                continue
            if ev is not None:
                ev.offset = off
                yield off, ev
    finally:
        if blank:
            parser.skipped["blank"] += blank


def parse_text(
    text: str,
    family: str = "auto",
    options: Mapping[str, Any] | None = None,
    *,
    skipped: Counter[str] | None = None,
) -> list[tuple[int, EgressEvent | ParseError]]:
    """parse_file over an in-memory string (offsets are UTF-8 byte offsets)."""
    f = io.BytesIO(text.encode("utf-8"))
    if family == "auto":
        family = detect_format(read_head(f))
        f.seek(0)
    parser = make_parser(family, options)
    try:
        return list(_run(parser, iter_records(iter_lines(f))))
    finally:
        if skipped is not None:
            skipped.update(parser.skipped)
