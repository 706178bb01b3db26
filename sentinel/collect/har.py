"""HAR files (HTTP Archive 1.1 / 1.2) as a source of events and traffic samples.

::

    har = read_har(path, max_body_bytes=65536)   # parses now; raises HarParseError
    for rec in har:                              # HarRecord(index, event, sample)
        on_event(rec.event); on_sample(rec.sample)
    har.stats                                    # entries, records, bad_entries, status_0 ...

Each entry gives one ``EgressEvent`` (source ``har``, offset = entry index) and one
``TrafficSample`` paired with it, so a consumer never has to match them up. A HAR is a
single JSON document, so it is parsed whole (bounded by ``max_file_bytes``); a file that
is not valid JSON, or has no ``log.entries`` list, raises :class:`HarParseError` naming
the file and the position (line, column, byte offset, or JSON path). A malformed entry
inside a valid file is skipped and counted (``bad_entries``), never stopping the rest.

Bodies: ``postData.text`` (decoded from base64 when ``encoding`` is ``base64``, a
non-standard field some exporters write), or rebuilt from ``postData.params`` when the
exporter kept only those (chrome-har): form-encoded, or JSON for JSON MIME types.
Entries with status 0 (blocked, aborted, served from cache) are kept with status 0.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote_plus, urlsplit

from sentinel.model import EgressEvent, TrafficSample

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 512 << 20


class BadEntry(ValueError):
    """An entry without the parts a request needs; the reason names the part."""


class HarParseError(ValueError):
    """A HAR file that cannot be read: names the file and where it went wrong."""

    def __init__(self, path, reason: str, *, line: int = 0, column: int = 0, offset: int = -1, where: str = ""):
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.column = column
        self.offset = offset
        self.where = where
        if line:
            pos = f"line {line} column {column} (byte {offset})"
        elif where:
            pos = where
        else:
            pos = "start of file"
        super().__init__(f"{self.path}: {pos}: {reason}")


@dataclass(slots=True)
class HarRecord:
    index: int  # position in log.entries
    event: EgressEvent
    sample: TrafficSample


class HarFile:
    """A parsed HAR file; iterate for :class:`HarRecord` s."""

    def __init__(self, path: str, doc: dict, max_body_bytes: int):
        self.path = path
        self.max_body_bytes = max_body_bytes
        log_ = doc["log"]
        self.version = str(log_.get("version", ""))
        creator = log_.get("creator") or {}
        self.creator = f"{creator.get('name', '')} {creator.get('version', '')}".strip() if isinstance(creator, dict) else ""
        self.entries = log_["entries"]
        self.stats: dict[str, int] = {"entries": len(self.entries), "records": 0, "bad_entries": 0, "status_0": 0,
                                      "bodies_truncated": 0, "bad_base64": 0}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[HarRecord]:
        for i, entry in enumerate(self.entries):
            try:
                rec = self._record(i, entry)
            except BadEntry as exc:
                self.stats["bad_entries"] += 1
                log.warning("%s: $.log.entries[%d] skipped: %s", self.path, i, exc)
                continue
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                self.stats["bad_entries"] += 1
                log.warning("%s: $.log.entries[%d] skipped: %s: %s", self.path, i, type(exc).__name__, exc)
                continue
            self.stats["records"] += 1
            yield rec

    def _record(self, i: int, entry: dict) -> HarRecord:
        req = entry.get("request") if isinstance(entry, dict) else None
        if not isinstance(req, dict):
            raise BadEntry("it has no request object")
        for key in ("method", "url"):
            if not isinstance(req.get(key), str) or not req[key]:
                raise BadEntry(f"its request has no {key}")
        resp = entry.get("response") or {}
        method = req["method"].upper()
        url = req["url"]
        parts = urlsplit(url)
        scheme = (parts.scheme or "http").lower()
        host = (parts.hostname or "").rstrip(".").lower()
        try:
            port = parts.port or (443 if scheme in ("https", "wss") else 80)
        except ValueError:
            port = 0
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = [(str(h.get("name", "")), str(h.get("value", ""))) for h in req.get("headers") or [] if isinstance(h, dict)]
        hmap = {n.lower(): v for n, v in headers}
        body, ctype = self._body(req.get("postData"))
        if not ctype:
            ctype = hmap.get("content-type", "")
        truncated = len(body) > self.max_body_bytes
        if truncated:
            self.stats["bodies_truncated"] += 1
            body = body[:self.max_body_bytes]
        status = _int(resp.get("status"))
        if status == 0:
            self.stats["status_0"] += 1
        ts = _timestamp(entry.get("startedDateTime"))
        dst_ip = str(entry.get("serverIPAddress") or "").strip("[]")
        hsize, bsize = _int(req.get("headersSize"), -1), _int(req.get("bodySize"), -1)
        bytes_out = (hsize if hsize >= 0 else sum(len(n) + len(v) + 4 for n, v in headers)) + (
            bsize if bsize >= 0 else len(body)
        )
        rh, rb = _int(resp.get("headersSize"), -1), _int(resp.get("bodySize"), -1)
        transfer = _int(resp.get("_transferSize"), -1)
        if transfer >= 0:
            bytes_in = transfer
        else:
            content = resp.get("content") or {}
            bytes_in = max(rh, 0) + (rb if rb >= 0 else max(_int(content.get("size") if isinstance(content, dict) else 0), 0))
        version = _http_version(req.get("httpVersion", ""))
        tls_version, cipher = _security(entry)
        conn = str(entry.get("connection") or "")
        event = EgressEvent(
            ts=ts,
            source="har",
            dst_host=host,
            dst_ip=dst_ip,
            dst_port=port,
            method=method,
            scheme=scheme,
            url=path,
            status=status,
            bytes_out=bytes_out,
            bytes_in=bytes_in,
            duration_ms=float(entry.get("time") or 0.0) if isinstance(entry.get("time"), (int, float)) else 0.0,
            tls_version=tls_version,
            tls_cipher=cipher,
            user_agent=hmap.get("user-agent", ""),
            http_version=version,
            origin=self.path,
            offset=i,
        )
        sample = TrafficSample(
            ts=ts,
            method=method,
            url=url,
            headers=headers,
            body=body,
            content_type=ctype,
            host=host,
            dst_ip=dst_ip,
            dst_port=port,
            flow_id=f"har:{conn}" if conn else "",
            body_truncated=truncated,
            source="har",
            origin=self.path,
            offset=i,
        )
        return HarRecord(i, event, sample)

    def _body(self, post) -> tuple[bytes, str]:
        if not isinstance(post, dict):
            return b"", ""
        ctype = str(post.get("mimeType") or "")
        text = post.get("text")
        if isinstance(text, str) and text:
            if str(post.get("encoding", "")).lower() == "base64":
                try:
                    return base64.b64decode(text, validate=False), ctype
                except (binascii.Error, ValueError):
                    self.stats["bad_base64"] += 1
            if not _texty(ctype) and max(text) <= "\xff":
                # Binary bodies exported as one char per byte (mitmproxy): keep the bytes.
                return text.encode("latin-1"), ctype
            return text.encode("utf-8", "surrogateescape"), ctype
        params = post.get("params")
        if isinstance(params, list) and params:
            pairs = [(str(p.get("name", "")), p.get("value", "")) for p in params if isinstance(p, dict)]
            if "json" in ctype.lower():
                return json.dumps(dict(pairs), ensure_ascii=False).encode(), ctype
            return "&".join(
                f"{quote_plus(n)}={quote_plus(v if isinstance(v, str) else json.dumps(v))}" for n, v in pairs
            ).encode(), ctype
        return b"", ctype


def read_har(path: str | os.PathLike, *, max_body_bytes: int = 64 << 10, max_file_bytes: int = MAX_FILE_BYTES) -> HarFile:
    """Parse a HAR file now; iterate the result for records. Raises :class:`HarParseError`."""
    path = str(path)
    try:
        size = os.path.getsize(path)
        if size > max_file_bytes:
            raise HarParseError(path, f"file is {size} bytes, over the {max_file_bytes}-byte limit for HAR files")
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise HarParseError(path, f"cannot read: {exc.strerror or exc}") from None
    return parse_har(raw, path, max_body_bytes=max_body_bytes)


def parse_har(raw: bytes, path: str, *, max_body_bytes: int = 64 << 10) -> HarFile:
    """A HAR document already in memory (standard input); ``path`` names it in errors."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]  # UTF-8 BOM written by some Windows tools
        bom = 3
    else:
        bom = 0
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise HarParseError(path, "not UTF-8 text", line=line, column=col, offset=exc.start + bom) from None
    if not text.strip():
        raise HarParseError(path, "empty file")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        offset = len(text[:exc.pos].encode("utf-8")) + bom
        reason = exc.msg + (" (file truncated?)" if exc.pos >= len(text.rstrip()) else "")
        raise HarParseError(path, f"invalid JSON: {reason}", line=exc.lineno, column=exc.colno, offset=offset) from None
    except RecursionError:
        raise HarParseError(path, "JSON nested too deeply") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("log"), dict):
        raise HarParseError(path, "no 'log' object: not a HAR file", where="$.log")
    if not isinstance(doc["log"].get("entries"), list):
        raise HarParseError(path, "'log.entries' is missing or not a list", where="$.log.entries")
    return HarFile(path, doc, max_body_bytes)


def _texty(ctype: str) -> bool:
    c = ctype.lower()
    return c.startswith("text/") or any(t in c for t in ("json", "xml", "form", "javascript", "graphql", "charset"))


def _int(v, default: int = 0) -> int:
    if isinstance(v, bool):
        return default
    if isinstance(v, (int, float)):
        return int(v)
    if isinstance(v, str):
        try:
            return int(v)
        except ValueError:
            return default
    return default


def _timestamp(s) -> float:
    if not isinstance(s, str) or not s:
        return 0.0
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _http_version(v) -> str:
    v = str(v or "").strip()
    low = v.lower()
    if low in ("h2", "http/2", "http/2.0"):
        return "HTTP/2"
    if low in ("h3", "http/3", "http/3.0"):
        return "HTTP/3"
    return v.upper()


def _security(entry: dict) -> tuple[str, str]:
    # Chrome DevTools exports "_securityDetails": {"protocol": "TLS 1.3", "cipher": ...}.
    sd = entry.get("_securityDetails")
    if not isinstance(sd, dict):
        return "", ""
    proto = str(sd.get("protocol", ""))
    if proto.upper().startswith("TLS "):
        proto = "TLSv" + proto[4:]
    return proto, str(sd.get("cipher", ""))
