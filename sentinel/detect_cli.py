"""`sentinel detect`: what the detectors find in a payload, a raw HTTP request, a HAR
recording or text.

For trying a payload before it ships, tuning custom detectors and allowlists, auditing
what a recorded browser session sends to which third party, and pre-commit hooks: exit 0
when nothing is found, 1 when something is, 2 when an input could not be read (the
others are still scanned) or when a limit left part of an input unscanned and nothing was
found. Inputs are read whole, up to 1 GiB each, not cut at the daemon's per-sample limits. Output holds masks and keyed hashes, never the values (nor
a HAR request's URL: its destination host and sub-processor only).
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from detectors.pii.protobuf import grpc_frames
from sentinel.collect.capture.http1 import parse_head
from sentinel.collect.capture.pcapfile import PCAP_MAGICS, PCAPNG_SHB
from sentinel.collect.har import HarParseError, parse_har
from sentinel.detect_formats import misfit, read_kind


@dataclass
class Detected:
    source: str
    kind: str  # how the input was read: text, http, json, xml, csv, form, protobuf or har
    findings: list
    text: str = ""  # for text inputs: to turn offsets into line:column
    not_reported: list = field(default_factory=list)  # with --explain
    entry: int = -1  # HAR: the request's index in log.entries
    to: str = ""  # HAR: the sub-processor the request went to, else its host
    misfit: str = ""  # why the forced format did not fit, and the input was read as text

    @cached_property
    def line_starts(self) -> list[int]:
        """Offsets where the text's lines start, for line:column in one bisection."""
        return [0] + [m.end() for m in re.finditer("\n", self.text)]


class NotAPayload(ValueError):
    """An input detect does not read; the message says which command does."""


def detect_all(scanner, registry, source: str, data: bytes, mode: str = "auto", explain: bool = False) -> list[Detected]:
    """One result per input, or per request of a HAR recording (raises HarParseError or
    NotAPayload)."""
    data = data.removeprefix(b"\xef\xbb\xbf")
    if mode == "auto" and (data[:4] in PCAP_MAGICS or data[:4] == PCAPNG_SHB):
        raise NotAPayload(f"{source}: a packet capture; `sentinel scan {source}` reads its requests and judges them")
    named = mode == "auto" and source.lower().removesuffix(".gz").rsplit(".", 1)[-1]
    # By name: a broken HAR is an error, not text; a CSV's cells are named by their column.
    kind = "har" if named == "har" else "csv" if named == "csv" else read_kind(data, mode)
    if kind != "har":
        # A forced format the input is not in: read as text, said, and no request line made up.
        problem = misfit(kind, data) if mode != "auto" else ""
        result = detect(scanner, source, data, "text" if problem else kind, explain)
        result.misfit = problem
        return [result]
    out = []
    for record in parse_har(data, source):
        sample = record.sample
        sub = registry.classify(host=sample.host, ip=sample.dst_ip).subprocessor if registry is not None else ""
        request = (sample.method, sample.url, sample.headers, sample.body, sample.content_type or None)
        found, left_out = scan(scanner, explain, request=request, subprocessor=sub or None)
        out.append(Detected(source, "har", found, not_reported=left_out, entry=record.index, to=sub or sample.host))
    return out


def detect(scanner, source: str, data: bytes, kind: str, explain: bool = False) -> Detected:
    """One input read as ``kind`` (text, http, json, xml, csv, form or protobuf)."""
    if kind == "text":
        text = data.decode("utf-8", "replace")
        found, left_out = scan(scanner, explain, text=text)
        return Detected(source, kind, found, text, left_out)
    found, left_out = scan(scanner, explain, request=as_request(kind, data))
    return Detected(source, kind, found, not_reported=left_out)


def scan(scanner, explain: bool, *, text: str | None = None, request: tuple = (),
         subprocessor: str | None = None) -> tuple[list, list]:
    """(findings, candidates left out: only with ``explain``) of a text or a request."""
    if text is not None:
        if explain:
            result = scanner.explain_text(text)
            return result.findings, result.not_reported
        return scanner.scan_text(text), []
    if explain:
        result = scanner.explain_request(*request, subprocessor=subprocessor)
        return result.findings, result.not_reported
    return scanner.scan_request(*request, subprocessor=subprocessor), []


def as_request(kind: str, data: bytes) -> tuple:
    """(method, target, headers, body, content type) of a raw request or a payload."""
    if kind == "http":
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            head, _, body = data.partition(b"\n\n")
        start, headers, _ = parse_head(head)
        parts = start.split(" ")
        method, target = (parts[0], parts[1]) if len(parts) >= 2 else ("GET", "/")
        return method, target, headers, body, None
    ctype = _PAYLOAD_TYPES[kind]
    if kind == "protobuf" and grpc_frames(data) is not None:
        ctype = "application/grpc"  # a gRPC body as a proxy saves it: [flag, length, message]...
    return "POST", "", [], data, ctype


_PAYLOAD_TYPES = {"json": "application/json", "xml": "application/xml", "csv": "text/csv",
                  "form": "application/x-www-form-urlencoded", "protobuf": "application/x-protobuf"}


def line_col(d: Detected, offset: int) -> str:
    starts = d.line_starts
    line = bisect_right(starts, offset) - 1
    return f"{line + 1}:{offset - starts[line] + 1}"


def where(d: Detected, f) -> str:
    if d.kind == "text":
        return line_col(d, f.start)
    place = f.field_path or f.location
    return f"#{d.entry} {place}" if d.kind == "har" else place


# Above this many rows a table is printed as aligned plain text: rich lays out a row in
# about 3 ms, a minute for a ticket export with 15,000 findings.
_RICH_ROWS = 1000


def _columns(results: list[Detected], columns: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """The columns, with "to" after "input" when a HAR request is among the results."""
    har = any(d.kind == "har" for d in results)
    return columns[:1] + (("to",) if har else ()) + columns[1:], har


def finding_rows(results: list[Detected]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    columns, har = _columns(results, ("input", "where", "category", "encoding", "masked", "confidence", "detector",
                                      "hash"))
    return columns, [(d.source, *((d.to,) if har else ()), where(d, f),
                      f.category + (f"/{f.subtype}" if f.subtype else ""), f.encoding, f.masked, f"{f.confidence:.2f}",
                      f.detector, f.value_hash[:12]) for d in results for f in d.findings]


def not_reported_rows(results: list[Detected]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    columns, har = _columns(results, ("input", "where", "category", "masked", "confidence", "detector", "why"))
    return columns, [(d.source, *((d.to,) if har else ()), where(d, n),
                      n.category + (f"/{n.subtype}" if n.subtype else ""), n.masked, f"{n.confidence:.2f}",
                      n.detector, n.reason) for d in results for n in d.not_reported]


def print_rows(console: Console, columns: tuple[str, ...], rows: list[tuple[str, ...]], title: str | None = None) -> None:
    if len(rows) <= _RICH_ROWS:
        table = Table(title=title, show_edge=False)
        for col in columns:
            table.add_column(col, justify="right" if col == "confidence" else "left")
        for row in rows:
            # Plain Text cells: field paths hold brackets ("pb.1.2[user.email]") that rich reads as markup.
            table.add_row(*(Text(v) for v in row))
        console.print(table)
        return
    widths = [max(len(col), *(len(row[i]) for row in rows)) for i, col in enumerate(columns)]
    right = [col == "confidence" for col in columns]
    lines = ([title] if title else []) + [
        "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(line, widths, right)).rstrip()
        for line in (columns, *rows)]
    console.file.write("\n".join(lines) + "\n")


def _row(d: Detected, item) -> dict:
    har = {"entry": d.entry, "to": d.to} if d.kind == "har" else {}
    return {"input": d.source, "read_as": d.kind, **har, "where": where(d, item), **item.to_dict()}


def to_json(results: list[Detected], explain: bool = False) -> str:
    rows = [{**_row(d, f), **({"reported": True} if explain else {})} for d in results for f in d.findings]
    if explain:
        rows += [{**_row(d, n), "reported": False} for d in results for n in d.not_reported]
    return json.dumps(rows, indent=2)


def run_detect(scanner, inputs: list[str], mode: str, fmt: str, console: Console, err: Console,
               explain: bool = False, registry=None) -> int:
    results: list[Detected] = []
    unreadable = partial = 0
    for name in inputs or ["-"]:
        try:
            data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
        except OSError as exc:
            err.print(f"{name}: cannot read: {exc.strerror}", markup=False, highlight=False, soft_wrap=True)
            unreadable += 1
            continue
        source = "stdin" if name == "-" else name
        if data[:2] == b"\x1f\x8b":  # a rotated log, a saved body: read what it holds
            data, problem = gunzip(data)
            if problem:
                err.print(f"{source}: scanned in part: {problem}", markup=False, highlight=False, soft_wrap=True)
                partial += 1
        before = dict(scanner.stats)
        try:
            these = detect_all(scanner, registry, source, data, mode, explain)
        except (HarParseError, NotAPayload) as exc:  # names the file and the place; holds no value
            err.print(str(exc), markup=False, highlight=False, soft_wrap=True)
            unreadable += 1
        else:
            results += these
            for problem in {d.misfit for d in these if d.misfit}:
                err.print(f"{source}: {problem}: scanned as text", markup=False, highlight=False, soft_wrap=True)
        for warning in limit_warnings(before, scanner.stats):
            err.print(f"{source}: scanned in part: {warning}", markup=False, highlight=False, soft_wrap=True)
            partial += 1
    found = sum(len(d.findings) for d in results)
    left_out = sum(len(d.not_reported) for d in results)
    if fmt == "json":
        sys.stdout.write(to_json(results, explain) + "\n")
    else:
        if found:
            print_rows(console, *finding_rows(results))
        if left_out:
            print_rows(console, *not_reported_rows(results), title="found, not reported")
        kinds = {d.source: d.kind for d in results}
        requests = sum(1 for d in results if d.kind == "har")
        har = f", {requests} HAR request(s) to {len({d.to for d in results if d.kind == 'har'})} destination(s)" \
            if requests else ""
        more = f"; {left_out} found and not reported" if explain else ""
        read = f" ({', '.join(f'{k} as {v}' for k, v in kinds.items())}{har})" if kinds else ""
        console.print(f"{found} finding(s) in {len(kinds)} input(s){read}{more}", markup=False, highlight=False)
    if unreadable or (partial and not found):
        return 2  # "nothing found" must not be said of what was not scanned
    return 1 if found else 0


def print_detectors(scanner, fmt: str, console: Console) -> int:
    """``detect --list``: every detector as configured, the disabled ones too."""
    rows = [{"name": name, "category": category, "reads": reads, "enabled": enabled, "threshold": round(threshold, 3)}
            for name, category, reads, enabled, threshold in scanner.detectors()]
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    print_rows(console, ("detector", "category", "reads", "enabled", "threshold"),
               [(r["name"], r["category"], r["reads"], "yes" if r["enabled"] else "no", f"{r['threshold']:.2f}")
                for r in rows])
    watchlist = len(scanner.watchlist or ())
    console.print(f"{sum(r['enabled'] for r in rows)} of {len(rows)} detectors enabled; min_confidence "
                  f"{scanner.config.min_confidence:.2f}; watchlist: {watchlist} identifier(s)",
                  markup=False, highlight=False)
    return 0


GUNZIP_LIMIT = 256 << 20


def gunzip(data: bytes, limit: int = GUNZIP_LIMIT) -> tuple[bytes, str]:
    """(what gzip data decompresses to, up to ``limit`` bytes; what kept the rest out, if anything)."""
    inflate = zlib.decompressobj(wbits=31)
    try:
        out = inflate.decompress(data, limit)
    except zlib.error as exc:
        return b"", f"the compressed data is corrupt ({exc})"
    if inflate.unconsumed_tail:
        return out, f"it decompresses to more than {limit >> 20} MiB; the first {limit >> 20} MiB were read"
    if not inflate.eof:
        return out, f"the compressed data ends before its end-of-stream marker, after {len(out)} bytes"
    return out, ""


# Scanner statistics that count input a limit left out, and what to say of each.
_LIMITS = {
    "truncated": "a sample longer than detectors.max_sample_bytes was cut there",
    "budget_overruns": "the time budget (detectors.time_budget_ms) ran out",
    "fields_dropped": "fields beyond detectors.max_fields were not read",
    "decode_limited": "decoded layers beyond detectors.max_decoded_bytes were not read",
    "depth_limited": "layers nested deeper than detectors.max_depth were not decoded",
}


def limit_warnings(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return [f"{why} ({after[k] - before[k]:,}x)" for k, why in _LIMITS.items() if after[k] > before[k]]
